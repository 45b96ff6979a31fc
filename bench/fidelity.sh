#!/usr/bin/env bash
# bench/fidelity.sh SCHEMA.sql [NAME] - issue 13 on a real application
# schema: apply SCHEMA.sql (a pg_dump -s, a Rails structure.sql, ...) with
# psql to a throwaway cluster, then plan bench/fidelity/NAME/models (the
# modelled tables, with their index and key options) and
# bench/fidelity/NAME/models_plain (the same without the options) against
# it.  Prints, for the modelled tables only, every planned change of each;
# the first must be empty, the second must list each option.
#
#   bench/fidelity.sh /path/to/pkgsite/db-schema.sql pkgsite
#   bench/fidelity.sh /path/to/scportal/dbname.sql scportal
#
# pkgsite: golang/pkgsite's db-schema.sql (DESC keys, text_pattern_ops);
# scportal: pije76/scportal's dbname.sql, a Django app's pg_dump (foreign
# keys DEFERRABLE INITIALLY DEFERRED, varchar_pattern_ops "_like"
# indexes).  Results on PostgreSQL 15: pkgsite 0 changes with the options,
# 4 refused without; scportal 0 changes with, 2 safe ALTER CONSTRAINT and
# 3 refused without.
set -eu
cd "$(dirname "$0")/.."
SQL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
NAME=${2:-pkgsite}
D=$PWD/bench/fidelity/$NAME
MIGRATED=$PWD/${BUILD:-build}/migrated
[ -x "$MIGRATED" ] || { echo "fidelity: build first (make)" >&2; exit 1; }
. tests/lib/cluster.sh

W=$(mktemp -d /tmp/migrated-fidelity.XXXXXX)
chmod 755 "$W"
trap 'cluster_stop; rm -rf "$W"' EXIT
cluster_start "$W/pg" >/dev/null
mkdir -p "$W/migrations"
psql -qAtX -c "CREATE DATABASE app" >/dev/null
# pg_dump output names roles that do not exist here: skip OWNER lines
grep -v ' OWNER TO ' "$SQL" | psql -qAtX -v ON_ERROR_STOP=1 -d app >/dev/null
echo "applied $(basename "$SQL"): $(psql -qAtX -d app -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'") tables, $(psql -qAtX -d app -c "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'") indexes"

tables=$(sed -n 's/^table: *//p' "$D"/models/*.yaml | paste -sd'|')
names=$(grep -ho 'name: [A-Za-z0-9_]*' "$D"/models/*.yaml | cut -d' ' -f2 | paste -sd'|')
mine="^-- [a-z]+: [a-z ]+ public\.(($tables)[. :]|($names):)"
for m in models models_plain; do
	out=$("$MIGRATED" --database "dbname=app" --models "$D/$m" \
	    --migrations "$W/migrations" --plan 2>&1) || true
	lines=$(printf '%s\n' "$out" | grep -E "$mine" || true)
	echo "== $m: $(printf '%s\n' "$lines" | grep -c . || true) changes on the modelled tables"
	[ -n "$lines" ] && printf '%s\n' "$lines"
	echo "   elsewhere (the tables not modelled):"
	printf '%s\n' "$out" | grep -E '^-- [a-z0-9 ]+: ' |
	    grep -vE "$mine|^-- plan:|^--   hint:" |
	    sed -E 's/^-- ([a-z0-9 ]+): ([a-z ]+) .*/\1 \2/' | sort | uniq -c
	printf '%s\n' "$out" | grep '^-- plan:' || printf '%s\n' "$out" | tail -n 3
done
