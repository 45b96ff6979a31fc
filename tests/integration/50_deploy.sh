# 50_deploy.sh - contrib/deploy/pre-deploy.sh and post-deploy.sh end to end
# against the real daemon: validate stops a broken release before anything
# runs, the backup is a restorable dump taken before `up`, --reload brings
# in new models before the enhancements that need them, a failed step stops
# the deploy with migratectl's exit status, post-deploy gates on `check`.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

DEPLOY=$(cd "$(dirname "$0")/../../contrib/deploy" && pwd)
export MIGRATECTL
mkdir -p models migrations
SOCK=$T/ctl.sock
pre() { "$DEPLOY/pre-deploy.sh" -s "$SOCK" "$@"; }
post() { "$DEPLOY/post-deploy.sh" -s "$SOCK" "$@"; }
enh() {	# enh VERSION_NAME SQL
	printf '%s\n' "$2" >"migrations/$1.sql"
	echo "SELECT 1;" >"migrations/$1_rollback.sql"
}
settle() {	# settle N: the daemon's status lists N pending enhancements
	poll 30 settled "$1"
}
settled() {
		"$MIGRATECTL" -s "$SOCK" --json status | python3 -c '
import json, sys
def pending(o):
	if isinstance(o, dict):
		if isinstance(o.get("pending"), list):
			return len(o["pending"])
		for v in o.values():
			n = pending(v)
			if n is not None:
				return n
	return None
sys.exit(pending(json.loads(sys.stdin.readline())) != int(sys.argv[1]))
' "$1"
}

cat >models/things.yaml <<'EOF'
table: things
columns:
  id:    { type: bigint, primary_key: true }
  label: text
EOF
cat >cfg.yaml <<EOF
database: "dbname=$TESTDB"
models: models
migrations: migrations
socket: $SOCK
EOF
"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "daemon ready" "$MIGRATECTL" -s "$SOCK" wait-ready --timeout 30
q "INSERT INTO things SELECT g FROM generate_series(1, 500) g"

# usage and an unreachable daemon
fails_with "pre-deploy: unknown argument, exit 2" 2 pre --bogus
fails_with "pre-deploy: --backup without DIR, exit 2" 2 pre --backup
fails_with "post-deploy: unknown argument, exit 2" 2 post --bogus
out=$("$DEPLOY/pre-deploy.sh" -s "$T/nowhere.sock" 2>&1); rc=$?
is "pre-deploy: daemon unreachable, exit 4" "$rc" 4
like "pre-deploy: says which step stopped" "$out" \
    "pre-deploy: 'validate' failed \(exit 4\), deploy stopped"
fails_with "post-deploy: daemon unreachable, exit 4" 4 \
    "$DEPLOY/post-deploy.sh" -s "$T/nowhere.sock" --timeout 1

# release 1: one enhancement, pending
enh 20240101_000000_fill_labels \
    "UPDATE things SET label = 'thing ' || id WHERE label IS NULL;"
ok "watcher sees release 1" settle 1
out=$(post 2>&1); rc=$?
is "post-deploy before the deploy: exit 3" "$rc" 3
like "post-deploy names what is pending" "$out" "1 enhancement\(s\) pending"

# a broken file in the release: validate stops it, nothing runs, no backup
enh 20240102_000000_broken "UPDATE things SET label = 'x' WHERE id = ;"
ok "watcher sees the broken file" settle 2
before=$(schema_snapshot)
out=$(pre --backup bk --database "dbname=$TESTDB" 2>&1); rc=$?
is "broken release: exit 1" "$rc" 1
like "broken release: file, line and column" "$out" \
    "migrations/20240102_000000_broken.sql:1:[0-9]+: syntax error"
like "broken release: stopped at validate" "$out" \
    "'validate' failed \(exit 1\), deploy stopped"
is "broken release: no backup taken" "$(ls bk 2>/dev/null | wc -l)" 0
is "broken release: database unchanged" "$(schema_snapshot)" "$before"
rm -f migrations/20240102_000000_broken*
ok "watcher sees the fix" settle 1

