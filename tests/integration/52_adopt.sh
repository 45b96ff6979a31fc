# 52_adopt.sh - switching from golang-migrate, goose, dbmate and Flyway:
# each tool's history table, created exactly as that tool creates it (the
# DDL is copied from its source, named at each block), says "applied up
# to N"; migrated takes 1..N as applied without running them (their files
# would fail if run: they create tables that exist) and runs N+1.. .  One
# audited tier2.adopt row names the tool, the versions and who ran it.  A
# dirty golang-migrate version and a failed Flyway row are refused with
# the way out, nothing runs; after that way out, adoption goes on.
# The folders are golang-migrate layout with each tool's version shapes.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models
ME=$(id -un)
qd() { psql -qAtX -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
fresh() {	# fresh NAME: an empty database of its own, named on stdout
	_db=${TESTDB}_$1
	qd "$TESTDB" "DROP DATABASE IF EXISTS \"$_db\"" >/dev/null 2>&1
	qd "$TESTDB" "CREATE DATABASE \"$_db\"" >/dev/null
	echo "$_db"
}
# mig DIR VERSION NAME TABLE: a file creating TABLE, and its rollback
mig() {
	mkdir -p "$1"
	echo "CREATE TABLE $4 (id int PRIMARY KEY);" >"$1/$2_$3.up.sql"
	echo "DROP TABLE $4;" >"$1/$2_$3.down.sql"
}
once() {	# once DB DIR ARGS...: the one-shot mode
	_db=$1 _dir=$2; shift 2
	"$MIGRATED" --database "dbname=$_db" --models "$T/models" \
	    --migrations "$_dir" --once "$@"
}
audit_of() {	# audit_of DB ACTION COLUMNS
	qd "$1" "SELECT $3 FROM migrated_audit WHERE action = '$2' ORDER BY id"
}
audit_count() {	# audit_count DB ACTION
	qd "$1" "SELECT count(*) FROM migrated_audit WHERE action = '$2'"
}

# ---- golang-migrate, through the daemon (the issue's case: at version 3
# of 5, with migrated's default configuration) ----
DB=$(fresh golang)
for v in 1 2 3 4 5; do mig gm "000$v" "step_$v" "gm_t$v"; done
# database/postgres/postgres.go, ensureVersionTable and SetVersion
qd "$DB" 'CREATE TABLE IF NOT EXISTS "public"."schema_migrations" (version bigint not null primary key, dirty boolean not null)'
qd "$DB" "CREATE TABLE gm_t1 (id int PRIMARY KEY); CREATE TABLE gm_t2 (id int PRIMARY KEY); CREATE TABLE gm_t3 (id int PRIMARY KEY)"
qd "$DB" 'TRUNCATE "public"."schema_migrations"; INSERT INTO "public"."schema_migrations" (version, dirty) VALUES (3, false)'
# before migrated's first run, --check says what that run will do: 1..3
# taken as applied, 2 pending (not 5), and it writes nothing
out=$("$MIGRATED" --database "dbname=$DB" --models "$T/models" \
    --migrations "$T/gm" --check 2>&1); rc=$?
is "golang-migrate: --check before the first run: exit 3" "$rc" 3
like "golang-migrate: --check names what the first run adopts" "$out" \
    "its first run takes 3 versions as applied from golang-migrate's public.schema_migrations \\(up to 0003\\), running none"
like "golang-migrate: --check: 2 pending, not 5" "$out" \
    "check: 2 enhancement\\(s\\) pending"
is "golang-migrate: --check made no table" \
    "$(qd "$DB" "SELECT count(*) FROM pg_class WHERE relname LIKE 'migrated%'")" 0
SOCK=$T/gm.sock
ctl() { timeout 30 "$MIGRATECTL" -s "$SOCK" "$@"; }
cat >gm.yaml <<EOF
database: "dbname=$DB"
models: $T/models
migrations: $T/gm
socket: $SOCK
EOF
"$MIGRATED" -c gm.yaml >gm.log 2>&1 &
dpid=$!; track $dpid
ok "golang-migrate: the daemon starts beside schema_migrations" \
    ctl wait-ready --timeout 30
like "golang-migrate: the start says what it adopted" "$(cat gm.log)" \
    "tier 2: 3 versions adopted as applied, up to 0003"
out=$(ctl list 2>&1)
like "golang-migrate: 0003 applied" "$out" "0003 +step_3 +applied"
like "golang-migrate: 0004 pending" "$out" "0004 +step_4 +pending"
is "golang-migrate: one adopt row, by the daemon, naming tool and versions" \
    "$(audit_of "$DB" tier2.adopt "actor || ' ' || target || ' ' || detail")" \
    "daemon golang-migrate golang-migrate public.schema_migrations: 3 versions taken as applied: 0001, 0002, 0003"
out=$(ctl up 2>&1); rc=$?
is "golang-migrate: up exits 0" "$rc" 0
like "golang-migrate: up ran 0004 and 0005 only" "$(echo "$out" | grep -c apply)" "^2$"
is "golang-migrate: 4 and 5 applied" \
    "$(qd "$DB" "SELECT count(*) FROM pg_class WHERE relname IN ('gm_t4', 'gm_t5')")" 2
is "golang-migrate: no failure anywhere" \
    "$(qd "$DB" "SELECT count(*) FROM migrated_audit WHERE NOT ok")" 0
is "golang-migrate: its own table untouched" \
    "$(qd "$DB" "SELECT version || ' ' || dirty FROM schema_migrations")" "3 false"
kill -TERM $dpid; wait $dpid 2>/dev/null
is "golang-migrate: restarted, nothing adopted twice" \
    "$("$MIGRATED" -c gm.yaml --once >/dev/null 2>&1; audit_count "$DB" tier2.adopt)" 1

# ---- goose (timestamp versions), in one-shot mode; 3 was applied and
# rolled back by an old goose (a newer is_applied = false row) ----
DB=$(fresh goose)
mig gs 20230102150405 users gs_users
mig gs 20230103110000 posts gs_posts
mig gs 20230104090000 tags gs_tags
mig gs 20230105120000 likes gs_likes
# internal/dialects/postgres.go CreateTable; migrate.go inserts version 0
qd "$DB" 'CREATE TABLE goose_db_version (
		id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
		version_id bigint NOT NULL,
		is_applied boolean NOT NULL,
		tstamp timestamp NOT NULL DEFAULT now()
	)'
