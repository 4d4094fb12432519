/* Unit tests for rso_bundle and rso_base64_decode: what a FHIR Bundle's
 * patient and attachments say, and each reject.  Synthetic data only. */
/* SPDX-License-Identifier: ISC */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_base64.h"
#include "rso_bundle.h"
#include "rso_bundle_priv.h"
#include "rso_err.h"
#include "tap.h"

#define MAXATT 8

struct got {
	int n, notes;
	struct rso_bundle_att att[MAXATT];
	char data[MAXATT][64];
	char note[160];
};

/* The first bytes of an attachment, as a string, into buf. */
struct text {
	char *buf;
	size_t size, n;
};

static int
text_put(void *ctx, const void *p, size_t n, struct rso_error *e)
{
	struct text *t = ctx;
	size_t take = t->size - 1 - t->n < n ? t->size - 1 - t->n : n;

	(void)e;
	memcpy(t->buf + t->n, p, take);
	t->n += take;
	t->buf[t->n] = '\0';
	return 0;
}

static int
take(void *ctx, const struct rso_bundle_att *a, struct rso_error *e)
{
	struct got *g = ctx;
	struct text t;
	int rc = 0;

	if (g->n < MAXATT) {
		g->att[g->n] = *a;
		t.buf = g->data[g->n];
		t.size = sizeof(g->data[0]);
		t.n = 0;
		t.buf[0] = '\0';
		rc = rso_bundle_att_read(a, text_put, &t, e);
		/* Its bytes are the reader's, only while the call lasts. */
		g->att[g->n].bytes = NULL;
	}
	g->n++;
	return rc;
}

static void
noted(void *ctx, const char *what)
{
	struct got *g = ctx;

	g->notes++;
	snprintf(g->note, sizeof(g->note), "%s", what);
}

static struct got g;
static struct rso_doc_info bdoc;
static struct rso_error err;

/* The readers' spool (rso_bundle_reader.spool): none, an unnamed file
 * in memory, none to be had, or a file that takes no bytes. */
static int (*spool_fn)(void *ctx);
static int spools;

static int
memfd_spool(void *ctx)
{
	(void)ctx;
	spools++;
	return memfd_create("test_bundle_spill", 0);
}

static int
no_spool(void *ctx)
{
	(void)ctx;
	spools++;
	errno = ENOSPC;
	return -1;
}

static int
full_spool(void *ctx)
{
	(void)ctx;
	spools++;
	return open("/dev/full", O_RDWR | O_CLOEXEC);
}

/* A spool that takes the runs but cannot give them back to be merged. */
static int
unreadable_spool(void *ctx)
{
	char path[] = "/tmp/test_bundle_spool.XXXXXX";
	int fd = mkstemp(path), wfd;

	(void)ctx;
	spools++;
	if (fd < 0)
		return -1;
	wfd = open(path, O_WRONLY | O_CLOEXEC);
	unlink(path);
	close(fd);
	return wfd;
}

static int
run(const char *json, long long max)
{
	struct rso_bundle_reader r = { max, take, noted, &g, spool_fn };

	memset(&g, 0, sizeof(g));
	memset(&bdoc, 0, sizeof(bdoc));
	memset(&err, 0, sizeof(err));
	return rso_bundle_read(json, strlen(json), &r, &bdoc, &err);
}

#define PATIENT "{\"fullUrl\":\"urn:uuid:11111111-1111-4111-8111-111111111111\"," \
	"\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"," \
	"\"identifier\":[{\"system\":\"urn:oid:2.16.840.1.113883.19.5\"," \
	"\"value\":\"MRN-0001\"}],\"name\":[{\"use\":\"old\",\"family\":\"Old\"}," \
	"{\"use\":\"official\",\"family\":\"Zztest\",\"given\":[\"Ada\",\"Q\"]}]," \
	"\"gender\":\"female\",\"birthDate\":\"1970-02-03\"," \
	"\"managingOrganization\":{\"reference\":\"Organization/o1\"}}}"
#define ORG "{\"fullUrl\":\"http://example.org/fhir/Organization/o1\"," \
	"\"resource\":{\"resourceType\":\"Organization\",\"id\":\"o1\"," \
	"\"name\":\"Elsewhere General\"}}"
#define PRAC "{\"fullUrl\":\"urn:uuid:22222222-2222-4222-8222-222222222222\"," \
	"\"resource\":{\"resourceType\":\"Practitioner\",\"name\":[{\"family\":" \
	"\"Yytest\",\"given\":[\"Bo\"]}]}}"
