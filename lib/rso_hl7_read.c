/* rso_hl7_read: HL7 v2 messages split out of a file, and read. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_dicom.h"
#include "rso_err.h"
#include "rso_hl7_read.h"
#include "rso_utf8.h"
#include "rso_window.h"

#define VT	0x0B	/* MLLP: start of a frame */
#define FS	0x1C	/* MLLP: end of a frame, then CR */

/* Raw bytes of one value decoded; the fields read are short, and a
 * longer one is cut (never a segment's whole text). */
#define RAW_MAX	2048

/* A run of bytes inside the message. */
struct span {
	const char *p;
	size_t n;
};

/* One message with its separators, as MSH-1 and MSH-2 declare them. */
struct msg {
	const char *p;
	size_t n;
	char fs, cs, rs, es, ss;	/* ss '\0': no subcomponents */
	const char *cset;		/* MSH-18 as rso_dicom_text_decode names it */
	int unreadable;			/* MSH-18 names a set not read here */
};

static int
fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

static int
is_eol(char c)
{
	return c == '\r' || c == '\n';
}

/* A separator: printable, neither a letter nor a digit nor a space. */
static int
is_sep(char c)
{
	unsigned char u = (unsigned char)c;

	return u > 0x20 && u < 0x7F && !isalnum(u);
}

static int
starts_msh(const char *b, size_t end, size_t i)
{
	return i + 4 <= end && memcmp(b + i, "MSH", 3) == 0 && is_sep(b[i + 3]);
}

/* ---- the messages of a file, split as it is read ---- */

/* Where the splitter is. */
enum {
	AT_START,	/* nothing looked at */
	AT_FRAMES,	/* MLLP: between frames */
	AT_REGION,	/* at the start of a run of messages (a frame's, or
			 * the unframed file's) */
	AT_LINES,	/* inside a message, at the start of a line */
	AT_END,
	AT_FAILED
};

struct rso_hl7_stream {
	/* The source: the caller's buffer, or a file read a window at a
	 * time (held from keep on, so a message is held whole however
	 * long).  The last bytes asked for are at p, from pbase on, got of
	 * them. */
	struct rso_window w;
	const char *p;
	size_t pbase, got;
	int ioerr;		/* errno of a read that failed; EIO: the file
				 * ended before its size */
	/* The splitter, at byte i.  A run of messages ends at end (a
	 * frame's FS, or the size); the open message starts at msg and
	 * its last line that is not blank ends at last.  Bytes before
	 * keep are never needed again. */
	int state, mllp;
	size_t size, i, end, msg, last, keep;
	char why[96];
	/* With a cap (a file's, by default), the open message is not held
	 * in the window: its bytes are copied into view as the splitter
	 * passes them, each run of bytes between two separators (or line
	 * ends) cut to its first cap, and keep follows the splitter.  The
	 * view up to the message's end is vlast bytes; run is the open
	 * run's length so far; ends_run marks the open message's
	 * separators, once its MSH is seen (seps). */
	size_t cap;
	char *view;
	size_t vlen, vsize, vlast, run;
	int seps;
	unsigned char ends_run[256];
};

/* A file's messages are thinned past this: an HL7 v2 "ED" value (a PDF
 * in base64) is one run, and no value the reader takes is near it. */
#define RUN_CAP	(64 * 1024)

/* Whether bytes [off, off + n) are in the source before end, read in:
 * at(s, off) is then where they are, until the next call. */
static int
has(struct rso_hl7_stream *s, size_t off, size_t n, size_t end)
{
	if (off + n > end || s->ioerr)
		return 0;
	if ((s->p = rso_window_bytes(&s->w, s->keep, off - s->keep + n,
	    &s->got)) == NULL) {
		s->ioerr = s->w.err > 0 ? s->w.err : EIO;
		return 0;
	}
	s->pbase = s->keep;
	return s->got >= off - s->keep + n;
}

static const char *
at(const struct rso_hl7_stream *s, size_t off)
{
	return s->p + (off - s->pbase);
}

static int
eol_at(struct rso_hl7_stream *s, size_t off, size_t end)
{
	return has(s, off, 1, end) && is_eol(*at(s, off));
}

static int
msh_at(struct rso_hl7_stream *s, size_t off, size_t end)
{
	return has(s, off, 4, end) && starts_msh(at(s, off), 4, 0);
}

/* Past CRs and LFs from off, before end. */
static size_t
skip_eols(struct rso_hl7_stream *s, size_t off, size_t end)
{
	while (eol_at(s, off, end))
		off++;
	return off;
}

