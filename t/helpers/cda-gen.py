#!/usr/bin/env python3
# cda-gen: a synthetic C-CDA R2.1 document on stdout, built from the HL7
# C-CDA templates (US Realm Header 2.16.840.1.113883.10.20.22.1.1 and one
# document template), with ElementTree, for the inbox tests.
# SPDX-License-Identifier: ISC
#
# usage: cda-gen.py KIND [--family F] [--given G] [--birth YYYYMMDD]
#            [--sex F|M|UN] [--date YYYYMMDD] [--mrn ID] [--order TOKEN]
#            [--text-token TOKEN] [--org NAME] [--no-patient]
# KIND: ccd consult discharge imaging progress pathology
import argparse
import sys
import xml.etree.ElementTree as ET

V3 = "urn:hl7-org:v3"
LOINC = "2.16.840.1.113883.6.1"
ET.register_namespace("", V3)
ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")

# kind: (document templateId, LOINC code, display, title, sections)
# each section: (templateId or None, LOINC code, title, narrative builder)
KINDS = {
    "ccd": ("2.16.840.1.113883.10.20.22.1.2", "34133-9",
            "Summarization of Episode Note", "Continuity of Care Document",
            [("2.16.840.1.113883.10.20.22.2.6.1", "48765-2", "Allergies", "table_allergies"),
             ("2.16.840.1.113883.10.20.22.2.1.1", "10160-0", "Medications", "list_meds"),
             ("2.16.840.1.113883.10.20.22.2.5.1", "11450-4", "Problems", "list_problems"),
             ("2.16.840.1.113883.10.20.22.2.3.1", "30954-2", "Results", "table_results")]),
    "consult": ("2.16.840.1.113883.10.20.22.1.4", "11488-4", "Consult note",
                "Consultation Note",
                [("1.3.6.1.4.1.19376.1.5.3.1.3.1", "42349-1", "Reason for Referral", "para_referral"),
                 ("1.3.6.1.4.1.19376.1.5.3.1.3.4", "10164-2", "History of Present Illness", "para_hpi"),
                 ("2.16.840.1.113883.10.20.2.10", "29545-1", "Physical Exam", "exam"),
                 ("2.16.840.1.113883.10.20.22.2.9", "51847-2", "Assessment and Plan", "list_plan")]),
    "discharge": ("2.16.840.1.113883.10.20.22.1.8", "18842-5", "Discharge summary",
                  "Discharge Summary",
                  [("1.3.6.1.4.1.19376.1.5.3.1.3.5", "8648-8", "Hospital Course", "para_course"),
                   ("2.16.840.1.113883.10.20.22.2.24", "11535-2", "Discharge Diagnosis", "list_problems"),
                   ("2.16.840.1.113883.10.20.22.2.10", "18776-5", "Plan of Treatment", "list_plan")]),
    "imaging": ("2.16.840.1.113883.10.20.22.1.5", "18748-4", "Diagnostic imaging study",
                "CT Chest with Contrast",
                [("2.16.840.1.113883.10.20.6.1.2", "18782-3", "Findings", "para_findings"),
                 (None, "19005-8", "Impression", "para_impression")]),
    "progress": ("2.16.840.1.113883.10.20.22.1.9", "11506-3", "Progress note",
                 "Progress Note",
                 [("2.16.840.1.113883.10.20.21.2.2", "61150-9", "Subjective", "para_hpi"),
                  ("2.16.840.1.113883.10.20.21.2.1", "61149-1", "Objective", "table_results"),
                  ("2.16.840.1.113883.10.20.22.2.8", "51848-0", "Assessment", "list_problems"),
                  ("2.16.840.1.113883.10.20.22.2.10", "18776-5", "Plan of Treatment", "list_plan")]),
    # No C-CDA R2.1 document template for pathology: the US Realm Header
    # with the LOINC code of a pathology study, as senders do.
    "pathology": (None, "11526-1", "Pathology study", "Surgical Pathology Report",
                  [(None, "22634-0", "Gross Description", "para_gross"),
                   (None, "22637-3", "Final Diagnosis", "para_diagnosis")]),
}


