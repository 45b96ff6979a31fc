# 62_backfill_nice.sh - a file with a paced batch line runs at a lower CPU
# priority: the daemon gives its server backend the nice value of
# timeouts.batch_nice (19 by default) for the whole file, index builds
# included, says so in a "pace" event, and gives it back at the end (and
# on failure), with the server's max_parallel_maintenance_workers.  Not
# done, and said why, when the server is reached over TCP (not certainly
# on this host); not done with batch_nice: 0 or for a fixed pace.  A bad
# batch_nice is refused with the field.  The nice value is read from /proc
# while the backfill runs (slowed by a trigger that sleeps while a switch
# is on); no timing is asserted.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
config() {	# config DATABASE [TIMEOUTS-LINE]
	printf 'database: "%s"\nmodels: models\nmigrations: migrations\nsocket: %s\n' \
	    "$1" "$SOCK" >cfg.yaml
	[ -z "${2:-}" ] || printf 'timeouts:\n  %s\n' "$2" >>cfg.yaml
}
start() {
	"$MIGRATED" -c cfg.yaml >>daemon.log 2>&1 &
	DPID=$!; track $DPID
	ok "daemon ready ($1)" ctl wait-ready --timeout 30
}
stop() { kill -TERM $DPID; wait $DPID; }
nice_of() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $17 }'; }
migration() {	# migration NAME BATCH-LINE: a file that updates every row
	printf '%s\nUPDATE items SET v = v + 1;\n' "$2" >"migrations/$1.sql"
}

q "CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)"
q "INSERT INTO items (id) SELECT g FROM generate_series(1, 400) g"
q "CREATE TABLE slow (on_ boolean NOT NULL, pid int, workers text)"
q "INSERT INTO slow VALUES (true, NULL, NULL)"
q "CREATE FUNCTION items_slow() RETURNS trigger LANGUAGE plpgsql AS
   \$\$BEGIN
	UPDATE slow SET pid = pg_backend_pid(),
	    workers = current_setting('max_parallel_maintenance_workers');
	IF (SELECT on_ FROM slow) THEN PERFORM pg_sleep(0.005); END IF;
	RETURN NEW;
   END\$\$"
q "CREATE TRIGGER items_slow BEFORE UPDATE ON items FOR EACH ROW
   EXECUTE FUNCTION items_slow()"
# the server's own nice value: its postmaster's (the checkpointer's parent)
PM=$(q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
BASE=$(nice_of "$(sed 's/.*) //' "/proc/$PM/stat" | awk '{ print $2 }')")
WORKERS=$(q "SHOW max_parallel_maintenance_workers")

# --- a bad value: the field named, the daemon does not start -------------
for v in 20 -1 high; do
	config "dbname=$TESTDB" "batch_nice: $v"
	out=$("$MIGRATED" -c cfg.yaml -n 2>&1)
	is "batch_nice: $v refused" "$?" 1
	like "batch_nice: $v names the field" "$out" "timeouts.batch_nice"
done

# --- paced, on the Unix socket: nice 19 while it runs, then back ---------
config "dbname=$TESTDB"
start "default"
printf '%s\n%s\n' \
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS items_v_idx ON items (v);" \
    "-- migrated:batch size=20 target=200ms" >migrations/20240101_000000_fill.sql
echo "UPDATE items SET v = v + 1;" >>migrations/20240101_000000_fill.sql
ctl --json --yes up >up.json 2>up.err &
UP=$!; track $UP
filling() { [ -n "$(q "SELECT pid FROM slow")" ]; }
wait_until 60 filling
BK=$(q "SELECT pid FROM slow")
during=$(nice_of "$BK")
during_workers=$(q "SELECT workers FROM slow")
q "UPDATE slow SET on_ = false"
wait $UP
is "up completes" "$?" 0
note=$(jq -r 'select(.data.phase == "pace") | .data.message' up.json | head -n 1)
if [[ $note == *"no CAP_SYS_NICE"* ]]; then
	skip "not allowed to give a priority back here: $note"
else
	is "the pace event names the backend" "$note" \
	    "server backend $BK at nice 19 until the file ends, index builds without parallel workers"
	is "nice 19 while the file ran" "$during" 19
	is "no parallel index build workers while it ran" "$during_workers" 0
	is "the backend's priority back afterwards" "$(nice_of "$BK")" "$BASE"
	is "the pace event comes before the first statement" \
	    "$(jq -r 'select(.data.phase == "pace" or .data.phase == "statement") | .data.phase' up.json | head -n 1)" pace
fi
is "every row updated once" "$(q "SELECT count(*) FILTER (WHERE v = 1) FROM items")" 400

# --- a failed file gives the priority back too ---------------------------
printf -- '-- migrated:batch size=100\nUPDATE items SET v = v / 0;\n' \
    >migrations/20240102_000000_broken.sql
out=$(ctl --yes up 2>&1)
is "the failing file fails" "$?" 1
like "text: the pace line" "$out" "pace up broken: server backend [0-9]+ at nice 19"
BK=$(echo "$out" | sed -n 's/.*server backend \([0-9]*\) at nice.*/\1/p')
ok "the batch ran in a backend ($BK)" test -n "$BK"
is "its priority back after the failure" "$(nice_of "$BK")" "$BASE"
rm migrations/20240102_000000_broken.sql
out=$(ctl --yes forget 20240102_000000 2>&1) ||
    q "DELETE FROM migrated_versions WHERE version = '20240102_000000'"

# --- a fixed pace: left as it is -------------------------------------------
migration 20240103_000000_fixed "-- migrated:batch size=100 pause=0ms"
q "UPDATE slow SET pid = NULL"
ctl --json --yes up >fixed.json
is "fixed: up" "$?" 0
is "fixed: no pace event" "$(jq -r 'select(.data.phase == "pace")' fixed.json | wc -l)" 0
is "fixed: the server's parallel workers" "$(q "SELECT workers FROM slow")" "$WORKERS"
stop

# --- batch_nice: 0 -----------------------------------------------------------
config "dbname=$TESTDB" "batch_nice: 0"
start "batch_nice: 0"
migration 20240104_000000_off "-- migrated:batch size=100"
q "UPDATE slow SET pid = NULL"
ctl --json --yes up >off.json
is "batch_nice 0: up" "$?" 0
is "batch_nice 0: no pace event" "$(jq -r 'select(.data.phase == "pace")' off.json | wc -l)" 0
is "batch_nice 0: the backend as it was" "$(nice_of "$(q "SELECT pid FROM slow")")" "$BASE"
stop

# --- over TCP: not certainly this host's server, said so -------------------
config "host=127.0.0.1 port=$PGPORT dbname=$TESTDB"
start "TCP"
migration 20240105_000000_tcp "-- migrated:batch size=100"
q "UPDATE slow SET pid = NULL"
ctl --json --yes up >tcp.json
is "TCP: up" "$?" 0
is "TCP: the pace event says why not" \
    "$(jq -r 'select(.data.phase == "pace") | .data.message' tcp.json)" \
    "server backend's priority left as it is: the server is not on a Unix socket of this host"
is "TCP: the backend as it was" "$(nice_of "$(q "SELECT pid FROM slow")")" "$BASE"
is "all applied" "$(q "SELECT v FROM items WHERE id = 1")" 4
stop
is "daemon exits 0" "$?" 0