#define DOCREF "{\"resource\":{\"resourceType\":\"DocumentReference\"," \
	"\"status\":\"current\",\"masterIdentifier\":{\"value\":\"REQ-7K3M9Q\"}," \
	"\"type\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":" \
	"\"11526-1\"}],\"text\":\"Pathology study\"},\"date\":" \
	"\"2026-08-14T09:30:00Z\",\"author\":[{\"reference\":" \
	"\"urn:uuid:22222222-2222-4222-8222-222222222222\"}],\"custodian\":" \
	"{\"reference\":\"Organization/o1\"},\"contained\":[{\"resourceType\":" \
	"\"Binary\",\"id\":\"b1\",\"contentType\":\"text/plain\",\"data\":" \
	"\"bGFiIHRleHQ=\"}],\"content\":[" \
	"{\"attachment\":{\"contentType\":\"application/pdf\",\"data\":" \
	"\"JVBERi0xLjQgc3ludGhldGlj\",\"size\":18,\"hash\":" \
	"\"sipTV8iPrw44JOSYrEBtAmiH/cU=\",\"title\":\"Biopsy\"}}," \
	"{\"attachment\":{\"url\":\"#b1\"}}," \
	"{\"attachment\":{\"url\":\"https://example.org/fhir/Binary/zz\"}}]}}"
#define BINARY "{\"fullUrl\":\"urn:uuid:33333333-3333-4333-8333-333333333333\"," \
	"\"resource\":{\"resourceType\":\"Binary\",\"id\":\"b2\"," \
	"\"contentType\":\"application/x-unknown\",\"data\":\"aGVsbG8=\"}}"
#define REPORT "{\"resource\":{\"resourceType\":\"DiagnosticReport\"," \
	"\"status\":\"final\",\"category\":[{\"coding\":[{\"system\":" \
	"\"http://terminology.hl7.org/CodeSystem/v2-0074\",\"code\":\"LAB\"}]}]," \
	"\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":" \
	"\"24323-8\",\"display\":\"Metabolic panel\"}]},\"effectiveDateTime\":" \
	"\"2026-08-01\",\"performer\":[{\"reference\":" \
	"\"http://example.org/fhir/Organization/o1\"}],\"presentedForm\":[" \
	"{\"url\":\"urn:uuid:33333333-3333-4333-8333-333333333333\",\"size\":5}," \
	"{\"url\":\"Binary/b2\"}]}}"

static void
test_base64(void)
{
	unsigned char *b;
	size_t n;

	ok(rso_base64_decode("aGVs\nbG8=", 9, &b, &n) == 0 && n == 5 &&
	    memcmp(b, "hello", 5) == 0, "base64: line breaks skipped");
	free(b);
	ok(rso_base64_decode("", 0, &b, &n) == 0 && n == 0, "base64: empty");
	free(b);
	ok(rso_base64_decode("aGVsbG8", 7, &b, &n) == -1, "base64: cut short");
	ok(rso_base64_decode("aGV*bG8=", 8, &b, &n) == -1,
	    "base64: outside the alphabet");
	ok(rso_base64_decode("aG=sbG8=", 8, &b, &n) == -1,
	    "base64: padding inside");
	ok(rso_base64_decode("aGVsbG8=aGVs", 12, &b, &n) == -1,
	    "base64: text after padding");
	ok(rso_base64_decode("aGVsbG9=", 8, &b, &n) == -1,
	    "base64: bits under the padding");
	ok(rso_base64_decode("a===", 4, &b, &n) == -1, "base64: three pads");
}

static void
test_not_bundles(void)
{
	is_int(run("{\"resourceType\":\"Patient\"}", 0), 1,
	    "a resource that is not a Bundle is not ours");
	is_int(run("just text, resourceType Bundle", 0), 1,
	    "text that is not JSON is not ours");
	is_int(run("[1,2]", 0), 1, "a JSON array is not ours");
	is_int(g.n, 0, "...and nothing was called");
	is_int(run("{\"resourceType\":\"\\u0042undle\",\"entry\":[]}", 0), 1,
	    "a Bundle that never writes the word is not looked for");
}

static void
test_broken(void)
{
	is_int(run("{\"resourceType\":\"Bundle\",\n\"entry\":[", 0), EX_DATAERR,
	    "a Bundle cut short is a reject");
	is_str(err.msg, "bundle: line 2: column 9: cut short", "...saying where");
	run("{\"resourceType\":\"Bundle\",\"type\":\"x\",\"type\":\"Zztest\"}",
	    0);
	is_str(err.msg, "bundle: line 1: column 42: duplicate member name",
	    "duplicate members are refused, the value never quoted");
	run("{\"resourceType\":\"Bundle\",\"entry\":{}}", 0);
	is_str(err.msg, "bundle: entry: not an array", "entry must be a list");
}

