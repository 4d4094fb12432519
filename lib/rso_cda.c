/* rso_cda: C-CDA documents read and shown, through libxml2's reader. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/tree.h>
#include <libxml/xmlreader.h>

#include "rso_cda.h"

#define V3 "urn:hl7-org:v3"
/* libxml2 refuses to nest deeper than 256 without XML_PARSE_HUGE. */
#define DEPTH_MAX 512
#define DOC_ID_LEN 192

/* libxml2 2.12 made the error a structured handler gets const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *xerr_t;
#else
typedef xmlErrorPtr xerr_t;
#endif

/*
 * No network, no DTD loaded, no entity substituted (a DOCTYPE is refused
 * anyway), CDATA as text, libxml2's own messages kept off stderr: the
 * first error is caught by on_error and said once, our way.
 */
#define OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR | \
    XML_PARSE_NOWARNING)

/* Where a document's bytes are: n of them in buf, or else in fd, read
 * with pread(2) from its start. */
struct src {
	const char *buf;
	int fd;
	size_t n;
};

/* Where the thinning of a file's text is (see thin below). */
struct thin {
	int state, nbang, ref, prev_safe, fresh;
	int enc;		/* -1 until the first bytes are seen */
	char quote, bang[8], last[2];
	uint64_t seen, run;
	unsigned char head[256];
};

struct xml {
	xmlTextReaderPtr r;
	xmlDocPtr doc;		/* taken from r after a failure, to free */
	struct src src;
	size_t at;		/* fd: how far libxml2 has read */
	struct thin thin;	/* fd: its text thinned */
	int line;		/* of the first error, 0 for none yet */
	char msg[160];
};

/*
 * Keep the first error's line and the first line of its message: the
 * rest ("Bytes: 0x.. 0x..") may quote the document's bytes, and so may
 * the first line after ": <" ("double hyphen within comment: <!-- ...").
 */
static void
on_error(void *arg, xerr_t err)
{
	struct xml *x = arg;
	const char *m, *quote;
	size_t i;

	if (x->line != 0 || err == NULL)
		return;
	x->line = err->line > 0 ? err->line : 1;
	m = err->message ? err->message : "not well-formed";
	for (i = 0; m[i] && m[i] != '\n' && i + 1 < sizeof(x->msg); i++)
		x->msg[i] = (unsigned char)m[i] < 0x20 ? ' ' : m[i];
	x->msg[i] = '\0';
	if ((quote = strstr(x->msg, ": <")) != NULL)
		i = (size_t)(quote - x->msg);
	while (i > 0 && x->msg[i - 1] == ' ')
		i--;
	x->msg[i] = '\0';
	if (i > 0 && x->msg[0] >= 'A' && x->msg[0] <= 'Z' &&
	    (i < 2 || x->msg[1] < 'A' || x->msg[1] > 'Z'))
		x->msg[0] += 'a' - 'A';
}

/*
 * Character data thinned on its way to libxml2.  A scanned document
 * comes as base64 in a nonXMLBody, 30 MB and more in one text node:
 * libxml2 would hold it whole, and refuse it past 10 MB ("huge text
 * node").  So past text_cap bytes of one run of character data, a byte
 * of base64's alphabet, a space or a tab is dropped when the byte before
 * it was one too and it is not inside a reference (&...;).  Every other
 * byte stays, and keeps at least one byte between it and the next that
 * was there: the markup, every reference, every line end, every byte
 * outside ASCII and every "]]" are what they were, so the document is
 * well-formed exactly when it was, with the same elements and
 * attributes.  Only the text of such a run is cut (what the page shows
 * of it, and where a token is looked for).  Done only in the encodings
 * whose markup is ASCII bytes, as the document's first bytes declare
 * them; any other is handed over as it is.
 */
enum {
	L_DATA, L_LT, L_TAG, L_QUOTE, L_PI, L_BANG, L_COMMENT, L_CDATA,
	L_DECL
};

static size_t text_cap = 1 << 20;

void
rso_cda_text_cap(size_t cap)
{
	text_cap = cap;
}

/* A byte that may go: base64's alphabet, a space, a tab.  A table: a
 * test of ranges mispredicts on every other byte of base64. */
#define SAFE1(c) (((c) >= '0' && (c) <= '9') || ((c) >= 'A' && (c) <= 'Z') || \
    ((c) >= 'a' && (c) <= 'z') || (c) == '+' || (c) == '/' || (c) == '=' || \
    (c) == ' ' || (c) == '\t')
#define SAFE4(c) SAFE1(c), SAFE1((c) + 1), SAFE1((c) + 2), SAFE1((c) + 3)
#define SAFE16(c) SAFE4(c), SAFE4((c) + 4), SAFE4((c) + 8), SAFE4((c) + 12)
#define SAFE64(c) SAFE16(c), SAFE16((c) + 16), SAFE16((c) + 32), \
    SAFE16((c) + 48)
static const unsigned char thin_safe[256] = { SAFE64(0), SAFE64(64),
    SAFE64(128), SAFE64(192) };

/* The encodings whose every byte below 0x80 is ASCII, and whose bytes
 * from 0x80 are all a character's own (or, in a multibyte one, follow
 * such a byte, which keeps them). */
