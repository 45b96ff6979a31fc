#!/bin/sh
# root.sh DIR - a Debian 12 root for the system tests, made once and kept:
# systemd, PostgreSQL 15 and the libraries migrated links with, bootable
# with systemd-nspawn (recipe: ../shared/systemd-nspawn.md).  DIR/.done
# marks a finished root; an unfinished one is made again.
set -eu
ROOT=$1
PKGS=systemd,systemd-sysv,dbus,postgresql,postgresql-client,libuv1,libyaml-0-2,libjansson4,libssl3,libpq5,procps,util-linux,iproute2
[ -f "$ROOT/.done" ] && [ "$(cat "$ROOT/.done")" = "$PKGS" ] && exit 0
# never remove a root with something mounted in it (an interrupted
# second stage leaves /proc and /sys mounted)
if grep -q " $(realpath -m "$ROOT")/" /proc/mounts; then
	echo "root.sh: something is mounted under $ROOT: not removing it" >&2
	exit 1
fi
rm -rf "$ROOT"
mkdir -p "$ROOT"
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources \
    2>/dev/null || true)
debootstrap --foreign --variant=minbase --include="$PKGS" bookworm "$ROOT" \
    "${MIRROR:-http://deb.debian.org/debian}" >"$ROOT.log" 2>&1
# no service starts inside the chroot (debootstrap removes it at the end)
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
chroot "$ROOT" /debootstrap/debootstrap --second-stage >>"$ROOT.log" 2>&1
rm -f "$ROOT/usr/sbin/policy-rc.d"
echo "$PKGS" >"$ROOT/.done"
