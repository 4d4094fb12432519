/* rso_xdm: a case's documents as an IHE XDM zip (ITI TF-1 16, TF-3 4.2). */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <gcrypt.h>

#include "rso_arc.h"
#include "rso_casearc.h"
#include "rso_dicom.h"
#include "rso_assign.h"
#include "rso_export.h"
#include "rso_hash.h"
#include "rso_hl7.h"
#include "rso_jsonl.h"
#include "rso_media.h"
#include "rso_name.h"
#include "rso_records.h"
#include "rso_render.h"
#include "rso_time.h"
#include "rso_xdm.h"

#define SUBSET "IHE_XDM/SUBSET01/"
#define COPYBUF (64 * 1024)

/* XDS classification schemes and identification schemes (ITI TF-3 4.2.5). */
#define DE_OBJECT	"urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
#define DE_CLASS	"urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
#define DE_CONFID	"urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
#define DE_FORMAT	"urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
#define DE_FACILITY	"urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
#define DE_PRACTICE	"urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
#define DE_TYPE		"urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
#define DE_PATIENT	"urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
#define DE_UNIQUE	"urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
#define SS_NODE		"urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
#define SS_CONTENT	"urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
#define SS_SOURCE	"urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
#define SS_UNIQUE	"urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
#define SS_PATIENT	"urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
#define DE_AUTHOR	"urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
#define SS_AUTHOR	"urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
/* ebRS 3.0: a slot Value is a LongName, at most 256 characters. */
#define VALUE_MAX	256
#define LOINC		"2.16.840.1.113883.6.1"

/* A record type as a LOINC document type (class and type code alike). */
static const struct {
	const char *type, *code, *name;
} loinc[] = {
	{ "opinion", "11488-4", "Consult note" },
	{ "note", "11506-3", "Progress note" },
	{ "lab", "11502-2", "Laboratory report" },
	{ "pathology", "11526-1", "Pathology study" },
	{ "imaging", "18748-4", "Diagnostic imaging study" },
	{ "report", "47045-0", "Study report" },
	{ "consent", "59284-0", "Consent Document" },
	{ "other", "34133-9", "Summary of episode note" },
};

struct doc {
	char file[32];			/* DOCnnnn.ext in the subset */
	char *title, *type, *media_type;	/* owned */
	char date[9];			/* DTM: YYYYMMDD, or empty */
	char sha1[41];
	long long size;
	char uid[64];			/* the document's unique id, an OID */
	char *author_person;		/* XCN, HL7-escaped, or NULL */
	char *author_institution;	/* XON, HL7-escaped, or NULL */
	char *author_specialty;		/* CE text, HL7-escaped, or NULL */
};

struct xdm {
	struct rso_store *s;
	const char *id;
	const json_t *c;
	struct archive *a;
	struct doc *docs;
	size_t ndocs;
	char oid[64];			/* the program's root OID */
	struct rso_error *e;
};

/*
 * s as XML text (malloc'd): escaped as HTML is, and the control
 * characters XML 1.0 has no place for made spaces.
 */
static char *
xml_escape(const char *s)
{
	char *clean = rso_xstrdup(s ? s : ""), *out = NULL, *p;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	for (p = clean; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n' &&
		    *p != '\r')
			*p = ' ';
	rso_html_escape(fp, clean);
	fclose(fp);
	free(clean);
	return out;
}

/* Characters (not bytes) of UTF-8 s. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/*
 * An HL7 v2 value built by fn into a string (malloc'd), of at most max
 * characters once escaped: HL7 counts a length before escaping, a slot
 * value after, so the text is cut until the escaped value fits.
 */
static char *
hl7_string(void (*fn)(FILE *, const char *, size_t), const char *arg,
    size_t max)
{
	char *out = NULL;
	size_t len = 0, cut = max;
	FILE *fp;

	for (;;) {
		fp = open_memstream(&out, &len);
		fn(fp, arg, cut);
		fclose(fp);
		if (utf8_chars(out) <= max || cut <= 1)
			return out;
		cut -= utf8_chars(out) - max < cut ? utf8_chars(out) - max :
		    cut - 1;
		free(out);
		out = NULL;
	}
}

