# 20_layouts.sh - goose, dbmate, pop, sql-migrate, tern and Flyway folders, written in each tool's
# own documented style (tests/golden/folder/<tool>/migrations, whose
# parsing the golden files pin down), applied, rolled back and applied
# again through the daemon: the schema after the second `up` is the schema
# after the first.  Then each layout's own rules: goose's NO TRANSACTION
# (a CONCURRENTLY without it is refused at file:line:col before anything
# runs), dbmate's empty rollback, Flyway's repeatable re-applied when its
# checksum changes and left alone by `down`, a broken rollback that is a
# warning for `validate` and an error for `validate --strict`, `create` in
# the folder's layout, and a mixed folder refused naming two files.  pop's
# folders (Ory's): each version's PostgreSQL file, .autocommit.
# sql-migrate's: sections, notransaction, a misspelt command refused.
# tern's: the separator, disable-tx, a Go template refused.
# node-pg-migrate's: its markers either way round, a JavaScript migration.
# postgrator's: do/undo pairs, a JavaScript migration.
# Diesel's and Prisma Migrate's folders per migration.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models
G=$OLDPWD/tests/golden/folder
SOCK=$T/layouts.sock
ctl() { timeout 60 "$MIGRATECTL" -s "$SOCK" "$@"; }
dpid=

# start LAYOUT: a daemon on a copy of the fixture, its own tracking table
start() {
	rm -rf "$T/$1"
	cp -r "$G/$1/migrations" "$T/$1"
	cat >"cfg-$1.yaml" <<EOF
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/$1
tracking_table: $1_versions
socket: { path: $SOCK, mode: 0666 }
access:
  read: { users: [$(id -un)] }
  admin: { users: [$(id -un)] }
EOF
	"$MIGRATED" -c "cfg-$1.yaml" >"daemon-$1.log" 2>&1 &
	dpid=$!; track $dpid
	ok "$1: daemon ready" ctl wait-ready --timeout 30
}
stop() {
	kill "$dpid"; wait "$dpid" 2>/dev/null
}
# the user's schema, migrated's own tables left out
user_schema() {
	schema_snapshot -s -T '*_versions' -T migrated_audit \
	    -T migrated_audit_id_seq
}
tables() {
	q "SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), '')
	   FROM pg_tables WHERE schemaname = 'public'
	   AND tablename NOT LIKE '%_versions' AND tablename <> 'migrated_audit'"
}

# up, down --all, up: the same schema
round_trip() {
	out=$(ctl up 2>&1)
	is "$1: up: exit 0" "$?" 0
	is "$1: up: $2 applied" "$(q "SELECT count(*) FROM $1_versions")" "$2"
	user_schema >"$T/$1.first"
	out=$(ctl down --all --yes 2>&1)
	is "$1: down --all: exit 0" "$?" 0
	is "$1: down --all: no table left" "$(tables)" ""
	out=$(ctl up 2>&1)
	is "$1: up again: exit 0" "$?" 0
	user_schema >"$T/$1.second"
	ok "$1: the second up made the first up's schema" \
	    diff -u "$T/$1.first" "$T/$1.second"
}

# ---- goose ----
start goose
out=$(ctl validate 2>&1)
is "goose: validate: exit 0" "$?" 0
round_trip goose 4
is "goose: the StatementBegin block made the function" \
    "$(q "SELECT count(*) FROM pg_proc WHERE proname = 'histories_partition_creation'")" 1
is "goose: NO TRANSACTION: the index is built CONCURRENTLY and valid" \
    "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'post_title_idx'::regclass")" t
is "goose: versions in numeric order (hybrid 00003 then a timestamp)" \
    "$(q "SELECT string_agg(version, ' ' ORDER BY applied_at, version) FROM goose_versions")" \
    "00001 00002 00003 20230102150405"

# CONCURRENTLY without NO TRANSACTION: refused where it stands, nothing run
cat >"$T/goose/20230102150406_bad_index.sql" <<'EOF'
-- +goose Up
ALTER TABLE post ADD COLUMN summary text;
CREATE INDEX CONCURRENTLY post_summary_idx ON post (summary);

-- +goose Down
EOF
before=$(user_schema)
out=$(ctl up 2>&1); rc=$?
is "goose: CONCURRENTLY in goose's transaction: up exits 1" "$rc" 1
like "goose: ... refused at file:line:col" "$out" \
    "20230102150406_bad_index.sql:3:1: this statement cannot run inside a transaction block"
like "goose: ... with the way out" "$out" "-- \+goose NO TRANSACTION"
is "goose: ... nothing ran" "$(user_schema)" "$before"
ok "goose: ... the daemon still answers" ctl status
sed -i '1i -- +goose NO TRANSACTION' "$T/goose/20230102150406_bad_index.sql"
out=$(ctl up 2>&1)
is "goose: with NO TRANSACTION it applies" "$?" 0
is "goose: ... statement by statement" \
    "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'post_summary_idx'::regclass")" t

# a broken rollback: a warning, an error for --strict (CI)
printf -- '-- +goose Up\nSELECT 1;\n-- +goose Down\nDROP TABLEE post;\n' \
    >"$T/goose/20230102150407_broken_down.sql"
