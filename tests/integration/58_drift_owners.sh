# 58_drift_owners.sh - what tier 1 reads of the applied enhancements to
# tell drift from what they created (core/tier1.c, t1_owned): only the
# files whose text may make an object of a kind the drift has
# (migset_may_own: the kind's keywords, which SQL cannot quote), so that a
# start with an extension no model names does not parse the whole folder
# (the daemon reads the files from its folder cache, parsed by then or
# not).  An extension, a sequence, a domain or a renamed table an
# enhancement made is not drift; one no file made still is.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
for i in 1 2 3; do
	printf 'CREATE TABLE do_t%s (id int PRIMARY KEY, v text);\n' $i \
	    >migrations/2024010${i}_000000_t$i.sql
	printf 'CREATE INDEX do_t%s_v ON do_t%s (v);\n' $i $i \
	    >>migrations/2024010${i}_000000_t$i.sql
done
printf 'create extension if not exists pg_trgm;\n' \
    >migrations/20240104_000000_trgm.sql
printf 'CREATE SEQUENCE do_seq;\nCREATE DOMAIN do_dom AS int CHECK (VALUE > 0);\n' \
    >migrations/20240105_000000_seq.sql
printf 'ALTER TABLE do_t3 RENAME TO do_t3b;\n' \
    >migrations/20240106_000000_rename.sql
q "CREATE EXTENSION citext" >/dev/null
M() { "$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations "$@"; }

out=$(M --once --up 2>&1); rc=$?
is "once --up: exit 0" "$rc" 0
like "the six enhancements applied" "$out" "tier 2: 6 applied"

# the next run's tier 1 reads the one file that spells EXTENSION, from
# the folder --once read once for both tiers
out=$(M -d --once 2>&1); rc=$?
is "once: exit 0" "$rc" 0
like "once: one drift, the extension no file made" "$out" \
    "tier 1: up to date \(0 refused, 1 drift\)"
like "once: one file of six read for what it made" "$out" \
    "tier 1: 1 of 6 applied files read for what they made"

# the daemon: the same, from its folder cache, at the start and after
SOCK=$T/do.sock
ctl() { timeout 30 "$MIGRATECTL" -s "$SOCK" "$@"; }
"$MIGRATED" -d --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
dpid=$!; track $dpid
ok "daemon ready" ctl wait-ready --timeout 30
ok "daemon: status counts one drift" status_says "$SOCK" \
    "d['data']['schema']['drift'] == 1"
like "daemon: one file of six read at the start" "$(cat daemon.log)" \
    "tier 1: 1 of 6 applied files read for what they made"
out=$(ctl plan 2>&1)
like "daemon: plan credits the extension to its enhancement" "$out" \
    "extension pg_trgm: .*created by enhancement '20240104_000000_trgm'"
like "daemon: plan still has citext as drift" "$out" "drift: extension citext"
ok "daemon: up, nothing pending" ctl up
# validate parses every file of the cache: tier 1 then reads the parsed
# statements
ok "daemon: validate" ctl validate
out=$(ctl plan 2>&1)
like "daemon: plan of the parsed files, the same" "$out" \
    "extension pg_trgm: .*created by enhancement '20240104_000000_trgm'"
like "daemon: still one file of six read" "$(tail -n 5 daemon.log)" \
    "tier 1: 1 of 6 applied files read for what they made"
kill -TERM $dpid; wait $dpid
is "daemon exits 0" "$?" 0

# no model file: only the extensions are read, and only the file that
# spells EXTENSION is parsed for what it made
out=$(M -d --plan 2>&1)
like "no model: the extension no file made is drift" "$out" \
    "^-- drift: extension citext: "
like "no model: the enhancement's extension is not drift" "$out" \
    "extension pg_trgm: extension pg_trgm \(version [0-9.]+\) is not in the models; created by enhancement '20240104_000000_trgm'"
like "no model: one file of six read for what it made" "$out" \
    "tier 1: 1 of 6 applied files read for what they made"

# a model of the schema: tables, indexes, the sequence and the domain are
# compared too, and every file may have made some
cat >models/t.yaml <<'YAML'
table: do_model
columns:
  id: { type: integer, primary_key: true }
YAML
q "CREATE TABLE do_model (id integer PRIMARY KEY)" >/dev/null
out=$(M -d --plan 2>&1)
like "a model: the enhancement's sequence is not drift" "$out" \
    "sequence public.do_seq: sequence is not in the models; created by enhancement '20240105_000000_seq'"
like "a model: the enhancement's domain is not drift" "$out" \
    "domain public.do_dom: .*created by enhancement '20240105_000000_seq'"
like "a model: the enhancement's table is not drift" "$out" \
    "table public.do_t2: table is not in the models; created by enhancement '20240102_000000_t2'"
like "a model: the table an enhancement renamed is its own" "$out" \
    "table public.do_t3b: table is not in the models; created by enhancement '20240106_000000_rename'"
unlike "a model: nothing else is drift" "$out" "^-- drift: (table|sequence|domain|index)"
like "a model: the extension no file made is still drift" "$out" \
    "^-- drift: extension citext: "
like "a model: all six files read" "$out" \
    "tier 1: 6 of 6 applied files read for what they made"

# drift of a kind no file spells: nothing parsed, nothing read
rm -f models/t.yaml
q "DROP TABLE do_model" >/dev/null
mv migrations/20240104_000000_trgm.sql trgm.sql
printf 'SELECT 1;\n' >migrations/20240104_000000_trgm.sql
out=$(M -d --plan 2>&1)
like "no file spells EXTENSION: pg_trgm is drift" "$out" \
    "^-- drift: extension pg_trgm: "
like "no file spells EXTENSION: none read" "$out" \
    "tier 1: 0 of 6 applied files read for what they made"