static int
thin_encoding(const char *v, size_t n)
{
	static const char *const ok[] = { "UTF-8", "UTF8", "US-ASCII",
	    "ASCII", "ISO-8859-", "ISO_8859-", "ISO-LATIN-", "LATIN1",
	    "WINDOWS-125", "CP125", NULL };
	size_t i, k;

	for (i = 0; ok[i]; i++) {
		k = strlen(ok[i]);
		if (n >= k && strncasecmp(v, ok[i], k) == 0)
			return 1;
	}
	return 0;
}

/* Whether the first bytes h (n of them, all the document's first 256 or
 * the whole of a shorter one) are in such an encoding. */
static int
thin_head_ok(const unsigned char *h, size_t n)
{
	const char *s = (const char *)h, *end, *enc;
	char q;
	size_t i = 0, v;

	/* UTF-16 and -32 (a byte order mark or NULs), EBCDIC's "<?xm". */
	if (memchr(h, 0, n < 4 ? n : 4) != NULL || (n >= 2 &&
	    ((h[0] == 0xFE && h[1] == 0xFF) || (h[0] == 0xFF && h[1] == 0xFE))) ||
	    (n >= 4 && memcmp(h, "\x4C\x6F\xA7\x94", 4) == 0))
		return 0;
	if (n >= 3 && memcmp(h, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	if (n - i < 5 || memcmp(s + i, "<?xml", 5) != 0)
		return 1;
	if ((end = memmem(s + i, n - i, "?>", 2)) == NULL)
		return 0;
	if ((enc = memmem(s + i, (size_t)(end - s) - i, "encoding", 8)) == NULL)
		return 1;
	for (enc += 8; enc < end && (*enc == ' ' || *enc == '=' ||
	    *enc == '\t' || *enc == '\r' || *enc == '\n'); enc++)
		;
	if (enc >= end || (*enc != '"' && *enc != '\''))
		return 0;
	q = *enc++;
	for (v = 0; enc + v < end && enc[v] != q; v++)
		;
	return thin_encoding(enc, v);
}

/* "<!" then "--" (a comment), "[CDATA[" or else a declaration. */
static void
thin_bang(struct thin *t, unsigned char c)
{
	static const char comment[] = "--", cdata[] = "[CDATA[";

	t->bang[t->nbang++] = (char)c;
	if (t->nbang == 2 && memcmp(t->bang, comment, 2) == 0)
		t->state = L_COMMENT;
	else if (t->nbang == 7 && memcmp(t->bang, cdata, 7) == 0)
		t->state = L_CDATA;
	else if ((t->nbang > 2 || memcmp(t->bang, comment, t->nbang) != 0) &&
	    memcmp(t->bang, cdata, t->nbang) != 0)
		t->state = c == '>' ? L_DATA : L_DECL;
	else
		return;
	/* A comment's or a section's end comes after its start. */
	t->fresh = 1;
}

/* Whether, past the cap, bytes may be dropped at all. */
static int
thin_on(struct thin *t)
{
	if (t->seen < sizeof(t->head))
		return 0;
	if (t->enc < 0)
		t->enc = thin_head_ok(t->head, sizeof(t->head));
	return t->enc;
}

/* The markup state after byte c: 1 when c is dropped. */
static int
thin_byte(struct thin *t, unsigned char c)
{
	int drop = 0, safe = thin_safe[c];

	switch (t->state) {
	case L_DATA:
		if (c == '<') {
			t->state = L_LT;
			t->run = 0;
			t->ref = 0;
			break;
		}
		t->run++;
		if (c == '&')
			t->ref = 1;
		else if (t->ref)
			t->ref = c != ';';
		else
			drop = safe && t->prev_safe && t->run > text_cap &&
			    thin_on(t);
		break;
	case L_LT:
		t->nbang = 0;
		t->fresh = 1;
		t->state = c == '!' ? L_BANG : c == '?' ? L_PI : L_TAG;
		if (c == '>')
			t->state = L_DATA;
		else if (c == '"' || c == '\'') {
			t->quote = (char)c;
			t->state = L_QUOTE;
		}
		break;
	case L_TAG:
		if (c == '"' || c == '\'') {
			t->quote = (char)c;
			t->state = L_QUOTE;
		} else if (c == '>')
			t->state = L_DATA;
		break;
	case L_QUOTE:
		if (c == (unsigned char)t->quote)
			t->state = L_TAG;
		break;
	case L_BANG:
		thin_bang(t, c);
		break;
	case L_PI:
		if (c == '>' && t->last[1] == '?')
			t->state = L_DATA;
		break;
	case L_COMMENT:
	case L_CDATA:
		if (c == '>' && t->last[0] == t->last[1] &&
		    t->last[0] == (t->state == L_COMMENT ? '-' : ']'))
			t->state = L_DATA;
		break;
	case L_DECL:
		if (c == '>')
			t->state = L_DATA;
		break;
	}
	t->last[0] = t->fresh ? 0 : t->last[1];
	t->last[1] = t->fresh ? 0 : (char)c;
	t->fresh = 0;
	t->prev_safe = safe;
	return drop;
}

/*
 * Character data from p[i], no reference open and the first bytes seen,
 * up to the next '<' or '&': what thin_byte does to it, a byte at a time
 * without its switch (in character data the last bytes are not needed).
 * Returns where it stopped; *m is where the next byte kept goes.
 */
static size_t
thin_data(struct thin *t, char *p, size_t i, size_t n, size_t *m)
{
	uint64_t run = t->run;
	size_t from = i, k = *m;
	unsigned char c;
	/* The first bytes are seen: whether to thin at all is known.  The
	 * test is of bits, not branches: base64 would mispredict them. */
	int safe, prev = t->prev_safe, enc = thin_on(t);
	size_t cap = text_cap;

	for (; i < n && (c = (unsigned char)p[i]) != '<' && c != '&'; i++) {
		safe = thin_safe[c];
		run++;
		if (!(safe & prev & enc & (run > cap)))
			p[k++] = (char)c;
		prev = safe;
	}
	t->run = run;
	t->prev_safe = prev;
	t->seen += i - from;
	*m = k;
	return i;
}

/* The n bytes of p thinned in place: how many are left. */
static size_t
thin(struct thin *t, char *p, size_t n)
{
	size_t i = 0, m = 0;

	while (i < n) {
		if (t->state == L_DATA && !t->ref &&
		    t->seen >= sizeof(t->head) && (i = thin_data(t, p, i, n,
		    &m)) == n)
			break;
		if (t->seen < sizeof(t->head))
			t->head[t->seen] = (unsigned char)p[i];
		t->seen++;
		if (!thin_byte(t, (unsigned char)p[i]))
			p[m++] = p[i];
		i++;
	}
	return m;
}

/* libxml2's input from a file: the next bytes, thinned; 0 at its end,
 * -1. */
static int
read_fd(void *ctx, char *buf, int len)
{
	struct xml *x = ctx;
	size_t want, left;
	ssize_t r;

	do {
		want = x->src.n - x->at;
		if ((size_t)len < want)
			want = (size_t)len;
		if (want == 0)
			return 0;
		if ((r = rso_pread_full(x->src.fd, buf, want, (off_t)x->at)) <= 0)
			return -1;
		x->at += (size_t)r;
		left = thin(&x->thin, buf, (size_t)r);
	} while (left == 0);
	return (int)left;
}

static int
xml_open(struct xml *x, const struct src *src)
{
	memset(x, 0, sizeof(*x));
	x->src = *src;
	x->thin.enc = -1;
	/* A file is read a piece at a time, never whole. */
	if (src->buf == NULL)
		x->r = xmlReaderForIO(read_fd, NULL, x, NULL, NULL, OPTIONS);
	else
		x->r = xmlReaderForMemory(src->buf, (int)src->n, NULL, NULL,
		    OPTIONS);
	if (x->r == NULL)
		return -1;
	xmlTextReaderSetStructuredErrorHandler(x->r, on_error, x);
	return 0;
}

static void
xml_close(struct xml *x)
{
	if (x->r)
		xmlFreeTextReader(x->r);
	if (x->doc)
		xmlFreeDoc(x->doc);
	x->r = NULL;
	x->doc = NULL;
}

static int
xml_fail(struct xml *x, struct rso_error *e)
{
	if (x->line == 0)
		rso_error_set(e, EX_DATAERR, "line %d: not well-formed XML",
		    x->r ? xmlTextReaderGetParserLineNumber(x->r) : 1);
	else
		rso_error_set(e, EX_DATAERR, "line %d: %s", x->line, x->msg);
	return -1;
}

static int
is_v3(const xmlChar *ns)
{
	return ns != NULL && strcmp((const char *)ns, V3) == 0;
}

/* The local part of a qualified name "p:local". */
static const char *
local_of(const xmlChar *qname)
{
	const char *s = (const char *)qname, *c;

	if (s == NULL)
		return "";
	c = strchr(s, ':');
	return c ? c + 1 : s;
}

/*
 * Read up to the root element: 0 there (a ClinicalDocument in namespace
 * V3, no DOCTYPE before it), 1 when the document is not one, -1 with e
 * filled when it claims to be one but cannot be read.
 */
/* Newlines among the n bytes of p. */
static int
newlines(const char *p, size_t n)
{
	int k = 0;

	while (n-- > 0)
		k += *p++ == '\n';
	return k;
}

/* The line of the DOCTYPE libxml2 parsed (it keeps none for a DTD), 1
 * when none is found: a file is read a piece at a time, the last eight
 * bytes of each again with the next, so a "<!DOCTYPE" across two is
 * whole in the second. */
static int
doctype_line(const struct xml *x)
{
	char piece[4096];
	const char *p = x->src.buf, *hit;
	size_t at = 0, len = x->src.n;
	ssize_t r;
	int line = 1;

	for (;;) {
		if (x->src.buf == NULL) {
			if ((r = pread(x->src.fd, piece, sizeof(piece),
			    (off_t)at)) <= 0)
				return 1;
			p = piece;
			len = (size_t)r;
		}
		if ((hit = memmem(p, len, "<!DOCTYPE", 9)) != NULL)
			return line + newlines(p, (size_t)(hit - p));
		if (x->src.buf != NULL || len < sizeof(piece))
			return 1;
		line += newlines(p, len - 8);
		at += len - 8;
	}
}

/*
 * Whether a document the reader failed on before its root element came
 * out claims to be a ClinicalDocument: the reader parses ahead, so the
 * tree it began may hold the root, and its DOCTYPE names one.
 */
static int
claims(struct xml *x, int *doctype)
{
	xmlNodePtr root;

	if ((x->doc = xmlTextReaderCurrentDoc(x->r)) == NULL)
		return 0;
	if (x->doc->intSubset && *doctype == 0)
		*doctype = doctype_line(x);
	if (x->doc->intSubset && strcmp(local_of(x->doc->intSubset->name),
	    "ClinicalDocument") == 0)
		return 1;
	root = xmlDocGetRootElement(x->doc);
	return root && strcmp((const char *)root->name,
	    "ClinicalDocument") == 0;
}

static int
doctype_refused(int line, struct rso_error *e)
{
	rso_error_set(e, EX_DATAERR, "line %d: DOCTYPE not allowed in a "
	    "C-CDA document (its entities are not expanded)", line);
	return -1;
}

/*
 * Read up to the root element: 0 there (a ClinicalDocument in namespace
 * V3, no DOCTYPE before it), 1 when the document is not one, -1 with e
 * filled when it claims to be one but cannot be read.
 */
static int
xml_root(struct xml *x, struct rso_error *e)
{
	int rc, doctype = 0, line;

	while ((rc = xmlTextReaderRead(x->r)) == 1) {
		if (xmlTextReaderNodeType(x->r) == XML_READER_TYPE_DOCUMENT_TYPE)
			doctype = xmlTextReaderGetParserLineNumber(x->r);
		if (xmlTextReaderNodeType(x->r) == XML_READER_TYPE_ELEMENT)
			break;
	}
	if (rc != 1) {
		if (!claims(x, &doctype))
			return 1;
		return doctype ? doctype_refused(doctype, e) : xml_fail(x, e);
	}
	if (strcmp((const char *)xmlTextReaderConstLocalName(x->r),
	    "ClinicalDocument") != 0)
		return 1;
	line = xmlTextReaderGetParserLineNumber(x->r);
	if (doctype)
		return doctype_refused(doctype, e);
	if (!is_v3(xmlTextReaderConstNamespaceUri(x->r))) {
		rso_error_set(e, EX_DATAERR, "line %d: ClinicalDocument not in "
		    "namespace %s", line > 0 ? line : 1, V3);
		return -1;
	}
	return 0;
}

/* An element's first child element of name in namespace V3, or NULL. */
static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	xmlNodePtr c;

	if (n == NULL)
		return NULL;
	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->ns != NULL &&
		    is_v3(c->ns->href) && strcmp((const char *)c->name,
		    name) == 0)
			return c;
	return NULL;
}

