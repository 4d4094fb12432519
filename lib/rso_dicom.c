/* rso_dicom: read the identifying header of a DICOM file, streaming. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "rso_dicom.h"
#include "rso_err.h"
#include "rso_utf8.h"

#define TAG(g, e)	((uint32_t)(g) << 16 | (uint32_t)(e))
#define GROUP(t)	((unsigned)((t) >> 16))
#define ELEM(t)		((unsigned)((t) & 0xFFFF))
#define UNDEF		0xFFFFFFFFu
#define ITEM		TAG(0xFFFE, 0xE000)
#define ITEM_END	TAG(0xFFFE, 0xE00D)
#define SEQ_END		TAG(0xFFFE, 0xE0DD)
#define TS_TAG		TAG(0x0002, 0x0010)
#define CHARSET_TAG	TAG(0x0008, 0x0005)
/* The last field we want; nothing past it is read. */
#define STOP_TAG	TAG(0x0020, 0x0013)	/* InstanceNumber */
#define DEEP_STOP_TAG	TAG(0x300A, 0x0002)	/* RTPlanLabel */
/* ensure() and friends: the stream ended before the bytes asked for. */
#define SHORT		(-1)

#define UID_IMPLICIT_LE	"1.2.840.10008.1.2"
#define UID_EXPLICIT_LE	"1.2.840.10008.1.2.1"
#define UID_DEFLATED_LE	"1.2.840.10008.1.2.1.99"
#define UID_EXPLICIT_BE	"1.2.840.10008.1.2.2"
#define UID_JPIP_DEFLATE "1.2.840.10008.1.2.4.95"

struct syntax {
	int explicit_vr;
	int big_endian;
};

struct el {
	uint32_t tag;
	char vr[3];		/* "" for implicit VR and item tags */
	uint32_t len;
	uint64_t off;		/* where the element starts */
};

/* The reader's whole state: two small buffers and the inflater. */
struct rdr {
	rso_dicom_read_fn *rd;
	rso_dicom_skip_fn *sk;
	void *ctx;
	struct rso_error *e;
	struct rso_dicom_info *out;
	unsigned char buf[RSO_DICOM_BUFSZ];
	size_t pos, len;	/* unread bytes are buf[pos..len) */
	uint64_t off;		/* stream offset of buf[pos] */
	int eof;		/* the data stream has no more bytes */
	int inflating;
	int zinit;
	int zeof;		/* the source under the inflater ended */
	uint32_t stop;		/* STOP_TAG, or DEEP_STOP_TAG */
	z_stream z;
	unsigned char zin[RSO_DICOM_BUFSZ];
	long nelem;
};

/* The fields kept, where they go, and whether the charset applies. */
#define F(g, e, m, text) { TAG(g, e), offsetof(struct rso_dicom_info, m), \
	sizeof(((struct rso_dicom_info *)0)->m), text }
static const struct field {
	uint32_t tag;
	size_t off;
	size_t size;
	int text;
} fields[] = {
	F(0x0002, 0x0010, transfer_syntax_uid, 0),
	F(0x0008, 0x0005, specific_character_set, 0),
	F(0x0008, 0x0016, sop_class_uid, 0),
	F(0x0008, 0x0018, sop_instance_uid, 0),
	F(0x0008, 0x0020, study_date, 0),
	F(0x0008, 0x0023, content_date, 0),
	F(0x0008, 0x0030, study_time, 0),
	F(0x0008, 0x0033, content_time, 0),
	F(0x0008, 0x0050, accession_number, 1),
	F(0x0008, 0x0060, modality, 0),
	F(0x0008, 0x1030, study_description, 1),
	F(0x0010, 0x0010, patient_name, 1),
	F(0x0010, 0x0020, patient_id, 1),
	F(0x0010, 0x0030, patient_birth_date, 0),
	F(0x0018, 0x0015, body_part_examined, 0),
	F(0x0020, 0x000D, study_instance_uid, 0),
	F(0x0020, 0x000E, series_instance_uid, 0),
	F(0x0020, 0x0010, study_id, 1),
	F(0x0020, 0x0011, series_number, 0),
	F(0x0020, 0x0013, instance_number, 0),
	/* Past STOP_TAG: read by rso_dicom_read_deep only. */
	F(0x0040, 0xA491, completion_flag, 0),
	F(0x0040, 0xA493, verification_flag, 0),
	F(0x0042, 0x0010, document_title, 1),
	F(0x0042, 0x0012, mime_type, 0),
	F(0x0070, 0x0080, content_label, 0),
	F(0x0070, 0x0082, presentation_date, 0),
	F(0x0070, 0x0083, presentation_time, 0),
	F(0x3004, 0x000A, dose_summation_type, 0),
	F(0x3006, 0x0002, structure_set_label, 1),
	F(0x300A, 0x0002, rt_plan_label, 1),
};
#undef F
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))


