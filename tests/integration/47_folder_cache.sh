# 47_folder_cache.sh - the daemon keeps the migrations folder it read and,
# while its own watch saw no change, answers a command without looking at
# the folder again (daemon/fgate.c).  Every change is seen by the very
# next command, made at once after it: an edit in place of the same size
# whose mtime was put back (touch -d), a new file, a file deleted, a file
# renamed, a change among more events than the watch's queue holds
# (overflow), the folder renamed away and a copy put in its place, an edit
# through a hard link from outside the folder.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/s.sock
ctl() { timeout 60 "$MIGRATECTL" -s "$SOCK" "$@"; }
cat >m.yaml <<EOF
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket: $SOCK
apply: on-command
EOF
for i in 1 2 3; do
	echo "CREATE TABLE t$i (id int PRIMARY KEY);" \
	    >migrations/2024010${i}_000000_t$i.sql
done
F2=migrations/20240102_000000_t2.sql
# older than the clock's tick of a look (MIG_RACY_NS): trusted at once
old_enough() {
	[ $(($(date +%s) - $(stat -c %Z migrations/* | sort -n | tail -n 1))) \
	    -ge 3 ]
}
wait_until 30 old_enough

"$MIGRATED" -d -c m.yaml >m.log 2>&1 &
MPID=$!; track $MPID
ok "daemon ready" ctl wait-ready --timeout 30
like "three applied" "$(ctl up 2>&1)" "20240103_000000 +t3 +apply "

looked() { grep -c "migrations folder looked at" m.log; }
# the daemon's inotify watches (its loop's on the folder, the worker's on
# the folder and, once it trusts its cache, on each entry): the kernel's
# own count, /proc/PID/fdinfo
marks() { cat /proc/"$MPID"/fdinfo/* 2>/dev/null | grep -c '^inotify wd:'; }
fast() { grep -c -F "up: nothing pending (one read, no lock)" m.log; }
revalidations() { grep -c "migrations folder changed" m.log; }
# the daemon's own watcher (debounced) has revalidated after a change and
# every job has finished: nothing looks at the folder behind our back
settle() {
	wait_until 30 sh -c "[ \$(grep -c 'migrations folder changed' m.log) -gt $1 ]"
	jobs_done "$SOCK"
}
# an up that does not look at the folder (the cache trusted again once
# the last change is older than the clock's tick, MIG_RACY_NS)
unlooked() {
	_n=$(looked)
	ctl up 2>&1 | grep -q "nothing to do" && [ "$(looked)" = "$_n" ]
}
# edit FILE TEXT: rewrite FILE in place, its mtime put back
edit() {
	_m=$(stat -c %y "$1")
	printf '%s\n' "$2" >"$1"
	touch -d "$_m" "$1"
}

case $(stat -f -c %T .) in
ext2/ext3|xfs|btrfs|tmpfs|f2fs|overlayfs) WATCHED=1 ;;
*) WATCHED=0 ;;
esac

# a daemon started, asked twice and stopped (a deploy's, a CI job's) does
# not watch the entries: their watches cost more than the looks they save
# (fgate.h, FGATE_COLD_LOOKS: the start's look, or its read of the folder
# when it stands for one, the first up's, this one's)
like "a third look: nothing pending" "$(ctl up 2>&1)" "nothing to do"
is "three looks: the folder looked at each time" "$(looked)" 3
is "three looks: only the folder watched, by the loop and the worker" \
    "$(marks)" 2
if [ "$WATCHED" = 1 ]; then
	like "a fourth look: nothing pending" "$(ctl up 2>&1)" "nothing to do"
	is "the fourth look: each entry watched too" "$(marks)" 5
	ok "then the folder not looked at" unlooked
fi

# nothing changed: the folder is not looked at again
like "nothing pending" "$(ctl up 2>&1)" "nothing to do"
f0=$(fast)
like "nothing pending, again" "$(ctl up 2>&1)" "nothing to do"
is "nothing pending: told without the lock" "$(fast)" $((f0 + 1))
if [ "$WATCHED" = 1 ]; then
	ok "nothing changed: the folder not looked at" poll 30 unlooked
	ok "and still not" unlooked
else
	skip "$(stat -f -c %T .) is not watched: looked at every time"
fi

# an edit in place of the same size, its mtime put back (touch -d): seen
r0=$(revalidations)
size0=$(stat -c %s "$F2"); mtime0=$(stat -c %Y "$F2")
edit "$F2" "CREATE TABLE t2 (ix int PRIMARY KEY);"
is "edited: the same size" "$(stat -c %s "$F2")" "$size0"
is "edited: the same mtime" "$(stat -c %Y "$F2")" "$mtime0"
got=$(ctl up 2>&1; echo "exit $?")
like "edited in place: seen by the next up" "$got" \
    "'20240102_000000_t2' was changed after it was applied"
like "edited in place: refused" "$got" "^exit 1$"
# put back at once, the same size and mtime again: seen too (within the
# clock tick of the last look, the file is read again)
edit "$F2" "CREATE TABLE t2 (id int PRIMARY KEY);"
like "put back: nothing pending" "$(ctl up 2>&1)" "nothing to do"
edit "$F2" "CREATE TABLE t2 (ix int PRIMARY KEY);"
like "edited again at once: seen" "$(ctl up 2>&1)" \
    "'20240102_000000_t2' was changed after it was applied"
edit "$F2" "CREATE TABLE t2 (id int PRIMARY KEY);"
like "put back again: nothing pending" "$(ctl up 2>&1)" "nothing to do"
settle "$r0"
[ "$WATCHED" = 0 ] ||
    ok "then the folder not looked at" poll 30 unlooked

# a new file: applied by the next up
echo "CREATE TABLE t4 (id int PRIMARY KEY);" \
    >migrations/20240104_000000_t4.sql
like "new file: applied" "$(ctl up 2>&1)" "^20240104_000000 +t4 +apply "
is "new file: its table" "$(q "SELECT to_regclass('t4') IS NOT NULL")" t

# a file deleted: missing
mv migrations/20240104_000000_t4.sql t4.sql
like "deleted: missing" "$(ctl --json up 2>&1)" '"missing":1'
mv t4.sql migrations/20240104_000000_t4.sql
like "back: nothing pending" "$(ctl up 2>&1)" "nothing to do"

# a file renamed (another version): the old missing, the new pending
mv migrations/20240104_000000_t4.sql migrations/20240105_000000_t4.sql
st=$(ctl --json list 2>&1)
like "renamed: the old version missing" "$st" '"missing":1'
like "renamed: the new one pending" "$st" '"pending":1'
mv migrations/20240105_000000_t4.sql migrations/20240104_000000_t4.sql
like "renamed back: nothing pending" "$(ctl up 2>&1)" "nothing to do"

# more events than the watch's queue holds, the edit among them
r0=$(revalidations)
max=$(cat /proc/sys/fs/inotify/max_queued_events 2>/dev/null || echo 16384)
for i in $(seq 1 $((max / 2 + 100))); do : >"migrations/x$i.txt"; done
edit "$F2" "CREATE TABLE t2 (ix int PRIMARY KEY);"
got=$(ctl up 2>&1)
like "overflow: the edit seen" "$got" \
    "'20240102_000000_t2' was changed after it was applied"
like "overflow: the events were lost, and said so" "$(cat m.log)" \
    "events lost \(queue overflow\)"
rm -f migrations/x*.txt
edit "$F2" "CREATE TABLE t2 (id int PRIMARY KEY);"
like "overflow: put back, nothing pending" "$(ctl up 2>&1)" "nothing to do"
settle "$r0"
[ "$WATCHED" = 0 ] ||
    ok "after the overflow: watched again" poll 30 unlooked

# the folder renamed away and a copy put in its place, one file edited
# (the same size, its mtime kept: cp -p, touch -d)
cp -rp migrations next
edit next/20240102_000000_t2.sql "CREATE TABLE t2 (ix int PRIMARY KEY);"
mv migrations old && mv next migrations
like "folder replaced: the edit seen" "$(ctl up 2>&1)" \
    "'20240102_000000_t2' was changed after it was applied"
rm -rf migrations && mv old migrations
like "folder back: nothing pending" "$(ctl up 2>&1)" "nothing to do"

# a release switched: the folder configured is a symbolic link, moved to
# another copy (nothing happens in the folder watched)
mv migrations rel1 && ln -s rel1 migrations
like "a link to the folder: nothing pending" "$(ctl up 2>&1)" "nothing to do"
cp -rp rel1 rel2
edit rel2/20240102_000000_t2.sql "CREATE TABLE t2 (ix int PRIMARY KEY);"
[ "$WATCHED" = 0 ] ||
    ok "a link to the folder: not looked at" poll 30 unlooked
ln -sfn rel2 migrations
like "link switched: the edit seen" "$(ctl up 2>&1)" \
    "'20240102_000000_t2' was changed after it was applied"
ln -sfn rel1 migrations
like "link switched back: nothing pending" "$(ctl up 2>&1)" "nothing to do"
rm migrations && mv rel1 migrations && rm -rf rel2

# a hard link from outside: an edit through it makes no event on the
# folder, only on the file's inode, which is watched too
ln "$F2" t2-link.sql
[ "$WATCHED" = 0 ] ||
    ok "hard link: the entries watched" poll 30 unlooked
like "hard link: nothing pending" "$(ctl up 2>&1)" "nothing to do"
edit t2-link.sql "CREATE TABLE t2 (ix int PRIMARY KEY);"
like "edited through the hard link: seen" "$(ctl up 2>&1)" \
    "'20240102_000000_t2' was changed after it was applied"
edit t2-link.sql "CREATE TABLE t2 (id int PRIMARY KEY);"
n0=$(looked)
like "hard link, put back: nothing pending" "$(ctl up 2>&1)" "nothing to do"
ok "hard link, put back: the folder looked at" [ "$(looked)" -gt "$n0" ]
rm t2-link.sql
like "link gone: nothing pending" "$(ctl up 2>&1)" "nothing to do"

kill "$MPID"; wait "$MPID" 2>/dev/null
