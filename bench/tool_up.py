#!/usr/bin/env python3
"""tool_up.py SRC OUT - a migrations folder's up scripts in its tool's own
order, read the way the tool reads them: an independent reading of each
tool's rules (not migrated's code), for bench/real_folder.sh and
bench/adopt_real.sh.  Prisma Migrate's and Diesel's folders per
migration (NAME/migration.sql, NAME/up.sql) are written as NNNNN_NAME.sql.

Writes OUT/NNNNN_FILE (the up SQL: for goose and dbmate the up section, cut
the way the tool cuts it) and prints the tool's name, then one line per
script: FILE<TAB>VERSION<TAB>DESCRIPTION<TAB>CHECKSUM, where VERSION and
DESCRIPTION are what the tool records in its history table and CHECKSUM
is Flyway's (CRC-32 over the file's lines without their terminators, a
leading BOM left out; ChecksumCalculator) for Flyway, Prisma's (SHA-256
of the script) for Prisma, else "-".
"""
import hashlib
import os
import re
import sys
import zlib

src, out = sys.argv[1], sys.argv[2]
names = sorted(f for f in os.listdir(src) if f.endswith(".sql"))


def text(f):
    return open(os.path.join(src, f), encoding="utf-8").read()


def goose_up(t):
    keep, res = False, []
    for line in t.splitlines(True):
        if line.startswith("--") and "+goose" in line:
            cmd = line.replace("--", "").replace("+goose", "", 1).strip().lower()
            keep = cmd == "up" if cmd in ("up", "down") else keep
            continue
        if keep:
            res.append(line)
    return "".join(res)


def dbmate_up(t):
    up = re.search(r"(?m)^--\s*migrate:up(\s*$|\s+\S+)", t)
    down = re.search(r"(?m)^--\s*migrate:down(\s*$|\s+\S+)", t)
    return t[up.end():down.start() if down else len(t)]


def flyway_key(f):
    if f.startswith("R__"):
        return (1, [], f[3:-4].replace("_", " "))
    parts = [int(p) for p in re.split(r"[._]", f[1:f.index("__")])]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return (0, parts, "")


def flyway_checksum(f):
    b = open(os.path.join(src, f), "rb").read()
    if b.startswith(b"\xef\xbb\xbf"):
        b = b[3:]
    c = 0
    for line in re.split(rb"\r\n|\r|\n", b):
        c = zlib.crc32(line, c)
    return c - (1 << 32) if c >= 1 << 31 else c


def prefix(f):
    return f.split("_")[0]


def in_dirs(file):
    return sorted(d for d in os.listdir(src)
                  if os.path.isfile(os.path.join(src, d, file)))


POPX = re.compile(r"^(\d+)_([^.]+)(?:\.(?!autocommit\.)(\w+))?"
                  r"(\.autocommit)?\.(up|down)\.sql$")

rows = []       # (file, sql, version, description, checksum)
if in_dirs("migration.sql"):
    tool = "prisma"     # migration_name: the folder's name, sorted by it
    for d in in_dirs("migration.sql"):     # its checksum: of the bytes
        raw = open(os.path.join(src, d, "migration.sql"), "rb").read()
        rows.append((d + ".sql", raw.decode(), d, "-",
                     hashlib.sha256(raw).hexdigest()))
elif in_dirs("up.sql"):
    tool = "diesel"     # the version: the name up to '_' without '-'
    ver = lambda d: d.split("_")[0].replace("-", "")
    for d in sorted(in_dirs("up.sql"), key=ver):
        rows.append((d + ".sql", text(os.path.join(d, "up.sql")), ver(d),
                     "-", "-"))
elif any(POPX.match(f) and POPX.match(f).group(3) for f in names):
    # popx (Ory): VERSION_NAME[.DIALECT][.autocommit].up.sql; for
    # PostgreSQL the .postgres file of a version, else the one for all
    tool = "popx"
    best = {}
    for f in names:
        m = POPX.match(f)
        if m and m.group(5) == "up" and m.group(3) in (None, "postgres"):
            if m.group(1) not in best or m.group(3):
                best[m.group(1)] = f
    for v in sorted(best):
        rows.append((best[v], text(best[v]), v, "-", "-"))
elif any(f.endswith(".up.sql") for f in names):
    tool = "golang-migrate"
    for f in sorted((f for f in names if f.endswith(".up.sql")),
                    key=lambda f: int(prefix(f))):
        rows.append((f, text(f), str(int(prefix(f))), "-", "-"))
elif any(re.match(r"^[VR][0-9_.]*__", f) for f in names):
    tool = "flyway"
    for f in sorted((f for f in names if f[0] in "VR"), key=flyway_key):
        ver = "" if f.startswith("R__") else f[1:f.index("__")].replace("_", ".")
        desc = f[f.index("__") + 2:-4].replace("_", " ")
        rows.append((f, text(f), ver, desc, str(flyway_checksum(f))))
elif any(re.search(r"(?m)^--\s*\+migrate\s+Up", text(f)) for f in names):
    # sql-migrate: by the leading number when both have one, else by
    # name; the Up section, up to a Down line
    tool = "sql-migrate"
    def smkey(f):
        m = re.match(r"^(\d+).*$", f)
        return (0, int(m.group(1)), f) if m else (1, 0, f)
    for f in sorted(names, key=smkey):
        t = text(f)
        up = re.search(r"(?m)^--\s*\+migrate\s+Up.*$", t)
        down = re.search(r"(?m)^--\s*\+migrate\s+Down.*$", t)
        body = t[up.end():down.start() if down and down.start() > up.start()
                 else len(t)] if up else ""
        rows.append((f, body, f[:-4], "-", "-"))
elif any("-- +goose" in text(f) for f in names):
    tool = "goose"
    for f in sorted(names, key=lambda f: int(prefix(f))):
        rows.append((f, goose_up(text(f)), str(int(prefix(f))), "-", "-"))
elif any(re.search(r"(?m)^--\s*migrate:up", text(f)) for f in names):
    tool = "dbmate"     # by file name; the version is the leading digits
    for f in names:
        rows.append((f, dbmate_up(text(f)), re.match(r"\d+", f).group(0),
                     "-", "-"))
else:
    tool = "native"
    for f in names:
        if not f.endswith("_rollback.sql"):
            rows.append((f, text(f), prefix(f), "-", "-"))
print(tool)
for i, (f, sql, ver, desc, ck) in enumerate(rows):
    open(os.path.join(out, "%05d_%s" % (i, f)), "w").write(sql)
    print("\t".join((f, ver, desc, ck)))
