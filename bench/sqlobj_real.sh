#!/usr/bin/env bash
# sqlobj_real.sh - the SQL objects of real applications (views,
# functions, procedures, triggers, policies) as model SQL files, planned
# against a database built from the applications' own DDL: the plan must
# have no change for any of them (models/README.md, "SQL objects").
#
# For each schema: apply the application's DDL with psql (src), pull the
# tables as YAML models (migrated --pull, its SQL files left out), write
# the SQL objects as a
# model SQL file, plan the folder against src and count the changes that
# concern SQL objects; then apply the folder to an empty database (dst)
# and apply it again (must be up to date), and count the objects there.
#
#   musicbrainz  the objects as its developers wrote them: admin/sql/
#                CreateFunctions.sql, CreateViews.sql, CreateTriggers.sql
#                (psql's \set and BEGIN/COMMIT and one CREATE AGGREGATE
#                taken out, "SET search_path TO musicbrainz, public" put
#                first, as InitDb.pl runs them)
#   gisia,       the objects as pg_dump -s prints them (a Rails
#   cratesio     structure.sql; Diesel migrations that replace their
#                functions and triggers over the years)
#
#   bench/sqlobj_real.sh [NAME...]   KEEP=1 keeps the work folder
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
MIRROR=${MIRROR:-/work/.mirror}
MIGRATED=$BUILD/migrated
. "$ROOT/tests/lib/cluster.sh"

SOURCES='
musicbrainz metabrainz/musicbrainz-server 11cd769a5935c243a48455bc3a21158179170368
gisia       Aionrhine/gisia               353d84d78361afe27a9b2642a2c3407585cfba7b
cratesio    rust-lang/crates.io           57fa000662f511321daa61e6769f190ea0e80771
'

[ -x "$MIGRATED" ] || { echo "build first: make" >&2; exit 1; }
W=$(mktemp -d /tmp/sqlobj_real.XXXXXX)
chmod 755 "$W"
cleanup() {
	cluster_stop >/dev/null 2>&1
	if [ "${KEEP:-0}" = 1 ]; then echo "work folder: $W" >&2
	else rm -rf "$W"; fi
}
trap cleanup EXIT
cluster_start "$W/pg" >/dev/null || exit 1

extract() {	# extract REPO COMMIT PATH...
	_git="$MIRROR/$(echo "$1" | tr / +)/repo"
	[ -d "$_git" ] || { echo "skip: fetch github:$1" >&2; return 1; }
	_c=$2; shift 2
	mkdir -p "$SRC"
	git --git-dir="$_git" archive "$_c" "$@" | tar -x -C "$SRC"
}

psqlf() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$2" >>"$LOG" 2>&1 || {
		echo "psql failed on $2, see $LOG" >&2; return 1; }
}

load_musicbrainz() {
	extract metabrainz/musicbrainz-server "$COMMIT" admin/sql || return 1
	psql -X -q -d "$1" -c "CREATE SCHEMA musicbrainz" || return 1
	for f in Extensions CreateCollations CreateTypes CreateTables \
	    CreatePrimaryKeys CreateSearchConfiguration CreateFunctions \
	    CreateIndexes CreateFKConstraints CreateConstraints CreateViews \
	    CreateTriggers; do
		PGOPTIONS="-c search_path=musicbrainz,public -c check_function_bodies=off" \
		    psqlf "$1" "$SRC/admin/sql/$f.sql" || return 1
	done
}

objects_musicbrainz() {
	echo "SET search_path TO musicbrainz, public;"
	for f in CreateFunctions CreateViews CreateTriggers; do
		python3 - "$SRC/admin/sql/$f.sql" <<'PY'
import re, sys
out, skip = [], False
for l in open(sys.argv[1]):
    if l.startswith('\\') or re.match(r'^(BEGIN|COMMIT);\s*$', l):
        continue
    if l.startswith('CREATE AGGREGATE'):
        skip = True
    if not skip:
        out.append(l)
    if skip and l.rstrip().endswith(');'):
        skip = False
sys.stdout.write(''.join(out))
PY
	done
}

load_gisia() {
	extract Aionrhine/gisia "$COMMIT" db/structure.sql || return 1
	psqlf "$1" "$SRC/db/structure.sql"
}

