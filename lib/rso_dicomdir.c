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

#include "rso_arc.h"
#include "rso_casearc.h"
#include "rso_dicom.h"
#include "rso_dicomdir.h"
#include "rso_hash.h"
#include "rso_media.h"
#include "rso_store_priv.h"
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

/* The current entry of rd into path, as it was filed; where names it in
 * messages ("CASE: DICOM/ST.../IM..."). */
static int
extract(struct rso_seg_reader *rd, const char *path, const char *where,
    char *sha256, struct rso_error *e)
{
	struct rso_sha256 *h = rso_sha256_new();
	char *buf = rso_xmalloc(COPYBUF);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	ssize_t n = 0;
	int rc = 0;

	if (fd < 0)
		rc = rso_error_set(e, errno == ENOSPC ? EX_IOERR : EX_CANTCREAT,
		    "%s: %s", where, strerror(errno));
	while (rc == 0 && (n = rso_seg_read(rd, buf, COPYBUF, e)) > 0) {
		rso_sha256_update(h, buf, (size_t)n);
		if (rso_write_all(fd, buf, (size_t)n) != 0)
			rc = rso_error_set(e, EX_IOERR, "%s: %s", where,
			    strerror(errno));
	}
	rso_sha256_final_hex(h, sha256);
	if (rc == 0 && n < 0)
		rc = e->status;
	/* Made durable with the whole file-set, before it is put in place
	 * (sync_fileset): one sync, not one an instance. */
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = rso_error_set(e, EX_IOERR, "%s: %s", where, strerror(errno));
	free(buf);
	return rc;
}

/* Give a file filed without them a preamble and a file meta group. */
static int
make_part10(struct inst *in, const char *path, const char *where,
    struct rso_error *e)
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
		rc = rso_error_set(e, EX_IOERR, "%s: %s", where, strerror(errno));
	while (rc == 0 && (n = read(from, buf, COPYBUF)) != 0)
		if (n < 0 || rso_write_all(to, buf, (size_t)n) != 0)
			rc = rso_error_set(e, EX_IOERR, "%s: %s", where,
			    strerror(errno));
	if (to >= 0 && close(to) != 0 && rc == 0)
		rc = rso_error_set(e, EX_IOERR, "%s: %s", where, strerror(errno));
	if (from >= 0)
		close(from);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = rso_error_set(e, EX_IOERR, "%s: %s", where, strerror(errno));
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
	char *where = rso_xasprintf("%s: %s", id, in->path);
	char sha[RSO_SHA256_HEXLEN];
	int fd, rc;

	/* DICOM/STnnnnnn/SEnnnnnn: make each level. */
	for (slash = strchr(path + strlen(root) + 1, '/'); slash;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0750) != 0 && errno != EEXIST) {
			rc = rso_error_set(e, errno == ENOSPC ? EX_IOERR :
			    EX_CANTCREAT, "%s: %s", where, strerror(errno));
			free(path);
			free(where);
			return rc;
		}
		*slash = '/';
	}
	/* Into the temporary file-set, checked before it is put in place. */
	if ((rc = extract(rd, path, where, sha, e)) == 0 &&
	    strcmp(sha, in->sha256 ? in->sha256 : "") != 0)
		rc = rso_error_set(e, EX_DATAERR, "%s: item %04d: SHA-256 does "
		    "not match the store", id, in->item);
	if (rc == 0) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			rc = rso_error_set(e, EX_IOERR, "%s: %s", where,
			    strerror(errno));
		else {
			rc = rso_dicom_read_deep(fd, &in->info, e);
			close(fd);
		}
	}
	if (rc == 0 && in->info.sop_class_uid[0] == '\0')
		rc = rso_error_set(e, EX_DATAERR, "%s: item %s: no SOPClassUID",
		    id, in->path);
	if (rc == 0 && !(in->info.flags & RSO_DICOM_PREAMBLE))
		rc = make_part10(in, path, where, e);
	free(path);
	free(where);
	return rc;
}

