/* rso_xdm_read: what an IHE XDM METADATA.XML says (ITI TF-3 4.2). */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>

#include "rso_xdm_read.h"

/* The XDS schemes read here (ITI TF-3 4.2.5); rso_xdm.c writes them. */
#define DE_CLASS	"urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
#define DE_TYPE		"urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
#define DE_AUTHOR	"urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
#define DE_PATIENT	"urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
#define DE_UNIQUE	"urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
#define SS_NODE		"urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
#define SS_AUTHOR	"urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
#define SS_SOURCE	"urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
#define SS_UNIQUE	"urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
#define LOINC		"2.16.840.1.113883.6.1"

#define META "METADATA.XML"

/* An entry's URI and its number. */
struct uri {
	char *path;
	size_t k;
};

/*
 * A read.  rol stands for the RegistryObjectList, holding only what is
 * looked up across it: its registry packages, and its top-level
 * classifications and identifiers that name another object.
 */
struct rd {
	xmlNode *rol;
	struct rso_xdm_meta *m;
	rso_xdm_entry_fn *fn;
	void *ctx;
	struct rso_error *e;
	int rc;			/* an entry's fault, which stops the read */
	struct uri *uri;	/* each entry's URI, for the duplicates */
	size_t nuri, capuri;
};

static int
is(const xmlNode *n, const char *local)
{
	return n && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, local) == 0;
}

/* The first child element called local, or NULL. */
static xmlNode *
child(const xmlNode *n, const char *local)
{
	xmlNode *c;

	for (c = n ? n->children : NULL; c; c = c->next)
		if (is(c, local))
			return c;
	return NULL;
}

/* Attribute name of n into out (cut, controls made spaces); "" if none. */
static void
attr(const xmlNode *n, const char *name, char *out, size_t size)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);

	rso_doc_copy(out, size, v ? (const char *)v : "", -1);
	xmlFree(v);
}

static int
attr_is(const xmlNode *n, const char *name, const char *want)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	int same = v && strcmp((const char *)v, want) == 0;

	xmlFree(v);
	return same;
}

/* The value of n's Name or Description (a LocalizedString); "" if none. */
static void
localized(const xmlNode *n, const char *which, char *out, size_t size)
{
	attr(child(child(n, which), "LocalizedString"), "value", out, size);
}

/* n's Slot called name, or NULL. */
static xmlNode *
slot(const xmlNode *n, const char *name)
{
	xmlNode *c;

	for (c = n ? n->children : NULL; c; c = c->next)
		if (is(c, "Slot") && attr_is(c, "name", name))
			return c;
	return NULL;
}

/* The Value after prev (NULL: the first) of a slot's ValueList. */
static xmlNode *
next_value(const xmlNode *s, xmlNode *prev)
{
	xmlNode *c = prev ? prev->next : child(child(s, "ValueList"), "Value");

	while (c && !is(c, "Value"))
		c = c->next;
	return c;
}

/* The text of a Value (malloc'd, "" for none). */
static char *
text(const xmlNode *v)
{
	xmlChar *t = v ? xmlNodeGetContent(v) : NULL;
	char *s = rso_xstrdup(t ? (const char *)t : "");

	xmlFree(t);
	return s;
}

/* The first value of slot name of n (malloc'd), or NULL without one. */
static char *
slot_first(const xmlNode *n, const char *name)
{
	xmlNode *s = slot(n, name), *v = s ? next_value(s, NULL) : NULL;

	return v ? text(v) : NULL;
}

/*
 * Each Classification of object n of the scheme, nested in it or at the
 * top of the list naming it (ebRS allows both).
 */
static void
classifications(struct rd *r, const xmlNode *n, const char *scheme,
    void (*fn)(xmlNode *, void *), void *ctx)
{
	char id[128];
	xmlNode *c;

	attr(n, "id", id, sizeof(id));
	for (c = n->children; c; c = c->next)
		if (is(c, "Classification") &&
		    attr_is(c, "classificationScheme", scheme))
			fn(c, ctx);
	if (id[0] == '\0')
		return;
	for (c = r->rol->children; c; c = c->next)
		if (is(c, "Classification") &&
		    attr_is(c, "classificationScheme", scheme) &&
		    attr_is(c, "classifiedObject", id))
			fn(c, ctx);
}

