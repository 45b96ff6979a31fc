#!/bin/sh
# libpq_in.sh OUT - libpq as one object file, for migrated to link in
# (Makefile, PQ_STATIC=yes).
#
# Debian's libpq.a with the two frontend libraries it is built against
# (libpgcommon_shlib.a and libpgport_shlib.a, postgresql-server-dev-all),
# linked into one relocatable object in which every symbol but libpq's
# API is made local, as libpq.so exports only that API: libpg_query.a,
# linked beside it, defines some of the same internals (pg_wchar_table,
# pg_encoding_mblen...), and each must keep its own.  The API is what
# libpq.so exports, less the names libpg_query.a defines as well
# (pg_utf_mblen): migrated calls none of those through libpq.
#
# libpq's Kerberos and LDAP calls stay undefined here: daemon/lazylib.c
# answers them, loading those libraries at their first call.
set -eu
out=${1:?usage: scripts/libpq_in.sh OUT}
CC=${CC:-cc}
libdir=$(pg_config --libdir)
pkglibdir=$(pg_config --pkglibdir)
pgq=$($CC -print-file-name=libpg_query.a)
for f in "$libdir/libpq.a" "$libdir/libpq.so" \
    "$pkglibdir/libpgcommon_shlib.a" "$pkglibdir/libpgport_shlib.a" "$pgq"; do
	[ -f "$f" ] && continue
	echo "libpq_in.sh: $f not found: make deps installs it" \
	    "(postgresql-server-dev-all), or build with PQ_STATIC=no" >&2
	exit 1
done
tmp=$out.tmp
trap 'rm -f "$tmp".o "$tmp".api "$tmp".pgq "$tmp".keep "$tmp".out' EXIT
ld -r -o "$tmp.o" --whole-archive "$libdir/libpq.a" --no-whole-archive \
    "$pkglibdir/libpgcommon_shlib.a" "$pkglibdir/libpgport_shlib.a"
nm -D --defined-only "$libdir/libpq.so" | awk '{ sub(/@.*/, "", $3);
    print $3 }' | sort -u >"$tmp.api"
nm --defined-only "$pgq" 2>/dev/null | awk 'NF == 3 && $2 ~ /[A-Z]/ {
    print $3 }' | sort -u >"$tmp.pgq"
comm -23 "$tmp.api" "$tmp.pgq" >"$tmp.keep"
grep -qx PQconnectdbParams "$tmp.keep" || {
	echo "libpq_in.sh: no libpq API found in $libdir/libpq.so" >&2
	exit 1
}
# whole or not at all: make takes a file there as made
objcopy --keep-global-symbols="$tmp.keep" "$tmp.o" "$tmp.out"
mv "$tmp.out" "$out"
