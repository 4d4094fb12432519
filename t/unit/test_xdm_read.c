/* Unit tests for rso_xdm_read: METADATA.XML as other systems write it. */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_xdm_read.h"
#include "tap.h"

/* A submission set of two documents, with the set's classifications at
 * the top of the list and the entries' nested, as both occur. */
static const char base[] =
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
"<lcm:SubmitObjectsRequest xmlns:lcm=\"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0\"\n"
" xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">\n"
"<rim:RegistryObjectList>\n"
"<rim:RegistryPackage id=\"SS\">\n"
" <rim:Slot name=\"submissionTime\"><rim:ValueList><rim:Value>20260914083000</rim:Value></rim:ValueList></rim:Slot>\n"
" <rim:Slot name=\"intendedRecipient\"><rim:ValueList><rim:Value>Second Opinion Office^^^^^^^^^@TITLE@</rim:Value></rim:ValueList></rim:Slot>\n"
" <rim:Name><rim:LocalizedString value=\"Records for consult\"/></rim:Name>\n"
" <rim:Description><rim:LocalizedString value=\"@COMMENTS@\"/></rim:Description>\n"
" <rim:Classification id=\"ssa\" classificationScheme=\"urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d\" classifiedObject=\"SS\" nodeRepresentation=\"\">\n"
"  <rim:Slot name=\"authorInstitution\"><rim:ValueList><rim:Value>Synthetic General Hospital^^^^^&amp;1.2.3.4&amp;ISO^^^^99</rim:Value></rim:ValueList></rim:Slot>\n"
" </rim:Classification>\n"
" <rim:ExternalIdentifier id=\"ssu\" identificationScheme=\"urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8\" registryObject=\"SS\" value=\"1.2.3.4.5.100\"/>\n"
" <rim:ExternalIdentifier id=\"sss\" identificationScheme=\"urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832\" registryObject=\"SS\" value=\"1.2.3.4\"/>\n"
"</rim:RegistryPackage>\n"
"<rim:Classification id=\"ssn\" classifiedObject=\"SS\" classificationNode=\"urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd\"/>\n"
"<rim:ExtrinsicObject id=\"D1\" mimeType=\"application/pdf\" objectType=\"urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1\">\n"
" <rim:Slot name=\"creationTime\"><rim:ValueList><rim:Value>20260310101500</rim:Value></rim:ValueList></rim:Slot>\n"
" @HASH@\n"
" @SIZE@\n"
" @URI@\n"
" <rim:Slot name=\"sourcePatientId\"><rim:ValueList><rim:Value>MRN123^^^&amp;1.2.3.4.1&amp;ISO</rim:Value></rim:ValueList></rim:Slot>\n"
" <rim:Slot name=\"sourcePatientInfo\"><rim:ValueList>\n"
"  <rim:Value>PID-3|MRN123^^^&amp;1.2.3.4.1&amp;ISO~X9^^^LOCAL</rim:Value>\n"
"  <rim:Value>PID-5|O\\S\\Brien&amp;O'Brien^Anna^Q^^</rim:Value>\n"
"  <rim:Value>PID-7|19610301</rim:Value>\n"
"  <rim:Value>PID-8|F</rim:Value>\n"
" </rim:ValueList></rim:Slot>\n"
" <rim:Name><rim:LocalizedString value=\"Surgical pathology report\"/></rim:Name>\n"
" <rim:Classification id=\"c1\" classificationScheme=\"urn:uuid:f0306f51-975f-434e-a61c-c59651d33983\" classifiedObject=\"D1\" nodeRepresentation=\"11526-1\">\n"
"  <rim:Slot name=\"codingScheme\"><rim:ValueList><rim:Value>2.16.840.1.113883.6.1</rim:Value></rim:ValueList></rim:Slot>\n"
" </rim:Classification>\n"
" <rim:Classification id=\"c2\" classificationScheme=\"urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d\" classifiedObject=\"D1\" nodeRepresentation=\"\">\n"
"  <rim:Slot name=\"authorPerson\"><rim:ValueList><rim:Value>77^Path^Pat^^^Dr</rim:Value></rim:ValueList></rim:Slot>\n"
"  <rim:Slot name=\"authorInstitution\"><rim:ValueList><rim:Value>Synthetic Pathology Lab</rim:Value></rim:ValueList></rim:Slot>\n"
" </rim:Classification>\n"
" <rim:ExternalIdentifier id=\"e1\" identificationScheme=\"urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427\" registryObject=\"D1\" value=\"AFF7^^^&amp;1.9.9&amp;ISO\"/>\n"
" <rim:ExternalIdentifier id=\"e2\" identificationScheme=\"urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab\" registryObject=\"D1\" value=\"1.2.3.4.5.1\"/>\n"
"</rim:ExtrinsicObject>\n"
"<rim:ExtrinsicObject id=\"D2\" mimeType=\"Text/Plain; charset=UTF-8\" objectType=\"urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1\">\n"
" <rim:Slot name=\"creationTime\"><rim:ValueList><rim:Value>20260311</rim:Value></rim:ValueList></rim:Slot>\n"
" <rim:Slot name=\"hash\"><rim:ValueList><rim:Value>0123456789ABCDEF0123456789abcdef01234567</rim:Value></rim:ValueList></rim:Slot>\n"
" <rim:Slot name=\"size\"><rim:ValueList><rim:Value>12</rim:Value></rim:ValueList></rim:Slot>\n"
" <rim:Slot name=\"URI\"><rim:ValueList><rim:Value>1|notes/</rim:Value><rim:Value>2|lab%20note.txt</rim:Value></rim:ValueList></rim:Slot>\n"
" <rim:Slot name=\"legalAuthenticator\"><rim:ValueList><rim:Value>88^Lab^Lee</rim:Value></rim:ValueList></rim:Slot>\n"
"</rim:ExtrinsicObject>\n"
"<rim:Classification id=\"c3\" classificationScheme=\"urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a\" classifiedObject=\"D2\" nodeRepresentation=\"11502-2\">\n"
" <rim:Slot name=\"codingScheme\"><rim:ValueList><rim:Value>LOINC</rim:Value></rim:ValueList></rim:Slot>\n"
"</rim:Classification>\n"
"<rim:Association id=\"a1\" associationType=\"urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember\" sourceObject=\"SS\" targetObject=\"D1\"/>\n"
"<rim:Association id=\"a2\" associationType=\"urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember\" sourceObject=\"SS\" targetObject=\"D2\"/>\n"
"</rim:RegistryObjectList>\n"
"</lcm:SubmitObjectsRequest>\n";