/* Directory records.  Each starts with its three offsets, patched as
 * the records after it are written. */
#define OFF_NEXT	8	/* (0004,1400) UL value */
#define OFF_LOWER	30	/* (0004,1420) UL value */

/* A directory record of a type into b (empty), its offsets 0. */
static void
rec_start(struct buf *b, const char *type)
{
	ul(b, 0x0004, 0x1400, 0);
	us(b, 0x0004, 0x1410, 0xFFFF);
	ul(b, 0x0004, 0x1420, 0);
	str(b, 0x0004, 0x1430, "CS", type);
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
instance_record(struct buf *b, const struct inst *in, const char *root)
{
	const struct rso_dicom_info *d = &in->info;
	const struct rectype *t = rectype_of(d->sop_class_uid);
	char fileid[48], num[16], *p;
	const char *cdate = or(d->content_date, or(d->study_date, today()));
	const char *ctime = or(d->content_time, or(d->study_time, "000000"));

	rec_start(b, t->type);

	snprintf(fileid, sizeof(fileid), "%s", in->path);
	for (p = fileid; *p; p++)
		if (*p == '/')
			*p = '\\';
	str(b, 0x0004, 0x1500, "CS", fileid);
	str(b, 0x0004, 0x1510, "UI", d->sop_class_uid);
	str(b, 0x0004, 0x1511, "UI", d->sop_instance_uid);
	str(b, 0x0004, 0x1512, "UI", d->transfer_syntax_uid);
	if (t->keys & K_CONTENT) {
		str(b, 0x0008, 0x0023, "DA", cdate);
		str(b, 0x0008, 0x0033, "TM", ctime);
	}
	if (t->keys & K_CONTENT2) {
		str(b, 0x0008, 0x0023, "DA", d->content_date);
		str(b, 0x0008, 0x0033, "TM", d->content_time);
	}
	snprintf(num, sizeof(num), "%d", in->im);
	str(b, 0x0020, 0x0013, "IS", or(d->instance_number, num));
	if (t->keys & (K_CONCEPT | K_CONCEPT2))
		concept_name(b, root, in);
	if (t->keys & K_SR) {
		str(b, 0x0040, 0xA491, "CS", or(d->completion_flag,
		    "PARTIAL"));
		str(b, 0x0040, 0xA493, "CS", or(d->verification_flag,
		    "UNVERIFIED"));
	}
	if (t->keys & K_ENCAP) {
		str(b, 0x0042, 0x0010, "ST", d->document_title);
		str(b, 0x0042, 0x0012, "LO", or(d->mime_type,
		    "application/octet-stream"));
	}
	if (t->keys & K_LABEL) {
		str(b, 0x0070, 0x0080, "CS", or(d->content_label,
		    "UNNAMED"));
		str(b, 0x0070, 0x0081, "LO", "");
	}
	if (t->keys & K_PRESENTED) {
		str(b, 0x0070, 0x0082, "DA", or(d->presentation_date,
		    cdate));
		str(b, 0x0070, 0x0083, "TM", or(d->presentation_time,
		    ctime));
	}
	if (t->keys & K_LABEL)
		str(b, 0x0070, 0x0084, "PN", "");
	if (t->keys & K_DOSE)
		str(b, 0x3004, 0x000A, "CS", d->dose_summation_type);
	if (t->keys & K_STRUCTURES) {
		str(b, 0x3006, 0x0002, "SH", or(d->structure_set_label,
		    "UNNAMED"));
		str(b, 0x3006, 0x0008, "DA", "");
		str(b, 0x3006, 0x0009, "TM", "");
	}
	if (t->keys & K_TREATED) {
		str(b, 0x3008, 0x0250, "DA", "");
		str(b, 0x3008, 0x0251, "TM", "");
	}
	if (t->keys & K_PLAN) {
		str(b, 0x300A, 0x0002, "SH", or(d->rt_plan_label,
		    "UNNAMED"));
		str(b, 0x300A, 0x0006, "DA", "");
		str(b, 0x300A, 0x0007, "TM", "");
	}
}

/* A study's record, from its first instance; Type 1 values filled. */
static void
study_record(struct buf *b, const struct inst *in)
{
	const struct rso_dicom_info *d = &in->info;
	char num[16];

	rec_start(b, "STUDY");
	str(b, 0x0008, 0x0005, "CS", "ISO_IR 192");
	str(b, 0x0008, 0x0020, "DA", or(d->study_date, or(d->content_date,
	    today())));
	str(b, 0x0008, 0x0030, "TM", or(d->study_time, or(d->content_time,
	    "000000")));
	str(b, 0x0008, 0x0050, "SH", d->accession_number);
	str(b, 0x0008, 0x1030, "LO", d->study_description);
	str(b, 0x0020, 0x000D, "UI", d->study_instance_uid);
	snprintf(num, sizeof(num), "%d", in->st);
	str(b, 0x0020, 0x0010, "SH", or(d->study_id, num));
}

/* A series' record, from its first instance. */
static void
series_record(struct buf *b, const struct inst *in)
{
	const struct rso_dicom_info *d = &in->info;
	char num[16];

	rec_start(b, "SERIES");
	str(b, 0x0008, 0x0060, "CS", or(d->modality, "OT"));
	str(b, 0x0020, 0x000E, "UI", d->series_instance_uid);
	snprintf(num, sizeof(num), "%d", in->se);
	str(b, 0x0020, 0x0011, "IS", or(d->series_number, num));
}

/* The PatientID a study is filed under: its first instance's, or the case. */
static const char *
patient_of(const struct inst *in)
{
	return or(in->info.patient_id, in->case_id);
}

/*
 * The instances being exported, in a database of their own inside the
 * file-set's folder while it is built (removed before the folder is put
 * in place): numbered, found by name as the archive gives them, their
 * records kept, and walked in the DICOMDIR's order through indexes.  A
 * study of any number of instances is held neither in memory nor
 * sorted there: SQLite's page cache is all that is.
 */
struct work {
	sqlite3 *db;
	char *path;
	int nst;		/* studies numbered so far */
	const char *id;
	/* What runs once an instance, prepared once. */
	sqlite3_stmt *study_get, *study_add, *series_bump, *series_add,
	    *study_bump, *keep, *keep_study;
};

static const char work_schema[] =
	"PRAGMA journal_mode = OFF;"
	"PRAGMA synchronous = OFF;"
	/* Studies numbered in the order they were filed; a study's PATIENT
	 * and STUDY records come from its first instance. */
	"CREATE TABLE studies (uid TEXT PRIMARY KEY, st INTEGER NOT NULL UNIQUE,"
	"  nseries INTEGER NOT NULL DEFAULT 0, pid TEXT, pname TEXT, rec BLOB);"
	"CREATE INDEX studies_pid ON studies (pid, st);"
	"CREATE TABLE series (study TEXT, uid TEXT, se INTEGER NOT NULL,"
	"  nimages INTEGER NOT NULL, PRIMARY KEY (study, uid)) WITHOUT ROWID;"
	/* rec: the instance's record; srec: its series' (from its first). */
	"CREATE TABLE inst (name TEXT PRIMARY KEY, item INTEGER NOT NULL,"
	"  sha256 TEXT, st INTEGER NOT NULL, se INTEGER NOT NULL,"
	"  im INTEGER NOT NULL, taken INTEGER NOT NULL DEFAULT 0, rec BLOB,"
	"  srec BLOB);"
	"CREATE UNIQUE INDEX inst_path ON inst (st, se, im);"
	/* Each PatientID's record before its studies, in the order of its
	 * first study. */
	"CREATE TABLE patients (pid TEXT PRIMARY KEY,"
	"  first_st INTEGER NOT NULL UNIQUE);";

static int
work_fail(struct work *w, struct rso_error *e)
{
	return rso_error_set(e, EX_IOERR, "%s: DICOMDIR work: %s", w->id,
	    w->db ? sqlite3_errmsg(w->db) : "out of memory");
}

static sqlite3_stmt *
work_stmt(struct work *w, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK)
		rso_diex(EX_SOFTWARE, "DICOMDIR work: %s: %s", sql,
		    sqlite3_errmsg(w->db));
	return st;
}