qd "$DB" "CREATE TABLE gs_users (id int PRIMARY KEY); CREATE TABLE gs_posts (id int PRIMARY KEY)"
for row in "0, true" "20230102150405, true" "20230103110000, true" \
    "20230104090000, true" "20230104090000, false"; do
	qd "$DB" "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($row)"
done
out=$(once "$DB" gs --up 2>&1); rc=$?
is "goose: --once --up exits 0" "$rc" 0
like "goose: two adopted" "$out" "2 versions adopted as applied, up to 20230103110000"
like "goose: the rolled-back version runs" "$out" "tier2.apply '20230104090000_tags'"
like "goose: then the new one" "$out" "tier 2: 2 applied, current version 20230105120000"
is "goose: adopt row by the one-shot run" \
    "$(audit_of "$DB" tier2.adopt "actor || ' ' || target")" "daemon goose"
is "goose: every version recorded once" \
    "$(qd "$DB" "SELECT string_agg(version, ' ' ORDER BY version) FROM migrated_versions WHERE NOT dirty")" \
    "20230102150405 20230103110000 20230104090000 20230105120000"

# ---- dbmate, with a stale goose table beside it: the start refuses to
# guess, `migratectl adopt --from dbmate` decides; a version of dbmate's
# history has no file and is named ----
DB=$(fresh dbmate)
mig dm 20151129054053 accounts dm_accounts
mig dm 20151130101010 invoices dm_invoices
mig dm 20151201000000 payments dm_payments
# pkg/driver/postgres/postgres.go CreateMigrationsTable
qd "$DB" 'create table if not exists "public"."schema_migrations" (version varchar primary key)'
qd "$DB" "insert into \"public\".\"schema_migrations\" (version) values ('20151129054053'), ('20151130101010'), ('20151101000000')"
qd "$DB" "CREATE TABLE dm_accounts (id int PRIMARY KEY); CREATE TABLE dm_invoices (id int PRIMARY KEY)"
qd "$DB" 'CREATE TABLE goose_db_version (id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NOT NULL DEFAULT now())'
qd "$DB" "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true)"
SOCK=$T/dm.sock
cat >dm.yaml <<EOF
database: "dbname=$DB"
models: $T/models
migrations: $T/dm
socket: $SOCK
EOF
"$MIGRATED" -c dm.yaml >dm.log 2>&1 &
dpid=$!; track $dpid
ok "dbmate: the daemon starts" ctl wait-ready --timeout 30
like "dbmate: the start names both histories" "$(cat dm.log)" \
    "found the histories of 2 tools: goose \(public.goose_db_version\), dbmate \(public.schema_migrations\)"
