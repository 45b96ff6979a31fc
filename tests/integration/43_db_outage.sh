# 43_db_outage.sh - PostgreSQL goes away while the daemon is busy: status
# says so at once, not when the running job next reaches the database
# (its listening connection sees the server close it); an operation cut
# off mid-way is audited as failed once the database is back, even when
# migrated itself was killed meanwhile (the entry waits in its state
# folder), and status and check show the file truthfully (dirty with the
# error, or pending) until the next `up` completes it.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
. "$OLDPWD/tests/lib/cluster.sh"

mkdir -p models migrations state
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
PGOPTS="-k $CLUSTER_DIR/sock -p $PGPORT -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c shared_buffers=64MB"
pg_up() {
	cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" \
	    -l "$CLUSTER_DIR/server.log" -w -t 30 -o "$PGOPTS" start >/dev/null
}
pg_down() {	# pg_down MODE
	cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m "$1" -w \
	    stop >/dev/null
}
trap 'pg_isready -q || pg_up' EXIT
start() {	# start [ARGS...]: the daemon, DPID
	"$MIGRATED" --database "dbname=$TESTDB" --models models \
	    --migrations migrations --socket "$SOCK" "$@" >>daemon.log 2>&1 &
	DPID=$!; track $DPID
}

# --- busy: a batched backfill sleeps between batches --------------------
cat >migrations/20240101_000000_items.sql <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);
INSERT INTO items (id) SELECT g FROM generate_series(1, 3) g;
SQL
cat >migrations/20240102_000000_backfill.sql <<'SQL'
-- migrated:batch size=1 pause=20s
UPDATE items SET v = 1 WHERE v = 0;
SQL
start
ok "ready" ctl wait-ready --timeout 30
ok "first file applied" ctl up --to 20240101_000000
ctl up >up1.out 2>&1 &
UP=$!; track $UP
batch_done() { [ "$(q "SELECT count(*) FROM items WHERE v = 1")" -ge 1 ]; }
wait_until 30 batch_done
ok "busy with up, between two batches" status_says "$SOCK" \
    "d['data']['busy']['op'] == 'up'"
pg_down fast
# the job sleeps 20 s more: the answer must not wait for it
ok "status: unavailable while up still runs" poll 10 status_says "$SOCK" \
    "not d['data']['database']['available'] and d['data']['busy'] is not None"
like "STATUS line says so" "$(ctl --json status)" \
    '"status":"database unavailable since '
like "the cause is the server's" "$(ctl --json status)" \
    '"error":"terminating connection due to administrator command'
pg_up
wait $UP
is "the cut-off up fails (exit 1)" "$?" 1
ok "the database is back" poll 60 status_says "$SOCK" \
    "d['data']['database']['available'] and d['data']['busy'] is None and d['data']['jobs'] == 0"
row=$(q "SELECT action || '|' || target || '|' || ok || '|' || error FROM migrated_audit WHERE target = '20240102_000000_backfill' AND NOT ok")
like "audited as failed once back" "$row" \
    "^tier2\.fail\|20240102_000000_backfill\|false\|.*recorded once it was back"
st=$(ctl --json status)
like "status: the file is dirty, with why" "$st" \
    '"dirty":\[\{"name":"20240102_000000_backfill".*"error":"[^"]*recorded once it was back'
fails_with "check agrees: not clean (exit 3)" 3 ctl check
ok "the next up resumes and completes" ctl up
is "every row updated once" "$(q "SELECT count(*) FROM items WHERE v = 1")" 3
ok "status and check: clean" ctl check
kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0

# --- cut off, then migrated killed before the database is back ----------
cat >migrations/20240103_000000_slow.sql <<'SQL'
CREATE TABLE slow (id int);
SELECT pg_sleep(60);
SQL
start --state-dir "$T/state"
ok "ready (with a state folder)" ctl wait-ready --timeout 30
ctl up >up2.out 2>&1 &
UP=$!; track $UP
sleeping() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%'")" -ge 1 ]; }
wait_until 30 sleeping
pg_down immediate
wait $UP
is "the cut-off up fails (exit 1)" "$?" 1
ok "the failure waits in the state folder" \
    poll 30 grep -q '"target":"20240103_000000_slow"' state/pending-audit.json
kill -KILL $DPID; wait $DPID 2>/dev/null
pg_up
is "no audit row yet" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE target = '20240103_000000_slow'")" 0
start --state-dir "$T/state"
ok "a new migrated: ready" ctl wait-ready --timeout 30
row=$(q "SELECT action || '|' || ok || '|' || error FROM migrated_audit WHERE target = '20240103_000000_slow'")
like "it audited the failure the killed one kept" "$row" \
    "^tier2\.fail\|false\|.*\(at [0-9T:-]+Z, while the database went away; recorded once it was back\)"
ok "the state file is gone once written" test ! -e state/pending-audit.json
ok "status: the file is pending (nothing of it applied)" \
    pending_has "$SOCK" 20240103_000000_slow
is "nothing of it applied" "$(q "SELECT to_regclass('slow') IS NULL")" t
fails_with "check agrees (exit 3)" 3 ctl check
ok "audit chain intact" ctl audit verify
sed -i 's/pg_sleep(60)/pg_sleep(0)/' migrations/20240103_000000_slow.sql
ok "the next up completes" ctl up
ok "check: clean" ctl check
kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
