# 64_backfill_baseline_early.sh - an adaptive backfill after another
# statement of its file takes its baselines before the file's first
# statement, while the application is as it was, through the real
# daemon.  The first statement waits on an advisory lock the test holds
# (an index build that makes the application wait); three of the
# application's sessions start a statement while it waits, and are still
# running when the batches start.  Taken at the batch, the busy baseline
# would be those three sessions; taken before the file it is 0, and the
# batches find the application slower.  A file whose first statement is
# the batch takes its baselines at the batch, as before (no event).  A
# file with two batches after a statement, the application writing:
# the baselines taken once, both batches measured against them.
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
q "INSERT INTO items (id) SELECT g FROM generate_series(1, 600) g"
# 5 ms a row: batches of 10 take 50 ms, and rate windows (0.2 s) end
q "CREATE FUNCTION items_slow() RETURNS trigger LANGUAGE plpgsql AS
   \$\$BEGIN PERFORM pg_sleep(0.005); RETURN NEW; END\$\$"
q "CREATE TRIGGER items_slow BEFORE UPDATE ON items FOR EACH ROW
   EXECUTE FUNCTION items_slow()"
"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "daemon ready" ctl wait-ready --timeout 30
pace() {	# pace FILE JQ-FILTER: the batch events' pace in FILE
	jq -rcR "fromjson? | select(.data.phase == \"batch\") | .data.pace | $2" \
	    "$1"
}
events() {	# events FILE: each event's phase and message, in order
	jq -rcR 'fromjson? | select(.type == "progress") |
	    "\(.data.phase) \(.data.message // "")"' "$1"
}

# the lock's holder: an idle session (not busy) fed through a fifo
mkfifo holder.in
PGAPPNAME=holder psql -qAtX -d "$TESTDB" <holder.in >holder.out 2>&1 &
HOLDER=$!; track $HOLDER
exec 3>holder.in
echo "SELECT pg_advisory_lock(4242);" >&3
held() { [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a
    USING (pid) WHERE l.locktype = 'advisory' AND l.objid = 4242 AND
    l.granted AND a.application_name = 'holder' AND a.state = 'idle'")" = 1 ]; }
wait_until 30 held

cat >migrations/20240101_000000_fill.sql <<'EOF'
SELECT pg_advisory_xact_lock(4242);
-- migrated:batch size=10 min_size=10 max_size=10 target=1s max_pause=200ms
UPDATE items SET v = v + 1 WHERE id <= 300;
EOF
ctl --json --yes up >up.json 2>up.err &
UP=$!; track $UP
waiting() { [ "$(q "SELECT count(*) FROM pg_locks WHERE locktype =
    'advisory' AND objid = 4242 AND NOT granted")" = 1 ]; }
# once the file waits on the lock: three of the application's sessions
# running a statement, then the lock let go
busy() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE
    application_name = 'busy' AND state = 'active'")" = 3 ]; }
busy_then_go() {
	wait_until 60 waiting
	for i in 1 2 3; do
		PGAPPNAME=busy psql -qAtX -d "$TESTDB" \
		    -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
		track $!
	done
	wait_until 30 busy
	echo "SELECT pg_advisory_unlock(4242);" >&3
}
cancel_then_end() {	# cancel_then_end LABEL: the sessions cancelled, up ends
	is "${1}the busy sessions cancelled" "$(q "SELECT count(
	    pg_cancel_backend(pid)) FROM pg_stat_activity WHERE
	    application_name = 'busy'")" 3
	wait $UP
	is "${1}up completes" "$?" 0
}
busy_then_go
# the three sessions seen by a window of the batches (which then pause)
seen() { [ -n "$(pace up.json 'select(.busy >= 3)')" ]; }
wait_until 60 seen
cancel_then_end ""
like "a pace event says the baselines were taken before the file" \
    "$(events up.json)" \
    "pace the application's baselines taken before the statements run, for the file's batches \(the first at line 3\)"
