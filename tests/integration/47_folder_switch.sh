# 47_folder_switch.sh - inotify watches an inode, not a path.  A deploy
# that puts another folder in the configured path's place must be seen by
# the daemon's own watcher, not only by the next command: `status` lists
# the new release's files as pending, and `apply: when-pending` applies
# them, with nobody asking (daemon/watch.c).  Three ways a deploy does it:
# a symlink switched atomically (Capistrano-style releases), the folder
# renamed away and another renamed in, the folder removed and made again.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models rel1
SOCK=$T/s.sock
ctl() { timeout 60 "$MIGRATECTL" -s "$SOCK" "$@"; }
config() {
	cat >m.yaml <<EOF2
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket: $SOCK
apply: $1
EOF2
}
mig() { echo "CREATE TABLE $2 (id int PRIMARY KEY);" >"$1/$3_$2.sql"; }
has_table() { [ "$(q "SELECT to_regclass('$1') IS NOT NULL")" = t ]; }
release() {	# release FROM TO: a copy of FROM, for the next deploy
	rm -rf "$2" && cp -rp "$1" "$2"
}

config on-command
mig rel1 t1 20240101_000000
ln -s rel1 migrations
"$MIGRATED" -d -c m.yaml >m.log 2>&1 &
MPID=$!; track $MPID
ok "daemon ready" ctl wait-ready --timeout 30
like "t1 applied" "$(ctl up 2>&1)" "t1"

# a symlink switched with rename(2), as deploy tools do
release rel1 rel2
mig rel2 t2 20240102_000000
ln -s rel2 migrations.new && mv -T migrations.new migrations
wait_until 30 pending_has "$SOCK" 20240102_000000_t2
like "symlink switched: status names the new file" "$(ctl status 2>&1)" \
    "20240102_000000_t2"
like "its up applies it" "$(ctl up 2>&1)" "t2"
ok "t2 exists" has_table t2

# then a file added in the new release is seen (the watch moved with it)
mig rel2 t3 20240103_000000
wait_until 30 pending_has "$SOCK" 20240103_000000_t3
ok "a file added to the new folder: pending" pending_has "$SOCK" \
    20240103_000000_t3
like "its up applies it" "$(ctl up 2>&1)" "t3"
kill -TERM $MPID; wait $MPID

# the same with apply: when-pending, on a real folder replaced
rm migrations && cp -rp rel2 migrations && rm -rf rel1 rel2
config when-pending
"$MIGRATED" -d -c m.yaml >m2.log 2>&1 &
MPID=$!; track $MPID
ok "daemon ready again" ctl wait-ready --timeout 30
release migrations next
mig next t4 20240104_000000
mv migrations old && mv next migrations
wait_until 30 has_table t4
ok "folder renamed over: applied with nobody asking" has_table t4
mig migrations t5 20240105_000000
wait_until 30 has_table t5
ok "a file added to it: applied" has_table t5

# removed and made again (it may get the inode number it had)
release migrations next
rm -rf migrations old
mkdir migrations && cp -p next/*.sql migrations/ && rm -rf next
mig migrations t6 20240106_000000
wait_until 30 has_table t6
ok "folder removed and made again: applied" has_table t6
mig migrations t7 20240107_000000
wait_until 30 has_table t7
ok "a file added to it: applied" has_table t7
like "status: nothing pending" "$(ctl status 2>&1)" "no enhancement pending"
ok "daemon still running" kill -0 $MPID
kill -TERM $MPID; wait $MPID
is "stopped cleanly" "$?" 0
