# 43_metrics.sh - `migratectl metrics` (issue 15, item 7): the daemon's
# state in the Prometheus text format, checked by Debian's promtool, each
# number against the daemon's own status or the database; -o FILE written
# atomically and served by prometheus-node-exporter's textfile collector;
# the alert rules (promtool check rules, promtool test rules), the Grafana
# dashboard and the timer units in contrib/.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v promtool >/dev/null ||
    ! command -v prometheus-node-exporter >/dev/null; then
	skip "metrics: promtool or prometheus-node-exporter is not installed and could not be (make deps installs the packages prometheus and prometheus-node-exporter)"
	exit 0
fi

mkdir -p models migrations textfile
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
mig() {	# mig VERSION_NAME FORWARD ROLLBACK
	printf '%s\n' "$2" >"migrations/$1.sql"
	printf '%s\n' "$3" >"migrations/$1_rollback.sql"
}
val() {	# val TEXT NAME: the value of the sample NAME{service="ctl"}
	printf '%s\n' "$1" | awk -v n="$2" \
	    '$1 ~ "^" n "[{]" && $1 ~ /service="ctl"/ { print $2 }'
}
lint() {	# lint NAME TEXT: promtool check metrics finds nothing
	_o=$(printf '%s\n' "$2" | promtool check metrics 2>&1)
	_rc=$?
	if [ $_rc -eq 0 ] && [ -z "$_o" ]; then _pass "$1"
	else _fail "$1" "exit $_rc" "$_o"; fi
}
ALL=""	# every output, for the names the rules and dashboard may use

# ---- no daemon: migrated_up 0, exit 0 ----
m=$(ctl metrics); rc=$?
is "no daemon: exit 0 (a measurement, not an error)" "$rc" 0
is "no daemon: migrated_up 0" "$(val "$m" migrated_up)" 0
is "no daemon: nothing else" "$(printf '%s\n' "$m" | grep -vc '^#')" 1
lint "no daemon: promtool check metrics" "$m"
ALL="$ALL$m"

# ---- a daemon with two pending enhancements, one of which fails ----
cat >models/people.yaml <<'YAML'
table: people
columns:
  id:    { type: int, primary_key: true }
  email: { type: text }
YAML
mig 20240401_000000_one "CREATE TABLE t_one (id int);" "DROP TABLE t_one;"
mig 20240402_000000_bad "INSERT INTO no_such_table VALUES (1);" "SELECT 1;"
"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "ready" ctl wait-ready --timeout 30
started=$(date +%s)

m=$(ctl metrics); rc=$?
is "metrics: exit 0" "$rc" 0
lint "metrics: promtool check metrics" "$m"
ALL="$ALL$m"
is "migrated_up 1" "$(val "$m" migrated_up)" 1
is "migrated_ready 1" "$(val "$m" migrated_ready)" 1
is "migrated_degraded 0" "$(val "$m" migrated_degraded)" 0
is "migrated_database_up 1" "$(val "$m" migrated_database_up)" 1
like "migrated_info carries the version" "$m" \
    "^migrated_info\{service=\"ctl\",version=\"$("$MIGRATED" -V | awk '{print $2}')\"\} 1$"
pid_start=$(daemon_json "$SOCK" "d['data']['stats']['started']")
is "migrated_start_time_seconds: the daemon's start" \
    "$(val "$m" migrated_start_time_seconds)" "$pid_start"
is "tier2 pending: 2" "$(val "$m" migrated_tier2_pending)" 2
t1at=$(val "$m" migrated_tier1_last_run_timestamp_seconds)
is "tier 1's start-up run is timed" "$((t1at >= pid_start && t1at <= started + 1))" 1
like "tier 1's duration in seconds" \
    "$(val "$m" migrated_tier1_last_run_duration_seconds)" '^[0-9.e-]+$'
is "no tier-1 failure" "$(val "$m" migrated_tier1_failures_total)" 0
is "no tier-2 operation yet: no last apply" \
    "$(val "$m" migrated_tier2_last_apply_success)" ""
is "no audit verify yet: no chain metrics" \
    "$(val "$m" migrated_audit_chain_ok)" ""
# the age of the oldest pending grows from when the daemon first saw it
age_at_least() { [ "$(val "$(ctl metrics)" \
    migrated_tier2_oldest_pending_age_seconds)" -ge "$1" ]; }
ok "the oldest pending enhancement ages" poll 10 age_at_least 2