static void
test_good(void)
{
	const char *b = "{\"resourceType\":\"Bundle\",\"type\":\"searchset\","
	    "\"timestamp\":\"2026-09-01T10:00:00Z\",\"entry\":[" PATIENT "," ORG
	    "," PRAC "," DOCREF "," BINARY "," REPORT "," PATIENT "]}";

	is_int(run(b, 0), 0, "a searchset is read");
	is_int(g.n, 4, "four attachments taken");
	is_int(g.notes, 1, "one noted, not fetched");
	is_str(g.note, "entry 4: attachment 3: url: outside the Bundle, never "
	    "fetched (not filed)", "...saying why");
	is_str(g.att[0].where, "entry 4: attachment 1", "where");
	is_str(g.data[0], "%PDF-1.4 synthetic", "inline data decoded");
	is_str(g.att[0].media, "application/pdf", "declared type kept");
	is_str(g.att[0].doc.format, "fhir", "format");
	is_str(g.att[0].doc.patient.name, "Zztest^Ada Q", "official name");
	is_str(g.att[0].doc.patient.birth_date, "1970-02-03", "birth date");
	is_str(g.att[0].doc.patient.sex, "female", "sex");
	ok(g.att[0].doc.patient.nid == 1 && strcmp(g.att[0].doc.patient.id[0].
	    value, "MRN-0001") == 0, "the same patient twice: one identifier");
	is_str(g.att[0].doc.type, "pathology", "type from LOINC");
	is_str(g.att[0].doc.code, "11526-1", "code");
	is_str(g.att[0].doc.date, "2026-08-14", "date");
	is_str(g.att[0].doc.title, "Biopsy", "attachment title");
	is_str(g.att[0].doc.author, "Bo Yytest", "author resolved");
	is_str(g.att[0].doc.source, "Elsewhere General", "custodian resolved");
	is_str(g.att[0].doc.token, "REQ-7K3M9Q", "token in masterIdentifier");
	is_str(g.data[1], "lab text", "contained Binary");
	is_str(g.att[1].media, "text/plain", "the Binary's type");
	is_str(g.att[1].doc.title, "Pathology study", "title from type");
	is_str(g.att[2].where, "entry 6: attachment 1", "report's form");
	is_str(g.data[2], "hello", "Binary by urn:uuid");
	is_str(g.att[2].media, "text/plain", "unknown type: what the bytes say");
	is_str(g.att[2].doc.type, "lab", "LAB section makes a lab");
	is_str(g.att[2].doc.date, "2026-08-01", "effectiveDateTime");
	is_str(g.att[2].doc.source, "Elsewhere General",
	    "performer by absolute URL");
	is_str(g.att[2].doc.title, "Metabolic panel", "code display");
	is_str(g.att[2].doc.token, "REQ-7K3M9Q", "no token of its own: the one another resource carries");
	is_str(g.data[3], "hello", "Binary by Type/id");
	is_str(bdoc.type, "report", "the Bundle of two documents: a report");
	is_str(bdoc.date, "2026-09-01", "...of its timestamp");
	is_str(bdoc.source, "Elsewhere General", "...from the managing org");
	is_str(bdoc.title, "FHIR Bundle searchset", "...titled");
	is_str(bdoc.token, "REQ-7K3M9Q", "...with its documents' token");
	is_str(bdoc.patient.name, "Zztest^Ada Q", "...and patient");
}

static void
test_rejects(void)
{
	const char *pre = "{\"resourceType\":\"Bundle\",\"entry\":[";
	char b[4096];

	snprintf(b, sizeof(b), "%s%s]}", pre, DOCREF);
	is_int(run(b, 1), EX_DATAERR, "over the attachment bound");
	is_str(err.msg, "bundle: more than 1 attachments (inbox.max_members)",
	    "...says so");
	is_int(g.n, 0, "...and nothing was handed over");

	snprintf(b, sizeof(b), "%s%s]}", pre, REPORT);
	run(b, 0);
	is_str(err.msg, "bundle: entry 1: attachment 1: url: no such Binary in "
	    "the Bundle", "a missing Binary");
	snprintf(b, sizeof(b), "%s{\"resource\":{\"resourceType\":"
	    "\"DocumentReference\",\"content\":[{\"attachment\":{\"data\":"
	    "\"aGVsbG8\"}}]}}]}", pre);
	run(b, 0);
	is_str(err.msg, "bundle: entry 1: attachment 1: data: not clean base64",
	    "bad base64");
	snprintf(b, sizeof(b), "%s{\"resource\":{\"resourceType\":"
	    "\"DocumentReference\",\"content\":[{\"attachment\":{\"data\":"
	    "\"aGVsbG8=\",\"size\":6}}]}}]}", pre);
	run(b, 0);
	is_str(err.msg, "bundle: entry 1: attachment 1: size: does not match the "
	    "data", "wrong size");
	snprintf(b, sizeof(b), "%s{\"resource\":{\"resourceType\":"
	    "\"DocumentReference\",\"content\":[{\"attachment\":{\"data\":"
	    "\"aGVsbG8=\",\"hash\":\"sipTV8iPrw44JOSYrEBtAmiH/cU=\"}}]}}]}", pre);
	run(b, 0);
	is_str(err.msg, "bundle: entry 1: attachment 1: hash: does not match the "
	    "data", "wrong hash");
	snprintf(b, sizeof(b), "%s%s,{\"resource\":{\"resourceType\":"
	    "\"Patient\",\"name\":[{\"family\":\"Other\"}]}}]}", pre, PATIENT);
	is_int(run(b, 0), EX_DATAERR, "two patients");
	is_str(err.msg, "bundle: entry 2: a second patient (a Bundle is matched "
	    "as one patient's)", "...say which entry, not who");
	snprintf(b, sizeof(b), "%s{\"resource\":{\"resourceType\":"
	    "\"DocumentReference\",\"content\":[{\"attachment\":{\"url\":"
	    "\"#nope\"}}]}}]}", pre);
	run(b, 0);
	is_str(err.msg, "bundle: entry 1: attachment 1: url: no such Binary in "
	    "the Bundle", "a contained Binary not there");
	snprintf(b, sizeof(b), "%s%s,{\"resource\":{\"resourceType\":"
	    "\"DocumentReference\",\"content\":[{\"attachment\":{\"url\":"
	    "\"Patient/p1\"}}]}}]}", pre, PATIENT);
	run(b, 0);
	is_str(err.msg, "bundle: entry 2: attachment 1: url: names a resource "
	    "that is not a Binary", "a url naming a Patient");
}

