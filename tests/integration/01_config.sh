# 01_config.sh - bad configuration, an unreachable database and missing
# folders: exact messages, non-zero exit, and nothing changed in the database.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
before=$(schema_snapshot)

# unknown key, with file, line, column and the key
printf 'database: "dbname=%s"\nmodles: models\n' "$TESTDB" >bad.yaml
out=$("$MIGRATED" -c bad.yaml --once 2>&1); rc=$?
is "unknown key exits 1" "$rc" 1
like "unknown key names file:line:col and key" "$out" \
    "error: bad.yaml:2:1: unknown key 'modles' in configuration"
like "unknown key lists the known ones" "$out" "hint: known keys: database, models, migrations"

# a bad value
printf 'timeouts:\n  lock: forever\n' >bad2.yaml
out=$("$MIGRATED" -c bad2.yaml -n 2>&1); rc=$?
is "bad duration exits 1" "$rc" 1
like "bad duration names the key" "$out" \
    "bad2.yaml:2:9: 'timeouts.lock' must be a duration such as 500ms, 2s or 1m"

# broken YAML
printf 'database: [\n' >bad3.yaml
out=$("$MIGRATED" -c bad3.yaml -n 2>&1)
like "invalid YAML has a position" "$out" "bad3.yaml:2:1: invalid YAML"

# missing file
out=$("$MIGRATED" -c nope.yaml -n 2>&1); rc=$?
is "missing config exits 1" "$rc" 1
like "missing config is named" "$out" "error: nope.yaml: cannot open: No such file or directory"

# missing folders
out=$("$MIGRATED" --database "dbname=$TESTDB" --models nomodels \
    --migrations migrations --once 2>&1); rc=$?
is "missing models folder exits 1" "$rc" 1
like "missing models folder message" "$out" "error: models folder 'nomodels' does not exist"
out=$("$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations nomig --once 2>&1)
like "missing migrations folder message" "$out" "error: migrations folder 'nomig' does not exist"

# a good config checks OK, relative paths are relative to the file
mkdir -p etc/models etc/migrations
printf 'database: "dbname=%s"\nmodels: models\nmigrations: migrations\n' \
    "$TESTDB" >etc/good.yaml
out=$(cd / && "$MIGRATED" -c "$T/etc/good.yaml" -n 2>&1)
is "good config: configuration OK" "$out" "configuration OK"
# read from a pipe (migrated -c <(...)): read, not refused as no regular
# file, as the models' files are (13_tier1_model_errors.sh)
out=$("$MIGRATED" -c <(printf 'database: "dbname=%s"\nmodels: %s\nmigrations: %s\n' \
    "$TESTDB" "$T/etc/models" "$T/etc/migrations") -n 2>&1)
is "a config read from a pipe: configuration OK" "$out" "configuration OK"

# unreachable database: names the socket / host, never the password
out=$("$MIGRATED" --database "host=$T/nosock port=5999 dbname=x user=u password=s3cret" \
    --models models --migrations migrations --once 2>&1); rc=$?
is "unreachable socket exits 1" "$rc" 1
like "unreachable socket is named" "$out" \
    "cannot connect to the database: connection to server on socket \"$T/nosock/.s.PGSQL.5999\" failed"
unlike "no password in the message" "$out" "s3cret"
out=$("$MIGRATED" --database "postgresql://u:hunter2@127.0.0.1:1/x" \
    --models models --migrations migrations --once 2>&1)
like "unreachable host is named" "$out" 'connection to server at "127.0.0.1", port 1 failed'
unlike "no password from a URI" "$out" "hunter2"
out=$(DATABASE_URL="postgresql://u:pw9@127.0.0.1:1/x" "$MIGRATED" \
    --models models --migrations migrations --once 2>&1)
like "DATABASE_URL is honoured" "$out" 'server at "127.0.0.1", port 1 failed'
unlike "no password from DATABASE_URL" "$out" "pw9"

is "nothing changed in the database" "$(schema_snapshot)" "$before"

# a connection string that does not parse: libpq would quote the password
out=$("$MIGRATED" --database 'postgresql://u:p%zzsecret@localhost/db' \
    --models models --migrations migrations -n 2>&1); rc=$?
is "unparsable URI exits 1 at the config check" "$rc" 1
like "unparsable URI: names the key" "$out" "error: invalid connection string in 'database'"
unlike "unparsable URI: no password" "$out" "zzsecret"
out=$("$MIGRATED" --database 'host=x password=abc def' --models models \
    --migrations migrations --socket "$T/never.sock" 2>&1); rc=$?
is "unparsable conninfo: the daemon refuses to start, for good (78)" "$rc" 78
unlike "unparsable conninfo: no password" "$out" "abc|def"
is "unparsable conninfo: no socket was created" "$(ls "$T/never.sock" 2>/dev/null)" ""
out=$("$MIGRATED" --database "$TESTDB" --models models --migrations migrations --once 2>&1)
is "a plain database name is a connection string too" "$?" 0

# -n checks everything the start checks that needs no database
mkdir -p n/models n/migrations
printf 'table: t\ncolumns:\n  id: { type: integr }\n' >n/models/t.yaml
out=$("$MIGRATED" -n --database "dbname=x" --models n/models --migrations n/migrations 2>&1); rc=$?
is "-n: a model with a type typo: exit 1" "$rc" 1
like "-n: the model error is positioned" "$out" "n/models/t.yaml:3:"
unlike "-n: not OK" "$out" "configuration OK"
printf 'table: t\ncolumns:\n  id: int\n' >n/models/t.yaml
printf 'SELEC 1;\n' >n/migrations/20240101_000000_x.sql
out=$("$MIGRATED" -n --database "dbname=x" --models n/models --migrations n/migrations 2>&1); rc=$?
is "-n: a migration that does not parse: exit 1" "$rc" 1
like "-n: the migration error is positioned" "$out" "20240101_000000_x.sql:1:1: syntax error"
rm n/migrations/20240101_000000_x.sql
out=$("$MIGRATED" -n --database "postgresql://localhost:notaport/db" --models n/models --migrations n/migrations 2>&1); rc=$?
is "-n: a port that is not a number: exit 1" "$rc" 1
like "-n: the port named" "$out" "invalid port in 'database': 'notaport'"
printf 'database: "dbname=x"\nmodels: models\nmigrations: migrations\nsocket: { group: no_such_group_x }\n' >n/c.yaml
out=$("$MIGRATED" -n -c n/c.yaml 2>&1); rc=$?
is "-n: an unknown socket group: exit 1" "$rc" 1
like "-n: the group named" "$out" "unknown group 'no_such_group_x' for the control socket"
ok "-n: a good configuration is OK" "$MIGRATED" -n --database "dbname=x" --models n/models --migrations n/migrations