# ---- tier 2: a successful up, then a failing one ----
ok "up 1" ctl up 1
m=$(ctl metrics)
is "after up 1: one pending" "$(val "$m" migrated_tier2_pending)" 1
is "after up 1: last apply succeeded" \
    "$(val "$m" migrated_tier2_last_apply_success)" 1
like "after up 1: its duration" \
    "$(val "$m" migrated_tier2_last_apply_duration_seconds)" '^[0-9.e-]+$'
at=$(val "$m" migrated_tier2_last_apply_timestamp_seconds)
is "after up 1: its time" "$((at >= started && at <= $(date +%s)))" 1
fails_with "up of the broken one fails" 1 ctl up
m=$(ctl metrics)
lint "after a failure: promtool check metrics" "$m"
ALL="$ALL$m"
is "after a failed up: last apply failed" \
    "$(val "$m" migrated_tier2_last_apply_success)" 0
is "after a failed up: one tier-2 failure" \
    "$(val "$m" migrated_tier2_failures_total)" 1
is "a refused confirmation is not a failure" \
    "$(ctl down >/dev/null 2>&1; val "$(ctl metrics)" migrated_tier2_failures_total)" 1
is "a dry run is not an apply" \
    "$(ctl up --dry-run >/dev/null 2>&1; val "$(ctl metrics)" migrated_tier2_last_apply_success)" 0
rm migrations/20240402_000000_bad*.sql
wait_until 30 status_says "$SOCK" \
    "not d['data']['enhancements']['pending']"
m=$(ctl metrics)
is "nothing pending: age 0" \
    "$(val "$m" migrated_tier2_oldest_pending_age_seconds)" 0

# ---- tier 1: drift, refused, a failed run ----
q "CREATE TABLE stray (id int)"
ok "reload" ctl reload
m=$(ctl metrics)
is "drift: as the status counts it" \
    "$(val "$m" migrated_tier1_drift_changes)" \
    "$(daemon_json "$SOCK" "d['data']['schema']['drift']")"
is "drift: the stray table" "$(( $(val "$m" migrated_tier1_drift_changes) >= 1 ))" 1
q "INSERT INTO people VALUES (1, 'a@x'), (2, 'a@x')" >/dev/null
sed -i 's/  email: { type: text }/  email: { type: text, unique: true }/' \
    models/people.yaml
fails_with "reload whose tier 1 fails" 1 ctl reload
m=$(ctl metrics)
lint "degraded: promtool check metrics" "$m"
is "a failed tier-1 run is counted" \
    "$(val "$m" migrated_tier1_failures_total)" 1
is "degraded: migrated_degraded 1" "$(val "$m" migrated_degraded)" 1
is "degraded: not ready" "$(val "$m" migrated_ready)" 0
q "DELETE FROM people WHERE id = 2" >/dev/null
ok "reload after the fix" ctl reload
is "ready again" "$(val "$(ctl metrics)" migrated_ready)" 1

# ---- the audit chain: verified, then tampered with ----
ok "audit verify" ctl audit verify
m=$(ctl metrics)
lint "after audit verify: promtool check metrics" "$m"
ALL="$ALL$m"
is "audit chain ok" "$(val "$m" migrated_audit_chain_ok)" 1
is "audit rows: as many as the table has" \
    "$(val "$m" migrated_audit_chain_rows)" \
    "$(q "SELECT count(*) FROM migrated_audit")"
head=$(q "SELECT hash FROM migrated_audit ORDER BY id DESC LIMIT 1")
like "audit head: the last row's hash" "$m" \
    "^migrated_audit_chain_head_info\{service=\"ctl\",hash=\"$head\"\} 1$"
id=$(q "SELECT min(id) FROM migrated_audit")
q "ALTER TABLE migrated_audit DISABLE TRIGGER migrated_append_only;
   UPDATE migrated_audit SET ok = NOT ok WHERE id = $id;
   ALTER TABLE migrated_audit ENABLE TRIGGER migrated_append_only" >/dev/null
fails_with "audit verify after tampering" 1 ctl audit verify
is "tampered: audit chain not ok" \
    "$(val "$(ctl metrics)" migrated_audit_chain_ok)" 0

# ---- -o FILE: atomic, world-readable, nothing left on failure ----
ok "metrics -o FILE" ctl metrics -o "$T/textfile/migrated-ctl.prom"
is "-o: mode 0644 (node_exporter is another user)" \
    "$(stat -c %a "$T/textfile/migrated-ctl.prom")" 644
