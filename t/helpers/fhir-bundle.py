#!/usr/bin/python3
# fhir-bundle: synthetic FHIR R4 Bundles for the inbox tests, as other
# hospitals send them.  Only synthetic data.
#
#   fhir-bundle.py everything [options] >b.json
#       a Patient's $everything: a searchset with the Patient, its
#       Organization and Practitioner, an Encounter, Observations, a
#       DocumentReference (a PDF inline, a note in a contained Binary) and
#       two DiagnosticReports (a lab panel in a Binary entry by urn:uuid,
#       a pathology report inline), each with size and SHA-1 hash.
#   fhir-bundle.py collection [options] >b.json
#       DocumentReferences with inline data and Binary references
#       (urn:uuid, Binary/id), a token in a DocumentReference identifier.
#   fhir-bundle.py big N [options] >b.json
#       a searchset of N entries: the Patient, N-3 Observations and one
#       DocumentReference whose attachment is in a Binary entry.
#   fhir-bundle.py large MB [--binary] [--escape-slash] [--bad-middle]
#           [--bytes FILE]
#       the Patient and one DocumentReference with a scanned PDF of MB
#       MiB (synthetic bytes after a PDF header), inline, or with
#       --binary in a Binary entry its url names; --escape-slash writes
#       each "/" of the base64 text as "\/" (as some JSON writers do),
#       --bad-middle puts a "*" in the middle of it; --bytes writes the
#       PDF's bytes to FILE too.
#
# Options: --family F --given G --birth YYYY-MM-DD --mrn M --token REQ-...
# --org NAME.
import argparse
import base64
import hashlib
import json
import random
import sys
import uuid

LOINC = "http://loinc.org"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"


def urn(seed, what):
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, seed + "/" + what))


def b64(data):
    return base64.b64encode(data).decode()


def attachment(data, ctype, title=None, inline=True):
    a = {"contentType": ctype, "size": len(data),
         "hash": b64(hashlib.sha1(data).digest())}
    if inline:
        a["data"] = b64(data)
    if title:
        a["title"] = title
    return a


def pdf(text):
    # A small, well-formed PDF whose text says what it is.
    body = ("BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text).encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(body) + body +
            b"\nendstream"]
    out = b"%PDF-1.4\n"
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, x)
    return out


def patient(a, seed):
    p = {"resourceType": "Patient", "id": "pat1",
         "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5",
                         "value": a.mrn}],
         "name": [{"use": "official", "family": a.family,
                   "given": a.given.split()}],
         "gender": "female", "birthDate": a.birth,
         "managingOrganization": {"reference": urn(seed, "org")}}
    return {"fullUrl": urn(seed, "patient"), "resource": p}


def org(a, seed):
    return {"fullUrl": urn(seed, "org"),
            "resource": {"resourceType": "Organization", "id": "org1",
                         "name": a.org}}


def practitioner(seed):
    return {"fullUrl": urn(seed, "prac"),
            "resource": {"resourceType": "Practitioner", "id": "prac1",
                         "name": [{"family": "Testdoc",
                                   "given": ["Robin"]}]}}


def observation(seed, i, subject):
    return {"fullUrl": urn(seed, "obs%d" % i),
            "resource": {"resourceType": "Observation", "status": "final",
                         "code": {"coding": [{"system": LOINC,
                                              "code": "2345-7"}]},
                         "subject": {"reference": subject},
                         "valueQuantity": {"value": 90 + i % 40,
                                           "unit": "mg/dL"}}}