static void
test_single(void)
{
	char b[4096];

	snprintf(b, sizeof(b), "{\"resourceType\":\"Bundle\",\"identifier\":"
	    "{\"value\":\"REQ-ABCDEF\"},\"entry\":[{\"resource\":{"
	    "\"resourceType\":\"DocumentReference\",\"type\":{\"coding\":[{"
	    "\"system\":\"http://loinc.org\",\"code\":\"18748-4\"}]},\"context\":"
	    "{\"period\":{\"start\":\"2026-07-04\"}},\"content\":[{\"attachment\":"
	    "{\"data\":\"aGVsbG8=\"}},{\"attachment\":{\"url\":"
	    "\"records/0002-x.txt\"}}]}}]}");
	is_int(run(b, 0), 0, "one DocumentReference");
	is_str(g.note, "entry 1: attachment 2: url: names nothing in the Bundle "
	    "(not filed)", "a relative url that is no Binary: noted");
	is_str(bdoc.type, "imaging", "the Bundle takes its one document's type");
	is_str(bdoc.date, "2026-07-04", "...its day from the context period");
	is_str(bdoc.token, "REQ-ABCDEF", "Bundle.identifier's token");
	is_str(g.att[0].doc.token, "REQ-ABCDEF", "...which the document gets");
	is_str(bdoc.patient.name, "", "no Patient, no name");
}

/* The reader of a file, on the same bytes. */
static int
run_fd(const char *json, size_t n, long long max)
{
	struct rso_bundle_reader r = { max, take, noted, &g, spool_fn };
	int fd, rc;

	memset(&g, 0, sizeof(g));
	memset(&bdoc, 0, sizeof(bdoc));
	memset(&err, 0, sizeof(err));
	if ((fd = memfd_create("test_bundle", 0)) < 0 ||
	    write(fd, json, n) != (ssize_t)n)
		return -1;
	rc = rso_bundle_read_fd(fd, n, &r, &bdoc, &err);
	close(fd);
	return rc;
}

/*
 * Faults at the root, outside any entry: where jansson puts them for the
 * whole file (after the token at fault), as the scanner of the root finds
 * them.
 */
