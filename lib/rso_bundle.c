/* rso_bundle: the documents a FHIR R4 Bundle carries. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rso_base64.h"
#include "rso_bundle.h"
#include "rso_hash.h"
#include "rso_media.h"
#include "rso_name.h"

#define LOINC "http://loinc.org"
/* HL7 v2 table 0074, the diagnostic service sections of DiagnosticReport. */
#define V2_0074 "http://terminology.hl7.org/CodeSystem/v2-0074"

struct walk {
	json_t *entries;
	json_t *index;		/* fullUrl and Type/id -> entry position */
	const struct rso_bundle_reader *r;
	struct rso_doc_patient patient;
	int has_patient;
	const char *managing;	/* the patient's managingOrganization */
	char token[RSO_TOKEN_LEN];	/* from Bundle.identifier */
	char any[RSO_TOKEN_LEN];	/* the first a resource carries */
	long long natt;
	int ndocs;		/* resources with an attachment taken */
	struct rso_doc_info first;	/* ...the first one's description */
	int deliver;		/* second pass: hand the attachments over */
};

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *
res_type(const json_t *res)
{
	const char *t = str(res, "resourceType");

	return t ? t : "";
}

/*
 * Whether bytes that are not JSON were meant as a Bundle: an object whose
 * text names resourceType and Bundle.  Such a file is a broken Bundle to
 * reject; any other non-JSON is not ours to judge.
 */
static int
looks_like_bundle(const char *buf, size_t n)
{
	size_t i = 0;

	if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
	    buf[i] == '\n'))
		i++;
	return i < n && buf[i] == '{' &&
	    memmem(buf, n, "\"resourceType\"", 14) != NULL &&
	    memmem(buf, n, "\"Bundle\"", 8) != NULL;
}

/* jansson's own text may quote the input: say where, and what kind. */
static int
json_fault(const json_error_t *err, struct rso_error *e)
{
	const char *what;

	switch (json_error_code(err)) {
	case json_error_invalid_utf8:
		what = "invalid UTF-8";
		break;
	case json_error_duplicate_key:
		what = "duplicate member name";
		break;
	case json_error_null_character:
		what = "NUL character in string";
		break;
	case json_error_premature_end_of_input:
		what = "cut short";
		break;
	default:
		what = "invalid JSON";
	}
	return rso_error_set(e, EX_DATAERR, "bundle: line %d: column %d: %s",
	    err->line, err->column, what);
}

/* Each entry by its fullUrl and by Type/id, first one kept. */
static void
build_index(struct walk *w)
{
	json_t *ent, *res, *pos;
	const char *url, *id;
	char key[256];
	size_t i;

	w->index = json_object();
	json_array_foreach(w->entries, i, ent) {
		res = json_object_get(ent, "resource");
		pos = json_integer((json_int_t)i);
		if ((url = str(ent, "fullUrl")) != NULL &&
		    json_object_get(w->index, url) == NULL)
			json_object_set(w->index, url, pos);
		if ((id = str(res, "id")) != NULL) {
			snprintf(key, sizeof(key), "%s/%s", res_type(res), id);
			if (json_object_get(w->index, key) == NULL)
				json_object_set(w->index, key, pos);
		}
		json_decref(pos);
	}
}

/*
 * The resource a reference names: "#id" among the contained resources
 * of from, a fullUrl of the Bundle, "Type/id", or an absolute URL whose
 * last two segments are a Type/id of the Bundle.  NULL when not there.
 */
static json_t *
resolve(const struct walk *w, const json_t *from, const char *ref)
{
	json_t *c, *pos;
	const char *id, *p;
	size_t i;
	int slashes = 0;

	if (ref == NULL)
		return NULL;
	if (ref[0] == '#') {
		json_array_foreach(json_object_get(from, "contained"), i, c)
			if ((id = str(c, "id")) != NULL && strcmp(id, ref + 1) == 0)
				return c;
		return NULL;
	}
	if ((pos = json_object_get(w->index, ref)) == NULL) {
		for (p = ref + strlen(ref); p > ref; p--)
			if (p[-1] == '/' && ++slashes == 2)
				break;
		if (slashes == 2 && p != ref)
			pos = json_object_get(w->index, p);
	}
	if (pos == NULL)
		return NULL;
	return json_object_get(json_array_get(w->entries,
	    (size_t)json_integer_value(pos)), "resource");
}

static json_t *
resolve_ref(const struct walk *w, const json_t *from, const json_t *refobj)
{
	return resolve(w, from, str(refobj, "reference"));
}