is "that event before the first statement's" \
    "$(events up.json | grep -n -m1 -E "^(pace the application's|statement)" | cut -d: -f2 | cut -d' ' -f1)" \
    pace
# (the test's own polls may be seen now and then: under one session)
b0=$(pace up.json 'select(.batch == 1) | .base_busy')
ok "the busy baseline is the application before the file ($b0 < 1)" \
    test "$(pace up.json 'select(.batch == 1) | .base_busy < 1')" = true
# slower than before, it paused (the reason on the batch that ended the
# window may be a slow probe instead: the probe is judged first); with
# no writes there is no rest, and 50 ms batches are far under the target
ok "the pacer paused for them ($(pace up.json 'select(.pause_ms > 0) | .reason' | sort -u | tr '\n' ';'))" \
    test -n "$(pace up.json 'select(.pause_ms > 0)')"
is "rows updated" "$(q "SELECT count(*) FILTER (WHERE v = 1) || ',' ||
    count(*) FILTER (WHERE v = 0) FROM items")" "300,300"

# --- a batch that is its file's first statement -------------------------
cat >migrations/20240102_000000_fill.sql <<'EOF'
-- migrated:batch size=10 min_size=10 max_size=10 target=1s max_pause=50ms
UPDATE items SET v = v + 1 WHERE id > 300;
EOF
ok "first statement: up" sh -c "'$MIGRATECTL' -s '$SOCK' --json --yes up >first.json 2>first.err"
unlike "first statement: no baselines taken before it" "$(events first.json)" \
    "baselines taken before"
is "first statement: batches measured" \
    "$(pace first.json 'select(.batch == 1) | .base_busy == 0')" true
is "first statement: rows updated" "$(q "SELECT count(*) FROM items WHERE v = 1")" 600

# --- two batches after a statement, the application writing -------------
# one session committing a row update every 2 ms (busy all along: one
# statement, a DO loop)
q "CREATE TABLE app (stop boolean NOT NULL, n int NOT NULL)"
q "INSERT INTO app VALUES (false, 0)"
PGAPPNAME=app psql -qAtX -d "$TESTDB" -c "DO \$\$ BEGIN
	LOOP
		UPDATE app SET n = n + 1;
		COMMIT;
		EXIT WHEN (SELECT stop FROM app);
		PERFORM pg_sleep(0.002);
	END LOOP;
   END \$\$" >app.out 2>&1 &
APP=$!; track $APP
writing() { [ "$(q "SELECT n > 20 FROM app")" = t ]; }
wait_until 30 writing
# between the two batches, the file waits on the lock again while three
# of the application's sessions start a statement: taken there, the
# second batch's busy baseline would count them
echo "SELECT pg_advisory_lock(4242);" >&3
wait_until 30 held
cat >migrations/20240103_000000_two.sql <<'EOF'
SELECT 1;
-- migrated:batch size=10 min_size=10 max_size=10 target=1s max_pause=50ms
UPDATE items SET v = v + 1 WHERE id <= 100;
SELECT pg_advisory_xact_lock(4242);
-- migrated:batch size=10 min_size=10 max_size=10 target=1s max_pause=50ms
UPDATE items SET v = v + 1 WHERE id > 500;
EOF
ctl --json --yes up >two.json 2>two.err &
UP=$!; track $UP
busy_then_go
first() {	# first STMT FIELD: of the statement's first batch
	jq -rcR "fromjson? | select(.data.phase == \"batch\" and
	    .data.stmt == $1 and .data.pace.batch == 1) | .data.pace.$2" two.json
}
second() { [ -n "$(first 4 batch)" ]; }
wait_until 60 second
cancel_then_end "two batches: "
q "UPDATE app SET stop = true" >/dev/null
wait $APP
is "two batches: the application's loop ended cleanly" "$?" 0
is "two batches: the baselines taken once" \
    "$(events two.json | grep -c "baselines")" 1
ok "two batches: a write baseline ($(first 2 base_rate)/s)" \
    test "$(first 2 base_rate)" -gt 0
is "two batches: the second batch's write baseline the first's" \
    "$(first 4 base_rate)" "$(first 2 base_rate)"
# the application's loop is busy all along: one session, and the polls
b2=$(first 4 base_busy)
ok "two batches: the second batch's busy baseline from before the file ($b2 < 2)" \
    test "$(first 4 'base_busy < 2')" = true
is "two batches: the first batch's too" "$(first 2 base_busy)" "$b2"
rated() {	# rated STMT: a window of the statement's batches measured
	jq -rcR "fromjson? | select(.data.phase == \"batch\" and
	    .data.stmt == $1 and .data.pace.rate >= 0) | .data.pace.batch" \
	    two.json | head -n 1
}
ok "two batches: the first batch's windows measured the rate" \
    test -n "$(rated 2)"
ok "two batches: and the second's" test -n "$(rated 4)"
is "two batches: rows updated" "$(q "SELECT count(*) FILTER (WHERE v = 2)
    FROM items WHERE id <= 100 OR id > 500")" 200

exec 3>&-
wait $HOLDER
kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