load_cratesio() {
	extract rust-lang/crates.io "$COMMIT" migrations || return 1
	for f in $(ls -d "$SRC"/migrations/*/ | while read -r d; do
	    v=$(basename "$d"); echo "$(echo "${v%%_*}" | tr -d -) $d"
	    done | sort | cut -d' ' -f2); do
		[ -f "$f/up.sql" ] || continue
		_one=-1
		grep -qs 'run_in_transaction *= *false' "$f/metadata.toml" &&
		    _one=
		psql -X -q -v ON_ERROR_STOP=1 $_one -d "$1" -f "$f/up.sql" \
		    >>"$LOG" 2>&1 || { echo "psql failed on $f" >&2; return 1; }
	done
}

# the SQL objects as pg_dump prints them: its sections of those types
objects_dump() {
	pg_dump -s --no-owner --no-privileges "$1" | python3 -c '
import re, sys
keep = ("FUNCTION", "PROCEDURE", "VIEW", "MATERIALIZED VIEW", "TRIGGER",
        "POLICY")
take = False
for l in sys.stdin:
    m = re.match(r"-- Name: .*; Type: ([A-Z ]+); Schema:", l)
    if m:
        take = m.group(1) in keep
        continue
    if take and not l.startswith("--") and not l.startswith("SET "):
        sys.stdout.write(l)
'
}
objects_gisia() { objects_dump "src_$NAME"; }
objects_cratesio() { objects_dump "src_$NAME"; }

# views, functions and procedures, triggers, policies of DB
count() {
	psql -X -At -F ' ' -d "$1" -c "
	  WITH sc AS (SELECT oid FROM pg_namespace WHERE nspname !~ '^pg_'
	    AND nspname NOT IN ('information_schema', '_migrated'))
	  SELECT (SELECT count(*) FROM pg_class WHERE relkind IN ('v', 'm')
	           AND relnamespace IN (SELECT oid FROM sc)),
	         (SELECT count(*) FROM pg_proc p WHERE prokind IN ('f', 'p')
	           AND pronamespace IN (SELECT oid FROM sc) AND NOT EXISTS
	           (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND
	            d.deptype = 'e')),
	         (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON
	           c.oid = t.tgrelid WHERE NOT tgisinternal AND
	           c.relnamespace IN (SELECT oid FROM sc)),
	         (SELECT count(*) FROM pg_policy)"
}

OBJ_KINDS='(view|materialized view|function|procedure|trigger|policy|row level security)'

one() {
	NAME=$1 COMMIT=$2
	D=$W/$NAME SRC=$W/src/$NAME LOG=$W/$NAME/psql.log
	mkdir -p "$D/mig"
	printf 'schema: _migrated\n' >"$D/config.yaml"
	createdb "src_$NAME" && createdb "dst_$NAME" || return 1
	"load_$NAME" "src_$NAME" || return 1
	"$MIGRATED" -c "$D/config.yaml" --database "dbname=src_$NAME" \
	    --pull "$D/models" >"$D/pull.out" 2>&1
	# --pull writes the SQL objects too (as pg_get_*def prints them):
	# this measures them as the application's developers wrote them
	rm -f "$D/models/"*.sql
	"objects_$NAME" >"$D/models/objects.sql" || return 1
	set -- $(count "src_$NAME")
	have="$1 views, $2 functions, $3 triggers, $4 policies"
	M() { "$MIGRATED" -c "$D/config.yaml" --models "$D/models" \
	    --migrations "$D/mig" "$@"; }
	M --database "dbname=src_$NAME" --plan >"$D/plan.txt" 2>&1 ||
	    { echo "$NAME: plan failed: $(tail -3 "$D/plan.txt")" >&2; return 1; }
	obj=$(grep -cE "^-- (safe|refused|drift): ([a-z]+ )?$OBJ_KINDS " \
	    "$D/plan.txt")
	grep -E "^-- (safe|refused|drift): ([a-z]+ )?$OBJ_KINDS " \
	    "$D/plan.txt" >"$D/objplan.txt"
	# the extensions the pull notes name, then the models from empty
	sed -n 's/^| extension | \([^.]*\)\.\([^ ]*\) |.*/CREATE EXTENSION IF NOT EXISTS "\2" WITH SCHEMA "\1";/p' \
	    "$D/models/PULL_NOTES.md" | psql -X -q -d "dst_$NAME" >>"$LOG" 2>&1
	M --database "dbname=dst_$NAME" --once >"$D/once1.txt" 2>&1
	rc1=$?
	M --database "dbname=dst_$NAME" --once >"$D/once2.txt" 2>&1
	again=$(grep -c "tier 1: up to date" "$D/once2.txt")
	set -- $(count "dst_$NAME")
	made="$1 views, $2 functions, $3 triggers, $4 policies"
	printf '| %s | %s | %s | %s | exit %s; %s | %s |\n' "$NAME" "$have" \
	    "$(grep -c '' "$D/models/objects.sql") lines" "$obj" "$rc1" \
	    "$made" "$([ "$again" = 1 ] && echo yes || echo no)"
}

echo "| schema | SQL objects in the source | model SQL | object changes planned against the source | from empty: --once; objects made | 2nd --once up to date |"
echo "|---|---|---|---|---|---|"
echo "$SOURCES" | while read -r name repo commit; do
	[ -n "$name" ] || continue
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	one "$name" "$commit" || echo "| $name | failed: see above |"
done