out=$(ctl --json validate 2>&1)
is "goose: broken rollback: validate exits 0" "$?" 0
like "goose: ... and warns with file:line:col" "$(printf '%s\n' "$out" |
    python3 -c '
import json, sys
for line in sys.stdin:
    for f in (json.loads(line).get("data") or {}).get("lint", []):
        if f["rule"] == "rollback-syntax":
            print("%s:%d:%d" % (f["file"], f["line"], f["col"]))')" \
    "20230102150407_broken_down.sql:4:6$"
out=$(ctl validate --strict 2>&1)
is "goose: validate --strict exits 1" "$?" 1
like "goose: ... naming file, line and column" "$out" \
    "20230102150407_broken_down.sql:4:6: syntax error at or near \"TABLEE\""
out=$(ctl up 2>&1)
is "goose: ... up is not blocked by it" "$?" 0
rm "$T/goose/20230102150407_broken_down.sql"
q "DELETE FROM goose_versions WHERE version = '20230102150407'"

# create: goose's markers and the folder's timestamps
out=$(timeout 30 "$MIGRATECTL" --migrations "$T/goose" create add_tags 2>&1)
is "goose: create: exit 0" "$?" 0
f=$(ls "$T/goose" | grep '_add_tags\.sql$')
like "goose: create: a timestamp, one file" "$f" '^20[0-9]{12}_add_tags\.sql$'
like "goose: create: goose's markers" "$(cat "$T/goose/$f")" '^-- \+goose Up'
rm -f "$T/goose/$f"

# a Go migration beside them (goose registers it in code): up stops
# before anything runs, names it; what comes before it can run
cp "$G/goose_go/migrations/00002_backfill_names.go" \
    "$T/goose/20230102150408_backfill_names.go"
cp "$G/goose_go/migrations/embed.go" "$T/goose/"
printf -- '-- +goose Up\nCREATE TABLE after_go (id int);\n-- +goose Down\nDROP TABLE after_go;\n' \
    >"$T/goose/20230102150409_after_go.sql"
printf -- '-- +goose Up\nCREATE TABLE before_go (id int);\n-- +goose Down\nDROP TABLE before_go;\n' \
    >"$T/goose/20230102150407_before_go.sql"
out=$(ctl up 2>&1); rc=$?
is "goose: a Go migration pending: up exits 1" "$rc" 1
like "goose: ... named" "$out" \
    "cannot apply '20230102150408_backfill_names': it is a Go migration \\(20230102150408_backfill_names.go\\), which migrated cannot run"
like "goose: ... what to do" "$out" "migratectl up --to 20230102150407"
is "goose: ... nothing ran" "$(q "SELECT to_regclass('before_go') IS NULL AND to_regclass('after_go') IS NULL")" t
out=$(ctl up --to 20230102150407 2>&1)
is "goose: up --to the one before it: exit 0" "$?" 0
# a version after it recorded (an older build ran the SQL past it): the
# Go migration is still what is named, not an out-of-order file
sum=$(sha256sum "$T/goose/20230102150409_after_go.sql" | cut -d' ' -f1)
q "INSERT INTO goose_versions (version, name, checksum, applied_by) VALUES ('20230102150409', 'after_go', '$sum', 'old')"
out=$(ctl up 2>&1)
like "goose: a Go migration under a newer applied one: named as such" \
    "$out" "it is a Go migration"
q "DELETE FROM goose_versions WHERE version = '20230102150409'"
# its checksum is of no bytes: recorded so, an edit of the Go code
# (gofmt) is no change
sum=$(printf '' | sha256sum | cut -d' ' -f1)
q "INSERT INTO goose_versions (version, name, checksum, applied_by) VALUES ('20230102150408', 'backfill_names', '$sum', 'goose')"
printf '\n// formatted\n' >>"$T/goose/20230102150408_backfill_names.go"
out=$(ctl up 2>&1)
is "goose: once it is recorded (as adopt would), the rest runs" "$?" 0
is "goose: ... the table after it" "$(q "SELECT to_regclass('after_go') IS NOT NULL")" t
out=$(ctl down 2 --yes 2>&1); rc=$?
is "goose: down past a Go migration: exit 1" "$rc" 1
like "goose: ... named" "$out" "cannot roll back '20230102150408_backfill_names': it is a Go migration"
is "goose: ... nothing rolled back" "$(q "SELECT to_regclass('after_go') IS NOT NULL")" t
out=$(ctl down --yes 2>&1)
q "DELETE FROM goose_versions WHERE version = '20230102150408'"
out=$(ctl down --yes 2>&1)
rm "$T/goose/20230102150408_backfill_names.go" "$T/goose/embed.go" \
    "$T/goose/20230102150409_after_go.sql" "$T/goose/20230102150407_before_go.sql"

# mixed: a Flyway file beside goose's
cp "$G/flyway/migrations/V1__Create_person_table.sql" "$T/goose/"
out=$("$MIGRATED" -c cfg-goose.yaml -n 2>&1); rc=$?
is "mixed folder: migrated -n exits 1" "$rc" 1
like "mixed folder: names two files of different layouts" "$out" \
    "mixes layouts: '00001_create_post.sql' is goose, 'V1__Create_person_table.sql' is flyway"
rm "$T/goose/V1__Create_person_table.sql"
out=$(ctl down --all --yes 2>&1)
is "goose: down --all at the end: exit 0" "$?" 0
stop

