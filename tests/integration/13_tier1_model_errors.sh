# 13_tier1_model_errors.sh - a bad model file: exit 1, an error naming
# file:line:col and the key, and nothing applied (not even the good files).
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p migrations
before=$(schema_snapshot)
case_() {	# case_ NAME WANT-PATTERN  (model files in m/)
	out=$("$MIGRATED" --database "dbname=$TESTDB" --models m \
	    --migrations migrations --once 2>&1); rc=$?
	is "$1: exit 1" "$rc" 1
	like "$1: message" "$out" "$2"
	is "$1: nothing applied" "$(schema_snapshot)" "$before"
	out=$("$MIGRATED" --database "dbname=$TESTDB" --models m \
	    --migrations migrations --plan 2>&1); rc=$?
	is "$1: --plan exits 1 too" "$rc" 1
	rm -rf m
}
good() {
	mkdir -p m
	printf 'table: a_good\ncolumns:\n  id: { type: int, primary_key: true }\n' >m/a_good.yaml
}

good; printf 'table: t\ncolumns:\n  id: int\n  name: { type: text, nullable: true }\n' >m/t.yaml
case_ "unknown key" "error: m/t.yaml:4:23: unknown key 'nullable' in column"
good; printf 'table: t\ncolumns:\n  id: int\ncolour: red\n' >m/t.yaml
case_ "unknown top-level key" "error: m/t.yaml:4:1: unknown key 'colour' in model"
good; printf 'table: t\ncolumns:\n  id: int\n  name: { type: strng }\n' >m/t.yaml
case_ "unknown type" "error: m/t.yaml:4:17: unknown type 'strng' for column 'name'"
good; printf 'table: t\ncolumns:\n  id: { type: bigserial, primary_key: true }\n  email: citext\n' >m/t.yaml
case_ "a type from an extension the models do not list" \
    "hint: 'citext' comes from an extension: add 'extensions: \\[citext\\]' to a model"
good; printf 'table: t\ncolumns:\n  id: { type: bigserial, default: 1 }\n' >m/t.yaml
case_ "serial with a default" \
    "error: m/t.yaml:3:15: column 'id' is serial \\(its sequence gives the values\\): it cannot have 'default'"
good; printf 'sequences:\n  s: { type: text }\n' >m/s.yaml
case_ "sequence of a non-integer type" \
    "error: m/s.yaml:2:14: 'type' must be smallint, integer or bigint"
good; printf 'domains:\n  d: { type: int, chek: x }\n' >m/d.yaml
case_ "unknown key in a domain" "error: m/d.yaml:2:19: unknown key 'chek' in domain"
good; printf 'extensions: [citext, citext]\n' >m/x.yaml
case_ "duplicate extension" "error: m/x.yaml:1:22: duplicate extension 'citext'"
good; printf 'table: t\ncolumns:\n  id: { type: text, identity: always }\n' >m/t.yaml
case_ "identity on a text column" \
    "error: m/t.yaml:3:15: identity column 'id' must be smallint, integer or bigint, not text"
good; printf 'table: t\ncolumns:\n  id: int\n  owner: { type: int, references: ownrs }\n' >m/t.yaml
case_ "fk to a table no model defines" \
    "error: m/t.yaml:4:35: foreign key on 't' references table 'public.ownrs' that no model defines"
good; printf 'table: a_good\ncolumns:\n  id: int\n' >m/t.yaml
case_ "duplicate table" "error: m/t.yaml:1:8: duplicate table 'public.a_good'"
good; printf 'table: t\ncolumns:\n  id: int\n  id: text\n' >m/t.yaml
case_ "duplicate column" "error: m/t.yaml:4:3: duplicate key 'id' in columns"
good; printf 'table: t\ncolumns:\n  id: int\nindexes:\n  - { name: a_good, columns: [id] }\n' >m/t.yaml
case_ "index named like a table" \
    "error: m/t.yaml:5:5: duplicate relation \\(table, index or key\\) name 'a_good'"
good; printf 'table: t\ncolumns:\n  id: int\nindexes:\n  - [id]\n  - { columns: [id] }\n' >m/t.yaml
case_ "two indexes with one name" "error: m/t.yaml:6:5: duplicate relation \\(table, index or key\\) name 't_id_idx'"
good; printf 'table: t\ncolumns:\n  id: { type: int, default: "1 +" }\n' >m/t.yaml
case_ "bad default expression" "error: m/t.yaml:3:29: 'default': invalid SQL expression: syntax error"
good; printf 'table: t\ncolumns:\n  id: int\nindexes:\n  - { columns: [nope] }\n' >m/t.yaml
case_ "index on a missing column" "error: m/t.yaml:5:5: index key 'nope': table 't' has no column 'nope'"
good; printf 'table: t\ncolumns: [\n' >m/t.yaml
case_ "invalid YAML" "error: m/t.yaml:3:1: invalid YAML"
good; printf 'enums:\n  mood: [happy, happy]\n' >m/t.yaml
case_ "duplicate enum value" "error: m/t.yaml:2:9: duplicate enum value 'happy'"

# the daemon: a bad model exits 78 before anything connects, even when
# the database answers nothing (a server that accepts and stays silent,
# where a connection would wait connect_timeout: it counts them)
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
    print("accepted", flush=True)
