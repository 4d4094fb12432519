"""gen-hl7.py: synthetic HL7 v2.5.1 messages for rso's inbox tests (see gen-hl7).

Each line of the spec (JSON) is one message, MDM^T02 (a document) or
ORU^R01 (a result), with the 2.5.1 abstract message structure: MSH EVN PID
PV1 TXA OBX for MDM_T02; MSH PID ORC OBR OBX for ORU_R01.  Every value is
escaped by the message's own encoding characters.  Each message is
written to DIR/NNNN.hl7 (segments end in CR, no framing) and then parsed
by python3-hl7, an independent reader; what it reads is printed as one
JSON line per message, the reference the tests compare rso against.
Patients are synthetic; nothing here is real.
SPDX-License-Identifier: ISC

Spec members (all optional): kind ("mdm"|"oru"), family, given, middle,
birth ("YYYYMMDD"), sex, ids ([[value, namespace, oid], ...]), facility,
facility_oid, control, placer, family_raw, given_raw, code (LOINC or table 0270), code_text,
code_system, date, author ([id, family, given]), text, section (OBR-24),
enc (the encoding characters, default "^~\\&"), sep (field separator).
"""
import json
import os
import sys

import hl7


def esc(s, sep, enc):
    comp, rep, e, sub = enc
    out = []
    for ch in s:
        if ch == e:
            out.append(e + "E" + e)
        elif ch == sep:
            out.append(e + "F" + e)
        elif ch == comp:
            out.append(e + "S" + e)
        elif ch == rep:
            out.append(e + "R" + e)
        elif ch == sub:
            out.append(e + "T" + e)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("%sX%02X%s" % (e, ord(ch), e))
        else:
            out.append(ch)
    return "".join(out)


def message(k, s):
    sep = s.get("sep", "|")
    enc = s.get("enc", "^~\\&")
    comp, rep, _, sub = enc

    def e(v):
        return esc(str(v), sep, enc)

    def seg(*fields):
        return sep.join(fields)

    kind = s.get("kind", "mdm")
    control = s.get("control", "MSG%05d" % k)
    date = s.get("date", "20260301093000")
    fac = e(s.get("facility", "GENHOSP"))
    if s.get("facility_oid"):
        fac += comp + e(s["facility_oid"]) + comp + "ISO"
    ids = s.get("ids", [["MRN%05d" % k, "GENHOSP", "2.16.840.1.113883.19.5"]])
    cx = rep.join(
        e(v) + comp * 3 + e(ns) + (sub + e(oid) + sub + "ISO" if oid else "")
        + comp + "MR" for v, ns, oid in ids)
    # family_raw, given_raw: written as they are (already escaped).
    xpn = s.get("family_raw", e(s.get("family", "Testperson"))) + comp + \
        s.get("given_raw", e(s.get("given", "Alpha")))
    if s.get("middle"):
        xpn += comp + e(s["middle"])
    author = s.get("author", ["D%03d" % k, "Author", "Ada"])
    xcn = comp.join(e(a) for a in author)
    msh_type = "MDM^T02^MDM_T02" if kind == "mdm" else "ORU^R01^ORU_R01"
    msh_type = msh_type.replace("^", comp)
    segs = [seg("MSH", enc, "EPIC", fac, "RSO", "RSO", date, "", msh_type,
                e(control), "P", "2.5.1", "", "", "", "", "", "UNICODE UTF-8")]
    text = e(s.get("text", "Synthetic text of message %d." % k))
    placer = e(s.get("placer", ""))
    if kind == "mdm":
        # TXA-2 is an IS in 2.5.1: the code alone (LOINC or table 0270);
        # OBX-3 names it with its text and system.
        code = s.get("code", "11488-4")
        ce = e(code) + comp + e(s.get("code_text", "Consult note")) + comp + \
            e(s.get("code_system", "LN" if "-" in code else "L"))
        segs.append(seg("EVN", "T02", date))
        segs.append(seg("PID", "1", "", cx, "", xpn, "", s.get("birth", "19700102"),
                        s.get("sex", "F")))
        segs.append(seg("PV1", "1", "O"))
        segs.append(seg("TXA", "1", e(code), "TX", date, xcn, date, "", "", "", "",
                        "", e("DOC%05d" % k), "", placer, "", "", "AU"))
        segs.append(seg("OBX", "1", "TX", ce, "", text, "", "", "", "", "", "F"))
    else:
        code = s.get("code", "24317-0")
        ce = e(code) + comp + e(s.get("code_text", "Hemogram")) + comp + \
            e(s.get("code_system", "LN"))
        segs.append(seg("PID", "1", "", cx, "", xpn, "", s.get("birth", "19700102"),
                        s.get("sex", "F")))
        segs.append(seg("ORC", "RE", placer, e("FIL%05d" % k)))
        obr = ["OBR", "1", placer, e("FIL%05d" % k), ce, "", "", date] + \
            [""] * 8 + [xcn] + [""] * 5 + [date, "", s.get("section", ""), "F"]
        segs.append(seg(*obr).rstrip(sep))
        segs.append(seg("OBX", "1", "TX", ce, "", text, "", "", "", "", "", "F"))
    return "\r".join(segs) + "\r"


def read_back(raw):
    """What python3-hl7 reads: the reference for rso's reader."""
    m = hl7.parse(raw)
    pid = m.segment("PID")
    out = {
        "type": str(m["MSH.F9.R1.C1"]) + "^" + str(m["MSH.F9.R1.C2"]),
        "control": str(m["MSH.F10"]),
        "family": str(m["PID.F5.R1.C1"]),
        "given": str(m["PID.F5.R1.C2"]),
        "birth": str(m["PID.F7"]),
        "ids": [m.unescape(str(r[0])) for r in pid[3]],
        "segments": [str(sg[0]) for sg in m],
    }
    return out


def bench(n, path):
    """n messages of the bench's patient in one file, MDM and ORU in turn."""
    with open(path, "wb") as f:
        for k in range(1, n + 1):
            s = {"kind": "mdm" if k % 2 else "oru", "family": "Bench",
                 "given": "Test", "birth": "19700101",
                 "ids": [["MRN-BENCH", "GENHOSP", "2.16.840.1.113883.19.5"]],
                 "text": "Synthetic result %d. " % k * 8}
            f.write(message(k, s).encode("utf-8"))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--bench":
        bench(int(sys.argv[2]), sys.argv[3])
        return
    if len(sys.argv) != 3:
        sys.exit("usage: gen-hl7 SPEC.jsonl DIR | --bench N FILE")
    os.makedirs(sys.argv[2], exist_ok=True)
    with open(sys.argv[1], encoding="utf-8") as f:
        specs = [json.loads(line) for line in f if line.strip()]
    for k, s in enumerate(specs, 1):
        raw = message(k, s)
        path = os.path.join(sys.argv[2], "%04d.hl7" % k)
        with open(path, "wb") as f:
            f.write(raw.encode("utf-8"))
        got = read_back(raw)
        got["file"] = path
        print(json.dumps(got, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