static unsigned
get16(const unsigned char *b, int big)
{
	return big ? (unsigned)b[0] << 8 | b[1] : (unsigned)b[1] << 8 | b[0];
}

static uint32_t
get32(const unsigned char *b, int big)
{
	if (big)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[1] << 8 | b[0];
}

/* Every VR of PS3.5 (2023); anything else means the encoding is not what
 * we think it is. */
static int
vr_known(const unsigned char *v)
{
	static const char vrs[] =
	    "AEASATCSDADSDTFDFLISLOLTOBODOFOLOVOWPNSHSLSQSSSTSVTMUCUIULUNURUSUTUV";
	size_t i;

	for (i = 0; i < sizeof(vrs) - 1; i += 2)
		if (v[0] == (unsigned char)vrs[i] && v[1] == (unsigned char)vrs[i + 1])
			return 1;
	return 0;
}

/* Explicit VRs with two reserved bytes and a 32-bit length. */
static int
vr_long(const char *v)
{
	static const char *const longs[] = { "OB", "OD", "OF", "OL", "OV", "OW",
	    "SQ", "SV", "UC", "UN", "UR", "UT", "UV" };
	size_t i;

	for (i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
		if (strcmp(v, longs[i]) == 0)
			return 1;
	return 0;
}

/* VRs that may have an undefined length: sequences, encapsulated pixel
 * data, and UN holding a sequence. */
static int
vr_undef_ok(const char *v)
{
	return strcmp(v, "SQ") == 0 || strcmp(v, "UN") == 0 ||
	    strcmp(v, "OB") == 0 || strcmp(v, "OW") == 0;
}

static unsigned long long
ull(uint64_t v)
{
	return (unsigned long long)v;
}

/* Take n bytes from the source into p; 0 or a status (e filled). */
static int
src_read(struct rdr *r, void *p, size_t n, size_t *got)
{
	ssize_t k;

	k = r->rd(r->ctx, p, n);
	if (k < 0)
		return rso_error_set(r->e, EX_IOERR, "read error: %s",
		    strerror(errno));
	if ((size_t)k > n)
		return rso_error_set(r->e, EX_SOFTWARE,
		    "read callback returned more than asked");
	r->out->consumed += (size_t)k;
	*got = (size_t)k;
	return 0;
}

/*
 * Inflate into the free end of buf.  Each call takes input, makes output,
 * or ends the stream, so a caller looping on it cannot spin.
 */
static int
inflate_some(struct rdr *r)
{
	size_t got;
	int s, zs;

	if (r->z.avail_in == 0 && !r->zeof) {
		if ((s = src_read(r, r->zin, sizeof(r->zin), &got)) != 0)
			return s;
		if (got == 0)
			r->zeof = 1;
		r->z.next_in = r->zin;
		r->z.avail_in = (uInt)got;
	}
	r->z.next_out = r->buf + r->len;
	r->z.avail_out = (uInt)(sizeof(r->buf) - r->len);
	zs = inflate(&r->z, Z_NO_FLUSH);
	r->len = sizeof(r->buf) - r->z.avail_out;
	switch (zs) {
	case Z_STREAM_END:
		r->eof = 1;
		return 0;
	case Z_OK:
		return 0;
	case Z_BUF_ERROR:
		if (!r->zeof)
			return 0;
		return rso_error_set(r->e, EX_DATAERR,
		    "truncated deflate stream at offset %llu",
		    ull(r->off + (r->len - r->pos)));
	default:
		return rso_error_set(r->e, EX_DATAERR,
		    "corrupt deflate stream at offset %llu",
		    ull(r->off + (r->len - r->pos)));
	}
}

/* Top up buf: one source read, or one inflate step. */
static int
fill(struct rdr *r)
{
	size_t got;
	int s;

	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->eof || r->len == sizeof(r->buf))
		return 0;
	if (r->inflating)
		return inflate_some(r);
	if ((s = src_read(r, r->buf + r->len, sizeof(r->buf) - r->len,
	    &got)) != 0)
		return s;
	if (got == 0)
		r->eof = 1;
	r->len += got;
	return 0;
}

