# 63_backfill_busy_seen.sh - the application's busy sessions as an
# adaptive backfill sees them, through the real daemon under a role of
# its own.  Without pg_read_all_stats another role's sessions show no
# state: the signal is off, and every batch event says busy -1 and
# base_busy -1 (not a measured 0); the sessions of its own role it sees.  Granted, they count, but only this
# database's and not migrated's own: a statement running in another
# database and one from a session named "migrated ..." leave the
# baseline at 0, one of the application's in this database is counted.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

R=mig_$TESTDB
mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
q "CREATE ROLE $R LOGIN; GRANT CREATE ON SCHEMA public TO $R;
   GRANT CREATE ON DATABASE $TESTDB TO $R" >/dev/null
cat >cfg.yaml <<EOF
database: "dbname=$TESTDB user=$R"
models: models
migrations: migrations
socket: $SOCK
EOF
q "CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);
   ALTER TABLE items OWNER TO $R" >/dev/null
q "INSERT INTO items (id) SELECT g FROM generate_series(1, 300) g"
"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "daemon ready" ctl wait-ready --timeout 30
pace() {	# pace FILE JQ-FILTER: the batch events' pace in FILE
	jq -rcR "fromjson? | select(.data.phase == \"batch\") | .data.pace | $2" \
	    "$1"
}

# --- not visible: the signal off, -1 ------------------------------------
# a session of the superuser running a statement all along, which the
# daemon's role cannot see
psql -qAtX -d "$TESTDB" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
track $!
sleeping() { [ "$(q "SELECT count(*) FROM pg_stat_activity
    WHERE query = 'SELECT pg_sleep(600)' AND state = 'active'")" = 1 ]; }
wait_until 30 sleeping
cat >migrations/20240101_000000_fill.sql <<'EOF'
-- migrated:batch size=30 min_size=30 max_size=30 target=1s max_pause=50ms
UPDATE items SET v = v + 1;
EOF
ctl --json --yes up >hidden.json 2>hidden.err
is "not visible: up completes" "$?" 0
ok "not visible: batches ran" test "$(pace hidden.json '.batch' | wc -l)" -ge 10
is "not visible: base_busy -1 in every event" \
    "$(pace hidden.json '.base_busy' | sort -u)" -1
is "not visible: busy -1 in every event" "$(pace hidden.json '.busy' | sort -u)" -1
is "not visible: rows updated" "$(q "SELECT count(*) FROM items WHERE v = 1")" 300
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
   WHERE query = 'SELECT pg_sleep(600)'" >/dev/null
gone() { [ "$(q "SELECT count(*) FROM pg_stat_activity
    WHERE query = 'SELECT pg_sleep(600)' AND state = 'active'")" = 0 ]; }
wait_until 30 gone

# --- not granted, but the application's role is migrated's: seen -------
PGUSER=$R psql -qAtX -d "$TESTDB" -c "SELECT pg_sleep(604)" >/dev/null 2>&1 &
track $!
own() { [ "$(q "SELECT count(*) FROM pg_stat_activity
    WHERE query = 'SELECT pg_sleep(604)' AND state = 'active'")" = 1 ]; }
wait_until 30 own
cat >migrations/20240101_000001_fill.sql <<'EOF'
-- migrated:batch size=30 min_size=30 max_size=30 target=1s max_pause=50ms
UPDATE items SET v = v + 1;
EOF
ctl --json --yes up >ownrole.json 2>ownrole.err
is "own role: up completes" "$?" 0
is "own role: the session seen (base_busy 1)" \
    "$(pace ownrole.json '.base_busy' | sort -u | head -n 1)" 1
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
   WHERE query = 'SELECT pg_sleep(604)'" >/dev/null

# --- granted: this database's sessions, not migrated's own --------------
q "GRANT pg_read_all_stats TO $R" >/dev/null
psql -qAtX -d postgres -c "SELECT pg_sleep(601)" >/dev/null 2>&1 &
track $!
PGAPPNAME="migrated other" psql -qAtX -d "$TESTDB" \
    -c "SELECT pg_sleep(602)" >/dev/null 2>&1 &
track $!
both() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
    AND query IN ('SELECT pg_sleep(601)', 'SELECT pg_sleep(602)')")" = 2 ]; }
wait_until 30 both
cat >migrations/20240102_000000_fill.sql <<'EOF'
-- migrated:batch size=30 min_size=30 max_size=30 target=1s max_pause=50ms
UPDATE items SET v = v + 1;
EOF
ctl --json --yes up >seen.json 2>seen.err
is "granted: up completes" "$?" 0
is "granted: another database's and migrated's own not counted" \
    "$(pace seen.json 'select(.batch == 1) | .base_busy == 0')" true
is "granted: measured, 0 in every event" \
    "$(pace seen.json '.base_busy' | sort -u)" 0
# one of the application's own in this database: counted
psql -qAtX -d "$TESTDB" -c "SELECT pg_sleep(603)" >/dev/null 2>&1 &
track $!
app() { [ "$(q "SELECT count(*) FROM pg_stat_activity
    WHERE query = 'SELECT pg_sleep(603)' AND state = 'active'")" = 1 ]; }
wait_until 30 app
cat >migrations/20240103_000000_fill.sql <<'EOF'
-- migrated:batch size=30 min_size=30 max_size=30 target=1s max_pause=50ms
UPDATE items SET v = v + 1;
EOF
ctl --json --yes up >app.json 2>app.err
is "application: up completes" "$?" 0
is "application: its session counted before the first batch" \
    "$(pace app.json 'select(.batch == 1) | .base_busy == 1')" true
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
   WHERE query LIKE 'SELECT pg_sleep(60%)'" >/dev/null
is "rows updated four times" "$(q "SELECT count(*) FROM items WHERE v = 4")" 300

kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