/* The value of n's ExternalIdentifier of the scheme; "" if none. */
static void
external(struct rd *r, const xmlNode *n, const char *scheme, char *out,
    size_t size)
{
	char id[128];
	xmlNode *c;

	*out = '\0';
	attr(n, "id", id, sizeof(id));
	for (c = n->children; c; c = c->next)
		if (is(c, "ExternalIdentifier") &&
		    attr_is(c, "identificationScheme", scheme)) {
			attr(c, "value", out, size);
			return;
		}
	for (c = r->rol->children; id[0] && c; c = c->next)
		if (is(c, "ExternalIdentifier") &&
		    attr_is(c, "identificationScheme", scheme) &&
		    attr_is(c, "registryObject", id)) {
			attr(c, "value", out, size);
			return;
		}
}

/* The n-th (1-based) of the parts of [*p, end) split at sep; 0 if none. */
static int
nth(const char **p, const char **end, char sep, int n)
{
	const char *q;

	for (; n > 1; n--) {
		if ((q = memchr(*p, sep, (size_t)(*end - *p))) == NULL)
			return 0;
		*p = q + 1;
	}
	if ((q = memchr(*p, sep, (size_t)(*end - *p))) != NULL)
		*end = q;
	return 1;
}

/*
 * An HL7 v2 value (sourcePatientInfo, the author slots): component k
 * (1-based) of its first repetition, and of that subcomponent sub (0: the
 * whole component), with its escapes undone, into out ("" if none).
 */
static void
hl7_part(const char *field, int k, int sub, char *out, size_t size)
{
	char buf[512];
	const char *p = field, *end = field + strcspn(field, "~"), *q;
	size_t i = 0;

	*out = '\0';
	if (!nth(&p, &end, '^', k) || (sub > 0 && !nth(&p, &end, '&', sub)))
		return;
	/* \F\ \S\ \T\ \R\ \E\ are the separators; other escapes are dropped. */
	while (p < end && i + 1 < sizeof(buf)) {
		if (*p != '\\') {
			buf[i++] = *p++;
			continue;
		}
		if ((q = memchr(p + 1, '\\', (size_t)(end - p - 1))) == NULL)
			break;
		if (q == p + 2 && strchr("FSTRE", p[1]))
			buf[i++] = "|^&~\\"[strchr("FSTRE", p[1]) - "FSTRE"];
		p = q + 1;
	}
	buf[i] = '\0';
	rso_doc_copy(out, size, buf, -1);
}

/* A CX (id^check^scheme^authority) as an identifier of the patient. */
static void
add_cx(struct rso_doc_patient *p, const char *cx)
{
	char value[64], system[128];

	hl7_part(cx, 1, 0, value, sizeof(value));
	/* The authority's universal id (an OID), else its namespace. */
	hl7_part(cx, 4, 2, system, sizeof(system));
	if (system[0] == '\0')
		hl7_part(cx, 4, 1, system, sizeof(system));
	for (int i = 0; i < p->nid; i++)
		if (strcmp(p->id[i].value, value) == 0 &&
		    strcmp(p->id[i].system, system) == 0)
			return;
	rso_doc_add_id(p, system, value);
}

/* Each repetition of a PID-3 field. */
static void
add_cx_list(struct rso_doc_patient *p, const char *field)
{
	const char *r = field;

	while (*r) {
		add_cx(p, r);
		r += strcspn(r, "~");
		if (*r == '~')
			r++;
	}
}