# ---- dbmate ----
start dbmate
round_trip dbmate 4
is "dbmate: transaction:false: ADD VALUE outside a transaction" \
    "$(q "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'colors'::regtype")" \
    "red,orange,green"
is "dbmate: the CONCURRENTLY index is valid" \
    "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass")" t
out=$(ctl down 2 --yes 2>&1)
is "dbmate: down 2 (an index, then the empty rollback): exit 0" "$?" 0
is "dbmate: ... the empty rollback ran nothing and forgot the version" \
    "$(q "SELECT count(*) FROM dbmate_versions WHERE version >= '20151127190100'")" 0
is "dbmate: ... orange is still there" \
    "$(q "SELECT count(*) FROM pg_enum WHERE enumlabel = 'orange'")" 1
out=$(timeout 30 "$MIGRATECTL" --migrations "$T/dbmate" create add_tags 2>&1)
f=$(ls "$T/dbmate" | grep '_add_tags\.sql$')
like "dbmate: create: a timestamp" "$f" '^20[0-9]{12}_add_tags\.sql$'
like "dbmate: create: dbmate's markers" "$(cat "$T/dbmate/$f")" '^-- migrate:up'
rm -f "$T/dbmate/$f"
out=$(ctl down --all --yes 2>&1)
is "dbmate: down --all at the end: exit 0" "$?" 0
stop

# ---- pop (gobuffalo/pop, ory/x popx: Ory Kratos, Hydra, Keto) ----
# Each version's PostgreSQL file before its every-database file, the
# other databases' files never read (the MySQL and SQLite ones would not
# parse), an empty .postgres. file overriding a MySQL-only change,
# .autocommit without a transaction.
start pop
round_trip pop 5
is "pop: the .postgres. file ran, not CockroachDB's" \
    "$(q "SELECT conname FROM pg_constraint WHERE conrelid = 'identities'::regclass AND contype = 'p'")" \
    identities_pkey
is "pop: .postgres.autocommit: the CONCURRENTLY index is valid" \
    "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'sessions_identity_id_idx'::regclass")" t
is "pop: a MySQL-only version is no migration here" \
    "$(q "SELECT count(*) FROM pop_versions WHERE version = '20191100000002000001'")" 0
unlike "pop: ... nor listed" "$(ctl list 2>&1)" "20191100000002000001"
is "pop: versions in pop's order, recorded as pop records them" \
    "$(q "SELECT string_agg(version, ' ' ORDER BY version) FROM pop_versions")" \
    "20191100000001000000 20191100000002000000 20191100000003000000 20191100000004000000 20191100000005000000"
# CONCURRENTLY in a file pop runs in a transaction: refused where it stands
printf 'ALTER TABLE sessions ADD COLUMN device text;\nCREATE INDEX CONCURRENTLY sessions_device_idx ON sessions (device);\n' \
    >"$T/pop/20191100000006000000_session_device.postgres.up.sql"
printf 'ALTER TABLE `sessions` ADD COLUMN `device` VARCHAR(255);\n' \
    >"$T/pop/20191100000006000000_session_device.mysql.up.sql"
before=$(user_schema)
out=$(ctl up 2>&1); rc=$?
is "pop: CONCURRENTLY in pop's transaction: up exits 1" "$rc" 1
like "pop: ... refused at file:line:col" "$out" \
    "20191100000006000000_session_device.postgres.up.sql:2:1: this statement cannot run inside a transaction block"
like "pop: ... with the way out" "$out" "say '\.autocommit'"
is "pop: ... nothing ran" "$(user_schema)" "$before"
mv "$T/pop/20191100000006000000_session_device.postgres.up.sql" \
    "$T/pop/20191100000006000000_session_device.postgres.autocommit.up.sql"
printf 'DROP INDEX CONCURRENTLY sessions_device_idx;\nALTER TABLE sessions DROP COLUMN device;\n' \
    >"$T/pop/20191100000006000000_session_device.postgres.autocommit.down.sql"
out=$(ctl up 2>&1)
is "pop: renamed .autocommit, it applies" "$?" 0
is "pop: ... statement by statement" \
    "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'sessions_device_idx'::regclass")" t
# two files of one rank for one version: named, as popx cannot choose
printf 'SELECT 1;\n' >"$T/pop/20191100000007000000_a.up.sql"
printf 'SELECT 2;\n' >"$T/pop/20191100000007000000_b.up.sql"
out=$("$MIGRATED" -c cfg-pop.yaml -n 2>&1); rc=$?
is "pop: one version, two every-database files: -n exits 1" "$rc" 1
like "pop: ... naming both" "$out" \
    "duplicate version 20191100000007000000: '20191100000007000000_a.up.sql' and '20191100000007000000_b.up.sql'"