/* child(child(...)) along a path "a/b/c". */
static xmlNodePtr
path(xmlNodePtr n, const char *p)
{
	char step[64];
	size_t k;

	while (n != NULL && *p) {
		k = strcspn(p, "/");
		if (k >= sizeof(step))
			return NULL;
		memcpy(step, p, k);
		step[k] = '\0';
		n = child(n, step);
		p += k + (p[k] == '/');
	}
	return n;
}

/* An attribute (no namespace) as a C string, "" when absent. */
static const char *
attr(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a;

	if (n == NULL)
		return "";
	for (a = n->properties; a; a = a->next)
		if (a->ns == NULL && strcmp((const char *)a->name, name) == 0 &&
		    a->children && a->children->type == XML_TEXT_NODE &&
		    a->children->content)
			return (const char *)a->children->content;
	return "";
}

/*
 * Append the text of n (all of it, its descendants') to dst, runs of
 * white space made one space, a space before it when dst is not empty.
 */
static void
text_of(xmlNodePtr n, char *dst, size_t size)
{
	xmlChar *s;
	size_t len = strlen(dst);
	const char *p;
	int space = len > 0;

	if (n == NULL || (s = xmlNodeGetContent(n)) == NULL)
		return;
	for (p = (const char *)s; *p && len + 1 < size; p++) {
		if (strchr(" \t\r\n", *p)) {
			space = len > 0;
			continue;
		}
		if (space && len + 2 < size)
			dst[len++] = ' ';
		space = 0;
		dst[len++] = *p;
	}
	dst[len] = '\0';
	/* A cut must not leave half a UTF-8 character behind. */
	rso_doc_copy(dst, size, dst, -1);
	xmlFree(s);
}

