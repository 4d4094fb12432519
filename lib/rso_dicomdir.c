/* rso_dicomdir: a case's DICOM studies as a file-set with a DICOMDIR. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "rso_arc.h"
#include "rso_casearc.h"
#include "rso_dicom.h"
#include "rso_dicomdir.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_records.h"
#include "rso_time.h"

#define COPYBUF (64 * 1024)
#define UID_DIR		"1.2.840.10008.1.3.10"	/* Media Storage Directory */
#define UID_EXPLICIT_LE	"1.2.840.10008.1.2.1"
/* rso's implementation class UID: 2.25 and a fixed 128-bit number. */
#define UID_IMPL	"2.25.246883350219455186451283633390129152375"

struct inst {
	const char *name;		/* the entry in the case archive */
	const char *case_id;		/* the PatientID when it has none */
	const char *sha256;		/* its SHA-256, as filed */
	int item;
	const char *study, *series;
	int st, se, im;			/* numbers in the file-set's paths */
	uint64_t shift;			/* bytes put before the data set */
	char path[48];			/* DICOM/STnnnnnn/SEnnnnnn/IMnnnnnn */
	struct rso_dicom_info info;
};

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 256;
		b->p = rso_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void
put16(struct buf *b, uint16_t v)
{
	unsigned char x[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	put(b, x, 2);
}

static void
put32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8),
		(unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	put(b, x, 4);
}

static void
set32(struct buf *b, size_t at, uint32_t v)
{
	b->p[at] = (unsigned char)v;
	b->p[at + 1] = (unsigned char)(v >> 8);
	b->p[at + 2] = (unsigned char)(v >> 16);
	b->p[at + 3] = (unsigned char)(v >> 24);
}

/* One element, explicit VR little endian, padded to even length. */
static void
elem(struct buf *b, uint16_t g, uint16_t e, const char *vr, const void *v,
    size_t len)
{
	size_t plen = len + (len & 1);
	int longvr = strcmp(vr, "OB") == 0 || strcmp(vr, "SQ") == 0 ||
	    strcmp(vr, "UN") == 0 || strcmp(vr, "UT") == 0;

	put16(b, g);
	put16(b, e);
	put(b, vr, 2);
	if (longvr) {
		put16(b, 0);
		put32(b, (uint32_t)plen);
	} else
		put16(b, (uint16_t)plen);
	put(b, v, len);
	if (len & 1)
		put(b, strcmp(vr, "UI") == 0 || strcmp(vr, "OB") == 0 ? "\0" : " ",
		    1);
}

static void
str(struct buf *b, uint16_t g, uint16_t e, const char *vr, const char *s)
{
	elem(b, g, e, vr, s, strlen(s));
}

static void
ul(struct buf *b, uint16_t g, uint16_t e, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8),
		(unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	elem(b, g, e, "UL", x, 4);
}

