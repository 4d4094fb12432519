#!/usr/bin/env python3
# cda-check: each C-CDA file named is checked, with the standard library's
# ElementTree (not libxml2), against the conformance statements of the
# C-CDA R2.1 US Realm Header and the document template its LOINC code
# calls for: what rso's tests feed the inbox must be a real C-CDA.
# usage: cda-check.py [--null-patient] FILE...
# SPDX-License-Identifier: ISC
import sys
import xml.etree.ElementTree as ET

NS = {"v3": "urn:hl7-org:v3"}
HEADER = "2.16.840.1.113883.10.20.22.1.1"
# LOINC document code -> the C-CDA document template it requires.
TEMPLATE = {
    "34133-9": "2.16.840.1.113883.10.20.22.1.2",  # CCD
    "11488-4": "2.16.840.1.113883.10.20.22.1.4",  # Consultation Note
    "18748-4": "2.16.840.1.113883.10.20.22.1.5",  # Diagnostic Imaging Report
    "18842-5": "2.16.840.1.113883.10.20.22.1.8",  # Discharge Summary
    "11506-3": "2.16.840.1.113883.10.20.22.1.9",  # Progress Note
}
ENCOUNTER = {"11488-4", "18842-5"}  # SHALL have componentOf/encompassingEncounter


def check(path, null_patient):
    bad = []

    def need(cond, what):
        if not cond:
            bad.append(what)

    root = ET.parse(path).getroot()
    need(root.tag == "{urn:hl7-org:v3}ClinicalDocument", "root ClinicalDocument in urn:hl7-org:v3")
    f = lambda p: root.find(p, NS)
    a = lambda p, k: (f(p).get(k) if f(p) is not None else None)
    need(a("v3:realmCode", "code") == "US", "realmCode US")
    need(a("v3:typeId", "root") == "2.16.840.1.113883.1.3" and
         a("v3:typeId", "extension") == "POCD_HD000040", "typeId POCD_HD000040")
    tids = {t.get("root"): t.get("extension") for t in root.findall("v3:templateId", NS)}
    need(tids.get(HEADER) == "2015-08-01", "US Realm Header templateId 2015-08-01")
    code = a("v3:code", "code")
    need(a("v3:code", "codeSystem") == "2.16.840.1.113883.6.1", "code from LOINC")
    if code in TEMPLATE:
        need(tids.get(TEMPLATE[code]) == "2015-08-01", "document templateId for %s" % code)
    need(a("v3:id", "root"), "id/@root")
    need((f("v3:title").text or "").strip(), "title")
    need(len(a("v3:effectiveTime", "value") or "") >= 8, "effectiveTime to the day")
    need(a("v3:confidentialityCode", "code"), "confidentialityCode")
    need(a("v3:languageCode", "code"), "languageCode")
    pr = "v3:recordTarget/v3:patientRole/"
    need(f(pr + "v3:id") is not None, "patientRole/id")
    if not null_patient:
        need(f(pr + "v3:patient/v3:name/v3:given") is not None and
             f(pr + "v3:patient/v3:name/v3:family") is not None, "patient name")
        need(a(pr + "v3:patient/v3:administrativeGenderCode", "code"), "administrativeGenderCode")
        need(len(a(pr + "v3:patient/v3:birthTime", "value") or "") >= 8, "birthTime")
        need(f(pr + "v3:addr") is not None, "patientRole/addr")
    need(a("v3:author/v3:time", "value"), "author/time")
    need(f("v3:author/v3:assignedAuthor/v3:id") is not None, "author id")
    need(f("v3:author/v3:assignedAuthor/v3:assignedPerson/v3:name") is not None, "author name")
    org = "v3:custodian/v3:assignedCustodian/v3:representedCustodianOrganization/"
    need(f(org + "v3:id") is not None and (f(org + "v3:name").text or "").strip(), "custodian organization")
    if code in ENCOUNTER:
        need(f("v3:componentOf/v3:encompassingEncounter/v3:effectiveTime") is not None, "encompassingEncounter")
    secs = root.findall(".//v3:structuredBody/v3:component/v3:section", NS)
    need(secs, "a structuredBody with sections")
    for s in root.iter("{urn:hl7-org:v3}section"):
        need(s.find("v3:code", NS) is not None and s.find("v3:title", NS) is not None and
             s.find("v3:text", NS) is not None, "section with code, title and text")
    for b in bad:
        print("%s: not a C-CDA: %s" % (path, b))
    return not bad


null = "--null-patient" in sys.argv
files = [x for x in sys.argv[1:] if x != "--null-patient"]
sys.exit(0 if all([check(p, null) for p in files]) and files else 1)