def el(parent, tag, text=None, **attrs):
    e = ET.SubElement(parent, "{%s}%s" % (V3, tag),
                      {k.rstrip("_").replace("__", ":"): v for k, v in attrs.items()})
    if text is not None:
        e.text = text
    return e


def para(text, tok):
    def build(t):
        p = el(t, "paragraph", text)
        if tok:
            p.text += " Records sent for request %s." % tok
    return build


def narrative(name, tok):
    def list_of(items, ordered=False):
        def build(t):
            lst = el(t, "list", listType="ordered" if ordered else "unordered")
            for i in items:
                el(lst, "item", i)
        return build

    def table(head, rows, caption=None):
        def build(t):
            tb = el(t, "table", border="1")
            if caption:
                el(tb, "caption", caption)
            tr = el(el(tb, "thead"), "tr")
            for h in head:
                el(tr, "th", h)
            body = el(tb, "tbody")
            for r in rows:
                tr = el(body, "tr")
                for c in r:
                    el(tr, "td", c)
        return build

    def exam(t):
        p = el(t, "paragraph", "General: alert, in no distress. ")
        b = el(p, "content", "Lungs: clear", styleCode="Bold")
        b.tail = " on auscultation"
        el(p, "br").tail = "See "
        lk = el(p, "linkHtml", "the examination guideline", href="http://example.org/guideline")
        lk.tail = "."
        el(t, "renderMultiMedia", referencedObject="IMG1")
        el(t, "footnote", "Examined with a chaperone present.")

    table_results = table(["Test", "Result", "Units", "Date"],
                          [["Hemoglobin", "13.2", "g/dL", "2026-02-10"],
                           ["Creatinine", "0.9", "mg/dL", "2026-02-10"]],
                          caption="Laboratory results")
    b = {
        "table_allergies": table(["Substance", "Reaction", "Severity"],
                                 [["Penicillin", "Hives", "Moderate"]]),
        "list_meds": list_of(["Metformin 500 mg twice daily", "Lisinopril 10 mg daily"]),
        "list_problems": list_of(["Type 2 diabetes mellitus", "Essential hypertension"]),
        "table_results": table_results,
        "para_referral": para("Second opinion requested on a lung nodule & its follow-up <6 months.", tok),
        "para_hpi": para("The patient reports a dry cough for three months.", None),
        "exam": exam,
        "list_plan": list_of(["Repeat CT in three months", "Pulmonology follow-up"], ordered=True),
        "para_course": para("Admitted for pneumonia, treated with antibiotics, improved.", tok),
        "para_findings": para("A 7 mm solid nodule in the right upper lobe.", tok),
        "para_impression": para("Indeterminate pulmonary nodule.", None),
        "para_gross": para("Received in formalin, a core biopsy of 1.2 cm.", tok),
        "para_diagnosis": para("Lung, right upper lobe, biopsy: no malignancy identified.", None),
    }
    return b[name]


def ii(parent, tag, root, ext=None):
    a = {"root": root}
    if ext:
        a["extension"] = ext
    return el(parent, tag, **a)


def addr(parent):
    a = el(parent, "addr", use="HP")
    el(a, "streetAddressLine", "1 Test Street")
    el(a, "city", "Testville")
    el(a, "state", "MA")
    el(a, "postalCode", "02100")
    el(a, "country", "US")