rm "$T/pop/20191100000007000000_b.up.sql"
# a name pop cannot read in a pop folder
printf 'SELECT 1;\n' >"$T/pop/20191100000008000000_x.postgres.extra.up.sql"
out=$("$MIGRATED" -c cfg-pop.yaml -n 2>&1); rc=$?
is "pop: a name outside pop's pattern: -n exits 1" "$rc" 1
like "pop: ... named" "$out" "'20191100000008000000_x.postgres.extra.up.sql' is not a pop migration name"
rm "$T/pop/20191100000008000000_x.postgres.extra.up.sql"
out=$(timeout 30 "$MIGRATECTL" --migrations "$T/pop" create add_tags 2>&1)
is "pop: create: exit 0" "$?" 0
f=$(ls "$T/pop" | grep '_add_tags\.up\.sql$')
like "pop: create: pop's timestamp width (YYYYMMDDHHMMSS000000)" "$f" \
    '^20[0-9]{12}000000_add_tags\.up\.sql$'
rm -f "$T/pop/"*_add_tags.*.sql "$T/pop/20191100000007000000_a.up.sql"
out=$(ctl down --all --yes 2>&1)
is "pop: down --all at the end: exit 0" "$?" 0
stop

# ---- sql-migrate (rubenv/sql-migrate) ----
# Its sections, a StatementBegin block, notransaction; two files of one
# number ordered by name (sql-migrate's byId), the version its id.
start sql_migrate
round_trip sql_migrate 4
is "sql-migrate: versions in sql-migrate's order, each its file's id" \
    "$(q "SELECT string_agg(version, ' ' ORDER BY applied_at, version) FROM sql_migrate_versions")" \
    "1_initial 2_record 2_zz_email 10_people_unique_id"
is "sql-migrate: the StatementBegin block made the function" \
    "$(q "SELECT count(*) FROM pg_proc WHERE proname = 'do_something'")" 1
is "sql-migrate: Up notransaction: the CONCURRENTLY index is valid" \
    "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'people_unique_id_idx'::regclass")" t
# CONCURRENTLY without notransaction: refused where it stands
printf -- '-- +migrate Up\nALTER TABLE people ADD COLUMN nick text;\nCREATE INDEX CONCURRENTLY people_nick_idx ON people (nick);\n\n-- +migrate Down\nALTER TABLE people DROP COLUMN nick;\n' \
    >"$T/sql_migrate/11_nick.sql"
before=$(user_schema)
out=$(ctl up 2>&1); rc=$?
is "sql-migrate: CONCURRENTLY in its transaction: up exits 1" "$rc" 1
like "sql-migrate: ... refused at file:line:col" "$out" \
    "11_nick.sql:3:1: this statement cannot run inside a transaction block"
like "sql-migrate: ... with the way out" "$out" "-- \+migrate Up notransaction"
is "sql-migrate: ... nothing ran" "$(user_schema)" "$before"
sed -i '1s/.*/-- +migrate Up notransaction/' "$T/sql_migrate/11_nick.sql"
out=$(ctl up 2>&1)
is "sql-migrate: with notransaction it applies" "$?" 0
# a misspelt Down: sql-migrate would run the rollback as part of Up
printf -- '-- +migrate Up\nCREATE TABLE pets (id int);\n\n-- +migrate down\nDROP TABLE pets;\n' \
    >"$T/sql_migrate/12_pets.sql"
out=$(ctl up 2>&1); rc=$?
is "sql-migrate: a misspelt Down: up exits 1" "$rc" 1
like "sql-migrate: ... named where it stands" "$out" \
    "12_pets.sql:4:1: unknown sql-migrate command 'down'"
is "sql-migrate: ... no table made" "$(q "SELECT to_regclass('pets') IS NULL")" t
rm "$T/sql_migrate/12_pets.sql"
out=$(timeout 30 "$MIGRATECTL" --migrations "$T/sql_migrate" create add_tags 2>&1)
is "sql-migrate: create: exit 0" "$?" 0
f=$(ls "$T/sql_migrate" | grep '_add_tags\.sql$')
is "sql-migrate: create: the next number" "$f" "12_add_tags.sql"
like "sql-migrate: create: its markers" "$(cat "$T/sql_migrate/$f")" '^-- \+migrate Up'
rm -f "$T/sql_migrate/$f"
out=$(ctl down --all --yes 2>&1)
is "sql-migrate: down --all at the end: exit 0" "$?" 0
# baseline: a file's version, or a number (the files numbered up to it)
out=$(ctl baseline 2 --dry-run 2>&1)
is "sql-migrate: baseline 2 --dry-run: exit 0" "$?" 0
like "sql-migrate: ... both files numbered 2" "$out" "2_zz_email"
unlike "sql-migrate: ... not 10" "$out" "10_people_unique_id"
out=$(ctl baseline 2_record --dry-run 2>&1)
unlike "sql-migrate: baseline 2_record: not the file after it" "$out" \
    "2_zz_email"
out=$(ctl baseline 2_nope --dry-run 2>&1); rc=$?
is "sql-migrate: baseline of no file: exit 2" "$rc" 2
like "sql-migrate: ... said" "$out" "'2_nope' is not a version of the folder"
stop

# ---- tern (jackc/tern) ----
# The rollback after the separator, disable-tx, a file without the
# separator tern's too (no rollback); a Go template refused.
start tern
out=$(ctl up 2>&1)
is "tern: up: exit 0" "$?" 0
is "tern: versions in tern's order" \
    "$(q "SELECT string_agg(version, ' ' ORDER BY applied_at, version) FROM tern_versions")" \
    "001 002 003 010"
is "tern: only what is above the separator ran (users kept)" \
    "$(q "SELECT to_regclass('users') IS NOT NULL")" t