static void
test_root_faults(void)
{
	static const struct {
		const char *json, *msg, *what;
	} t[] = {
		{ "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{}}\n"
		  "  {\"resource\":{}}]}", "bundle: line 2: column 3: invalid JSON",
		  "no comma between entries" },
		{ "{\"resourceType\":\"Bundle\",\"entry\":[]}\n\n  xyz",
		  "bundle: line 3: column 5: invalid JSON",
		  "text after the root" },
		{ "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{}},\n"
		  "{\"resource\":{\"id\":\"a\"}", "bundle: line 2: column 22: cut "
		  "short", "cut short in the entries" },
		{ "{\"resourceType\":\"Bundle\",\n\"entry\":[],\n\"entry\":[]}",
		  "bundle: line 3: column 7: duplicate member name",
		  "entry twice" },
		{ "{\"resourceType\":\"Bundle\",\"entry\":[],}",
		  "bundle: line 1: column 37: invalid JSON", "a comma at the end" },
		{ "{\"resourceType\":\"Bundle\" \"entry\":[]}",
		  "bundle: line 1: column 32: invalid JSON",
		  "no comma between members" },
		{ "{\"resourceType\":\"Bundle\",\"entry\"[]}",
		  "bundle: line 1: column 33: invalid JSON", "no colon" },
		{ "{\"resourceType\":\"Bundle\",\"entry\":[1 2]}",
		  "bundle: line 1: column 37: invalid JSON",
		  "two numbers as entries" },
		{ "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{"
		  "\"text\":\"\xc3\xa9\xc3\xa9\"}} \xff]}",
		  "bundle: line 1: column 61: invalid UTF-8",
		  "a byte that is not UTF-8 between entries, columns in characters" },
		{ "\xef\xbb\xbf{\"resourceType\":\"Bundle\"}",
		  "bundle: line 1: column 1: invalid JSON",
		  "a byte-order mark (jansson takes none)" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		is_int(run(t[i].json, 0), EX_DATAERR, t[i].what);
		is_str(err.msg, t[i].msg, "...at jansson's place");
		is_int(run_fd(t[i].json, strlen(t[i].json), 0), EX_DATAERR,
		    "...and from a file");
		is_str(err.msg, t[i].msg, "...at the same place");
	}
	is_int(run("{\"resourceType\":\"Patient\",\"x\":[1,2]} trailing", 0),
	    1, "a broken non-Bundle is not ours");
}

/*
 * jansson drops a NUL right after a number or a literal (its lexer's
 * pushback is a NUL-ended buffer): such a Bundle is read as it always
 * was, and places after the NUL are counted without it.
 */
static void
test_nul(void)
{
	static const char ok_json[] = "{\"resourceType\":\"Bundle\","
	    "\"total\":1\0,\"entry\":[{\"a\":true\0},2\0]}";
	static const char bad_json[] = "{\"resourceType\":\"Bundle\","
	    "\"entry\":[{\"a\":1\0,\"b\":2\0\n, \"c\":x}]}";
	static const char two_json[] = "{\"resourceType\":\"Bundle\","
	    "\"total\":1\0\0}";

	is_int(run_fd(ok_json, sizeof(ok_json) - 1, 0), 0,
	    "a NUL after a number or literal is passed over");
	is_int(run_fd(bad_json, sizeof(bad_json) - 1, 0), EX_DATAERR,
	    "a fault after such NULs");
	is_str(err.msg, "bundle: line 2: column 7: invalid JSON",
	    "...is placed as jansson places it");
	is_int(run_fd(two_json, sizeof(two_json) - 1, 0), EX_DATAERR,
	    "a second NUL is a fault");
	is_str(err.msg, "bundle: line 1: column 35: cut short",
	    "...jansson's kind of fault (it takes the NUL for the end)");
}

/* Entries nested as deep as jansson allows in the whole file, and one
 * level more: an entry read alone stands three levels deeper. */
static void
test_depth(void)
{
	const char *pre = "{\"resourceType\":\"Bundle\",\"entry\":[{\"x\":";
	size_t d, plen = strlen(pre), at;
	char *b = malloc(plen + 2 * 2048 + 16);

	for (d = 2044; d <= 2045; d++) {
		memcpy(b, pre, plen);
		at = plen;
		memset(b + at, '[', d);
		at += d;
		b[at++] = '1';
		memset(b + at, ']', d);
		at += d;
		memcpy(b + at, "}]}", 4);
		if (d == 2044)
			is_int(run(b, 0), 0, "a value at depth 2048 is read");
		else {
			is_int(run(b, 0), EX_DATAERR, "at depth 2049 it is not");
			is_str(err.msg, "bundle: line 1: column 2085: invalid JSON",
			    "...said where jansson says it");
		}
	}
	free(b);
}

/*
 * A file larger than the window, with entries larger than it: the
 * window slides and grows, and places stay the file's.
 */
static void
test_large_file(void)
{
	static const char doc[] = "{\"resource\":{\"resourceType\":"
	    "\"DocumentReference\",\"content\":[{\"attachment\":{\"data\":\"";
	size_t cap = 1 << 20, n = 0, i, k, big = 300000;
	char *b = malloc(cap);

	n += (size_t)snprintf(b + n, cap - n, "{\"resourceType\":\"Bundle\","
	    "\"entry\":[\n");
	for (k = 0; k < 3000; k++)
		n += (size_t)snprintf(b + n, cap - n, "{\"fullUrl\":\"urn:uuid:"
		    "%zu\",\"resource\":{\"resourceType\":\"Observation\"}},\n",
		    k);
	n += (size_t)snprintf(b + n, cap - n, "%s", doc);
	for (i = 0; i < big; i += 4)
		memcpy(b + n + i, "aGVs", 4);
	n += big;
	n += (size_t)snprintf(b + n, cap - n, "\"}}]}}]}");
	is_int(run_fd(b, n, 0), 0, "a Bundle of 900 KB read from a file");
	ok(g.n == 1 && g.att[0].n == big / 4 * 3, "...its large attachment whole");
	is_str(g.att[0].where, "entry 3001: attachment 1", "...counted");
	memcpy(b + n - 3, "}\n}", 4);
	is_int(run_fd(b, n + 1, 0), EX_DATAERR, "cut short after it");
	is_str(err.msg, "bundle: line 3003: column 1: invalid JSON",
	    "...said where");
	free(b);
}

/* A Bundle of one DocumentReference whose attachment is att (JSON). */
static const char *
one_doc(const char *att)
{
	static char b[4096];

	snprintf(b, sizeof(b), "{\"resourceType\":\"Bundle\",\"entry\":["
	    "{\"resource\":{\"resourceType\":\"DocumentReference\","
	    "\"content\":[{\"attachment\":%s}]}}]}", att);
	return b;
}

/* A Bundle of one DocumentReference cut short in its attachment att. */
static const char *
cut_doc(const char *att)
{
	static char b[4096];

	snprintf(b, sizeof(b), "{\"resourceType\":\"Bundle\",\"entry\":["
	    "{\"resource\":{\"resourceType\":\"DocumentReference\","
	    "\"content\":[{\"attachment\":%s", att);
	return b;
}

/*
 * A Bundle whose data is the JSON text fmt with %zu the offset of clean
 * base64 text ("hello") elsewhere in it: what a place of it would be.
 */
static const char *
forged_place(const char *fmt)
{
	static char b[4096];
	char att[256], data[64];
	size_t at;

	snprintf(att, sizeof(att), "{\"title\":\"aGVsbG8=\",\"data\":\"%s\"}",
	    fmt);
	at = (size_t)(strstr(one_doc(att), "aGVsbG8=") - one_doc(att));
	snprintf(data, sizeof(data), fmt, at);
	snprintf(att, sizeof(att), "{\"title\":\"aGVsbG8=\",\"data\":\"%s\"}",
	    data);
	snprintf(b, sizeof(b), "%s", one_doc(att));
	return b;
}

/* json read from memory and from a file: the same status and message
 * (or data) from both, which is returned. */
static int
run_both(const char *json, int *same)
{
	char msg[sizeof(err.msg)], data[sizeof(g.data[0])];
	int rc;

	rc = run(json, 0);
	snprintf(msg, sizeof(msg), "%s", err.msg);
	snprintf(data, sizeof(data), "%s", g.data[0]);
	*same = run_fd(json, strlen(json), 0) == rc &&
	    strcmp(err.msg, msg) == 0 && strcmp(g.data[0], data) == 0;
	return rc;
}

/*
 * A "data" string is never held: the scanner hands jansson its place
 * instead, and the attachment is decoded from the file.  What a sender
 * writes there is read as it always was, and no text of theirs is
 * taken for a place.
 */
static void
test_data_swapped(void)
{
	int same;

	is_int(run_both(one_doc("{\"data\":\"Pz8\\/aGVs\\nbG8=\"}"), &same),
	    0, "data with \\/ and \\n escapes");
	is_str(g.data[0], "???hello", "...decoded from the file's text");
	ok(same, "...and from memory alike");
	is_int(run_both(one_doc("{\"d\\u0061ta\":\"\\u0061GVsbG8=\"}"),
	    &same), 0, "a name and data written with \\u escapes");
	is_str(g.data[0], "hello", "...read as jansson reads them");
	ok(same, "...from both alike");
	is_int(run_both(forged_place("\\u0001%zu:8"), &same), EX_DATAERR,
	    "a sender's text written as the place of clean base64");
	is_str(err.msg, "bundle: entry 1: attachment 1: data: not clean base64",
	    "...is the text it is, not clean");
	ok(same, "...from both alike");
	is_int(run_both(forged_place("\\u0001%zu:8\\u00e9"), &same),
	    EX_DATAERR, "...and such text with more, kept for jansson");
	is_str(err.msg, "bundle: entry 1: attachment 1: data: not clean base64",
	    "...too");
	ok(same, "...from both alike");
	is_int(run_both(one_doc("{\"data\":\"aGVs\u00e9bG8=\"}"), &same),
	    EX_DATAERR, "data of UTF-8 text, kept for jansson");
	is_str(err.msg, "bundle: entry 1: attachment 1: data: not clean base64",
	    "...not clean");
	is_int(run_both(one_doc("{\"data\":\"aGVsbG8=\",\"data\":\"aGk=\"}"),
	    &same), EX_DATAERR, "data twice in one attachment");
	is_str(err.msg, "bundle: line 1: column 132: duplicate member name",
	    "...placed in the file, past the swapped string, as jansson does");
	ok(same, "...from both alike");
	is_int(run_both(one_doc("{\"data\":\"aGVsbG8=\"} x"), &same),
	    EX_DATAERR, "a fault after a swapped string");
	is_str(err.msg, "bundle: line 1: column 128: invalid JSON",
	    "...placed as jansson places it");
	ok(same, "...from both alike");
	is_int(run_both(cut_doc("{\"data\":\"aGVsbG8"), &same), EX_DATAERR,
	    "a file cut short in clean data");
	is_str(err.msg, "bundle: line 1: column 123: cut short",
	    "...at its end, as jansson says (its place is cut short too)");
	ok(same, "...from both alike");
	is_int(run_both(cut_doc("{\"data\":\"aGVs\\u00"), &same), EX_DATAERR,
	    "a file cut short in an escape of data");
	is_str(err.msg, "bundle: line 1: column 124: invalid JSON",
	    "...an escape jansson finds invalid");
	ok(same, "...from both alike");
	is_int(run_both(one_doc("{\"data\":\"aGVs\tbG8=\"}"), &same),
	    EX_DATAERR, "a raw tab in data, kept for jansson");
	is_str(err.msg, "bundle: line 1: column 120: invalid JSON",
	    "...which finds the fault where it is");
	ok(same, "...from both alike");
}

/* The file being read, and what the first attachment's callback does to
 * it before the second is handed over. */
static int changed_fd = -1;
static off_t changed_at;
static int change_truncates;

static int
take_and_change(void *ctx, const struct rso_bundle_att *a,
    struct rso_error *e)
{
	struct got *gg = ctx;
	int rc = take(ctx, a, e);

	if (gg->n == 1) {
		if (change_truncates)
			rc = ftruncate(changed_fd, changed_at);
		else
			rc = pwrite(changed_fd, "*", 1, changed_at) != 1;
	}
	return rc;
}

/*
 * A Bundle's file that changes between the check and the handing over
 * (past the reader's window, which a title larger than it keeps the
 * second attachment out of): its attachment is not handed over as it was
 * checked, but refused as a file that cannot be read (EX_IOERR), for the
 * caller to name.
 */
/* A root of rest plus members "m0".."m(n-1)": as wide as a flood. */
static char *
wide_root(const char *rest, int n)
{
	size_t cap = strlen(rest) + 16 * (size_t)n + 8, len;
	char *b = rso_xmalloc(cap);
	int i;

	len = (size_t)snprintf(b, cap, "{%s", rest);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len, ",\"m%d\":0", i);
	snprintf(b + len, cap - len, "}");
	return b;
}