static void
escape_max(FILE *fp, const char *s, size_t max)
{
	rso_hl7_escape_max(fp, s, max);
}

static const char *
loinc_of(const char *type, const char **name)
{
	size_t i;

	for (i = 0; i < sizeof(loinc) / sizeof(loinc[0]); i++)
		if (type && strcmp(loinc[i].type, type) == 0)
			break;
	if (i == sizeof(loinc) / sizeof(loinc[0]))
		i--;
	*name = loinc[i].name;
	return loinc[i].code;
}

static int
zip_fail(struct xdm *x)
{
	return rso_error_set(x->e, EX_IOERR, "%s: zip: %s", x->id,
	    archive_error_string(x->a) ? archive_error_string(x->a) :
	    "cannot write");
}

static int
zip_header(struct xdm *x, const char *path, int64_t size)
{
	struct archive_entry *en = archive_entry_new();
	int rc = 0;

	archive_entry_set_pathname(en, path);
	archive_entry_set_filetype(en, AE_IFREG);
	archive_entry_set_perm(en, 0644);
	archive_entry_set_size(en, size);
	archive_entry_set_mtime(en, (time_t)rso_now(), 0);
	if (archive_write_header(x->a, en) != ARCHIVE_OK)
		rc = zip_fail(x);
	archive_entry_free(en);
	return rc;
}

static int
zip_data(struct xdm *x, const void *p, size_t n)
{
	if (n > 0 && archive_write_data(x->a, p, n) != (la_ssize_t)n)
		return zip_fail(x);
	return 0;
}

static int
zip_text(struct xdm *x, const char *path, const char *text)
{
	int rc;

	if ((rc = zip_header(x, path, (int64_t)strlen(text))) != 0)
		return rc;
	return zip_data(x, text, strlen(text));
}

/* The day of an RFC 3339 date or time as a DTM, YYYYMMDD; else "". */
static void
day(const char *iso, char dtm[9])
{
	char d[11];

	snprintf(d, sizeof(d), "%s", iso ? iso : "");
	rso_dicom_iso_to_da(d, dtm);
}