/* A statement run to its end: 0, or the store status. */
static int
work_done(struct work *w, sqlite3_stmt *st, int rc, struct rso_error *e)
{
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : work_fail(w, e);
}

static int
work_open(struct work *w, const char *root, const char *id,
    struct rso_error *e)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->path = rso_xasprintf("%s/.dicomdir.db", root);
	if (sqlite3_open_v2(w->path, &w->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(w->db, work_schema, NULL, NULL, NULL) != SQLITE_OK)
		return work_fail(w, e);
	w->study_get = work_stmt(w, "SELECT st FROM studies WHERE uid = ?1");
	w->study_add = work_stmt(w, "INSERT INTO studies (uid, st)"
	    " VALUES (?1, ?2)");
	w->series_bump = work_stmt(w, "UPDATE series SET nimages = nimages"
	    " + 1 WHERE study = ?1 AND uid = ?2 RETURNING se, nimages");
	w->series_add = work_stmt(w, "INSERT INTO series (study, uid, se,"
	    " nimages) VALUES (?1, ?2, (SELECT nseries + 1 FROM studies"
	    " WHERE uid = ?1), 1) RETURNING se");
	w->study_bump = work_stmt(w, "UPDATE studies SET nseries = nseries"
	    " + 1 WHERE uid = ?1");
	w->keep = work_stmt(w, "UPDATE inst SET taken = 1, rec = ?2,"
	    " srec = ?3 WHERE name = ?1");
	w->keep_study = work_stmt(w, "UPDATE studies SET pid = ?2,"
	    " pname = ?3, rec = ?4 WHERE st = ?1");
	return 0;
}

