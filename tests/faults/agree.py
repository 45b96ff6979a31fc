"""agree.py CTL SOCK DB MIGRATIONS - status = check = the database.

Asks the daemon for `status` and `check` (JSON), reads the tracking table
(found by its comment, "migrated tracking N") with psql and lists the migrations folder, then
prints every disagreement: the pending and dirty lists, the current
version and the applied count, each dirty row's statements done, and the
verdict (check is clean exactly when status says the schema is in sync and
nothing is pending or dirty).  Exit 1 when anything disagrees.
"""
import json
import os
import re
import subprocess
import sys

ctl, sock, db, migdir = sys.argv[1:5]


def ask(cmd):
    p = subprocess.run([ctl, "-s", sock, "--json", cmd], capture_output=True,
                       text=True, timeout=120)
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    res = [x for x in lines if x.get("type") == "result"]
    return p.returncode, (res[-1] if res else {})


def psql(sql):
    p = subprocess.run(["psql", "-qAtX", "-F", "\t", "-d", db, "-c", sql],
                       capture_output=True, text=True, check=True)
    return p.stdout


def tracking():
    table = psql("SELECT c.oid::regclass FROM pg_class c JOIN pg_description"
                 " d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass"
                 " AND d.objsubid = 0 WHERE d.description LIKE"
                 " 'migrated tracking %' LIMIT 1").strip()
    if not table:
        return []
    rows = []
    for line in psql("SELECT version, name, dirty, stmt_done FROM %s "
                     "ORDER BY version" % table).splitlines():
        v, n, d, s = line.split("\t")
        rows.append({"id": v + "_" + n, "dirty": d == "t", "stmt": int(s)})
    return rows


bad = []


def same(what, *vals):
    if any(v != vals[0] for v in vals[1:]):
        bad.append("%s: %s" % (what, " / ".join(repr(v) for v in vals)))


src, st = ask("status")
crc, ck = ask("check")
if not st.get("ok") or "data" not in st:
    print("status failed: %s" % st)
    sys.exit(1)
if "data" not in ck:
    print("check failed: %s" % ck)
    sys.exit(1)
s2 = st["data"]["enhancements"]
c2 = ck["data"]["enhancements"]
rows = tracking()
files = sorted(f[:-4] for f in os.listdir(migdir)
               if re.match(r"^[0-9]+_.*\.sql$", f) and
               not f.endswith(".down.sql") and
               os.path.isfile(os.path.join(migdir, f)))
tracked = {r["id"] for r in rows}
db_pending = [f for f in files if f not in tracked]
db_dirty = [r["id"] for r in rows if r["dirty"]]
db_applied = [r["id"] for r in rows if not r["dirty"]]

same("pending (status, check, database)", s2.get("pending"),
     c2.get("pending"), db_pending)
sd = [d.get("name") for d in s2.get("dirty") or []]
cd = [d.get("name") for d in c2.get("dirty") or []]
same("dirty (status, check, database)", sd, cd, db_dirty)
same("dirty statements done (status, check, database)",
     [d.get("stmt_done") for d in s2.get("dirty") or []],
     [d.get("stmt_done") for d in c2.get("dirty") or []],
     [r["stmt"] for r in rows if r["dirty"]])
same("applied (status, check, database)", s2.get("applied"),
     c2.get("applied"), len(db_applied))
same("current (status, check, database)", s2.get("current"),
     c2.get("current"), db_applied[-1] .split("_")[0] if db_applied else "")
sch = ck["data"]["schema"]
in_sync = "schema in sync" in st["data"]["status"]
same("schema in sync (status, check)", in_sync,
     sch.get("safe") == 0 and sch.get("refused") == 0 and
     sch.get("drift") == 0)
clean = in_sync and not db_pending and not db_dirty and \
    not s2.get("drift") and not s2.get("missing")
same("verdict (status and database, check exit 0)", clean, crc == 0)
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
