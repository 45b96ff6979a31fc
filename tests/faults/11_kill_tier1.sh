# 11_kill_tier1.sh - kill -9 of the daemon at random points of its first
# start on a cold database (tier 1 creates a schema, two enums and fifteen
# tables with keys, checks and indexes).  After each kill: nothing half
# made (what is left to do is a part of what there was to do: whole
# changes only), then the next start converges (ready, in sync, check
# clean), every index valid, the audit chain verifies, `up` completes.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
. "$(dirname "$0")/lib.sh" 2>/dev/null || . "$OLDPWD/tests/faults/lib.sh"

KILLS=${FAULT_T1_KILLS:-10}
mkdir -p m migrations
cp "$OLDPWD/models/"*.yaml m/	# the sample auth service
printf 'enums:\n  shop.state: [new, paid, shipped]\n' >m/00_enums.yaml
for i in $(seq 12); do
	{
		printf 'table: shop.t%d\ncolumns:\n' "$i"
		printf '  id: { type: bigint, primary_key: true }\n'
		[ "$i" -gt 1 ] &&
		    printf '  parent: { type: bigint, references: shop.t%d }\n' $((i - 1))
		printf '  name: { type: text, not_null: true, unique: true, check: "name <> '"''"'" }\n'
		printf '  state: { type: shop.state, not_null: true, default: "'"'new'"'" }\n'
		printf '  made: { type: timestamptz, not_null: true, default: now() }\n'
		printf 'indexes:\n  - [name, made]\n  - { columns: ["lower(name)"] }\n'
	} >"m/t$i.yaml"
done

plan() {	# plan DB: the changes tier 1 would make, one line each
	"$MIGRATED" --database "dbname=$1" --models m --migrations migrations \
	    --plan 2>&1 | grep '^-- ' | grep -v -e '^-- plan:' -e '^-- no changes'
}
cold=$(plan "$TESTDB")
like "cold plan: 18 changes" "$(printf '%s\n' "$cold" | grep -c '^-- safe:')" '^18$'

# how long a start on a cold database takes here: the kills fall inside
fq postgres "CREATE DATABASE \"${TESTDB}_cal\""
t0=$(_ms)
fd_start cal "${TESTDB}_cal" m migrations
fd_ready cal
T1_MS=$(( $(_ms) - t0 ))
fd_stop "$DPID"
fq postgres "DROP DATABASE \"${TESTDB}_cal\""
[ "$T1_MS" -gt 999 ] && T1_MS=999
echo "  cold start: ${T1_MS} ms here"

for i in $(seq "$KILLS"); do
	db="${TESTDB}_$i"; name=k$i; L="tier 1 #$i"
	fq postgres "CREATE DATABASE \"$db\""
	rnd p 1000; d=$(( T1_MS * p / 1000 ))
	fd_start "$name" "$db" m migrations
	sleep "$(printf '0.%03d' "$d")"	# fault timing only
	fd_kill9 "$DPID"
	# what the killed daemon's open transaction held is rolled back once
	# its backend sees the connection gone
	poll 60 sh -c "[ \"\$(psql -qAtX -d '$db' -c \"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'migrated%'\")\" = 0 ]"
	left=$(plan "$db")
	nleft=$(printf '%s\n' "$left" | grep -c '^-- safe:')
	fault "kill -9 ${d} ms ($p/1000) into a cold start ($((18 - nleft)) of 18 changes made)"
	extra=$(printf '%s\n' "$left" | grep -vxF -f <(printf '%s\n' "$cold"))
	inv "$L: left to do is a part of the cold plan" "$extra" ""
	fd_start "$name" "$db" m migrations
	inv_ok "$L: the next start is ready" fd_ready "$name"
	inv_ok "$L: check is clean" fctl "$name" check
	inv "$L: status = check = the database" "$(agree "$name" "$db" migrations)" ""
	inv "$L: nothing left to do" "$(plan "$db" | grep -c '^-- safe:')" 0
	inv "$L: no invalid index" "$(invalid_indexes "$db")" 0
	inv_ok "$L: audit chain verifies" audit_ok "$name"
	inv_ok "$L: up completes" fctl "$name" up
	fd_stop "$DPID"
	fq postgres "DROP DATABASE \"$db\" WITH (FORCE)"
done
faults_end