/* A person's name: its parts in document order, or its text. */
static void
person_name(xmlNodePtr name, char *dst, size_t size)
{
	xmlNodePtr c;
	int parts = 0;

	dst[0] = '\0';
	if (name == NULL)
		return;
	for (c = name->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE) {
			text_of(c, dst, size);
			parts++;
		}
	if (parts == 0)
		text_of(name, dst, size);
}

static void
set_patient_name(struct rso_doc_patient *p, xmlNodePtr name)
{
	char family[128] = "", given[128] = "";
	xmlNodePtr c;

	if (name == NULL || p->name[0] != '\0')
		return;
	for (c = name->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || c->ns == NULL ||
		    !is_v3(c->ns->href))
			continue;
		if (strcmp((const char *)c->name, "family") == 0 &&
		    family[0] == '\0')
			text_of(c, family, sizeof(family));
		else if (strcmp((const char *)c->name, "given") == 0)
			text_of(c, given, sizeof(given));
	}
	rso_doc_set_name(p, family, given);
}

static int
has_id(const struct rso_doc_patient *p, const char *sys, const char *val)
{
	int i;

	for (i = 0; i < p->nid; i++)
		if (strcmp(p->id[i].system, sys) == 0 &&
		    strcmp(p->id[i].value, val) == 0)
			return 1;
	return 0;
}

