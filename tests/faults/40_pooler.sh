# 40_pooler.sh - a pgbouncer in transaction mode put between migrated and
# the database, idle and loaded: a start with tier-1 work and an `up` are
# refused before anything is locked or changed; no advisory lock is left
# on any pooled server connection; a daemon pointed at PostgreSQL directly
# then gets the lock at once and applies; the invariants hold.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
. "$(dirname "$0")/lib.sh" 2>/dev/null || . "$OLDPWD/tests/faults/lib.sh"

mkdir -p m migrations
printf 'table: t\ncolumns:\n  id: { type: int, primary_key: true }\n' >m/t.yaml
printf 'CREATE TABLE t2 (id int);\n' >migrations/20260101000001_t2.sql
rnd rr 2
if ! pgb_start pool "$rr"; then
	_fail "pgbouncer runs (make deps installs it)"
	exit 0
fi
advisory() { q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"; }
# the audit table exists (refusals are audited, by design)
mkdir -p empty
fd_start a "$TESTDB" empty empty
fd_ready a
fd_stop "$DPID"
before=$(schema_snapshot --exclude-table-data=migrated_audit)
for pool in tx1 tx20; do
	rnd load 3
	[ "$load" -gt 0 ] && pgb_load "$pool" "$load"
	fault "a transaction pool ($pool, $load other clients) on a start with tier-1 work"
	out=$(timeout 60 "$MIGRATED" --database "$(pgb_db "$pool")" --models m \
	    --migrations migrations --socket "$T/p.sock" 2>&1); rc=$?
	inv "$pool: refused (exit 78)" "$rc" 78
	like "$pool: says why" "$out" "a pooler in transaction mode is in between"
	inv "$pool: no advisory lock left" "$(advisory)" 0
	inv "$pool: nothing changed" \
	    "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"
	pgb_unload
done

# the same models are in place: a daemon through the pool has nothing to
# do at start, then `up` needs the lock
ok "tier 1 applied directly" "$MIGRATED" --database "dbname=$TESTDB" \
    --models m --migrations empty --once
before=$(schema_snapshot --exclude-table-data=migrated_audit)
fd_start p "$(pgb_db tx20)" m migrations
inv_ok "through the pool: ready (nothing to lock)" fd_ready p
fault "up through a transaction pool"
out=$(fctl p up 2>&1)
like "up: refused" "$out" "a pooler in transaction mode is in between"
inv "up: no advisory lock left" "$(advisory)" 0
inv "up: nothing changed" \
    "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"
inv_ok "up: the daemon keeps running" kill -0 "$DPID"
fd_stop "$DPID"

fd_start d "$TESTDB" m migrations
inv_ok "direct: ready" fd_ready d
t0=$(_ms)
inv_ok "direct: up completes" fctl d up
echo "  direct up: $(( $(_ms) - t0 )) ms"
unlike "direct: no wait for a lock" "$(cat "$T/d.log")" "waiting|another migrated"
inv "direct: status = check = the database" \
    "$(agree d "$TESTDB" migrations)" ""
inv_ok "direct: audit chain verifies" audit_ok d
fd_stop "$DPID"
pgb_stop
faults_end
