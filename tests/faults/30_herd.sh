# 30_herd.sh - sixteen daemons on one cold database, started at once (each
# with tier-1 work: one applies, the others wait for the lock and find
# nothing left), then `up` on all sixteen at once (tier-2 files, one of
# them with CREATE INDEX CONCURRENTLY).  Every change is made and audited
# once, nothing is dirty or invalid, every daemon's check is clean, the
# audit chain verifies; with FAULT_STRICT=1 every daemon's status also
# agrees with its check at once (issue 12 item 3).
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
. "$(dirname "$0")/lib.sh" 2>/dev/null || . "$OLDPWD/tests/faults/lib.sh"

N=16
mkdir -p m migrations
cp "$OLDPWD/models/"*.yaml m/
cat >migrations/20260101000001_herd.sql <<'SQL'
CREATE TABLE herd (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO herd SELECT g, g % 10 FROM generate_series(1, 20000) g;
SQL
cat >migrations/20260101000002_herd_idx.sql <<'SQL'
CREATE INDEX CONCURRENTLY herd_v ON herd (v);
CREATE INDEX CONCURRENTLY users_created ON users (created_at);
SQL
cat >migrations/20260101000003_herd_more.sql <<'SQL'
ALTER TABLE herd ADD COLUMN w int NOT NULL DEFAULT 0;
SQL

pids=""
for i in $(seq $N); do
	fd_start "h$i" "$TESTDB" m migrations
	pids="$pids $DPID"
done
fault "$N daemons start at once on a cold database"
for i in $(seq $N); do
	inv_ok "daemon $i: ready" fd_ready "h$i"
done
inv "tier 1: each change made once" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE action LIKE 'tier1.%' AND ok GROUP BY action, target HAVING count(*) > 1")" ""
inv "tier 1: the tables are there" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname IN ('users', 'activity_logs', 'social_accounts') AND relkind = 'r'")" 3

ups=""
for i in $(seq $N); do
	fctl "h$i" up >"$T/h$i.up" 2>&1 &
	ups="$ups $!"; track $!
done
fault "$N times up at once"
failed=0
for p in $ups; do wait "$p" || failed=$((failed + 1)); done
# a daemon that met the lock taken answers busy (exit 1) or waits and
# then finds nothing to do; none may fail otherwise
bad=$(grep -L -e '^done up' -e '^nothing to do' \
    -e 'another migration is running' "$T"/h*.up)
inv "up: every answer is done, nothing to do or busy" "$bad" ""
inv "up: applied once each, nothing dirty" \
    "$(q "SELECT string_agg(version || ':' || dirty, ' ' ORDER BY version) FROM $(tracking_table)")" \
    "20260101000001:false 20260101000002:false 20260101000003:false"
inv "up: audited once each" \
    "$(q "SELECT string_agg(target || ':' || count, ' ' ORDER BY target) FROM (SELECT target, count(*) FROM migrated_audit WHERE action = 'tier2.apply' AND ok GROUP BY target) x")" \
    "20260101000001_herd:1 20260101000002_herd_idx:1 20260101000003_herd_more:1"
inv "up: rows once" "$(q "SELECT count(*), count(DISTINCT id) FROM herd")" "20000|20000"
inv "up: no invalid index" "$(invalid_indexes "$TESTDB")" 0
for i in $(seq $N); do
	inv_ok "daemon $i: check is clean" poll 30 fctl "h$i" check
done
inv_ok "audit chain verifies" audit_ok h1

# one daemon applies a new file; every other one's check sees it at once,
# and (FAULT_STRICT=1) so does its status
printf 'CREATE TABLE herd_late (id int);\n' >migrations/20260101000004_late.sql
for i in $(seq $N); do
	poll 30 pending_has "$T/h$i.sock" 20260101000004_late
done
inv_ok "the next up completes" fctl h7 up
# (before any other command: a daemon's own check refreshes its status)
if strict "every daemon's status agrees with its check at once"; then
	for i in $(seq $N); do
		# status alone (agree's own check would refresh it)
		poll 5 status_says "$T/h$i.sock" \
		    "not d['data']['enhancements']['pending']"
		inv "daemon $i: status = check = the database" \
		    "$(agree "h$i" "$TESTDB" migrations)" ""
	done
fi
for i in $(seq $N); do
	inv_ok "daemon $i: check is clean after another's up" fctl "h$i" check
done
for p in $pids; do fd_stop "$p"; done
faults_end
