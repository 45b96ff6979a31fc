# 47_folder_configmap.sh - a migrations folder mounted from a Kubernetes
# ConfigMap: kubelet's atomic writer keeps the files in a hidden
# timestamped folder, points the hidden symlink ..data at it, and shows
# each file as a symlink through ..data.  An update writes a new hidden
# folder, switches ..data with rename(2), adds the new files' symlinks and
# removes the old folder.  The daemon sees the new file (status, and
# apply: when-pending), and never takes the hidden entries for migrations.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/s.sock
ctl() { timeout 60 "$MIGRATECTL" -s "$SOCK" "$@"; }
cat >m.yaml <<EOF2
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket: $SOCK
apply: when-pending
EOF2
has_table() { [ "$(q "SELECT to_regclass('$1') IS NOT NULL")" = t ]; }
# publish GEN FILE...: what kubelet's atomic writer does for an update
publish() {
	_gen=$1; shift
	mkdir "migrations/..$_gen"
	for _f in "$@"; do
		_n=${_f#*_*_}; _n=${_n%.sql}
		echo "CREATE TABLE $_n (id int PRIMARY KEY);" \
		    >"migrations/..$_gen/$_f"
	done
	ln -s "..$_gen" migrations/..data_tmp
	mv -T migrations/..data_tmp migrations/..data
	for _f in "$@"; do
		[ -L "migrations/$_f" ] || ln -s "..data/$_f" "migrations/$_f"
	done
	for _old in migrations/..20*; do
		[ "$_old" = "migrations/..$_gen" ] || rm -rf "$_old"
	done
}

publish 2026_11_30_08_00_00.1 20240101_000000_c1.sql
"$MIGRATED" -d -c m.yaml >m.log 2>&1 &
MPID=$!; track $MPID
ok "daemon ready" ctl wait-ready --timeout 30
wait_until 30 has_table c1
ok "the first file applied at start" has_table c1

publish 2026_11_30_08_05_00.2 20240101_000000_c1.sql \
    20240102_000000_c2.sql
wait_until 30 has_table c2
ok "an update of the ConfigMap: its new file applied" has_table c2
like "status: in sync, nothing pending" "$(ctl status 2>&1)" \
    "no enhancement pending"
unlike "no hidden entry taken for a migration" "$(ctl status 2>&1)" \
    "\.\.data|\.\.2026"
ok "nothing changed is reported" sh -c \
    "! ctl status 2>&1 | grep -q -i 'changed after it was applied'"
like "up: nothing to do" "$(ctl up 2>&1)" "nothing to do"

# the same content republished (kubelet's resync): still nothing to do
publish 2026_11_30_08_10_00.3 20240101_000000_c1.sql \
    20240102_000000_c2.sql
jobs_done "$SOCK"
like "republished unchanged: nothing to do" "$(ctl up 2>&1)" "nothing to do"
# a link's target edited in place (same size, where no watch of the
# folder sees it): the next command sees it all the same
T3=$(readlink -f migrations/20240102_000000_c2.sql)
# past the racy window of the last change (MIG_RACY_NS), and looked at
# once more: a cache that trusted the link would not look again
newest=$(stat -c '%Y %Z' "$T3" migrations | tr ' ' '\n' | sort -n | tail -1)
wait_until 10 sh -c "[ \$(date +%s) -gt $((newest + 2)) ]"
like "looked at once more: nothing to do" "$(ctl up 2>&1)" "nothing to do"
sed -i 's/c2 (id/c2 (ix/' "$T3"
like "a link's target edited in place: seen by the next up" \
    "$(ctl up 2>&1)" "was changed after it was applied"
sed -i 's/c2 (ix/c2 (id/' "$T3"
ok "daemon still running" kill -0 $MPID
kill -TERM $MPID; wait $MPID
is "stopped cleanly" "$?" 0