is "tern: the file without a separator ran (email)" \
    "$(q "SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'email'")" 1
is "tern: disable-tx: the CONCURRENTLY index is valid" \
    "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass")" t
out=$(ctl down 2 --yes 2>&1)
is "tern: down 2: exit 0" "$?" 0
is "tern: ... the function and the index gone" \
    "$(q "SELECT to_regclass('users_email_idx') IS NULL AND NOT EXISTS (SELECT FROM pg_proc WHERE proname = 'answer')")" t
out=$(ctl down --yes 2>&1); rc=$?
is "tern: down past a file with no rollback: exit 1" "$rc" 1
like "tern: ... the way to write one" "$out" "add the line '---- create above / drop below ----' to 002_add_email.sql"
printf 'create table feeds(id int);\ngrant select on feeds to {{.app_user}};\n' \
    >"$T/tern/011_feeds.sql"
out=$(ctl up 2>&1); rc=$?
is "tern: a Go template: up exits 1" "$rc" 1
like "tern: ... named where it stands" "$out" \
    "011_feeds.sql:2:26: tern evaluates a file as a Go template"
is "tern: ... nothing ran" "$(q "SELECT to_regclass('feeds') IS NULL")" t
rm "$T/tern/011_feeds.sql"
out=$(timeout 30 "$MIGRATECTL" --migrations "$T/tern" create add_tags 2>&1)
is "tern: create: exit 0" "$?" 0
is "tern: create: the next number, padded" \
    "$(ls "$T/tern" | grep '_add_tags\.sql$')" "011_add_tags.sql"
like "tern: create: the separator" "$(cat "$T/tern/011_add_tags.sql")" \
    "---- create above / drop below ----"
rm -f "$T/tern/011_add_tags.sql"
stop
q "DROP TABLE users"	# 002 has no rollback: by hand, for the next layout

# ---- node-pg-migrate (salsita/node-pg-migrate) ----
# "-- Up Migration" / "-- Down Migration" in either order, a 17-digit UTC
# prefix ordered as the time it is, an empty rollback; a JavaScript
# migration stops up before anything runs; a rollback with no up marker
# and SQL before the first marker refused where they stand.
start node_pg_migrate
round_trip node_pg_migrate 5
is "node-pg-migrate: versions in its order (the UTC one is the oldest)" \
    "$(q "SELECT string_agg(version, ' ' ORDER BY applied_at, version) FROM node_pg_migrate_versions")" \
    "20200513070724505 1700000000000 1700000000100 1700000000200 1700000000400"
is "node-pg-migrate: only the up sections ran (the rows, the column)" \
    "$(q "SELECT count(*) FROM users WHERE handle = 'admin' AND email IS NULL")" 1
out=$(ctl down --yes 2>&1)
is "node-pg-migrate: down (the empty rollback): exit 0" "$?" 0
is "node-pg-migrate: ... ran nothing, the comment stays" \
    "$(q "SELECT obj_description('users'::regclass, 'pg_class')")" people
out=$(ctl down --yes 2>&1)
is "node-pg-migrate: down (the rollback written first): exit 0" "$?" 0
is "node-pg-migrate: ... the column gone" \
    "$(q "SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'email' AND NOT attisdropped")" 0
out=$(ctl up 2>&1)
cp "$G/node_pg_migrate_js/migrations/1700000000300_backfill-email.js" \
    "$T/node_pg_migrate/1700000000500_backfill-email.js"
printf -- '-- Up Migration\nCREATE TABLE after_js (id int);\n-- Down Migration\nDROP TABLE after_js;\n' \
    >"$T/node_pg_migrate/1700000000600_after-js.sql"
out=$(ctl up 2>&1); rc=$?
is "node-pg-migrate: a JavaScript migration pending: up exits 1" "$rc" 1
like "node-pg-migrate: ... named" "$out" \
    "cannot apply '1700000000500_backfill-email': it is a JavaScript migration \\(1700000000500_backfill-email.js\\), which migrated cannot run"
like "node-pg-migrate: ... the way on" "$out" \
    "node-pg-migrate up 1700000000500_backfill-email\\), record it with 'migratectl adopt --from node-pg-migrate'"
is "node-pg-migrate: ... nothing ran" \
    "$(q "SELECT to_regclass('after_js') IS NULL")" t
rm "$T/node_pg_migrate/1700000000500_backfill-email.js"
printf 'CREATE TABLE no_up (id int);\n\n-- Down Migration\nDROP TABLE no_up;\n' \
    >"$T/node_pg_migrate/1700000000700_no-up.sql"
out=$(ctl up 2>&1); rc=$?
is "node-pg-migrate: a rollback and no up marker: up exits 1" "$rc" 1
like "node-pg-migrate: ... named where it stands" "$out" \
    "1700000000700_no-up.sql:3:1: a '-- Down Migration' line and no '-- Up Migration' line"
is "node-pg-migrate: ... nothing ran" \
    "$(q "SELECT to_regclass('after_js') IS NULL AND to_regclass('no_up') IS NULL")" t
ok "node-pg-migrate: ... the daemon still answers" ctl status
printf 'CREATE TABLE before_up (id int);\n-- Up Migration\nSELECT 1;\n-- Down Migration\n' \
    >"$T/node_pg_migrate/1700000000700_no-up.sql"
