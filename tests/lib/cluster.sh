# cluster.sh - a throwaway PostgreSQL cluster for tests, benchmarks and the
# demo.  Source it, then:
#
#   cluster_start DIR [fsync]   initdb into DIR/data, listen on a Unix socket
#                               in DIR/sock and on a free loopback port; sets
#                               PGHOST PGPORT PGUSER PGDATABASE CLUSTER_DIR
#   cluster_stop                stop the server and remove DIR
#   bench_workdir NAME          a benchmark's folder: sets W to a new
#                               migrated-NAME.XXXXXX under BENCH_TMP
#                               (default /dev/shm: a data directory there
#                               makes commits cost CPU, not disk; /tmp when
#                               that is not writable), exported as TMPDIR
#
# initdb refuses to run as root: as root the server runs as the unprivileged
# 'postgres' user (created by Debian's postgresql package) through runuser.

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
# psql, pg_dump and pgbench of that server's version, run as themselves:
# Debian's /usr/bin/psql is pg_wrapper, a Perl script that picks the
# version, which costs every call 35-50 ms on a slow host (a benchmark's
# psql floor included)
if [ -x "$PGBIN/psql" ]; then
	case ":$PATH:" in
	*":$PGBIN:"*) ;;
	*) PATH=$PGBIN:$PATH ;;
	esac
fi

cluster_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cluster_start() {
	CLUSTER_DIR=$1
	_fsync=${2:-off}
	mkdir -p "$CLUSTER_DIR/sock"
	chmod 755 "$CLUSTER_DIR"
	chmod 1777 "$CLUSTER_DIR/sock"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$CLUSTER_DIR"
	fi
	cluster_as_owner "$PGBIN/initdb" -D "$CLUSTER_DIR/data" -U postgres \
	    --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
	    >"$CLUSTER_DIR/initdb.log" 2>&1 || {
		echo "cluster: initdb failed, see $CLUSTER_DIR/initdb.log" >&2
		cat "$CLUSTER_DIR/initdb.log" >&2
		return 1
	}
	_try=0
	while [ $_try -lt 20 ]; do
		_try=$((_try + 1))
		# od, not $RANDOM: a /bin/sh (dash) has no RANDOM, and every
		# try would be port 20000
		PGPORT=$(( $(od -An -N4 -tu4 /dev/urandom) % 30000 + 20000 ))
		if cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" \
		    -l "$CLUSTER_DIR/server.log" -w -t 30 \
		    -o "-k $CLUSTER_DIR/sock -p $PGPORT -c listen_addresses=127.0.0.1 -c fsync=$_fsync -c max_connections=200 -c shared_buffers=64MB" \
		    start >/dev/null 2>&1; then
			break
		fi
		grep -q "Address already in use\|could not bind" \
		    "$CLUSTER_DIR/server.log" 2>/dev/null || {
			echo "cluster: server failed to start:" >&2
			tail -n 20 "$CLUSTER_DIR/server.log" >&2
			return 1
		}
		PGPORT=
	done
	[ -n "$PGPORT" ] || { echo "cluster: no free port" >&2; return 1; }
	export PGHOST="$CLUSTER_DIR/sock" PGPORT PGUSER=postgres \
	    PGDATABASE=postgres CLUSTER_DIR
	unset PGPASSWORD PGSERVICE DATABASE_URL
	"$PGBIN/pg_isready" -q -t 30 || {
		echo "cluster: not ready" >&2
		return 1
	}
}

cluster_stop() {
	[ -n "${CLUSTER_DIR:-}" ] || return 0
	if [ -f "$CLUSTER_DIR/data/postmaster.pid" ]; then
		cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate \
		    -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$CLUSTER_DIR"
	CLUSTER_DIR=
}

bench_workdir() {
	TMPDIR=${BENCH_TMP:-/dev/shm}
	[ -d "$TMPDIR" ] && [ -w "$TMPDIR" ] || TMPDIR=/tmp
	export TMPDIR
	W=$(mktemp -d "$TMPDIR/migrated-$1.XXXXXX") && chmod 755 "$W"
}

# A fresh database for one test file; prints its name.
cluster_createdb() {
	"$PGBIN/psql" -qAtX -d postgres -c "CREATE DATABASE \"$1\"" >/dev/null
}