# release 1 deployed with a backup
out=$(pre --backup bk --database "dbname=$TESTDB" 2>&1); rc=$?
is "pre-deploy: exit 0" "$rc" 0
like "pre-deploy: ran validate, backup, up" "$(printf '%s\n' "$out" |
    grep -o "^pre-deploy: [a-z]*$" | tr '\n' ' ')" \
    "^pre-deploy: validate pre-deploy: backup pre-deploy: up $"
dump=$(ls bk/migrated-*.dump 2>/dev/null)
like "backup: timestamped file name" "$dump" \
    '^bk/migrated-[0-9]{8}T[0-9]{6}Z\.dump$'
like "backup: the file is named on stderr" "$out" "backup written to '$dump'"
is "enhancement applied" "$(q "SELECT count(*) FROM things
    WHERE label = 'thing ' || id")" 500
is "tracking row, not dirty" "$(q "SELECT dirty FROM migrated_versions
    WHERE version = '20240101_000000'")" f
is "recorded in the audit" "$(q "SELECT count(*) FROM migrated_audit
    WHERE action = 'tier2.apply' AND target LIKE '20240101_000000%' AND ok")" 1
# the dump was taken before up: restored, it has the rows without labels
rdb=${TESTDB}_restore
psql -qAtX -d postgres -c "DROP DATABASE IF EXISTS \"$rdb\"" \
    -c "CREATE DATABASE \"$rdb\"" >/dev/null
ok "backup: pg_restore reads it" pg_restore --no-owner -d "$rdb" "$dump"
is "backup: taken before up" "$(psql -qAtX -d "$rdb" -c \
    "SELECT count(*) || ' ' || count(label) FROM things")" "500 0"
psql -qAtX -d postgres -c "DROP DATABASE \"$rdb\"" >/dev/null
out=$(post 2>&1); rc=$?
is "post-deploy after the deploy: exit 0" "$rc" 0
like "post-deploy: in sync" "$out" "schema in sync, nothing pending"

# release 2: a new column in the models and an enhancement that needs it
cat >models/things.yaml <<'EOF'
table: things
columns:
  id:    { type: bigint, primary_key: true }
  label: text
  score: { type: integer, not_null: true, default: 0 }
EOF
enh 20240201_000000_score_labels \
    "UPDATE things SET score = length(label) WHERE score = 0;"
ok "watcher sees release 2" settle 1
snap() {	# all but the audit rows and their sequence
	schema_snapshot --exclude-table-data=migrated_audit |
	    grep -v "'public.migrated_audit_id_seq'"
}
before=$(snap)
out=$(pre 2>&1); rc=$?
is "release 2 without --reload: up fails, exit 1" "$rc" 1
like "release 2 without --reload: the column is missing" "$out" \
    'column "score" does not exist'
like "release 2 without --reload: stopped at up" "$out" \
    "'up' failed \(exit 1\), deploy stopped"
is "release 2 without --reload: nothing applied" "$(snap)" "$before"
out=$(pre --reload 2>&1); rc=$?
is "release 2 with --reload: exit 0" "$rc" 0
is "release 2: tier 1 then tier 2" "$(q "SELECT sum(score) = sum(length(label))
    FROM things")" t
ok "release 2: post-deploy passes" post

# --dry-run: validate and show, change nothing
enh 20240301_000000_more "UPDATE things SET label = upper(label) WHERE id < 10;"
ok "watcher sees release 3" settle 1
out=$(pre --dry-run 2>&1); rc=$?
is "--dry-run: exit 0" "$rc" 0
like "--dry-run: names the pending enhancement" "$out" "20240301_000000"
is "--dry-run: nothing applied" "$(q "SELECT count(*) FROM things
    WHERE label <> lower(label)")" 0

# a backup that fails stops the deploy and leaves no partial file
out=$(pre --backup bk2 --database "dbname=${TESTDB}_no_such_db" 2>&1); rc=$?
is "failed backup: exit 1" "$rc" 1
like "failed backup: pg_dump's error" "$out" "${TESTDB}_no_such_db"
like "failed backup: stopped at backup" "$out" \
    "'backup' failed \(exit 1\), deploy stopped"
is "failed backup: no file left" "$(ls bk2 | wc -l)" 0
is "failed backup: up did not run" "$(q "SELECT count(*) FROM
    migrated_versions WHERE version = '20240301_000000'")" 0
fails_with "failed backup: post-deploy still sees it pending (exit 3)" 3 post

kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