out=$(ctl up 2>&1); rc=$?
is "node-pg-migrate: SQL before the first marker: up exits 1" "$rc" 1
like "node-pg-migrate: ... named where it stands" "$out" \
    "1700000000700_no-up.sql:1:1: node-pg-migrate never runs what comes before"
rm "$T/node_pg_migrate/1700000000700_no-up.sql"
out=$(ctl up 2>&1)
is "node-pg-migrate: the rest applies" "$?" 0
is "node-pg-migrate: ... after_js" "$(q "SELECT to_regclass('after_js') IS NOT NULL")" t
out=$(timeout 30 "$MIGRATECTL" --migrations "$T/node_pg_migrate" create add_tags 2>&1)
is "node-pg-migrate: create: exit 0" "$?" 0
f=$(ls "$T/node_pg_migrate" | grep '_add_tags\.sql$')
like "node-pg-migrate: create: now in ms" "$f" '^1[0-9]{12}_add_tags\.sql$'
like "node-pg-migrate: create: its markers" "$(cat "$T/node_pg_migrate/$f")" \
    '^-- Up Migration'
rm -f "$T/node_pg_migrate/$f"
out=$(ctl down --all --yes 2>&1)
is "node-pg-migrate: down --all at the end: exit 0" "$?" 0
stop

# ---- postgrator (rickbergfalk/postgrator) ----
# NNN.do.name.sql and NNN.undo.name.sql paired by version (001.do.sql
# without a name); a lone CONCURRENTLY outside a transaction, as
# postgrator sends it; its JavaScript migration stops up; index.js beside
# them is none.
start postgrator
rm "$T/postgrator/004.do.backfill-notes.js"
round_trip postgrator 4
is "postgrator: versions in numeric order" \
    "$(q "SELECT string_agg(version, ' ' ORDER BY applied_at, version) FROM postgrator_versions")" \
    "001 002 003 010"
is "postgrator: the CONCURRENTLY index is valid" \
    "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_handle_idx'::regclass")" t
cp "$G/postgrator/migrations/004.do.backfill-notes.js" "$T/postgrator/011.do.backfill-notes.js"
out=$(ctl up 2>&1); rc=$?
is "postgrator: a JavaScript migration pending: up exits 1" "$rc" 1
like "postgrator: ... named" "$out" \
    "cannot apply '011.do.backfill-notes': it is a JavaScript migration \\(011.do.backfill-notes.js\\)"
like "postgrator: ... the way on" "$out" \
    "run it with the service's own postgrator \\(postgrator 011\\), record it with 'migratectl adopt --from postgrator'"
rm "$T/postgrator/011.do.backfill-notes.js"
out=$(timeout 30 "$MIGRATECTL" --migrations "$T/postgrator" create add_tags 2>&1)
is "postgrator: create: exit 0" "$?" 0
is "postgrator: create: the pair, padded" \
    "$(ls "$T/postgrator" | grep 'add_tags' | tr '\n' ' ')" \
    "011.do.add_tags.sql 011.undo.add_tags.sql "
rm -f "$T/postgrator/011."*
out=$(ctl down --all --yes 2>&1)
is "postgrator: down --all at the end: exit 0" "$?" 0
stop

# ---- Flyway ----
start flyway
out=$(ctl up 2>&1)
is "flyway: up: exit 0" "$?" 0
is "flyway: versions part by part, then repeatables by description" \
    "$(q "SELECT string_agg(version, ' ' ORDER BY applied_at, version) FROM flyway_versions")" \
    "1 1.1 1.2 1.10 2.0.3 R__Answer_function R__Greeting_function"
is "flyway: 1.10 ran after 1.2 (AGE after EMAIL)" \
    "$(q "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'person'::regclass AND attnum > 0")" \
    "id,name,email,age"
out=$(ctl up 2>&1)
like "flyway: a second up does nothing" "$out" "nothing to do"
user_schema >"$T/flyway.first"
out=$(ctl down --all --yes 2>&1)
is "flyway: down --all (the U files): exit 0" "$?" 0
is "flyway: ... no table left" "$(tables)" ""
is "flyway: ... repeatables stay, as Flyway's undo leaves them" \
    "$(q "SELECT count(*) FROM pg_proc WHERE proname IN ('answer', 'greeting')")" 2
out=$(ctl up 2>&1)
is "flyway: up again: exit 0" "$?" 0
user_schema >"$T/flyway.second"
ok "flyway: the second up made the first up's schema" \
    diff -u "$T/flyway.first" "$T/flyway.second"
# a changed repeatable is pending again, and only it runs
sed -i 's/select 42/select 43/' "$T/flyway/R__Answer_function.sql"
like "flyway: changed repeatable: list shows it pending" \
    "$(ctl list 2>&1)" "R__Answer_function.*pending"
out=$(ctl up 2>&1)
is "flyway: up re-applies it: exit 0" "$?" 0
is "flyway: ... its new body" "$(q "SELECT answer()")" 43
is "flyway: ... one run, nothing else" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'tier2.apply' AND target = 'R__Answer_function'")" 2
out=$(timeout 30 "$MIGRATECTL" --migrations "$T/flyway" create add_tags 2>&1)
is "flyway: create: exit 0" "$?" 0
ok "flyway: create: the next version and its undo file" \
    test -f "$T/flyway/V2.0.4__add_tags.sql" -a -f "$T/flyway/U2.0.4__add_tags.sql"