static struct doc *
doc_new(struct xdm *x, const char *title, const char *type,
    const char *media_type, const char *date)
{
	struct doc *d;
	char what[128];

	x->docs = rso_xrealloc(x->docs, (x->ndocs + 1) * sizeof(*x->docs));
	d = &x->docs[x->ndocs++];
	memset(d, 0, sizeof(*d));
	snprintf(d->file, sizeof(d->file), "DOC%04zu.%s", x->ndocs,
	    rso_media_ext(media_type));
	for (char *p = d->file; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	d->title = rso_xstrdup(title);
	d->type = rso_xstrdup(type ? type : "other");
	d->media_type = rso_xstrdup(media_type ? media_type :
	    "application/octet-stream");
	day(date, d->date);
	snprintf(what, sizeof(what), "%s/xdm/%s", x->id, title);
	rso_uuid_oid(what, d->uid, sizeof(d->uid));
	return d;
}

/* A document's entry in the subset, d->size bytes to follow. */
static int
doc_header(struct xdm *x, const struct doc *d)
{
	char path[64];

	snprintf(path, sizeof(path), SUBSET "%s", d->file);
	return zip_header(x, path, (int64_t)d->size);
}

static int
collect_specialist(json_t *sp, void *ctx)
{
	json_object_set(ctx, rso_json_str(sp, "id"), sp);
	return 0;
}

/* The specialist who wrote an opinion as its author: XCN id^family^given. */
static void
opinion_author(struct doc *d, const char *id, const json_t *sp)
{
	char *idv, *name;

	if (id == NULL)
		return;
	idv = hl7_string(escape_max, id, 15);
	name = rso_json_str(sp, "name") ? hl7_string(rso_hl7_xpn,
	    rso_json_str(sp, "name"), VALUE_MAX - utf8_chars(idv) - 1) : NULL;
	d->author_person = name ? rso_xasprintf("%s^%s", idv, name) : idv;
	if (name) {
		free(idv);
		free(name);
	}
	if (rso_json_str(sp, "specialty"))
		d->author_specialty = hl7_string(escape_max, rso_json_str(sp,
		    "specialty"), 199);
}

/* The opinions, from memory: each is small. */
static int
add_opinions(struct xdm *x, const struct rso_age_identities *ids)
{
	json_t *ops = rso_export_opinions(x->s, x->id), *op;
	json_t *sps = json_object();
	unsigned char *bytes, md[RSO_SHA1_LEN];
	struct doc *d;
	size_t i, n;
	char title[96];
	int rc;

	rc = rso_roster_foreach(x->s, collect_specialist, sps, x->e);
	json_array_foreach(ops, i, op) {
		if (rc != 0)
			break;
		if ((rc = rso_export_entry(x->s, x->id, op,
		    (struct rso_age_identities *)ids, &bytes, &n, x->e)) != 0)
			break;
		snprintf(title, sizeof(title), "Second opinion (%s)",
		    rso_json_str(op, "role"));
		d = doc_new(x, title, "opinion", rso_json_str(op, "media_type"),
		    rso_json_str(op, "recorded"));
		rso_sha1(bytes, n, md);
		rso_hex(md, sizeof(md), d->sha1);
		d->size = (long long)n;
		opinion_author(d, rso_json_str(op, "specialist"),
		    json_object_get(sps, rso_json_str(op, "specialist") ?
		    rso_json_str(op, "specialist") : ""));
		if ((rc = doc_header(x, d)) == 0)
			rc = zip_data(x, bytes, n);
		free(bytes);
		if (rc != 0)
			break;
	}
	json_decref(ops);
	json_decref(sps);
	return rc;
}

static int
want_record(json_t *line, void *ctx)
{
	/* DICOM goes to the PACS (--format dicom), not into XDM. */
	if (json_object_get(line, "sop_uid") == NULL)
		json_object_set(ctx, rso_json_str(line, "name"), line);
	return 0;
}

/*
 * Stream one record from the case archive into the zip (a temporary file
 * until the whole zip is right), hashing it: SHA-1 for the metadata, and
 * SHA-256 to check it is the record filed before the zip is released.
 */
static int
copy_record(struct xdm *x, struct rso_seg_reader *rd,
    const struct rso_seg_entry *ent, const json_t *line)
{
	char title[160], *buf, sha[RSO_SHA256_HEXLEN];
	struct rso_sha256 *h256;
	gcry_md_hd_t h;
	struct doc *d;
	ssize_t n;
	int rc;

	snprintf(title, sizeof(title), "%s%s%s", rso_json_str(line, "type"),
	    rso_json_str(line, "source") ? " from " : "",
	    rso_json_str(line, "source") ? rso_json_str(line, "source") : "");
	d = doc_new(x, title, rso_json_str(line, "type"),
	    rso_json_str(line, "media_type"), rso_json_str(line, "date"));
	d->size = ent->size;
	/* The provider the record came from is its author institution. */
	if (rso_json_str(line, "source"))
		d->author_institution = hl7_string(escape_max,
		    rso_json_str(line, "source"), 250);
	if ((rc = doc_header(x, d)) != 0)
		return rc;
	if (gcry_md_open(&h, GCRY_MD_SHA1, 0) != 0)
		return rso_error_set(x->e, EX_SOFTWARE, "sha1: cannot start");
	h256 = rso_sha256_new();
	buf = rso_xmalloc(COPYBUF);
	while (rc == 0 && (n = rso_seg_read(rd, buf, COPYBUF, x->e)) != 0) {
		if (n < 0) {
			rc = x->e->status;
			break;
		}
		gcry_md_write(h, buf, (size_t)n);
		rso_sha256_update(h256, buf, (size_t)n);
		rc = zip_data(x, buf, (size_t)n);
	}
	free(buf);
	rso_hex(gcry_md_read(h, GCRY_MD_SHA1), RSO_SHA1_LEN, d->sha1);
	gcry_md_close(h);
	rso_sha256_final_hex(h256, sha);
	if (rc == 0 && strcmp(sha, rso_json_str(line, "sha256")) != 0)
		rc = rso_error_set(x->e, EX_DATAERR, "item %04d: SHA-256 does "
		    "not match the store", (int)json_integer_value(
		    json_object_get(line, "item")));
	return rc;
}

static int
add_records(struct xdm *x, const struct rso_age_identities *ids)
{
	json_t *want = json_object(), *line;
	struct rso_seg_reader *rd;
	struct rso_seg_entry ent;
	char *dir;
	int got, rc;

	if ((rc = rso_records_manifest(x->s, x->id, want_record, want,
	    x->e)) != 0) {
		json_decref(want);
		return rc;
	}
	dir = rso_casearc_dir(x->s, x->id);
	rd = rso_seg_open_case(dir, ids, x->e);
	free(dir);
	if (rd == NULL) {
		json_decref(want);
		return x->e->status;
	}
	while (rc == 0 && (got = rso_seg_next(rd, &ent, x->e)) > 0) {
		if (ent.isdir || (line = json_object_get(want, ent.name)) == NULL)
			continue;
		rc = copy_record(x, rd, &ent, line);
		json_object_del(want, ent.name);
	}
	if (rc == 0 && got < 0)
		rc = x->e->status;
	if (rc == 0 && json_object_size(want) > 0)
		rc = rso_error_set(x->e, EX_DATAERR, "%s: archive: %zu indexed "
		    "records are missing", x->id, json_object_size(want));
	rso_seg_close(rd);
	json_decref(want);
	return rc;
}

/* The bytes of the first max characters of UTF-8 s. */
static size_t
utf8_prefix(const char *s, size_t max)
{
	size_t i = 0, n = 0;

	while (s[i] && n < max) {
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		n++;
	}
	return i;
}

/* One <rim:Value>: the first max characters of v, XML-escaped. */
static void
value(FILE *fp, const char *prefix, const char *v, size_t max)
{
	char *part = strndup(v, utf8_prefix(v, max)), *x;

	x = xml_escape(part ? part : "");
	fprintf(fp, "<rim:Value>%s%s</rim:Value>", prefix, x);
	free(x);
	free(part);
}

/*
 * A slot of one value.  A Value holds at most 256 characters (ebRS 3.0
 * LongName): a longer URI is split as XDS says (ITI TF-3 4.2.3.2.24),
 * into values "1|...", "2|..."; any other value is built to fit, and cut
 * between characters if it still does not.
 */
static void
slot(FILE *fp, const char *name, const char *v)
{
	char prefix[24];
	size_t k, n;
	int i;

	v = v ? v : "";
	fprintf(fp, "   <rim:Slot name=\"%s\"><rim:ValueList>", name);
	if (strcmp(name, "URI") == 0 && utf8_prefix(v, VALUE_MAX) <
	    strlen(v)) {
		for (i = 1; *v; i++, v += k) {
			n = (size_t)snprintf(prefix, sizeof(prefix), "%d|", i);
			k = utf8_prefix(v, VALUE_MAX - n);
			value(fp, prefix, v, VALUE_MAX - n);
		}
	} else
		value(fp, "", v, VALUE_MAX);
	fputs("</rim:ValueList></rim:Slot>\n", fp);
}

/*
 * XDS author: a Classification of the author scheme with authorPerson
 * (XCN), authorInstitution (XON) and authorSpecialty, each an HL7 v2
 * value, escaped.
 */
static void
author(FILE *fp, const char *id, const char *scheme, const char *object,
    const char *person, const char *institution, const char *specialty)
{
	if (person == NULL && institution == NULL)
		return;
	fprintf(fp, "   <rim:Classification id=\"%s\" classificationScheme="
	    "\"%s\" classifiedObject=\"%s\" nodeRepresentation=\"\">\n", id,
	    scheme, object);
	if (person)
		slot(fp, "authorPerson", person);
	if (institution)
		slot(fp, "authorInstitution", institution);
	if (specialty)
		slot(fp, "authorSpecialty", specialty);
	fputs("   </rim:Classification>\n", fp);
}

static void
classification(FILE *fp, const char *id, const char *scheme,
    const char *object, const char *code, const char *system,
    const char *name)
{
	fprintf(fp, "   <rim:Classification id=\"%s\" classificationScheme=\"%s\""
	    " classifiedObject=\"%s\" nodeRepresentation=\"%s\">\n", id, scheme,
	    object, code);
	fprintf(fp, "    <rim:Slot name=\"codingScheme\"><rim:ValueList>"
	    "<rim:Value>%s</rim:Value></rim:ValueList></rim:Slot>\n", system);
	fprintf(fp, "    <rim:Name><rim:LocalizedString value=\"%s\"/></rim:Name>\n"
	    "   </rim:Classification>\n", name);
}

static void
external_id(FILE *fp, const char *id, const char *scheme, const char *object,
    const char *value, const char *name)
{
	char *v = xml_escape(value);

	fprintf(fp, "   <rim:ExternalIdentifier id=\"%s\" identificationScheme="
	    "\"%s\" registryObject=\"%s\" value=\"%s\">\n    <rim:Name>"
	    "<rim:LocalizedString value=\"%s\"/></rim:Name>\n"
	    "   </rim:ExternalIdentifier>\n", id, scheme, object, v, name);
	free(v);
}

/* PID-5 as XPN (family^given), HL7-escaped, cut to fit after "PID-5|". */
static char *
pid5(const char *name)
{
	return hl7_string(rso_hl7_xpn, name ? name : "", VALUE_MAX - 6);
}

static void
document_entry(struct xdm *x, FILE *fp, const struct doc *d, size_t k,
    const char *pid, const char *now)
{
	const char *lname, *lcode = loinc_of(d->type, &lname);
	char obj[32], idb[48], size[32], *t = xml_escape(d->title);
	char *p5 = pid5(rso_json_str(x->c, "request.patient.name"));
	const char *bd = rso_json_str(x->c, "request.patient.birth_date");
	const char *sex = rso_json_str(x->c, "request.patient.sex");
	char bdd[9], *mt = xml_escape(d->media_type);

	snprintf(obj, sizeof(obj), "Document%02zu", k + 1);
	fprintf(fp, "  <rim:ExtrinsicObject id=\"%s\" mimeType=\"%s\""
	    " objectType=\"" DE_OBJECT "\">\n", obj, mt);
	free(mt);
	slot(fp, "creationTime", d->date[0] ? d->date : now);
	slot(fp, "hash", d->sha1);
	slot(fp, "languageCode", rso_json_str(x->c, "request.patient.language") ?
	    rso_json_str(x->c, "request.patient.language") : "en");
	snprintf(size, sizeof(size), "%lld", d->size);
	slot(fp, "size", size);
	slot(fp, "URI", d->file);
	slot(fp, "sourcePatientId", pid);
	day(bd, bdd);
	fprintf(fp, "   <rim:Slot name=\"sourcePatientInfo\"><rim:ValueList>");
	value(fp, "PID-5|", p5, VALUE_MAX - 6);
	if (bdd[0])
		fprintf(fp, "<rim:Value>PID-7|%s</rim:Value>", bdd);
	if (sex)
		fprintf(fp, "<rim:Value>PID-8|%s</rim:Value>", strcmp(sex, "female")
		    == 0 ? "F" : strcmp(sex, "male") == 0 ? "M" : "U");
	fprintf(fp, "</rim:ValueList></rim:Slot>\n");
	fprintf(fp, "   <rim:Name><rim:LocalizedString value=\"%s\"/></rim:Name>\n",
	    t);
	snprintf(idb, sizeof(idb), "cl%02zua", k + 1);
	classification(fp, idb, DE_CLASS, obj, lcode, LOINC, lname);
	idb[strlen(idb) - 1] = 'b';
	classification(fp, idb, DE_CONFID, obj, "N", "2.16.840.1.113883.5.25",
	    "Normal");
	idb[strlen(idb) - 1] = 'c';
	classification(fp, idb, DE_FORMAT, obj,
	    "urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3",
	    "MIME type sufficient");
	idb[strlen(idb) - 1] = 'd';
	classification(fp, idb, DE_FACILITY, obj, "OF",
	    "2.16.840.1.113883.5.10588", "Outpatient facility");
	idb[strlen(idb) - 1] = 'e';
	classification(fp, idb, DE_PRACTICE, obj, "394802001",
	    "2.16.840.1.113883.6.96", "General medicine");
	idb[strlen(idb) - 1] = 'f';
	classification(fp, idb, DE_TYPE, obj, lcode, LOINC, lname);
	idb[strlen(idb) - 1] = 'g';
	author(fp, idb, DE_AUTHOR, obj, d->author_person, d->author_institution,
	    d->author_specialty);
	snprintf(idb, sizeof(idb), "ei%02zua", k + 1);
	external_id(fp, idb, DE_PATIENT, obj, pid, "XDSDocumentEntry.patientId");
	idb[strlen(idb) - 1] = 'b';
	external_id(fp, idb, DE_UNIQUE, obj, d->uid, "XDSDocumentEntry.uniqueId");
	fprintf(fp, "  </rim:ExtrinsicObject>\n");
	free(t);
	free(p5);
}

/* METADATA.XML: the submission set and a document entry per document. */
static char *
metadata(struct xdm *x)
{
	char *out = NULL, *pid, now[16], ssuid[64], what[96], *inst;
	rso_time_t t = rso_now();
	char iso[RSO_TIME_STRLEN];
	size_t len = 0, k;
	FILE *fp = open_memstream(&out, &len);

	rso_time_format(t, iso);
	snprintf(now, sizeof(now), "%.4s%.2s%.2s%.2s%.2s%.2s", iso, iso + 5,
	    iso + 8, iso + 11, iso + 14, iso + 17);
	pid = rso_xasprintf("%s^^^&%s&ISO", x->id, x->oid);
	snprintf(what, sizeof(what), "%s/xdm/submission", x->id);
	rso_uuid_oid(what, ssuid, sizeof(ssuid));
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<lcm:SubmitObjectsRequest"
	    " xmlns:lcm=\"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0\""
	    " xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">\n"
	    " <rim:RegistryObjectList>\n", fp);
	for (k = 0; k < x->ndocs; k++)
		document_entry(x, fp, &x->docs[k], k, pid, now);
	fprintf(fp, "  <rim:RegistryPackage id=\"SubmissionSet01\">\n");
	slot(fp, "submissionTime", now);
	fprintf(fp, "   <rim:Name><rim:LocalizedString value=\"Remote second "
	    "opinion\"/></rim:Name>\n");
	classification(fp, "clss", SS_CONTENT, "SubmissionSet01", "11488-4",
	    LOINC, "Consult note");
	external_id(fp, "eissa", SS_SOURCE, "SubmissionSet01", x->oid,
	    "XDSSubmissionSet.sourceId");
	external_id(fp, "eissb", SS_UNIQUE, "SubmissionSet01", ssuid,
	    "XDSSubmissionSet.uniqueId");
	external_id(fp, "eissc", SS_PATIENT, "SubmissionSet01", pid,
	    "XDSSubmissionSet.patientId");
	inst = hl7_string(escape_max, rso_store_conf_str(x->s,
	    "export.facility", "RSO PROGRAM"), 250);
	author(fp, "clssauthor", SS_AUTHOR, "SubmissionSet01", NULL, inst,
	    NULL);
	free(inst);
	fprintf(fp, "  </rim:RegistryPackage>\n"
	    "  <rim:Classification id=\"clssnode\" classifiedObject="
	    "\"SubmissionSet01\" classificationNode=\"" SS_NODE "\"/>\n");
	for (k = 0; k < x->ndocs; k++)
		fprintf(fp, "  <rim:Association id=\"as%02zu\" associationType="
		    "\"urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember\""
		    " sourceObject=\"SubmissionSet01\" targetObject=\"Document%02zu"
		    "\">\n   <rim:Slot name=\"SubmissionSetStatus\"><rim:ValueList>"
		    "<rim:Value>Original</rim:Value></rim:ValueList></rim:Slot>\n"
		    "  </rim:Association>\n", k + 1, k + 1);
	fputs(" </rim:RegistryObjectList>\n</lcm:SubmitObjectsRequest>\n", fp);
	fclose(fp);
	free(pid);
	return out;
}

