# 60_backfill_adaptive.sh - an adaptive batched backfill through the real
# daemon: while every row it updates is made slow on purpose (a trigger
# that sleeps while a switch is on), the pacer shrinks the batch down to
# min_size and then pauses; once the switch is off it grows again; the backfill
# completes with every row updated exactly once; an application session
# that writes less than before the first batch (slowed on purpose) makes
# the pacer pause, and once it writes as before the pause goes; so do
# more of the application's sessions busy than before; every batch event
# carries the measurements and the decision (JSON and text).  Bad pacing
# options are refused with file:line:column, nothing runs, the daemon
# carries on.  Only the direction of the decisions is checked, under a
# slowdown far beyond any noise (10 ms per row against a 200 ms target
# for batches of 100 rows); no timing is asserted.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
cat >cfg.yaml <<EOF
database: "dbname=$TESTDB"
models: models
migrations: migrations
socket: $SOCK
EOF
q "CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)"
q "INSERT INTO items (id) SELECT g FROM generate_series(1, 3000) g"
q "CREATE TABLE slow (on_ boolean NOT NULL)"
q "INSERT INTO slow VALUES (true)"
q "CREATE FUNCTION items_slow() RETURNS trigger LANGUAGE plpgsql AS
   \$\$BEGIN
	IF (SELECT on_ FROM slow) THEN PERFORM pg_sleep(0.01); END IF;
	NEW.n_updates := OLD.n_updates + 1;
	RETURN NEW;
   END\$\$"
q "ALTER TABLE items ADD COLUMN n_updates int NOT NULL DEFAULT 0"
q "CREATE TRIGGER items_slow BEFORE UPDATE ON items FOR EACH ROW
   EXECUTE FUNCTION items_slow()"
"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "daemon ready" ctl wait-ready --timeout 30

# --- bad pacing options: file:line:column, nothing runs ----------------
BAD=migrations/20240101_000000_fill.sql
bad() {	# bad NAME LINE WANT: LINE as the file's batch line is refused
	printf '%s\nUPDATE items SET v = 1;\n' "$2" >"$BAD"
	out=$(ctl validate 2>&1)
	is "$1: validate fails" "$?" 1
	like "$1: names file, line, column" "$out" "$3"
	out=$(ctl --yes up 2>&1)
	is "$1: up fails" "$?" 1
}
bad "duration" "-- migrated:batch size=100 target=fast" \
    "20240101_000000_fill.sql:1:35: bad batch target= \\(a duration"
bad "zero max_pause" "-- migrated:batch size=100 max_pause=0ms" \
    "20240101_000000_fill.sql:1:38: bad batch max_pause= \\(a duration"
bad "rows" "-- migrated:batch size=100 min_size=lots" \
    "20240101_000000_fill.sql:1:37: bad batch min_size= \\(a number of rows"
bad "min above size" "-- migrated:batch size=100 min_size=200" \
    "20240101_000000_fill.sql:1:28: batch min_size is above size"
bad "max below size" "-- migrated:batch size=100 max_size=50" \
    "20240101_000000_fill.sql:1:28: batch max_size is below size"
bad "unknown option" "-- migrated:batch size=100 adaptively target=5ms" \
    "20240101_000000_fill.sql:1:28: unknown batch option 'adaptively'\$"
bad "no size" "-- migrated:batch adaptive target=20ms" \
    "20240101_000000_fill.sql:1:1: batch needs size=N"
is "nothing ran" "$(q "SELECT count(*) FROM items WHERE v <> 0 OR n_updates <> 0")" 0
ok "daemon still running" kill -0 $DPID

# --- slowed down, then not ---------------------------------------------
cat >"$BAD" <<'EOF'
-- migrated:batch size=100 min_size=30 max_size=400 target=200ms max_pause=100ms
UPDATE items SET v = v + 1;
EOF
ok "validate accepts the pacing options" ctl validate
ctl --json --yes up >up.json 2>up.err &
UP=$!; track $UP
pace() {	# pace JQ-FILTER: over the batch events' pace objects
	# a line still being written is skipped, not an error
	jq -rcR "fromjson? | select(.data.phase == \"batch\") | .data.pace | $1" \
	    up.json
}
# down to min_size, still over the target: then it pauses
paused() { [ -n "$(pace 'select(.pause_ms > 0)')" ]; }
wait_until 60 paused
# switched off as soon as the pacer paused; what came before is 'slow'
q "UPDATE slow SET on_ = false"
seen=$(pace '.batch' | tail -n 1)
wait $UP
is "up completes" "$?" 0
is "every row updated exactly once" \
    "$(q "SELECT count(*) FILTER (WHERE v = 1 AND n_updates = 1) || '/' || count(*) FROM items")" \
    "3000/3000"
