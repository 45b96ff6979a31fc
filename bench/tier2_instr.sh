#!/usr/bin/env bash
# tier2_instr.sh [N1 N2] BUILD... - the server's instructions a migration file.
#
# Wall clock on a shared 2-core machine swings by a third between identical
# runs; instruction counts do not.  This runs a PostgreSQL 15 server under
# valgrind's callgrind (every backend counted, autovacuum off), applies N
# files (the tier-2 benchmark's: a table, an index, a comment) with
# `psql -f` and one BEGIN/COMMIT a file (the floor), then with each BUILD's
# daemon (`migratectl up`), and prints the instructions of the backends
# that did it.  Done for N1 (default 50) and N2 (default 250) files: the
# difference over N2 - N1 is a file's, the start-up's share gone.
# Under valgrind every file takes some 50 times longer, so what runs on a
# timer (the daemon's loop announces a run's files every 100 ms) counts
# more here than at full speed.  So does planning: under callgrind the
# daemon's backend re-plans its prepared records (tracking row, audit
# lock, audit row) about once a file, where pg_stat_statements at full
# speed counts 6 plans for 400 files; the daemon's figure is high by that.
# Needs valgrind; takes a few minutes.
set -eu
N1=50; N2=250
if [ "$#" -ge 2 ] && [ "$1" -eq "$1" ] 2>/dev/null; then N1=$1; N2=$2; shift 2; fi
[ "$#" -ge 1 ] || set -- build
cd "$(dirname "$0")/.."
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
command -v valgrind >/dev/null || { echo "tier2_instr.sh: needs valgrind" >&2; exit 1; }

run() {	# run N BUILD...: "floor TOTAL" and "BUILD TOTAL" lines
	local n=$1 W vp port k b db dp pids
	shift
	W=$(mktemp -d /dev/shm/tier2-instr.XXXXXX)
	mkdir -p "$W/sock" "$W/cg" "$W/mig" "$W/models"
	chmod 755 "$W"; chmod 1777 "$W/sock" "$W/cg"
	[ "$(id -u)" -ne 0 ] || chown postgres "$W"
	as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
	as_owner "$PGBIN/initdb" -D "$W/data" -U postgres --auth=trust \
	    -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
	port=$(( $(od -An -N4 -tu4 /dev/urandom) % 30000 + 20000 ))
	as_owner valgrind --tool=callgrind \
	    --callgrind-out-file="$W/cg/%p.out" "$PGBIN/postgres" -D "$W/data" \
	    -k "$W/sock" -p "$port" -c listen_addresses= -c fsync=on \
	    -c autovacuum=off >"$W/server.log" 2>&1 &
	vp=$!
	export PGHOST=$W/sock PGPORT=$port PGUSER=postgres PGDATABASE=postgres
	for k in $(seq 1 120); do "$PGBIN/pg_isready" -q -t 1 && break; sleep 1; done
	printf '\\o %s\nSELECT pg_backend_pid();\n\\o\n' "$W/floor.pid" >"$W/floor.sql"
	for k in $(seq 1 "$n"); do
		body="CREATE TABLE t_$k (id bigint PRIMARY KEY, v text);
CREATE INDEX t_${k}_v ON t_$k (v);
COMMENT ON TABLE t_$k IS 'bench table $k';"
		printf '%s\n' "$body" >"$W/mig/$(printf '2024%04d_%06d' 101 "$k")_t$k.sql"
		printf 'BEGIN;\n%s\nCOMMIT;\n' "$body" >>"$W/floor.sql"
	done
	ir() {	# the instructions of the backends named, once they exited
		local s=0 p f i
		for p in "$@"; do
			f=$W/cg/$p.out
			for i in $(seq 1 600); do
				[ -s "$f" ] && grep -q '^totals:' "$f" && break
				sleep 0.2
			done
			s=$((s + $(awk '/^totals:/ {print $2}' "$f")))
		done
		echo "$s"
	}
	psql -qAtX -c "CREATE DATABASE floor" >/dev/null
	psql -qAtX -d floor -v ON_ERROR_STOP=1 -f "$W/floor.sql" >/dev/null
	echo "floor $(ir "$(cat "$W/floor.pid")")"
	k=0
	for b in "$@"; do
		k=$((k + 1)); db=mig$k
		psql -qAtX -c "CREATE DATABASE $db" >/dev/null
		"$b/migrated" --database "dbname=$db" --models "$W/models" \
		    --migrations "$W/mig" --socket "$W/s.sock" 2>"$W/d$k.log" &
		dp=$!
		"$b/migratectl" -s "$W/s.sock" wait-ready --timeout 600 >/dev/null
		pids=$(psql -qAtX -c "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE datname = '$db'")
		"$b/migratectl" -s "$W/s.sock" up >/dev/null 2>&1
		kill "$dp"; wait "$dp" || true
		# shellcheck disable=SC2086
		echo "$b $(ir $pids)"
	done
	kill "$vp"; wait "$vp" 2>/dev/null || true
	rm -rf "$W"
}

BUILDS=()
for b in "$@"; do BUILDS+=("$(cd "$b" && pwd)"); done
run "$N1" "${BUILDS[@]}" >/tmp/tier2-instr.$$.1
run "$N2" "${BUILDS[@]}" >/tmp/tier2-instr.$$.2
echo "server instructions a file (the difference of $N2 and $N1 files over $((N2 - N1))):"
paste -d' ' /tmp/tier2-instr.$$.1 /tmp/tier2-instr.$$.2 | awk -v d=$((N2 - N1)) \
    '{printf "  %-40s %8.3fM\n", $1, ($4 - $2) / d / 1e6}'
rm -f /tmp/tier2-instr.$$.1 /tmp/tier2-instr.$$.2