def build(o):
    tmpl, code, display, title, sections = KINDS[o.kind]
    doc = ET.Element("{%s}ClinicalDocument" % V3)
    el(doc, "realmCode", code="US")
    el(doc, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    ii(doc, "templateId", "2.16.840.1.113883.10.20.22.1.1", "2015-08-01")
    if tmpl:
        ii(doc, "templateId", tmpl, "2015-08-01")
    ii(doc, "id", "2.16.840.1.113883.19.5.99999.1", "doc-%s-1" % o.kind)
    el(doc, "code", code=code, codeSystem=LOINC, codeSystemName="LOINC",
       displayName=display)
    el(doc, "title", title)
    el(doc, "effectiveTime", value=o.date + "093000-0500")
    el(doc, "confidentialityCode", code="N", codeSystem="2.16.840.1.113883.5.25")
    el(doc, "languageCode", code="en-US")
    rt = el(doc, "recordTarget")
    pr = el(rt, "patientRole")
    if o.no_patient:
        el(pr, "id", nullFlavor="NI")
        el(el(pr, "patient"), "name", nullFlavor="UNK")
    else:
        ii(pr, "id", "2.16.840.1.113883.19.5.99999.2", o.mrn)
        addr(pr)
        el(pr, "telecom", value="tel:+1-555-555-0100", use="HP")
        p = el(pr, "patient")
        n = el(p, "name", use="L")
        for g in o.given.split():
            el(n, "given", g)
        el(n, "family", o.family)
        el(p, "administrativeGenderCode", code=o.sex,
           codeSystem="2.16.840.1.113883.5.1")
        el(p, "birthTime", value=o.birth)
    au = el(doc, "author")
    el(au, "time", value=o.date)
    aa = el(au, "assignedAuthor")
    ii(aa, "id", "2.16.840.1.113883.4.6", "9999999999")
    addr(aa)
    el(aa, "telecom", value="tel:+1-555-555-0199", use="WP")
    ap = el(el(aa, "assignedPerson"), "name")
    el(ap, "prefix", "Dr.")
    el(ap, "given", "Test")
    el(ap, "family", "Author")
    cu = el(el(el(doc, "custodian"), "assignedCustodian"),
            "representedCustodianOrganization")
    ii(cu, "id", "2.16.840.1.113883.19.5.99999.3")
    el(cu, "name", o.org)
    el(cu, "telecom", value="tel:+1-555-555-0111", use="WP")
    addr(cu)
    if o.order:
        order = el(el(doc, "inFulfillmentOf"), "order")
        ii(order, "id", "2.16.840.1.113883.19.5.99999.4", o.order)
    if o.kind in ("consult", "discharge", "imaging", "progress"):
        enc = el(el(doc, "componentOf"), "encompassingEncounter")
        ii(enc, "id", "2.16.840.1.113883.19.5.99999.5", "enc-1")
        et = el(enc, "effectiveTime")
        el(et, "low", value=o.date)
        el(et, "high", value=o.date)
    body = el(el(doc, "component"), "structuredBody")
    for stmpl, scode, stitle, builder in sections:
        sec = el(el(body, "component"), "section")
        if stmpl:
            ii(sec, "templateId", stmpl, "2015-08-01")
        el(sec, "code", code=scode, codeSystem=LOINC)
        el(sec, "title", stitle)
        narrative(builder, o.text_token)(el(sec, "text"))
        if builder == "exam":
            sub = el(el(sec, "component"), "section")
            ii(sub, "templateId", "2.16.840.1.113883.10.20.22.2.4.1", "2015-08-01")
            el(sub, "code", code="8716-3", codeSystem=LOINC)
            el(sub, "title", "Vital Signs")
            narrative("table_results", None)(el(sub, "text"))
    return doc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=sorted(KINDS))
    ap.add_argument("--family", default="Alpha")
    ap.add_argument("--given", default="Test")
    ap.add_argument("--birth", default="19700102")
    ap.add_argument("--sex", default="F")
    ap.add_argument("--date", default="20260214")
    ap.add_argument("--mrn", default="MRN-0001")
    ap.add_argument("--order")
    ap.add_argument("--text-token")
    ap.add_argument("--org", default="Test General Hospital")
    ap.add_argument("--no-patient", action="store_true")
    o = ap.parse_args()
    tree = ET.ElementTree(build(o))
    ET.indent(tree)
    sys.stdout.buffer.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    tree.write(sys.stdout.buffer, encoding="utf-8", xml_declaration=False)
    sys.stdout.buffer.write(b"\n")


main()