static void
us(struct buf *b, uint16_t g, uint16_t e, uint16_t v)
{
	unsigned char x[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	elem(b, g, e, "US", x, 2);
}

/* Preamble, "DICM" and the file meta group for an object. */
static void
part10_head(struct buf *b, const char *sop_class, const char *sop_inst,
    const char *syntax)
{
	struct buf g = { 0 };
	static const unsigned char version[2] = { 0, 1 };
	unsigned char zero[128] = { 0 };

	elem(&g, 0x0002, 0x0001, "OB", version, 2);
	str(&g, 0x0002, 0x0002, "UI", sop_class);
	str(&g, 0x0002, 0x0003, "UI", sop_inst);
	str(&g, 0x0002, 0x0010, "UI", syntax);
	str(&g, 0x0002, 0x0012, "UI", UID_IMPL);
	str(&g, 0x0002, 0x0013, "SH", "RSO_" RSO_VERSION);
	put(b, zero, sizeof(zero));
	put(b, "DICM", 4);
	ul(b, 0x0002, 0x0000, (uint32_t)g.n);
	put(b, g.p, g.n);
	free(g.p);
}

/* The current entry of rd into path, as it was filed. */
static int
extract(struct rso_seg_reader *rd, const char *path, char *sha256,
    struct rso_error *e)
{
	struct rso_sha256 *h = rso_sha256_new();
	char *buf = rso_xmalloc(COPYBUF);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	ssize_t n = 0;
	int rc = 0;

	if (fd < 0)
		rc = rso_error_set(e, EX_CANTCREAT, "%s", strerror(errno));
	while (rc == 0 && (n = rso_seg_read(rd, buf, COPYBUF, e)) > 0) {
		rso_sha256_update(h, buf, (size_t)n);
		if (rso_write_all(fd, buf, (size_t)n) != 0)
			rc = rso_error_set(e, EX_IOERR, "%s", strerror(errno));
	}
	rso_sha256_final_hex(h, sha256);
	if (rc == 0 && n < 0)
		rc = e->status;
	if (fd >= 0 && (fsync(fd) != 0 || close(fd) != 0) && rc == 0)
		rc = rso_error_set(e, EX_IOERR, "%s", strerror(errno));
	free(buf);
	return rc;
}

/* Give a file filed without them a preamble and a file meta group. */
static int
make_part10(struct inst *in, const char *path, struct rso_error *e)
{
	struct buf head = { 0 };
	char *tmp = rso_xasprintf("%s.tmp", path), *buf;
	int from, to, rc = 0;
	ssize_t n;

	if (in->info.flags & RSO_DICOM_META) {
		unsigned char zero[128] = { 0 };

		put(&head, zero, sizeof(zero));
		put(&head, "DICM", 4);
	} else
		part10_head(&head, in->info.sop_class_uid,
		    in->info.sop_instance_uid, in->info.transfer_syntax_uid);
	in->shift = head.n;
	from = open(path, O_RDONLY | O_CLOEXEC);
	to = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	buf = rso_xmalloc(COPYBUF);
	if (from < 0 || to < 0 || rso_write_all(to, head.p, head.n) != 0)
		rc = rso_error_set(e, EX_IOERR, "%s", strerror(errno));
	while (rc == 0 && (n = read(from, buf, COPYBUF)) != 0)
		if (n < 0 || rso_write_all(to, buf, (size_t)n) != 0)
			rc = rso_error_set(e, EX_IOERR, "%s", strerror(errno));
	if (to >= 0 && (fsync(to) != 0 || close(to) != 0) && rc == 0)
		rc = rso_error_set(e, EX_IOERR, "%s", strerror(errno));
	if (from >= 0)
		close(from);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = rso_error_set(e, EX_IOERR, "%s", strerror(errno));
	free(buf);
	free(head.p);
	free(tmp);
	return rc;
}

/* One instance out of the archive, read back for the DICOMDIR. */
static int
take_instance(struct inst *in, struct rso_seg_reader *rd, const char *root,
    const char *id, struct rso_error *e)
{
	char *path = rso_xasprintf("%s/%s", root, in->path), *slash;
	char sha[RSO_SHA256_HEXLEN];
	int fd, rc;

	/* DICOM/STnnnnnn/SEnnnnnn: make each level. */
	for (slash = strchr(path + strlen(root) + 1, '/'); slash;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0750) != 0 && errno != EEXIST) {
			rc = rso_error_set(e, EX_CANTCREAT, "%s: %s", id,
			    strerror(errno));
			free(path);
			return rc;
		}
		*slash = '/';
	}
	/* Into the temporary file-set, checked before it is put in place. */
	if ((rc = extract(rd, path, sha, e)) == 0 &&
	    strcmp(sha, in->sha256 ? in->sha256 : "") != 0)
		rc = rso_error_set(e, EX_DATAERR, "%s: item %04d: SHA-256 does "
		    "not match the store", id, in->item);
	if (rc == 0) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			rc = rso_error_set(e, EX_IOERR, "%s", strerror(errno));
		else {
			rc = rso_dicom_read_deep(fd, &in->info, e);
			close(fd);
		}
	}
	if (rc == 0 && in->info.sop_class_uid[0] == '\0')
		rc = rso_error_set(e, EX_DATAERR, "%s: item %s: no SOPClassUID",
		    id, in->path);
	if (rc == 0 && !(in->info.flags & RSO_DICOM_PREAMBLE))
		rc = make_part10(in, path, e);
	free(path);
	return rc;
}