is "not dirty" "$(q "SELECT dirty FROM migrated_versions WHERE version = '20240101_000000'")" f

first=$(pace 'select(.decision == "shrink") | .reason' | head -n 1)
is "the slowed batch shrank because it passed the target" "$first" \
    "batch over the target"
small=$(pace "select(.batch <= $seen) | .size" | sort -n | head -n 1)
ok "while slow: below the first size ($small < 100)" test "$small" -lt 100
grown=$(pace "select(.batch > $seen and .decision == \"grow\") | .size" |
    sort -n | tail -n 1)
ok "after: grew again ($grown > $small)" test "${grown:-0}" -gt "$small"
ok "a longer pause while slow" test \
    "$(pace "select(.batch <= $seen) | .pause_ms" | sort -n | tail -n 1)" -gt 0
is "every batch has the fields" "$(pace 'select(has("batch") and has("rows")
    and has("ms") and has("target_ms") and has("probe_ms") and has("size")
    and has("pause_ms") and has("decision") and has("reason")
    and has("rate") and has("base_rate") and has("busy")
    and has("base_busy") | not)' | wc -l)" 0
is "target as given" "$(pace '.target_ms' | sort -u)" 200
is "rows add up" "$(pace '.rows' | awk '{ s += $1 } END { print s }')" 3000
ok "sizes within min_size and max_size" test \
    "$(pace 'select(.size < 30 or .size > 400)' | wc -l)" -eq 0

# --- text output, and a plain size=N pause=M stays fixed ---------------
q "UPDATE slow SET on_ = true"
cat >migrations/20240102_000000_fixed.sql <<'EOF'
-- migrated:batch size=1000 pause=0ms
UPDATE items SET v = v + 1 WHERE id <= 2000;
EOF
cat >migrations/20240103_000000_text.sql <<'EOF'
-- migrated:batch size=100 target=200ms max_pause=10ms
UPDATE items SET v = v + 1 WHERE id <= 200;
EOF
q "UPDATE slow SET on_ = false"
ok "fixed and text: up" sh -c "'$MIGRATECTL' -s '$SOCK' --json --yes up --to 20240102_000000 >fixed.json"
is "fixed: batches of exactly size" \
    "$(jq -c 'select(.data.phase == "batch") | [.data.pace.decision, .data.pace.rows, .data.pace.pause_ms]' fixed.json | sort -u)" \
    '["fixed",1000,0]'
out=$(ctl --yes up 2>&1)
is "text: up exit 0" "$?" 0
like "text: the decision on the batch line" "$out" \
    "text: 100/[0-9]+ rows \\([0-9]+ ms\\) · batch 1: 100 rows in [0-9]+ ms, target 200 ms → size [0-9]+, pause [0-9]+ ms \\("
is "both applied" "$(q "SELECT count(*) FILTER (WHERE v = 3) || ',' || count(*) FILTER (WHERE v = 2)  FROM items")" "200,1800"

# --- the application falls behind: it writes less than before ----------
# batches of exactly 10 rows (100 ms, far under the 1 s target), so only
# the application's write rate can make the pacer pause; max_pause over
# four batches' time (at max_pause the floor counts as the backfill idle
# enough, and an application still behind then lowers the baseline
# instead: no catching up to see).  The application:
# one session committing a row update every 2 ms, or every 100 ms while
# app.slow is on.
q "CREATE TABLE app (slow boolean NOT NULL, stop boolean NOT NULL, n int NOT NULL)"
q "INSERT INTO app VALUES (false, false, 0)"
PGAPPNAME=app psql -qAtX -d "$TESTDB" -c "DO \$\$ BEGIN
	LOOP
		UPDATE app SET n = n + 1;
		COMMIT;
		EXIT WHEN (SELECT stop FROM app);
		PERFORM pg_sleep(CASE WHEN (SELECT slow FROM app) THEN 0.1
		    ELSE 0.002 END);
	END LOOP;
   END \$\$" >app.out 2>&1 &