/* Make n (at most the buffer size) bytes available at buf + pos: 0, SHORT
 * when the stream ends first, or an error status. */
static int
ensure(struct rdr *r, size_t n)
{
	int s;

	while (r->len - r->pos < n) {
		if (r->eof)
			return SHORT;
		if ((s = fill(r)) != 0)
			return s;
	}
	return 0;
}

static void
consume(struct rdr *r, size_t n)
{
	r->pos += n;
	r->off += n;
}

/* Pass over n bytes: 0, SHORT, or an error status. */
static int
skip(struct rdr *r, uint64_t n)
{
	size_t have = r->len - r->pos, k;
	int64_t got;
	int s;

	if (n <= have) {
		consume(r, (size_t)n);
		return 0;
	}
	consume(r, have);
	n -= have;
	if (!r->inflating && r->sk != NULL && !r->eof) {
		got = r->sk(r->ctx, n);
		if (got < 0)
			return rso_error_set(r->e, EX_IOERR, "seek error: %s",
			    strerror(errno));
		if ((uint64_t)got > n)
			return rso_error_set(r->e, EX_SOFTWARE,
			    "skip callback skipped more than asked");
		r->off += (uint64_t)got;
		r->out->consumed += (uint64_t)got;
		if ((uint64_t)got < n) {
			r->eof = 1;
			return SHORT;
		}
		return 0;
	}
	while (n > 0) {
		if ((s = ensure(r, 1)) != 0)
			return s;
		k = r->len - r->pos;
		if (k > n)
			k = (size_t)n;
		consume(r, k);
		n -= k;
	}
	return 0;
}

static int
truncated(struct rdr *r, const struct el *el)
{
	return rso_error_set(r->e, EX_DATAERR,
	    "truncated element (%04x,%04x) at offset %llu",
	    GROUP(el->tag), ELEM(el->tag), ull(el->off));
}

/*
 * Read an element header: tag, VR when explicit, length.  Item tags
 * (FFFE,xxxx) never carry a VR.  Returns 0, SHORT, or an error status.
 */
static int
read_el(struct rdr *r, const struct syntax *sx, struct el *el)
{
	const unsigned char *b;
	int s;

	el->off = r->off;
	el->vr[0] = '\0';
	if ((s = ensure(r, 8)) != 0)
		return s;
	b = r->buf + r->pos;
	el->tag = TAG(get16(b, sx->big_endian), get16(b + 2, sx->big_endian));
	if (GROUP(el->tag) == 0xFFFE || !sx->explicit_vr) {
		el->len = get32(b + 4, sx->big_endian);
		consume(r, 8);
		return 0;
	}
	if (!vr_known(b + 4))
		return rso_error_set(r->e, EX_DATAERR,
		    "bad VR in element (%04x,%04x) at offset %llu",
		    GROUP(el->tag), ELEM(el->tag), ull(el->off));
	el->vr[0] = (char)b[4];
	el->vr[1] = (char)b[5];
	el->vr[2] = '\0';
	if (!vr_long(el->vr)) {
		el->len = get16(b + 6, sx->big_endian);
		consume(r, 8);
		return 0;
	}
	if ((s = ensure(r, 12)) != 0)
		return s;
	el->len = get32(r->buf + r->pos + 8, sx->big_endian);
	consume(r, 12);
	return 0;
}

/* Count an element against the limits that bound a hostile file. */
static int
count(struct rdr *r, const struct el *el)
{
	if (++r->nelem > RSO_DICOM_MAX_ELEMENTS)
		return rso_error_set(r->e, EX_DATAERR,
		    "more than %ld elements at offset %llu",
		    RSO_DICOM_MAX_ELEMENTS, ull(el->off));
	if (r->off > RSO_DICOM_MAX_HEADER)
		return rso_error_set(r->e, EX_DATAERR,
		    "header longer than %llu bytes at offset %llu",
		    ull(RSO_DICOM_MAX_HEADER), ull(el->off));
	return 0;
}

static const struct field *
field_for(uint32_t tag)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (fields[i].tag == tag)
			return &fields[i];
	return NULL;
}

/* Copy a value into its field (raw bytes, converted later), cutting what
 * does not fit. */
