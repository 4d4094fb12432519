/* Unit tests for rso_hl7_read: splitting files into messages, reading one. */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rso_hl7_read.h"
#include "hl7_thinned.h"
#include "tap.h"

/* Synthetic messages only. */
#define MDM "MSH|^~\\&|EPIC|GENHOSP^2.16.840.1.113883.19.5^ISO|RSO|RSO|" \
	"20260310120000||MDM^T02^MDM_T02|C1|P|2.5.1||||||UNICODE UTF-8\r" \
	"EVN|T02|20260310120000\r" \
	"PID|1||MRN123^^^GENHOSP&2.16.840.1.113883.19.5&ISO^MR~" \
	"999-00-1234^^^SSA^SS||O\\T\\Brien^Se\\S\\n Q^Anne||19700102|F\r" \
	"PV1|1|O\r" \
	"TXA|1|11488-4^Consult note^LN|TX|20260301093000-0500|" \
	"D123^Smith^John^K^^Dr|20260302||||||REQ-7K3M9Q\r" \
	"OBX|1|TX|11488-4^Consult note^LN||Some text\\.br\\more\r"

#define ORU "MSH#^~\\&#LAB#NORTHLAB#RSO#RSO#20260311##ORU^R01#C2#P#2.5.1\n" \
	"PID#1##L55^^^NORTHLAB^MR##Doe^Jane##19800229#M\n" \
	"ORC#RE#PLC-1\n" \
	"OBR#1#PLC-1#FIL-1#24317-0^Hemogram^LN###20260305#########" \
	"O1^Order^Olga################P1&Path&Pia\n" \
	"OBX#1#NM#718-7^Hgb^LN##13.5#g/dL\n"

static int
read_one(const char *msg, struct rso_doc_info *d, char *why)
{
	return rso_hl7_read(msg, strlen(msg), d, why, 128);
}

static void
test_mdm(void)
{
	struct rso_doc_info d;
	char why[128] = "";

	ok(read_one(MDM, &d, why) == 0, "MDM^T02 read (%s)", why);
	is_str(d.format, "hl7v2", "format");
	is_str(d.patient.name, "O&Brien^Se n Q Anne", "escapes in PID-5 "
	    "(a PN's separator a space), given and middle");
	is_str(d.patient.birth_date, "1970-01-02", "PID-7");
	is_str(d.patient.sex, "female", "PID-8");
	is_int(d.patient.nid, 2, "PID-3 repetitions");
	is_str(d.patient.id[0].system, "2.16.840.1.113883.19.5",
	    "authority's universal id");
	is_str(d.patient.id[0].value, "MRN123", "CX.1");
	is_str(d.patient.id[1].system, "SSA", "else its namespace");
	is_str(d.type, "note", "TXA-2 LOINC consult note");
	is_str(d.code, "11488-4", "its code");
	is_str(d.title, "Consult note", "its text");
	is_str(d.date, "2026-03-01", "TXA-4");
	is_str(d.author, "John K Smith", "TXA-5");
	is_str(d.source, "GENHOSP", "MSH-4 namespace");
	is_str(d.token, "REQ-7K3M9Q", "TXA-14 placer number");
}

static void
test_oru(void)
{
	struct rso_doc_info d;
	char why[128] = "";

	ok(read_one(ORU, &d, why) == 0, "ORU^R01 with '#', LF ends (%s)", why);
	is_str(d.patient.name, "Doe^Jane", "name");
	is_str(d.patient.birth_date, "1980-02-29", "leap day");
	is_str(d.patient.sex, "male", "sex");
	is_str(d.type, "lab", "a hemogram is lab");
	is_str(d.date, "2026-03-05", "OBR-7");
	is_str(d.author, "Pia Path", "OBR-32 interpreter");
	is_str(d.source, "NORTHLAB", "source");
	is_str(d.token, "", "no token");
}