/* recordTarget: the patient, each field only when d has none yet. */
static void
read_record_target(xmlNodePtr rt, struct rso_doc_info *d)
{
	struct rso_doc_patient *p = &d->patient;
	xmlNodePtr role = child(rt, "patientRole"), pat, c;
	const char *g;

	for (c = role ? role->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->ns && is_v3(c->ns->href) &&
		    strcmp((const char *)c->name, "id") == 0 &&
		    !has_id(p, attr(c, "root"), attr(c, "extension")))
			rso_doc_add_id(p, attr(c, "root"), attr(c, "extension"));
	pat = child(role, "patient");
	set_patient_name(p, child(pat, "name"));
	if (p->birth_date[0] == '\0' &&
	    rso_doc_date(attr(child(pat, "birthTime"), "value"),
	    p->birth_date) != 0)
		p->birth_date[0] = '\0';
	g = attr(child(pat, "administrativeGenderCode"), "code");
	if (p->sex[0] == '\0')
		snprintf(p->sex, sizeof(p->sex), "%s", strcmp(g, "F") == 0 ?
		    "female" : strcmp(g, "M") == 0 ? "male" :
		    strcmp(g, "UN") == 0 ? "unknown" : "");
}

/* What was read so far, and the token of inFulfillmentOf if any. */
struct reading {
	struct rso_doc_info *d;
	int seen_rt, seen_author, seen_order;
	char order_token[RSO_TOKEN_LEN];
	char text_token[RSO_TOKEN_LEN];
	char doc_id[DOC_ID_LEN];	/* "root^extension", for the view */
};

static void
read_header_element(xmlNodePtr n, struct reading *rd)
{
	struct rso_doc_info *d = rd->d;
	const char *name = (const char *)n->name, *t;
	xmlNodePtr c;

	if (strcmp(name, "id") == 0 && rd->doc_id[0] == '\0') {
		snprintf(rd->doc_id, sizeof(rd->doc_id), "%.120s%s%.64s",
		    attr(n, "root"), *attr(n, "extension") ? "^" : "",
		    attr(n, "extension"));
		rso_doc_copy(rd->doc_id, sizeof(rd->doc_id), rd->doc_id, -1);
	} else if (strcmp(name, "recordTarget") == 0 && !rd->seen_rt++) {
		read_record_target(n, d);
	} else if (strcmp(name, "code") == 0 && d->code[0] == '\0') {
		rso_doc_copy(d->code, sizeof(d->code), attr(n, "code"), -1);
		if (d->type[0] == '\0' && (t = rso_doc_type_of_code(d->code)))
			snprintf(d->type, sizeof(d->type), "%s", t);
	} else if (strcmp(name, "title") == 0 && d->title[0] == '\0') {
		text_of(n, d->title, sizeof(d->title));
	} else if (strcmp(name, "effectiveTime") == 0 && d->date[0] == '\0') {
		if (rso_doc_date(attr(n, "value"), d->date) != 0)
			d->date[0] = '\0';
	} else if (strcmp(name, "custodian") == 0 && d->source[0] == '\0') {
		text_of(path(n, "assignedCustodian/"
		    "representedCustodianOrganization/name"), d->source,
		    sizeof(d->source));
	} else if (strcmp(name, "author") == 0 && !rd->seen_author++ &&
	    d->author[0] == '\0') {
		person_name(path(n, "assignedAuthor/assignedPerson/name"),
		    d->author, sizeof(d->author));
	} else if (strcmp(name, "inFulfillmentOf") == 0 && !rd->seen_order) {
		for (c = child(n, "order"); c && (c = child(c, "id")); c = NULL) {
			t = attr(c, "extension");
			if (rso_doc_find_token(t, strlen(t), rd->order_token) == 0)
				rd->seen_order = 1;
		}
	}
}

/* The header elements read, whole, as small trees; all else streamed. */
static const char *const header_names[] = {
	"id", "recordTarget", "code", "title", "effectiveTime", "custodian",
	"author", "inFulfillmentOf", NULL
};

static int
is_header(struct xml *x)
{
	const char *name = (const char *)xmlTextReaderConstLocalName(x->r);
	int i;

	if (xmlTextReaderDepth(x->r) != 1 ||
	    !is_v3(xmlTextReaderConstNamespaceUri(x->r)))
		return 0;
	for (i = 0; header_names[i]; i++)
		if (strcmp(header_names[i], name) == 0)
			return 1;
	return 0;
}

static int
read_body(struct xml *x, struct reading *rd)
{
	const xmlChar *v;
	xmlNodePtr n;
	int rc, type;

	rc = xmlTextReaderRead(x->r);
	while (rc == 1) {
		type = xmlTextReaderNodeType(x->r);
		if (type == XML_READER_TYPE_ELEMENT && is_header(x)) {
			if ((n = xmlTextReaderExpand(x->r)) == NULL)
				return -1;
			read_header_element(n, rd);
			rc = xmlTextReaderNext(x->r);
			continue;
		}
		if ((type == XML_READER_TYPE_TEXT ||
		    type == XML_READER_TYPE_CDATA) &&
		    rd->text_token[0] == '\0' &&
		    (v = xmlTextReaderConstValue(x->r)) != NULL &&
		    rso_doc_find_token((const char *)v, strlen((const char *)v),
		    rd->text_token) != 0)
			rd->text_token[0] = '\0';
		rc = xmlTextReaderRead(x->r);
	}
	return rc;
}