/* Directory records.  Each starts with its three offsets, patched later. */
#define OFF_NEXT	8	/* (0004,1400) UL value */
#define OFF_LOWER	30	/* (0004,1420) UL value */

struct rec {
	struct buf b;
	int level;		/* 0 patient, 1 study, 2 series, 3 image */
	size_t at;		/* its item's offset in the file */
};

static struct rec *
rec_new(struct rec **v, size_t *n, int level, const char *type)
{
	struct rec *r;

	*v = rso_xrealloc(*v, (*n + 1) * sizeof(**v));
	r = &(*v)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->level = level;
	ul(&r->b, 0x0004, 0x1400, 0);
	us(&r->b, 0x0004, 0x1410, 0xFFFF);
	ul(&r->b, 0x0004, 0x1420, 0);
	str(&r->b, 0x0004, 0x1430, "CS", type);
	return r;
}

/* What a directory record of a type carries past its file references. */
enum {
	K_INSTANCE = 0x01,	/* InstanceNumber */
	K_CONTENT = 0x02,	/* ContentDate, ContentTime (Type 1) */
	K_CONTENT2 = 0x04,	/* ContentDate, ContentTime (Type 2) */
	K_SR = 0x08,		/* CompletionFlag, VerificationFlag */
	K_LABEL = 0x10,		/* ContentLabel, -Description, -CreatorName */
	K_PRESENTED = 0x20,	/* PresentationCreationDate, -Time */
	K_DOSE = 0x40,		/* DoseSummationType */
	K_STRUCTURES = 0x80,	/* StructureSetLabel, -Date, -Time */
	K_PLAN = 0x100,		/* RTPlanLabel, -Date, -Time */
	K_TREATED = 0x200,	/* TreatmentDate, TreatmentTime */
	K_ENCAP = 0x400,	/* DocumentTitle, MIMETypeOfEncapsulatedDocument */
	K_CONCEPT = 0x800,	/* ConceptNameCodeSequence (Type 1) */
	K_CONCEPT2 = 0x1000	/* ConceptNameCodeSequence (Type 2) */
};

/*
 * The directory record type of a SOP class (PS3.3 F.5, PS3.4 B.5): the
 * first entry whose prefix the class UID starts with ("." ends a family,
 * else the UID must be equal), IMAGE for the rest.
 */
static const struct rectype {
	const char *uid, *type;
	unsigned keys;
} rectypes[] = {
#define C "1.2.840.10008.5.1.4.1.1."
	{ C "88.59", "KEY OBJECT DOC", K_INSTANCE | K_CONTENT | K_CONCEPT },
	{ C "88.", "SR DOCUMENT", K_INSTANCE | K_CONTENT | K_SR | K_CONCEPT },
	{ C "481.2", "RT DOSE", K_INSTANCE | K_DOSE },
	{ C "481.3", "RT STRUCTURE SET", K_INSTANCE | K_STRUCTURES },
	{ C "481.5", "RT PLAN", K_INSTANCE | K_PLAN },
	{ C "481.8", "RT PLAN", K_INSTANCE | K_PLAN },
	{ C "481.4", "RT TREAT RECORD", K_INSTANCE | K_TREATED },
	{ C "481.6", "RT TREAT RECORD", K_INSTANCE | K_TREATED },
	{ C "481.7", "RT TREAT RECORD", K_INSTANCE | K_TREATED },
	{ C "481.9", "RT TREAT RECORD", K_INSTANCE | K_TREATED },
	{ C "11.", "PRESENTATION", K_INSTANCE | K_CONTENT | K_LABEL |
	    K_PRESENTED },
	{ C "9.", "WAVEFORM", K_INSTANCE | K_CONTENT },
	{ C "104.", "ENCAP DOC", K_INSTANCE | K_CONTENT2 | K_ENCAP |
	    K_CONCEPT2 },
	{ C "66", "RAW DATA", K_INSTANCE | K_CONTENT },
	{ C "66.1", "REGISTRATION", K_INSTANCE | K_CONTENT | K_LABEL },
	{ C "66.3", "REGISTRATION", K_INSTANCE | K_CONTENT | K_LABEL },
	{ C "66.2", "FIDUCIAL", K_INSTANCE | K_CONTENT | K_LABEL },
#undef C
};