/*
 * A root far wider than a Bundle's is never kept name by name: past
 * BSCAN_MAX_ROOT members the scan stops, a reject when the file says it
 * is a Bundle, else not ours.
 */
static void
test_wide_root(void)
{
	char *b;
	int same;

	b = wide_root("\"resourceType\":\"Bundle\"", BSCAN_MAX_ROOT - 1);
	is_int(run_both(b, &same), 0, "a Bundle of as many root members as "
	    "may be");
	ok(same, "...from both alike");
	free(b);
	b = wide_root("\"resourceType\":\"Bundle\"", BSCAN_MAX_ROOT);
	is_int(run_both(b, &same), EX_DATAERR, "...and one more");
	is_str(err.msg, "bundle: more than 1000 members in its root object",
	    "...saying so");
	ok(same, "...from both alike");
	free(b);
	b = wide_root("\"resourceType\":\"Bundle\"", BSCAN_MAX_ROOT);
	memcpy(strstr(b, "m999"), "m998", 4);
	is_int(run(b, 0), EX_DATAERR, "...whatever follows");
	is_str(err.msg, "bundle: more than 1000 members in its root object",
	    "...a name twice past the limit not looked for");
	free(b);
	b = wide_root("\"note\":\"Bundle\"", 2 * BSCAN_MAX_ROOT);
	is_int(run(b, 0), 1, "wide JSON that only says Bundle is not ours");
	free(b);
	b = wide_root("\"resourceType\":\"Basic\",\"note\":\"Bundle\"",
	    2 * BSCAN_MAX_ROOT);
	is_int(run(b, 0), 1, "...nor a wide resource of another type");
	free(b);
}