static int
read_value(struct rdr *r, const struct el *el, const struct field *f)
{
	char *dst = (char *)r->out + f->off;
	size_t keep, done = 0, k;
	int s;

	keep = el->len < f->size - 1 ? el->len : f->size - 1;
	while (done < keep) {
		if ((s = ensure(r, 1)) != 0)
			return s < 0 ? truncated(r, el) : s;
		k = r->len - r->pos;
		if (k > keep - done)
			k = keep - done;
		memcpy(dst + done, r->buf + r->pos, k);
		consume(r, k);
		done += k;
	}
	dst[keep] = '\0';
	/* A NUL inside would hide the rest; keep the string honest. */
	for (k = 0; k < keep; k++)
		if (dst[k] == '\0')
			dst[k] = ' ';
	if (el->len > keep) {
		r->out->flags |= RSO_DICOM_LOSSY;
		if ((s = skip(r, el->len - keep)) != 0)
			return s < 0 ? truncated(r, el) : s;
	}
	return 0;
}

static int parse_dataset(struct rdr *, const struct syntax *, int);

/*
 * The items of a sequence (or the fragments of encapsulated pixel data)
 * of undefined length, up to its delimiter.  Items of defined length are
 * skipped whole; those of undefined length are parsed to find their end.
 */
static int
parse_sequence(struct rdr *r, const struct syntax *sx, int depth)
{
	struct el it;
	int s;

	for (;;) {
		if ((s = read_el(r, sx, &it)) != 0)
			return s < 0 ? truncated(r, &it) : s;
		if ((s = count(r, &it)) != 0)
			return s;
		if (it.tag == SEQ_END)
			return 0;
		if (it.tag != ITEM)
			return rso_error_set(r->e, EX_DATAERR,
			    "unexpected element (%04x,%04x) in sequence at "
			    "offset %llu", GROUP(it.tag), ELEM(it.tag),
			    ull(it.off));
		if (it.len != UNDEF) {
			if ((s = skip(r, it.len)) != 0)
				return s < 0 ? truncated(r, &it) : s;
			continue;
		}
		if ((s = parse_dataset(r, sx, depth)) != 0)
			return s;
	}
}

/* After the header: the value, kept, skipped, or parsed for its end. */
static int
element_value(struct rdr *r, const struct syntax *sx, const struct el *el,
    int depth)
{
	static const struct syntax implicit_le = { 0, 0 };
	const struct field *f;
	int s;

	if (el->len == UNDEF) {
		if (sx->explicit_vr && !vr_undef_ok(el->vr))
			return rso_error_set(r->e, EX_DATAERR,
			    "undefined length in element (%04x,%04x) at "
			    "offset %llu", GROUP(el->tag), ELEM(el->tag),
			    ull(el->off));
		if (depth >= RSO_DICOM_MAX_DEPTH)
			return rso_error_set(r->e, EX_DATAERR,
			    "sequences nested deeper than %d at offset %llu",
			    RSO_DICOM_MAX_DEPTH, ull(el->off));
		/* PS3.5 6.2.2: UN of undefined length is implicit VR LE. */
		return parse_sequence(r, strcmp(el->vr, "UN") == 0 ?
		    &implicit_le : sx, depth + 1);
	}
	/* Group 0002 belongs to the meta: never taken from the data set. */
	if (depth == 0 && GROUP(el->tag) != 0x0002 &&
	    (f = field_for(el->tag)) != NULL)
		return read_value(r, el, f);
	if ((s = skip(r, el->len)) != 0)
		return s < 0 ? truncated(r, el) : s;
	return 0;
}

/*
 * Elements up to an item delimiter (depth > 0) or, at the top level, to
 * the end of the stream or the first element past the stop tag.
 */