#define HASH "<rim:Slot name=\"hash\"><rim:ValueList><rim:Value>da39a3ee5e6b4b0d3255bfef95601890afd80709</rim:Value></rim:ValueList></rim:Slot>"
#define SIZE "<rim:Slot name=\"size\"><rim:ValueList><rim:Value>0</rim:Value></rim:ValueList></rim:Slot>"
#define URI "<rim:Slot name=\"URI\"><rim:ValueList><rim:Value>DOC0001.PDF</rim:Value></rim:ValueList></rim:Slot>"

/* base with each @KEY@ replaced by its value (malloc'd). */
static char *
make(const char *comments, const char *title, const char *hash,
    const char *size, const char *uri)
{
	const char *keys[] = { "@COMMENTS@", "@TITLE@", "@HASH@", "@SIZE@",
	    "@URI@" };
	const char *vals[] = { comments, title, hash, size, uri };
	char *out = strdup(base), *p, *n;
	size_t i;

	for (i = 0; i < 5; i++) {
		p = strstr(out, keys[i]);
		if (asprintf(&n, "%.*s%s%s", (int)(p - out), out, vals[i],
		    p + strlen(keys[i])) < 0)
			abort();
		free(out);
		out = n;
	}
	return out;
}

/* Parse x; the status, with the message in msg. */
static int
try(const char *x, struct rso_xdm_meta *m, char *msg)
{
	struct rso_error e = { 0, "" };
	int rc = rso_xdm_parse(x, strlen(x), m, &e);

	snprintf(msg, 512, "%s", rc ? e.msg : "");
	return rc;
}

static void
bad(const char *x, const char *want, const char *what)
{
	struct rso_xdm_meta m;
	char msg[512];
	int rc = try(x, &m, msg);

	ok(rc == EX_DATAERR, "%s: rejected", what);
	is_str(msg, want, "%s: why", what);
	rso_xdm_meta_free(&m);
}