/* INDEX.HTM: what a person opening the media sees first. */
static char *
index_htm(struct xdm *x)
{
	char *out = NULL, *t;
	size_t len = 0, k;
	FILE *fp = open_memstream(&out, &len);

	fprintf(fp, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>Remote second opinion %s</title></head><body>\n"
	    "<h1>Remote second opinion %s</h1>\n<p>IHE XDM media: the documents"
	    " are listed in <a href=\"" SUBSET "METADATA.XML\">METADATA.XML"
	    "</a>.</p>\n<ul>\n", x->id, x->id);
	for (k = 0; k < x->ndocs; k++) {
		t = xml_escape(x->docs[k].title);
		fprintf(fp, "<li><a href=\"" SUBSET "%s\">%s</a> (%s, %lld bytes)"
		    "</li>\n", x->docs[k].file, t, x->docs[k].media_type,
		    x->docs[k].size);
		free(t);
	}
	fputs("</ul>\n</body></html>\n", fp);
	fclose(fp);
	return out;
}

static char *
readme(struct xdm *x)
{
	return rso_xasprintf("IHE XDM media from %s\r\n\r\n"
	    "Case %s: %zu document(s), described in " SUBSET "METADATA.XML\r\n"
	    "and listed in INDEX.HTM.  The contents are protected health\r\n"
	    "information: keep them as your policy for patient records says.\r\n"
	    "\r\nWritten by rso-export " RSO_VERSION ".\r\n",
	    rso_store_conf_str(x->s, "export.facility", "RSO PROGRAM"), x->id,
	    x->ndocs);
}