out=$(ctl up 2>&1); rc=$?
is "dbmate: up refuses to guess" "$rc" 1
like "dbmate: with the command that decides" "$out" \
    "hint: say which one tells the truth with 'migratectl adopt --from TOOL'"
is "dbmate: nothing ran" \
    "$(qd "$DB" "SELECT count(*) FROM pg_class WHERE relname = 'dm_payments'")" 0
out=$(ctl adopt --from dbmate --dry-run 2>&1)
like "dbmate: dry run says what it would adopt" "$out" "20151130101010 +invoices +would adopt"
is "dbmate: dry run recorded nothing" \
    "$(qd "$DB" "SELECT to_regclass('migrated_versions') IS NULL")" t
out=$(ctl adopt --from dbmate 2>&1); rc=$?
is "dbmate: adopt exits 0" "$rc" 0
like "dbmate: the version with no file is named" "$out" \
    "warning: dbmate's history \(public.schema_migrations\) records 1 version with no file in the folder, not recorded: 20151101000000"
is "dbmate: adopt row, by the peer who ran it" \
    "$(audit_of "$DB" tier2.adopt "actor || ' ' || username || ' ' || detail")" \
    "peer $ME dbmate public.schema_migrations: 2 versions taken as applied: 20151129054053, 20151130101010; in the history but not in the folder: 20151101000000"
like "dbmate: list: adopted, by the peer who ran adopt" "$(ctl list 2>&1)" \
    "20151130101010 +invoices +applied .*$ME$"
ok "dbmate: up" ctl up
is "dbmate: the third ran" \
    "$(qd "$DB" "SELECT count(*) FROM pg_class WHERE relname = 'dm_payments'")" 1
out=$(ctl adopt --from dbmate 2>&1)
like "dbmate: adopting again finds nothing new" "$out" "nothing to do"
is "dbmate: and records nothing" "$(audit_count "$DB" tier2.adopt)" 1
out=$(ctl adopt --from liquibase 2>&1); rc=$?
is "adopt: an unknown tool is a usage error" "$rc" 2
like "adopt: which tools it knows" "$out" \
    "unknown tool 'liquibase': say golang-migrate, goose, dbmate, flyway, diesel, prisma, pop, sql-migrate, tern, atlas, sqlx, node-pg-migrate, supabase, drizzle or postgrator"
kill -TERM $dpid; wait $dpid 2>/dev/null

