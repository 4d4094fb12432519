"""xds-check: an IHE XDM METADATA.XML against the ebRS 3.0 and XDS
metadata constraints a document registry enforces (ITI TF-3 4.2 and 4.3,
the XDM column of table 4.3.1-3).  Usage: xds-check.py FILE...

Checked: the SubmitObjectsRequest and RegistryObjectList elements in the
ebRS 3.0 lcm/rim namespaces; unique ids; every reference (classifiedObject,
registryObject, sourceObject, targetObject) to an object of the request;
each Slot name once per object; every Value at most 256 characters (rim
LongName); for each DocumentEntry the slots, classifications and
external identifiers XDM requires (hash as 40 hex digits, size as digits,
creationTime as a DTM, URI, sourcePatientId, sourcePatientInfo, the
class, confidentiality, format, facility type, practice setting and type
codes with codingScheme and a name, patientId and uniqueId), and for the
submission set its submissionTime, content type, sourceId, uniqueId and
author; each author with authorPerson or authorInstitution; and every
HL7 v2 value (sourcePatientInfo, sourcePatientId, the author slots)
escaped as HL7 says: no raw separators inside a component, no control
characters, and every escape sequence well formed.
One line per problem, "FILE: where: what"; exit 1 if any.
SPDX-License-Identifier: ISC
"""
import re
import sys
import xml.etree.ElementTree as ET

LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
DE = {
    "classCode": "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a",
    "confidentialityCode": "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f",
    "formatCode": "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d",
    "healthcareFacilityTypeCode": "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1",
    "practiceSettingCode": "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead",
    "typeCode": "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983",
}
DE_AUTHOR = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
DE_PATIENT = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DE_UNIQUE = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
SS_CONTENT = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
SS_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SS_SOURCE = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SS_UNIQUE = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
SS_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
DE_OBJECT = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
DTM = re.compile(r"^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2})?)?)?)?)?$")
ESC = re.compile(r"\\(F|S|T|R|E|X(?:[0-9A-Fa-f]{2})+|H|N|\.br)\\")
HL7_SLOTS = ("sourcePatientId", "sourcePatientInfo", "authorPerson",
             "authorInstitution", "authorSpecialty")


def r(tag):
    return "{%s}%s" % (RIM, tag)


def hl7_problem(v, subcomponents):
    """Why v is not a validly escaped HL7 v2 value, or None."""
    if any(ord(c) < 32 or ord(c) == 127 for c in v):
        return "raw control character"
    rest = ESC.sub("", v)
    if "\\" in rest:
        return "malformed escape sequence"
    if "|" in rest or "~" in rest:
        return "unescaped field or repetition separator"
    if not subcomponents and "&" in rest:
        return "unescaped subcomponent separator"
    return None


def slots(obj):
    out = {}
    for s in obj.findall(r("Slot")):
        out.setdefault(s.get("name"), []).append(
            [v.text or "" for v in s.iter(r("Value"))])
    return out


def check(path):
    problems = []

    def say(where, what):
        problems.append("%s: %s: %s" % (path, where, what))

    root = ET.parse(path).getroot()
    if root.tag != "{%s}SubmitObjectsRequest" % LCM:
        say("root", "not an lcm:SubmitObjectsRequest")
        return problems
    rol = root.find(r("RegistryObjectList"))
    if rol is None:
        say("root", "no rim:RegistryObjectList")
        return problems
    ids = {}
    for el in rol.iter():
        if el.get("id") is not None:
            if el.get("id") in ids:
                say(el.get("id"), "id used twice")
            ids[el.get("id")] = el
    for el in rol.iter():
        for a in ("classifiedObject", "registryObject", "sourceObject",
                  "targetObject"):
            if el.get(a) is not None and el.get(a) not in ids:
                say(el.get("id") or el.tag, "%s names no object" % a)
        if el.tag == r("Value") and len(el.text or "") > 256:
            say(el.get("id") or "Value", "value of %d characters, more than "
                "the 256 of an ebRS LongName" % len(el.text or ""))
    for el in rol.iter():
        names = [s.get("name") for s in el.findall(r("Slot"))]
        for n in set(names):
            if names.count(n) > 1:
                say(el.get("id"), "slot %s twice" % n)
        for s in el.findall(r("Slot")):
            if s.get("name") in HL7_SLOTS:
                for v in s.iter(r("Value")):
                    text = v.text or ""
                    if s.get("name") == "sourcePatientInfo":
                        m = re.match(r"^PID-\d+\|", text)
                        if not m:
                            say(el.get("id"), "sourcePatientInfo value "
                                "without PID-n|")
                            continue
                        # PID-3 is a CX, whose authority has
                        # subcomponents (ITI TF-3 4.2.3.2.23's example).
                        pid3 = m.group(0) == "PID-3|"
                        text = text[m.end():]
                    else:
                        pid3 = False
                    why = hl7_problem(text, pid3 or s.get("name") in (
                        "sourcePatientId", "authorInstitution",
                        "authorPerson"))
                    if why:
                        say(el.get("id"), "%s: %s" % (s.get("name"), why))
    docs = [e for e in rol.findall(r("ExtrinsicObject"))]
    if not docs:
        say("RegistryObjectList", "no DocumentEntry")
    for d in docs:
        check_entry(d, rol, say)
    sets = rol.findall(r("RegistryPackage"))
    if len(sets) != 1:
        say("RegistryObjectList", "%d RegistryPackages, not one submission "
            "set" % len(sets))
    for p in sets:
        check_set(p, rol, docs, say)
    return problems


