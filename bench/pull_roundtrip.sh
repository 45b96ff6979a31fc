#!/bin/sh
# pull_roundtrip.sh - `migrated --pull` on the schemas of real open-source
# applications (README "Pull: models from an existing database").
#
# For each schema: apply the application's own DDL with psql to a database
# (src), pull a models folder from it, apply the folder to an empty
# database (dst) with --once (its extensions included; no change may fail),
# apply it again (must be 0 statements), plan the folder against src
# (must have no safe or refused change; drift only for objects the notes
# list), and compare `pg_dump -s` of src and dst statement by statement.
#
#   bench/pull_roundtrip.sh [NAME...]    default: all of them
#   KEEP=1 keeps the work folder (models, dumps, plans) and prints its path
#
# The sources are read from the repository snapshots the project fetches
# into /work/.mirror (MIRROR=...), at the commits named below; a missing
# snapshot is skipped with a message saying what to fetch.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
MIRROR=${MIRROR:-/work/.mirror}
MIGRATED=$BUILD/migrated
. "$ROOT/tests/lib/cluster.sh"

# name  repository  commit  ORM / tool
SOURCES='
musicbrainz metabrainz/musicbrainz-server 11cd769a5935c243a48455bc3a21158179170368 hand-written_SQL_(Perl)
gisia       Aionrhine/gisia               353d84d78361afe27a9b2642a2c3407585cfba7b Rails_structure.sql
documenso   documenso/documenso           75330166cc00b29c14399bc2e391e4b4d8080c00 Prisma_migrations
cratesio    rust-lang/crates.io           57fa000662f511321daa61e6769f190ea0e80771 Diesel_migrations
ente        ente-io/ente                  a621d733154a834f23754e7e874de769be532d9d golang-migrate
synapse     element-hq/synapse            a58ad44eb0ce3cc14153f921206f322e17339dc5 Synapse_schema_files_(Python)
lago        getlago/lago-api              1b1c24a6a6c321d7900b05906bf1b20f706c97c2 Rails_structure.sql
temporal    temporalio/temporal           6805caea59e35d0611ed96be69641b8d86bff11c hand-written_SQL_(Go)
lemmy       LemmyNet/lemmy                e9d49b7b49f4751b924263fdebfc1af2a387eda9 Diesel_migrations
supabase    supabase/auth                 bc32168e13fdc928c98b449fc76bc3fdb9a293c5 pop_migrations_(Go)
danbooru    danbooru/danbooru             06587d1f933502ae5d749c967787d44be3938846 Rails_structure.sql
osm         openstreetmap/openstreetmap-website 9da0fa5ecbff8adc5e6e91c7cf22546755a91f77 Rails_structure.sql
'

[ -x "$MIGRATED" ] || { echo "build first: make" >&2; exit 1; }
W=$(mktemp -d /tmp/pull_roundtrip.XXXXXX)
chmod 755 "$W"
cleanup() {
	cluster_stop >/dev/null 2>&1
	if [ "${KEEP:-0}" = 1 ]; then echo "work folder: $W" >&2
	else rm -rf "$W"; fi
}
trap cleanup EXIT
cluster_start "$W/pg" >/dev/null || exit 1

# extract REPO COMMIT PATH...: the paths of a snapshot into $W/src/NAME
extract() {
	_git="$MIRROR/$(echo "$1" | tr / +)/repo"
	if [ ! -d "$_git" ]; then
		echo "skip: no snapshot of $1 in $MIRROR (fetch github:$1)" >&2
		return 1
	fi
	_c=$2; shift 2
	mkdir -p "$SRC"
	git --git-dir="$_git" archive "$_c" "$@" 2>>"$LOG" | tar -x -C "$SRC"
}

psqlf() {	# psqlf DB FILE: one file, stop at the first error
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$2" >>"$LOG" 2>&1 || {
		echo "psql failed on $2, see $LOG" >&2; return 1; }
}

load_musicbrainz() {
	extract metabrainz/musicbrainz-server "$COMMIT" admin/sql || return 1
	psql -X -q -d "$1" -c "CREATE SCHEMA musicbrainz" || return 1
	# InitDb.pl's order for the main schema (375 tables)
	for f in Extensions CreateCollations CreateTypes CreateTables \
	    CreatePrimaryKeys CreateSearchConfiguration CreateFunctions \
	    CreateIndexes CreateFKConstraints CreateConstraints CreateViews \
	    CreateTriggers; do
		PGOPTIONS="-c search_path=musicbrainz,public -c check_function_bodies=off" \
		    psqlf "$1" "$SRC/admin/sql/$f.sql" || return 1
	done
}