stop

# ---- Diesel: a folder per migration, up.sql and down.sql in it, its
# metadata.toml's run_in_transaction = false; a file beside the folders
# is not Diesel's (crates.io keeps one): not read ----
q 'DROP TABLE IF EXISTS person CASCADE' >/dev/null	# Flyway's, above
start diesel
printf 'INSERT INTO users (name) VALUES (1);\n' >"$T/diesel/seed_data.sql"
round_trip diesel 3
is "diesel: the versions Diesel records" \
    "$(q "SELECT string_agg(version, ' ' ORDER BY version) FROM diesel_versions")" \
    "00000000000000 20190226002946 20190301101500"
is "diesel: run_in_transaction = false: its index built CONCURRENTLY" \
    "$(q "SELECT count(*) FROM pg_index WHERE indexrelid = 'users_name_idx'::regclass AND indisvalid")" 1
# the watcher sees a new folder and an edit inside one
mkdir "$T/diesel/2019-03-02-000000_add_bio"
printf 'ALTER TABLE users ADD COLUMN bio text;\n' \
    >"$T/diesel/2019-03-02-000000_add_bio/up.sql"
wait_until 30 pending_has "$SOCK" 20190302000000_add_bio
printf 'ALTER TABLE users ADD COLUMN bio text;\nCREAT x;\n' \
    >"$T/diesel/2019-03-02-000000_add_bio/up.sql"
ok "diesel: an edit inside a folder seen by the watcher: status names it" \
    poll 30 status_says "$SOCK" \
    "'add_bio/up.sql:2:1: syntax error' in (d['data']['last_error'] or '')"
printf 'ALTER TABLE users ADD COLUMN bio tex;\n' \
    >"$T/diesel/2019-03-02-000000_add_bio/up.sql"
out=$(ctl up 2>&1)
is "diesel: an error in a folder's file: exit 1" "$?" 1
like "diesel: ... at its file:line:col" "$out" \
    "diesel/2019-03-02-000000_add_bio/up.sql:1:1: cannot apply '2019-03-02-000000_add_bio': statement 1 of 1: type \"tex\" does not exist"
printf 'ALTER TABLE users ADD COLUMN bio text;\n' \
    >"$T/diesel/2019-03-02-000000_add_bio/up.sql"
out=$(ctl up 2>&1)
is "diesel: mended in place: exit 0" "$?" 0
# a folder removed and made again at once (a checkout): its new files
# are watched, not the old ones
rm -r "$T/diesel/2019-03-02-000000_add_bio"
mkdir "$T/diesel/2019-03-02-000001_add_tag" "$T/diesel/2019-03-02-000000_add_bio"
printf 'ALTER TABLE users ADD COLUMN bio text;\n' \
    >"$T/diesel/2019-03-02-000000_add_bio/up.sql"
printf 'ALTER TABLE users ADD COLUMN tag text;\n' \
    >"$T/diesel/2019-03-02-000001_add_tag/up.sql"
wait_until 30 pending_has "$SOCK" 20190302000001_add_tag
printf 'ALTER TABLE users ADD COLUMN tag text;\nCREAT y;\n' \
    >"$T/diesel/2019-03-02-000001_add_tag/up.sql"
ok "diesel: a folder made again: an edit inside it seen" \
    poll 30 status_says "$SOCK" \
    "'add_tag/up.sql:2:1: syntax error' in (d['data']['last_error'] or '')"
printf 'ALTER TABLE users ADD COLUMN bio text;\nCREAT z;\n' \
    >"$T/diesel/2019-03-02-000000_add_bio/up.sql"
ok "diesel: ... and inside the one made again under its old name" \
    poll 30 status_says "$SOCK" \
    "'add_bio/up.sql:2:1: syntax error' in (d['data']['last_error'] or '')"
rm -r "$T/diesel/2019-03-02-000001_add_tag"
printf 'ALTER TABLE users ADD COLUMN bio text;\n' \
    >"$T/diesel/2019-03-02-000000_add_bio/up.sql"
wait_until 30 status_says "$SOCK" "d['data']['last_error'] is None"
out=$(ctl down --yes 2>&1)
is "diesel: down with no down.sql: exit 1" "$?" 1
like "diesel: ... the file to write" "$out" \
    "write 2019-03-02-000000_add_bio/down.sql"
out=$(timeout 30 "$MIGRATECTL" --migrations "$T/diesel" create add_tags 2>&1)
is "diesel: create: exit 0" "$?" 0
ok "diesel: create: its folder, up.sql and down.sql as Diesel writes them" \
    grep -qx -- '-- Your SQL goes here' "$(ls -d "$T"/diesel/*_add_tags)/up.sql"
like "diesel: ... named as Diesel names it" "$(ls "$T/diesel")" \
    "[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{6}_add_tags"
stop