/* rso_cda_read, with what only the view shows: the document's id. */
static int
read_doc(const struct src *src, struct rso_doc_info *d,
    char doc_id[DOC_ID_LEN], struct rso_error *e)
{
	struct rso_doc_info got = *d;
	struct reading rdd, *rd = &rdd;
	struct xml x;
	int rc;

	memset(rd, 0, sizeof(*rd));
	rd->d = &got;
	/* Past 2 GiB libxml2 takes no buffer; the inbox stops far below. */
	if (src->buf != NULL && src->n > INT_MAX)
		return 1;
	if (xml_open(&x, src) != 0)
		return rso_error_set(e, EX_OSERR, "cannot start an XML reader"),
		    -1;
	if ((rc = xml_root(&x, e)) != 0) {
		xml_close(&x);
		return rc;
	}
	if (read_body(&x, rd) != 0) {
		xml_fail(&x, e);
		xml_close(&x);
		return -1;
	}
	xml_close(&x);
	if (got.format == NULL)
		got.format = "cda";
	if (got.token[0] == '\0')
		memcpy(got.token, rd->seen_order ? rd->order_token :
		    rd->text_token, RSO_TOKEN_LEN);
	*d = got;
	memcpy(doc_id, rd->doc_id, DOC_ID_LEN);
	return 0;
}

int
rso_cda_read(const char *buf, size_t n, struct rso_doc_info *d,
    struct rso_error *e)
{
	struct src src = { buf, -1, n };
	char doc_id[DOC_ID_LEN];

	return read_doc(&src, d, doc_id, e);
}

int
rso_cda_read_fd(int fd, size_t n, struct rso_doc_info *d,
    struct rso_error *e)
{
	struct src src = { NULL, fd, n };
	char doc_id[DOC_ID_LEN];

	return read_doc(&src, d, doc_id, e);
}

/*
 * Rendering: a second pass of the reader over the body, each element
 * written as it is met, so the page streams out whatever the size.
 */

static const char style[] =
    "body{font:16px/1.5 system-ui,sans-serif;color:#111;max-width:52em;"
    "margin:1.5em auto;padding:0 1em}"
    "h1{font-size:1.6em;margin:.2em 0 .6em}"
    "h2{font-size:1.3em;border-bottom:1px solid #bbb;margin-top:1.6em}"
    "h3,h4,h5,h6{font-size:1.1em;margin-top:1.2em}"
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;"
    "gap:.2em 1em;background:#f3f5f8;border:1px solid #ccd;"
    "padding:.8em 1em;margin:0 0 1em}"
    "dl.meta dt{font-weight:600;color:#345}dl.meta dd{margin:0}"
    ".section .section{margin-left:1em}"
    "table{border-collapse:collapse;margin:.6em 0}"
    "th,td{border:1px solid #999;padding:.25em .5em;text-align:left;"
    "vertical-align:top}th{background:#eef}"
    "caption{font-weight:600;text-align:left}"
    ".bold{font-weight:700}.italic{font-style:italic}"
    ".underline{text-decoration:underline}"
    ".note{color:#666;font-style:italic}small{display:block;margin:.3em 0}"
    ".footer{margin-top:2em;color:#666;font-size:.85em;"
    "border-top:1px solid #ccc}";

/* Write s escaped for HTML text and attribute values. */
static void
esc(FILE *out, const char *s)
{
	size_t k;

	while (*s) {
		k = strcspn(s, "&<>\"");
		fwrite(s, 1, k, out);
		s += k;
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: return;
		}
		s++;
	}
}

/* A PN "FAMILY^GIVEN" escaped as people write it, "Given Family". */
static void
write_pn(FILE *out, const char *pn)
{
	char family[sizeof(((struct rso_doc_patient *)0)->name)];
	const char *caret = strchr(pn, '^');
	size_t k = caret ? (size_t)(caret - pn) : strlen(pn);

	memcpy(family, pn, k);
	family[k] = '\0';
	if (caret && caret[1]) {
		esc(out, caret + 1);
		if (k)
			fputc(' ', out);
	}
	esc(out, family);
}

static void
meta(FILE *out, const char *label, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	fprintf(out, "<dt>%s</dt><dd>", label);
	esc(out, value);
	fputs("</dd>\n", out);
}

static void
render_head(FILE *out, const struct rso_doc_info *d, const char *doc_id)
{
	const char *title = d->title[0] ? d->title : "Clinical document";
	char kind[64] = "";

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>", out);
	esc(out, title);
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n"
	    "<h1>", style);
	esc(out, title);
	fputs("</h1>\n<dl class=\"meta\">\n", out);
	if (d->patient.name[0]) {
		fputs("<dt>Patient</dt><dd>", out);
		write_pn(out, d->patient.name);
		fputs("</dd>\n", out);
	}
	meta(out, "Birth date", d->patient.birth_date);
	meta(out, "Sex", d->patient.sex);
	meta(out, "Date", d->date);
	if (d->code[0])
		snprintf(kind, sizeof(kind), "%s (LOINC %s)",
		    d->type[0] ? d->type : "document", d->code);
	meta(out, "Type", kind);
	meta(out, "Author", d->author);
	meta(out, "Source", d->source);
	meta(out, "Document id", doc_id);
	fputs("</dl>\n", out);
}

enum kind { K_NONE, K_SECTION, K_TEXT, K_TAG };

struct frame {
	enum kind kind;
	const char *tag;	/* the HTML element open for it, or NULL */
};