# ---- Flyway: a baseline at 1, V2 applied, a repeatable; 3 and 4 run ----
DB=$(fresh flyway)
mig fw 1 init fw_init
mig fw 2 add_orders fw_orders
mig fw 3 add_items fw_items
mig fw 4 add_notes fw_notes
# flyway-database-postgresql PostgreSQLDatabase.getRawCreateScript, and
# Database.getBaselineStatement / getInsertStatement
qd "$DB" 'CREATE TABLE "public"."flyway_schema_history" (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
INSERT INTO "public"."flyway_schema_history" ("installed_rank", "version", "description", "type", "script", "checksum", "installed_by", "execution_time", "success") VALUES (1, '"'1'"', '"'<< Flyway Baseline >>'"', '"'BASELINE'"', '"'<< Flyway Baseline >>'"', NULL, '"'postgres'"', 0, true);
ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");'
qd "$DB" "CREATE TABLE fw_init (id int PRIMARY KEY); CREATE TABLE fw_orders (id int PRIMARY KEY)"
flyrow() {
	qd "$DB" "INSERT INTO \"public\".\"flyway_schema_history\" (\"installed_rank\", \"version\", \"description\", \"type\", \"script\", \"checksum\", \"installed_by\", \"execution_time\", \"success\") VALUES ($1)"
}
# Flyway's checksum of the file it ran (ChecksumCalculator: CRC-32 over
# its lines), which is the folder's 2
sum=$(python3 -c 'import sys, zlib
c = 0
for line in open(sys.argv[1], "rb").read().splitlines():
    c = zlib.crc32(line, c)
print(c - (1 << 32) if c >= 1 << 31 else c)' fw/2_add_orders.up.sql)
flyrow "2, '2', 'add orders', 'SQL', 'V2__add_orders.sql', $sum, 'postgres', 12, true"
flyrow "3, NULL, 'views', 'SQL', 'R__views.sql', 123456789, 'postgres', 3, true"
# a failed (non-transactional) V3: refused, nothing runs
flyrow "4, '3', 'add items', 'SQL', 'V3__add_items.sql', 42, 'postgres', 5, false"
before=$(qd "$DB" "SELECT count(*) FROM pg_class")
out=$(once "$DB" fw --up 2>&1); rc=$?
is "flyway failed row: --once --up exits 1" "$rc" 1
like "flyway failed row: named" "$out" \
    "cannot adopt Flyway's history: version 3 failed"
like "flyway failed row: the way out" "$out" \
    "hint: check what V3__add_items.sql changed and finish or undo it by hand; then remove the failed row with 'flyway repair'"
is "flyway failed row: nothing ran, no table made" \
    "$(qd "$DB" "SELECT count(*) FROM pg_class WHERE relname IN ('fw_items', 'fw_notes', 'migrated_versions')")" 0
# what `flyway repair` does to a failed row: removes it
qd "$DB" 'DELETE FROM "public"."flyway_schema_history" WHERE NOT "success"'
out=$(once "$DB" fw --up 2>&1); rc=$?
is "flyway: --once --up exits 0 after the repair" "$rc" 0
like "flyway: baseline 1 and V2 adopted" "$out" "2 versions adopted as applied, up to 2"
like "flyway: 3 and 4 run" "$out" "tier 2: 2 applied, current version 4"
is "flyway: adopt row" "$(audit_of "$DB" tier2.adopt "target || ' ' || detail")" \
    "flyway flyway public.flyway_schema_history: 2 versions taken as applied: 1, 2"

# ---- golang-migrate dirty: refused with the way out; `migrate force`
# (TRUNCATE + INSERT, as SetVersion does) resolves it ----
DB=$(fresh dirty)
qd "$DB" 'CREATE TABLE IF NOT EXISTS "public"."schema_migrations" (version bigint not null primary key, dirty boolean not null)'
qd "$DB" "CREATE TABLE gm_t1 (id int PRIMARY KEY); CREATE TABLE gm_t2 (id int PRIMARY KEY)"
qd "$DB" 'TRUNCATE "public"."schema_migrations"; INSERT INTO "public"."schema_migrations" (version, dirty) VALUES (2, true)'
out=$("$MIGRATED" --database "dbname=$DB" --models "$T/models" \
    --migrations "$T/gm" --check 2>&1); rc=$?
is "dirty: --check exits 3" "$rc" 3
like "dirty: --check says the first run will refuse it" "$out" \
    "its first run will refuse another tool's: cannot adopt golang-migrate's history: version 2 is dirty"
out=$(once "$DB" gm --up 2>&1); rc=$?
is "dirty: --once --up exits 1" "$rc" 1
like "dirty: named" "$out" "cannot adopt golang-migrate's history: version 2 is dirty"
like "dirty: the way out" "$out" \
    "hint: check what version 2 changed and finish or undo it by hand; then record the version the database is at with 'migrate -path DIR -database URL force V'"
is "dirty: nothing ran, no table made" \
    "$(qd "$DB" "SELECT count(*) FROM pg_class WHERE relname IN ('gm_t3', 'migrated_versions')")" 0
is "dirty: the refusal is audited" \
    "$(audit_count "$DB" tier2.refuse)" 1
qd "$DB" 'TRUNCATE "public"."schema_migrations"; INSERT INTO "public"."schema_migrations" (version, dirty) VALUES (2, false)'
out=$(once "$DB" gm --up 2>&1); rc=$?
is "dirty: after 'migrate force 2', --once --up exits 0" "$rc" 0
like "dirty: 3, 4, 5 ran" "$out" "tier 2: 3 applied, current version 0005"

for d in golang goose dbmate flyway dirty; do
	qd "$TESTDB" "DROP DATABASE IF EXISTS \"${TESTDB}_$d\"" >/dev/null
done