/* The given names of a HumanName, space-separated, into buf. */
static void
given_of(const json_t *hn, char *buf, size_t size)
{
	json_t *g;
	size_t i, at = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(hn, "given"), i, g) {
		if (!json_is_string(g) || at + 1 >= size)
			continue;
		snprintf(buf + at, size - at, "%s%s", at ? " " : "",
		    json_string_value(g));
		at += strlen(buf + at);
	}
}

/* Which of a resource's names to take: official, usual, then the rest;
 * an old or maiden name only when there is no other. */
static const json_t *
best_name(const json_t *names)
{
	static const char *rank[] = { "official", "usual", NULL };
	const json_t *best = NULL, *hn;
	int bestr = -1, r, k;
	const char *use;
	size_t i;

	json_array_foreach(names, i, hn) {
		use = str(hn, "use");
		r = 1;
		for (k = 0; use && rank[k]; k++)
			if (strcmp(use, rank[k]) == 0)
				r = 3 - k;
		if (use && (strcmp(use, "old") == 0 || strcmp(use, "maiden") == 0))
			r = 0;
		if (r > bestr) {
			best = hn;
			bestr = r;
		}
	}
	return best;
}

/* A name as people write it ("Given Family"), for an author. */
static void
written_name(const json_t *hn, char *buf, size_t size)
{
	char given[128];
	const char *family = str(hn, "family");

	if (str(hn, "text") != NULL) {
		rso_doc_copy(buf, size, str(hn, "text"), -1);
		return;
	}
	given_of(hn, given, sizeof(given));
	snprintf(buf, size, "%s%s%s", given, *given && family ? " " : "",
	    family ? family : "");
}

/*
 * A PractitionerRole's practitioner is a Practitioner; one that names a
 * role again is followed this far, so that roles naming each other end.
 */
#define ROLE_HOPS 8

/* The name of a Practitioner, Organization, Patient or PractitionerRole's
 * practitioner, or "". */
static void
name_of(const struct walk *w, const json_t *res, char *buf, size_t size)
{
	char tmp[256];
	const json_t *hn;
	int hops = 0;

	buf[0] = '\0';
	while (res != NULL && strcmp(res_type(res), "PractitionerRole") == 0) {
		if (++hops > ROLE_HOPS)
			return;
		res = resolve_ref(w, res, json_object_get(res, "practitioner"));
	}
	if (res == NULL)
		return;
	if (json_is_string(json_object_get(res, "name"))) {
		rso_doc_copy(buf, size, str(res, "name"), -1);
		return;
	}
	if ((hn = best_name(json_object_get(res, "name"))) != NULL) {
		written_name(hn, tmp, sizeof(tmp));
		rso_doc_copy(buf, size, tmp, -1);
	}
}

/* Who or what a Reference names: its display, else the resource's name. */
static void
ref_name(const struct walk *w, const json_t *from, const json_t *refobj,
    char *buf, size_t size)
{
	if (str(refobj, "display") != NULL)
		rso_doc_copy(buf, size, str(refobj, "display"), -1);
	else
		name_of(w, resolve_ref(w, from, refobj), buf, size);
}

/* A Patient resource as an rso_doc_patient. */
static void
patient_of(const json_t *res, struct rso_doc_patient *p)
{
	struct rso_name_parts np;
	const json_t *hn = best_name(json_object_get(res, "name"));
	const char *g = str(res, "gender"), *text;
	char given[256], family[256];
	json_t *id;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (hn != NULL && (str(hn, "family") || json_array_size(
	    json_object_get(hn, "given")))) {
		given_of(hn, given, sizeof(given));
		rso_doc_set_name(p, str(hn, "family"), given);
	} else if (hn != NULL && (text = str(hn, "text")) != NULL) {
		/* Only the text: its last word is the family name. */
		rso_name_split(text, &np);
		snprintf(family, sizeof(family), "%.*s", (int)np.family_len,
		    np.family ? np.family : "");
		snprintf(given, sizeof(given), "%.*s", (int)np.given_len,
		    np.given ? np.given : "");
		rso_doc_set_name(p, family, given);
	}
	if (rso_doc_date(str(res, "birthDate"), p->birth_date) != 0)
		p->birth_date[0] = '\0';
	if (g && (strcmp(g, "female") == 0 || strcmp(g, "male") == 0 ||
	    strcmp(g, "other") == 0 || strcmp(g, "unknown") == 0))
		rso_doc_copy(p->sex, sizeof(p->sex), g, -1);
	json_array_foreach(json_object_get(res, "identifier"), i, id)
		rso_doc_add_id(p, str(id, "system"), str(id, "value"));
}