struct render {
	struct xml x;
	FILE *out;
	int level;		/* sections open */
	int narrative;		/* depth of the open section text, or 0 */
	int sections;
	struct frame f[DEPTH_MAX];
};

/* Narrative block elements as HTML elements; NULL: text only. */
static const struct {
	const char *cda, *html;
} narr[] = {
	{ "paragraph", "p" }, { "item", "li" }, { "table", "table" },
	{ "thead", "thead" }, { "tbody", "tbody" }, { "tfoot", "tfoot" },
	{ "tr", "tr" }, { "th", "th" }, { "td", "td" }, { "content", "span" },
	{ "sub", "sub" }, { "sup", "sup" }, { "footnote", "small" },
	{ "linkHtml", "span" }, { NULL, NULL }
};

/* An attribute of the reader's current element, for strcmp; free it. */
static char *
rattr(struct render *rr, const char *name)
{
	return (char *)xmlTextReaderGetAttribute(rr->x.r,
	    (const xmlChar *)name);
}

/* styleCode's tokens that change how text reads, as classes. */
static void
write_class(struct render *rr)
{
	static const char *const codes[][2] = { { "Bold", "bold" },
	    { "Italics", "italic" }, { "Emphasis", "italic" },
	    { "Underline", "underline" }, { NULL, NULL } };
	char *sc = rattr(rr, "styleCode"), *tok, *save;
	int i, n = 0;

	if (sc == NULL)
		return;
	for (tok = strtok_r(sc, " \t\r\n", &save); tok;
	    tok = strtok_r(NULL, " \t\r\n", &save))
		for (i = 0; codes[i][0]; i++)
			if (strcmp(tok, codes[i][0]) == 0)
				fprintf(rr->out, "%s%s", n++ ? " " :
				    " class=\"", codes[i][1]);
	if (n)
		fputc('"', rr->out);
	xmlFree(sc);
}

/* colspan and rowspan, when they are small numbers. */
static void
write_span(struct render *rr, const char *name)
{
	char *v = rattr(rr, name);
	size_t k;

	if (v && (k = strspn(v, "0123456789")) > 0 && k < 4 && v[k] == '\0')
		fprintf(rr->out, " %s=\"%s\"", name, v);
	xmlFree(v);
}

static const char *
narrative_tag(struct render *rr, const char *name, int depth)
{
	const char *parent = depth > 0 ? rr->f[depth - 1].tag : NULL;
	char *lt;
	int i;

	if (strcmp(name, "list") == 0) {
		lt = rattr(rr, "listType");
		i = lt && strcmp(lt, "ordered") == 0;
		xmlFree(lt);
		return i ? "ol" : "ul";
	}
	/* caption is HTML's only as a table's. */
	if (strcmp(name, "caption") == 0)
		return parent && strcmp(parent, "table") == 0 ? "caption" :
		    parent && (strcmp(parent, "ul") == 0 ||
		    strcmp(parent, "ol") == 0) ? "li" : "span";
	for (i = 0; narr[i].cda; i++)
		if (strcmp(narr[i].cda, name) == 0)
			return narr[i].html;
	return NULL;
}

/* One element inside a section's text: 0, or 1 when its subtree is
 * skipped (the reader already moved on). */
static int
narrative_open(struct render *rr, const char *name, int depth, int empty)
{
	const char *tag;

	if (strcmp(name, "br") == 0) {
		fputs("<br>", rr->out);
		return 0;
	}
	if (strcmp(name, "renderMultiMedia") == 0) {
		fputs("<span class=\"note\">[multimedia not shown]</span>",
		    rr->out);
		return 1;
	}
	/* References and column widths carry nothing to read. */
	if (strcmp(name, "footnoteRef") == 0 || strcmp(name, "col") == 0 ||
	    strcmp(name, "colgroup") == 0)
		return 1;
	if ((tag = narrative_tag(rr, name, depth)) == NULL)
		return 0;
	fprintf(rr->out, "<%s", tag);
	write_class(rr);
	if (strcmp(tag, "td") == 0 || strcmp(tag, "th") == 0) {
		write_span(rr, "colspan");
		write_span(rr, "rowspan");
	}
	fputc('>', rr->out);
	if (empty)
		fprintf(rr->out, "</%s>", tag);
	else
		rr->f[depth] = (struct frame){ K_TAG, tag };
	return 0;
}

/* Write the current element's text, white space runs made one space. */
static void
write_text_of(struct render *rr)
{
	xmlNodePtr n = xmlTextReaderExpand(rr->x.r);
	char *p, *q;
	xmlChar *s;

	if (n == NULL || (s = xmlNodeGetContent(n)) == NULL)
		return;
	for (p = q = (char *)s; *p; p++)
		if (!strchr(" \t\r\n", *p))
			*q++ = *p;
		else if (q > (char *)s && q[-1] != ' ')
			*q++ = ' ';
	while (q > (char *)s && q[-1] == ' ')
		q--;
	*q = '\0';
	esc(rr->out, (char *)s);
	xmlFree(s);
}

