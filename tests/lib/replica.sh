# replica.sh - two PostgreSQL servers of one cluster with streaming
# replication, for the switchover tests.  Source it after testlib.sh
# (poll) and cluster.sh (PGBIN, cluster_as_owner), then:
#
#   rep_primary DIR NODE     initdb DIR/NODE and start it as the primary
#   rep_standby DIR FROM TO  base backup of FROM into DIR/TO (-R: its
#                            primary_conninfo), start it, wait until FROM
#                            streams to it synchronously
#   rep_promote DIR NODE     pg_ctl promote, wait until it takes writes
#   rep_stop DIR NODE MODE   pg_ctl stop -m MODE (fast, immediate)
#   rep_port DIR NODE        its port; its socket directory is DIR/NODE/sock
#   rep_psql DIR NODE ...    psql on it
#   rep_cleanup DIR          stop what runs, remove DIR
#
# Each server listens on a Unix socket only (in DIR/NODE/sock) and on a
# free port number.  The primary names every standby synchronous
# (synchronous_standby_names = '*'), so a commit it acknowledged is on the
# standby: what the switchover test checks relies on that.

rep_port() { cat "$1/$2/port"; }
rep_psql() {
	_d=$1 _n=$2; shift 2
	"$PGBIN/psql" -h "$_d/$_n/sock" -p "$(rep_port "$_d" "$_n")" \
	    -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"
}

# rep_start DIR NODE: start DIR/NODE/data on a free port
rep_start() {
	_try=0
	while [ $_try -lt 20 ]; do
		_try=$((_try + 1))
		_port=$(( (RANDOM * 32768 + RANDOM) % 30000 + 20000 ))
		if cluster_as_owner "$PGBIN/pg_ctl" -D "$1/$2/data" \
		    -l "$1/$2/server.log" -w -t 60 -o "-k $1/$2/sock -p $_port \
		    -c listen_addresses='' -c fsync=off -c max_connections=60 \
		    -c shared_buffers=32MB -c wal_keep_size=256MB" \
		    start >/dev/null 2>&1; then
			echo "$_port" >"$1/$2/port"
			return 0
		fi
		grep -q "Address already in use\|could not bind\|could not create lock file" \
		    "$1/$2/server.log" 2>/dev/null || {
			echo "replica: $2 failed to start:" >&2
			tail -n 20 "$1/$2/server.log" >&2
			return 1
		}
	done
	echo "replica: no free port for $2" >&2
	return 1
}

rep_mkdir() {	# rep_mkdir DIR NODE: an empty node folder for postgres
	rm -rf "${1:?}/$2"
	mkdir -p "$1/$2/sock"
	chmod 755 "$1" "$1/$2"
	chmod 1777 "$1/$2/sock"
	[ "$(id -u)" -ne 0 ] || chown postgres: "$1" "$1/$2"
}

rep_primary() {
	rep_mkdir "$1" "$2"
	cluster_as_owner "$PGBIN/initdb" -D "$1/$2/data" -U postgres \
	    --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
	    >"$1/$2/initdb.log" 2>&1 || {
		cat "$1/$2/initdb.log" >&2
		return 1
	}
	rep_start "$1" "$2"
}

rep_standby() {	# rep_standby DIR FROM TO
	rep_mkdir "$1" "$3"
	cluster_as_owner "$PGBIN/pg_basebackup" -h "$1/$2/sock" \
	    -p "$(rep_port "$1" "$2")" -U postgres -D "$1/$3/data" -R \
	    -X stream -c fast --no-sync >"$1/$3/basebackup.log" 2>&1 || {
		cat "$1/$3/basebackup.log" >&2
		return 1
	}
	# the standby's own settings come from the command line (rep_start)
	rm -f "$1/$3/data/postmaster.pid"
	rep_start "$1" "$3" || return 1
	rep_psql "$1" "$2" -d postgres -c "ALTER SYSTEM SET \
	    synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" \
	    >/dev/null || return 1
	poll 60 rep_syncing "$1" "$2" || {
		echo "replica: $3 does not stream from $2" >&2
		return 1
	}
}

# rep_syncing DIR NODE: NODE has one standby streaming synchronously
rep_syncing() {
	[ "$(rep_psql "$1" "$2" -d postgres -c "SELECT count(*) FROM \
	    pg_stat_replication WHERE state = 'streaming' AND sync_state = \
	    'sync'")" = 1 ]
}

rep_promote() {	# rep_promote DIR NODE
	cluster_as_owner "$PGBIN/pg_ctl" -D "$1/$2/data" -w -t 60 promote \
	    >/dev/null || return 1
	# the old primary's synchronous_standby_names came with the base
	# backup: a new primary without a standby must not wait for one
	rep_psql "$1" "$2" -d postgres -c "ALTER SYSTEM RESET \
	    synchronous_standby_names" -c "SELECT pg_reload_conf()" >/dev/null
}

rep_stop() {	# rep_stop DIR NODE MODE
	[ -f "$1/$2/data/postmaster.pid" ] || return 0
	cluster_as_owner "$PGBIN/pg_ctl" -D "$1/$2/data" -m "$3" -w -t 60 \
	    stop >/dev/null 2>&1
}

rep_cleanup() {	# rep_cleanup DIR
	[ -d "${1:-}" ] || return 0
	for _n in "$1"/*/; do
		[ -f "$_n/data/postmaster.pid" ] || continue
		cluster_as_owner "$PGBIN/pg_ctl" -D "$_n/data" -m immediate \
		    -w stop >/dev/null 2>&1
	done
	rm -rf "$1"
}