static int
has_id(const struct rso_doc_patient *p, const struct rso_doc_id *id)
{
	int i;

	for (i = 0; i < p->nid; i++)
		if (strcmp(p->id[i].system, id->system) == 0 &&
		    strcmp(p->id[i].value, id->value) == 0)
			return 1;
	return 0;
}

/*
 * The Bundle's patient.  The same patient twice (an $everything export
 * may repeat it) is one, its identifiers joined; a second, different one
 * cannot be matched to one case, and rejects the Bundle.
 */
static int
patients(struct walk *w, struct rso_error *e)
{
	struct rso_doc_patient p;
	json_t *ent, *res;
	size_t i;
	int k;

	json_array_foreach(w->entries, i, ent) {
		res = json_object_get(ent, "resource");
		if (strcmp(res_type(res), "Patient") != 0)
			continue;
		patient_of(res, &p);
		if (!w->has_patient) {
			w->patient = p;
			w->has_patient = 1;
			w->managing = str(json_object_get(res,
			    "managingOrganization"), "reference");
			continue;
		}
		if (strcmp(p.name, w->patient.name) != 0 ||
		    strcmp(p.birth_date, w->patient.birth_date) != 0)
			return rso_error_set(e, EX_DATAERR, "bundle: entry %zu: "
			    "a second patient (a Bundle is matched as one "
			    "patient's)", i + 1);
		for (k = 0; k < p.nid; k++)
			if (!has_id(&w->patient, &p.id[k]))
				rso_doc_add_id(&w->patient, p.id[k].system,
				    p.id[k].value);
	}
	return 0;
}

/* The LOINC code of a CodeableConcept, or NULL. */
static const char *
loinc_of(const json_t *cc)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(cc, "coding"), i, c)
		if (str(c, "system") && strcmp(str(c, "system"), LOINC) == 0 &&
		    str(c, "code"))
			return str(c, "code");
	return NULL;
}

/* A CodeableConcept as people read it: its text, else a display. */
static const char *
cc_text(const json_t *cc)
{
	json_t *c;
	size_t i;

	if (str(cc, "text"))
		return str(cc, "text");
	json_array_foreach(json_object_get(cc, "coding"), i, c)
		if (str(c, "display"))
			return str(c, "display");
	return NULL;
}

/*
 * The rso type of a DiagnosticReport's service section (v2 table 0074):
 * a lab panel's own LOINC code says only "report", the section says lab.
 */
static const char *
section_type(const json_t *categories)
{
	static const struct { const char *code, *type; } map[] = {
		{ "LAB", "lab" }, { "HM", "lab" }, { "CH", "lab" },
		{ "MB", "lab" }, { "SR", "lab" }, { "BLB", "lab" },
		{ "PAT", "pathology" }, { "SP", "pathology" },
		{ "CP", "pathology" }, { "CG", "pathology" },
		{ "RAD", "imaging" }, { "CT", "imaging" }, { "MR", "imaging" },
		{ "NMR", "imaging" }, { "NMS", "imaging" }, { "RUS", "imaging" },
		{ "CUS", "imaging" }, { "OUS", "imaging" }, { "VUS", "imaging" },
		{ "XRC", "imaging" }, { "RX", "imaging" },
	};
	json_t *cc, *c;
	size_t i, j, k;

	json_array_foreach(categories, i, cc)
		json_array_foreach(json_object_get(cc, "coding"), j, c) {
			if (str(c, "system") == NULL || str(c, "code") == NULL ||
			    strcmp(str(c, "system"), V2_0074) != 0)
				continue;
			for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
				if (strcmp(map[k].code, str(c, "code")) == 0)
					return map[k].type;
		}
	return NULL;
}

/* A request token in any identifier's value of the list. */
static void
token_in_ids(const json_t *ids, char *token)
{
	json_t *id;
	const char *v;
	size_t i;

	if (json_is_object(ids)) {
		v = str(ids, "value");
		if (!*token && v)
			rso_doc_find_token(v, strlen(v), token);
		return;
	}
	json_array_foreach(ids, i, id)
		if (!*token && (v = str(id, "value")) != NULL)
			rso_doc_find_token(v, strlen(v), token);
}