static int
parse_dataset(struct rdr *r, const struct syntax *sx, int depth)
{
	struct el el;
	int s;

	for (;;) {
		if (depth == 0 && (s = ensure(r, 1)) != 0)
			return s < 0 ? 0 : s;	/* a clean end between elements */
		if ((s = read_el(r, sx, &el)) != 0)
			return s < 0 ? rso_error_set(r->e, EX_DATAERR,
			    "truncated element header at offset %llu",
			    ull(el.off)) : s;
		if ((s = count(r, &el)) != 0)
			return s;
		if (depth > 0 && el.tag == ITEM_END)
			return 0;
		if (GROUP(el.tag) == 0xFFFE)
			return rso_error_set(r->e, EX_DATAERR,
			    "unexpected item tag (%04x,%04x) at offset %llu",
			    GROUP(el.tag), ELEM(el.tag), ull(el.off));
		if (depth == 0 && el.tag > r->stop)
			return 0;
		if ((s = element_value(r, sx, &el, depth)) != 0)
			return s;
		/* Where ConceptNameCodeSequence lies, for a DICOMDIR to copy:
		 * its bytes are the file's only when nothing was inflated. */
		if (depth == 0 && el.tag == TAG(0x0040, 0xA043) &&
		    !r->inflating) {
			r->out->concept_name_off = el.off;
			r->out->concept_name_len = r->off - el.off;
		}
	}
}

/* Drop trailing DICOM padding (spaces, NULs) from a field in place. */
static void
trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
		s[--n] = '\0';
}

/*
 * The file meta group: explicit VR LE by the standard, implicit
 * tolerated, read while the tags stay in group 0002 (some writers get the
 * group length wrong, so it is not trusted).
 */
static int
parse_meta(struct rdr *r)
{
	struct syntax sx = { 1, 0 };
	const struct field *f = field_for(TS_TAG);
	struct el el;
	int s;

	for (;;) {
		if ((s = ensure(r, 2)) != 0)
			return s < 0 ? 0 : s;
		if (get16(r->buf + r->pos, 0) != 0x0002)
			return 0;
		if ((s = ensure(r, 6)) != 0)
			return s < 0 ? rso_error_set(r->e, EX_DATAERR,
			    "truncated file meta at offset %llu",
			    ull(r->off)) : s;
		sx.explicit_vr = vr_known(r->buf + r->pos + 4);
		if ((s = read_el(r, &sx, &el)) != 0)
			return s < 0 ? truncated(r, &el) : s;
		if ((s = count(r, &el)) != 0)
			return s;
		if (el.len == UNDEF)
			return rso_error_set(r->e, EX_DATAERR,
			    "undefined length in file meta element "
			    "(%04x,%04x) at offset %llu", GROUP(el.tag),
			    ELEM(el.tag), ull(el.off));
		if (el.tag == TS_TAG)
			s = read_value(r, &el, f);
		else if ((s = skip(r, el.len)) < 0)
			s = truncated(r, &el);
		if (s != 0)
			return s;
	}
}

/* The rest of the stream is raw deflate: feed it, buffered bytes first. */
static int
start_inflate(struct rdr *r)
{
	size_t have = r->len - r->pos;

	memset(&r->z, 0, sizeof(r->z));
	if (inflateInit2(&r->z, -MAX_WBITS) != Z_OK)
		return rso_error_set(r->e, EX_OSERR, "cannot start inflate");
	r->zinit = 1;
	memcpy(r->zin, r->buf + r->pos, have);
	r->z.next_in = r->zin;
	r->z.avail_in = (uInt)have;
	r->zeof = r->eof;
	r->eof = 0;
	r->pos = r->len = 0;
	r->inflating = 1;
	return 0;
}

/*
 * Trust the meta's explicit/implicit claim only when the first element
 * agrees: a VR where one belongs.  pydicom and dcmtk check the same way.
 */
static int
check_vr_mode(struct rdr *r, struct syntax *sx)
{
	const unsigned char *b;
	int s, looks_explicit;

	if ((s = ensure(r, 6)) != 0)
		return s < 0 ? 0 : s;
	b = r->buf + r->pos;
	if (get16(b, sx->big_endian) == 0xFFFE)
		return 0;
	looks_explicit = vr_known(b + 4);
	if (looks_explicit != sx->explicit_vr) {
		sx->explicit_vr = looks_explicit;
		r->out->flags |= RSO_DICOM_SYNTAX_GUESSED;
	}
	return 0;
}

/* Map the transfer syntax UID to an encoding; 1 when deflated. */
static int
syntax_for(const char *uid, struct syntax *sx, int *syn)
{
	sx->explicit_vr = 1;
	sx->big_endian = 0;
	*syn = RSO_DICOM_EXPLICIT_LE;
	if (strcmp(uid, UID_IMPLICIT_LE) == 0) {
		sx->explicit_vr = 0;
		*syn = RSO_DICOM_IMPLICIT_LE;
	} else if (strcmp(uid, UID_EXPLICIT_BE) == 0) {
		sx->big_endian = 1;
		*syn = RSO_DICOM_EXPLICIT_BE;
	} else if (strcmp(uid, UID_DEFLATED_LE) == 0 ||
	    strcmp(uid, UID_JPIP_DEFLATE) == 0) {
		*syn = RSO_DICOM_DEFLATED_LE;
		return 1;
	}
	return 0;
}

