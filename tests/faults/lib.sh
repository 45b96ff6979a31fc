# lib.sh - shared by the fault suite (tests/faults/*.sh), sourced after
# tests/lib/testlib.sh.
#
# Randomised, seeded: tests/run.sh exports FAULT_SEED (set it to replay a
# run: FAULT_SEED=12345 tests/run.sh build faults); each file seeds bash's
# RANDOM with it and its own name, so one file replays alone too.
#
#   fault "what"               count one injected fault, say which
#   inv NAME GOT WANT          an invariant: is, counted as an
#                              inconsistency when it does not hold
#   inv_ok NAME COMMAND...     the same for a command's exit status 0
#   rnd VAR N                  VAR = a number from 0 to N-1 (in this
#                              shell: a subshell would draw its own seed)
#   faults_end                 the file's count, for run.sh's summary line
#   fd_start NAME DB MODELS MIGRATIONS [ARGS]  a daemon on socket
#                              $T/NAME.sock (pid in DPID, tracked, log in
#                              $T/NAME.log); fd_ready NAME waits until ready
#   agree NAME DB MIGRATIONS   status = check = the tracking table = the
#                              folder (tests/faults/agree.py)
#   invalid_indexes DB         how many indexes are not valid
#
# FAULT_KEEP=DIR keeps each file's folder (daemon logs) in DIR.
# FAULT_STRICT=1 (the default) also checks issue 12 items 2 and 3: an
# operation cut off by a PostgreSQL stop is audited, a second daemon's
# status follows the first's changes at once, the first command after a
# restart works; FAULT_STRICT=0 skips those checks and says so.

FAULT_SEED=${FAULT_SEED:-$(( $(date +%s%N) % 100000 ))}
FAULT_STRICT=${FAULT_STRICT:-1}
RANDOM=$(( FAULT_SEED + $(printf '%s' "$_tname" | cksum | cut -d' ' -f1) % 100000 ))
_faults=0
_bad=0

fault() {
	_faults=$((_faults + 1))
	echo "  fault $_faults: $*"
}
inv() {
	if [ "$2" = "$3" ]; then _pass "$1"
	else _bad=$((_bad + 1)); _fail "$1" "got:  $2" "want: $3"; fi
}
inv_ok() {
	_n=$1; shift
	if _out=$("$@" 2>&1); then _pass "$_n"
	else _bad=$((_bad + 1)); _fail "$_n" "command: $*" "$_out"; fi
}
# strict NAME: 0 when the checks of another branch run (FAULT_STRICT=1)
strict() {
	[ "$FAULT_STRICT" = 1 ] && return 0
	skip "$1 (FAULT_STRICT=1 checks it: issue 12 items 2 and 3)"
	return 1
}
rnd() { printf -v "$1" %d $(( (RANDOM * 32768 + RANDOM) % $2 )); }
faults_end() {
	# under make asan: what the sanitizers said in any daemon's log
	_san=$(grep -l -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
	    -e 'runtime error:' "$T"/*.log 2>/dev/null)
	inv "no sanitizer report in a daemon's log" "$_san" ""
	# FAULT_KEEP=DIR: keep the logs, to read after a replay
	[ -n "${FAULT_KEEP:-}" ] && mkdir -p "$FAULT_KEEP" &&
	    cp -r "$T" "$FAULT_KEEP/$_tname"
	echo "FAULTS $_tname $_faults $_bad" >>"$RESULTS"
	echo "  faults: $_faults injected, $_bad inconsistencies (seed $FAULT_SEED)"
}

FLIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fctl() { _s=$1; shift; "$MIGRATECTL" -s "$T/$_s.sock" "$@"; }
fd_start() {	# fd_start NAME DB|CONNINFO MODELS MIGRATIONS [ARGS...]
	_n=$1 _db=$2 _mo=$3 _mi=$4; shift 4
	case $_db in *=*) ;; *) _db="dbname=$_db" ;; esac
	"$MIGRATED" --database "$_db" --models "$_mo" \
	    --migrations "$_mi" --socket "$T/$_n.sock" "$@" >>"$T/$_n.log" 2>&1 &
	DPID=$!
	track $DPID
}
fd_ready() { "$MIGRATECTL" -s "$T/$1.sock" wait-ready --timeout 90 >/dev/null; }
fd_kill9() { kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
fd_stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
fq() { psql -qAtX -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
invalid_indexes() {
	fq "$1" "SELECT count(*) FROM pg_index WHERE NOT indisvalid"
}
# the backends a killed daemon left behind have ended (a CREATE INDEX
# CONCURRENTLY goes on after its client died; so may a batch)
orphans_gone() {	# orphans_gone DB
	[ "$(fq "$1" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'migrated%' AND state <> 'idle'")" = 0 ]
}
agree() {	# agree NAME DB MIGRATIONS: prints what disagrees, 1 if any
	python3 "$FLIB/agree.py" "$MIGRATECTL" "$T/$1.sock" "$2" "$3" 2>&1 ||
	    echo "(agree.py exited $?)"
}
audit_ok() {	# audit_ok NAME: audit verify passes
	_o=$(fctl "$1" audit verify 2>&1) && printf '%s\n' "$_o" | grep -q 'intact: *yes'
}