/* What a DocumentReference says of its documents. */
static void
describe_docref(const struct walk *w, const json_t *res,
    struct rso_doc_info *d)
{
	const json_t *type = json_object_get(res, "type");
	const char *code = loinc_of(type), *t;
	json_t *a;
	size_t i;

	if (code != NULL) {
		rso_doc_copy(d->code, sizeof(d->code), code, -1);
		if ((t = rso_doc_type_of_code(code)) != NULL)
			rso_doc_copy(d->type, sizeof(d->type), t, -1);
	}
	/* date is an instant; a sender with a day only gives the period
	 * (as rso-export does). */
	if (rso_doc_date(str(res, "date"), d->date) != 0 &&
	    rso_doc_date(str(json_object_get(json_object_get(res, "context"),
	    "period"), "start"), d->date) != 0)
		d->date[0] = '\0';
	if (str(res, "description"))
		rso_doc_copy(d->title, sizeof(d->title), str(res, "description"),
		    -1);
	else if (cc_text(type))
		rso_doc_copy(d->title, sizeof(d->title), cc_text(type), -1);
	json_array_foreach(json_object_get(res, "author"), i, a) {
		if (d->author[0])
			break;
		ref_name(w, res, a, d->author, sizeof(d->author));
	}
	ref_name(w, res, json_object_get(res, "custodian"), d->source,
	    sizeof(d->source));
	token_in_ids(json_object_get(res, "masterIdentifier"), d->token);
	token_in_ids(json_object_get(res, "identifier"), d->token);
}

/* What a DiagnosticReport says of its presented forms. */
static void
describe_report(const struct walk *w, const json_t *res,
    struct rso_doc_info *d)
{
	const json_t *code = json_object_get(res, "code");
	const char *loinc = loinc_of(code), *t = NULL, *kind;
	json_t *p, *sr;
	size_t i;

	if (loinc != NULL) {
		rso_doc_copy(d->code, sizeof(d->code), loinc, -1);
		t = rso_doc_type_of_code(loinc);
	}
	/* A code that is not a known document code says less than the
	 * section it was done in. */
	if ((t == NULL || strcmp(t, "report") == 0) &&
	    section_type(json_object_get(res, "category")) != NULL)
		t = section_type(json_object_get(res, "category"));
	rso_doc_copy(d->type, sizeof(d->type), t ? t : "report", -1);
	if (rso_doc_date(str(res, "effectiveDateTime"), d->date) != 0 &&
	    rso_doc_date(str(json_object_get(res, "effectivePeriod"), "start"),
	    d->date) != 0 && rso_doc_date(str(res, "issued"), d->date) != 0)
		d->date[0] = '\0';
	if (cc_text(code))
		rso_doc_copy(d->title, sizeof(d->title), cc_text(code), -1);
	/* Performers: the organisation is the source, a person the author. */
	json_array_foreach(json_object_get(res, "performer"), i, p) {
		const json_t *who = resolve_ref(w, res, p);
		kind = who ? res_type(who) : str(p, "type");
		if (kind && strcmp(kind, "Organization") == 0) {
			if (!d->source[0])
				ref_name(w, res, p, d->source, sizeof(d->source));
		} else if (!d->author[0])
			ref_name(w, res, p, d->author, sizeof(d->author));
	}
	json_array_foreach(json_object_get(res, "resultsInterpreter"), i, p)
		if (!d->author[0])
			ref_name(w, res, p, d->author, sizeof(d->author));
	token_in_ids(json_object_get(res, "identifier"), d->token);
	json_array_foreach(json_object_get(res, "basedOn"), i, p) {
		token_in_ids(json_object_get(p, "identifier"), d->token);
		if ((sr = resolve_ref(w, res, p)) != NULL)
			token_in_ids(json_object_get(sr, "identifier"), d->token);
	}
}

/* An attachment's declared size and SHA-1 against its bytes. */
static int
check_att(const json_t *att, const unsigned char *b, size_t n,
    const char *where, struct rso_error *e)
{
	unsigned char md[RSO_SHA1_LEN], *h = NULL;
	const json_t *size = json_object_get(att, "size");
	const char *hash = str(att, "hash");
	size_t hn;
	int bad;

	if (size != NULL && (!json_is_integer(size) ||
	    json_integer_value(size) < 0 ||
	    (unsigned long long)json_integer_value(size) != n))
		return rso_error_set(e, EX_DATAERR, "bundle: %s: size: does not "
		    "match the data", where);
	if (hash == NULL)
		return 0;
	if (rso_base64_decode(hash, strlen(hash), &h, &hn) != 0 ||
	    hn != RSO_SHA1_LEN) {
		free(h);
		return rso_error_set(e, EX_DATAERR, "bundle: %s: hash: not a "
		    "SHA-1 in base64", where);
	}
	rso_sha1(b, n, md);
	bad = memcmp(md, h, RSO_SHA1_LEN) != 0;
	free(h);
	return bad ? rso_error_set(e, EX_DATAERR, "bundle: %s: hash: does not "
	    "match the data", where) : 0;
}