def everything(a):
    seed = "everything/" + a.mrn
    subj = urn(seed, "patient")
    note = b"Synthetic progress note.\nNo real patient.\n"
    lab = b"Synthetic metabolic panel: glucose 92 mg/dL.\n"
    path = pdf("Synthetic pathology report")
    scan = pdf("Synthetic consult letter")
    docref = {"resourceType": "DocumentReference", "status": "current",
              "identifier": [{"system": "urn:ietf:rfc:3986",
                              "value": urn(seed, "docid")}],
              "type": {"coding": [{"system": LOINC, "code": "11506-3",
                                   "display": "Progress note"}]},
              "subject": {"reference": subj},
              "date": "2026-08-14T09:30:00Z",
              "author": [{"reference": urn(seed, "prac")}],
              "custodian": {"reference": urn(seed, "org")},
              "contained": [{"resourceType": "Binary", "id": "note1",
                             "contentType": "text/plain",
                             "data": b64(note)}],
              "content": [
                  {"attachment": attachment(scan, "application/pdf",
                                            "Consult letter")},
                  {"attachment": dict(attachment(note, "text/plain",
                                                 "Progress note",
                                                 inline=False),
                                      url="#note1")}]}
    labrep = {"resourceType": "DiagnosticReport", "status": "final",
              "category": [{"coding": [{"system": V2_0074,
                                        "code": "LAB"}]}],
              "code": {"coding": [{"system": LOINC, "code": "24323-8",
                                   "display": "Comprehensive metabolic "
                                              "panel"}]},
              "subject": {"reference": subj},
              "effectiveDateTime": "2026-08-02",
              "issued": "2026-08-03T08:00:00Z",
              "performer": [{"reference": urn(seed, "org")}],
              "presentedForm": [dict(attachment(lab, "text/plain",
                                                inline=False),
                                     url=urn(seed, "labbin"))]}
    pathrep = {"resourceType": "DiagnosticReport", "status": "final",
               "code": {"coding": [{"system": LOINC, "code": "11526-1",
                                    "display": "Pathology study"}]},
               "subject": {"reference": subj},
               "effectiveDateTime": "2026-07-30T11:00:00Z",
               "issued": "2026-07-31T08:00:00Z",
               "performer": [{"reference": urn(seed, "org")},
                             {"reference": urn(seed, "prac")}],
               "presentedForm": [attachment(path, "application/pdf")]}
    entries = [patient(a, seed), org(a, seed), practitioner(seed),
               {"fullUrl": urn(seed, "enc"),
                "resource": {"resourceType": "Encounter", "status": "finished",
                             "class": {"system": "http://terminology.hl7.org/"
                                       "CodeSystem/v3-ActCode",
                                       "code": "AMB"},
                             "subject": {"reference": subj}}},
               observation(seed, 1, subj), observation(seed, 2, subj),
               {"fullUrl": urn(seed, "doc"), "resource": docref},
               {"fullUrl": urn(seed, "lab"), "resource": labrep},
               {"fullUrl": urn(seed, "labbin"),
                "resource": {"resourceType": "Binary",
                             "contentType": "text/plain",
                             "data": b64(lab)}},
               {"fullUrl": urn(seed, "path"), "resource": pathrep}]
    for e in entries:
        e["search"] = {"mode": "match" if e["resource"]["resourceType"] ==
                       "Patient" else "include"}
    return {"resourceType": "Bundle", "id": "everything1",
            "type": "searchset", "timestamp": "2026-09-01T10:00:00Z",
            "total": 1, "entry": entries}


def collection(a):
    seed = "collection/" + a.mrn
    subj = urn(seed, "patient")
    img = b"Synthetic CT chest report: no acute findings.\n"
    dis = b"# Discharge summary\n\nSynthetic.\n"
    ids = [{"system": "urn:example:records-request", "value": a.token}] \
        if a.token else [{"system": "urn:example:doc", "value": "D-1"}]
    entries = [patient(a, seed), org(a, seed),
               {"fullUrl": urn(seed, "d1"), "resource": {
                   "resourceType": "DocumentReference", "status": "current",
                   "identifier": ids,
                   "type": {"coding": [{"system": LOINC, "code": "18748-4"}],
                            "text": "Diagnostic imaging study"},
                   "subject": {"reference": subj},
                   "date": "2026-06-20T14:00:00+02:00",
                   "custodian": {"reference": urn(seed, "org")},
                   "content": [{"attachment": dict(
                       attachment(img, "text/plain", inline=False),
                       url=urn(seed, "bin1"))}]}},
               {"fullUrl": urn(seed, "bin1"), "resource": {
                   "resourceType": "Binary", "id": "bin1",
                   "contentType": "text/plain", "data": b64(img)}},
               {"fullUrl": urn(seed, "d2"), "resource": {
                   "resourceType": "DocumentReference", "status": "current",
                   "type": {"coding": [{"system": LOINC, "code": "18842-5"}]},
                   "subject": {"reference": subj},
                   "date": "2026-06-25T09:00:00Z",
                   "custodian": {"display": a.org},
                   "content": [{"attachment": dict(
                       attachment(dis, "text/markdown", inline=False),
                       url="Binary/bin2")}]}},
               {"fullUrl": "http://example.org/fhir/Binary/bin2",
                "resource": {"resourceType": "Binary", "id": "bin2",
                             "contentType": "text/markdown",
                             "data": b64(dis)}}]
    return {"resourceType": "Bundle", "id": "collection1",
            "type": "collection", "timestamp": "2026-09-02T10:00:00Z",
            "entry": entries}