/* An element outside any narrative: 0, or 1 when skipped. */
static int
outline_open(struct render *rr, const char *name, int depth, int empty)
{
	int in_section = depth > 0 && rr->f[depth - 1].kind == K_SECTION;
	int h = rr->level + 1 < 6 ? rr->level + 1 : 6;

	if (strcmp(name, "section") == 0) {
		fputs("<div class=\"section\">\n", rr->out);
		rr->sections++;
		if (empty)
			fputs("</div>\n", rr->out);
		else {
			rr->f[depth] = (struct frame){ K_SECTION, "div" };
			rr->level++;
		}
		return 0;
	}
	if (in_section && strcmp(name, "title") == 0) {
		fprintf(rr->out, "<h%d>", h);
		write_text_of(rr);
		fprintf(rr->out, "</h%d>\n", h);
		return 1;
	}
	if (in_section && strcmp(name, "text") == 0) {
		fputs("<div class=\"narrative\">", rr->out);
		if (empty)
			fputs("</div>\n", rr->out);
		else {
			rr->f[depth] = (struct frame){ K_TEXT, "div" };
			rr->narrative = depth;
		}
		return 0;
	}
	if (strcmp(name, "nonXMLBody") == 0) {
		fputs("<p class=\"note\">The body of this document is not "
		    "structured text (it may be a scanned or PDF document "
		    "inside the XML): see the document as received.</p>\n",
		    rr->out);
		return 1;
	}
	/* Only the way down to sections is followed: entries, codes and
	 * the header hold no narrative. */
	return depth == 0 || strcmp(name, "component") == 0 ||
	    strcmp(name, "structuredBody") == 0 ? 0 : 1;
}

static void
element_close(struct render *rr, int depth)
{
	struct frame *f = &rr->f[depth];

	if (f->kind == K_SECTION) {
		fputs("</div>\n", rr->out);
		rr->level--;
	} else if (f->kind == K_TEXT) {
		fputs("</div>\n", rr->out);
		rr->narrative = 0;
	} else if (f->kind == K_TAG) {
		fprintf(rr->out, "</%s>", f->tag);
	}
	*f = (struct frame){ K_NONE, NULL };
}

static int
element_open(struct render *rr)
{
	xmlTextReaderPtr r = rr->x.r;
	int depth = xmlTextReaderDepth(r);
	int empty = xmlTextReaderIsEmptyElement(r) == 1;
	const char *name = (const char *)xmlTextReaderConstLocalName(r);

	if (depth < 0 || depth >= DEPTH_MAX)
		return 1;
	rr->f[depth] = (struct frame){ K_NONE, NULL };
	if (!is_v3(xmlTextReaderConstNamespaceUri(r)))
		return rr->narrative ? 0 : 1;
	if (rr->narrative)
		return narrative_open(rr, name, depth, empty);
	return outline_open(rr, name, depth, empty);
}

static int
render_body(struct render *rr)
{
	const xmlChar *v;
	int rc, type, depth;

	rc = xmlTextReaderRead(rr->x.r);
	while (rc == 1) {
		type = xmlTextReaderNodeType(rr->x.r);
		depth = xmlTextReaderDepth(rr->x.r);
		if (type == XML_READER_TYPE_ELEMENT && element_open(rr)) {
			rc = xmlTextReaderNext(rr->x.r);
			continue;
		}
		if (type == XML_READER_TYPE_END_ELEMENT && depth >= 0 &&
		    depth < DEPTH_MAX)
			element_close(rr, depth);
		else if (rr->narrative && (type == XML_READER_TYPE_TEXT ||
		    type == XML_READER_TYPE_CDATA ||
		    type == XML_READER_TYPE_WHITESPACE ||
		    type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) &&
		    (v = xmlTextReaderConstValue(rr->x.r)) != NULL)
			esc(rr->out, (const char *)v);
		rc = xmlTextReaderRead(rr->x.r);
	}
	return rc;
}

static int
render(const struct src *src, FILE *out, struct rso_error *e)
{
	static struct render zero;
	struct rso_doc_info d;
	char doc_id[DOC_ID_LEN];
	struct render *rr;
	int rc;

	memset(&d, 0, sizeof(d));
	if ((rc = read_doc(src, &d, doc_id, e)) != 0)
		return rc;
	rr = rso_xmalloc(sizeof(*rr));
	*rr = zero;
	rr->out = out;
	if (xml_open(&rr->x, src) != 0 || xml_root(&rr->x, e) != 0) {
		xml_close(&rr->x);
		free(rr);
		return rso_error_set(e, EX_SOFTWARE, "document read twice "
		    "reads differently"), -1;
	}
	render_head(out, &d, doc_id);
	rc = render_body(rr);
	if (rc == 0 && rr->sections == 0)
		fputs("<p class=\"note\">This document has no sections of "
		    "narrative text.</p>\n", out);
	fputs("<p class=\"footer\">Shown by rso from the C-CDA document as "
	    "received; the document itself is the record.</p>\n</body>\n"
	    "</html>\n", out);
	if (rc != 0)
		xml_fail(&rr->x, e);
	xml_close(&rr->x);
	free(rr);
	if (rc == 0 && (fflush(out) != 0 || ferror(out)))
		return rso_error_set(e, EX_IOERR, "cannot write the page"), -1;
	return rc == 0 ? 0 : -1;
}

int
rso_cda_render(const char *buf, size_t n, FILE *out, struct rso_error *e)
{
	struct src src = { buf, -1, n };

	return render(&src, out, e);
}

int
rso_cda_render_fd(int fd, size_t n, FILE *out, struct rso_error *e)
{
	struct src src = { NULL, fd, n };

	return render(&src, out, e);
}
