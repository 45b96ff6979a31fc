# 51_lock_timeout.sh - an enhancement that cannot get its lock within its
# retries, through the real daemon: `migratectl up` fails cleanly (exit 1,
# the lock, the table and the number of tries named), every retry and the
# failure are in the audit table, nothing is applied or left dirty, the
# application's open transaction is untouched and commits afterwards, the
# application's other queries were never held up longer than one
# lock_timeout, and `up` succeeds once the lock is free.
# (The runner's own unit test, test_runner's test_lock_timeout_fails_cleanly,
# checks the same in core/ without the daemon.)
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

cat >models/hot.yaml <<'EOF'
table: hot
columns:
  id: { type: int, primary_key: true }
  v:  int
EOF
cat >cfg.yaml <<EOF
database: "dbname=$TESTDB"
models: models
migrations: migrations
socket: $SOCK
timeouts: { lock: 2s, lock_retries: 5, retry_backoff: 100ms }
EOF
"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "daemon ready" ctl wait-ready --timeout 30
q "INSERT INTO hot SELECT g, 0 FROM generate_series(1, 100) g"

# the file's header overrides the configured 2 s and 5 retries
cat >migrations/20240101_000000_add_w.sql <<'EOF'
-- migrated:lock_timeout=300ms
-- migrated:lock_retries=2
ALTER TABLE hot ADD COLUMN IF NOT EXISTS w int;
EOF
echo "ALTER TABLE hot DROP COLUMN IF EXISTS w;" \
    >migrations/20240101_000000_add_w_rollback.sql

# the application: a transaction that has written to hot and stays open
mkfifo app.in
psql -qAtX -v ON_ERROR_STOP=1 -d "$TESTDB" <app.in >app.out 2>&1 &
APID=$!; track $APID
exec 3>app.in
echo "BEGIN; INSERT INTO hot VALUES (1000, 1); SELECT 'open';" >&3
wait_until 30 grep -q open app.out
is "application transaction open" "$(cat app.out)" open
# Compared before and after: everything but the audit rows (and their
# sequence), the tracking table (the first up creates it; checked below)
# and the rows of hot, which the application's load updates meanwhile.
snap() {
	schema_snapshot --exclude-table-data=migrated_audit \
	    --exclude-table-data=hot --exclude-table=migrated_versions |
	    grep -v "'public.migrated_audit_id_seq'"
}
before=$(snap)

# meanwhile the application's other sessions keep reading and writing,
# each statement with a 1 s statement_timeout
(
	end=$(( $(ms_now) + 2500 ))
	while [ "$(ms_now)" -lt "$end" ]; do
		t0=$(ms_now)
		PGOPTIONS="-c statement_timeout=1000" psql -qAtX -d "$TESTDB" \
		    -c "UPDATE hot SET v = v + 1 WHERE id = 7" \
		    -c "SELECT v FROM hot WHERE id = 8" >/dev/null 2>>load.err ||
		    echo "failed" >>load.err
		echo $(( $(ms_now) - t0 )) >>load.ms
	done
) &
LPID=$!; track $LPID

t0=$(ms_now)
out=$(ctl up 2>&1); rc=$?
t1=$(ms_now)
wait $LPID
is "up: exit 1" "$rc" 1
like "up: file, line and column; the table and the tries named" "$out" \
    "error: migrations/20240101_000000_add_w.sql:3:1: cannot apply '20240101_000000_add_w': lock timeout on \"hot\" after 3 tries"
like "up: detail names the statement and the lock_timeout" "$out" \
    "detail: statement 1 of 1 waited 300 ms for its lock"
like "up: hint points at the blocking transaction" "$out" \
    "hint: .*pg_stat_activity"
like "up: each retry was shown" "$out" "lock timeout, retry 2 of 2"
like "up: gave up after 3 tries of 300 ms with backoff ($((t1 - t0)) ms)" \
    "$(( t1 - t0 >= 900 && t1 - t0 < 5000 ))" 1
is "audit: two retries then the failure" "$(q "SELECT string_agg(action
    || ':' || ok, ',' ORDER BY id) FROM migrated_audit
    WHERE action LIKE 'lock.%' OR action LIKE 'tier2.%'")" \
    "lock.retry:false,lock.retry:false,tier2.fail:false"
like "audit: the failure row keeps SQLSTATE and message" "$(q "SELECT
    sqlstate || ' ' || error FROM migrated_audit WHERE action = 'tier2.fail'")" \
    "^55P03 .*lock timeout"