load_gisia() {
	extract Aionrhine/gisia "$COMMIT" db/structure.sql || return 1
	psqlf "$1" "$SRC/db/structure.sql"
}

load_documenso() {
	extract documenso/documenso "$COMMIT" packages/prisma/migrations ||
	    return 1
	for f in $(ls -d "$SRC"/packages/prisma/migrations/*/ | sort); do
		psqlf "$1" "$f/migration.sql" || return 1
	done
}

load_cratesio() {
	extract rust-lang/crates.io "$COMMIT" migrations || return 1
	# diesel's order: the version before '_' with its dashes removed
	for f in $(ls -d "$SRC"/migrations/*/ | while read -r d; do
	    v=$(basename "$d"); echo "$(echo "${v%%_*}" | tr -d -) $d"
	    done | sort | cut -d' ' -f2); do
		[ -f "$f/up.sql" ] || continue
		# diesel runs each file in a transaction of its own, unless
		# its metadata.toml says run_in_transaction = false
		_one=-1
		grep -qs 'run_in_transaction *= *false' "$f/metadata.toml" &&
		    _one=
		psql -X -q -v ON_ERROR_STOP=1 $_one -d "$1" -f "$f/up.sql" \
		    >>"$LOG" 2>&1 || { echo "psql failed on $f" >&2; return 1; }
	done
}

load_ente() {
	extract ente-io/ente "$COMMIT" server/migrations || return 1
	# golang-migrate: N_name.up.sql in the order of N
	for f in $(ls "$SRC"/server/migrations/*.up.sql | sort -V); do
		psqlf "$1" "$f" || return 1
	done
}

load_synapse() {
	extract element-hq/synapse "$COMMIT" synapse/storage/schema || return 1
	_s=$SRC/synapse/storage/schema
	# prepare_database.py: the full schemas of version 72 (common, main,
	# state), then each later version's delta files of every store in
	# the order of their names; the Python deltas (9) cannot run here
	for f in common main state; do
		psqlf "$1" "$_s/$f/full_schemas/72/full.sql.postgres" || return 1
	done
	for v in $(ls "$_s"/*/delta | grep -E '^[0-9]+$' | sort -n -u); do
		[ "$v" -gt 72 ] || continue
		for p in $(ls -d "$_s"/*/delta/"$v"/* | while read -r x; do
		    echo "$(basename "$x") $x"; done | sort | cut -d' ' -f2); do
			case $p in *.sql|*.sql.postgres) ;; *) continue ;; esac
			# the engine's placeholder, as postgres.py replaces it
			sed 's/\$%AUTO_INCREMENT_PRIMARY_KEY%\$/BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY/' \
			    "$p" >"$p.run"
			psqlf "$1" "$p.run" || return 1
		done
	done
}

# needs EXT PACKAGE: the server has extension EXT, or say which package
needs() {
	[ -n "$(psql -AtX -d postgres -c "SELECT 1 FROM pg_available_extensions
	    WHERE name = '$1'")" ] && return 0
	echo "skip: $NAME needs the extension $1 (Debian: $2)" >&2
	return 1
}

load_lago() {
	needs pg_partman postgresql-15-partman || return 1
	extract getlago/lago-api "$COMMIT" db/structure.sql || return 1
	psqlf "$1" "$SRC/db/structure.sql"
}

load_danbooru() {
	extract danbooru/danbooru "$COMMIT" db/structure.sql || return 1
	psqlf "$1" "$SRC/db/structure.sql"
}

load_osm() {
	needs postgis postgresql-15-postgis-3 || return 1
	extract openstreetmap/openstreetmap-website "$COMMIT" \
	    db/structure.sql || return 1
	psqlf "$1" "$SRC/db/structure.sql"
}

load_temporal() {
	extract temporalio/temporal "$COMMIT" schema/postgresql/v12 || return 1
	# the persistence schema and the visibility schema (two databases
	# in a deployment; their names do not collide)
	for f in temporal visibility; do
		psqlf "$1" "$SRC/schema/postgresql/v12/$f/schema.sql" || return 1
	done
}

load_lemmy() {
	extract LemmyNet/lemmy "$COMMIT" migrations \
	    crates/db_schema/replaceable_schema || return 1
	# diesel's order (the names sort as their versions), each file in a
	# transaction of its own; then the schema lemmy replaces at every
	# start (schema_setup.rs: CREATE SCHEMA r, utils.sql, triggers.sql)
	for f in $(ls -d "$SRC"/migrations/*/ | sort); do
		[ -f "$f/up.sql" ] || continue
		psql -X -q -v ON_ERROR_STOP=1 -1 -d "$1" -f "$f/up.sql" \
		    >>"$LOG" 2>&1 || { echo "psql failed on $f" >&2; return 1; }
	done
	_r=$SRC/crates/db_schema/replaceable_schema
	{ echo 'CREATE SCHEMA r;'; cat "$_r/utils.sql" "$_r/triggers.sql"; } \
	    >"$SRC/replaceable.sql"
	psql -X -q -v ON_ERROR_STOP=1 -1 -d "$1" -f "$SRC/replaceable.sql" \
	    >>"$LOG" 2>&1 || { echo "psql failed on the r schema" >&2; return 1; }
}

