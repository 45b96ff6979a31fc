#!/bin/sh
# deps.sh [deb | system | PACKAGE...] - check the Debian packages migrated
# needs; install the missing ones when running as root, otherwise print the
# exact command and fail.  "deb": also what building the package takes
# (make deb); "system": what booting it under systemd in a container takes;
# other names are extra packages (make fuzz asks for clang).
set -eu

PKGS="gcc make pkg-config libc6-dev libpq-dev libuv1-dev libyaml-dev
libpg-query-dev libjansson-dev libcmocka-dev libssl-dev zlib1g-dev
postgresql-server-dev-all libkrb5-dev libldap-dev
postgresql postgresql-client util-linux procps pgbouncer
systemd man-db strace python3 stress-ng patroni python3-etcd etcd-server
prometheus prometheus-node-exporter"
case ${1:-} in
deb)	PKGS="$PKGS dpkg-dev debhelper fakeroot lintian git" ;;
system)	PKGS="$PKGS systemd-container debootstrap" ;;
*)	PKGS="$PKGS $*" ;;
esac

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run: sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists; refresh once if install fails.
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 || {
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
}
# The server package's own cluster is not ours; do not leave it running.
exit 0