APP=$!; track $APP
writing() { [ "$(q "SELECT n > 20 FROM app")" = t ]; }
wait_until 30 writing
q "UPDATE slow SET on_ = true"
cat >migrations/20240104_000000_held.sql <<'EOF'
-- migrated:batch size=10 min_size=10 max_size=10 target=1s max_pause=1s
UPDATE items SET v = v + 1 WHERE id <= 600;
EOF
ctl --json --yes up >held.json 2>held.err &
UP=$!; track $UP
hpace() {	# hpace JQ-FILTER: as pace, over held.json
	jq -rcR "fromjson? | select(.data.phase == \"batch\") | .data.pace | $1" \
	    held.json
}
started() { [ -n "$(hpace '.batch')" ]; }
wait_until 60 started
q "UPDATE app SET slow = true"
behind() {	# the floor: one batch's time at least (the rest: a quarter)
	[ -n "$(hpace 'select(.reason == "application behind: fewer writes than before" and .pause_ms >= .ms and .pause_ms > 0)')" ]
}
wait_until 60 behind
q "UPDATE app SET slow = false"
last=$(hpace '.batch' | tail -n 1)
wait $UP
is "behind: up completes" "$?" 0
q "UPDATE app SET stop = true"
wait $APP
is "application: its loop ended cleanly" "$?" 0
at=$(hpace 'select(.reason == "application behind: fewer writes than before") | .batch' | head -n 1)
ok "writing as before: the pause went down again" test \
    "$(hpace "select(.batch > $last) | .pause_ms" | sort -n | head -n 1)" \
    -lt "$(hpace '.pause_ms' | sort -n | tail -n 1)"
is "behind: its rate under 19/20 of the baseline" \
    "$(hpace "select(.batch == $at) | .rate * 20 < .base_rate * 19")" true
# once it writes again, a window holds the size until it is found at its
# rate; or, when the window that finds the backfill idle enough still has
# it behind (on a loaded machine the application may not get back to its
# old rate in time), its baseline comes down to what it asks for now
base0=$(hpace "select(.batch == $at) | .base_rate")
caught() {
	[ -n "$(hpace 'select(.batch > '"$at"' and (.reason == "application not caught up yet: size held" or .base_rate < '"$base0"')) | .batch')" ]
}
ok "catching up: batches held until a window finds it at its rate, or the baseline lowered" \
    caught
ok "behind: a pause while it was, longer than the rest" test \
    "$(hpace 'select(.pause_ms > .ms / 4 + 1) | .batch' | wc -l)" -gt 0
is "behind: the size never changed" "$(hpace '.size' | sort -u)" 10
is "behind: rows updated" "$(q "SELECT count(*) FILTER (WHERE v = 4) || ',' ||
    count(*) FILTER (WHERE v = 3) FROM items")" "200,400"

# --- the application slower: more of its sessions busy than before ------
# batches of exactly 10 rows (100 ms) again, and nothing else running
# before the first: three sessions that start a statement (pg_sleep)
# once the backfill has begun are three more busy sessions than before;
# the pacer pauses, and once they are cancelled the pause goes down.
cat >migrations/20240105_000000_busy.sql <<'EOF'
-- migrated:batch size=10 min_size=10 max_size=10 target=1s max_pause=200ms
UPDATE items SET v = v + 1 WHERE id <= 600;
EOF
ctl --json --yes up >busy.json 2>busy.err &
UP=$!; track $UP
bpace() {	# bpace JQ-FILTER: as pace, over busy.json
	jq -rcR "fromjson? | select(.data.phase == \"batch\") | .data.pace | $1" \
	    busy.json
}
bstarted() { [ -n "$(bpace '.batch')" ]; }
wait_until 60 bstarted
for i in 1 2 3; do
	PGAPPNAME=busy psql -qAtX -d "$TESTDB" -c "SELECT pg_sleep(600)" \
	    >/dev/null 2>&1 &
	track $!
done
SLOWER="application slower: more of its sessions busy than before"
slower() {
	[ -n "$(bpace "select(.reason == \"$SLOWER\" and .pause_ms >= .ms and .pause_ms > 0)")" ]
}
wait_until 60 slower
is "slower: the sessions cancelled" "$(q "SELECT count(pg_cancel_backend(pid))
    FROM pg_stat_activity WHERE application_name = 'busy'")" 3
last=$(bpace '.batch' | tail -n 1)
wait $UP
is "slower: up completes" "$?" 0
at=$(bpace "select(.reason == \"$SLOWER\") | .batch" | head -n 1)
is "slower: its mean over half a session above the baseline" \
    "$(bpace "select(.batch == $at) | .busy > .base_busy + 0.5")" true
is "slower: nothing else was busy before the first batch" \
    "$(bpace 'select(.batch == 1) | .base_busy == 0')" true
ok "as busy as before: the pause went down again" test \
    "$(bpace "select(.batch > $last) | .pause_ms" | sort -n | head -n 1)" \
    -lt "$(bpace '.pause_ms' | sort -n | tail -n 1)"
is "slower: the size never changed" "$(bpace '.size' | sort -u)" 10
is "slower: rows updated" "$(q "SELECT count(*) FILTER (WHERE v = 5) || ',' ||
    count(*) FILTER (WHERE v = 4) FROM items")" "200,400"

kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