static void
good(void)
{
	struct rso_xdm_meta m;
	struct rso_doc_info *d;
	char msg[512], *x = make("Re: REQ-7K3M9Q", "", HASH, SIZE, URI);

	is_int(try(x, &m, msg), 0, "a submission set of two entries parses");
	is_str(msg, "", "no message");
	is_str(m.unique_id, "1.2.3.4.5.100", "set uniqueId");
	is_str(m.source_id, "1.2.3.4", "set sourceId");
	is_str(m.title, "Records for consult", "set title");
	is_str(m.time, "2026-09-14T08:30:00Z", "submissionTime as RFC 3339");
	is_str(m.source, "Synthetic General Hospital", "set author institution");
	is_str(m.token, "REQ-7K3M9Q", "token in the set's comments");
	is_int(m.n, 2, "two entries");
	d = &m.entry[0].doc;
	is_str(d->format, "xdm", "format");
	is_str(m.entry[0].uri, "DOC0001.PDF", "URI");
	is_str(m.entry[0].sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709",
	    "hash");
	is_int(m.entry[0].size, 0, "size");
	is_str(m.entry[0].mime, "application/pdf", "mimeType");
	is_str(m.entry[0].unique_id, "1.2.3.4.5.1", "entry uniqueId");
	is_str(d->title, "Surgical pathology report", "title");
	is_str(d->date, "2026-03-10", "creationTime");
	is_str(d->type, "pathology", "typeCode 11526-1 is pathology");
	is_str(d->code, "11526-1", "code");
	is_str(d->patient.name, "O Brien^Anna Q",
	    "PID-5 unescaped: \\S\\ is ^, made a space in a PN");
	is_str(d->patient.birth_date, "1961-03-01", "PID-7");
	is_str(d->patient.sex, "female", "PID-8");
	is_int(d->patient.nid, 3, "PID-3 twice and the affinity id, once each");
	is_str(d->patient.id[0].value, "MRN123", "PID-3 value");
	is_str(d->patient.id[0].system, "1.2.3.4.1", "PID-3 authority OID");
	is_str(d->patient.id[1].system, "LOCAL", "PID-3 namespace");
	is_str(d->patient.id[2].value, "AFF7", "patientId");
	is_str(d->author, "Pat Path", "authorPerson as Given Family");
	is_str(d->source, "Synthetic Pathology Lab", "authorInstitution");
	is_str(d->token, "REQ-7K3M9Q", "the set's token on each entry");
	d = &m.entry[1].doc;
	is_str(m.entry[1].uri, "notes/lab note.txt",
	    "a split URI joined, percent-decoded");
	is_str(m.entry[1].sha1, "0123456789abcdef0123456789abcdef01234567",
	    "hash lowercased");
	is_str(m.entry[1].mime, "text/plain", "mimeType without parameters");
	is_str(d->type, "lab", "classCode LOINC when there is no typeCode");
	is_str(d->date, "2026-03-11", "a DTM of a day");
	is_str(d->author, "Lee Lab", "legalAuthenticator as the author");
	is_str(d->source, "Synthetic General Hospital",
	    "the set's institution when the entry has none");
	is_str(d->patient.name, "", "no sourcePatientInfo, no name");
	is_str(d->token, "REQ-7K3M9Q", "token on the second entry too");
	rso_xdm_meta_free(&m);
	free(x);

	x = make("", "REQ-ABCDEF", HASH, SIZE, URI);
	is_int(try(x, &m, msg), 0, "a token in intendedRecipient");
	is_str(m.entry[1].doc.token, "REQ-ABCDEF", "...is every entry's");
	rso_xdm_meta_free(&m);
	free(x);
	x = make("", "", HASH, SIZE, URI);
	is_int(try(x, &m, msg), 0, "no token");
	is_str(m.entry[0].doc.token, "", "...none on the entries");
	rso_xdm_meta_free(&m);
	free(x);
}

/* s with its first from replaced by to (malloc'd; s is freed). */
static char *
edit(char *s, const char *from, const char *to)
{
	char *p = strstr(s, from), *n;

	if (p == NULL || asprintf(&n, "%.*s%s%s", (int)(p - s), s, to,
	    p + strlen(from)) < 0)
		abort();
	free(s);
	return n;
}

