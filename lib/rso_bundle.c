/* rso_bundle: the documents a FHIR R4 Bundle carries. */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <jansson.h>

#include "rso_base64.h"
#include "rso_bundle.h"
#include "rso_bundle_priv.h"
#include "rso_hash.h"
#include "rso_media.h"
#include "rso_name.h"

#define LOINC "http://loinc.org"
/* HL7 v2 table 0074, the diagnostic service sections of DiagnosticReport. */
#define V2_0074 "http://terminology.hl7.org/CodeSystem/v2-0074"

/* The Type/id key of an entry, cut as it always was. */
#define KEY_MAX 256

/* Entries read again for references and kept: how many, and how large
 * (in the file) each may be, so that what is kept stays small. */
#define CACHE_N 8
#define CACHE_BYTES (8 * 1024)

/*
 * A read.  The Bundle is never held: the scan parses each entry alone
 * and keeps of it only what the walks need, and the walks read again the
 * entries they use.  What grows with the Bundle, per entry:
 *   - a key (16 bytes) for its fullUrl and one for its Type/id, when it
 *     has them, so that a reference finds its entry's place in the file;
 *   - a place (16 bytes) for a DocumentReference or DiagnosticReport;
 * each kept in memory up to 2 MiB, and past it in the reader's spool
 * file (struct bspill), so that even entries of nothing but a fullUrl
 * ({"fullUrl":""}, 15 bytes) at the inbox's 64 MiB limit cost no more;
 * and the root's member names (16 bytes each, at most BSCAN_MAX_ROOT).
 * Beside them:
 * jansson's tree of the entry being read (with a long string, three
 * times its text while it is read), in which a "data" string of clean
 * text is only its place in the file (rso_bundle_priv.h); the size of
 * each attachment (8 bytes), from the check to the handing over; and
 * 16 KiB of base64 decoded at a time (text_decode), which is all of an
 * attachment that is ever in memory.  A "data" string of other text
 * stays in the tree, and is refused as base64 where it is an
 * attachment's.
 */
