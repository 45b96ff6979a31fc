#!/bin/sh
# backup.sh DIR MIGRATECTL [OPTIONS] - pg_dump the daemon's own database
# (make migrate-backup).
#
# The connection comes from the daemon (`migratectl conninfo`: host, port,
# database and user, never a password; PGPASSWORD or ~/.pgpass supply one
# when needed), so the dump is of the database the daemon migrates, not of
# whatever DATABASE_URL says here.  The dump goes to DIR/PREFIXYYYYmmddTHHMMSSZ.dump
# (PREFIX: $BACKUP_PREFIX), written under a temporary name and renamed
# only when pg_dump succeeded: a failure leaves no file behind.  Extra
# pg_dump options in $PG_DUMP_FLAGS (e.g. --lock-wait-timeout=10s).
# Prints the file's name.
set -u
dir=$1; shift
conninfo=$("$@" conninfo) || exit 1
mkdir -p "$dir" || exit 1
f=$dir/${BACKUP_PREFIX:-}$(date -u +%Y%m%dT%H%M%SZ).dump
tmp=$f.part.$$
trap 'rm -f "$tmp"' EXIT
trap 'exit 130' INT TERM
# shellcheck disable=SC2086 # PG_DUMP_FLAGS: words on purpose
if pg_dump -Fc ${PG_DUMP_FLAGS:-} -f "$tmp" -d "$conninfo" &&
    [ -s "$tmp" ] && mv "$tmp" "$f"; then
	echo "$f"
	exit 0
fi
echo "migrate-backup: no backup written" >&2
exit 1