int
rso_xdm_write(struct rso_store *s, const char *id, const json_t *c,
    const struct rso_age_identities *ids, const char *dir, const char *name,
    int replace, struct rso_error *e)
{
	struct xdm x = { s, id, c, NULL, NULL, 0, "", e };
	struct rso_export_tmp t;
	char *meta = NULL, *idx = NULL, *rd = NULL;
	size_t k;
	int rc, frc;

	snprintf(x.oid, sizeof(x.oid), "%s", rso_store_conf_str(s,
	    "export.oid", "2.25.246883350219455186451283633390129152374"));
	if ((rc = rso_export_open(&t, dir, name, replace, e)) != 0)
		return rc;
	x.a = archive_write_new();
	if (archive_write_set_format_zip(x.a) != ARCHIVE_OK ||
	    archive_write_open_fd(x.a, t.fd) != ARCHIVE_OK)
		rc = zip_fail(&x);
	/* Documents first: the index pages need their hashes and sizes. */
	if (rc == 0)
		rc = add_opinions(&x, ids);
	if (rc == 0)
		rc = add_records(&x, ids);
	if (rc == 0) {
		meta = metadata(&x);
		idx = index_htm(&x);
		rd = readme(&x);
		if ((rc = zip_text(&x, SUBSET "METADATA.XML", meta)) == 0 &&
		    (rc = zip_text(&x, "INDEX.HTM", idx)) == 0)
			rc = zip_text(&x, "README.TXT", rd);
	}
	if (rc == 0 && archive_write_close(x.a) != ARCHIVE_OK)
		rc = zip_fail(&x);
	archive_write_free(x.a);
	/* The writer's status, else the placing's (73: a name not ours). */
	frc = rso_export_finish(&t, rc == 0, e);
	rc = rc ? rc : frc;
	for (k = 0; k < x.ndocs; k++) {
		free(x.docs[k].title);
		free(x.docs[k].type);
		free(x.docs[k].media_type);
		free(x.docs[k].author_person);
		free(x.docs[k].author_institution);
		free(x.docs[k].author_specialty);
	}
	free(x.docs);
	free(meta);
	free(idx);
	free(rd);
	return rc;
}