static const struct rectype *
rectype_of(const char *sop_class)
{
	static const struct rectype image = { "", "IMAGE", K_INSTANCE };
	size_t i, n;

	for (i = 0; i < sizeof(rectypes) / sizeof(rectypes[0]); i++) {
		n = strlen(rectypes[i].uid);
		if (rectypes[i].uid[n - 1] == '.' ?
		    strncmp(sop_class, rectypes[i].uid, n) == 0 :
		    strcmp(sop_class, rectypes[i].uid) == 0)
			return &rectypes[i];
	}
	return &image;
}

/* v, or else the fallback: a Type 1 value the instance lacks. */
static const char *
or(const char *v, const char *fallback)
{
	return v && *v ? v : fallback;
}

/* The day of the export, DA, for a Type 1 date no instance gives. */
static const char *
today(void)
{
	static char da[9];
	char iso[RSO_TIME_STRLEN];

	rso_time_format(rso_now(), iso);
	snprintf(da, sizeof(da), "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
	return da;
}

/*
 * The instance's ConceptNameCodeSequence, copied as its bytes when they
 * are explicit VR little endian, as the DICOMDIR is (the title of an SR
 * or a key object selection); else an empty sequence.
 */
static void
concept_name(struct buf *b, const char *root, const struct inst *in)
{
	const struct rso_dicom_info *d = &in->info;
	char *path = rso_xasprintf("%s/%s", root, in->path);
	unsigned char *raw;
	int fd;

	if (d->concept_name_len > 0 && d->concept_name_len < (1u << 20) &&
	    strcmp(d->transfer_syntax_uid, UID_EXPLICIT_LE) == 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		raw = rso_xmalloc(d->concept_name_len);
		/* The file now has a preamble and meta when it lacked them:
		 * the offset counts from the data set's start then. */
		if (pread(fd, raw, d->concept_name_len,
		    (off_t)(d->concept_name_off + in->shift)) ==
		    (ssize_t)d->concept_name_len &&
		    raw[0] == 0x40 && raw[1] == 0x00 && raw[2] == 0x43 &&
		    raw[3] == 0xA0) {
			put(b, raw, d->concept_name_len);
			free(raw);
			close(fd);
			free(path);
			return;
		}
		free(raw);
		close(fd);
	}
	free(path);
	put16(b, 0x0040);
	put16(b, 0xA043);
	put(b, "SQ\0\0", 4);
	put32(b, 0);
}

/* The record of an instance: the file it is and its type's keys. */
static void
instance_record(struct rec **recs, size_t *nrecs, const struct inst *in,
    const char *root)
{
	const struct rso_dicom_info *d = &in->info;
	const struct rectype *t = rectype_of(d->sop_class_uid);
	char fileid[48], num[16], *p;
	const char *cdate = or(d->content_date, or(d->study_date, today()));
	const char *ctime = or(d->content_time, or(d->study_time, "000000"));
	struct rec *r = rec_new(recs, nrecs, 3, t->type);

	snprintf(fileid, sizeof(fileid), "%s", in->path);
	for (p = fileid; *p; p++)
		if (*p == '/')
			*p = '\\';
	str(&r->b, 0x0004, 0x1500, "CS", fileid);
	str(&r->b, 0x0004, 0x1510, "UI", d->sop_class_uid);
	str(&r->b, 0x0004, 0x1511, "UI", d->sop_instance_uid);
	str(&r->b, 0x0004, 0x1512, "UI", d->transfer_syntax_uid);
	if (t->keys & K_CONTENT) {
		str(&r->b, 0x0008, 0x0023, "DA", cdate);
		str(&r->b, 0x0008, 0x0033, "TM", ctime);
	}
	if (t->keys & K_CONTENT2) {
		str(&r->b, 0x0008, 0x0023, "DA", d->content_date);
		str(&r->b, 0x0008, 0x0033, "TM", d->content_time);
	}
	snprintf(num, sizeof(num), "%d", in->im);
	str(&r->b, 0x0020, 0x0013, "IS", or(d->instance_number, num));
	if (t->keys & (K_CONCEPT | K_CONCEPT2))
		concept_name(&r->b, root, in);
	if (t->keys & K_SR) {
		str(&r->b, 0x0040, 0xA491, "CS", or(d->completion_flag,
		    "PARTIAL"));
		str(&r->b, 0x0040, 0xA493, "CS", or(d->verification_flag,
		    "UNVERIFIED"));
	}
	if (t->keys & K_ENCAP) {
		str(&r->b, 0x0042, 0x0010, "ST", d->document_title);
		str(&r->b, 0x0042, 0x0012, "LO", or(d->mime_type,
		    "application/octet-stream"));
	}
	if (t->keys & K_LABEL) {
		str(&r->b, 0x0070, 0x0080, "CS", or(d->content_label,
		    "UNNAMED"));
		str(&r->b, 0x0070, 0x0081, "LO", "");
	}
	if (t->keys & K_PRESENTED) {
		str(&r->b, 0x0070, 0x0082, "DA", or(d->presentation_date,
		    cdate));
		str(&r->b, 0x0070, 0x0083, "TM", or(d->presentation_time,
		    ctime));
	}
	if (t->keys & K_LABEL)
		str(&r->b, 0x0070, 0x0084, "PN", "");
	if (t->keys & K_DOSE)
		str(&r->b, 0x3004, 0x000A, "CS", d->dose_summation_type);
	if (t->keys & K_STRUCTURES) {
		str(&r->b, 0x3006, 0x0002, "SH", or(d->structure_set_label,
		    "UNNAMED"));
		str(&r->b, 0x3006, 0x0008, "DA", "");
		str(&r->b, 0x3006, 0x0009, "TM", "");
	}
	if (t->keys & K_TREATED) {
		str(&r->b, 0x3008, 0x0250, "DA", "");
		str(&r->b, 0x3008, 0x0251, "TM", "");
	}
	if (t->keys & K_PLAN) {
		str(&r->b, 0x300A, 0x0002, "SH", or(d->rt_plan_label,
		    "UNNAMED"));
		str(&r->b, 0x300A, 0x0006, "DA", "");
		str(&r->b, 0x300A, 0x0007, "TM", "");
	}
}

/* A study's record, from its first instance; Type 1 values filled. */
static void
study_record(struct rec **recs, size_t *nrecs, const struct inst *in)
{
	const struct rso_dicom_info *d = &in->info;
	struct rec *r = rec_new(recs, nrecs, 1, "STUDY");
	char num[16];

	str(&r->b, 0x0008, 0x0005, "CS", "ISO_IR 192");
	str(&r->b, 0x0008, 0x0020, "DA", or(d->study_date, or(d->content_date,
	    today())));
	str(&r->b, 0x0008, 0x0030, "TM", or(d->study_time, or(d->content_time,
	    "000000")));
	str(&r->b, 0x0008, 0x0050, "SH", d->accession_number);
	str(&r->b, 0x0008, 0x1030, "LO", d->study_description);
	str(&r->b, 0x0020, 0x000D, "UI", d->study_instance_uid);
	snprintf(num, sizeof(num), "%d", in->st);
	str(&r->b, 0x0020, 0x0010, "SH", or(d->study_id, num));
}

static void
series_record(struct rec **recs, size_t *nrecs, const struct inst *in)
{
	const struct rso_dicom_info *d = &in->info;
	struct rec *r = rec_new(recs, nrecs, 2, "SERIES");
	char num[16];

	str(&r->b, 0x0008, 0x0060, "CS", or(d->modality, "OT"));
	str(&r->b, 0x0020, 0x000E, "UI", d->series_instance_uid);
	snprintf(num, sizeof(num), "%d", in->se);
	str(&r->b, 0x0020, 0x0011, "IS", or(d->series_number, num));
}

/* The PatientID a study is filed under: its first instance's, or the case. */
static const char *
patient_of(const struct inst *in)
{
	return or(in->info.patient_id, in->case_id);
}

/*
 * The records, depth first: a PATIENT per PatientID (in the order they
 * first come; a study is its first instance's patient's), its studies,
 * their series, their instances.  v is sorted by path, so a study's and
 * a series' instances are together.
 */
static void
records_of(struct inst *v, size_t n, const char *root, struct rec **recs,
    size_t *nrecs)
{
	size_t *first = rso_xcalloc(n + 1, sizeof(*first)), i, j, k;
	const char *pid;
	struct rec *r;

	/* The first instance of each one's study: the study's values. */
	for (j = 0; j < n; j++)
		first[j] = j > 0 && v[j].st == v[j - 1].st ? first[j - 1] : j;
	for (i = 0; i < n; i++) {
		if (first[i] != i)
			continue;
		pid = patient_of(&v[i]);
		for (k = 0; k < i; k++)
			if (first[k] == k && strcmp(patient_of(&v[k]), pid) == 0)
				break;
		if (k < i)
			continue;	/* that patient has its record */
		r = rec_new(recs, nrecs, 0, "PATIENT");
		str(&r->b, 0x0008, 0x0005, "CS", "ISO_IR 192");
		str(&r->b, 0x0010, 0x0010, "PN", v[i].info.patient_name);
		str(&r->b, 0x0010, 0x0020, "LO", pid);
		for (j = i; j < n; j++) {
			if (strcmp(patient_of(&v[first[j]]), pid) != 0)
				continue;
			if (first[j] == j)
				study_record(recs, nrecs, &v[j]);
			if (first[j] == j || v[j].se != v[j - 1].se)
				series_record(recs, nrecs, &v[j]);
			instance_record(recs, nrecs, &v[j], root);
		}
	}
	free(first);
}

/*
 * Link the records: each one's next sibling (the next record at its level
 * before one at a higher level) and its first child (the record after it,
 * when deeper).  Returns the offset of the last root record.
 */
static size_t
link_records(struct rec *v, size_t n)
{
	size_t i, j, last_root = 0;

	for (i = 0; i < n; i++) {
		if (v[i].level == 0)
			last_root = v[i].at;
		if (i + 1 < n && v[i + 1].level > v[i].level)
			set32(&v[i].b, OFF_LOWER, (uint32_t)v[i + 1].at);
		for (j = i + 1; j < n && v[j].level > v[i].level; j++)
			;
		if (j < n && v[j].level == v[i].level)
			set32(&v[i].b, OFF_NEXT, (uint32_t)v[j].at);
	}
	return last_root;
}

static int
write_dicomdir(struct inst *v, size_t n, const char *root, const char *id,
    char *sha256, struct rso_error *e)
{
	struct buf f = { 0 }, ds = { 0 };
	struct rec *recs = NULL;
	size_t nrecs = 0, i, head, items = 0, at, off1202, off1200;
	char oid[64], what[96], *path;
	int fd, rc = 0;

	snprintf(what, sizeof(what), "%s/dicomdir", id);
	rso_uuid_oid(what, oid, sizeof(oid));
	records_of(v, n, root, &recs, &nrecs);
	part10_head(&f, UID_DIR, oid, UID_EXPLICIT_LE);
	str(&ds, 0x0004, 0x1130, "CS", "RSO");
	off1200 = ds.n + 8;
	ul(&ds, 0x0004, 0x1200, 0);
	off1202 = ds.n + 8;
	ul(&ds, 0x0004, 0x1202, 0);
	us(&ds, 0x0004, 0x1212, 0);
	for (i = 0; i < nrecs; i++)
		items += 8 + recs[i].b.n;
	put16(&ds, 0x0004);
	put16(&ds, 0x1220);
	put(&ds, "SQ\0\0", 4);
	put32(&ds, (uint32_t)items);
	head = f.n + ds.n;
	for (at = head, i = 0; i < nrecs; i++) {
		recs[i].at = at;
		at += 8 + recs[i].b.n;
	}
	set32(&ds, off1200, (uint32_t)recs[0].at);
	set32(&ds, off1202, (uint32_t)link_records(recs, nrecs));
	put(&f, ds.p, ds.n);
	for (i = 0; i < nrecs; i++) {
		put16(&f, 0xFFFE);
		put16(&f, 0xE000);
		put32(&f, (uint32_t)recs[i].b.n);
		put(&f, recs[i].b.p, recs[i].b.n);
		free(recs[i].b.p);
	}
	path = rso_xasprintf("%s/DICOMDIR", root);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0 || rso_write_all(fd, f.p, f.n) != 0 || fsync(fd) != 0)
		rc = rso_error_set(e, EX_IOERR, "%s: DICOMDIR: %s", id,
		    strerror(errno));
	if (fd >= 0)
		close(fd);
	rso_sha256_hex(f.p, f.n, sha256);
	free(path);
	free(recs);
	free(f.p);
	free(ds.p);
	return rc;
}