static void
test_changed(void)
{
	static const char pre[] = "{\"resourceType\":\"Bundle\",\"entry\":["
	    "{\"resource\":{\"resourceType\":\"DocumentReference\","
	    "\"content\":[{\"attachment\":{\"contentType\":\"text/plain\","
	    "\"data\":\"aGk=\"}},{\"attachment\":{\"contentType\":"
	    "\"text/plain\",\"title\":\"";
	static const char post[] = "\",\"data\":\"aGVsbG8=\"}}]}}]}";
	struct rso_bundle_reader r = { 0, take_and_change, noted, &g,
	    spool_fn };
	size_t title = 200000, n = strlen(pre) + title + strlen(post);
	char *b = malloc(n + 1);
	int k, rc;

	memcpy(b, pre, strlen(pre));
	memset(b + strlen(pre), 'x', title);
	memcpy(b + strlen(pre) + title, post, strlen(post) + 1);
	for (k = 0; k < 2; k++) {
		memset(&g, 0, sizeof(g));
		memset(&err, 0, sizeof(err));
		change_truncates = k;
		changed_at = (off_t)(strstr(b, "aGVsbG8=") - b + 2);
		if ((changed_fd = memfd_create("test_bundle", 0)) < 0 ||
		    write(changed_fd, b, n) != (ssize_t)n)
			rc = -1;
		else
			rc = rso_bundle_read_fd(changed_fd, n, &r, &bdoc, &err);
		close(changed_fd);
		is_int(rc, EX_IOERR, k ? "a file cut short under the reader" :
		    "base64 altered under the reader");
		is_str(err.msg, k ? "shorter than it was" : "changed while read",
		    "...says only why");
		is_str(g.data[0], "hi", "...after the attachment before it");
	}
	free(b);
}