/*
 * Is the first element at b a plausible start of a raw data set in the
 * given encoding?  Sets *next to the offset of the following element.
 */
static int
raw_first(const unsigned char *b, size_t n, const struct syntax *sx,
    size_t *next)
{
	uint32_t len;
	char vr[3];
	size_t hdr = 8;

	if (n < 8 || get16(b, sx->big_endian) != 0x0008)
		return 0;
	if (sx->explicit_vr) {
		if (!vr_known(b + 4))
			return 0;
		vr[0] = (char)b[4];
		vr[1] = (char)b[5];
		vr[2] = '\0';
		if (!vr_long(vr))
			len = get16(b + 6, sx->big_endian);
		else if (n < 12 || b[6] != 0 || b[7] != 0)
			return 0;
		else {
			len = get32(b + 8, sx->big_endian);
			hdr = 12;
			if (len == UNDEF)
				return strcmp(vr, "SQ") == 0 ||
				    strcmp(vr, "UN") == 0 ? (*next = 0, 1) : 0;
		}
	} else {
		if (vr_known(b + 4))
			return 0;
		len = get32(b + 4, 0);
		if (len == UNDEF) {
			*next = 0;
			return 1;
		}
	}
	if (len > 0x10000)
		return 0;
	*next = hdr + len;
	return 1;
}

/*
 * A raw data set: the first element in group 0008, and the second, when
 * it is within reach, later in tag order and well formed.
 */
static int
sniff_raw(const unsigned char *b, size_t n, struct syntax *out)
{
	static const struct syntax tries[] = { { 1, 0 }, { 0, 0 }, { 1, 1 } };
	size_t i, next;
	uint32_t t1, t2;

	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		const struct syntax *sx = &tries[i];

		if (!raw_first(b, n, sx, &next))
			continue;
		if (next > 0 && next + 8 <= n) {
			t1 = TAG(get16(b, sx->big_endian),
			    get16(b + 2, sx->big_endian));
			t2 = TAG(get16(b + next, sx->big_endian),
			    get16(b + next + 2, sx->big_endian));
			if (t2 <= t1 || GROUP(t2) == 0xFFFE ||
			    (sx->explicit_vr && !vr_known(b + next + 4)) ||
			    (!sx->explicit_vr && vr_known(b + next + 4)))
				continue;
		}
		if (out != NULL)
			*out = *sx;
		return 1;
	}
	return 0;
}

/* A meta group without a preamble: (0002,xxxx) with a VR and a sane length. */
static int
sniff_meta(const unsigned char *b, size_t n)
{
	if (n < 8 || get16(b, 0) != 0x0002 || get16(b + 2, 0) > 0x0102 ||
	    !vr_known(b + 4))
		return 0;
	if (b[4] == 'O' && b[5] == 'B')
		return n >= 12 && b[6] == 0 && b[7] == 0 &&
		    get32(b + 8, 0) < 0x10000;
	return 1;
}

enum rso_dicom_kind
rso_dicom_sniff(const void *p, size_t n)
{
	const unsigned char *b = p;

	if (n >= 132 && memcmp(b + 128, "DICM", 4) == 0)
		return RSO_DICOM_PART10;
	if (sniff_meta(b, n))
		return RSO_DICOM_BARE_META;
	if (sniff_raw(b, n, NULL))
		return RSO_DICOM_RAW;
	return RSO_DICOM_NONE;
}

/* A value of a VR that is ASCII by definition: anything else is '?'. */
static unsigned
ascii_only(char *v)
{
	unsigned flags = 0;

	for (; *v; v++)
		if ((unsigned char)*v >= 0x80) {
			*v = '?';
			flags |= RSO_DICOM_LOSSY;
		}
	return flags;
}