/* Whether a url can only be fetched, never found in the Bundle. */
static int
is_remote(const char *url)
{
	return strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0 || strncmp(url, "ftp://", 6) == 0;
}

/*
 * Where an attachment's bytes are, as base64 text: its data, or the data
 * of the Binary its url names.  0 with *text set (and *declared, the
 * media type the sender gave); 1 when it has none here (noted, not
 * taken); or EX_DATAERR.
 */
static int
att_text(struct walk *w, const json_t *res, const json_t *att,
    const char *where, const char **text, const char **declared,
    struct rso_error *e)
{
	const char *url = str(att, "url");
	char note[160];
	json_t *bin;

	*declared = str(att, "contentType");
	if ((*text = str(att, "data")) != NULL)
		return 0;
	if (url == NULL) {
		snprintf(note, sizeof(note), "%s: no data and no url (not filed)",
		    where);
	} else if ((bin = resolve(w, res, url)) != NULL) {
		if (strcmp(res_type(bin), "Binary") != 0)
			return rso_error_set(e, EX_DATAERR, "bundle: %s: url: "
			    "names a resource that is not a Binary", where);
		if ((*text = str(bin, "data")) == NULL)
			return rso_error_set(e, EX_DATAERR, "bundle: %s: url: "
			    "the Binary has no data", where);
		if (*declared == NULL)
			*declared = str(bin, "contentType");
		return 0;
	} else if (url[0] == '#' || strncmp(url, "urn:uuid:", 9) == 0 ||
	    strncmp(url, "urn:oid:", 8) == 0 || strncmp(url, "Binary/", 7) == 0)
		return rso_error_set(e, EX_DATAERR, "bundle: %s: url: no such "
		    "Binary in the Bundle", where);
	else
		snprintf(note, sizeof(note), "%s: url: %s (not filed)", where,
		    is_remote(url) ? "outside the Bundle, never fetched" :
		    "names nothing in the Bundle");
	if (w->deliver && w->r->note)
		w->r->note(w->r->ctx, note);
	return 1;
}

/* The media type of an attachment: the declared one when rso knows it
 * (parameters aside), else what its bytes say. */
static const char *
media_of(const char *declared, const unsigned char *b, size_t n)
{
	const char *known = NULL;

	if (declared != NULL)
		known = rso_media_known(declared, strcspn(declared, "; \t"));
	return known ? known : rso_media_type(b, n < RSO_MEDIA_SNIFF ? n :
	    RSO_MEDIA_SNIFF, n <= RSO_MEDIA_SNIFF);
}

/* One attachment: checked, and on the second pass handed over. */
static int
attachment(struct walk *w, const json_t *res, const json_t *att,
    const struct rso_doc_info *d, size_t entry, size_t k, struct rso_error *e)
{
	struct rso_bundle_att a;
	const char *text, *declared;
	unsigned char *b;
	size_t n;
	int rc;

	snprintf(a.where, sizeof(a.where), "entry %zu: attachment %zu",
	    entry + 1, k + 1);
	if ((rc = att_text(w, res, att, a.where, &text, &declared, e)) != 0)
		return rc == 1 ? 0 : rc;
	if (!w->deliver && ++w->natt > w->r->max_attachments &&
	    w->r->max_attachments > 0)
		return rso_error_set(e, EX_DATAERR, "bundle: more than %lld "
		    "attachments (inbox.max_members)", w->r->max_attachments);
	if (rso_base64_decode(text, strlen(text), &b, &n) != 0)
		return rso_error_set(e, EX_DATAERR, "bundle: %s: data: not "
		    "clean base64", a.where);
	if ((rc = check_att(att, b, n, a.where, e)) != 0 || !w->deliver) {
		free(b);
		return rc;
	}
	a.data = b;
	a.n = n;
	a.media = media_of(declared, b, n);
	a.doc = *d;
	if (str(att, "title"))
		rso_doc_copy(a.doc.title, sizeof(a.doc.title), str(att, "title"),
		    -1);
	rc = w->r->attachment ? w->r->attachment(w->r->ctx, &a, e) : 0;
	free(b);
	return rc;
}

