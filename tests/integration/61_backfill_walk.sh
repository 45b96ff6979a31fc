# 61_backfill_walk.sh - a paced batched backfill walks the primary key
# while an application writes to the same table, through the real daemon,
# which is killed (SIGKILL) halfway and started again: every row that was
# there before is updated exactly once, and so is every row the
# application inserted ahead of the walk (into the gaps between keys, and
# past the last key there was); the application's own updates of the rows
# are all kept.  The walk resumes after the last batch committed, read
# from the tracking row.
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
# even keys 2..6000: the application inserts odd ones
q "CREATE TABLE g (id int PRIMARY KEY, v int NOT NULL, w int,
   bf int NOT NULL DEFAULT 0, app int NOT NULL DEFAULT 0, pos int)"
q "INSERT INTO g (id, v) SELECT 2 * i, i FROM generate_series(1, 3000) i"
q "CREATE TABLE app (stop boolean NOT NULL, updates int NOT NULL)"
q "INSERT INTO app VALUES (false, 0)"
# the backfill's updates take 0.5 ms a row: the walk lasts a few seconds
q "CREATE FUNCTION g_slow() RETURNS trigger LANGUAGE plpgsql AS
   \$\$BEGIN
	IF NEW.bf <> OLD.bf THEN PERFORM pg_sleep(0.0005); END IF;
	RETURN NEW;
   END\$\$"
q "CREATE TRIGGER g_slow BEFORE UPDATE ON g FOR EACH ROW
   EXECUTE FUNCTION g_slow()"
cat >migrations/20240101_000000_walk.sql <<'EOF'
-- migrated:batch size=20 max_size=20
UPDATE g SET w = v * 2, bf = bf + 1;
EOF
start() {
	"$MIGRATED" -c cfg.yaml >>daemon.log 2>&1 &
	DPID=$!; track $DPID
	ok "daemon ready" ctl wait-ready --timeout 30
}
start
ctl --json --yes up >up1.json 2>up1.err &
UP=$!; track $UP
has_tracking() { [ -n "$(tracking_table)" ]; }
wait_until 30 has_tracking
TRK=$(tracking_table)

# The application: one session that, every 2 ms, updates a row at random
# and, while the walk has a committed batch (its last key: pos) and is
# not past key 5000, inserts an odd key 1001 to 1201 ahead of it; the
# batch in flight spans at most max_size (20) keys, 40 of even ones.
PGAPPNAME=app psql -qAtX -d "$TESTDB" -c "DO \$\$
   DECLARE pos int; k int;
   BEGIN
	LOOP
		EXIT WHEN (SELECT stop FROM app);
		pos := (SELECT batch_key::int FROM $TRK
		    WHERE version = '20240101_000000' AND dirty);
		IF pos <= 5000 THEN
			INSERT INTO g (id, v, pos) VALUES (pos - pos % 2 + 1001
			    + 2 * (random() * 100)::int, 0, pos)
			    ON CONFLICT DO NOTHING;
		END IF;
		k := 2 * (1 + (random() * 2999)::int);
		UPDATE g SET app = app + 1 WHERE id = k;
		UPDATE app SET updates = updates + 1;
		COMMIT;
		PERFORM pg_sleep(0.002);
	END LOOP;
   END \$\$" >app.out 2>&1 &
APP=$!; track $APP

halfway() { [ "$(q "SELECT rows_done >= 1500 FROM $TRK")" = t ]; }
wait_until 120 halfway
kill -KILL $DPID; wait $DPID 2>/dev/null; wait $UP 2>/dev/null
gone() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity
	    WHERE application_name LIKE 'migrated%'")" = 0 ]
}
wait_until 30 gone
is "killed halfway: dirty" "$(q "SELECT dirty FROM $TRK")" t
is "killed halfway: no row updated twice" \
    "$(q "SELECT count(*) FROM g WHERE bf > 1")" 0
is "killed halfway: the rows done are those updated" \
    "$(q "SELECT rows_done = (SELECT count(*) FROM g WHERE bf = 1)
    FROM $TRK")" t

start
ok "resumed: up completes" ctl --yes up
q "UPDATE app SET stop = true"
wait $APP
is "application: its loop ended cleanly" "$?" 0
is "not dirty" "$(q "SELECT dirty FROM $TRK")" f
is "every row there before: updated exactly once" \
    "$(q "SELECT count(*) FILTER (WHERE bf = 1) || '/' || count(*)
    FROM g WHERE pos IS NULL")" "3000/3000"
ok "the application inserted ahead of the walk ($(q "SELECT count(*) FROM g
    WHERE pos IS NOT NULL")), some past the last key there was" \
    test "$(q "SELECT count(*) FROM g WHERE pos IS NOT NULL AND id > 6000")" -gt 0
is "every row inserted ahead of the walk: updated exactly once" \
    "$(q "SELECT count(*) FROM g WHERE pos IS NOT NULL AND bf <> 1")" 0
is "every row: w = v * 2" "$(q "SELECT count(*) FROM g
    WHERE w IS DISTINCT FROM v * 2")" 0
is "the application's updates all kept" \
    "$(q "SELECT sum(app) = (SELECT updates FROM app) FROM g")" t
kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