/* The case's instances, numbered by study, series and arrival. */
static int
want(json_t *line, void *ctx)
{
	if (json_object_get(line, "sop_uid") != NULL)
		json_array_append(ctx, line);
	return 0;
}

static int
by_path(const void *a, const void *b)
{
	return strcmp(((const struct inst *)a)->path,
	    ((const struct inst *)b)->path);
}

/* The number of key in map: 1, 2, ... in the order keys first come. */
static int
ordinal(json_t *map, const char *key)
{
	json_t *v = json_object_get(map, key);

	if (v == NULL) {
		v = json_integer((json_int_t)json_object_size(map) + 1);
		json_object_set_new(map, key, v);
	}
	return (int)json_integer_value(v);
}

/* The map under key in maps, made when missing. */
static json_t *
submap(json_t *maps, const char *key)
{
	json_t *m = json_object_get(maps, key);

	if (m == NULL) {
		m = json_object();
		json_object_set_new(maps, key, m);
	}
	return m;
}

/*
 * Studies numbered in the order they were filed, series within their
 * study, instances within their series; sorted by path, the order of
 * the DICOMDIR's records.
 */
static struct inst *
number(json_t *lines, const char *case_id, size_t *n)
{
	struct inst *v = rso_xcalloc(json_array_size(lines) + 1, sizeof(*v));
	json_t *studies = json_object(), *series = json_object();
	json_t *images = json_object(), *line;
	char key[140];
	size_t i;

	json_array_foreach(lines, i, line) {
		v[i].name = rso_json_str(line, "name");
		v[i].case_id = case_id;
		v[i].sha256 = rso_json_str(line, "sha256");
		v[i].item = (int)json_integer_value(json_object_get(line,
		    "item"));
		v[i].study = rso_json_str(line, "study_uid");
		v[i].series = rso_json_str(line, "series_uid") ?
		    rso_json_str(line, "series_uid") : "";
		snprintf(key, sizeof(key), "%s/%s", v[i].study, v[i].series);
		v[i].st = ordinal(studies, v[i].study);
		v[i].se = ordinal(submap(series, v[i].study), v[i].series);
		v[i].im = ordinal(submap(images, key), v[i].name);
		snprintf(v[i].path, sizeof(v[i].path),
		    "DICOM/ST%06d/SE%06d/IM%06d", v[i].st, v[i].se, v[i].im);
	}
	json_decref(studies);
	json_decref(series);
	json_decref(images);
	*n = json_array_size(lines);
	qsort(v, *n, sizeof(*v), by_path);
	return v;
}