/* s with the text from "from" to the end of the first "to" after it cut
 * and put back just before "before" (malloc'd; s is freed). */
static char *
move(char *s, const char *from, const char *to, const char *before)
{
	char *a = strstr(s, from), *b, *cut;

	if (a == NULL || (b = strstr(a, to)) == NULL)
		abort();
	b += strlen(to);
	if (asprintf(&cut, "%.*s%s", (int)(b - a), a, before) < 0)
		abort();
	memmove(a, b, strlen(b) + 1);
	s = edit(s, before, cut);
	free(cut);
	return s;
}

/* x in an unlinked temporary file, for rso_xdm_read. */
static FILE *
temp_file(const char *x)
{
	FILE *f = tmpfile();

	if (f == NULL || fputs(x, f) == EOF || fflush(f) != 0)
		abort();
	return f;
}

/* What rso_xdm_read told, up to four entries. */
struct told {
	size_t n, fail_at;
	size_t k[4];
	struct rso_xdm_entry x[4];
};

static int
tell(void *ctx, size_t k, const struct rso_xdm_entry *x, struct rso_error *e)
{
	struct told *t = ctx;

	if (k == t->fail_at)
		return rso_error_set(e, EX_IOERR, "spool: full");
	if (t->n < 4) {
		t->k[t->n] = k;
		t->x[t->n] = *x;
	}
	t->n++;
	return 0;
}

/* Whether x parses to what ref says: the set, and each entry exactly. */
static int
same_as(const char *x, const struct rso_xdm_meta *ref)
{
	struct rso_xdm_meta m;
	struct rso_error e = { 0, "" };
	int same = rso_xdm_parse(x, strlen(x), &m, &e) == 0 &&
	    memcmp(&m, ref, offsetof(struct rso_xdm_meta, entry)) == 0 &&
	    m.n == ref->n;

	for (size_t i = 0; same && i < m.n; i++)
		same = memcmp(&m.entry[i], &ref->entry[i], sizeof(m.entry[i]))
		    == 0;
	rso_xdm_meta_free(&m);
	return same;
}

/*
 * The read from a file, in two passes that hold one object at a time:
 * what it tells is what rso_xdm_parse keeps, whatever the order of the
 * list, and whatever stands between its objects.
 */