static void
work_close(struct work *w)
{
	sqlite3_finalize(w->study_get);
	sqlite3_finalize(w->study_add);
	sqlite3_finalize(w->series_bump);
	sqlite3_finalize(w->series_add);
	sqlite3_finalize(w->study_bump);
	sqlite3_finalize(w->keep);
	sqlite3_finalize(w->keep_study);
	if (w->db != NULL)
		sqlite3_close(w->db);
	if (w->path != NULL)
		unlink(w->path);
	free(w->path);
	w->db = NULL;
	w->path = NULL;
}

/* The number of the study uid: the next one when it is new. */
static int
study_number(struct work *w, const char *uid, int *st, struct rso_error *e)
{
	int rc;

	sqlite3_bind_text(w->study_get, 1, uid, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(w->study_get)) == SQLITE_ROW)
		*st = sqlite3_column_int(w->study_get, 0);
	sqlite3_reset(w->study_get);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return work_fail(w, e);
	*st = ++w->nst;
	sqlite3_bind_text(w->study_add, 1, uid, -1, SQLITE_STATIC);
	sqlite3_bind_int(w->study_add, 2, *st);
	return work_done(w, w->study_add, sqlite3_step(w->study_add), e);
}

/* The numbers of the next instance of series uid of study: its series'
 * (the next in the study when it is new) and its own in the series. */