/* sourcePatientInfo: PID-3 identifiers, PID-5 name, PID-7 birth, PID-8. */
static void
patient_info(const xmlNode *entry, struct rso_doc_patient *p)
{
	xmlNode *s = slot(entry, "sourcePatientInfo"), *v = NULL;
	char family[128], given[128], middle[64], bd[16], sex[4];
	char *t, *f;

	while (s && (v = next_value(s, v)) != NULL) {
		t = text(v);
		f = strchr(t, '|');
		if (f == NULL || strncmp(t, "PID-", 4) != 0) {
			free(t);
			continue;
		}
		f++;
		if (strncmp(t, "PID-3|", 6) == 0) {
			add_cx_list(p, f);
		} else if (strncmp(t, "PID-5|", 6) == 0 && p->name[0] == '\0') {
			hl7_part(f, 1, 1, family, sizeof(family));
			hl7_part(f, 2, 0, given, sizeof(given));
			hl7_part(f, 3, 0, middle, sizeof(middle));
			if (middle[0] && strlen(given) + strlen(middle) + 2 <=
			    sizeof(given)) {
				strcat(given, " ");
				strcat(given, middle);
			}
			rso_doc_set_name(p, family, given);
		} else if (strncmp(t, "PID-7|", 6) == 0) {
			hl7_part(f, 1, 0, bd, sizeof(bd));
			if (rso_doc_date(bd, p->birth_date) != 0)
				p->birth_date[0] = '\0';
		} else if (strncmp(t, "PID-8|", 6) == 0) {
			hl7_part(f, 1, 0, sex, sizeof(sex));
			snprintf(p->sex, sizeof(p->sex), "%s",
			    strcmp(sex, "F") == 0 ? "female" :
			    strcmp(sex, "M") == 0 ? "male" :
			    strcmp(sex, "O") == 0 ? "other" : "unknown");
		}
		free(t);
	}
}

/* An XCN (id^family^given^middle...) as "Given Family"; else as it is. */
static void
person(const char *xcn, char *out, size_t size)
{
	char family[128], given[128];

	if (strchr(xcn, '^') == NULL) {
		hl7_part(xcn, 1, 0, out, size);
		return;
	}
	hl7_part(xcn, 2, 1, family, sizeof(family));
	hl7_part(xcn, 3, 0, given, sizeof(given));
	if (given[0] && family[0]) {
		char both[256];

		snprintf(both, sizeof(both), "%s %s", given, family);
		rso_doc_copy(out, size, both, -1);
	} else
		rso_doc_copy(out, size, family[0] ? family : given, -1);
}

/* What an author classification gives: a person and an institution. */
struct author {
	char person[128], institution[128];
};

static void
author_of(xmlNode *c, void *ctx)
{
	struct author *a = ctx;
	char *v;

	if (a->person[0] == '\0' && (v = slot_first(c, "authorPerson"))) {
		person(v, a->person, sizeof(a->person));
		free(v);
	}
	if (a->institution[0] == '\0' &&
	    (v = slot_first(c, "authorInstitution"))) {
		/* XON.1, the organisation's name. */
		hl7_part(v, 1, 0, a->institution, sizeof(a->institution));
		free(v);
	}
}

/* A coded classification: its code and whether it is LOINC. */
struct code {
	char code[32];
	int loinc;
};

static void
code_of(xmlNode *c, void *ctx)
{
	struct code *k = ctx;
	char *scheme;

	if (k->code[0])
		return;
	attr(c, "nodeRepresentation", k->code, sizeof(k->code));
	scheme = slot_first(c, "codingScheme");
	k->loinc = scheme && (strcmp(scheme, LOINC) == 0 ||
	    strcasecmp(scheme, "LOINC") == 0);
	free(scheme);
}

/* The type and code: typeCode, else classCode, when it is LOINC. */
static void
doc_type(struct rd *r, const xmlNode *n, struct rso_doc_info *d)
{
	struct code type = { "", 0 }, klass = { "", 0 };
	const struct code *k;
	const char *t;

	classifications(r, n, DE_TYPE, code_of, &type);
	classifications(r, n, DE_CLASS, code_of, &klass);
	k = type.loinc && type.code[0] ? &type : klass.loinc ? &klass : NULL;
	if (k == NULL || (t = rso_doc_type_of_code(k->code)) == NULL)
		return;
	snprintf(d->code, sizeof(d->code), "%s", k->code);
	snprintf(d->type, sizeof(d->type), "%s", t);
}