' >silent.log &
SPID=$!; track $SPID
wait_until 30 test -s silent.log
port=$(head -n 1 silent.log)
good; printf 'table: t\ncolumns: [\n' >m/t.yaml
out=$(timeout 60 "$MIGRATED" --database "host=127.0.0.1 port=$port dbname=x" \
    --models m --migrations migrations --socket "$T/silent.sock" 2>&1); rc=$?
is "daemon, bad model, silent database: exit 78" "$rc" 78
like "daemon, bad model: named" "$out" "error: m/t.yaml:3:1: invalid YAML"
is "daemon, bad model: no connection tried" "$(grep -c accepted silent.log)" 0
# the conninfo's connect_timeout is the one used (it was overridden by
# migrated's 10 s until 2026-12-01): 1 s (libpq makes it 2), well
# within the guard's 8; one that is not a number is a config error
rm -rf m; good
out=$(timeout 8 "$MIGRATED" --database \
    "host=127.0.0.1 port=$port dbname=x connect_timeout=1" --models m \
    --migrations migrations --once 2>&1); rc=$?
is "silent database, connect_timeout=1: exit 1, not the guard's 124" "$rc" 1
like "silent database: the timeout said" "$out" "timeout expired"
is "silent database: one connection tried" "$(grep -c accepted silent.log)" 1
out=$(timeout 30 "$MIGRATED" --database \
    "host=127.0.0.1 port=$port dbname=x connect_timeout=abc" --models m \
    --migrations migrations --socket "$T/silent.sock" 2>&1); rc=$?
is "daemon, connect_timeout=abc: exit 78 (will not heal)" "$rc" 78
like "connect_timeout=abc: said" "$out" "invalid integer value"
# ... and so is libpq's from a service file or PGCONNECT_TIMEOUT (each
# was overridden by migrated's 10 s until 2026-12-01), in libpq's order:
# the conninfo, the service, the environment
printf '[silent]\nhost=127.0.0.1\nport=%s\nconnect_timeout=1\n' "$port" \
    >svc.conf
once_silent() {	# once_silent CONNINFO [ENV...]: rc and out, guard GUARD s
	local c=$1
	shift
	out=$(env "$@" timeout "${GUARD:-8}" "$MIGRATED" --database "$c" \
	    --models m --migrations migrations --once 2>&1); rc=$?
}
n0=$(grep -c accepted silent.log)
once_silent "host=127.0.0.1 port=$port dbname=x" PGCONNECT_TIMEOUT=1
is "silent database, PGCONNECT_TIMEOUT=1: exit 1, not the guard's 124" \
    "$rc" 1
like "PGCONNECT_TIMEOUT=1: the timeout said" "$out" "timeout expired"
once_silent "service=silent dbname=x" PGSERVICEFILE="$T/svc.conf"
is "silent database, the service's connect_timeout=1: exit 1" "$rc" 1
like "the service's connect_timeout: the timeout said" "$out" \
    "timeout expired"
once_silent "service=silent dbname=x" PGSERVICEFILE="$T/svc.conf" \
    PGCONNECT_TIMEOUT=30
is "the service's connect_timeout before PGCONNECT_TIMEOUT: exit 1" "$rc" 1
once_silent "host=127.0.0.1 port=$port dbname=x connect_timeout=1" \
    PGCONNECT_TIMEOUT=30
is "the conninfo's connect_timeout before PGCONNECT_TIMEOUT: exit 1" "$rc" 1
is "silent database: one connection tried each time" \
    "$(( $(grep -c accepted silent.log) - n0 ))" 4
# none of them: migrated's 10 s still (the guard's 30 s not reached)
GUARD=30 once_silent "host=127.0.0.1 port=$port dbname=x" \
    -u PGCONNECT_TIMEOUT -u PGSERVICE
is "silent database, no timeout set: exit 1 after migrated's 10 s" "$rc" 1
like "no timeout set: the timeout said" "$out" "timeout expired"
out=$(PGCONNECT_TIMEOUT=abc timeout 30 "$MIGRATED" --database \
    "host=127.0.0.1 port=$port dbname=x" --models m \
    --migrations migrations --socket "$T/silent.sock" 2>&1); rc=$?
is "daemon, PGCONNECT_TIMEOUT=abc: exit 78 (will not heal)" "$rc" 78
like "PGCONNECT_TIMEOUT=abc: said" "$out" "invalid integer value"
kill $SPID 2>/dev/null; wait $SPID 2>/dev/null
rm -rf m

# a model that is not a regular file: refused, naming it, not waited on
# (a FIFO held the start until something wrote to it) nor read as YAML
fifo_case() {	# fifo_case NAME FILE: FILE made in m/ beside a good model
	rm -rf m; good
	case $2 in
	*/) mkdir "m/$2" ;;
	*) mkfifo "m/$2" ;;
	esac
	out=$(timeout 60 "$MIGRATED" --database "dbname=$TESTDB" --models m \
	    --migrations migrations --once 2>&1); rc=$?
	is "$1: --once exits 1 (124: it waited)" "$rc" 1
	like "$1: named" "$out" "error: m/${2%/}: cannot read: not a regular file"
	out=$(timeout 60 "$MIGRATED" --database "dbname=$TESTDB" --models m \
	    --migrations migrations --socket "$T/fifo.sock" 2>&1); rc=$?
	is "$1: the daemon exits 78" "$rc" 78
	is "$1: nothing applied" "$(schema_snapshot)" "$before"
}
fifo_case "a FIFO for a YAML model" t.yaml
fifo_case "a FIFO for an SQL model" t.sql
fifo_case "a directory named as a model" t.yaml/
rm -rf m
