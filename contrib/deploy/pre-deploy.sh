#!/bin/sh
# pre-deploy.sh - the schema steps of a deploy, before the new application
# release starts: validate, back up (optional), reload (optional), apply.
#
#   pre-deploy.sh [-s SOCKET | -n SERVICE] [--backup DIR] [--database CONNINFO]
#                 [--reload] [--dry-run]
#
# 1. migratectl validate     parse and lint every enhancement file; stop on
#                            an error (nothing is changed)
# 2. pg_dump -Fc             with --backup DIR: a custom-format dump to
#                            DIR/PREFIX-YYYYMMDDTHHMMSSZ.dump; stop if the
#                            dump fails (the partial file is removed)
# 3. migratectl reload       with --reload: rerun tier 1 with the new models
#                            (a release that changes models and enhancements
#                            needs the new columns before the enhancements)
# 4. migratectl up --yes     apply every pending enhancement
#
# Each step is a thin wrapper over migratectl(8) and stops the script with
# migratectl's exit status (1 failed, 2 usage, 4 daemon unreachable,
# 5 permission denied); a failed backup exits 1.  The database for pg_dump
# comes from --database, else DATABASE_URL, else libpq's PG* variables and
# service file; it is never printed (it may hold a password).
# Environment: MIGRATECTL (default: migratectl), PG_DUMP (default: pg_dump),
# BACKUP_PREFIX (default: the service name or "migrated").
set -u

MIGRATECTL=${MIGRATECTL:-migratectl}
PG_DUMP=${PG_DUMP:-pg_dump}
prog=pre-deploy
backup_dir='' database=${DATABASE_URL:-} reload=0 dry=0 service=''

usage() {
	echo "usage: $prog [-s SOCKET | -n SERVICE] [--backup DIR]" \
	    "[--database CONNINFO] [--reload] [--dry-run]" >&2
	exit 2
}
say() { echo "$prog: $*" >&2; }

set --  "$@" --end--
while [ "$1" != --end-- ]; do
	case $1 in
	-s|--socket)	[ "$2" != --end-- ] || usage
			set -- "$@" -s "$2"; shift 2 ;;
	-n)		[ "$2" != --end-- ] || usage
			service=$2; set -- "$@" -n "$2"; shift 2 ;;
	--backup)	[ "$2" != --end-- ] || usage
			backup_dir=$2; shift 2 ;;
	--database)	[ "$2" != --end-- ] || usage
			database=$2; shift 2 ;;
	--reload)	reload=1; shift ;;
	--dry-run)	dry=1; shift ;;
	-h|--help)	usage ;;
	*)		say "unknown argument '$1'"; usage ;;
	esac
done
shift	# --end--; what is left are the migratectl options

step() {	# step NAME COMMAND...: run, stop the script on failure
	_name=$1; shift
	say "$_name"
	"$@"
	_rc=$?
	if [ $_rc -ne 0 ]; then
		say "'$_name' failed (exit $_rc), deploy stopped"
		exit $_rc
	fi
}

backup() {
	_ts=$(date -u +%Y%m%dT%H%M%SZ)
	_file=$backup_dir/${BACKUP_PREFIX:-${service:-migrated}}-$_ts.dump
	mkdir -p "$backup_dir" || return 1
	if [ -e "$_file" ]; then
		say "backup file '$_file' already exists"
		return 1
	fi
	if [ -n "$database" ]; then
		"$PG_DUMP" -Fc -f "$_file" -d "$database"
	else
		"$PG_DUMP" -Fc -f "$_file"
	fi
	_rc=$?
	if [ $_rc -ne 0 ]; then
		rm -f "$_file"
		say "pg_dump failed (exit $_rc)"
		return 1
	fi
	say "backup written to '$_file'"
	echo "$_file"
}

step validate "$MIGRATECTL" "$@" validate
if [ -n "$backup_dir" ]; then
	step backup backup
fi
if [ $reload -eq 1 ]; then
	step reload "$MIGRATECTL" "$@" reload
fi
if [ $dry -eq 1 ]; then
	step "up --dry-run" "$MIGRATECTL" "$@" up --dry-run
else
	step "up" "$MIGRATECTL" "$@" --yes up
fi
say "schema steps done"
