#!/bin/sh
# bare-check.sh [--base-only] [REV] - the README's two commands on a
# newcomer's machine.
#
# A bare Debian 12 (debootstrap minbase plus git, gcc, make, libc6-dev,
# ca-certificates), a fresh clone of this repository at REV (default HEAD),
# then `make demo && make test` inside it as root, in a chroot.  Anything a
# test needs that `make deps` does not install fails here and nowhere else.
#
# The debootstrap base takes minutes and is kept outside the repository in
# BARE_BASE (default /work/bare-base); each run copies it to a throwaway
# root, mounts proc, sys, dev, dev/pts and dev/shm into that copy, unmounts
# exactly those (and checks nothing is left mounted) before removing it.
# Needs root.  Prints the suite's last line; exits with the chroot's status.
set -eu

[ "$(id -u)" -eq 0 ] || { echo "bare-check: needs root" >&2; exit 2; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
base_only=0
[ "${1:-}" = --base-only ] && { base_only=1; shift; }
REV=${1:-HEAD}
BASE=${BARE_BASE:-/work/bare-base}
LOG=${BARE_LOG:-$SRC/build/bare-check.log}
MIRROR=$(awk '/^URIs:/ { print $2; exit }' \
    /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}

if [ ! -x "$BASE/usr/bin/git" ] || [ ! -x "$BASE/usr/bin/make" ]; then
	command -v debootstrap >/dev/null || {
		apt-get install -y -q --no-install-recommends debootstrap \
		    >/dev/null 2>&1 || {
			apt-get update -q >/dev/null
			apt-get install -y -q --no-install-recommends \
			    debootstrap >/dev/null
		}
	}
	echo "bare-check: debootstrap into $BASE (once; several minutes)" >&2
	rm -rf "$BASE.partial"
	debootstrap --variant=minbase \
	    --include=git,gcc,make,libc6-dev,ca-certificates \
	    bookworm "$BASE.partial" "$MIRROR" >"$BASE.log" 2>&1 || {
		tail -n 20 "$BASE.log" >&2
		exit 1
	}
	mv "$BASE.partial" "$BASE"
fi
[ $base_only -eq 1 ] && exit 0

R=$(mktemp -d /tmp/bare-check.XXXXXX)
mounted=""
cleanup() {
	for m in $mounted; do	# in reverse order of mounting
		umount "$R/$m" 2>/dev/null || umount -l "$R/$m"
	done
	if findmnt -rn -o TARGET | grep -q "^$R/"; then
		echo "bare-check: something is still mounted under $R;" \
		    "not removing it" >&2
		return
	fi
	rm -rf "$R"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "bare-check: copying the base to $R" >&2
cp -a "$BASE/." "$R/"
for m in proc sys dev dev/pts dev/shm; do
	mount --bind "/$m" "$R/$m"
	mounted="$m $mounted"
done
cp /etc/resolv.conf "$R/etc/" 2>/dev/null || true
# a chroot has no init: packages must not start their services in it (the
# postgresql package would leave its own cluster running in the copy)
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
git clone -q "$SRC" "$R/src/p"
git -C "$R/src/p" checkout -q "$(git -C "$SRC" rev-parse "$REV")"
echo "bare-check: $(git -C "$R/src/p" log --oneline -1)" >&2

mkdir -p "$(dirname "$LOG")"
set +e
chroot "$R" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    TERM=dumb bash -lc 'cd /src/p && make demo && make test' >"$LOG" 2>&1
rc=$?
set -e
grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOG" | tail -n 1
if [ $rc -ne 0 ]; then
	echo "bare-check: exit $rc; the end of $LOG:" >&2
	tail -n 40 "$LOG" >&2
fi
exit $rc