static void
test_types(void)
{
	struct rso_doc_info d;
	char why[128], *m;
	const char *head = "MSH|^~\\&|A|B|C|D|2026||ORU^R01|1|P|2.5.1\r"
	    "PID|1||X^^^Y||N^G\r";

	m = rso_xasprintf("%sOBR|1|REQ-AB12CD||11526-1^Path^LN||||||||||||"
	    "O^Ord^Oleg\r", head);
	ok(read_one(m, &d, why) == 0 && strcmp(d.type, "pathology") == 0,
	    "a pathology LOINC code");
	is_str(d.token, "REQ-AB12CD", "OBR-2 token");
	is_str(d.author, "Oleg Ord", "OBR-16 when no OBR-32");
	free(m);
	m = rso_xasprintf("%sOBR|1|||CTHEAD^CT head^L|||20260101||||||||||||"
	    "|||||CT\r", head);
	ok(read_one(m, &d, why) == 0 && strcmp(d.type, "imaging") == 0,
	    "OBR-24 CT is imaging");
	free(m);
	m = rso_xasprintf("%sTXA|1|DS|TX|20260101\r", head);
	ok(read_one(m, &d, why) == 0 && strcmp(d.type, "note") == 0 &&
	    strcmp(d.title, "Discharge summary") == 0, "table 0270 DS");
	free(m);
	m = rso_xasprintf("%sTXA|1|ZZNOTE^Clinic letter^L|TX|20260101\r", head);
	ok(read_one(m, &d, why) == 0 && strcmp(d.type, "report") == 0 &&
	    strcmp(d.title, "Clinic letter") == 0, "a local code as text");
	free(m);
	m = rso_xasprintf("%sNTE|1||see REQ-ZZ99ZZ here\r", head);
	ok(read_one(m, &d, why) == 0 && strcmp(d.type, "other") == 0 &&
	    strcmp(d.title, "ORU^R01") == 0, "no TXA nor OBR: other");
	is_str(d.token, "REQ-ZZ99ZZ", "a token anywhere");
	free(m);
	m = rso_xasprintf("MSH|^~\\&|A|B|C|D|2026||ADT^A08|1|P|2.5.1|||||"
	    "|8859/1\rPID|1||X||M\xFCller^J\xF6rg~Alias^A^^^^^A||\"\"|F\r"
	    "TXA|1|ZZ^a\x9B" "2Jb\r");
	ok(read_one(m, &d, why) == 0, "Latin-1 by MSH-18");
	is_str(d.source, "B", "MSH-4");
	is_str(d.patient.name, "Müller^Jörg", "decoded to UTF-8");
	is_str(d.patient.birth_date, "", "HL7 null");
	is_str(d.title, "a 2Jb", "a C1 control (CSI) a space");
	free(m);
	m = rso_xasprintf("MSH|^~\\&|A|B|C|D|2026||ADT^A08|1|P|2.5.1|||||"
	    "|ISO IR87\rPID|1||X||M\xFCller^J\r");
	ok(read_one(m, &d, why) == 0 && d.patient.name[0] == '\0',
	    "a name in a set not read is not matched");
	free(m);
	m = rso_xasprintf("MSH|^~\\&|A|B|C|D|2026||ADT^A08|1|P|2.5.1\r"
	    "PID|1||X||A\\X41C3A9\\^B\\X0D\\C\\Q\\\\H\\b\\N\\\r");
	ok(read_one(m, &d, why) == 0, "hex escapes");
	is_str(d.patient.name, "AAé^B C\\Q\\b", "hex decoded, controls spaces, "
	    "unknown kept, highlight dropped");
	free(m);
	m = rso_xasprintf("MSH|^~\\&|A|B|C|D|2026||ADT^A08|1|P|2.5.1\r"
	    "PID|1||X||%0120d^%0120d\xC3\xA9\xC3\xA9^%s\r", 0, 0,
	    "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
	    "\xC3\xA9\xC3\xA9");
	ok(read_one(m, &d, why) == 0 && strlen(d.patient.name) == 254 &&
	    strcmp(d.patient.name + 250, "\xC3\xA9\xC3\xA9") == 0,
	    "a long name cut on a character boundary");
	free(m);
	m = rso_xasprintf("MSH|^~\\&|A|B|C|D|2026||ADT^A08|1|P|2.5.1|||||"
	    "|UNICODE UTF-8\rPID|1||X||A\xF5\xB2\xAC\xB7\xC3^B\r");
	ok(read_one(m, &d, why) == 0 && strcmp(d.patient.name, "A\xEF\xBF\xBD"
	    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD^B") == 0,
	    "bytes that are no UTF-8 are U+FFFD each");
	free(m);
	m = rso_xasprintf("MSH|^~\\&|A|B|C|D|2026||ADT^A08|1|P|2.5.1\r"
	    "PID|1||X||N^G~Legal^Name^^^^^L\r");
	ok(read_one(m, &d, why) == 0 && strcmp(d.patient.name, "Legal^Name")
	    == 0, "the legal name");
	free(m);
}

static void
test_bad(void)
{
	struct rso_doc_info d;
	char why[128];

	ok(read_one("MSH|^~\\&|A\rPID|1\rbad|x\r", &d, why) == -1, "bad id");
	is_str(why, "segment 3: not a segment", "its number");
	ok(read_one("MSH|^~\\&|A\rPID|1\rPIDX|1\r", &d, why) == -1,
	    "four letters");
	is_str(why, "segment 3: not a segment", "not a segment");
	ok(read_one("MSH||A\rPID|1\r", &d, why) == -1, "no MSH-2");
	is_str(why, "segment 1: MSH without encoding characters", "said");
	ok(read_one("MSH|^~^&|A\rPID|1\r", &d, why) == -1, "repeated enc");
	ok(read_one("MSH|^~\\&|A\rEVN|1\r", &d, why) == -1, "no PID");
	is_str(why, "no PID segment", "said");
	ok(read_one("MSH|^~\\&|A\rPID|1\rMSH|^~\\&|A\r", &d, why) == -1,
	    "MSH inside");
	ok(read_one("MSH|^~\\&|A\r\r\n\rPID|1\n", &d, why) == 0,
	    "blank lines are no segments");
	ok(read_one("MSH|^~\\&|A\rPID\r", &d, why) == 0, "an empty segment");
}

static void
test_split(void)
{
	struct rso_hl7_span *v;
	size_t n;
	char why[128];
	const char *f;

	f = "\xEF\xBB\xBF\r\nMSH|a\r\nPID|1\r\n\r\nMSH|b\rPID\r\n";
	ok(rso_hl7_sniff(f, strlen(f)), "sniffed past BOM and blank lines");
	ok(rso_hl7_split(f, strlen(f), &v, &n, why, sizeof(why)) == 0 &&
	    n == 2, "two plain messages");
	ok(n == 2 && v[0].off == 5 && v[0].len == 14, "the first, without "
	    "the blank line after it");
	ok(n == 2 && v[1].off == 21 && v[1].len == 11, "the second to its end");
	free(v);
	f = "MSH|a\rPID|1";
	ok(rso_hl7_split(f, strlen(f), &v, &n, why, sizeof(why)) == 0 &&
	    n == 1 && v[0].len == 11, "no final terminator");
	free(v);
	f = "\x0bMSH|a\rPID\r\x1c\r\n\x0bMSH|b\rPID\r\x1c\r";
	ok(rso_hl7_sniff(f, strlen(f)), "MLLP sniffed");
	ok(rso_hl7_split(f, strlen(f), &v, &n, why, sizeof(why)) == 0 &&
	    n == 2 && v[0].off == 1 && v[0].len == 10 && v[1].off == 15 &&
	    v[1].len == 10, "two frames, framing excluded");
	free(v);
	f = "\x0bMSH|a\rPID\r\x1c\r\x0bMSH|b\rPID\r";
	ok(rso_hl7_split(f, strlen(f), &v, &n, why, sizeof(why)) == -1 &&
	    v == NULL, "a frame never closed");
	is_str(why, "byte 13: MLLP frame never closed", "at its start");
	f = "\x0bMSH|a\rPID\r\x1c\rjunk\x0bMSH|b\rPID\r\x1c\r";
	ok(rso_hl7_split(f, strlen(f), &v, &n, why, sizeof(why)) == -1,
	    "junk between frames");
	is_str(why, "byte 13: data outside an MLLP frame", "its offset");
	f = "\x0bMSH|a\rPID\r\x1cX";
	ok(rso_hl7_split(f, strlen(f), &v, &n, why, sizeof(why)) == -1,
	    "FS without CR");
	is_str(why, "byte 11: MLLP frame end without CR", "said");
	f = "\x0bMSH|a\rPID\r\x0bMSH|b\r\x1c\r";
	ok(rso_hl7_split(f, strlen(f), &v, &n, why, sizeof(why)) == -1,
	    "a frame opened inside a frame");
	is_str(why, "byte 0: MLLP frame never closed", "the first");
	f = "PID|1\r";
	ok(!rso_hl7_sniff(f, strlen(f)), "not HL7");
	ok(rso_hl7_split(f, strlen(f), &v, &n, why, sizeof(why)) == -1,
	    "no MSH");
	f = "MSHX|";
	ok(!rso_hl7_sniff(f, 4), "MSH and no separator");
	ok(!rso_hl7_sniff("", 0), "empty");
}

/* n bytes of s in a file of their own (memfd). */
static int
file_of(const char *s, size_t n)
{
	int fd = memfd_create("test_hl7_read", 0);

	if (fd < 0 || write(fd, s, n) != (ssize_t)n)
		abort();
	return fd;
}

/*
 * The messages of f as the stream gives them from a file window bytes
 * at a time, runs cut to cap (SIZE_MAX: the stream's own cap), are
 * rso_hl7_split's of f held whole: the same places, the bytes thinned
 * as hl7_thinned() has them, or (those before it given first) the same
 * fault in the same words.
 */
static int
same_as_split(const char *f, size_t n, size_t window, size_t cap)
{
	struct rso_hl7_stream *s;
	struct rso_hl7_span *v, span;
	const char *msg;
	char why[128], swhy[128], *want = malloc(n + 1);
	size_t count, k = 0, mlen;
	int rc, src, fd = file_of(f, n), same = 1;

	src = rso_hl7_split(f, n, &v, &count, why, sizeof(why));
	s = rso_hl7_stream_fd(fd, n, window);
	if (cap != SIZE_MAX)
		rso_hl7_stream_thin(s, cap);
	same = rso_hl7_stream_sniff(s) == rso_hl7_sniff(f, n);
	while ((rc = rso_hl7_next(s, &msg, &mlen, &span, swhy,
	    sizeof(swhy))) == 1) {
		if (span.off + span.len > n || mlen != hl7_thinned(f + span.off,
		    span.len, cap == SIZE_MAX ? 64 * 1024 : cap, want) ||
		    memcmp(msg, want, mlen) != 0 || (src == 0 &&
		    (k >= count || span.off != v[k].off || span.len != v[k].len)))
			same = 0;
		k++;
	}
	if (src == 0)
		same = same && rc == 0 && k == count;
	else
		same = same && rc == -1 && strcmp(why, swhy) == 0;
	rso_hl7_stream_free(s);
	free(v);
	free(want);
	close(fd);
	return same;
}

static void
test_stream(void)
{
	static const char *const files[] = {
		"\xEF\xBB\xBF\r\nMSH|a\r\nPID|1\r\n\r\nMSH|b\rPID\r\n",
		"MSH|a\rPID|1",
		"MSH|a\r\nPID|1\r\n\r\n\r\nMSH|b\r\nMSH|c\n\n",
		"\x0bMSH|a\rPID\r\x1c\r\n\x0bMSH|b\rPID\r\x1c\r",
		"\x0b\r\nMSH|a\rPID\rMSH|b\r\x1c\r",
		"\x0bMSH|a\rPID\r\x1c\r\x0bMSH|b\rPID\r",
		"\x0bMSH|a\rPID\r\x1c\rjunk\x0bMSH|b\rPID\r\x1c\r",
		"\x0bMSH|a\rPID\r\x1cX",
		"\x0bMSH|a\rPID\r\x1c",
		"\x0bMSH|a\rPID\r\x0bMSH|b\r\x1c\r",
		"\x0bPID|a\r\x1c\r",
		"PID|1\r",
		"MSH",
		"\r\n\r\n",
		"",
		MDM ORU MDM,
		/* Runs long and short, and separators of the base64
		 * alphabet. */
		"MSH|^~\\&|A\rOBX|1|ED|||^application^pdf^Base64^"
		"JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmls\r\n"
		"MSH|+/\\=|B\rPID|||abc+defghij/klmnopq=rstu\\X0D\\vwxyz\r",
		"\x0bMSH#^~\\&#C\rOBX#1#ED#ABCDEFGHIJKLMNOP^QRSTU\r\x1c\r"
		"\x0bMSH#^~\\&#D\rNTE###\r\x1c\r",
	};
	static const size_t caps[] = { SIZE_MAX, 0, 1, 2, 3, 5, 8, 13 };
	struct rso_hl7_stream *s;
	struct rso_hl7_span span;
	const char *msg;
	char name[64], why[128];
	size_t i, w, c, bad = 0, mlen;
	int fd;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		for (w = 0; w <= 9; w++)
			for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++)
				if (!same_as_split(files[i], strlen(files[i]),
				    w, caps[c])) {
					snprintf(name, sizeof(name), "file %zu, "
					    "window %zu, cap %zu", i, w, caps[c]);
					ok(0, name);
					bad++;
				}
	ok(bad == 0, "from a file a window at a time, as split whole, "
	    "runs cut");
	/* A file shorter than the size it had when surveyed. */
	fd = file_of(MDM ORU, strlen(MDM ORU));
	s = rso_hl7_stream_fd(fd, strlen(MDM ORU) + 100, 16);
	ok(rso_hl7_next(s, &msg, &mlen, &span, why, sizeof(why)) == 1,
	    "the first message whole");
	ok(rso_hl7_next(s, &msg, &mlen, &span, why, sizeof(why)) == -2,
	    "a file cut short is a fault of reading it");
	is_str(why, "shorter than it was", "said");
	ok(rso_hl7_next(s, &msg, &mlen, &span, why, sizeof(why)) == -2,
	    "and again");
	rso_hl7_stream_free(s);
	close(fd);
	/* A descriptor that cannot be read. */
	s = rso_hl7_stream_fd(-1, 10, 0);
	ok(!rso_hl7_stream_sniff(s), "nothing sniffed");
	ok(rso_hl7_next(s, &msg, &mlen, &span, why, sizeof(why)) == -2,
	    "a read error");
	is_str(why, "Bad file descriptor", "strerror's words");
	rso_hl7_stream_free(s);
}