static void
test_role_cycle(void)
{
	char b[4096];

	snprintf(b, sizeof(b), "{\"resourceType\":\"Bundle\",\"entry\":["
	    "{\"resource\":{\"resourceType\":\"PractitionerRole\",\"id\":"
	    "\"r1\",\"practitioner\":{\"reference\":\"PractitionerRole/r1\"}}},"
	    "{\"resource\":{\"resourceType\":\"DocumentReference\",\"author\":"
	    "[{\"reference\":\"PractitionerRole/r1\"}],\"content\":[{"
	    "\"attachment\":{\"data\":\"aGVsbG8=\"}}]}}]}");
	is_int(run(b, 0), 0, "a PractitionerRole naming itself ends");
	is_str(g.att[0].doc.author, "", "...without a name");
}

/*
 * A Bundle of n entries: a DocumentReference first whose author, subject
 * and attachment name entries far after it, then n - 4 Observations with
 * a fullUrl and an id, the Practitioner, the Binary, and the Patient last.
 */
static char *
many_entries(int n)
{
	size_t cap = (size_t)n * 200 + 4096, len;
	char *b = rso_xmalloc(cap);
	int i;

	len = (size_t)snprintf(b, cap, "{\"resourceType\":\"Bundle\","
	    "\"type\":\"collection\",\"entry\":[{\"resource\":{"
	    "\"resourceType\":\"DocumentReference\",\"subject\":{"
	    "\"reference\":\"Patient/p1\"},\"author\":[{\"reference\":"
	    "\"urn:uuid:22222222-2222-4222-8222-222222222222\"}],"
	    "\"content\":[{\"attachment\":{\"url\":"
	    "\"urn:uuid:33333333-3333-4333-8333-333333333333\"}}]}}");
	for (i = 0; i < n - 4; i++)
		len += (size_t)snprintf(b + len, cap - len, ",{\"fullUrl\":"
		    "\"urn:uuid:00000000-0000-4000-8000-%012d\",\"resource\":{"
		    "\"resourceType\":\"Observation\",\"id\":\"o%d\"}}", i, i);
	snprintf(b + len, cap - len, ",%s,%s,%s]}", PRAC, BINARY, PATIENT);
	return b;
}

/*
 * Past a bound the index of the entries, and the list of those to read
 * again, go to the spool: the same Bundle reads the same whatever the
 * bound, with the keys in one run or in hundreds merged, read back a
 * block at a time; without a spool to be had it reads from memory; a
 * spool that cannot be written is the read's fault, exit 74.
 */
static void
test_spill(void)
{
	char *b = many_entries(3000);
	static const size_t bounds[] = { 0, 1, 7, 256, 1000, 6000 };
	size_t i;

	spool_fn = memfd_spool;
	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		rso_bundle_thin_spill(bounds[i]);
		spools = 0;
		is_int(run_fd(b, strlen(b), 0), 0, "3,000 entries, spilled past "
		    "%zu keys: read", bounds[i]);
		ok(g.n == 1 && strcmp(g.data[0], "hello") == 0, "...the "
		    "attachment after them found by its url");
		is_str(g.att[0].doc.patient.name, "Zztest^Ada Q",
		    "...the patient after them by Patient/id");
		is_str(g.att[0].doc.author, "Bo Yytest", "...the author by "
		    "its fullUrl");
		is_int(spools, bounds[i] == 0 || bounds[i] == 6000 ? 0 : 1,
		    "...one spool made, if past the bound");
	}
	rso_bundle_thin_spill(1);
	spool_fn = no_spool;
	is_int(run_fd(b, strlen(b), 0), 0, "no spool to be had: read from "
	    "memory");
	ok(g.n == 1 && strcmp(g.data[0], "hello") == 0, "...the attachment "
	    "found");
	spool_fn = full_spool;
	is_int(run_fd(b, strlen(b), 0), EX_IOERR, "a spool that takes no "
	    "bytes: exit 74");
	is_str(err.msg, "spool: No space left on device", "...saying why");
	is_int(g.n, 0, "...nothing handed over");
	spool_fn = unreadable_spool;
	is_int(run_fd(b, strlen(b), 0), EX_IOERR, "a spool that cannot be "
	    "read back: exit 74");
	is_str(err.msg, "spool: Bad file descriptor", "...saying why");
	is_int(g.n, 0, "...nothing handed over");
	spool_fn = NULL;
	rso_bundle_thin_spill(0);
	free(b);
}

/* Every test that reads a Bundle. */
static void
test_readers(void)
{
	test_not_bundles();
	test_wide_root();
	test_broken();
	test_good();
	test_rejects();
	test_single();
	test_role_cycle();
	test_data_swapped();
	test_changed();
	test_root_faults();
	test_nul();
	test_depth();
	test_large_file();
}

int
main(void)
{
	test_base64();
	test_readers();
	test_spill();
	/* Every test again, each key past a Bundle's first spilled to a
	 * spool of its own (the Bundles of more than one key: test_good's
	 * and test_rejects'). */
	rso_bundle_thin_spill(1);
	spool_fn = memfd_spool;
	spools = 0;
	test_readers();
	ok(spools >= 4, "the tests again, keys spilled (%d spools)", spools);
	return tap_done();
}
