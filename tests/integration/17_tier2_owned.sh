# 17_tier2_owned.sh - what applied tier-2 enhancements created is theirs,
# not tier-1 drift: the sample service's models and enhancements, tier 1
# by `migrated --once`, tier 2 by `migratectl up`; then `--plan` shows no
# drift, status is in sync and `check` passes; a stray index made by hand
# is drift and fails `check`; after `down` the enhancement's index is gone
# and no longer mentioned, and the same index made by hand while the
# enhancement is not applied is drift again.  Views, functions, triggers
# and policies an enhancement made are its own as well.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
cp "$OLDPWD"/models/*.yaml models/
cp "$OLDPWD"/migrations/* migrations/
SOCK=$T/owned.sock
ctl() { timeout 60 "$MIGRATECTL" -s "$SOCK" "$@"; }
cat >cfg.yaml <<EOF
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket: { path: $SOCK, mode: 0666 }
access:
  read: { users: [$(id -un)] }
  admin: { users: [$(id -un)] }
EOF
plan() { "$MIGRATED" -c cfg.yaml --plan 2>&1; }
A=20240103_add_activity_log_smart_fields
B=20240110_150000_add_user_preferences

ok "tier 1: --once" "$MIGRATED" -c cfg.yaml --once
"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
dpid=$!; track $dpid
ok "daemon ready" ctl wait-ready --timeout 30
out=$(ctl up 2>&1); rc=$?
is "up: exit 0" "$rc" 0
is "up: both indexes built" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname IN ('activity_logs_anomalies_idx', 'users_preferences_gin_idx')")" 2

out=$(plan)
unlike "plan after up: no drift line" "$out" "^-- drift:"
like "plan after up: anomalies index is tier 2's" "$out" \
    "^-- tier 2: index public\.activity_logs_anomalies_idx: .*'$A'"
like "plan after up: gin index is tier 2's" "$out" \
    "^-- tier 2: index public\.users_preferences_gin_idx: .*'$B'"
like "plan after up: nothing to do" "$out" \
    "^-- no changes: the database matches the models and the applied enhancements$"
# the two indexes and the four column comments the enhancements made
# (comments the models do not say are compared too: issue 13)
like "plan --json: 0 drift, 6 tier2" "$(ctl --json plan)" \
    '"drift":0,.*"tier2":6'
out=$(ctl status); rc=$?
like "status after up: in sync" "$out" "status: +schema in sync; no enhancement pending"
like "status after up: schema line in sync" "$out" "schema: +in sync"
unlike "status after up: no drift listed" "$out" "drift +index"
out=$(ctl check 2>&1); rc=$?
is "check after up: exit 0" "$rc" 0

# a real stray index: drift, and check fails
q "CREATE INDEX stray_idx ON users (id)"
out=$(plan)
like "stray index: drift" "$out" "^-- drift: index public\.stray_idx: index is not in the models"
like "stray index: counted once" "$out" "^-- plan: 0 safe, 0 refused, 1 drift"
out=$(ctl check 2>&1); rc=$?
is "stray index: check exits 3" "$rc" 3
like "stray index: check says why" "$out" "1 drift"
q "DROP INDEX stray_idx"
fails_with "stray index dropped: check exits 0" 0 ctl check

# roll back the newest enhancement: its index goes, and so does its line
out=$(ctl down --yes 2>&1); rc=$?
is "down: exit 0" "$rc" 0
is "down: gin index gone" \
    "$(q "SELECT to_regclass('users_preferences_gin_idx') IS NULL")" t
out=$(plan)
unlike "after down: gin index not mentioned" "$out" "users_preferences_gin_idx"
unlike "after down: no drift" "$out" "^-- drift:"
like "after down: the other enhancement still owns its index" "$out" \
    "^-- tier 2: index public\.activity_logs_anomalies_idx"
fails_with "after down: check exits 3 (one pending)" 3 ctl check

# the same index by hand while its enhancement is not applied: drift
q "CREATE INDEX users_preferences_gin_idx ON users USING gin (preferences jsonb_path_ops)"
like "unapplied enhancement owns nothing" "$(plan)" \
    "^-- drift: index public\.users_preferences_gin_idx"
q "DROP INDEX users_preferences_gin_idx"

out=$(ctl down --yes 2>&1); rc=$?
is "down again: exit 0" "$rc" 0
is "all down: plan is empty" "$(plan)" \
    "-- no changes: the database matches the models"

# views, functions, triggers and policies an enhancement made are its
# own too (tier 1 compares them as model SQL objects), not drift
C=20240201_000000_add_sql_objects
cat >"migrations/$C.sql" <<'SQL'
CREATE FUNCTION touch_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RETURN NEW; END $$;
CREATE VIEW active_users AS SELECT id FROM users;
CREATE TRIGGER users_touch BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION touch_user();
CREATE POLICY users_self ON users USING (true);
SQL
cat >"migrations/${C}_rollback.sql" <<'SQL'
DROP POLICY users_self ON users;
DROP TRIGGER users_touch ON users;
DROP VIEW active_users;
DROP FUNCTION touch_user();
SQL
out=$(ctl up 2>&1); rc=$?
is "sql objects: up exit 0" "$rc" 0
out=$(plan)
unlike "sql objects: no drift line" "$out" "^-- drift:"
for o in "function public\.touch_user\(\)" "view public\.active_users" \
    "trigger public\.users\.users_touch" "policy public\.users\.users_self"; do
	like "sql objects: $o is tier 2's" "$out" "^-- tier 2: $o: .*'$C'"
done
q "CREATE VIEW stray_view AS SELECT 1 AS x"
like "a view made by hand is drift" "$(plan)" \
    "^-- drift: view public\.stray_view: view is not in the models"
q "DROP VIEW stray_view"

kill -TERM "$dpid"
wait "$dpid"
is "daemon stopped cleanly" "$?" 0