static void
streamed(void)
{
	struct rso_xdm_meta ref, m;
	struct rso_error e = { 0, "" };
	struct told t = { 0, 0 };
	char msg[512], *x = make("Re: REQ-7K3M9Q", "", HASH, SIZE, URI), *y;
	FILE *f = temp_file(x);

	is_int(try(x, &ref, msg), 0, "the reference parse");
	is_int(rso_xdm_read(fileno(f), strlen(x), &m, tell, &t, &e), 0,
	    "read from a file");
	is_int(t.n, 2, "each entry told once");
	is_int(m.n, 2, "...and counted");
	ok(m.entry == NULL, "...not kept");
	is_int(t.k[1], 2, "...numbered from 1");
	ok(memcmp(&m, &ref, offsetof(struct rso_xdm_meta, entry)) == 0,
	    "the set as rso_xdm_parse reads it");
	is_str(t.x[0].doc.token, "", "an entry is told before the token is "
	    "known");
	rso_xdm_entry_finish(&m, &t.x[0]);
	rso_xdm_entry_finish(&m, &t.x[1]);
	ok(memcmp(&t.x[0], &ref.entry[0], sizeof(t.x[0])) == 0 &&
	    memcmp(&t.x[1], &ref.entry[1], sizeof(t.x[1])) == 0,
	    "finished, each entry is what rso_xdm_parse keeps");
	rso_xdm_meta_free(&m);

	t = (struct told){ 0, 2 };
	is_int(rso_xdm_read(fileno(f), strlen(x), &m, tell, &t, &e), EX_IOERR,
	    "the callback's failure stops the read");
	is_str(e.msg, "spool: full", "...and is returned as it is");
	is_int(t.n, 1, "...no entry told after it");
	rso_xdm_meta_free(&m);
	t = (struct told){ 0, 0 };
	is_int(rso_xdm_read(fileno(f), strlen(x) + 10, &m, tell, &t, &e),
	    EX_IOERR, "a file shorter than said");
	is_str(e.msg, "METADATA.XML: shorter than it was", "...says so");
	rso_xdm_meta_free(&m);
	fclose(f);

	/* ebRS lets every classification and identifier stand at the top of
	 * the list, after what it names: the first pass keeps those. */
	y = move(strdup(x), "<rim:RegistryPackage", "</rim:RegistryPackage>\n",
	    "</rim:RegistryObjectList>");
	y = move(y, "<rim:Classification id=\"ssn\"", "/>\n",
	    "</rim:RegistryObjectList>");
	y = move(y, " <rim:Classification id=\"c1\"", "</rim:Classification>\n",
	    "</rim:RegistryObjectList>");
	y = move(y, " <rim:Classification id=\"c2\"", "</rim:Classification>\n",
	    "</rim:RegistryObjectList>");
	y = move(y, " <rim:ExternalIdentifier id=\"e1\"", "/>\n",
	    "</rim:RegistryObjectList>");
	y = move(y, " <rim:ExternalIdentifier id=\"e2\"", "/>\n",
	    "</rim:RegistryObjectList>");
	ok(strstr(y, "</rim:ExtrinsicObject>") < strstr(y, "id=\"c1\"") &&
	    strstr(y, "</rim:ExtrinsicObject>") < strstr(y, "id=\"SS\""),
	    "(the set and D1's classifications now after the entries)");
	ok(same_as(y, &ref), "the set and the classifications after the "
	    "entries: the same");
	free(y);
	y = edit(strdup(x), "</rim:RegistryPackage>\n",
	    "</rim:RegistryPackage>\nstray text\n");
	y = edit(y, "</rim:ExtrinsicObject>\n",
	    "</rim:ExtrinsicObject>\nmore <!-- a comment --> text<?pi x?>\n");
	ok(same_as(y, &ref), "text and comments between the objects: the "
	    "same");
	free(y);
	rso_xdm_meta_free(&ref);
	free(x);

	/* The token the second entry names is the first's too. */
	x = edit(make("", "", HASH, SIZE, URI), "88^Lab^Lee</rim:Value>"
	    "</rim:ValueList></rim:Slot>\n", "88^Lab^Lee</rim:Value>"
	    "</rim:ValueList></rim:Slot>\n <rim:Description><rim:Localized"
	    "String value=\"Lab for REQ-ABCDEF\"/></rim:Description>\n");
	is_int(try(x, &m, msg), 0, "a token in the second entry only");
	is_str(m.entry[0].doc.token, "REQ-ABCDEF", "...is the first's too");
	rso_xdm_meta_free(&m);
	free(x);
}