/* Percent-decoding and the checks that keep a URI inside its folder. */
static int
uri_path(const char *uri, char *out, size_t size)
{
	size_t i = 0;
	const char *p = uri, *seg;
	unsigned int c;

	if (strncmp(p, "./", 2) == 0)
		p += 2;
	while (*p && i + 1 < size) {
		if (*p == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			sscanf(p + 1, "%2x", &c);
			out[i++] = (char)c;
			p += 3;
		} else
			out[i++] = *p++;
	}
	out[i] = '\0';
	if (*p || i == 0 || out[0] == '/' || strchr(out, '\\') ||
	    strlen(out) != i || strchr(out, ':'))
		return -1;
	for (seg = out; *seg; seg += strcspn(seg, "/"), seg += *seg == '/') {
		size_t len = strcspn(seg, "/");

		if (len == 0 || (len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return -1;
	}
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20)
			return -1;
	return 0;
}

/*
 * The URI slot: one value, or a long URI split as "1|...", "2|..." (ITI
 * TF-3 4.2.3.2.24), joined in order.
 */
static int
uri_of(const xmlNode *n, char *out, size_t size)
{
	xmlNode *s = slot(n, "URI"), *v = NULL;
	char *joined = NULL, *t, *bar;
	size_t len = 0;
	int k, want = 1, split = 0, rc;

	if (s == NULL)
		return 1;
	while ((v = next_value(s, v)) != NULL) {
		t = text(v);
		k = atoi(t);
		bar = strchr(t, '|');
		if (bar && k == want && (split || want == 1) &&
		    (size_t)(bar - t) == strspn(t, "0123456789")) {
			split = 1;
			want++;
		} else if (split || joined) {
			free(t);
			free(joined);
			return -1;
		} else
			bar = t - 1;
		joined = rso_xrealloc(joined, len + strlen(bar + 1) + 1);
		memcpy(joined + len, bar + 1, strlen(bar + 1) + 1);
		len += strlen(bar + 1);
		free(t);
	}
	rc = joined ? uri_path(joined, out, size) : 1;
	free(joined);
	return rc;
}

/* "TEXT" as a request token into token; a different second one: -1. */
static int
token_in(const char *s, char *token)
{
	char t[RSO_TOKEN_LEN];

	if (rso_doc_find_token(s, strlen(s), t) != 0)
		return 0;
	if (token[0] && strcmp(token, t) != 0)
		return -1;
	memcpy(token, t, sizeof(t));
	return 0;
}

static int
entry_error(struct rd *r, size_t k, const char *what)
{
	return rso_error_set(r->e, EX_DATAERR, META ": document entry %zu: %s",
	    k, what);
}

/* The hash, size and URI slots, without which a document is unchecked. */
static int
entry_checks(struct rd *r, const xmlNode *n, size_t k,
    struct rso_xdm_entry *x)
{
	char *hash = slot_first(n, "hash"), *size = slot_first(n, "size");
	int rc = 0, u;
	size_t i;

	if (hash == NULL)
		rc = entry_error(r, k, "no \"hash\" slot");
	else if (strlen(hash) != 40 || strspn(hash, "0123456789abcdefABCDEF")
	    != 40)
		rc = entry_error(r, k, "\"hash\" is not a SHA-1 in hex");
	else
		for (i = 0; i <= 40; i++)
			x->sha1[i] = (char)tolower((unsigned char)hash[i]);
	if (rc == 0 && size == NULL)
		rc = entry_error(r, k, "no \"size\" slot");
	else if (rc == 0 && (size[0] == '\0' || strlen(size) > 18 ||
	    strspn(size, "0123456789") != strlen(size)))
		rc = entry_error(r, k, "\"size\" is not a number of bytes");
	else if (rc == 0)
		x->size = strtoll(size, NULL, 10);
	if (rc == 0 && (u = uri_of(n, x->uri, sizeof(x->uri))) != 0)
		rc = entry_error(r, k, u > 0 ? "no \"URI\" slot" :
		    "\"URI\" does not name a file of its folder");
	free(hash);
	free(size);
	return rc;
}

/* The mimeType attribute, lowercased, without parameters. */
static void
mime_of(const xmlNode *n, char *out, size_t size)
{
	size_t i;

	attr(n, "mimeType", out, size);
	out[strcspn(out, "; ")] = '\0';
	for (i = 0; out[i]; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
}

static int
entry(struct rd *r, const xmlNode *n, size_t k, struct rso_xdm_entry *x,
    char *token)
{
	struct rso_doc_info *d = &x->doc;
	struct author au = { "", "" };
	char buf[256], *v;
	int rc;

	d->format = "xdm";
	if ((rc = entry_checks(r, n, k, x)) != 0)
		return rc;
	mime_of(n, x->mime, sizeof(x->mime));
	external(r, n, DE_UNIQUE, x->unique_id, sizeof(x->unique_id));
	localized(n, "Name", d->title, sizeof(d->title));
	if ((v = slot_first(n, "creationTime")) != NULL ||
	    (v = slot_first(n, "serviceStartTime")) != NULL) {
		if (rso_doc_date(v, d->date) != 0)
			d->date[0] = '\0';
		free(v);
	}
	doc_type(r, n, d);
	patient_info(n, &d->patient);
	if ((v = slot_first(n, "sourcePatientId")) != NULL) {
		add_cx(&d->patient, v);
		free(v);
	}
	external(r, n, DE_PATIENT, buf, sizeof(buf));
	if (buf[0])
		add_cx(&d->patient, buf);
	classifications(r, n, DE_AUTHOR, author_of, &au);
	if (au.person[0] == '\0' &&
	    (v = slot_first(n, "legalAuthenticator")) != NULL) {
		person(v, au.person, sizeof(au.person));
		free(v);
	}
	rso_doc_copy(d->author, sizeof(d->author), au.person, -1);
	rso_doc_copy(d->source, sizeof(d->source), au.institution, -1);
	localized(n, "Description", buf, sizeof(buf));
	if (token_in(d->title, token) != 0 || token_in(buf, token) != 0)
		return entry_error(r, k, "a request token other than the one "
		    "named before");
	return 0;
}

/* Whether a RegistryPackage is the submission set, not a folder. */
static int
is_submission_set(struct rd *r, const xmlNode *n)
{
	char id[128], uid[8];
	xmlNode *c;
	int yes = 0;

	external(r, n, SS_UNIQUE, uid, sizeof(uid));
	if (uid[0])
		return 1;
	attr(n, "id", id, sizeof(id));
	for (c = r->rol->children; c && id[0]; c = c->next)
		if (is(c, "Classification") &&
		    attr_is(c, "classificationNode", SS_NODE) &&
		    attr_is(c, "classifiedObject", id))
			return 1;
	for (c = n->children; c; c = c->next)
		if (is(c, "Classification") &&
		    attr_is(c, "classificationNode", SS_NODE))
			yes = 1;
	return yes;
}

/* A DTM (YYYYMMDD[HH[MM[SS]]], UTC in XDS) as RFC 3339, or "". */
static void
dtm_time(const char *v, char *out)
{
	size_t n = strspn(v, "0123456789");
	char day[11];

	*out = '\0';
	if (rso_doc_date(v, day) != 0)
		return;
	if (n >= 14 && (v[14] == '\0' || n == strlen(v)))
		snprintf(out, 21, "%sT%.2s:%.2s:%.2sZ", day, v + 8, v + 10,
		    v + 12);
	else
		snprintf(out, 21, "%s", day);
}

static int
submission_set(struct rd *r, const xmlNode *n, struct rso_xdm_meta *m)
{
	struct author au = { "", "" };
	char buf[256], *v;
	xmlNode *s, *val = NULL;
	int bad = 0;

	external(r, n, SS_UNIQUE, m->unique_id, sizeof(m->unique_id));
	if (m->unique_id[0] == '\0')
		return rso_error_set(r->e, EX_DATAERR, META ": submission set: "
		    "no XDSSubmissionSet.uniqueId");
	external(r, n, SS_SOURCE, m->source_id, sizeof(m->source_id));
	localized(n, "Name", m->title, sizeof(m->title));
	if ((v = slot_first(n, "submissionTime")) != NULL) {
		dtm_time(v, m->time);
		free(v);
	}
	classifications(r, n, SS_AUTHOR, author_of, &au);
	snprintf(m->source, sizeof(m->source), "%s", au.institution);
	bad |= token_in(m->title, m->token);
	localized(n, "Description", buf, sizeof(buf));
	bad |= token_in(buf, m->token);
	s = slot(n, "intendedRecipient");
	while (s && (val = next_value(s, val)) != NULL) {
		v = text(val);
		bad |= token_in(v, m->token);
		free(v);
	}
	if (bad)
		return rso_error_set(r->e, EX_DATAERR, META ": submission set: "
		    "two different request tokens");
	return 0;
}

/* The one submission set of the list. */
static int
find_set(struct rd *r, struct rso_xdm_meta *m)
{
	xmlNode *c, *set = NULL;

	for (c = r->rol->children; c; c = c->next) {
		if (!is(c, "RegistryPackage") || !is_submission_set(r, c))
			continue;
		if (set != NULL)
			return rso_error_set(r->e, EX_DATAERR, META ": more "
			    "than one submission set");
		set = c;
	}
	if (set == NULL)
		return rso_error_set(r->e, EX_DATAERR, META ": no submission "
		    "set");
	return submission_set(r, set, m);
}

static int
by_uri(const void *a, const void *b)
{
	const struct uri *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	/* Ties in entry order: the later of the first two is named. */
	return c ? c : (x->k > y->k) - (x->k < y->k);
}

/* Two entries naming one file would file it twice, or check it twice. */
static int
unique_uris(struct rd *r)
{
	size_t i;

	if (r->nuri > 1)
		qsort(r->uri, r->nuri, sizeof(*r->uri), by_uri);
	for (i = 1; i < r->nuri; i++)
		if (strcmp(r->uri[i - 1].path, r->uri[i].path) == 0)
			return entry_error(r, r->uri[i].k, "\"URI\" names the "
			    "file of an earlier entry");
	return 0;
}

/*
 * The second pass, for each child of the list: a DocumentEntry, read
 * with what the first pass kept of the list, handed to fn and forgotten
 * but for its URI.
 */
static void
take_entry(struct rd *r, xmlNode *n)
{
	struct rso_xdm_entry x;
	size_t k = r->m->n + 1;

	if (!is(n, "ExtrinsicObject"))
		return;
	memset(&x, 0, sizeof(x));
	if ((r->rc = entry(r, n, k, &x, r->m->token)) != 0)
		return;
	if (r->nuri == r->capuri) {
		r->capuri = r->capuri ? r->capuri * 2 : 16;
		r->uri = rso_xrealloc(r->uri, r->capuri * sizeof(*r->uri));
	}
	r->uri[r->nuri].path = rso_xstrdup(x.uri);
	r->uri[r->nuri++].k = k;
	if ((r->rc = r->fn(r->ctx, k, &x, r->e)) == 0)
		r->m->n = k;
}

static int
attr_in(const xmlNode *n, const char *name, const char *const *want)
{
	for (; *want; want++)
		if (attr_is(n, name, *want))
			return 1;
	return 0;
}

/*
 * The first pass, for each child of the list: kept when it is what
 * another object is looked up by -- a package (the set may be told by a
 * classification after it), a classification or identifier of a scheme
 * read here that names its object from outside it.  The entries, which
 * are most of a big list, are not kept.
 */
static void
keep_object(struct rd *r, xmlNode *n)
{
	static const char *const classes[] = {
		DE_CLASS, DE_TYPE, DE_AUTHOR, SS_AUTHOR, NULL
	};
	static const char *const ids[] = {
		DE_UNIQUE, DE_PATIENT, SS_UNIQUE, SS_SOURCE, NULL
	};
	xmlNode *copy;

	if (!is(n, "RegistryPackage") &&
	    !(is(n, "Classification") &&
	    xmlHasNsProp(n, (const xmlChar *)"classifiedObject", NULL) &&
	    (attr_is(n, "classificationNode", SS_NODE) ||
	    attr_in(n, "classificationScheme", classes))) &&
	    !(is(n, "ExternalIdentifier") &&
	    xmlHasNsProp(n, (const xmlChar *)"registryObject", NULL) &&
	    attr_in(n, "identificationScheme", ids)))
		return;
	if ((copy = xmlDocCopyNode(n, NULL, 1)) == NULL)
		rso_diex(EX_OSERR, "libxml2: out of memory");
	xmlAddChild(r->rol, copy);
}

/* One read of the whole METADATA.XML. */
struct pass {
	struct rd *r;
	void (*object)(struct rd *, xmlNode *);
	int doctype;		/* a document type declaration met */
	int lists;		/* RegistryObjectLists ended so far */
};

/*
 * A document type declaration is where entities are declared (a billion
 * laughs) and external ones fetched: stop the parse at its start, before
 * its internal subset is read.
 */
static void
refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *ext,
    const xmlChar *sys)
{
	xmlParserCtxtPtr p = ctx;
	struct pass *ps = p->_private;

	(void)name;
	(void)ext;
	(void)sys;
	ps->doctype = 1;
	xmlStopParser(p);
}

/* 1 for the root element, 2 for its children... */
static int
depth_of(const xmlNode *n)
{
	int d = 0;

	for (; n && n->type == XML_ELEMENT_NODE; n = n->parent)
		d++;
	return d;
}

/*
 * The tree is built as libxml2 builds it, but each child of the first
 * RegistryObjectList is handed to the pass once complete and then freed,
 * so only one object's subtree is held at a time.  All the parent's
 * children go (any text beside it too): text that came later must not
 * be joined to a text node the parser no longer tracks.
 */
static void
end_element(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri)
{
	xmlParserCtxtPtr p = ctx;
	struct pass *ps = p->_private;
	xmlNode *cur = p->node, *up;
	int depth = depth_of(cur);

	xmlSAX2EndElementNs(ctx, local, prefix, uri);
	if (cur == NULL || depth < 2 || depth > 3)
		return;
	if (depth == 3 && ps->lists == 0 && is(cur->parent,
	    "RegistryObjectList")) {
		ps->object(ps->r, cur);
		if (ps->r->rc != 0)
			xmlStopParser(p);
	} else if (depth == 2 && is(cur, "RegistryObjectList"))
		ps->lists++;
	up = cur->parent;
	xmlFreeNodeList(up->children);
	up->children = up->last = NULL;
}

/* Where the bytes come from: a buffer, or a file read with pread. */
struct src {
	const char *buf;
	int fd;
	size_t n, off;
	int err;		/* errno of a read that failed; -1: short */
};

static int
src_read(void *ctx, char *out, int len)
{
	struct src *s = ctx;
	size_t want = s->n - s->off;
	ssize_t got;

	if (want > (size_t)len)
		want = (size_t)len;
	if (want == 0)
		return 0;
	if (s->buf != NULL) {
		memcpy(out, s->buf + s->off, want);
		got = (ssize_t)want;
	} else if ((got = pread(s->fd, out, want, (off_t)s->off)) <= 0) {
		s->err = got < 0 ? errno : -1;
		return -1;
	}
	s->off += (size_t)got;
	return (int)got;
}

/* One pass over s: 0, or a status with e filled. */
static int
pass(struct pass *ps, struct src *s, struct rso_error *e)
{
	xmlParserCtxtPtr p;
	const xmlError *err;
	xmlDoc *doc;
	int rc = 0;

	s->off = 0;
	xmlInitParser();
	if ((p = xmlNewParserCtxt()) == NULL)
		rso_diex(EX_OSERR, "libxml2: out of memory");
	p->sax->internalSubset = refuse_doctype;
	p->sax->endElementNs = end_element;
	p->_private = ps;
	doc = xmlCtxtReadIO(p, src_read, NULL, s, META, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA |
	    XML_PARSE_COMPACT | XML_PARSE_NOBLANKS);
	if (ps->doctype)
		rc = rso_error_set(e, EX_DATAERR, META ": has a document type "
		    "declaration (refused: it may declare entities)");
	else if (ps->r->rc != 0)
		rc = ps->r->rc;
	else if (s->err != 0)
		rc = rso_error_set(e, EX_IOERR, META ": %s", s->err > 0 ?
		    strerror(s->err) : "shorter than it was");
	else if (doc == NULL) {
		err = xmlCtxtGetLastError(p);
		rc = rso_error_set(e, EX_DATAERR, META ": line %d: not "
		    "well-formed XML", err ? err->line : 0);
	} else if (!is(xmlDocGetRootElement(doc), "SubmitObjectsRequest") ||
	    ps->lists == 0)
		rc = rso_error_set(e, EX_DATAERR, META ": not an ebRS "
		    "SubmitObjectsRequest with a RegistryObjectList");
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(p);
	return rc;
}

static int
read_src(struct src *s, struct rso_xdm_meta *m, rso_xdm_entry_fn *fn,
    void *ctx, struct rso_error *e)
{
	struct rd r = { NULL, m, fn, ctx, e, 0, NULL, 0, 0 };
	struct pass ps = { &r, keep_object, 0, 0 };
	size_t i;
	int rc;

	memset(m, 0, sizeof(*m));
	if (s->n > (size_t)1 << 30)
		return rso_error_set(e, EX_DATAERR, META ": too large");
	if ((r.rol = xmlNewNode(NULL, (const xmlChar *)"RegistryObjectList"))
	    == NULL)
		rso_diex(EX_OSERR, "libxml2: out of memory");
	if ((rc = pass(&ps, s, e)) == 0 && (rc = find_set(&r, m)) == 0) {
		ps = (struct pass){ &r, take_entry, 0, 0 };
		rc = pass(&ps, s, e);
	}
	if (rc == 0 && m->n == 0)
		rc = rso_error_set(e, EX_DATAERR, META ": no document entry");
	if (rc == 0)
		rc = unique_uris(&r);
	for (i = 0; i < r.nuri; i++)
		free(r.uri[i].path);
	free(r.uri);
	xmlFreeNode(r.rol);
	return rc;
}

int
rso_xdm_read(int fd, size_t n, struct rso_xdm_meta *m, rso_xdm_entry_fn *fn,
    void *ctx, struct rso_error *e)
{
	struct src s = { NULL, fd, n, 0, 0 };

	return read_src(&s, m, fn, ctx, e);
}

void
rso_xdm_entry_finish(const struct rso_xdm_meta *m, struct rso_xdm_entry *x)
{
	memcpy(x->doc.token, m->token, sizeof(m->token));
	if (x->doc.source[0] == '\0')
		memcpy(x->doc.source, m->source, sizeof(m->source));
}

/* rso_xdm_parse's entries, as they come. */
struct all {
	struct rso_xdm_meta *m;
	size_t cap;
};

static int
keep_entry(void *ctx, size_t k, const struct rso_xdm_entry *x,
    struct rso_error *e)
{
	struct all *a = ctx;

	(void)e;
	if (k > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->m->entry = rso_xrealloc(a->m->entry, a->cap *
		    sizeof(*a->m->entry));
	}
	a->m->entry[k - 1] = *x;
	return 0;
}

int
rso_xdm_parse(const char *buf, size_t n, struct rso_xdm_meta *m,
    struct rso_error *e)
{
	struct src s = { buf, -1, n, 0, 0 };
	struct all a = { m, 0 };
	size_t i;
	int rc;

	if ((rc = read_src(&s, m, keep_entry, &a, e)) != 0)
		return rc;
	for (i = 0; i < m->n; i++)
		rso_xdm_entry_finish(m, &m->entry[i]);
	return 0;
}

void
rso_xdm_meta_free(struct rso_xdm_meta *m)
{
	free(m->entry);
	m->entry = NULL;
	m->n = 0;
}