/*
 * A message with a PDF of 3 MiB in base64 in its OBX: from a file it is
 * read by a view of about the stream's cap, and read as it is read
 * whole; the window and the view stay small.
 */
static void
test_big(void)
{
	static const char head[] = "MSH|^~\\&|EPIC|GENHOSP|RSO|RSO|"
	    "20260310120000||MDM^T02^MDM_T02|C1|P|2.5.1||||||UNICODE UTF-8\r"
	    "PID|1||MRN123^^^GENHOSP^MR||";
	static const char mid[] = "^Anne||19700102|F\r"
	    "TXA|1|11488-4^Consult note^LN|TX|20260301093000-0500|"
	    "D123^Smith^John|20260302||||||REQ-7K3M9Q\r"
	    "OBX|1|ED|11488-4^Consult note^LN||^application^pdf^Base64^";
	size_t big = 3 << 20, name = 3000, n, mlen;
	char *f, *p, why[128];
	struct rso_doc_info whole, view;
	struct rso_hl7_stream *s;
	struct rso_hl7_span span;
	const char *msg;
	int fd;

	n = strlen(head) + name + strlen(mid) + big + 3;
	p = f = malloc(n);
	memcpy(p, head, strlen(head));
	p += strlen(head);
	memset(p, 'Q', name);		/* a family name longer than a value
					 * is read */
	p += name;
	memcpy(p, mid, strlen(mid));
	p += strlen(mid);
	for (size_t i = 0; i < big; i++)
		*p++ = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789+/"[i * 7 % 64];
	memcpy(p, "|F\r", 3);
	ok(rso_hl7_read(f, n, &whole, why, sizeof(why)) == 0, "read whole");
	fd = file_of(f, n);
	s = rso_hl7_stream_fd(fd, n, 0);
	ok(rso_hl7_next(s, &msg, &mlen, &span, why, sizeof(why)) == 1 &&
	    span.off == 0 && span.len == n, "one message, all of the file");
	ok(mlen < 70 * 1024, "read by a view of the cap's size");
	ok(rso_hl7_read(msg, mlen, &view, why, sizeof(why)) == 0 &&
	    memcmp(&whole, &view, sizeof(view)) == 0,
	    "the view reads as the message does");
	is_str(view.token, "REQ-7K3M9Q", "its token");
	ok(rso_hl7_next(s, &msg, &mlen, &span, why, sizeof(why)) == 0,
	    "and no more");
	rso_hl7_stream_free(s);
	close(fd);
	free(f);
}

int
main(void)
{
	test_mdm();
	test_oru();
	test_types();
	test_bad();
	test_split();
	test_stream();
	test_big();
	return tap_done();
}
