"""gen-dicom.py: synthetic DICOM files for rso's reader tests (see gen-dicom).

Every file is written deterministically (UIDs are hashes of fixed strings)
by pydicom or by dcmtk, and NAME.json next to it says what pydicom reads
back from it: the reference the C test compares rso's reader against.
Patients are synthetic ("TEST^ALPHA"); nothing here is real.
SPDX-License-Identifier: ISC
"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import warnings

import pydicom
from pydicom import uid as U
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.sequence import Sequence

warnings.simplefilter("ignore")
SC = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture Image Storage
IMPL_CLASS = "2.25.138210416745032934180521218946410557213"
FIELDS = [
    ("patient_name", "PatientName"),
    ("patient_id", "PatientID"),
    ("patient_birth_date", "PatientBirthDate"),
    ("study_instance_uid", "StudyInstanceUID"),
    ("series_instance_uid", "SeriesInstanceUID"),
    ("sop_instance_uid", "SOPInstanceUID"),
    ("sop_class_uid", "SOPClassUID"),
    ("study_date", "StudyDate"),
    ("study_time", "StudyTime"),
    ("accession_number", "AccessionNumber"),
    ("modality", "Modality"),
    ("body_part_examined", "BodyPartExamined"),
    ("study_description", "StudyDescription"),
    ("specific_character_set", "SpecificCharacterSet"),
]
SYNTAX = {
    U.ImplicitVRLittleEndian: "implicit_le",
    U.ExplicitVRBigEndian: "explicit_be",
    U.DeflatedExplicitVRLittleEndian: "deflated_le",
}


def uid(*parts):
    """A stable 2.25 UID from fixed strings."""
    h = hashlib.sha256("/".join(parts).encode()).digest()
    return "2.25." + str(int.from_bytes(h[:15], "big"))


def base(tag, name="TEST^ALPHA", charset=None, rows=16, cols=16,
         pixels=None, desc="SYNTHETIC TEST STUDY", pid=None):
    """A small secondary-capture image of a synthetic patient."""
    ds = Dataset()
    if charset:
        ds.SpecificCharacterSet = charset
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.SOPClassUID = SC
    ds.SOPInstanceUID = uid(tag, "sop")
    ds.StudyDate = "20240315"
    ds.StudyTime = "101500"
    ds.AccessionNumber = ""
    ds.Modality = "OT"
    ds.ConversionType = "WSD"
    ds.StudyDescription = desc
    ds.PatientName = name
    ds.PatientID = pid or "RSO-T-" + tag.upper()
    ds.PatientBirthDate = "19610301"
    ds.PatientSex = "O"
    ds.BodyPartExamined = "HEAD"
    ds.StudyInstanceUID = uid(tag, "study")
    ds.SeriesInstanceUID = uid(tag, "series")
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    if pixels is None:
        pixels = bytes((i * 7) & 0xFF for i in range(rows * cols))
    ds.PixelData = pixels
    ds["PixelData"].VR = "OB"
    return ds


def meta_for(ds, ts):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = IMPL_CLASS
    meta.ImplementationVersionName = "RSO_GEN_DICOM"
    return meta


def part10(path, ds, ts, preamble=True):
    """A Part 10 file; preamble=False leaves the meta group first."""
    fds = FileDataset(path, ds, file_meta=meta_for(ds, ts),
                      preamble=b"\0" * 128 if preamble else None)
    fds.is_little_endian = ts != U.ExplicitVRBigEndian
    fds.is_implicit_VR = ts == U.ImplicitVRLittleEndian
    fds.save_as(path, write_like_original=not preamble)


def raw(path, ds, implicit=True, little=True):
    """A bare data set: no preamble, no meta."""
    ds.is_little_endian = little
    ds.is_implicit_VR = implicit
    bio = DicomBytesIO()
    bio.is_little_endian = little
    bio.is_implicit_VR = implicit
    write_dataset(bio, ds)
    with open(path, "wb") as f:
        f.write(bio.getvalue())


def undefined(seq_elem):
    """Make a sequence and all its items undefined-length."""
    seq_elem.is_undefined_length = True
    for item in seq_elem.value:
        item.is_undefined_length_sequence_item = True


def fragments(frames, big=False):
    """Encapsulated pixel data: an empty offset table, then one item per
    fragment (encapsulate() knows only little endian)."""
    fmt = ">HHL" if big else "<HHL"
    out = struct.pack(fmt, 0xFFFE, 0xE000, 0)
    for f in frames:
        f += b"\0" * (len(f) & 1)
        out += struct.pack(fmt, 0xFFFE, 0xE000, len(f)) + f
    return out


def nested(tag, depth=6, big=False):
    """Undefined-length sequences nested before the patient module, with
    decoy patient elements inside items that the reader must ignore."""
    ds = base(tag, name="TEST^NESTED")
    inner = None
    for level in range(depth):
        item = Dataset()
        item.CodeValue = "RSO%d" % level
        item.CodingSchemeDesignator = "99RSO"
        item.CodeMeaning = "SYNTHETIC LEVEL %d" % level
        item.PatientName = "DECOY^LEVEL%d" % level
        item.StudyInstanceUID = uid(tag, "decoy", str(level))
        if inner is not None:
            item.ProcedureCodeSequence = Sequence([inner])
            undefined(item["ProcedureCodeSequence"])
        inner = item
    ds.ProcedureCodeSequence = Sequence([inner, Dataset()])
    undefined(ds["ProcedureCodeSequence"])
    # An item holding encapsulated pixel data: fragments, undefined length.
    icon = Dataset()
    icon.PatientID = "DECOY-ICON"
    icon.PixelData = fragments([b"\xff\xd8FRAG1\xff\xd9", b"FRAG2!"], big)
    icon["PixelData"].VR = "OB"
    icon["PixelData"].is_undefined_length = True
    ds.ReferencedImageSequence = Sequence([icon])
    undefined(ds["ReferencedImageSequence"])
    return ds


def encapsulated(path, tag):
    ds = base(tag, name="TEST^ENCAPS")
    frame = b"\xff\xd8\xff\xe0" + bytes(range(200)) + b"\xff\xd9"
    ds.PixelData = encapsulate([frame, frame[::-1]])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.NumberOfFrames = 2
    part10(path, ds, U.JPEGBaseline8Bit)


def dicom_str(v):
    if v is None:
        return ""
    if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
        return "\\".join(str(x) for x in v)
    return str(v)


def expected(path, writer, **extra):
    """What pydicom reads: the reference for the C test."""
    ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
    exp = {"expect": "ok", "writer": writer}
    for key, kw in FIELDS:
        exp[key] = dicom_str(ds.get(kw))
    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    if ts is None:
        if ds.is_implicit_VR:
            ts = U.ImplicitVRLittleEndian
        elif ds.is_little_endian:
            ts = U.ExplicitVRLittleEndian
        else:
            ts = U.ExplicitVRBigEndian
    exp["transfer_syntax_uid"] = str(ts)
    exp["syntax"] = SYNTAX.get(ts, "explicit_le")
    with open(path, "rb") as f:
        head = f.read(132)
    exp["preamble"] = head[128:132] == b"DICM"
    exp["meta"] = exp["preamble"] or head[:2] == b"\x02\x00"
    exp.update(extra)
    return exp


def put_json(path, exp):
    with open(path + ".json", "w", encoding="utf-8") as f:
        json.dump(exp, f, ensure_ascii=False, sort_keys=True, indent=1)
        f.write("\n")


def run(*argv, **kw):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **kw)


DUMP = """\
# dump2dcm input: a synthetic patient, Latin-1 bytes, nested sequences
(0008,0005) CS [ISO_IR 100]
(0008,0016) UI =SecondaryCaptureImageStorage
(0008,0018) UI [{sop}]
(0008,0020) DA [20231102]
(0008,0030) TM [093000.25]
(0008,0050) SH [ACC-DUMP-7]
(0008,0060) CS [MR]
(0008,1030) LO [Kontrollstudie f\xfcr Test]
(0008,1032) SQ (Sequence with undefined length #=1)
  (fffe,e000) na (Item with undefined length #=3)
    (0008,0100) SH [RSO-DUMP]
    (0008,0102) SH [99RSO]
    (0010,0010) PN [DECOY^DUMP]
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0010,0010) PN [M\xfcller-Test^J\xf6rg^\xc9mile]
(0010,0020) LO [RSO-DUMP-01]
(0010,0030) DA [19790229]
(0018,0015) CS [KNEE]
(0020,000d) UI [{study}]
(0020,000e) UI [{series}]
(0028,0010) US 2
(0028,0011) US 2
(7fe0,0010) OW 0102\\0304
"""


def dumps(outdir, files):
    """Files written by a second writer, dcmtk's dump2dcm."""
    text = DUMP.format(sop=uid("dump", "sop"), study=uid("dump", "study"),
                       series=uid("dump", "series"))
    dump = os.path.join(outdir, "dump.txt")
    with open(dump, "wb") as f:
        f.write(text.encode("latin-1"))
    for name, opts in (("dump_implicit", ["+ti", "-e"]),
                       ("dump_explicit_be", ["+tb", "-e"]),
                       ("dump_deflated", ["+td", "-e"]),
                       ("dump_raw_explicit", ["-F", "+te", "-e"])):
        path = os.path.join(outdir, name + ".dcm")
        run("dump2dcm", "-q", *opts, dump, path)
        files.append((path, "dcmtk"))
    os.unlink(dump)


def dcmtk(outdir, src, files):
    """dcmtk rewrites of a pydicom file: a second encoder per syntax."""
    for name, argv in (
            ("dcmtk_explicit_be", ["dcmconv", "-q", "+tb"]),
            ("dcmtk_deflated", ["dcmconv", "-q", "+td"]),
            ("dcmtk_implicit_undef", ["dcmconv", "-q", "+ti", "-e"]),
            ("dcmtk_raw_implicit", ["dcmconv", "-q", "-F", "+ti"]),
            ("dcmtk_rle", ["dcmcrle", "-q"])):
        path = os.path.join(outdir, name + ".dcm")
        run(*argv, src, path)
        files.append((path, "dcmtk"))


def fixtures(outdir, big=True):
    files = []  # (path, writer, extra)
    p = lambda n: os.path.join(outdir, n + ".dcm")

    part10(p("implicit_le"), base("implicit"), U.ImplicitVRLittleEndian)
    part10(p("explicit_le"), base("explicit"), U.ExplicitVRLittleEndian)
    part10(p("explicit_be"), base("bigend"), U.ExplicitVRBigEndian)
    part10(p("deflated"), base("deflate"), U.DeflatedExplicitVRLittleEndian)
    part10(p("no_preamble"), base("nopre"), U.ExplicitVRLittleEndian,
           preamble=False)
    encapsulated(p("encaps_jpeg"), "encaps")
    raw(p("raw_implicit"), base("rawimp"), implicit=True)
    raw(p("raw_explicit"), base("rawexp"), implicit=False)
    raw(p("raw_explicit_be"), base("rawbe"), implicit=False, little=False)
    part10(p("latin1"), base("latin1", name="T\xc9ST^ZO\xcb^\xc5SA",
                             charset="ISO_IR 100",
                             desc="\xc9TUDE SYNTH\xc9TIQUE \xe0 l'\xe9t\xe9",
                             pid="RSO-\xc91"),
           U.ExplicitVRLittleEndian)
    part10(p("latin1_implicit"), base("latin1i", name="M\xdcLLER-TEST^J\xd6RG",
                                      charset="ISO_IR 100"),
           U.ImplicitVRLittleEndian)
    part10(p("utf8"), base("utf8", name="\u0141\xd3D\u0179-TEST^\u017bANETA",
                           charset="ISO_IR 192",
                           desc="\u03a3\u03a5\u039d\u0398\u0395\u03a4\u0399"
                                "\u039a\u0397 \u5408\u6210 TEST"),
           U.ExplicitVRLittleEndian)
    part10(p("no_charset_latin1"), base("nocs", name="TEST^CHLO\xc9"),
           U.ExplicitVRLittleEndian)
    part10(p("cyrillic"), base("cyr", name="\u0422\u0415\u0421\u0422^"
                               "\u0410\u041b\u042c\u0424\u0410",
                               charset="ISO_IR 144"),
           U.ExplicitVRLittleEndian)
    for ts, n in ((U.ImplicitVRLittleEndian, "nested_implicit"),
                  (U.ExplicitVRLittleEndian, "nested_explicit"),
                  (U.ExplicitVRBigEndian, "nested_explicit_be"),
                  (U.DeflatedExplicitVRLittleEndian, "nested_deflated")):
        part10(p(n), nested(n, big=ts == U.ExplicitVRBigEndian), ts)
    if big:
        n = 5120 * 10240  # 50 MiB of pixel data
        part10(p("big"), base("big", rows=5120, cols=10240,
                              pixels=b"\x55" * n),
               U.ExplicitVRLittleEndian)
    for name in ("implicit_le", "explicit_le", "explicit_be", "deflated",
                 "no_preamble", "encaps_jpeg", "raw_implicit",
                 "raw_explicit", "raw_explicit_be", "latin1",
                 "latin1_implicit", "utf8", "no_charset_latin1",
                 "nested_implicit", "nested_explicit", "nested_explicit_be",
                 "nested_deflated") + (("big",) if big else ()):
        files.append((p(name), "pydicom"))
    dcmtk(outdir, p("explicit_le"), files)
    dumps(outdir, files)
    for path, writer in files:
        put_json(path, expected(path, writer))
    path = p("cyrillic")
    put_json(path, expected(path, "pydicom"))
    charsets(outdir)
    not_dicom(outdir)
    broken(outdir, p("explicit_le"), p("deflated"))


def not_dicom(outdir):
    """Ordinary documents an inbox must tell apart from DICOM."""
    docs = {
        "doc_text.txt": b"Dear colleague,\nplease find the synthetic "
                        b"records of TEST ALPHA attached.\n" * 8,
        "doc_pdf.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
                       + b"0" * 400 + b"\n%%EOF\n",
        "doc_png.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(300),
        "doc_zeros.bin": bytes(1024),
        "doc_empty.bin": b"",
        "doc_short.bin": b"\x08\x00",
        "doc_dicm_early.bin": b"DICM" + bytes(200),
    }
    for name, data in docs.items():
        path = os.path.join(outdir, name)
        with open(path, "wb") as f:
            f.write(data)
        put_json(path, {"expect": "notdicom"})


def broken(outdir, explicit, deflated):
    """DICOM files cut short or damaged: errors, never a crash."""
    with open(explicit, "rb") as f:
        data = f.read()
    with open(deflated, "rb") as f:
        ddata = f.read()
    name_at = data.find(b"TEST^ALPHA")
    # The deflated data set starts after the meta group, whose length is
    # the value of (0002,0000) at offset 140.
    dstart = 144 + struct.unpack("<I", ddata[140:144])[0]
    cases = {
        "cut_meta.dcm": data[:150],
        "cut_name.dcm": data[:name_at + 4],
        "cut_deflate.dcm": ddata[:len(ddata) // 2],
        # PatientName's VR (4 bytes before the value) made unknown.
        "bad_vr.dcm": data[:name_at - 4] + b"\x01\x02" + data[name_at - 2:],
        # A reserved deflate block type where the data set begins.
        "bad_deflate.dcm": ddata[:dstart] + b"\xff" * 16 + ddata[dstart + 16:],
    }
    for name, blob in cases.items():
        path = os.path.join(outdir, name)
        with open(path, "wb") as f:
            f.write(blob)
        put_json(path, {"expect": "error"})


def bench(n, outdir):
    """n files of 64 KiB pixel data in the common syntaxes, for timing."""
    names = ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT"]
    for i in range(n):
        ts = (U.ExplicitVRLittleEndian, U.ImplicitVRLittleEndian)[i % 2]
        ds = base("bench%d" % i, name="TEST^" + names[i % len(names)],
                  rows=256, cols=256, pixels=bytes(65536))
        part10(os.path.join(outdir, "b%05d.dcm" % i), ds, ts)


# Python's codec for each single-byte or multi-byte defined term of PS3.5.
CODEC = {"ISO_IR 100": "latin_1", "ISO_IR 101": "iso8859_2",
         "ISO_IR 109": "iso8859_3", "ISO_IR 110": "iso8859_4",
         "ISO_IR 144": "iso8859_5", "ISO_IR 127": "iso8859_6",
         "ISO_IR 126": "iso8859_7", "ISO_IR 138": "iso8859_8",
         "ISO_IR 148": "iso8859_9", "ISO_IR 203": "iso8859_15",
         "ISO_IR 166": "tis_620", "ISO_IR 13": "shift_jis",
         "ISO_IR 192": "utf_8", "GB18030": "gb18030", "GBK": "gbk"}
# ISO 2022 code extensions: the escape sequence and codec of each.
G1 = {"ISO 2022 IR 100": (b"\x1b-A", "latin_1"),
      "ISO 2022 IR 101": (b"\x1b-B", "iso8859_2"),
      "ISO 2022 IR 144": (b"\x1b-L", "iso8859_5"),
      "ISO 2022 IR 126": (b"\x1b-F", "iso8859_7"),
      "ISO 2022 IR 138": (b"\x1b-H", "iso8859_8"),
      "ISO 2022 IR 166": (b"\x1b-T", "tis_620"),
      "ISO 2022 IR 149": (b"\x1b$)C", "euc_kr"),
      "ISO 2022 IR 58": (b"\x1b$)A", "gb2312")}


def encode_text(text, charset):
    """text (str) as the bytes a writer in (0008,0005) charset puts in a
    PN or LO: whole for a single-valued term; with ISO 2022 escape
    sequences, component by component, as PS3.5 annexes H to K show."""
    values = charset.split("\\")
    if len(values) == 1 and values[0] in CODEC:
        return text.encode(CODEC[values[0]])
    out = b""
    for i, part in enumerate(re_split(text)):
        if part in ("^", "=") or part.isascii():
            out += part.encode()
            continue
        kana = all("\uff61" <= c <= "\uff9f" for c in part)
        for v in values:
            try:
                if v == "ISO 2022 IR 13" and not kana:
                    continue
                if v == "ISO 2022 IR 13" and values[0] == v:
                    out += part.encode("shift_jis")  # G1 katakana
                elif v == "ISO 2022 IR 13":
                    out += b"\x1b)I" + part.encode("shift_jis")
                elif v == "ISO 2022 IR 87":
                    out += part.encode("iso2022_jp")
                elif v == "ISO 2022 IR 159":
                    out += part.encode("iso2022_jp_1")
                elif v in G1:
                    out += G1[v][0] + part.encode(G1[v][1])
                else:
                    continue
                break
            except UnicodeEncodeError:
                continue
        else:
            raise SystemExit("gen-dicom: %r not in %s" % (part, charset))
    return out


def re_split(text):
    """PN components and their delimiters."""
    import re
    return [x for x in re.split(r"([\^=])", text) if x != ""]


def charsets(outdir):
    """A file per character set of PS3.5, names and descriptions in it."""
    cases = [
        ("cs_ir100", "ISO_IR 100", "MÜLLER^JOSÉ", "ÉTUDE"),
        ("cs_ir101", "ISO_IR 101", "ŁUKASZ^ŻANETA", "BADANIE GŁOWY"),
        ("cs_ir109", "ISO_IR 109", "ĜOĤAN^ĴEŬ", "ĈEFO"),
        ("cs_ir110", "ISO_IR 110", "ĀBOLS^ĶIRSTA", "GALVAS PĒTĪJUMS"),
        ("cs_ir144", "ISO_IR 144", "Люкceмбypг^Aнeнa", "ГОЛОВА"),
        ("cs_ir127", "ISO_IR 127", "قباني^لنزار", "رأس"),
        ("cs_ir126", "ISO_IR 126", "Διονυσιος^Ελενη", "ΚΕΦΑΛΗ"),
        ("cs_ir138", "ISO_IR 138", "שרון^דבורה", "ראש"),
        ("cs_ir148", "ISO_IR 148", "ŞAHİN^GÜLŞEN", "BAŞ"),
        ("cs_ir203", "ISO_IR 203", "ŠŒŽ^ŽÉLIE", "TÊTE €"),
        ("cs_ir166", "ISO_IR 166", "ศรีสุข^สมชาย", "ศีรษะ"),
        ("cs_ir13", "ISO_IR 13", "ﾔﾏﾀﾞ^ﾀﾛｳ", "ｱﾀﾏ"),
        ("cs_ir192", "ISO_IR 192", "Wang^XiaoDong=王^小東=", "头部 ΚΕΦΑΛΗ"),
        ("cs_gb18030", "GB18030", "Wang^XiaoDong=王^小东=", "头部"),
        ("cs_gbk", "GBK", "Wang^XiaoDong=王^小東=", "頭部"),
        ("cs_2022_ir87", "\\ISO 2022 IR 87",
         "Yamada^Tarou=山田^太郎=やまだ^たろう", "頭部"),
        ("cs_2022_ir13_ir87", "ISO 2022 IR 13\\ISO 2022 IR 87",
         "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう", "ｱﾀﾏ"),
        ("cs_2022_ir159", "\\ISO 2022 IR 87\\ISO 2022 IR 159",
         "Test^Kanji=丂^山田", "丂"),
        ("cs_2022_ir149", "\\ISO 2022 IR 149", "Hong^Gildong=洪^吉洞=홍^길동",
         "머리"),
        ("cs_2022_ir58", "\\ISO 2022 IR 58", "Zhang^XiaoDong=张^小东=",
         "头部"),
        ("cs_2022_ir126", "ISO 2022 IR 6\\ISO 2022 IR 126",
         "Dionysios^Eleni=Διονυσιος^Ελενη", "ΚΕΦΑΛΗ"),
        ("cs_2022_ir100", "ISO 2022 IR 100", "MÜLLER^JOSÉ", "ÉTUDE"),
    ]
    for name, cs, pn, desc in cases:
        ds = base(name, charset=cs.split("\\"))
        ds.add(pydicom.dataelem.DataElement(0x00100010, "PN",
                                            encode_text(pn, cs)))
        ds.add(pydicom.dataelem.DataElement(0x00081030, "LO",
                                            encode_text(desc, cs)))
        path = os.path.join(outdir, name + ".dcm")
        part10(path, ds, U.ExplicitVRLittleEndian)
        put_json(path, reference_text(path, pn, desc))


def reference_text(path, pn, desc):
    """The expected reading of a file in another character set: the text
    written, once a peer decodes it so -- pydicom (which drops a trailing
    empty '=' group), or dcmtk's dcmconv +U8 where pydicom 2.3 lacks the
    term (ISO 2022 IR 58; dcmtk lacks JIS X 0208 on glibc), or for
    ISO_IR 203, which neither knows, Python's own ISO 8859-15 codec on
    the bytes pydicom reads raw."""
    exp = expected(path, "pydicom")
    ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
    cs = ds.SpecificCharacterSet
    if (exp["patient_name"], exp["study_description"]) == (pn.rstrip("="),
                                                          desc):
        exp["reference"] = "pydicom"
    elif cs == "ISO_IR 203":
        raw = [ds.get_item(t).value.rstrip(b" ").decode(CODEC[cs]) for t in
               (0x00100010, 0x00081030)]
        if raw != [pn, desc]:
            raise SystemExit("gen-dicom: %s: ISO 8859-15 misread" % path)
        exp["reference"] = "python iso8859_15"
    else:
        u8 = path + ".u8"
        run("dcmconv", "+U8", path, u8)
        ds = pydicom.dcmread(u8, force=True, stop_before_pixels=True)
        os.unlink(u8)
        if (str(ds.PatientName), str(ds.StudyDescription)) != (
                pn.rstrip("="), desc):
            raise SystemExit("gen-dicom: %s: neither pydicom nor dcmtk "
                             "reads the text written" % path)
        exp["reference"] = "dcmtk"
    exp["patient_name"], exp["study_description"] = pn, desc
    return exp


def study(outdir, opts):
    """One synthetic study of a patient: instances in a series, as a CD
    or a scanner would send them.  Options (key=value): name, birth
    (YYYYMMDD), n (instances), size (pixel bytes each), syntax
    (explicit_le, implicit_le, explicit_be, deflated_le), modality, date,
    time, acc (AccessionNumber), body, desc, tag (makes the UIDs; the
    same tag is the same study), charset (a (0008,0005) value, '\\'
    between values: name and desc are then written in it)."""
    o = {"name": "TEST^ALPHA", "birth": "19610301", "n": "3",
         "size": "256", "syntax": "explicit_le", "modality": "MR",
         "date": "20260915", "time": "101500", "acc": "", "body": "HEAD",
         "desc": "SYNTHETIC MRI", "tag": "study", "charset": ""}
    for kv in opts:
        k, _, v = kv.partition("=")
        if k not in o:
            raise SystemExit("gen-dicom: --study: unknown option " + k)
        o[k] = v
    ts = {v: k for k, v in SYNTAX.items()}
    ts["explicit_le"] = U.ExplicitVRLittleEndian
    side = int(max(1, int(o["size"])) ** 0.5)
    for i in range(int(o["n"])):
        ds = base(o["tag"], name=o["name"], rows=side, cols=side,
                  pixels=bytes([i & 0xFF]) * (side * side),
                  desc=o["desc"])
        ds.SOPInstanceUID = uid(o["tag"], "sop", str(i))
        ds.InstanceNumber = i + 1
        ds.PatientBirthDate = o["birth"]
        ds.Modality = o["modality"]
        ds.StudyDate = o["date"]
        ds.StudyTime = o["time"]
        ds.AccessionNumber = o["acc"]
        ds.BodyPartExamined = o["body"]
        if o["charset"]:
            ds.SpecificCharacterSet = o["charset"].split("\\")
            ds.add(pydicom.dataelem.DataElement(
                0x00100010, "PN", encode_text(o["name"], o["charset"])))
            ds.add(pydicom.dataelem.DataElement(
                0x00081030, "LO", encode_text(o["desc"], o["charset"])))
        part10(os.path.join(outdir, "IM%05d.dcm" % (i + 1)), ds,
               ts[o["syntax"]])


def corpus(outdir):
    """Seeds for the fuzzer: one small file per shape."""
    tmp = os.path.join(outdir, ".gen")
    os.makedirs(tmp, exist_ok=True)
    fixtures(tmp, big=False)
    for name in sorted(os.listdir(tmp)):
        src = os.path.join(tmp, name)
        if name.endswith(".json") or os.path.getsize(src) > 8192:
            continue
        shutil.copyfile(src, os.path.join(outdir, name))
    shutil.rmtree(tmp)


def main(argv):
    if len(argv) == 3 and argv[0] == "--bench":
        os.makedirs(argv[2], exist_ok=True)
        bench(int(argv[1]), argv[2])
    elif len(argv) >= 2 and argv[0] == "--study":
        os.makedirs(argv[1], exist_ok=True)
        study(argv[1], argv[2:])
    elif len(argv) == 2 and argv[0] == "--corpus":
        os.makedirs(argv[1], exist_ok=True)
        corpus(argv[1])
    elif len(argv) == 1 and not argv[0].startswith("-"):
        os.makedirs(argv[0], exist_ok=True)
        fixtures(argv[0], big=os.environ.get("RSO_DICOM_BIG", "1") != "0")
    else:
        sys.stderr.write("usage: gen-dicom [--bench N | --corpus] DIR\n"
                         "       gen-dicom --study DIR [key=value ...]\n")
        return 64
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
