# 50_hostile.sh - hostile files put in front of a running daemon: a name
# over 63 bytes in every identifier position of the model format (read on
# a reload), and in the migrations folder a symbolic link to /etc/shadow,
# a symbolic link to a file outside the folder (directly, or climbing out
# through a link inside) and a directory named like
# a migration; also `migrated -c /etc/shadow`.  Each is refused by name
# (file:line:col for a model), no content of the file is shown, the
# database stays as it was, the daemon keeps running; once the file is
# gone the invariants hold and the next `up` completes.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
. "$(dirname "$0")/lib.sh" 2>/dev/null || . "$OLDPWD/tests/faults/lib.sh"

mkdir -p m migrations
printf 'table: base\ncolumns:\n  id: { type: int, primary_key: true }\n' >m/base.yaml
printf 'CREATE TABLE ok1 (id int);\n' >migrations/20260101000001_ok.sql
SOCK=$T/h.sock
fd_start h "$TESTDB" m migrations
fd_ready h || _fail "ready"
before=$(schema_snapshot --exclude-table-data=migrated_audit)
same_db() { [ "$(schema_snapshot --exclude-table-data=migrated_audit)" = "$before" ]; }

L=$(printf 'x%.0s' $(seq 64))	# 64 bytes: one too many
hostile_model() {	# hostile_model WHAT LINE:COL YAML
	fault "a model with a $1 of 64 bytes, on a reload"
	printf "$3" >m/zz.yaml
	out=$(fctl h reload 2>&1); rc=$?
	inv "$1: the reload fails (exit 1)" "$rc" 1
	like "$1: refused with file:line:col" "$out" "m/zz.yaml:$2: "
	inv_ok "$1: the daemon keeps running" kill -0 "$DPID"
	inv_ok "$1: on the old models, still ready" \
	    status_says "$SOCK" "d['data']['ready']"
	out=$(fctl h check 2>&1); rc=$?
	inv "$1: check cannot run on the folder (exit 1)" "$rc" 1
	like "$1: and says where" "$out" "m/zz.yaml:$2: "
	inv_ok "$1: the database is as it was" same_db
	rm m/zz.yaml
	inv_ok "$1: reload without it" fctl h reload
	inv "$1: status = check = the database" \
	    "$(agree h "$TESTDB" migrations)" ""
}
hostile_model "table name" 1:8 "table: $L\ncolumns:\n  id: int\n"
hostile_model "schema name" 1:8 "table: $L.t\ncolumns:\n  id: int\n"
hostile_model "column name" 3:3 "table: t\ncolumns:\n  $L: int\n"
hostile_model "index name" 5:13 \
    "table: t\ncolumns:\n  id: int\nindexes:\n  - { name: $L, columns: [id] }\n"
hostile_model "unique constraint name" 5:13 \
    "table: t\ncolumns:\n  id: int\nunique:\n  - { name: $L, columns: [id] }\n"
hostile_model "foreign key name" 5:13 \
    "table: t\ncolumns:\n  id: int\nforeign_keys:\n  - { name: $L, columns: [id], references: base }\n"
hostile_model "column foreign key name" 3:53 \
    "table: t\ncolumns:\n  id: { type: int, references: { table: base, name: $L } }\n"
hostile_model "check name" 5:13 \
    "table: t\ncolumns:\n  id: int\nchecks:\n  - { name: $L, expr: \"id > 0\" }\n"
hostile_model "enum name" 2:3 "enums:\n  $L: [a, b]\n"
hostile_model "enum schema name" 2:3 "enums:\n  $L.e: [a, b]\n"
hostile_model "enum value" 2:3 "enums:\n  e: [a, $L]\n"

printf 'CREATE TABLE outside1 (id int);\n' >outside.sql
hostile_entry() {	# hostile_entry WHAT NAME WHY: NAME in the migrations folder
	fault "$1 in the migrations folder"
	poll 30 status_says "$SOCK" "d['data']['enhancements'].get('available')"
	out=$(fctl h up 2>&1)
	like "$1: up refuses it by name" "$out" "$2.*$3"
	st=$("$MIGRATECTL" -s "$SOCK" --json status 2>&1)
	all="$out $st $(cat "$T/h.log")"
	unlike "$1: no content of the file shown" "$all" 'root:|outside1'
	inv_ok "$1: the database is as it was" same_db
	inv_ok "$1: the daemon keeps running" kill -0 "$DPID"
	out=$(fctl h check 2>&1); rc=$?
	inv "$1: check cannot run on the folder (exit 1)" "$rc" 1
	like "$1: and names it" "$out" "$2"
}
ln -s /etc/shadow migrations/20260101000002_shadow.sql
hostile_entry "a symbolic link to /etc/shadow" 20260101000002_shadow.sql \
    "is a symbolic link out of the migrations folder, not followed"
rm migrations/20260101000002_shadow.sql
ln -s "$T/outside.sql" migrations/20260101000003_outside.sql
hostile_entry "a symbolic link to a file outside" \
    20260101000003_outside.sql "is a symbolic link out of the migrations folder"
rm migrations/20260101000003_outside.sql
# relative, through a folder inside: still out in the end
mkdir migrations/sub
ln -s ../../outside.sql migrations/sub/up
ln -s sub/up migrations/20260101000005_climb.sql
hostile_entry "a symbolic link climbing out through a link inside" \
    20260101000005_climb.sql "is a symbolic link out of the migrations folder"
rm -r migrations/20260101000005_climb.sql migrations/sub
mkdir migrations/20260101000004_dir.sql
hostile_entry "a directory named like a migration" 20260101000004_dir.sql \
    "is a directory, not a regular file"
rmdir migrations/20260101000004_dir.sql

fault "migrated -c /etc/shadow"
out=$("$MIGRATED" -c /etc/shadow 2>&1); rc=$?
inv "-c /etc/shadow: exit 78" "$rc" 78
like "-c /etc/shadow: refused by name" "$out" "/etc/shadow:1:1: "
unlike "-c /etc/shadow: no content shown" "$out" 'root|\$[0-9y]\$'

# all gone: the pending file applies, the invariants hold
inv_ok "the next up completes" fctl h up
inv "applied" "$(q "SELECT to_regclass('ok1') IS NOT NULL, to_regclass('outside1') IS NULL")" "t|t"
inv "status = check = the database" "$(agree h "$TESTDB" migrations)" ""
inv_ok "check is clean" fctl h check
inv_ok "audit chain verifies" audit_ok h
fd_stop "$DPID"
faults_end