def big(a, n):
    seed = "big/" + a.mrn
    subj = urn(seed, "patient")
    text = b"Synthetic summary of a long record.\n"
    entries = [patient(a, seed)]
    for i in range(n - 3):
        entries.append(observation(seed, i, subj))
    entries.append({"fullUrl": urn(seed, "doc"), "resource": {
        "resourceType": "DocumentReference", "status": "current",
        "type": {"coding": [{"system": LOINC, "code": "34133-9"}]},
        "subject": {"reference": subj}, "date": "2026-08-30T10:00:00Z",
        "content": [{"attachment": dict(attachment(text, "text/plain",
                                                   inline=False),
                                        url=urn(seed, "bin"))}]}})
    entries.append({"fullUrl": urn(seed, "bin"), "resource": {
        "resourceType": "Binary", "contentType": "text/plain",
        "data": b64(text)}})
    return {"resourceType": "Bundle", "type": "searchset",
            "timestamp": "2026-09-03T10:00:00Z", "total": 1,
            "entry": entries}


def scan(n):
    # Pseudo-random bytes behind a PDF header: as incompressible as a
    # scan, the same on every run.
    head = b"%PDF-1.4\n%synthetic scan\n"
    return head + random.Random(n).randbytes(n - len(head))


def large(a, mib):
    seed = "large/" + a.mrn
    subj = urn(seed, "patient")
    data = scan(int(mib * 1024 * 1024))
    if a.bytes:
        with open(a.bytes, "wb") as f:
            f.write(data)
    att = attachment(data, "application/pdf", "Scanned record",
                     inline=not a.binary)
    entries = [patient(a, seed)]
    if a.binary:
        att["url"] = urn(seed, "bin")
    entries.append({"fullUrl": urn(seed, "doc"), "resource": {
        "resourceType": "DocumentReference", "status": "current",
        "type": {"coding": [{"system": LOINC, "code": "34133-9"}]},
        "subject": {"reference": subj}, "date": "2026-08-30T10:00:00Z",
        "content": [{"attachment": att}]}})
    if a.binary:
        entries.append({"fullUrl": urn(seed, "bin"), "resource": {
            "resourceType": "Binary", "contentType": "application/pdf",
            "data": b64(data)}})
    return {"resourceType": "Bundle", "type": "collection",
            "timestamp": "2026-09-04T10:00:00Z", "entry": entries}


def write_large(b, a):
    text = json.dumps(b, indent=1)
    if a.escape_slash or a.bad_middle:
        # The one long string is the base64 text: edit it alone.
        start = text.index('"data": "') + len('"data": "')
        end = text.index('"', start)
        data = text[start:end]
        if a.bad_middle:
            mid = len(data) // 2
            data = data[:mid] + "*" + data[mid + 1:]
        if a.escape_slash:
            data = data.replace("/", "\\/")
        text = text[:start] + data + text[end:]
    sys.stdout.write(text + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["everything", "collection", "big",
                                     "large"])
    ap.add_argument("n", nargs="?", type=float, default=10000)
    ap.add_argument("--family", default="Zzfhirtest")
    ap.add_argument("--given", default="Ada Q")
    ap.add_argument("--birth", default="1970-02-03")
    ap.add_argument("--mrn", default="MRN-0001")
    ap.add_argument("--token", default="")
    ap.add_argument("--org", default="Elsewhere General Hospital")
    ap.add_argument("--binary", action="store_true")
    ap.add_argument("--escape-slash", action="store_true")
    ap.add_argument("--bad-middle", action="store_true")
    ap.add_argument("--bytes")
    a = ap.parse_args()
    if a.kind == "large":
        write_large(large(a, a.n), a)
        return
    b = {"everything": everything, "collection": collection}.get(a.kind)
    json.dump(b(a) if b else big(a, int(a.n)), sys.stdout, indent=1)
    sys.stdout.write("\n")


main()
