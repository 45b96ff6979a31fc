#!/bin/sh
# deb.sh DIR - build the Debian package (make deb).
#
# The tracked (and new, not ignored) files of the checkout are copied to
# DIR/migrated-VERSION, dpkg-buildpackage -b -us -uc builds there (its
# outputs land in DIR, not beside the checkout), lintian checks the
# package (any error, warning or info not overridden in debian/ with a
# reason fails the build), and migrated_VERSION_ARCH.deb is copied here.
set -eu
cd "$(dirname "$0")/.."
DIR=$1
scripts/deps.sh deb
ver=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=migrated_${ver}_${arch}.deb
src=$DIR/migrated-$ver
rm -rf "$DIR"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
	    xargs -0 cp -P --parents -t "$src"
else
	tar -c --exclude='./build*' --exclude='./debian/migrated' \
	    --exclude='./*.deb' . | tar -x -C "$src"
fi
echo "deb: building $deb in $DIR (log: $DIR/build.log)" >&2
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$DIR/build.log" 2>&1; then
	tail -n 40 "$DIR/build.log" >&2
	echo "deb: dpkg-buildpackage failed" >&2
	exit 1
fi
lintian --info --fail-on error,warning,info "$DIR/$deb" >"$DIR/lintian.log" 2>&1 || {
	cat "$DIR/lintian.log" >&2
	echo "deb: lintian is not clean" >&2
	exit 1
}
cp "$DIR/$deb" .
echo "$deb"