def classifications(obj, rol):
    own = list(obj.findall(r("Classification")))
    own += [c for c in rol.findall(r("Classification"))
            if c.get("classifiedObject") == obj.get("id")]
    return own


def externals(obj):
    return {e.get("identificationScheme"): e.get("value")
            for e in obj.findall(r("ExternalIdentifier"))}


def coded(c, where, say):
    if not c.get("nodeRepresentation"):
        say(where, "code without nodeRepresentation")
    if "codingScheme" not in slots(c):
        say(where, "code without codingScheme")
    if c.find(r("Name")) is None:
        say(where, "code without a name")


def check_author(a, where, say):
    s = slots(a)
    if "authorPerson" not in s and "authorInstitution" not in s:
        say(where, "author without authorPerson or authorInstitution")


def check_entry(d, rol, say):
    where = d.get("id")
    if d.get("objectType") != DE_OBJECT:
        say(where, "objectType is not the stable DocumentEntry type")
    if not d.get("mimeType"):
        say(where, "no mimeType")
    s = slots(d)
    for need in ("hash", "size", "URI", "sourcePatientId",
                 "sourcePatientInfo", "creationTime", "languageCode"):
        if need not in s:
            say(where, "required slot %s missing" % need)
    one = lambda n: s.get(n, [[""]])[0][0] if s.get(n) else ""
    if s.get("hash") and not re.match(r"^[0-9a-f]{40}$", one("hash")):
        say(where, "hash is not 40 hex digits")
    if s.get("size") and not one("size").isdigit():
        say(where, "size is not digits")
    if s.get("creationTime") and not DTM.match(one("creationTime")):
        say(where, "creationTime is not a DTM")
    cls = classifications(d, rol)
    schemes = {c.get("classificationScheme") for c in cls}
    for name, scheme in DE.items():
        if scheme not in schemes:
            say(where, "required %s missing" % name)
    for c in cls:
        if c.get("classificationScheme") in DE.values():
            coded(c, "%s %s" % (where, c.get("id")), say)
        if c.get("classificationScheme") == DE_AUTHOR:
            check_author(c, "%s %s" % (where, c.get("id")), say)
    ext = externals(d)
    if DE_PATIENT not in ext:
        say(where, "required patientId missing")
    if DE_UNIQUE not in ext:
        say(where, "required uniqueId missing")


def check_set(p, rol, docs, say):
    where = p.get("id")
    s = slots(p)
    if "submissionTime" not in s:
        say(where, "required slot submissionTime missing")
    elif not DTM.match(s["submissionTime"][0][0]):
        say(where, "submissionTime is not a DTM")
    cls = classifications(p, rol)
    schemes = {c.get("classificationScheme") for c in cls}
    if SS_CONTENT not in schemes:
        say(where, "contentTypeCode missing")
    if SS_AUTHOR not in schemes:
        say(where, "author missing")
    for c in cls:
        if c.get("classificationScheme") == SS_AUTHOR:
            check_author(c, "%s %s" % (where, c.get("id")), say)
    if not any(c.get("classificationNode") == SS_NODE for c in cls):
        say(where, "not classified as a submission set")
    ext = externals(p)
    for n, scheme in (("sourceId", SS_SOURCE), ("uniqueId", SS_UNIQUE)):
        if scheme not in ext:
            say(where, "required %s missing" % n)
    members = {a.get("targetObject") for a in rol.findall(r("Association"))
               if a.get("sourceObject") == where and a.get(
                   "associationType", "").endswith(":HasMember")}
    for d in docs:
        if d.get("id") not in members:
            say(d.get("id"), "not a member of the submission set")


bad = 0
for f in sys.argv[1:]:
    for p in check(f):
        print(p)
        bad += 1
sys.exit(1 if bad else 0)