# ---- Prisma Migrate: NAME/migration.sql, and the down.sql Prisma's
# guide has 'prisma migrate diff' write beside it ----
start prisma
out=$(ctl up 2>&1)
is "prisma: up: exit 0" "$?" 0
is "prisma: up: 3 applied" "$(q "SELECT count(*) FROM prisma_versions")" 3
is "prisma: its line ends CRLF: read" \
    "$(q "SELECT count(*) FROM pg_attribute WHERE attrelid = '\"Document\"'::regclass AND attname = 'signedAt'")" 1
out=$(ctl down --yes 2>&1)
is "prisma: down of one with no down.sql: exit 1" "$?" 1
like "prisma: ... the file to write" "$out" \
    "write 20230421134018_signed_at/down.sql"
rm -r "$T/prisma/20230421134018_signed_at"
q 'ALTER TABLE "Document" DROP COLUMN "signedAt"' >/dev/null
out=$(ctl force 20230411134605 --yes 2>&1)
out=$(ctl down --yes 2>&1)
is "prisma: down through its down.sql: exit 0" "$?" 0
is "prisma: ... its table gone" \
    "$(q "SELECT to_regclass('\"Document\"') IS NULL")" t
out=$(ctl up 2>&1)
is "prisma: up again: exit 0" "$?" 0
printf 'CREAT TABLE x ();\n' >"$T/prisma/migration_bad.sql"
mkdir "$T/prisma/20230501000000_broken"
printf -- '-- CreateTable\nCREAT TABLE x ();\n' \
    >"$T/prisma/20230501000000_broken/migration.sql"
wait_until 30 pending_has "$SOCK" 20230501000000_broken
out=$(ctl validate 2>&1)
is "prisma: a broken migration.sql: validate exits 1" "$?" 1
like "prisma: ... at its file:line:col" "$out" \
    "20230501000000_broken/migration.sql:2:1: syntax error at or near \"CREAT\""
out=$(timeout 30 "$MIGRATECTL" --migrations "$T/prisma" create add_tags 2>&1)
is "prisma: create: exit 0" "$?" 0
like "prisma: ... its folder as migrate dev names it" "$out" \
    "/[0-9]{14}_add_tags/migration.sql"
stop

# the folder above the migrations (migrations/ for migrations/postgresql/,
# or a Flyway location whose files are in subfolders): refused, naming
# the folder that holds them, not read as no migration at all; a folder
# with no migration and no such folder is still an empty one
P=$T/parent
mkdir -p "$P/postgresql" "$P/notes"
printf 'CREATE TABLE pz (id int);\n' >"$P/postgresql/1_pz.up.sql"
printf 'not a migration\n' >"$P/notes/README.sql"
out=$("$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations "$P" --once --up 2>&1); rc=$?
is "parent folder: --once --up exits 1" "$rc" 1
like "parent folder: the folder holding them named" "$out" \
    "error: $P: no migration file in the migrations folder, but 1 in its folder 'postgresql'"
like "parent folder: where to point" "$out" \
    "hint: point migrations at '$P/postgresql'"
is "parent folder: nothing applied" "$(q "SELECT to_regclass('pz') IS NULL")" t
mkdir -p "$P/sqlite3"
printf 'CREATE TABLE pz (id integer);\n' >"$P/sqlite3/1_pz.up.sql"
out=$("$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations "$P" -n 2>&1); rc=$?
is "parent of two folders of migrations: -n exits 1" "$rc" 1
like "parent of two: both named" "$out" \
    "but 2 in its folders 'postgresql', 'sqlite3'"
like "parent of two: none picked" "$out" \
    "hint: point migrations at the folder of this database's migrations"
rm -rf "$P/postgresql" "$P/sqlite3"
out=$("$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations "$P" --once --up 2>&1)
is "a folder without migrations (one of notes beside): exit 0" "$?" 0
like "... nothing applied" "$out" "tier 2: 0 applied"

# a Flyway folder with Flyway files in a folder of its own (Flyway reads
# a location's subfolders): refused, naming it; a golang-migrate folder
# with such a folder beside its files (golang-migrate reads none) is read
F=$T/flyway_sub
mkdir -p "$F/v2/more"
printf 'CREATE TABLE fz1 (id int);\n' >"$F/V1__one.sql"
printf 'CREATE TABLE fz2 (id int);\n' >"$F/v2/V2__two.sql"
printf 'CREATE TABLE fz3 (id int);\n' >"$F/v2/more/V3__three.sql"
out=$("$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations "$F" --once --up 2>&1); rc=$?
is "flyway subfolder: --once --up exits 1" "$rc" 1
like "flyway subfolder: named" "$out" \
    "error: $F: 2 Flyway migration files in its folder 'v2', which Flyway reads"
is "flyway subfolder: nothing applied" \
    "$(q "SELECT to_regclass('fz1') IS NULL")" t
G2=$T/golang_sub
mkdir -p "$G2/archive"
# (versions after the Diesel one this database recorded above)
printf 'CREATE TABLE gz1 (id int);\n' >"$G2/30000000000001_one.up.sql"
printf 'CREATE TABLE gz0 (id int);\n' >"$G2/archive/30000000000000_old.up.sql"
out=$("$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations "$G2" --once --up 2>&1)
is "golang-migrate beside a folder of old files: exit 0" "$?" 0
is "... its own file applied" "$(q "SELECT to_regclass('gz1') IS NOT NULL")" t
is "... the folder's not" "$(q "SELECT to_regclass('gz0') IS NULL")" t