struct walk {
	struct rso_window *s;		/* the scan's window, then the walks' */
	struct rso_window rs;		/* the references' own window */
	struct bspill index;	/* a fullUrl's or Type/id's hash, and where
				 * its entry's parse begins */
	struct bspill dents;	/* the DocumentReferences and
				 * DiagnosticReports: each one's number
				 * from 0 (as the hash), and where its
				 * parse begins */
	struct cached {
		size_t off;
		json_t *ent;	/* NULL: an empty slot */
	} cache[CACHE_N];
	size_t cache_next;
	uint64_t seed;
	int failed;		/* an entry could not be read again */
	const struct rso_bundle_reader *r;
	int rt_seen, is_bundle;	/* the root's resourceType, "Bundle" */
	int entry_not_array;
	json_t *type, *timestamp;	/* the root's */
	struct rso_doc_patient patient;
	int has_patient;
	size_t second_patient;	/* the entry (from 1) of another patient */
	char *managing;		/* the patient's managingOrganization */
	char token[RSO_TOKEN_LEN];	/* from Bundle.identifier */
	char any[RSO_TOKEN_LEN];	/* the first a resource carries */
	long long natt;
	int ndocs;		/* resources with an attachment taken */
	struct rso_doc_info first;	/* ...the first one's description */
	int deliver;		/* second pass: hand the attachments over */
	size_t *sizes;		/* each attachment's bytes, as the first
				 * pass counts them */
	size_t nsizes, capsizes, ngiven;
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
looks_like_bundle(struct rso_window *s)
{
	return bsrc_first_byte(s, 1) == '{' &&
	    bsrc_contains(s, "\"resourceType\"") &&
	    bsrc_contains(s, "\"Bundle\"");
}

/* jansson's own text may quote the input: say where, and what kind. */
static int
json_fault(struct rso_window *s, const struct bfault *f, struct rso_error *e)
{
	const char *what;
	int line, column;

	switch (f->code) {
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
	bsrc_line_col(s, f->at, &line, &column);
	return rso_error_set(e, EX_DATAERR, "bundle: line %d: column %d: %s",
	    line, column, what);
}

static int
read_fault(const struct rso_window *s, struct rso_error *e)
{
	return rso_error_set(e, EX_IOERR, "%s", s->err > 0 ?
	    strerror(s->err) : "shorter than it was");
}

static uint64_t
key_hash(const char *key, uint64_t seed)
{
	return bsrc_hash(key, strlen(key), seed);
}

/*
 * An entry's Type/id key into key, as the index always made it: cut to
 * KEY_MAX - 1 bytes.  0 when it has none, or when the cut falls inside a
 * character (a name that is not UTF-8 was never kept).
 */
static int
typeid_key(const json_t *res, char key[KEY_MAX])
{
	const char *id = str(res, "id"), *t = res_type(res);
	size_t tl = strlen(t), cut = KEY_MAX - 1;
	unsigned char next;

	if (id == NULL)
		return 0;
	snprintf(key, KEY_MAX, "%s/%s", t, id);
	if (tl + 1 + strlen(id) <= cut)
		return 1;
	next = (unsigned char)(cut < tl ? t[cut] : cut == tl ? '/' :
	    id[cut - tl - 1]);
	return (next & 0xC0) != 0x80;
}

static void
index_add(struct walk *w, const char *key, size_t off)
{
	bspill_add(&w->index, key_hash(key, w->seed), off);
}

/* Each entry by its fullUrl and by Type/id; the first one is found. */
static void
index_entry(struct walk *w, const json_t *ent, size_t off)
{
	char key[KEY_MAX];
	const char *url = str(ent, "fullUrl");

	if (url != NULL)
		index_add(w, url, off);
	if (typeid_key(json_object_get(ent, "resource"), key) &&
	    (url == NULL || strcmp(url, key) != 0))
		index_add(w, key, off);
}

/* The entry whose parse begins at off, read again (a new reference),
 * or NULL when it cannot be. */
static json_t *
entry_at(struct walk *w, size_t off)
{
	struct cached *c;
	json_t *ent;
	size_t end;
	int i;

	for (i = 0; i < CACHE_N; i++)
		if (w->cache[i].ent != NULL && w->cache[i].off == off)
			return json_incref(w->cache[i].ent);
	if (bsrc_element(&w->rs, off, &ent, &end) != BSCAN_OK) {
		w->failed = 1;
		return NULL;
	}
	if (end - off <= CACHE_BYTES) {
		c = &w->cache[w->cache_next++ % CACHE_N];
		json_decref(c->ent);
		c->off = off;
		c->ent = json_incref(ent);
	}
	return ent;
}

/* Whether the entry is found by key. */
static int
has_key(const json_t *ent, const char *key)
{
	char tk[KEY_MAX];
	const char *url = str(ent, "fullUrl");

	if (url != NULL && strcmp(url, key) == 0)
		return 1;
	return typeid_key(json_object_get(ent, "resource"), tk) &&
	    strcmp(tk, key) == 0;
}

/*
 * The first entry found by key: 1 with *res its resource (a new
 * reference, NULL for an entry without one), or 0.  Keys of one hash are
 * in the order of their entries; each is read to compare its key.
 */
static int
lookup(struct walk *w, const char *key, json_t **res)
{
	uint64_t h = key_hash(key, w->seed);
	size_t i = bspill_lower(&w->index, h);
	struct bkey k;
	json_t *ent;

	for (; i < bspill_count(&w->index); i++) {
		if (bspill_get(&w->index, i, &k) != 0 || k.hash != h)
			break;
		if ((ent = entry_at(w, k.off)) == NULL)
			continue;
		if (has_key(ent, key)) {
			*res = json_incref(json_object_get(ent, "resource"));
			json_decref(ent);
			return 1;
		}
		json_decref(ent);
	}
	return 0;
}

/*
 * The resource a reference names: "#id" among the contained resources
 * of from, a fullUrl of the Bundle, "Type/id", or an absolute URL whose
 * last two segments are a Type/id of the Bundle.  NULL when not there;
 * else a reference of the caller's, to be put with json_decref.
 */
static json_t *
resolve(struct walk *w, const json_t *from, const char *ref)
{
	json_t *c, *res;
	const char *id, *p;
	size_t i;
	int slashes = 0;

	if (ref == NULL)
		return NULL;
	if (ref[0] == '#') {
		json_array_foreach(json_object_get(from, "contained"), i, c)
			if ((id = str(c, "id")) != NULL && strcmp(id, ref + 1) == 0)
				return json_incref(c);
		return NULL;
	}
	if (lookup(w, ref, &res))
		return res;
	for (p = ref + strlen(ref); p > ref; p--)
		if (p[-1] == '/' && ++slashes == 2)
			break;
	if (slashes == 2 && p != ref && lookup(w, p, &res))
		return res;
	return NULL;
}

static json_t *
resolve_ref(struct walk *w, const json_t *from, const json_t *refobj)
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
name_of(struct walk *w, const json_t *res, char *buf, size_t size)
{
	char tmp[256];
	const json_t *hn;
	json_t *role = NULL, *next;
	int hops = 0;

	buf[0] = '\0';
	while (res != NULL && strcmp(res_type(res), "PractitionerRole") == 0) {
		if (++hops > ROLE_HOPS) {
			res = NULL;
			break;
		}
		next = resolve_ref(w, res, json_object_get(res, "practitioner"));
		json_decref(role);
		res = role = next;
	}
	if (res != NULL && json_is_string(json_object_get(res, "name")))
		rso_doc_copy(buf, size, str(res, "name"), -1);
	else if (res != NULL &&
	    (hn = best_name(json_object_get(res, "name"))) != NULL) {
		written_name(hn, tmp, sizeof(tmp));
		rso_doc_copy(buf, size, tmp, -1);
	}
	json_decref(role);
}

/* Who or what a Reference names: its display, else the name of res,
 * the resource it names. */
static void
ref_named(struct walk *w, const json_t *refobj, const json_t *res,
    char *buf, size_t size)
{
	if (str(refobj, "display") != NULL)
		rso_doc_copy(buf, size, str(refobj, "display"), -1);
	else
		name_of(w, res, buf, size);
}

static void
ref_name(struct walk *w, const json_t *from, const json_t *refobj,
    char *buf, size_t size)
{
	json_t *res;

	if (str(refobj, "display") != NULL) {
		rso_doc_copy(buf, size, str(refobj, "display"), -1);
		return;
	}
	res = resolve_ref(w, from, refobj);
	name_of(w, res, buf, size);
	json_decref(res);
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
 * A Patient entry (k from 0) into the Bundle's patient.  The same patient
 * twice (an $everything export may repeat it) is one, its identifiers
 * joined; a second, different one cannot be matched to one case, and
 * rejects the Bundle (said once the whole is known to be JSON).
 */
static void
fold_patient(struct walk *w, const json_t *res, size_t k)
{
	struct rso_doc_patient p;
	const char *managing;
	int i;

	if (w->second_patient)
		return;
	patient_of(res, &p);
	if (!w->has_patient) {
		w->patient = p;
		w->has_patient = 1;
		managing = str(json_object_get(res, "managingOrganization"),
		    "reference");
		w->managing = managing ? rso_xstrdup(managing) : NULL;
		return;
	}
	if (strcmp(p.name, w->patient.name) != 0 ||
	    strcmp(p.birth_date, w->patient.birth_date) != 0) {
		w->second_patient = k + 1;
		return;
	}
	for (i = 0; i < p.nid; i++)
		if (!has_id(&w->patient, &p.id[i]))
			rso_doc_add_id(&w->patient, p.id[i].system,
			    p.id[i].value);
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
describe_docref(struct walk *w, const json_t *res,
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
describe_report(struct walk *w, const json_t *res,
    struct rso_doc_info *d)
{
	const json_t *code = json_object_get(res, "code");
	const char *loinc = loinc_of(code), *t = NULL, *kind;
	json_t *p, *sr, *who;
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
		who = resolve_ref(w, res, p);
		kind = who ? res_type(who) : str(p, "type");
		if (kind && strcmp(kind, "Organization") == 0) {
			if (!d->source[0])
				ref_named(w, p, who, d->source, sizeof(d->source));
		} else if (!d->author[0])
			ref_named(w, p, who, d->author, sizeof(d->author));
		json_decref(who);
	}
	json_array_foreach(json_object_get(res, "resultsInterpreter"), i, p)
		if (!d->author[0])
			ref_name(w, res, p, d->author, sizeof(d->author));
	token_in_ids(json_object_get(res, "identifier"), d->token);
	json_array_foreach(json_object_get(res, "basedOn"), i, p) {
		token_in_ids(json_object_get(p, "identifier"), d->token);
		if ((sr = resolve_ref(w, res, p)) != NULL)
			token_in_ids(json_object_get(sr, "identifier"), d->token);
		json_decref(sr);
	}
}

/*
 * Where an attachment's base64 text is: in the Bundle, as a JSON string's
 * text (escapes and all), or a string jansson held (a "data" value the
 * scanner kept, which is never clean base64: see rso_bundle_priv.h).
 */
struct rso_bundle_bytes {
	struct rso_window *s;		/* the Bundle: text at [off, off + len) */
	size_t off, len;
	const char *str;	/* else, s NULL, the len bytes of str */
};

/* How much text is decoded at a time: the bytes it makes are all the
 * attachment that is ever in memory. */
#define PIECE (16 * 1024)

/* What text_decode says beside a status of put's. */
enum { TEXT_UNCLEAN = -1, TEXT_UNREAD = -2 };

typedef int text_put(void *ctx, const void *p, size_t n, struct rso_error *e);

/*
 * The bytes of t's text, decoded a piece at a time, each handed to put
 * until it returns other than 0: 0 when all were; put's status;
 * TEXT_UNCLEAN when the text is not clean base64; TEXT_UNREAD when the
 * Bundle cannot be read (t->s->err) or is shorter than the text.
 */
static int
text_decode(const struct rso_bundle_bytes *t, text_put *put, void *ctx,
    struct rso_error *e)
{
	unsigned char out[RSO_BASE64_DEC_MAX(PIECE)];
	struct rso_base64_dec d;
	const char *p;
	size_t at = 0, avail, got, want;
	int rc;

	rso_base64_dec_init(&d, t->s != NULL);
	while (at < t->len) {
		want = t->len - at < PIECE ? t->len - at : PIECE;
		if (t->s == NULL) {
			p = t->str + at;
			avail = want;
		} else if ((p = rso_window_bytes(t->s, t->off + at, want, &avail)) ==
		    NULL || avail == 0)
			return TEXT_UNREAD;
		if (avail > want)
			avail = want;
		if (rso_base64_dec_update(&d, p, avail, out, &got) != 0)
			return TEXT_UNCLEAN;
		at += avail;
		if (got > 0 && (rc = put(ctx, out, got, e)) != 0)
			return rc;
	}
	return rso_base64_dec_final(&d) != 0 ? TEXT_UNCLEAN : 0;
}

/* The text that the string str (len bytes) of a "data" member stands for. */
static void
text_of(struct walk *w, const char *str, size_t len, struct rso_bundle_bytes *t)
{
	memset(t, 0, sizeof(*t));
	if (bsrc_data_place(str, len, &t->off, &t->len))
		t->s = w->s;
	else {
		t->str = str;
		t->len = len;
	}
}

/* An attachment's bytes counted and, when it declares a hash, hashed. */
struct tally {
	size_t n;
	gcry_md_hd_t md;	/* NULL: no hash to check */
};

static int
tally_put(void *ctx, const void *p, size_t n, struct rso_error *e)
{
	struct tally *t = ctx;

	(void)e;
	t->n += n;
	if (t->md != NULL)
		gcry_md_write(t->md, p, n);
	return 0;
}

/* An attachment's declared size and SHA-1 hash against its bytes, as t
 * counted and hashed them. */
static int
check_att(const json_t *att, struct tally *t, const char *where,
    struct rso_error *e)
{
	unsigned char *h = NULL;
	const json_t *size = json_object_get(att, "size");
	const char *hash = str(att, "hash");
	size_t hn;
	int bad;

	if (size != NULL && (!json_is_integer(size) ||
	    json_integer_value(size) < 0 ||
	    (unsigned long long)json_integer_value(size) != t->n))
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
	bad = memcmp(gcry_md_read(t->md, GCRY_MD_SHA1), h, RSO_SHA1_LEN) != 0;
	free(h);
	return bad ? rso_error_set(e, EX_DATAERR, "bundle: %s: hash: does not "
	    "match the data", where) : 0;
}

/*
 * The check of an attachment's text: clean base64, of its declared size
 * and hash.  0 with *n its bytes' count, or EX_DATAERR; EX_IOERR when the
 * Bundle cannot be read.  Its bytes pass through, never held.
 */
static int
check_text(struct walk *w, const json_t *att, const struct rso_bundle_bytes *t,
    const char *where, size_t *n, struct rso_error *e)
{
	struct tally tally = { 0, NULL };
	gcry_error_t gerr;
	int rc;

	if (str(att, "hash") != NULL) {
		rso_gcrypt_init();
		if ((gerr = gcry_md_open(&tally.md, GCRY_MD_SHA1, 0)) != 0)
			return rso_error_set(e, EX_SOFTWARE,
			    "bundle: SHA-1: %s", gcry_strerror(gerr));
	}
	rc = text_decode(t, tally_put, &tally, e);
	if (rc == TEXT_UNCLEAN)
		rc = rso_error_set(e, EX_DATAERR, "bundle: %s: data: not clean "
		    "base64", where);
	else if (rc == TEXT_UNREAD)
		rc = read_fault(w->s, e);
	else
		rc = check_att(att, &tally, where, e);
	gcry_md_close(tally.md);
	*n = tally.n;
	return rc;
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
 * of the Binary its url names.  0 with *t set (and *declared, the media
 * type the sender gave, and *bin the Binary read for it, to be put with
 * json_decref once t is done with); 1 when it has none here (noted, not
 * taken); or EX_DATAERR.
 */
static int
att_text(struct walk *w, const json_t *res, const json_t *att,
    const char *where, struct rso_bundle_bytes *t, const char **declared,
    json_t **bin, struct rso_error *e)
{
	const char *url = str(att, "url");
	const json_t *data = json_object_get(att, "data");
	char note[160];

	*declared = str(att, "contentType");
	if (json_is_string(data)) {
		text_of(w, json_string_value(data), json_string_length(data),
		    t);
		return 0;
	}
	if (url == NULL) {
		snprintf(note, sizeof(note), "%s: no data and no url (not filed)",
		    where);
	} else if ((*bin = resolve(w, res, url)) != NULL) {
		if (strcmp(res_type(*bin), "Binary") != 0)
			return rso_error_set(e, EX_DATAERR, "bundle: %s: url: "
			    "names a resource that is not a Binary", where);
		if (!json_is_string(data = json_object_get(*bin, "data")))
			return rso_error_set(e, EX_DATAERR, "bundle: %s: url: "
			    "the Binary has no data", where);
		text_of(w, json_string_value(data), json_string_length(data),
		    t);
		if (*declared == NULL)
			*declared = str(*bin, "contentType");
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

/* The first bytes of an attachment, for its media type. */
struct head {
	unsigned char b[RSO_MEDIA_SNIFF];
	size_t n;
};

/* 1 once the head is full: nothing more is decoded. */
static int
head_put(void *ctx, const void *p, size_t n, struct rso_error *e)
{
	struct head *h = ctx;
	size_t take = sizeof(h->b) - h->n < n ? sizeof(h->b) - h->n : n;

	(void)e;
	memcpy(h->b + h->n, p, take);
	h->n += take;
	return h->n == sizeof(h->b);
}

/* The media type of an attachment of n bytes: the declared one when rso
 * knows it (parameters aside), else what its first bytes say.  0, or
 * EX_IOERR when the Bundle cannot be read again as it was. */
static int
media_of(struct walk *w, const char *declared,
    const struct rso_bundle_bytes *t, size_t n, const char **media,
    struct rso_error *e)
{
	struct head h;
	int rc;

	*media = NULL;
	if (declared != NULL)
		*media = rso_media_known(declared, strcspn(declared, "; \t"));
	if (*media != NULL)
		return 0;
	h.n = 0;
	if ((rc = text_decode(t, head_put, &h, e)) == TEXT_UNREAD)
		return read_fault(w->s, e);
	if (rc == TEXT_UNCLEAN)
		return rso_error_set(e, EX_IOERR, "changed while read");
	*media = rso_media_type(h.b, h.n, n <= RSO_MEDIA_SNIFF);
	return 0;
}

/* The sizes the first pass found, for the second to hand over. */
static void
sizes_add(struct walk *w, size_t n)
{
	if (w->nsizes == w->capsizes) {
		w->capsizes = w->capsizes ? w->capsizes * 2 : 16;
		w->sizes = rso_xrealloc(w->sizes, w->capsizes *
		    sizeof(*w->sizes));
	}
	w->sizes[w->nsizes++] = n;
}

/* One attachment, t its text: handed over, its bytes to be read by
 * rso_bundle_att_read while the callback runs. */
static int
hand_over(struct walk *w, const json_t *att, const struct rso_doc_info *d,
    const char *declared, struct rso_bundle_bytes *t,
    struct rso_bundle_att *a, struct rso_error *e)
{
	int rc;

	/* The same attachments in the same order as the first pass. */
	if (w->ngiven >= w->nsizes)
		return rso_error_set(e, EX_IOERR, "changed while read");
	a->n = w->sizes[w->ngiven++];
	a->bytes = t;
	if ((rc = media_of(w, declared, t, a->n, &a->media, e)) != 0)
		return rc;
	a->doc = *d;
	if (str(att, "title"))
		rso_doc_copy(a->doc.title, sizeof(a->doc.title),
		    str(att, "title"), -1);
	return w->r->attachment ? w->r->attachment(w->r->ctx, a, e) : 0;
}

/* One attachment: checked, and on the second pass handed over. */
static int
attachment(struct walk *w, const json_t *res, const json_t *att,
    const struct rso_doc_info *d, size_t entry, size_t k, struct rso_error *e)
{
	struct rso_bundle_att a;
	struct rso_bundle_bytes t;
	const char *declared;
	json_t *bin = NULL;
	size_t n = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	snprintf(a.where, sizeof(a.where), "entry %zu: attachment %zu",
	    entry + 1, k + 1);
	rc = att_text(w, res, att, a.where, &t, &declared, &bin, e);
	if (rc == 0 && !w->deliver && ++w->natt > w->r->max_attachments &&
	    w->r->max_attachments > 0)
		rc = rso_error_set(e, EX_DATAERR, "bundle: more than %lld "
		    "attachments (inbox.max_members)", w->r->max_attachments);
	if (rc == 0 && !w->deliver &&
	    (rc = check_text(w, att, &t, a.where, &n, e)) == 0)
		sizes_add(w, n);
	else if (rc == 0)
		rc = hand_over(w, att, d, declared, &t, &a, e);
	json_decref(bin);
	return rc == 1 ? 0 : rc;
}

/* What rso_bundle_att_read hands on, counting. */
struct relay {
	text_put *put;
	void *ctx;
	size_t n;
};

static int
relay_put(void *ctx, const void *p, size_t n, struct rso_error *e)
{
	struct relay *r = ctx;

	r->n += n;
	return r->put(r->ctx, p, n, e);
}

int
rso_bundle_att_read(const struct rso_bundle_att *att,
    int (*put)(void *ctx, const void *p, size_t n, struct rso_error *e),
    void *ctx, struct rso_error *e)
{
	struct relay r = { put, ctx, 0 };
	int rc;

	rc = text_decode(att->bytes, relay_put, &r, e);
	if (rc == TEXT_UNREAD)
		return read_fault(att->bytes->s, e);
	/* The first pass found it clean, and so many bytes. */
	if (rc == TEXT_UNCLEAN || (rc == 0 && r.n != att->n))
		return rso_error_set(e, EX_IOERR, "changed while read");
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

/* The spool of the index or of the entries to read again failed. */
static int
spill_fault(struct walk *w, struct rso_error *e)
{
	return rso_error_set(e, EX_IOERR, "spool: %s",
	    strerror(w->index.err ? w->index.err : w->dents.err));
}

/* The DocumentReferences and DiagnosticReports, read again in turn. */
static int
walk_entries(struct walk *w, struct rso_error *e)
{
	struct bkey d;
	json_t *ent;
	size_t i, end;
	int rc;

	for (i = 0; i < bspill_count(&w->dents); i++) {
		if (bspill_get(&w->dents, i, &d) != 0)
			return spill_fault(w, e);
		if ((rc = bsrc_element(w->s, d.off, &ent, &end)) != 0)
			return rc == BSCAN_IO ? read_fault(w->s, e) :
			    rso_error_set(e, EX_IOERR, "changed while read");
		rc = resource_atts(w, json_object_get(ent, "resource"),
		    (size_t)d.hash, e);
		json_decref(ent);
		if (rc == 0 && w->index.err)
			rc = spill_fault(w, e);
		if (rc == 0 && w->failed)
			rc = w->rs.err != 0 ? read_fault(&w->rs, e) :
			    rso_error_set(e, EX_IOERR, "changed while read");
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * The Bundle's own description, for the record of the Bundle itself: its
 * patient and token, and the type, date and source of its one document
 * when it carries one; else a "report" of the day of its timestamp, from
 * the patient's managing organisation.
 */
static void
describe_bundle(struct walk *w, struct rso_doc_info *b)
{
	const char *type = json_string_value(w->type);
	json_t *org;

	memset(b, 0, sizeof(*b));
	if (w->ndocs == 1) {
		*b = w->first;
		b->title[0] = '\0';
	} else {
		rso_doc_copy(b->type, sizeof(b->type), "report", -1);
		if (rso_doc_date(json_string_value(w->timestamp), b->date) != 0)
			b->date[0] = '\0';
		org = resolve(w, NULL, w->managing);
		name_of(w, org, b->source, sizeof(b->source));
		json_decref(org);
		if (!b->source[0] && w->ndocs > 0)
			memcpy(b->source, w->first.source, sizeof(b->source));
	}
	b->format = "fhir";
	b->patient = w->patient;
	snprintf(b->title, sizeof(b->title), "FHIR Bundle%s%s",
	    type ? " " : "", type ? type : "");
	rso_doc_copy(b->title, sizeof(b->title), b->title, -1);
	if (w->token[0])
		memcpy(b->token, w->token, sizeof(b->token));
	else if (w->ndocs > 0)
		memcpy(b->token, w->first.token, sizeof(b->token));
}

/* A member of the root that is not an array. */
static void
root_member(void *ctx, const char *key, json_t *v)
{
	struct walk *w = ctx;

	if (strcmp(key, "resourceType") == 0) {
		w->rt_seen = 1;
		w->is_bundle = json_is_string(v) &&
		    strcmp(json_string_value(v), "Bundle") == 0;
	} else if (strcmp(key, "type") == 0) {
		/* Named twice, the file is refused, but only at the end. */
		json_decref(w->type);
		w->type = json_incref(v);
	} else if (strcmp(key, "timestamp") == 0) {
		json_decref(w->timestamp);
		w->timestamp = json_incref(v);
	}
	else if (strcmp(key, "identifier") == 0)
		token_in_ids(v, w->token);
	else if (strcmp(key, "entry") == 0)
		w->entry_not_array = 1;
}

/* An entry (k from 0): indexed, its patient folded, its place kept when
 * the walks will want it. */
static void
scan_entry(struct walk *w, size_t k, size_t off, const json_t *ent)
{
	const json_t *res = json_object_get(ent, "resource");
	const char *t = res_type(res);

	index_entry(w, ent, off);
	if (strcmp(t, "Patient") == 0)
		fold_patient(w, res, k);
	if (strcmp(t, "DocumentReference") != 0 &&
	    strcmp(t, "DiagnosticReport") != 0)
		return;
	bspill_add(&w->dents, (uint64_t)k, off);
}

/* An element of an array that is a root member's value. */
static void
root_element(void *ctx, const char *key, size_t k, size_t off, json_t *v)
{
	struct walk *w = ctx;
	const char *id;

	/* A root that said it is no Bundle is only checked to be JSON. */
	if (w->rt_seen && !w->is_bundle)
		return;
	if (strcmp(key, "entry") == 0)
		scan_entry(w, k, off, v);
	else if (strcmp(key, "identifier") == 0 && !w->token[0] &&
	    (id = str(v, "value")) != NULL)
		rso_doc_find_token(id, strlen(id), w->token);
}

/*
 * The scan, then what it found checked, then the two walks.  Everything
 * is checked before anything is handed over, so that a rejected Bundle
 * has filed nothing.
 */
static int
read_bundle(struct walk *w, struct rso_doc_info *bundle, struct rso_error *e)
{
	struct bscan_fn fn = { root_member, root_element, w };
	struct bfault f;
	int rc, c;

	/* Only an object can be one, and no Bundle is without the word:
	 * anything else, however large, is left unread (a resourceType
	 * written in \u escapes is not looked for).  A file that cannot be
	 * read is the scan's to say. */
	c = bsrc_first_byte(w->s, 1);
	if (c != -2 && (c != '{' || !bsrc_contains(w->s, "\"Bundle\"")))
		return 1;
	switch (bscan_root(w->s, &fn, &f)) {
	case BSCAN_WIDE:
		/* Far more than a Bundle has: a flood, or not FHIR. */
		if ((w->rt_seen && !w->is_bundle) || !looks_like_bundle(w->s))
			return 1;
		return rso_error_set(e, EX_DATAERR, "bundle: more than %d "
		    "members in its root object", BSCAN_MAX_ROOT);
	case BSCAN_NOT_OBJECT:
		if (!looks_like_bundle(w->s))
			return 1;
		if ((rc = bscan_start_fault(w->s, &f)) == BSCAN_IO)
			return read_fault(w->s, e);
		return json_fault(w->s, &f, e);
	case BSCAN_FAULT:
		return looks_like_bundle(w->s) ? json_fault(w->s, &f, e) : 1;
	case BSCAN_IO:
		return read_fault(w->s, e);
	}
	if (!w->is_bundle)
		return 1;
	if (w->entry_not_array)
		return rso_error_set(e, EX_DATAERR, "bundle: entry: not an "
		    "array");
	if (w->second_patient)
		return rso_error_set(e, EX_DATAERR, "bundle: entry %zu: a "
		    "second patient (a Bundle is matched as one patient's)",
		    w->second_patient);
	if (bspill_seal(&w->index) != 0 || bspill_seal(&w->dents) != 0)
		return spill_fault(w, e);
	if ((rc = walk_entries(w, e)) != 0)
		return rc;
	/* One sender answered one request: a token any resource carries is
	 * the whole Bundle's, unless it names its own. */
	if (!w->token[0])
		memcpy(w->token, w->any, sizeof(w->token));
	describe_bundle(w, bundle);
	if (w->index.err)
		return spill_fault(w, e);
	if (w->failed)
		return w->rs.err != 0 ? read_fault(&w->rs, e) :
		    rso_error_set(e, EX_IOERR, "changed while read");
	w->deliver = 1;
	return walk_entries(w, e);
}

/* Keys gathered in memory before they spill (rso_bundle_thin_spill). */
static size_t spill_run = BSPILL_RUN;

void
rso_bundle_thin_spill(size_t keys)
{
	spill_run = keys ? keys : BSPILL_RUN;
}

static int
read_src(struct rso_window *s, struct rso_window *rs, const struct rso_bundle_reader *r,
    struct rso_doc_info *bundle, struct rso_error *e)
{
	struct walk w;
	int rc, i;

	memset(&w, 0, sizeof(w));
	w.s = s;
	w.rs = *rs;
	w.r = r;
	w.seed = bsrc_seed();
	bspill_init(&w.index, 1, spill_run, r->spool, r->ctx);
	bspill_init(&w.dents, 0, spill_run, r->spool, r->ctx);
	rc = read_bundle(&w, bundle, e);
	for (i = 0; i < CACHE_N; i++)
		json_decref(w.cache[i].ent);
	json_decref(w.type);
	json_decref(w.timestamp);
	free(w.managing);
	bspill_free(&w.index);
	bspill_free(&w.dents);
	free(w.sizes);
	rso_window_free(&w.rs);
	rso_window_free(s);
	return rc;
}

int
rso_bundle_read(const char *buf, size_t n, const struct rso_bundle_reader *r,
    struct rso_doc_info *bundle, struct rso_error *e)
{
	struct rso_window s, rs;

	rso_window_mem(&s, buf, n);
	rso_window_mem(&rs, buf, n);
	return read_src(&s, &rs, r, bundle, e);
}

int
rso_bundle_read_fd(int fd, size_t n, const struct rso_bundle_reader *r,
    struct rso_doc_info *bundle, struct rso_error *e)
{
	struct rso_window s, rs;

	rso_window_fd(&s, fd, n);
	rso_window_fd(&rs, fd, n);
	return read_src(&s, &rs, r, bundle, e);
}