/* Every instance out of the case's archive into root. */
static int
extract_all(struct rso_store *s, const char *id,
    const struct rso_age_identities *ids, struct inst *v, size_t n,
    const char *root, struct rso_error *e)
{
	char *dir = rso_casearc_dir(s, id);
	struct rso_seg_reader *rd = rso_seg_open_case(dir, ids, e);
	json_t *wanted = json_object(), *k;
	struct rso_seg_entry ent;
	size_t i, done = 0;
	int got = 0, rc = 0;

	free(dir);
	if (rd == NULL) {
		json_decref(wanted);
		return e->status;
	}
	/* Entry name -> instance, so a large study is one pass, not n. */
	for (i = 0; i < n; i++)
		json_object_set_new(wanted, v[i].name, json_integer((json_int_t)i));
	while (rc == 0 && done < n && (got = rso_seg_next(rd, &ent, e)) > 0) {
		if (ent.isdir || (k = json_object_get(wanted, ent.name)) == NULL)
			continue;
		rc = take_instance(&v[json_integer_value(k)], rd, root, id, e);
		json_object_del(wanted, ent.name);
		done++;
	}
	json_decref(wanted);
	if (rc == 0 && got < 0)
		rc = e->status;
	if (rc == 0 && done < n)
		rc = rso_error_set(e, EX_DATAERR, "%s: archive: %zu indexed "
		    "instances are missing", id, n - done);
	rso_seg_close(rd);
	return rc;
}