/* Past a UTF-8 byte order mark and blank lines. */
static size_t
skip_head(struct rso_hl7_stream *s)
{
	size_t i = 0;

	if (has(s, 0, 3, s->size) && memcmp(at(s, 0), "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	return skip_eols(s, i, s->size);
}

/* The open message's separators, from its MSH-1 and MSH-2 (the bytes
 * after "MSH" up to the next field separator or line end, at most five):
 * what ends a run, beside CR and LF.  More than the reader cuts values
 * with is harmless here: it only thins less. */
static void
view_seps(struct rso_hl7_stream *s)
{
	const char *p;
	size_t n, k;

	memset(s->ends_run, 0, sizeof(s->ends_run));
	s->ends_run['\r'] = s->ends_run['\n'] = 1;
	s->seps = 1;
	if (!has(s, s->msg, 4, s->end))
		return;
	n = s->end - s->msg < 9 ? s->end - s->msg : 9;
	if (!has(s, s->msg, n, s->end))
		n = 4;
	p = at(s, s->msg);
	s->ends_run[(unsigned char)p[3]] = 1;
	for (k = 4; k < n && p[k] != p[3] && !is_eol(p[k]); k++)
		s->ends_run[(unsigned char)p[k]] = 1;
}

/* n more bytes of the open message into its view, each run past the
 * cap dropped. */
static void
view_add(struct rso_hl7_stream *s, const char *p, size_t n)
{
	size_t i, from = 0;

	if (s->vlen + n > s->vsize) {
		s->vsize = s->vsize ? s->vsize : 4096;
		while (s->vsize < s->vlen + n)
			s->vsize *= 2;
		s->view = rso_xrealloc(s->view, s->vsize);
	}
	for (i = 0; i < n; i++) {
		if (s->ends_run[(unsigned char)p[i]])
			s->run = 0;
		else if (++s->run > s->cap) {
			memcpy(s->view + s->vlen, p + from, i - from);
			s->vlen += i - from;
			from = i + 1;
		}
	}
	memcpy(s->view + s->vlen, p + from, n - from);
	s->vlen += n - from;
}

/* A message opens at s->msg: its view is empty. */
static void
view_open(struct rso_hl7_stream *s)
{
	s->vlen = s->vlast = s->run = 0;
	s->seps = 0;
}

/* The first byte a or b from off, or end (or where the source ended or
 * failed).  With a cap, what is passed is let go, and copied into the
 * view when copy is set. */
static size_t
scan_to(struct rso_hl7_stream *s, size_t off, size_t end, char a, char b,
    int copy)
{
	const char *p;
	size_t n, k;

	while (has(s, off, 1, end)) {
		p = at(s, off);
		n = s->got - (off - s->pbase);
		if (n > end - off)
			n = end - off;
		for (k = 0; k < n && p[k] != a && p[k] != b; k++)
			;
		if (copy && s->cap)
			view_add(s, p, k);
		off += k;
		if (s->cap)
			s->keep = off;
		if (k < n)
			break;
	}
	return off;
}

static int
stream_fail(struct rso_hl7_stream *s, const char *fmt, size_t byte)
{
	snprintf(s->why, sizeof(s->why), fmt, byte);
	s->state = AT_FAILED;
	return -1;
}

/*
 * The frame at i (its VT): its FS found with no VT before it, then a CR,
 * and the run of messages inside it next.  Anything but a frame or
 * blank lines between frames is junk, and a frame without its end may
 * be a message cut short.
 */
static int
open_frame(struct rso_hl7_stream *s)
{
	size_t j;

	s->keep = s->i = skip_eols(s, s->i, s->size);
	if (!has(s, s->i, 1, s->size)) {
		s->state = AT_END;
		return 0;
	}
	if (*at(s, s->i) != VT)
		return stream_fail(s, "byte %zu: data outside an MLLP frame",
		    s->i);
	j = scan_to(s, s->i + 1, s->size, VT, FS, 0);
	if (!has(s, j, 1, s->size) || *at(s, j) != FS)
		return stream_fail(s, "byte %zu: MLLP frame never closed",
		    s->i);
	if (!has(s, j + 1, 1, s->size) || *at(s, j + 1) != '\r')
		return stream_fail(s, "byte %zu: MLLP frame end without CR", j);
	/* The scan let go of the frame's bytes: its run is read again. */
	s->keep = ++s->i;
	s->end = j;
	s->state = AT_REGION;
	return 0;
}

/* The first message of a run: an MSH after blank lines. */
static int
open_region(struct rso_hl7_stream *s)
{
	s->keep = s->i = skip_eols(s, s->i, s->end);
	if (!msh_at(s, s->i, s->end))
		return stream_fail(s, "byte %zu: not an HL7 message (no MSH)",
		    s->i);
	s->msg = s->last = s->i;
	view_open(s);
	s->state = AT_LINES;
	return 0;
}

/*
 * The lines of the open message up to the next MSH or the end of the
 * run: 1 when a message is whole.  A line ends at CR, LF or CRLF, as the
 * files people make have them; a message ends with its last line that
 * is not blank.
 */
static int
take_lines(struct rso_hl7_stream *s)
{
	size_t j, k;
	int blank;

	while (s->i < s->end && !s->ioerr) {
		if (s->i != s->msg && msh_at(s, s->i, s->end))
			return 1;
		if (s->cap && !s->seps)
			view_seps(s);
		j = scan_to(s, s->i, s->end, '\r', '\n', 1);
		blank = j == s->i;
		if (j < s->end && has(s, j, 1, s->end)) {
			k = *at(s, j) == '\r' && has(s, j + 1, 1, s->end) &&
			    *at(s, j + 1) == '\n' ? 2 : 1;
			if (s->cap)
				view_add(s, at(s, j), k);
			j += k;
		}
		if (!blank) {
			s->last = j;
			s->vlast = s->vlen;
		}
		s->i = j;
	}
	return 1;
}

/* The next step of the splitter: 1 with a message whole, 0 without. */
static int
step(struct rso_hl7_stream *s)
{
	size_t i;

	switch (s->state) {
	case AT_START:
		i = skip_head(s);
		s->mllp = has(s, i, 1, s->size) && *at(s, i) == VT;
		s->i = i;
		s->end = s->size;
		s->state = s->mllp ? AT_FRAMES : AT_REGION;
		return 0;
	case AT_FRAMES:
		return open_frame(s);
	case AT_REGION:
		return open_region(s);
	case AT_LINES:
		return take_lines(s);
	}
	return 0;
}

struct rso_hl7_stream *
rso_hl7_stream_fd(int fd, size_t size, size_t window)
{
	struct rso_hl7_stream *s = rso_xcalloc(1, sizeof(*s));

	rso_window_fd(&s->w, fd, (size_t)size);
	s->w.min = window;
	s->size = (size_t)size;
	s->cap = RUN_CAP;
	return s;
}

void
rso_hl7_stream_thin(struct rso_hl7_stream *s, size_t cap)
{
	s->cap = cap;
}

struct rso_hl7_stream *
rso_hl7_stream_mem(const char *buf, size_t n)
{
	struct rso_hl7_stream *s = rso_xcalloc(1, sizeof(*s));

	rso_window_mem(&s->w, buf, n);
	s->size = n;
	return s;
}

void
rso_hl7_stream_free(struct rso_hl7_stream *s)
{
	if (s != NULL) {
		rso_window_free(&s->w);
		free(s->view);
	}
	free(s);
}

int
rso_hl7_stream_sniff(struct rso_hl7_stream *s)
{
	size_t i = skip_head(s);

	if (has(s, i, 1, s->size) && *at(s, i) == VT)
		i = skip_eols(s, i + 1, s->size);
	return msh_at(s, i, s->size);
}

int
rso_hl7_next(struct rso_hl7_stream *s, const char **msg, size_t *n,
    struct rso_hl7_span *span, char *why, size_t whysize)
{
	int whole = 0;

	while (!whole && s->state != AT_END && s->state != AT_FAILED &&
	    !s->ioerr)
		whole = step(s);
	if (s->ioerr) {
		snprintf(why, whysize, "%s", s->ioerr == EIO ?
		    "shorter than it was" : strerror(s->ioerr));
		errno = s->ioerr;
		return -2;
	}
	if (s->state == AT_FAILED) {
		snprintf(why, whysize, "%s", s->why);
		return -1;
	}
	if (!whole)
		return 0;
	span->off = s->msg;
	span->len = s->last - s->msg;
	*msg = s->cap ? s->view : at(s, s->msg);
	*n = s->cap ? s->vlast : span->len;
	/* The next message starts here, or the run is over. */
	if (s->i < s->end) {
		s->keep = s->msg = s->last = s->i;
		view_open(s);
	} else if (s->mllp) {
		s->i = s->end + 2;
		s->state = AT_FRAMES;
	} else
		s->state = AT_END;
	return 1;
}

int
rso_hl7_sniff(const char *buf, size_t n)
{
	struct rso_hl7_stream *s = rso_hl7_stream_mem(buf, n);
	int rc = rso_hl7_stream_sniff(s);

	rso_hl7_stream_free(s);
	return rc;
}

int
rso_hl7_split(const char *buf, size_t n, struct rso_hl7_span **v,
    size_t *count, char *why, size_t whysize)
{
	struct rso_hl7_stream *s = rso_hl7_stream_mem(buf, n);
	struct rso_hl7_span span;
	size_t cap = 0, len;
	const char *msg;
	int rc;

	*v = NULL;
	*count = 0;
	while ((rc = rso_hl7_next(s, &msg, &len, &span, why, whysize)) == 1) {
		if (*count == cap) {
			cap = cap ? 2 * cap : 16;
			*v = rso_xrealloc(*v, cap * sizeof(**v));
		}
		(*v)[(*count)++] = span;
	}
	rso_hl7_stream_free(s);
	if (rc != 0) {
		free(*v);
		*v = NULL;
		*count = 0;
		return -1;
	}
	return 0;
}

/* The next segment from *i, blank lines skipped: 1, or 0 at the end. */
static int
next_seg(const struct msg *m, size_t *i, struct span *seg)
{
	size_t j;

	while (*i < m->n && is_eol(m->p[*i]))
		(*i)++;
	if (*i >= m->n)
		return 0;
	for (j = *i; j < m->n && !is_eol(m->p[j]); j++)
		;
	seg->p = m->p + *i;
	seg->n = j - *i;
	*i = j;
	return 1;
}

static int
seg_is(const struct msg *m, struct span seg, const char *id)
{
	return seg.n >= 3 && memcmp(seg.p, id, 3) == 0 &&
	    (seg.n == 3 || seg.p[3] == m->fs);
}

/* The first segment id of the message: 1, or 0 when it has none. */
static int
find_seg(const struct msg *m, const char *id, struct span *seg)
{
	size_t i = 0;

	while (next_seg(m, &i, seg))
		if (seg_is(m, *seg, id))
			return 1;
	return 0;
}

/* Piece k (from 0) of s cut at sep; empty when there is none. */
static struct span
piece(struct span s, char sep, int k)
{
	struct span r = { s.p, 0 };
	const char *q = s.p, *end = s.p + s.n, *e;

	if (sep == '\0')
		return k == 0 ? s : r;
	for (;;) {
		e = memchr(q, sep, (size_t)(end - q));
		if (k-- == 0) {
			r.p = q;
			r.n = (size_t)((e ? e : end) - q);
			return r;
		}
		if (e == NULL)
			return r;
		q = e + 1;
	}
}

/* How many pieces s has, cut at sep. */
static int
pieces(struct span s, char sep)
{
	size_t i;
	int k = 1;

	for (i = 0; i < s.n; i++)
		k += s.p[i] == sep;
	return k;
}

/* Field k of a segment: MSH's separator is its field 1. */
static struct span
field(const struct msg *m, struct span seg, int k)
{
	if (seg_is(m, seg, "MSH"))
		k--;
	return piece(seg, m->fs, k);
}

/* Repetition rep (from 0), component c, subcomponent sub (from 1; 0
 * for the whole). */
static struct span
value(const struct msg *m, struct span f, int rep, int c, int sub)
{
	f = piece(f, m->rs, rep);
	if (c > 0)
		f = piece(f, m->cs, c - 1);
	if (sub > 0)
		f = piece(f, m->ss, sub - 1);
	return f;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ?
	    c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The escape sequence seq (len bytes between escape characters) decoded
 * into out (room for len bytes): its length, or -1 when it is none. */
static long
escape(const struct msg *m, const char *seq, size_t len, char *out)
{
	static const char names[] = "FSTRE";
	const char *c;
	size_t i;

	if (len == 1 && (c = memchr(names, seq[0], 5)) != NULL) {
		out[0] = (const char []){ m->fs, m->cs, m->ss ? m->ss : '&',
		    m->rs, m->es }[c - names];
		return 1;
	}
	if (len >= 3 && len % 2 == 1 && seq[0] == 'X') {
		for (i = 1; i < len; i += 2) {
			if (hexval(seq[i]) < 0 || hexval(seq[i + 1]) < 0)
				return -1;
			out[i / 2] = (char)(hexval(seq[i]) * 16 +
			    hexval(seq[i + 1]));
		}
		return (long)(len / 2);
	}
	/* Formatting (.br, .sp, .in) is a break: a space on one line. */
	if (len >= 2 && seq[0] == '.') {
		out[0] = ' ';
		return 1;
	}
	/* Highlighting, a switch of character set, local escapes: no text. */
	if ((len == 1 && (seq[0] == 'H' || seq[0] == 'N')) ||
	    (len >= 2 && (seq[0] == 'C' || seq[0] == 'M' || seq[0] == 'Z')))
		return 0;
	return -1;
}

/* s with its escapes decoded into out (RAW_MAX bytes); the length. */
static size_t
unescape(const struct msg *m, struct span s, char *out)
{
	const char *end, *q = s.p, *e;
	size_t k = 0;
	long w;

	if (s.n > RAW_MAX - 4)
		s.n = RAW_MAX - 4;
	end = s.p + s.n;
	while (q < end) {
		if (*q != m->es ||
		    (e = memchr(q + 1, m->es, (size_t)(end - q - 1))) == NULL) {
			out[k++] = *q++;
			continue;
		}
		/* A sequence not understood stays as it was written. */
		if ((w = escape(m, q + 1, (size_t)(e - q - 1), out + k)) < 0) {
			out[k++] = *q++;
			continue;
		}
		k += (size_t)w;
		q = e + 1;
	}
	return k;
}

/* C1 controls (U+0080..U+009F, CSI among them: Latin-1's 0x80..0x9F)
 * made spaces, as C0 ones are: no terminal reads them as commands. */
static void
c1_spaces(char *s)
{
	unsigned char *p = (unsigned char *)s, *q = p;

	for (; *p; p++) {
		if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
			*q++ = ' ';
			p++;
		} else
			*q++ = *p;
	}
	*q = '\0';
}

/*
 * The value s as UTF-8 text into out (size bytes): escapes decoded, the
 * message's character set decoded, control characters made spaces,
 * blanks around it dropped, and the HL7 null "" as nothing.
 */
static void
text(const struct msg *m, struct span s, char *out, size_t size)
{
	char raw[RAW_MAX], utf8[RAW_MAX * 3];
	size_t k, i, b, e;
	int ascii = 1;

	k = unescape(m, s, raw);
	for (i = 0; i < k; i++) {
		/* ESC stays: ISO 2022 sets switch with it. */
		if ((unsigned char)raw[i] < 0x20 && raw[i] != 0x1B)
			raw[i] = ' ';
		if ((unsigned char)raw[i] >= 0x80 || raw[i] == 0x1B)
			ascii = 0;
	}
	raw[k] = '\0';
	if (ascii)
		memcpy(utf8, raw, k + 1);
	else if (strcmp(m->cset, "ISO_IR 192") == 0)
		/* Not iconv: it lets lead bytes past U+10FFFF through. */
		rso_utf8_repair(raw, k, utf8);
	else
		rso_dicom_text_decode(m->cset, (const unsigned char *)raw, k, 0,
		    utf8, sizeof(utf8));
	c1_spaces(utf8);
	for (b = 0; utf8[b] == ' '; b++)
		;
	for (e = strlen(utf8); e > b && utf8[e - 1] == ' '; e--)
		;
	if (e - b == 2 && memcmp(utf8 + b, "\"\"", 2) == 0)
		e = b;
	rso_doc_copy(out, size, utf8 + b, (long)(e - b));
}

/*
 * MSH-18 (table 0211) as the character set rso_dicom_text_decode reads.
 * None given: UTF-8 when the bytes are, else Latin-1, as engines send.
 */
static void
charset(struct msg *m, struct span msh)
{
	static const struct {
		const char *hl7, *dicom;
	} sets[] = {
		{ "ASCII", "" }, { "UNICODE UTF-8", "ISO_IR 192" },
		{ "UNICODE", "ISO_IR 192" },
		{ "8859/1", "ISO_IR 100" }, { "8859/2", "ISO_IR 101" },
		{ "8859/3", "ISO_IR 109" }, { "8859/4", "ISO_IR 110" },
		{ "8859/5", "ISO_IR 144" }, { "8859/6", "ISO_IR 127" },
		{ "8859/7", "ISO_IR 126" }, { "8859/8", "ISO_IR 138" },
		{ "8859/9", "ISO_IR 148" }, { "8859/15", "ISO_IR 203" },
		{ "ISO IR14", "ISO_IR 13" }, { "GB 18030-2000", "GB18030" },
		{ NULL, NULL }
	};
	struct span v = piece(field(m, msh, 18), m->rs, 0);
	int i;

	m->unreadable = 0;
	if (v.n == 0) {
		m->cset = rso_utf8_valid(m->p, m->n) ? "ISO_IR 192" :
		    "ISO_IR 100";
		return;
	}
	for (i = 0; sets[i].hl7; i++)
		if (strlen(sets[i].hl7) == v.n &&
		    memcmp(sets[i].hl7, v.p, v.n) == 0) {
			m->cset = sets[i].dicom;
			return;
		}
	/* Not read here: text is ASCII only, names are not matched. */
	m->cset = "UNKNOWN";
	m->unreadable = 1;
}

/* MSH-1 and MSH-2: the separators every other value is cut with. */
static int
separators(struct msg *m, char *why, size_t size)
{
	struct span seg, enc;
	size_t i = 0, k, j;

	if (!next_seg(m, &i, &seg) || !starts_msh(seg.p, seg.n, 0))
		return fail(why, size, "segment 1: not MSH");
	m->fs = seg.p[3];
	m->ss = '\0';
	enc = piece(seg, m->fs, 1);
	/* Four (2.7 adds a fifth, truncation), distinct, none a letter. */
	for (k = 0; k < enc.n; k++)
		for (j = 0; j < k; j++)
			if (enc.p[j] == enc.p[k])
				enc.n = 0;
	for (k = 0; k < enc.n; k++)
		if (!is_sep(enc.p[k]))
			enc.n = 0;
	if (enc.n < 4 || enc.n > 5 || memchr(enc.p, m->fs, enc.n))
		return fail(why, size, "segment 1: MSH without encoding "
		    "characters");
	m->cs = enc.p[0];
	m->rs = enc.p[1];
	m->es = enc.p[2];
	m->ss = enc.p[3];
	charset(m, seg);
	return 0;
}

/* Every segment an id of three capitals or digits, and a PID. */
static int
check_segments(const struct msg *m, char *why, size_t size)
{
	struct span seg;
	size_t i = 0, k;
	int n = 0, pid = 0;

	while (next_seg(m, &i, &seg)) {
		n++;
		for (k = 0; k < 3 && k < seg.n; k++)
			if (!isupper((unsigned char)seg.p[k]) &&
			    !isdigit((unsigned char)seg.p[k]))
				break;
		if (k < 3 || (seg.n > 3 && seg.p[3] != m->fs))
			return fail(why, size, "segment %d: not a segment", n);
		if (n > 1 && seg_is(m, seg, "MSH"))
			return fail(why, size, "segment %d: MSH inside a "
			    "message", n);
		pid |= seg_is(m, seg, "PID");
	}
	return pid ? 0 : fail(why, size, "no PID segment");
}

/* "Given Middle Family" of a person's name parts, or the id alone. */
static void
person(char *out, size_t size, const char *id, const char *family,
    const char *given, const char *middle)
{
	char s[512];

	snprintf(s, sizeof(s), "%s%s%s%s%s", given, *given ? " " : "", middle,
	    *middle ? " " : "", family);
	rso_doc_copy(out, size, *s ? s : id, -1);
	for (size_t n = strlen(out); n > 0 && out[n - 1] == ' '; n--)
		out[n - 1] = '\0';
}

/* An XCN (id^family^given^middle...), first repetition. */
static void
xcn(const struct msg *m, struct span f, char *out, size_t size)
{
	char id[64], fam[128], giv[128], mid[128];

	text(m, value(m, f, 0, 1, 0), id, sizeof(id));
	text(m, value(m, f, 0, 2, 1), fam, sizeof(fam));
	text(m, value(m, f, 0, 3, 0), giv, sizeof(giv));
	text(m, value(m, f, 0, 4, 0), mid, sizeof(mid));
	person(out, size, id, fam, giv, mid);
}

/* An NDL's name, a CNN in subcomponents (id&family&given&middle...). */
static void
ndl(const struct msg *m, struct span f, char *out, size_t size)
{
	char id[64], fam[128], giv[128], mid[128];

	text(m, value(m, f, 0, 1, 1), id, sizeof(id));
	text(m, value(m, f, 0, 1, 2), fam, sizeof(fam));
	text(m, value(m, f, 0, 1, 3), giv, sizeof(giv));
	text(m, value(m, f, 0, 1, 4), mid, sizeof(mid));
	person(out, size, id, fam, giv, mid);
}

static void
read_pid(const struct msg *m, struct span pid, struct rso_doc_patient *p)
{
	static const char *const sexes[][2] = { { "F", "female" },
	    { "M", "male" }, { "O", "other" }, { "U", "unknown" } };
	char v[64], sys[128], fam[128], giv[128], mid[128], s[260], dob[32];
	struct span f = field(m, pid, 3);
	int r, n = pieces(f, m->rs), legal = 0;
	size_t i;

	/* CX: ID^^^authority(namespace&universal id&type)^type. */
	for (r = 0; r < n && r < 2 * RSO_DOC_IDS; r++) {
		text(m, value(m, f, r, 1, 0), v, sizeof(v));
		text(m, value(m, f, r, 4, 2), sys, sizeof(sys));
		if (*sys == '\0')
			text(m, value(m, f, r, 4, 1), sys, sizeof(sys));
		rso_doc_add_id(p, sys, v);
	}
	/* XPN: the legal name (type L) when one is marked, else the first. */
	f = field(m, pid, 5);
	n = pieces(f, m->rs);
	for (r = 0; r < n && r < 16; r++) {
		text(m, value(m, f, r, 7, 0), v, sizeof(v));
		if (strcmp(v, "L") == 0) {
			legal = r;
			break;
		}
	}
	text(m, value(m, f, legal, 1, 1), fam, sizeof(fam));
	text(m, value(m, f, legal, 2, 0), giv, sizeof(giv));
	text(m, value(m, f, legal, 3, 0), mid, sizeof(mid));
	snprintf(s, sizeof(s), "%s%s%s", giv, *giv && *mid ? " " : "", mid);
	/* rso_doc_set_name cuts "family^given" by bytes: cut given here,
	 * on a character boundary, so that the whole fits. */
	rso_doc_copy(s, sizeof(p->name) - strlen(fam) - 1, s, -1);
	/* A name not decoded is not matched, however it reads. */
	if (!m->unreadable)
		rso_doc_set_name(p, fam, s);
	text(m, value(m, field(m, pid, 7), 0, 1, 0), dob, sizeof(dob));
	if (rso_doc_date(dob, p->birth_date) != 0)
		p->birth_date[0] = '\0';
	text(m, value(m, field(m, pid, 8), 0, 0, 0), v, sizeof(v));
	for (i = 0; i < sizeof(sexes) / sizeof(sexes[0]); i++)
		if (strcmp(v, sexes[i][0]) == 0)
			snprintf(p->sex, sizeof(p->sex), "%s", sexes[i][1]);
}

/* A LOINC code as it is written: digits, a hyphen, a check digit. */
static int
is_loinc(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n >= 1 && n <= 7 && s[n] == '-' && isdigit((unsigned char)s[n + 1])
	    && s[n + 2] == '\0';
}

/* A coded value (code^text^system, an alternate in 4-6): its LOINC code
 * into d->code when either is one, its text into d->title. */
static void
coded(const struct msg *m, struct span f, struct rso_doc_info *d, char *code,
    size_t size)
{
	char sys[16];
	int alt;

	for (alt = 0; alt <= 3; alt += 3) {
		text(m, value(m, f, 0, alt + 1, 0), code, size);
		text(m, value(m, f, 0, alt + 3, 0), sys, sizeof(sys));
		if (is_loinc(code) && (*sys == '\0' || strcmp(sys, "LN") == 0)) {
			snprintf(d->code, sizeof(d->code), "%s", code);
			break;
		}
	}
	text(m, value(m, f, 0, 1, 0), code, size);
	text(m, value(m, f, 0, 2, 0), d->title, sizeof(d->title));
}

/* A date of the field (a TS/DTM, component 1) into d->date, if a day. */
static int
date_of(const struct msg *m, struct span f, struct rso_doc_info *d)
{
	char s[32];

	text(m, value(m, f, 0, 1, 0), s, sizeof(s));
	return rso_doc_date(s, d->date);
}

/* A request token in a placer order number (EI: entity id first). */
static void
placer(const struct msg *m, struct span f, struct rso_doc_info *d)
{
	char s[128];

	if (d->token[0] != '\0')
		return;
	text(m, value(m, f, 0, 1, 0), s, sizeof(s));
	if (rso_doc_find_token(s, strlen(s), d->token) != 0)
		d->token[0] = '\0';
}

/*
 * MDM: TXA-2 document type (LOINC, else HL7 table 0270, else a local code
 * kept as text), TXA-4 activity or TXA-6 origination date, TXA-5 author.
 */
static void
read_txa(const struct msg *m, struct span txa, struct rso_doc_info *d)
{
	static const struct {
		const char *code, *type, *title;
	} t0270[] = {
		{ "AR", "report", "Autopsy report" },
		{ "CD", "report", "Cardiodiagnostics" },
		{ "CN", "note", "Consultation" },
		{ "DI", "imaging", "Diagnostic imaging" },
		{ "DS", "note", "Discharge summary" },
		{ "ED", "note", "Emergency department report" },
		{ "HP", "note", "History and physical examination" },
		{ "OP", "note", "Operative report" },
		{ "PC", "note", "Psychiatric consultation" },
		{ "PH", "note", "Psychiatric history and physical" },
		{ "PN", "note", "Procedure note" },
		{ "PR", "note", "Progress note" },
		{ "SP", "pathology", "Surgical pathology" },
		{ "TS", "note", "Transfer summary" },
		{ NULL, NULL, NULL }
	};
	char code[64];
	const char *t = NULL;
	int i;

	coded(m, field(m, txa, 2), d, code, sizeof(code));
	if (d->code[0])
		t = rso_doc_type_of_code(d->code);
	for (i = 0; t == NULL && t0270[i].code; i++)
		if (strcmp(code, t0270[i].code) == 0) {
			t = t0270[i].type;
			if (d->title[0] == '\0')
				snprintf(d->title, sizeof(d->title), "%s",
				    t0270[i].title);
		}
	if (t == NULL && *code) {
		t = "report";
		if (d->title[0] == '\0')
			rso_doc_copy(d->title, sizeof(d->title), code, -1);
	}
	snprintf(d->type, sizeof(d->type), "%s", t ? t : "");
	if (date_of(m, field(m, txa, 4), d) != 0)
		date_of(m, field(m, txa, 6), d);
	xcn(m, field(m, txa, 5), d->author, sizeof(d->author));
}

/* OBR-24 diagnostic service sections (table 0074) that are not lab. */
static const char *
section_type(const char *s)
{
	static const char *const imaging[] = { "RAD", "CT", "MR", "NMR",
	    "NMS", "US", "CUS", "OUS", "RUS", "VUS", "XRC", "RX", NULL };
	int i;

	for (i = 0; imaging[i]; i++)
		if (strcmp(s, imaging[i]) == 0)
			return "imaging";
	if (strcmp(s, "SP") == 0 || strcmp(s, "PAT") == 0 ||
	    strcmp(s, "CP") == 0)
		return "pathology";
	return NULL;
}

/*
 * ORU: OBR-4 universal service id (a result is lab unless its LOINC code
 * or OBR-24 section says pathology or imaging), OBR-7 observation date,
 * OBR-32 principal interpreter, else OBR-16 ordering provider.
 */
static void
read_obr(const struct msg *m, struct span obr, struct rso_doc_info *d)
{
	char code[64], sect[16];
	const char *t = "lab", *c;

	coded(m, field(m, obr, 4), d, code, sizeof(code));
	c = d->code[0] ? rso_doc_type_of_code(d->code) : NULL;
	text(m, value(m, field(m, obr, 24), 0, 1, 0), sect, sizeof(sect));
	if (c && (strcmp(c, "pathology") == 0 || strcmp(c, "imaging") == 0))
		t = c;
	else if (section_type(sect))
		t = section_type(sect);
	snprintf(d->type, sizeof(d->type), "%s", t);
	if (date_of(m, field(m, obr, 7), d) != 0)
		date_of(m, field(m, obr, 22), d);
	ndl(m, field(m, obr, 32), d->author, sizeof(d->author));
	if (d->author[0] == '\0')
		xcn(m, field(m, obr, 16), d->author, sizeof(d->author));
}

int
rso_hl7_read(const char *msg, size_t n, struct rso_doc_info *d, char *why,
    size_t whysize)
{
	struct msg m = { msg, n, 0, 0, 0, 0, 0, "", 0 };
	struct span seg, f;
	char type[16], event[16];

	memset(d, 0, sizeof(*d));
	d->format = "hl7v2";
	if (separators(&m, why, whysize) != 0 ||
	    check_segments(&m, why, whysize) != 0)
		return -1;
	find_seg(&m, "MSH", &seg);
	f = field(&m, seg, 4);
	text(&m, value(&m, f, 0, 1, 0), d->source, sizeof(d->source));
	if (d->source[0] == '\0')
		text(&m, value(&m, f, 0, 2, 0), d->source, sizeof(d->source));
	f = field(&m, seg, 9);
	text(&m, value(&m, f, 0, 1, 0), type, sizeof(type));
	text(&m, value(&m, f, 0, 2, 0), event, sizeof(event));
	find_seg(&m, "PID", &seg);
	read_pid(&m, seg, &d->patient);
	/* Other messages are read by what they hold: a document, a result. */
	if (find_seg(&m, "TXA", &seg))
		read_txa(&m, seg, d);
	else if (find_seg(&m, "OBR", &seg))
		read_obr(&m, seg, d);
	else
		snprintf(d->type, sizeof(d->type), "other");
	if (d->title[0] == '\0')
		snprintf(d->title, sizeof(d->title), "%s%s%s", type,
		    *event ? "^" : "", event);
	if (find_seg(&m, "ORC", &seg))
		placer(&m, field(&m, seg, 2), d);
	if (find_seg(&m, "OBR", &seg))
		placer(&m, field(&m, seg, 2), d);
	if (find_seg(&m, "TXA", &seg))
		placer(&m, field(&m, seg, 14), d);
	if (d->token[0] == '\0' && rso_doc_find_token(msg, n, d->token) != 0)
		d->token[0] = '\0';
	return 0;
}