is "audit: the failure names who asked" "$(q "SELECT actor || ' ' || uid
    FROM migrated_audit WHERE action = 'tier2.fail'")" "peer $(id -u)"
is "tracking: no row, so nothing applied or dirty" "$(q "SELECT count(*)
    FROM migrated_versions")" 0
is "schema and data unchanged" "$(snap)" "$before"
is "the application's other queries: none failed" \
    "$(cat load.err 2>/dev/null)" ""
ok "the application's other queries ran during the retries" \
    test "$(wc -l <load.ms)" -ge 3
max=$(sort -n load.ms | tail -n 1)
like "the application's queries waited at most one lock_timeout (max ${max} ms)" \
    "$(( max < 900 ))" 1
like "status still answers and shows it pending" "$(ctl status)" \
    "20240101_000000"

# the application's transaction was not touched: it goes on and commits
echo "INSERT INTO hot VALUES (1001, 1); COMMIT; SELECT 'committed';" >&3
exec 3>&-
wait $APID
is "application transaction commits" "$(cat app.out)" "open
committed"
is "both of its rows are there" "$(q "SELECT count(*) FROM hot
    WHERE id IN (1000, 1001)")" 2

# once the lock is free, the same up goes through
ok "up after the lock is gone" ctl up
is "column added" "$(q "SELECT count(*) FROM pg_attribute
    WHERE attrelid = 'hot'::regclass AND attname = 'w'")" 1
is "applied, not dirty" "$(q "SELECT dirty FROM migrated_versions
    WHERE version = '20240101_000000'")" f

kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0

# --- a run of files: the configured timeout holds for each of them -----
# A run of sixteen files or more sets the configured timeouts once for
# its session instead of in each file's transaction (core/db.h,
# db_session_timeouts): a file after sixteen that cannot change the
# session still waits at most the configured lock_timeout, and so does
# one after a file that set its own for the session (its reset puts the
# configured one back).
mkdir -p m2
cp migrations/*.sql m2/
# sixteen files at least (runner_script.c, RUN_SESSION_MIN)
for i in $(seq 1 16); do
	printf 'CREATE TABLE plain_%s (id int);\n' $i \
	    >m2/$(printf '20240102_%06d' $((i - 1)))_plain$i.sql
done
cat >m2/20240103_000000_blocked.sql <<'EOF2'
ALTER TABLE hot ADD COLUMN IF NOT EXISTS x int;
EOF2
cat >once.yaml <<EOF2
database: "dbname=$TESTDB"
models: models
migrations: m2
timeouts: { lock: 300ms, lock_retries: 0 }
EOF2
mkfifo app2.in
psql -qAtX -v ON_ERROR_STOP=1 -d "$TESTDB" <app2.in >app2.out 2>&1 &
APID=$!; track $APID
exec 3>app2.in
echo "BEGIN; INSERT INTO hot VALUES (2000, 1); SELECT 'open';" >&3
wait_until 30 grep -q open app2.out
t0=$(ms_now)
out=$(timeout 60 "$MIGRATED" -c once.yaml --once --up 2>&1); rc=$?
t1=$(ms_now)
is "run: exit 1" "$rc" 1
like "run: the second file gave up at its lock timeout ($((t1 - t0)) ms)" \
    "$out" "lock timeout on \"hot\" after 1 try"
like "run: within a few of its 300 ms" "$(( t1 - t0 < 20000 ))" 1
is "run: the files before applied, not the blocked one" "$(q "SELECT
    count(*) || ' ' || max(version) FROM migrated_versions")" \
    "17 20240102_000015"
for i in $(seq 1 16); do
	printf 'CREATE TABLE sets_%s (id int);\n' $i \
	    >m2/$(printf '20240102_%06d' $((i + 15)))_sets$i.sql
done
printf 'CREATE TABLE sets_last (id int);\nSET lock_timeout = 0;\n' \
    >m2/20240102_000099_sets_last.sql
t0=$(ms_now)
out=$(timeout 60 "$MIGRATED" -c once.yaml --once --up 2>&1); rc=$?
t1=$(ms_now)
is "after a file that set its own: exit 1" "$rc" 1
like "after a file that set its own: the configured one again" "$out" \
    "lock timeout on \"hot\" after 1 try"
echo "ROLLBACK;" >&3
exec 3>&-
wait $APID
ok "run: goes through once the lock is free" "$MIGRATED" -c once.yaml \
    --once --up