static int
series_number(struct work *w, const char *study, const char *uid, int *se,
    int *im, struct rso_error *e)
{
	sqlite3_stmt *st = w->series_bump;
	int rc;

	sqlite3_bind_text(st, 1, study, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uid, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*se = sqlite3_column_int(st, 0);
		*im = sqlite3_column_int(st, 1);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : work_fail(w, e);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return work_fail(w, e);
	st = w->series_add;
	sqlite3_bind_text(st, 1, study, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uid, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*se = sqlite3_column_int(st, 0);
		*im = 1;
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return work_fail(w, e);
	sqlite3_bind_text(w->study_bump, 1, study, -1, SQLITE_STATIC);
	return work_done(w, w->study_bump, sqlite3_step(w->study_bump), e);
}

/*
 * The case's instances (records with a SOP Instance UID, not held), in
 * the order they were filed: studies numbered in that order, series
 * within their study, instances within their series.  *n of them.
 */
static int
work_fill(struct work *w, struct rso_store *s, const char *id, size_t *n,
    struct rso_error *e)
{
	sqlite3_stmt *q = rso_store_prepare(s, "SELECT item, name, sha256,"
	    " coalesce(study_uid, ''), coalesce(series_uid, '') FROM records"
	    " WHERE case_id = ?1 AND held IS NULL AND sop_uid IS NOT NULL"
	    " ORDER BY item");
	sqlite3_stmt *add;
	int rc, qrc = SQLITE_DONE, st = 0, se = 0, im = 0;

	*n = 0;
	if (sqlite3_exec(w->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_finalize(q);
		return work_fail(w, e);
	}
	add = work_stmt(w, "INSERT INTO inst (name, item, sha256, st, se, im)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	rc = 0;
	while (rc == 0 && (qrc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *study = rso_store_col(q, 3), *series =
		    rso_store_col(q, 4);

		if ((rc = study_number(w, study, &st, e)) != 0 ||
		    (rc = series_number(w, study, series, &se, &im, e)) != 0)
			break;
		sqlite3_bind_text(add, 1, rso_store_col(q, 1), -1, SQLITE_STATIC);
		sqlite3_bind_int64(add, 2, sqlite3_column_int64(q, 0));
		sqlite3_bind_text(add, 3, rso_store_col(q, 2), -1, SQLITE_STATIC);
		sqlite3_bind_int(add, 4, st);
		sqlite3_bind_int(add, 5, se);
		sqlite3_bind_int(add, 6, im);
		rc = work_done(w, add, sqlite3_step(add), e);
		++*n;
	}
	sqlite3_finalize(add);
	if (rc == 0)
		rc = rso_store_walk_end(s, q, qrc, 0, e);
	else
		sqlite3_finalize(q);
	if (rc == 0 && sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK)
		rc = work_fail(w, e);
	return rc;
}

/*
 * The records an instance read back gives, kept beside it: its own, its
 * series' when it is the series' first, and its study's, with the
 * PatientID and name its PATIENT record carries, when it is the study's
 * first.
 */
static int
work_keep(struct work *w, const struct inst *in, const char *root,
    struct rso_error *e)
{
	struct buf rec = { 0 }, srec = { 0 }, strec = { 0 };
	sqlite3_stmt *st;
	int rc;

	instance_record(&rec, in, root);
	if (in->im == 1)
		series_record(&srec, in);
	st = w->keep;
	sqlite3_bind_text(st, 1, in->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, rec.p, (int)rec.n, SQLITE_STATIC);
	if (srec.n > 0)
		sqlite3_bind_blob(st, 3, srec.p, (int)srec.n, SQLITE_STATIC);
	rc = work_done(w, st, sqlite3_step(st), e);
	sqlite3_clear_bindings(st);
	if (rc == 0 && in->se == 1 && in->im == 1) {
		study_record(&strec, in);
		st = w->keep_study;
		sqlite3_bind_int(st, 1, in->st);
		sqlite3_bind_text(st, 2, patient_of(in), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, in->info.patient_name, -1,
		    SQLITE_STATIC);
		sqlite3_bind_blob(st, 4, strec.p, (int)strec.n, SQLITE_STATIC);
		rc = work_done(w, st, sqlite3_step(st), e);
	}
	free(rec.p);
	free(srec.p);
	free(strec.p);
	return rc;
}

/*
 * Every instance out of the case's archive into root, in the archive's
 * order, one at a time: its path and digest found by its name, its
 * records kept.
 */
static int
extract_all(struct rso_store *s, const char *id,
    const struct rso_age_identities *ids, struct work *w, size_t n,
    const char *root, struct rso_error *e)
{
	char *dir = rso_casearc_dir(s, id);
	struct rso_seg_reader *rd = rso_seg_open_case(dir, ids, e);
	sqlite3_stmt *find;
	struct rso_seg_entry ent;
	struct inst *in = rso_xcalloc(1, sizeof(*in));
	size_t done = 0;
	int got = 0, rc = 0, frc;

	free(dir);
	if (rd == NULL) {
		free(in);
		return e->status;
	}
	find = work_stmt(w, "SELECT item, sha256, st, se, im FROM inst"
	    " WHERE name = ?1 AND NOT taken");
	while (rc == 0 && done < n && (got = rso_seg_next(rd, &ent, e)) > 0) {
		if (ent.isdir)
			continue;
		sqlite3_bind_text(find, 1, ent.name, -1, SQLITE_TRANSIENT);
		if ((frc = sqlite3_step(find)) != SQLITE_ROW) {
			rc = work_done(w, find, frc, e);
			continue;
		}
		memset(in, 0, sizeof(*in));
		in->name = ent.name;
		in->case_id = id;
		in->item = sqlite3_column_int(find, 0);
		in->sha256 = rso_store_col(find, 1);
		in->st = sqlite3_column_int(find, 2);
		in->se = sqlite3_column_int(find, 3);
		in->im = sqlite3_column_int(find, 4);
		snprintf(in->path, sizeof(in->path),
		    "DICOM/ST%06d/SE%06d/IM%06d", in->st, in->se, in->im);
		if ((rc = take_instance(in, rd, root, id, e)) == 0)
			rc = work_keep(w, in, root, e);
		sqlite3_reset(find);
		done++;
	}
	sqlite3_finalize(find);
	free(in);
	if (rc == 0 && got < 0)
		rc = e->status;
	if (rc == 0 && done < n)
		rc = rso_error_set(e, EX_DATAERR, "%s: archive: %zu indexed "
		    "instances are missing", id, n - done);
	rso_seg_close(rd);
	return rc;
}

/* The DICOMDIR as it is written: the bytes from at on are in b, those
 * before it in the file. */
struct out {
	int fd;
	struct buf b;
	size_t at;
	int err;		/* errno of a write that failed */
};

static void
out_flush(struct out *o)
{
	if (o->err == 0 && rso_write_all(o->fd, o->b.p, o->b.n) != 0)
		o->err = errno;
	o->at += o->b.n;
	o->b.n = 0;
}

static void
out_put(struct out *o, const void *p, size_t n)
{
	put(&o->b, p, n);
	if (o->b.n >= COPYBUF)
		out_flush(o);
}

/* The UL at offset off of the file, written or not yet. */
static void
out_set32(struct out *o, size_t off, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8),
		(unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	if (off >= o->at)
		set32(&o->b, off - o->at, v);
	else if (o->err == 0 && pwrite(o->fd, x, 4, (off_t)off) != 4)
		o->err = errno ? errno : EIO;
}

/*
 * Where each level's last record is, depth first: a record is its
 * previous sibling's next (the last one at its level since a record of
 * a higher level) and, when deeper than the record before it, that
 * one's first child.
 */
struct links {
	size_t last[4];		/* 0: none since a record above */
	size_t prev;
	int prev_level;
};

static void
emit(struct out *o, struct links *l, int level, const void *rec, size_t n)
{
	size_t at = o->at + o->b.n;
	unsigned char head[8] = { 0xFE, 0xFF, 0x00, 0xE0, (unsigned char)n,
		(unsigned char)(n >> 8), (unsigned char)(n >> 16),
		(unsigned char)(n >> 24) };
	int k;

	if (l->last[level] != 0)
		out_set32(o, l->last[level] + 8 + OFF_NEXT, (uint32_t)at);
	if (l->prev != 0 && l->prev_level < level)
		out_set32(o, l->prev + 8 + OFF_LOWER, (uint32_t)at);
	l->last[level] = at;
	for (k = level + 1; k < 4; k++)
		l->last[k] = 0;
	l->prev = at;
	l->prev_level = level;
	out_put(o, head, sizeof(head));
	out_put(o, rec, n);
}

static void
emit_col(struct out *o, struct links *l, int level, sqlite3_stmt *st, int i)
{
	emit(o, l, level, sqlite3_column_blob(st, i),
	    (size_t)sqlite3_column_bytes(st, i));
}

/* A PATIENT per PatientID, in the order of its first study. */
static int
number_patients(struct work *w, struct rso_error *e)
{
	sqlite3_stmt *q = work_stmt(w, "SELECT st, pid FROM studies ORDER BY st");
	sqlite3_stmt *add = work_stmt(w, "INSERT OR IGNORE INTO patients"
	    " (pid, first_st) VALUES (?2, ?1)");
	int rc = 0, qrc;

	while (rc == 0 && (qrc = sqlite3_step(q)) == SQLITE_ROW) {
		sqlite3_bind_value(add, 1, sqlite3_column_value(q, 0));
		sqlite3_bind_value(add, 2, sqlite3_column_value(q, 1));
		rc = work_done(w, add, sqlite3_step(add), e);
	}
	if (rc == 0)
		rc = work_done(w, q, qrc, e);
	sqlite3_finalize(q);
	sqlite3_finalize(add);
	return rc;
}

/*
 * The records, depth first: a PATIENT per PatientID (in the order they
 * first come; a study is its first instance's patient's), its studies,
 * their series, their instances, each in path order.
 */
static int
write_records(struct work *w, struct out *o, struct links *l,
    struct rso_error *e)
{
	sqlite3_stmt *pq = work_stmt(w, "SELECT p.pid, s.pname FROM patients p"
	    " JOIN studies s ON s.st = p.first_st ORDER BY p.first_st");
	sqlite3_stmt *sq = work_stmt(w, "SELECT st, rec FROM studies"
	    " WHERE pid = ?1 ORDER BY st");
	sqlite3_stmt *iq = work_stmt(w, "SELECT im, rec, srec FROM inst"
	    " WHERE st = ?1 ORDER BY se, im");
	struct buf b = { 0 };
	int rc = 0, prc, src = SQLITE_DONE, irc = SQLITE_DONE;

	while (rc == 0 && (prc = sqlite3_step(pq)) == SQLITE_ROW) {
		b.n = 0;
		rec_start(&b, "PATIENT");
		str(&b, 0x0008, 0x0005, "CS", "ISO_IR 192");
		str(&b, 0x0010, 0x0010, "PN", rso_store_col(pq, 1));
		str(&b, 0x0010, 0x0020, "LO", rso_store_col(pq, 0));
		emit(o, l, 0, b.p, b.n);
		sqlite3_bind_value(sq, 1, sqlite3_column_value(pq, 0));
		while ((src = sqlite3_step(sq)) == SQLITE_ROW) {
			emit_col(o, l, 1, sq, 1);
			sqlite3_bind_int(iq, 1, sqlite3_column_int(sq, 0));
			while ((irc = sqlite3_step(iq)) == SQLITE_ROW) {
				if (sqlite3_column_int(iq, 0) == 1)
					emit_col(o, l, 2, iq, 2);
				emit_col(o, l, 3, iq, 1);
			}
			if ((rc = work_done(w, iq, irc, e)) != 0)
				break;
		}
		if (rc == 0)
			rc = work_done(w, sq, src, e);
	}
	if (rc == 0)
		rc = work_done(w, pq, prc, e);
	sqlite3_finalize(pq);
	sqlite3_finalize(sq);
	sqlite3_finalize(iq);
	free(b.p);
	return rc;
}

/*
 * The DICOMDIR, written as its records come from the work table: each
 * record's offsets, and the header's, patched in place once known.
 */
static int
write_dicomdir(struct work *w, const char *root, const char *id,
    char *sha256, struct rso_error *e)
{
	struct out o = { -1, { 0 }, 0, 0 };
	struct links l = { { 0 }, 0, 0 };
	struct buf ds = { 0 };
	size_t head, off1202, off1200, items;
	char oid[64], what[96], *path;
	const char *mt;
	long long size;
	int rc;

	if ((rc = number_patients(w, e)) != 0)
		return rc;
	path = rso_xasprintf("%s/DICOMDIR", root);
	o.fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	free(path);
	if (o.fd < 0)
		return rso_error_set(e, EX_IOERR, "%s: DICOMDIR: %s", id,
		    strerror(errno));
	snprintf(what, sizeof(what), "%s/dicomdir", id);
	rso_uuid_oid(what, oid, sizeof(oid));
	part10_head(&o.b, UID_DIR, oid, UID_EXPLICIT_LE);
	str(&ds, 0x0004, 0x1130, "CS", "RSO");
	off1200 = o.b.n + ds.n + 8;
	ul(&ds, 0x0004, 0x1200, 0);
	off1202 = o.b.n + ds.n + 8;
	ul(&ds, 0x0004, 0x1202, 0);
	us(&ds, 0x0004, 0x1212, 0);
	put16(&ds, 0x0004);
	put16(&ds, 0x1220);
	put(&ds, "SQ\0\0", 4);
	put32(&ds, 0);
	items = o.b.n + ds.n - 4;
	out_put(&o, ds.p, ds.n);
	free(ds.p);
	head = o.at + o.b.n;
	if ((rc = write_records(w, &o, &l, e)) == 0) {
		out_set32(&o, items, (uint32_t)(o.at + o.b.n - head));
		out_set32(&o, off1200, (uint32_t)head);
		out_set32(&o, off1202, (uint32_t)l.last[0]);
		out_flush(&o);
		if (o.err == 0 && rso_file_survey(o.fd, sha256, &size, &mt) != 0)
			o.err = errno;
		if (o.err != 0)
			rc = rso_error_set(e, EX_IOERR, "%s: DICOMDIR: %s", id,
			    strerror(o.err));
	}
	close(o.fd);
	free(o.b.p);
	return rc;
}

/*
 * Every file and folder written under root on the disk, before root is
 * put in place: syncfs(2) of its file system, once, rather than an fsync
 * for each of thousands of instances (2,000 of 8 KiB: 0.77 s to 0.2 s).
 * It also writes back what others have pending on that file system.
 */
static int
sync_fileset(const char *root, const char *id, struct rso_error *e)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0 || syncfs(fd) != 0)
		rc = rso_error_set(e, EX_IOERR, "%s: DICOM: sync: %s", id,
		    strerror(errno));
	if (fd >= 0)
		close(fd);
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
	/* Never over what is there (someone's folder, even empty; a link):
	 * with force, ours was moved aside above. */
	chmod(root, 0750);
	if (rso_rename_into(root, to, 0) != 0)
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
	struct work w = { 0 };
	char *root = rso_xasprintf("%s/.%s.XXXXXX", dir, name);
	size_t n = 0;
	int rc;

	if (mkdtemp(root) == NULL) {
		rc = rso_error_set(e, EX_CANTCREAT, "%s: %s", dir, strerror(errno));
		free(root);
		return rc;
	}
	if ((rc = work_open(&w, root, id, e)) == 0 &&
	    (rc = work_fill(&w, s, id, &n, e)) == 0 && n == 0)
		rc = rso_error_set(e, EX_DATAERR, "%s: no DICOM to export", id);
	if (rc == 0 && (rc = extract_all(s, id, ids, &w, n, root, e)) == 0)
		rc = write_dicomdir(&w, root, id, sha256, e);
	work_close(&w);
	if (rc == 0)
		rc = sync_fileset(root, id, e);
	if (rc == 0)
		rc = settle(root, dir, name, force, e);
	if (rc != 0)
		rso_remove_tree(root);
	free(root);
	return rc;
}