static void
bads(void)
{
	char *x;

	x = make("REQ-7K3M9Q", "REQ-ABCDEF", HASH, SIZE, URI);
	bad(x, "METADATA.XML: submission set: two different request tokens",
	    "two tokens");
	free(x);
	x = make("", "", "", SIZE, URI);
	bad(x, "METADATA.XML: document entry 1: no \"hash\" slot", "no hash");
	free(x);
	x = make("", "", "<rim:Slot name=\"hash\"><rim:ValueList><rim:Value>"
	    "abc</rim:Value></rim:ValueList></rim:Slot>", SIZE, URI);
	bad(x, "METADATA.XML: document entry 1: \"hash\" is not a SHA-1 in hex",
	    "short hash");
	free(x);
	x = make("", "", HASH, "", URI);
	bad(x, "METADATA.XML: document entry 1: no \"size\" slot", "no size");
	free(x);
	x = make("", "", HASH, "<rim:Slot name=\"size\"><rim:ValueList><rim:Value>"
	    "-1</rim:Value></rim:ValueList></rim:Slot>", URI);
	bad(x, "METADATA.XML: document entry 1: \"size\" is not a number of "
	    "bytes", "negative size");
	free(x);
	x = make("", "", HASH, SIZE, "");
	bad(x, "METADATA.XML: document entry 1: no \"URI\" slot", "no URI");
	free(x);
	x = make("", "", HASH, SIZE, "<rim:Slot name=\"URI\"><rim:ValueList>"
	    "<rim:Value>../../etc/passwd</rim:Value></rim:ValueList></rim:Slot>");
	bad(x, "METADATA.XML: document entry 1: \"URI\" does not name a file "
	    "of its folder", "URI with ..");
	free(x);
	x = make("", "", HASH, SIZE, "<rim:Slot name=\"URI\"><rim:ValueList>"
	    "<rim:Value>/etc/passwd</rim:Value></rim:ValueList></rim:Slot>");
	bad(x, "METADATA.XML: document entry 1: \"URI\" does not name a file "
	    "of its folder", "absolute URI");
	free(x);
	x = make("", "", HASH, SIZE, "<rim:Slot name=\"URI\"><rim:ValueList>"
	    "<rim:Value>http://example.org/x</rim:Value></rim:ValueList>"
	    "</rim:Slot>");
	bad(x, "METADATA.XML: document entry 1: \"URI\" does not name a file "
	    "of its folder", "URL");
	free(x);
	x = make("", "", HASH, SIZE, "<rim:Slot name=\"URI\"><rim:ValueList>"
	    "<rim:Value>a%00b</rim:Value></rim:ValueList></rim:Slot>");
	bad(x, "METADATA.XML: document entry 1: \"URI\" does not name a file "
	    "of its folder", "a NUL in a URI");
	free(x);
	x = make("", "", HASH, SIZE, "<rim:Slot name=\"URI\"><rim:ValueList>"
	    "<rim:Value>notes/lab%20note.txt</rim:Value></rim:ValueList>"
	    "</rim:Slot>");
	bad(x, "METADATA.XML: document entry 2: \"URI\" names the file of an "
	    "earlier entry", "two entries, one file");
	free(x);

	bad("<a><b></a>", "METADATA.XML: line 1: not well-formed XML",
	    "malformed");
	bad("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    "]>\n<lolz>&lol3;</lolz>\n",
	    "METADATA.XML: has a document type declaration (refused: it may "
	    "declare entities)", "entity bomb");
	bad("<!DOCTYPE x SYSTEM \"http://127.0.0.1:9/x.dtd\"><x/>",
	    "METADATA.XML: has a document type declaration (refused: it may "
	    "declare entities)", "external DTD");
	bad("<x>&ext;</x>", "METADATA.XML: line 1: not well-formed XML",
	    "an undeclared entity");
	bad("<lcm:SubmitObjectsRequest xmlns:lcm=\"urn:x\"/>",
	    "METADATA.XML: not an ebRS SubmitObjectsRequest with a "
	    "RegistryObjectList", "no list");
	bad("<SubmitObjectsRequest><RegistryObjectList/></SubmitObjectsRequest>",
	    "METADATA.XML: no submission set", "no set");
	bad("<SubmitObjectsRequest><RegistryObjectList><RegistryPackage id=\"a\">"
	    "<Classification classificationNode=\"urn:uuid:a54d6aa5-d40d-43f9-"
	    "88c5-b4633d873bdd\"/></RegistryPackage></RegistryObjectList>"
	    "</SubmitObjectsRequest>", "METADATA.XML: submission set: no "
	    "XDSSubmissionSet.uniqueId", "set without uniqueId");
	bad("<SubmitObjectsRequest><RegistryObjectList><RegistryPackage>"
	    "<ExternalIdentifier identificationScheme=\"urn:uuid:96fdda7c-d067-"
	    "4183-912e-bf5ee74998a8\" value=\"1.2\"/></RegistryPackage>"
	    "</RegistryObjectList></SubmitObjectsRequest>",
	    "METADATA.XML: no document entry", "no entries");
	bad("<SubmitObjectsRequest><RegistryObjectList><RegistryPackage>"
	    "<ExternalIdentifier identificationScheme=\"urn:uuid:96fdda7c-d067-"
	    "4183-912e-bf5ee74998a8\" value=\"1.2\"/></RegistryPackage>"
	    "<RegistryPackage>"
	    "<ExternalIdentifier identificationScheme=\"urn:uuid:96fdda7c-d067-"
	    "4183-912e-bf5ee74998a8\" value=\"1.3\"/></RegistryPackage>"
	    "</RegistryObjectList></SubmitObjectsRequest>",
	    "METADATA.XML: more than one submission set", "two sets");
	bad("", "METADATA.XML: line 1: not well-formed XML", "empty");
}

int
main(void)
{
	good();
	streamed();
	bads();
	return tap_done();
}