/* A DocumentReference's or DiagnosticReport's attachments. */
static int
resource_atts(struct walk *w, const json_t *res, size_t entry,
    struct rso_error *e)
{
	struct rso_doc_info d;
	const json_t *list, *att, *c;
	int docref = strcmp(res_type(res), "DocumentReference") == 0;
	long long before = w->natt;
	size_t k;
	int rc;

	if (!docref && strcmp(res_type(res), "DiagnosticReport") != 0)
		return 0;
	memset(&d, 0, sizeof(d));
	d.format = "fhir";
	d.patient = w->patient;
	if (docref)
		describe_docref(w, res, &d);
	else
		describe_report(w, res, &d);
	if (!d.token[0])
		memcpy(d.token, w->token, sizeof(d.token));
	if (!w->any[0])
		memcpy(w->any, d.token, sizeof(w->any));
	list = json_object_get(res, docref ? "content" : "presentedForm");
	json_array_foreach(list, k, c) {
		att = docref ? json_object_get(c, "attachment") : c;
		if (!json_is_object(att))
			continue;
		if ((rc = attachment(w, res, att, &d, entry, k, e)) != 0)
			return rc;
	}
	if (!w->deliver && w->natt > before && w->ndocs++ == 0)
		w->first = d;
	return 0;
}

static int
walk_entries(struct walk *w, struct rso_error *e)
{
	json_t *ent;
	size_t i;
	int rc;

	json_array_foreach(w->entries, i, ent)
		if ((rc = resource_atts(w, json_object_get(ent, "resource"), i,
		    e)) != 0)
			return rc;
	return 0;
}

/*
 * The Bundle's own description, for the record of the Bundle itself: its
 * patient and token, and the type, date and source of its one document
 * when it carries one; else a "report" of the day of its timestamp, from
 * the patient's managing organisation.
 */
static void
describe_bundle(struct walk *w, const json_t *root, struct rso_doc_info *b)
{
	memset(b, 0, sizeof(*b));
	if (w->ndocs == 1) {
		*b = w->first;
		b->title[0] = '\0';
	} else {
		rso_doc_copy(b->type, sizeof(b->type), "report", -1);
		if (rso_doc_date(str(root, "timestamp"), b->date) != 0)
			b->date[0] = '\0';
		name_of(w, resolve(w, NULL, w->managing), b->source,
		    sizeof(b->source));
		if (!b->source[0] && w->ndocs > 0)
			memcpy(b->source, w->first.source, sizeof(b->source));
	}
	b->format = "fhir";
	b->patient = w->patient;
	snprintf(b->title, sizeof(b->title), "FHIR Bundle%s%s",
	    str(root, "type") ? " " : "", str(root, "type") ?
	    str(root, "type") : "");
	rso_doc_copy(b->title, sizeof(b->title), b->title, -1);
	if (w->token[0])
		memcpy(b->token, w->token, sizeof(b->token));
	else if (w->ndocs > 0)
		memcpy(b->token, w->first.token, sizeof(b->token));
}

int
rso_bundle_read(const char *buf, size_t n, const struct rso_bundle_reader *r,
    struct rso_doc_info *bundle, struct rso_error *e)
{
	struct walk w;
	json_error_t err;
	json_t *root;
	int rc;

	root = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return looks_like_bundle(buf, n) ? json_fault(&err, e) : 1;
	if (strcmp(res_type(root), "Bundle") != 0) {
		json_decref(root);
		return 1;
	}
	memset(&w, 0, sizeof(w));
	w.r = r;
	w.entries = json_object_get(root, "entry");
	if (w.entries != NULL && !json_is_array(w.entries)) {
		json_decref(root);
		return rso_error_set(e, EX_DATAERR, "bundle: entry: not an "
		    "array");
	}
	build_index(&w);
	token_in_ids(json_object_get(root, "identifier"), w.token);
	/* Everything is checked before anything is handed over, so that a
	 * rejected Bundle has filed nothing. */
	if ((rc = patients(&w, e)) == 0 && (rc = walk_entries(&w, e)) == 0) {
		/* One sender answered one request: a token any resource
		 * carries is the whole Bundle's, unless it names its own. */
		if (!w.token[0])
			memcpy(w.token, w.any, sizeof(w.token));
		describe_bundle(&w, root, bundle);
		w.deliver = 1;
		rc = walk_entries(&w, e);
	}
	json_decref(w.index);
	json_decref(root);
	return rc;
}