is "-o: the same text as stdout" \
    "$(grep -c '^migrated_' "$T/textfile/migrated-ctl.prom")" \
    "$(ctl metrics | grep -c '^migrated_')"
is "-o: no temporary file left" "$(ls "$T/textfile" | wc -l)" 1
fails_with "-o into a missing folder: exit 1" 1 \
    ctl metrics -o "$T/nowhere/x.prom"
mkdir -p "$T/ro" && echo "old" >"$T/ro/x.prom"
fails_with "-o onto a folder's name: exit 1" 1 ctl metrics -o "$T/ro"
is "a failed -o leaves no temporary file" "$(ls "$T/ro")" "x.prom"
fails_with "metrics takes no argument" 2 ctl metrics now

# ---- node_exporter serves our file ----
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
    --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$T/textfile" >ne.log 2>&1 &
NEPID=$!; track $NEPID
scrape() { python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
    "http://127.0.0.1:$port/metrics" 2>/dev/null; }
served() { scrape | grep -q '^migrated_up{service="ctl"} 1$'; }
ok "node_exporter serves migrated_up from the textfile" poll 30 served
page=$(scrape)
like "node_exporter: our tier-2 metrics too" "$page" \
    '^migrated_tier2_pending\{service="ctl"\} 0$'
like "node_exporter: the file read without error" "$page" \
    '^node_textfile_scrape_error 0$'
mt=$(printf '%s\n' "$page" | grep '^node_textfile_mtime_seconds{')
like "node_exporter: the file's mtime" "$mt" 'migrated-ctl\.prom"\}'
# the file label as node_exporter writes it is what MigratedMetricsStale
# selects (its regular expression, fully anchored as PromQL does)
re=$(sed -n 's/.*node_textfile_mtime_seconds{file=~"\([^"]*\)"}.*/\1/p' \
    "$SRC/contrib/prometheus/migrated.rules.yml" | sed 's/\\\\/\\/g')
file=$(printf '%s\n' "$mt" | sed 's/.*file="\([^"]*\)".*/\1/')
ok "MigratedMetricsStale selects the file node_exporter names" \
    python3 -c 'import re, sys; sys.exit(not re.fullmatch(sys.argv[1], sys.argv[2]))' "$re" "$file"
kill $NEPID; wait $NEPID 2>/dev/null

kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
m=$(ctl metrics)
is "daemon stopped: migrated_up 0" "$(val "$m" migrated_up)" 0

# ---- the alert rules and the dashboard ----
P=$SRC/contrib/prometheus
ok "promtool check rules" promtool check rules "$P/migrated.rules.yml"
ok "promtool test rules (the rules' unit tests)" \
    sh -c "cd '$P' && promtool test rules migrated.rules.test.yml"
ok "dashboard: valid JSON" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
    "$SRC/contrib/grafana/migrated.json"
have=$(printf '%s\n' "$ALL" | sed -n 's/^# TYPE \(migrated_[a-z0-9_]*\) .*/\1/p' | sort -u)
for f in "$P/migrated.rules.yml" "$SRC/contrib/grafana/migrated.json"; do
	unknown=""
	for n in $(grep -o 'migrated_[a-z0-9_]*' "$f" | sort -u); do
		case $n in migrated_rules*|migrated_audit_verify*) continue ;; esac
		printf '%s\n' "$have" | grep -qx "$n" || unknown="$unknown $n"
	done
	is "${f##*/}: every metric it uses is one migratectl writes" "$unknown" ""
done
for n in $have; do
	grep -q "$n" "$SRC/docs/migratectl.8" "$SRC/contrib/grafana/migrated.json" ||
	    _fail "metric $n neither in migratectl(8) nor on the dashboard"
done

# ---- the timer units ----
U=$T/units
mkdir -p "$U"
for f in "$SRC"/contrib/metrics/*; do
	sed "s|/usr/bin/migratectl|$BUILD/migratectl|g" "$f" >"$U/${f##*/}"
done
mkdir -p "$T/man/man8" && cp "$SRC/docs/migratectl.8" "$T/man/man8/"
export MANPATH=$T/man
for u in migrated-metrics@migrated.service migrated-metrics@migrated.timer \
    migrated-audit-verify@migrated.service migrated-audit-verify@migrated.timer; do
	out=$(cd "$U" && SYSTEMD_UNIT_PATH="$U:" systemd-analyze verify "$u" 2>&1)
	rc=$?
	unlike "systemd-analyze verify $u" "$out$rc" \
	    "[^0]$|[Ww]arn|[Uu]nknown|rror|not executable"
done
