"""xdm-make: an IHE XDM zip as another hospital's system writes one,
written from ITI TF-1 16 and TF-3 4.2 with xml.etree and the zip or
bsdtar command, independently of rso-export.  Only synthetic data.

Usage: xdm-make.py SPEC.json OUT.zip

SPEC: {"tool": "zip"|"bsdtar", "metadata_first": bool,
  "set": {"uid", "source", "title", "comments", "recipient", "time",
          "institution"},
  "patient": {"family", "given", "birth", "sex", "id"},
  "subsets": {"SUBSET01": [DOC...]},          (or "docs": [DOC...])
  "extra": [{"name", "text"}],                 members beside the subsets
  "metadata_raw": "text of every METADATA.XML, as it is"}
DOC: {"file": a local file, "uri", "mime", "type": LOINC, "type_name",
  "class", "title", "created", "author": XCN, "institution": XON,
  "hash"/"size": what METADATA.XML says instead of the truth,
  "absent": true to name it in METADATA.XML but leave it out of the zip,
  "comments"}
SPDX-License-Identifier: ISC
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
ET.register_namespace("lcm", LCM)
ET.register_namespace("rim", RIM)
DE_OBJECT = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
SCHEMES = {
    "class": "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a",
    "confidentiality": "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f",
    "format": "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d",
    "facility": "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1",
    "practice": "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead",
    "type": "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983",
}
DE_AUTHOR = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
DE_PATIENT = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DE_UNIQUE = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
SS_CONTENT = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
SS_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SS_SOURCE = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SS_UNIQUE = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
SS_PATIENT = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
SS_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
LOINC = "2.16.840.1.113883.6.1"
HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"


def el(parent, tag, **attrs):
    return ET.SubElement(parent, "{%s}%s" % (RIM, tag), attrs)


def slot(parent, name, *values):
    vl = el(el(parent, "Slot", name=name), "ValueList")
    for v in values:
        el(vl, "Value").text = v


def name(parent, text, tag="Name"):
    el(el(parent, tag), "LocalizedString", value=text)


def code(parent, cid, scheme, obj, value, system, display):
    c = el(parent, "Classification", id=cid, classificationScheme=scheme,
           classifiedObject=obj, nodeRepresentation=value)
    slot(c, "codingScheme", system)
    name(c, display)


def hl7(s):
    """An HL7 v2 component escaped (ITI TF-3 4.2.3.1.7)."""
    return (s.replace("\\", "\\E\\").replace("|", "\\F\\")
            .replace("^", "\\S\\").replace("&", "\\T\\")
            .replace("~", "\\R\\"))


def entry(rol, k, d, pat, pid):
    obj = "urn:uuid:00000000-0000-4000-8000-%012d" % k
    data = open(d["file"], "rb").read()
    eo = el(rol, "ExtrinsicObject", id=obj, mimeType=d["mime"],
            objectType=DE_OBJECT)
    slot(eo, "creationTime", d.get("created", "20260310101500"))
    slot(eo, "hash", d.get("hash", hashlib.sha1(data).hexdigest()))
    slot(eo, "languageCode", "en-US")
    slot(eo, "size", str(d.get("size", len(data))))
    slot(eo, "URI", d["uri"])
    slot(eo, "sourcePatientId", pid)
    slot(eo, "sourcePatientInfo", "PID-3|" + pid,
         "PID-5|%s^%s^^^" % (hl7(pat["family"]), hl7(pat["given"])),
         "PID-7|" + pat["birth"], "PID-8|" + pat.get("sex", "U"))
    name(eo, d.get("title", "Document %d" % k))
    if d.get("comments"):
        name(eo, d["comments"], "Description")
    ty = d.get("type", "11506-3")
    code(eo, "%s-c" % obj, SCHEMES["class"], obj, d.get("class", ty), LOINC,
         d.get("type_name", "Clinical document"))
    code(eo, "%s-n" % obj, SCHEMES["confidentiality"], obj, "N",
         "2.16.840.1.113883.5.25", "Normal")
    code(eo, "%s-f" % obj, SCHEMES["format"], obj,
         "urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3",
         "mimeType Sufficient")
    code(eo, "%s-h" % obj, SCHEMES["facility"], obj, "22232009",
         "2.16.840.1.113883.6.96", "Hospital")
    code(eo, "%s-p" % obj, SCHEMES["practice"], obj, "394802001",
         "2.16.840.1.113883.6.96", "General medicine")
    code(eo, "%s-t" % obj, SCHEMES["type"], obj, ty, LOINC,
         d.get("type_name", "Clinical document"))
    a = el(eo, "Classification", id="%s-a" % obj,
           classificationScheme=DE_AUTHOR, classifiedObject=obj,
           nodeRepresentation="")
    slot(a, "authorPerson", d.get("author", "1234^Doctor^Synthetic^^^Dr"))
    slot(a, "authorInstitution",
         d.get("institution", "Synthetic General Hospital^^^^^&1.2.3.4&ISO^^^^1"))
    x = el(eo, "ExternalIdentifier", id="%s-x" % obj,
           identificationScheme=DE_PATIENT, registryObject=obj, value=pid)
    name(x, "XDSDocumentEntry.patientId")
    x = el(eo, "ExternalIdentifier", id="%s-u" % obj,
           identificationScheme=DE_UNIQUE, registryObject=obj,
           value="1.2.3.4.5.%d" % k)
    name(x, "XDSDocumentEntry.uniqueId")
    return obj


def metadata(spec, docs):
    st, pat = spec["set"], spec["patient"]
    pid = pat.get("id", "MRN1^^^&1.2.3.4.1&ISO")
    root = ET.Element("{%s}SubmitObjectsRequest" % LCM)
    rol = el(root, "RegistryObjectList")
    objs = [entry(rol, k + 1, d, pat, pid) for k, d in enumerate(docs)]
    ss = "urn:uuid:10000000-0000-4000-8000-000000000001"
    rp = el(rol, "RegistryPackage", id=ss)
    slot(rp, "submissionTime", st.get("time", "20260914083000"))
    if st.get("recipient"):
        slot(rp, "intendedRecipient", st["recipient"])
    name(rp, st.get("title", "Records"))
    if st.get("comments"):
        name(rp, st["comments"], "Description")
    a = el(rp, "Classification", id="ss-a", classificationScheme=SS_AUTHOR,
           classifiedObject=ss, nodeRepresentation="")
    slot(a, "authorInstitution", st.get("institution",
                                        "Synthetic General Hospital"))
    code(rp, "ss-c", SS_CONTENT, ss, "34133-9", LOINC, "Summary of episode")
    for scheme, value in ((SS_UNIQUE, st.get("uid", "1.2.3.4.5.100")),
                          (SS_SOURCE, st.get("source", "1.2.3.4")),
                          (SS_PATIENT, pid)):
        el(rp, "ExternalIdentifier", id="ss-" + scheme[-4:],
           identificationScheme=scheme, registryObject=ss, value=value)
    el(rol, "Classification", id="ss-node", classifiedObject=ss,
       classificationNode=SS_NODE)
    for k, o in enumerate(objs):
        el(rol, "Association", id="as-%d" % k, associationType=HAS_MEMBER,
           sourceObject=ss, targetObject=o)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def main():
    spec = json.load(open(sys.argv[1]))
    out = os.path.abspath(sys.argv[2])
    subsets = spec.get("subsets") or {"SUBSET01": spec["docs"]}
    tmp = tempfile.mkdtemp()
    names = ["README.TXT", "INDEX.HTM"]
    with open(os.path.join(tmp, "README.TXT"), "w") as f:
        f.write("Synthetic records sent by Direct message.\r\n")
    links = []
    for sub, docs in subsets.items():
        os.makedirs(os.path.join(tmp, "IHE_XDM", sub), exist_ok=True)
        meta = os.path.join("IHE_XDM", sub, "METADATA.XML")
        with open(os.path.join(tmp, meta), "wb") as f:
            f.write(spec["metadata_raw"].encode() if "metadata_raw" in spec
                    else metadata(spec, docs))
        members = []
        for d in docs:
            if d.get("absent"):
                continue
            path = os.path.join("IHE_XDM", sub, d["uri"])
            os.makedirs(os.path.dirname(os.path.join(tmp, path)),
                        exist_ok=True)
            shutil.copyfile(d["file"], os.path.join(tmp, path))
            members.append(path)
            links.append(path)
        names += [meta] + members if spec.get("metadata_first") else \
            members + [meta]
    for x in spec.get("extra", []):
        os.makedirs(os.path.dirname(os.path.join(tmp, x["name"])) or tmp,
                    exist_ok=True)
        with open(os.path.join(tmp, x["name"]), "w") as f:
            f.write(x["text"])
        names.append(x["name"])
    # A folder named in bytes that are not UTF-8 ("\udce9" in the spec)
    # is linked as those bytes.
    with open(os.path.join(tmp, "INDEX.HTM"), "w",
              errors="surrogateescape") as f:
        f.write("<html><body><ul>%s</ul></body></html>\n" % "".join(
            '<li><a href="%s">%s</a></li>' % (p, p) for p in links))
    if os.path.exists(out):
        os.unlink(out)
    if spec.get("tool", "zip") == "zip":
        cmd = ["zip", "-q", "-X", out] + names
    else:
        cmd = ["bsdtar", "--format", "zip", "-cf", out] + names
    subprocess.run(cmd, cwd=tmp, check=True)
    shutil.rmtree(tmp)


main()