/* Trim every field and make it valid UTF-8 in its character set. */
static void
finish(struct rso_dicom_info *out, const unsigned char *cut)
{
	char raw[1024];
	size_t i, n;
	char *v;

	trim(out->specific_character_set);
	for (i = 0; i < NFIELDS; i++) {
		v = (char *)out + fields[i].off;
		trim(v);
		if (!fields[i].text) {
			out->flags |= ascii_only(v);
			continue;
		}
		n = strlen(v);
		memcpy(raw, v, n < sizeof(raw) ? n : sizeof(raw));
		out->flags |= rso_dicom_text_decode(
		    out->specific_character_set, (unsigned char *)raw,
		    n < sizeof(raw) ? n : sizeof(raw), cut[i], v,
		    fields[i].size);
	}
}

/* Choose the encoding of the data set and get the stream ready for it. */
static int
setup(struct rdr *r, struct syntax *sx)
{
	struct rso_dicom_info *out = r->out;
	enum rso_dicom_kind kind;
	size_t sniffed;
	int s;

	while (r->len < RSO_DICOM_SNIFF_LEN && !r->eof)
		if ((s = fill(r)) != 0)
			return s;
	/* Exactly SNIFF_LEN bytes, so the verdict does not hang on how much
	 * the source happened to hand over. */
	sniffed = r->len < RSO_DICOM_SNIFF_LEN ? r->len : RSO_DICOM_SNIFF_LEN;
	kind = rso_dicom_sniff(r->buf, sniffed);
	if (kind == RSO_DICOM_NONE)
		return rso_error_set(r->e, EX_DATAERR, "not a DICOM file");
	if (kind == RSO_DICOM_RAW) {
		sniff_raw(r->buf, sniffed, sx);
		out->syntax = sx->big_endian ? RSO_DICOM_EXPLICIT_BE :
		    sx->explicit_vr ? RSO_DICOM_EXPLICIT_LE :
		    RSO_DICOM_IMPLICIT_LE;
		out->flags |= RSO_DICOM_SYNTAX_GUESSED;
		return 0;
	}
	out->flags |= RSO_DICOM_META;
	if (kind == RSO_DICOM_PART10) {
		out->flags |= RSO_DICOM_PREAMBLE;
		consume(r, 132);
	}
	if ((s = parse_meta(r)) != 0)
		return s;
	trim(out->transfer_syntax_uid);
	if (syntax_for(out->transfer_syntax_uid, sx, &out->syntax) &&
	    (s = start_inflate(r)) != 0)
		return s;
	if (out->transfer_syntax_uid[0] == '\0')
		out->flags |= RSO_DICOM_SYNTAX_GUESSED;
	return check_vr_mode(r, sx);
}

/*
 * Record the encoding actually used, and name its UID for a file that did
 * not (a meta's UID stays, even when contradicted: it also says how the
 * pixel data is compressed).
 */
static void
name_syntax(struct rso_dicom_info *out, const struct syntax *sx)
{
	if (out->syntax != RSO_DICOM_DEFLATED_LE)
		out->syntax = sx->big_endian ? RSO_DICOM_EXPLICIT_BE :
		    sx->explicit_vr ? RSO_DICOM_EXPLICIT_LE :
		    RSO_DICOM_IMPLICIT_LE;
	if (out->transfer_syntax_uid[0] != '\0')
		return;
	snprintf(out->transfer_syntax_uid, sizeof(out->transfer_syntax_uid),
	    "%s", sx->big_endian ? UID_EXPLICIT_BE : sx->explicit_vr ?
	    UID_EXPLICIT_LE : UID_IMPLICIT_LE);
}

static int
read_to(rso_dicom_read_fn *rd, rso_dicom_skip_fn *sk, void *ctx,
    struct rso_dicom_info *out, struct rso_error *e, uint32_t stop)
{
	struct rso_error scratch;
	struct rdr *r, rbuf;
	struct syntax sx = { 1, 0 };
	unsigned char cut[NFIELDS];
	unsigned flags;
	uint64_t consumed;
	size_t i;
	int s;

	r = &rbuf;
	memset(out, 0, sizeof(*out));
	r->rd = rd;
	r->sk = sk;
	r->ctx = ctx;
	r->e = e != NULL ? e : &scratch;
	r->out = out;
	r->pos = r->len = 0;
	r->off = 0;
	r->eof = r->inflating = r->zinit = r->zeof = 0;
	r->nelem = 0;
	r->stop = stop;
	if ((s = setup(r, &sx)) == 0)
		s = parse_dataset(r, &sx, 0);
	if (r->zinit)
		inflateEnd(&r->z);
	if (s != 0) {
		flags = out->flags;
		consumed = out->consumed;
		memset(out, 0, sizeof(*out));
		out->flags = flags;
		out->consumed = consumed;
		return s;
	}
	/* A field filled to the brim may end in a cut character. */
	for (i = 0; i < NFIELDS; i++)
		cut[i] = strlen((char *)out + fields[i].off) ==
		    fields[i].size - 1;
	name_syntax(out, &sx);
	finish(out, cut);
	return 0;
}