/* Put root in place as dir/name, replacing what was there when force. */
static int
settle(const char *root, const char *dir, const char *name, int force,
    struct rso_error *e)
{
	char *to = rso_xasprintf("%s/%s", dir, name), *old = NULL;
	int rc = 0;

	if (force && access(to, F_OK) == 0) {
		old = rso_xasprintf("%s/.%s.old.XXXXXX", dir, name);
		if (mkdtemp(old) == NULL || rename(to, old) != 0) {
			rc = rso_error_set(e, EX_CANTCREAT, "%s: %s", name,
			    strerror(errno));
			goto out;
		}
	}
	chmod(root, 0750);
	if (rename(root, to) != 0)
		rc = rso_error_set(e, EX_CANTCREAT, "%s: %s", name, errno ==
		    ENOTEMPTY || errno == EEXIST ? "there already (--force "
		    "replaces it)" : strerror(errno));
	rso_fsync_dir(dir);
out:
	if (old != NULL)
		rso_remove_tree(old);
	free(old);
	free(to);
	return rc;
}

int
rso_dicomdir_write(struct rso_store *s, const char *id,
    const struct rso_age_identities *ids, const char *dir, const char *name,
    int force, char *sha256, struct rso_error *e)
{
	json_t *lines = json_array();
	struct inst *v = NULL;
	char *root = NULL;
	size_t n = 0;
	int rc;

	if ((rc = rso_records_manifest(s, id, want, lines, e)) != 0)
		goto out;
	if (json_array_size(lines) == 0) {
		rc = rso_error_set(e, EX_DATAERR, "%s: no DICOM to export", id);
		goto out;
	}
	v = number(lines, id, &n);
	root = rso_xasprintf("%s/.%s.XXXXXX", dir, name);
	if (mkdtemp(root) == NULL) {
		rc = rso_error_set(e, EX_CANTCREAT, "%s: %s", dir, strerror(errno));
		free(root);
		root = NULL;
		goto out;
	}
	if ((rc = extract_all(s, id, ids, v, n, root, e)) == 0 &&
	    (rc = write_dicomdir(v, n, root, id, sha256, e)) == 0)
		rc = settle(root, dir, name, force, e);
	if (rc != 0)
		rso_remove_tree(root);
out:
	free(root);
	free(v);
	json_decref(lines);
	return rc;
}
