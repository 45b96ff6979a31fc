# 10_kill_tier2.sh - kill -9 of the daemon at random points of tier-2
# files: (a) one transaction, (b) statement by statement with several
# CREATE INDEX CONCURRENTLY, (c) a batched backfill.  After each kill the
# daemon is started again (sometimes while the backend its predecessor
# left is still at work) and the invariants are checked: nothing half
# applied (the database against the tracking row), no backfilled row lost
# or done twice, status = check = the database, the audit chain verifies,
# and the next `up` completes with every index valid.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
. "$(dirname "$0")/lib.sh" 2>/dev/null || . "$OLDPWD/tests/faults/lib.sh"

KILLS=${FAULT_KILLS:-4}		# per kind
. "$(dirname "$0")/tier2.sh" 2>/dev/null || . "$OLDPWD/tests/faults/tier2.sh"

n=0
iteration() {	# iteration KIND I
	kind=$1; n=$((n + 1)); db="${TESTDB}_$kind$2"; name=k$kind$2
	fq postgres "CREATE DATABASE \"$db\" TEMPLATE \"$TESTDB\""
	fd_start "$name" "$db" models "mig_$kind"
	fd_ready "$name" || _fail "$name: ready"
	writer=""
	fctl "$name" up >"$T/$name.up" 2>&1 &
	up=$!; track $up
	case $kind in
	tx)	rnd p 1000; d=$(( TX_MS * p / 1000 )); ms_sleep "$d"
		what="after $d ms ($p/1000 of its time here)" ;;
	cic)	rnd k 4; k=$((k + 1)); rnd d 400
		poll 60 started "$db" "$k"
		# CREATE INDEX CONCURRENTLY waits for the application's
		# open transactions: half the time one is open at the kill
		rnd w 2; [ "$w" = 0 ] && hold_writer_on "$db"
		ms_sleep "$d"
		what="$d ms into statement $k${writer:+, an application transaction open}" ;;
	fill)	rnd r "$ROWS"; poll 60 rows_past "$db" "$r"
		what="after $r rows" ;;
	esac
	fd_kill9 "$DPID"
	wait "$up" 2>/dev/null
	left=$(fq "$db" "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'migrated%'")
	open=$(fq "$db" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'migrated%' AND xact_start IS NOT NULL")
	at=$(row "$db" "CASE WHEN dirty THEN 'dirty at statement ' || stmt_done || ', ' || rows_done || ' rows' ELSE 'applied' END")
	[ "$open" -gt 0 ] && at="${at:+$at, }a transaction of it open"
	fault "kill -9 during the $kind file, $what (${at:-no trace of it})"
	if [ -n "$writer" ]; then	# the application's transaction ends
		fq "$db" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%held writer%' AND pid <> pg_backend_pid()" >/dev/null
		wait "$writer" 2>/dev/null
	fi
	# half the time the backends the killed daemon left end first; else
	# the next daemon starts and applies beside them
	rnd w 2
	if [ "$w" = 0 ] && [ -n "$left" ]; then
		poll 120 sh -c "[ \"\$(psql -qAtX -d '$db' -c \"SELECT count(*) FROM pg_stat_activity WHERE pid IN ($left)\")\" = 0 ]"
	fi
	fd_start "$name" "$db" models "mig_$kind"
	fd_ready "$name" || _fail "$name: ready again"
	verify "$kind" "$db" "$name" "$kind #$2"
	fd_stop "$DPID"
	fq postgres "DROP DATABASE \"$db\" WITH (FORCE)"
}

# how long `up` of the one-transaction file takes here: its kills fall
# inside
fq postgres "CREATE DATABASE \"${TESTDB}_cal\" TEMPLATE \"$TESTDB\""
fd_start cal "${TESTDB}_cal" models mig_tx
fd_ready cal
t0=$(_ms)
fctl cal up >/dev/null 2>&1
TX_MS=$(( $(_ms) - t0 ))
fd_stop "$DPID"
fq postgres "DROP DATABASE \"${TESTDB}_cal\""
[ "$TX_MS" -gt 999 ] && TX_MS=999
[ "$TX_MS" -lt 50 ] && TX_MS=50
echo "  one-transaction file: ${TX_MS} ms here"

for i in $(seq "$KILLS"); do
	for kind in tx cic fill; do iteration "$kind" "$i"; done
done
faults_end