int
rso_dicom_read(rso_dicom_read_fn *rd, rso_dicom_skip_fn *sk, void *ctx,
    struct rso_dicom_info *out, struct rso_error *e)
{
	return read_to(rd, sk, ctx, out, e, STOP_TAG);
}

struct fdsrc {
	int fd;
};

static ssize_t
fd_read(void *ctx, void *buf, size_t n)
{
	struct fdsrc *f = ctx;
	ssize_t k;

	do
		k = read(f->fd, buf, n);
	while (k < 0 && errno == EINTR);
	return k;
}

/* Seek forward, but never past the end: what lies past it was truncated. */
static int64_t
fd_skip(void *ctx, uint64_t n)
{
	struct fdsrc *f = ctx;
	struct stat st;
	off_t cur;
	uint64_t left;

	if ((cur = lseek(f->fd, 0, SEEK_CUR)) < 0 || fstat(f->fd, &st) < 0)
		return -1;
	left = st.st_size > cur ? (uint64_t)(st.st_size - cur) : 0;
	if (n > left)
		n = left;
	if (lseek(f->fd, (off_t)n, SEEK_CUR) < 0)
		return -1;
	return (int64_t)n;
}

int
rso_dicom_read_fd(int fd, struct rso_dicom_info *out, struct rso_error *e)
{
	struct fdsrc f = { fd };
	struct stat st;
	int seekable;

	seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    lseek(fd, 0, SEEK_CUR) >= 0;
	return rso_dicom_read(fd_read, seekable ? fd_skip : NULL, &f, out, e);
}

int
rso_dicom_read_deep(int fd, struct rso_dicom_info *out, struct rso_error *e)
{
	struct fdsrc f = { fd };

	return read_to(fd_read, fd_skip, &f, out, e, DEEP_STOP_TAG);
}

struct memsrc {
	const unsigned char *p;
	size_t n, at;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t n)
{
	struct memsrc *m = ctx;

	if (n > m->n - m->at)
		n = m->n - m->at;
	memcpy(buf, m->p + m->at, n);
	m->at += n;
	return (ssize_t)n;
}

static int64_t
mem_skip(void *ctx, uint64_t n)
{
	struct memsrc *m = ctx;

	if (n > m->n - m->at)
		n = m->n - m->at;
	m->at += (size_t)n;
	return (int64_t)n;
}

int
rso_dicom_read_mem(const void *p, size_t n, struct rso_dicom_info *out,
    struct rso_error *e)
{
	struct memsrc m = { p, n, 0 };

	return rso_dicom_read(mem_read, mem_skip, &m, out, e);
}

/* Days in a month of the proleptic Gregorian calendar. */
static int
mdays(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* Parse n digits at s; -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/* Y, M, D from "YYYY" sep "MM" sep "DD", sep possibly empty. */
static int
ymd(const char *s, char sep, int *y, int *m, int *d)
{
	size_t w = sep ? 1 : 0;

	if (strlen(s) != 8 + 2 * w || (sep && (s[4] != sep || s[7] != sep)))
		return -1;
	*y = digits(s, 4);
	*m = digits(s + 4 + w, 2);
	*d = digits(s + 6 + 2 * w, 2);
	if (*y < 0 || *m < 1 || *m > 12 || *d < 1 || *d > mdays(*y, *m))
		return -1;
	return 0;
}

int
rso_dicom_da_to_iso(const char *da, char iso[11])
{
	int y, m, d;

	iso[0] = '\0';
	if (ymd(da, 0, &y, &m, &d) != 0 && ymd(da, '.', &y, &m, &d) != 0)
		return EX_DATAERR;
	snprintf(iso, 11, "%04d-%02d-%02d", y, m, d);
	return 0;
}

int
rso_dicom_iso_to_da(const char *iso, char da[9])
{
	int y, m, d;

	da[0] = '\0';
	if (ymd(iso, '-', &y, &m, &d) != 0)
		return EX_DATAERR;
	snprintf(da, 9, "%04d%02d%02d", y, m, d);
	return 0;
}
