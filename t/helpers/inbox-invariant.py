#!/usr/bin/env python3
# t/helpers/inbox-invariant.py: the inbox's rule, checked byte for byte.
#
#   inbox-invariant.py snapshot DROP >dropped.json
#       every regular file under DROP (but .rejected and the lock), by
#       SHA-256, and for a zip, tar or ISO image, each member's too
#   inbox-invariant.py check DROP dropped.json
#       each of them is whole in DROP or DROP/.rejected, or (with every
#       member, for an archive) in a record of a case archive (decrypted
#       with age -d -i $RSO_IDENTITY, read with tar) or accounted for as
#       media furniture in a records.furniture event of rso.db; prints what
#       is missing and exits 1
# SPDX-License-Identifier: ISC
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import zipfile


def sha_stream(f):
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


def sha_file(path):
    with open(path, "rb") as f:
        return sha_stream(f)


def is_iso(path):
    with open(path, "rb") as f:
        f.seek(32769)
        return f.read(5) == b"CD001"


def members(path):
    """The SHA-256 of each regular member of an archive, or None."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return [sha_stream(z.open(i)) for i in z.infolist()
                    if not i.is_dir()]
    if is_iso(path) or tarfile.is_tarfile(path):
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["bsdtar", "-xf", path, "-C", d], check=True)
            return [sha_file(os.path.join(r, n))
                    for r, _, ns in os.walk(d) for n in ns]
    return None


def regular_files(top, skip_rejected):
    for root, dirs, names in os.walk(top):
        if skip_rejected and root == top and ".rejected" in dirs:
            dirs.remove(".rejected")
        for n in names:
            p = os.path.join(root, n)
            if root == top and n == ".rso-inbox.lock":
                continue
            if os.path.isfile(p) and not os.path.islink(p):
                yield p


def snapshot(drop):
    out = []
    for p in sorted(regular_files(drop, True)):
        out.append({"path": os.path.relpath(p, drop), "sha256": sha_file(p),
                    "members": members(p)})
    json.dump(out, sys.stdout, indent=1)


def archived():
    """SHA-256 of every record in every case archive, and furniture."""
    home, key = os.environ["RSO_HOME"], os.environ["RSO_IDENTITY"]
    found = set()
    arcs = os.path.join(home, "archives")
    for case in os.listdir(arcs) if os.path.isdir(arcs) else []:
        d = os.path.join(arcs, case)
        for seg in sorted(os.listdir(d)):
            if not seg.endswith(".age"):
                continue
            age = subprocess.Popen(["age", "-d", "-i", key,
                                    os.path.join(d, seg)],
                                   stdout=subprocess.PIPE)
            with tarfile.open(fileobj=age.stdout, mode="r|") as t:
                for m in t:
                    if m.isfile() and m.name.startswith("records/"):
                        found.add(sha_stream(t.extractfile(m)))
            if age.wait() != 0:
                raise SystemExit("age -d failed on " + seg)
    db = sqlite3.connect(os.path.join(home, "rso.db"))
    for (data,) in db.execute("SELECT data FROM events"
                              " WHERE type = 'records.furniture'"):
        for f in json.loads(data)["files"]:
            found.add(f["sha256"])
    return found


def check(drop, snap):
    with open(snap) as f:
        dropped = json.load(f)
    here = {sha_file(p) for p in regular_files(drop, False)}
    kept = archived()
    missing = 0
    for d in dropped:
        if d["sha256"] in here:
            continue
        if d["members"] is None and d["sha256"] in kept:
            continue
        if d["members"] is not None and all(m in kept or m in here
                                            for m in d["members"]):
            continue
        print("lost: " + d["path"])
        missing += 1
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "snapshot":
        snapshot(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__ or "usage: snapshot DROP | check DROP SNAP")