load_supabase() {
	extract supabase/auth "$COMMIT" migrations || return 1
	# pop's migrator: the files in the order of their names, the
	# template's namespace replaced by the schema GoTrue is given
	psql -X -q -d "$1" -c "CREATE SCHEMA auth" >>"$LOG" || return 1
	for f in $(ls "$SRC"/migrations/*.up.sql | sort); do
		sed 's/{{ *index .Options "Namespace" *}}/auth/g' "$f" >"$f.run"
		psql -X -q -v ON_ERROR_STOP=1 -1 -d "$1" -f "$f.run" \
		    >>"$LOG" 2>&1 || { echo "psql failed on $f" >&2; return 1; }
	done
}

# the schema objects of DB (user schemas): tables indexes constraints enums
# and SQL objects (views, functions, triggers, policies)
objects() {
	psql -X -At -F ' ' -d "$1" -c "
	  WITH sc AS (SELECT oid FROM pg_namespace WHERE nspname !~ '^pg_'
	    AND nspname NOT IN ('information_schema', '_migrated'))
	  SELECT (SELECT count(*) FROM pg_class WHERE relkind IN ('r','p')
	           AND relnamespace IN (SELECT oid FROM sc)),
	         (SELECT count(*) FROM pg_class c JOIN pg_index i
	           ON i.indexrelid = c.oid WHERE c.relnamespace IN
	           (SELECT oid FROM sc)),
	         (SELECT count(*) FROM pg_constraint WHERE conrelid <> 0 AND
	           connamespace IN (SELECT oid FROM sc)),
	         (SELECT count(*) FROM pg_type WHERE typtype = 'e' AND
	           typnamespace IN (SELECT oid FROM sc)),
	         (SELECT count(*) FROM pg_class c WHERE relkind IN ('v','m')
	           AND relnamespace IN (SELECT oid FROM sc) AND NOT EXISTS
	           (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND
	           d.deptype = 'e')) +
	         (SELECT count(*) FROM pg_proc p WHERE prokind IN ('f','p')
	           AND pronamespace IN (SELECT oid FROM sc) AND NOT EXISTS
	           (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND
	           d.deptype = 'e')) +
	         (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON
	           c.oid = t.tgrelid WHERE NOT t.tgisinternal AND
	           c.relnamespace IN (SELECT oid FROM sc)) +
	         (SELECT count(*) FROM pg_policy p JOIN pg_class c ON
	           c.oid = p.polrelid WHERE c.relnamespace IN
	           (SELECT oid FROM sc))"
}

# dump DB [pg_dump options]: schema only, owners and grants aside
dump() {
	_db=$1; shift
	pg_dump -s --no-owner --no-privileges "$@" "$_db"
}

# compare: statement multisets of the two dumps, and the plan's changes
# against the notes (a change to an object a note names is explained:
# a serial column's default, a NOT VALID check validated, ...); prints
# "src_only dst_only unexplained"
compare() {
	python3 - "$D/src.sql" "$D/dst.sql" "$D/plan.txt" \
	    "$D/models/PULL_NOTES.md" "$D/diff.txt" <<'PY'
import re, sys
from collections import Counter
def stmts(path):
    text = open(path).read()
    out = []
    for s in re.split(r';\n', text):
        lines = [l for l in s.split('\n') if l.strip() and
                 not l.startswith('--') and not l.startswith('\\') and
                 not l.startswith('SET ') and
                 not l.startswith('SELECT pg_catalog.set_config')]
        if lines:
            out.append('\n'.join(lines))
    return Counter(out)
a, b = stmts(sys.argv[1]), stmts(sys.argv[2])
only_a, only_b = a - b, b - a
names = set()
for l in open(sys.argv[4]):
    m = re.match(r'\| [^|]+ \| ([^|]+?) \|', l)
    if m:
        names.add(m.group(1))
unexplained = []
for l in open(sys.argv[3]):
    m = re.match(r'-- (safe|refused|drift): [a-z ]+? (\S+): ', l)
    if not m:
        continue
    cls, target = m.group(1), m.group(2)
    parts = target.split('.')
    known = any('.'.join(parts[:k]) in names for k in range(2, len(parts) + 1))
    if not known:
        unexplained.append(l.rstrip())
with open(sys.argv[5], 'w') as f:
    f.write('## only in the source dump\n')
    for s in sorted(only_a.elements()):
        f.write(s + ';\n')
    f.write('\n## only in the dump of the pulled models\n')
    for s in sorted(only_b.elements()):
        f.write(s + ';\n')
    f.write('\n## plan changes not explained by a note\n')
    f.write('\n'.join(unexplained) + '\n')
print(sum(only_a.values()), sum(only_b.values()), len(unexplained))
PY
}

roundtrip() {
	NAME=$1 COMMIT=$2 ORM=$3
	D=$W/$NAME SRC=$W/src/$NAME LOG=$W/$NAME/psql.log
	mkdir -p "$D/mig"
	printf 'schema: _migrated\n' >"$D/config.yaml"
	createdb "src_$NAME" && createdb "dst_$NAME" || return 1
	"load_$NAME" "src_$NAME" || return 1
	set -- $(objects "src_$NAME")
	tables=$1 objs=$(($1 + $2 + $3 + $4)) sqlobjs=$5
	t0=$(date +%s%N)
	"$MIGRATED" -c "$D/config.yaml" --database "dbname=src_$NAME" \
	    --pull "$D/models" \
	    >"$D/pull.out" 2>"$D/pull.err"
	prc=$? t1=$(date +%s%N)
	if [ $prc -ne 0 ] && [ $prc -ne 3 ]; then
		echo "pull failed: $(cat "$D/pull.err")" >&2; return 1
	fi
	# the table's rows but its header (no table when there is no note)
	notes=$(grep '^| [a-z]' "$D/models/PULL_NOTES.md" | grep -vc '^| kind |')
	M() { "$MIGRATED" -c "$D/config.yaml" --models "$D/models" \
	    --migrations "$D/mig" "$@"; }
	M --database "dbname=dst_$NAME" --once >"$D/once1.txt" 2>&1 ||
	    { echo "once failed: $(tail -3 "$D/once1.txt")" >&2; return 1; }
	M --database "dbname=dst_$NAME" --once >"$D/once2.txt" 2>&1
	if grep -q "tier 1: up to date" "$D/once2.txt"; then again=0
	else again=$(sed -n 's/.*applied [0-9]* changes, \([0-9]*\) statements.*/\1/p' "$D/once2.txt"); fi
	M --database "dbname=src_$NAME" --plan >"$D/plan.txt" 2>&1
	plan=$(sed -n 's/^-- plan: \(.*\)/\1/p' "$D/plan.txt")
	[ -n "$plan" ] || plan="0 safe, 0 refused, 0 drift"
	dump "src_$NAME" >"$D/src.sql"
	dump "dst_$NAME" -N _migrated >"$D/dst.sql"
	set -- $(compare)
	printf '| %s | %s | %s | %s | %s | %s ms | %s | %s / %s | %s | %s | %s |\n' \
	    "$NAME" "$(echo "$ORM" | tr _ ' ')" "$tables" "$objs" "$sqlobjs" \
	    $(( (t1 - t0) / 1000000 )) "$notes" "$1" "$2" "$plan" "$3" \
	    "$again"
}

echo "| schema | from | tables | objects | SQL objects | pull | notes | dump statements src-only / dst-only | plan against the source | unexplained | 2nd --once DDL |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
echo "$SOURCES" | while read -r name repo commit orm; do
	[ -n "$name" ] || continue
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	roundtrip "$name" "$commit" "$orm" ||
	    echo "| $name | $(echo "$orm" | tr _ ' ') | failed: see above |"
done
