/* rso_dicom: read the identifying header of a DICOM file, streaming. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_DICOM_H
#define RSO_DICOM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rso_err.h"

/*
 * The reader takes DICOM Part 10 files with or without the 128-byte
 * preamble and the file meta group, and raw data sets (no meta) whose
 * first element is in group 0008.  Transfer syntaxes: implicit VR little
 * endian, explicit VR little and big endian, deflated explicit VR little
 * endian (raw deflate, inflated as it is read), and every encapsulated
 * (compressed pixel data) syntax, which is explicit VR little endian up to
 * the pixel data.
 *
 * It reads through one small buffer from a callback and stops at the first
 * top-level element past (0020,0013) InstanceNumber, the last field it
 * wants, so it never reaches the pixel data (7FE0,0010); it may have taken
 * up to RSO_DICOM_BUFSZ bytes past that point from the source.  Values it
 * does not want are discarded (or skipped with the skip callback when the
 * source can seek); only top-level elements are kept, never those inside
 * sequence items.
 *
 * Limits that turn a hostile file into an error: sequence nesting
 * RSO_DICOM_MAX_DEPTH, RSO_DICOM_MAX_ELEMENTS elements in all, and
 * RSO_DICOM_MAX_HEADER bytes of (inflated) stream before the stop point.
 * Each element read consumes at least 8 bytes, so no input loops.
 */
#define RSO_DICOM_BUFSZ		8192
#define RSO_DICOM_MAX_DEPTH	32
#define RSO_DICOM_MAX_ELEMENTS	(1L << 20)
#define RSO_DICOM_MAX_HEADER	((uint64_t)256 << 20)

/* How many leading bytes rso_dicom_sniff() wants to be sure. */
#define RSO_DICOM_SNIFF_LEN	512

/* Data set encodings, in struct rso_dicom_info.syntax. */
enum rso_dicom_syntax {
	RSO_DICOM_IMPLICIT_LE = 1,
	RSO_DICOM_EXPLICIT_LE,
	RSO_DICOM_EXPLICIT_BE,
	RSO_DICOM_DEFLATED_LE
};

/* Bits in struct rso_dicom_info.flags. */
enum {
	RSO_DICOM_PREAMBLE = 0x01,	/* 128-byte preamble and "DICM" */
	RSO_DICOM_META = 0x02,		/* a file meta group (0002,xxxx) */
	RSO_DICOM_SYNTAX_GUESSED = 0x04, /* no or a contradicted meta: the
					    encoding was told from the data */
	RSO_DICOM_CHARSET_UNSUPPORTED = 0x08, /* (0008,0005) names a term
					    PS3.5 does not define: non-ASCII
					    bytes became '?' */
	RSO_DICOM_CHARSET_GUESSED = 0x10, /* no (0008,0005) yet non-ASCII
					    bytes: read as Latin-1 */
	RSO_DICOM_LOSSY = 0x20		/* a value was cut to fit its field
					    or had invalid bytes replaced */
};

/*
 * What the reader extracts.  Every string is NUL-terminated UTF-8 (always
 * valid UTF-8), with the trailing spaces and NULs of DICOM padding removed,
 * and empty when the element is absent.  Text fields (PN, LO, SH) are
 * decoded from the file's SpecificCharacterSet by rso_dicom_text_decode;
 * the others (UI, DA, CS) are ASCII by definition.  A value longer than its field is cut at a
 * character boundary and RSO_DICOM_LOSSY is set.  The sizes leave room for
 * the DICOM maximum in UTF-8.
 */
struct rso_dicom_info {
	char patient_name[256];		/* (0010,0010) PN, as stored:
					   "FAMILY^GIVEN^MIDDLE^PREFIX^SUFFIX",
					   '=' groups kept */
	char patient_id[256];		/* (0010,0020) LO */
	char patient_birth_date[24];	/* (0010,0030) DA "YYYYMMDD" */
	char study_instance_uid[65];	/* (0020,000D) UI */
	char series_instance_uid[65];	/* (0020,000E) UI */
	char sop_instance_uid[65];	/* (0008,0018) UI */
	char sop_class_uid[65];		/* (0008,0016) UI */
	char transfer_syntax_uid[65];	/* (0002,0010) UI; for a file without
					   meta, the UID of the syntax found */
	char study_date[24];		/* (0008,0020) DA "YYYYMMDD" */
	char study_time[24];		/* (0008,0030) TM "HHMMSS.FFFFFF" */
	char accession_number[24];	/* (0008,0050) SH */
	char modality[24];		/* (0008,0060) CS */
	char body_part_examined[24];	/* (0018,0015) CS */
	char study_description[256];	/* (0008,1030) LO */
	char specific_character_set[128]; /* (0008,0005) CS, as stored */
	char content_date[24];		/* (0008,0023) DA */
	char content_time[24];		/* (0008,0033) TM */
	char study_id[24];		/* (0020,0010) SH */
	char series_number[16];		/* (0020,0011) IS */
	char instance_number[16];	/* (0020,0013) IS */
	/* The keys of the other DICOMDIR record types, past the stop tag:
	 * filled by rso_dicom_read_deep only. */
	char completion_flag[24];	/* (0040,A491) CS, SR */
	char verification_flag[24];	/* (0040,A493) CS, SR */
	char document_title[256];	/* (0042,0010) ST, encapsulated */
	char mime_type[80];		/* (0042,0012) LO, encapsulated */
	char content_label[24];		/* (0070,0080) CS, presentation */
	char presentation_date[24];	/* (0070,0082) DA */
	char presentation_time[24];	/* (0070,0083) TM */
	char dose_summation_type[24];	/* (3004,000A) CS, RT dose */
	char structure_set_label[80];	/* (3006,0002) SH, RT structures */
	char rt_plan_label[80];		/* (300A,0002) SH, RT plan */
	uint64_t concept_name_off;	/* (0040,A043) ConceptNameCodeSequence: */
	uint64_t concept_name_len;	/* where in the file, header included
					   (0 when absent or deflated) */
	int syntax;			/* enum rso_dicom_syntax */
	unsigned flags;			/* RSO_DICOM_* bits above */
	uint64_t consumed;		/* bytes taken from the source */
};

/*
 * A source: read up to n bytes into buf, returning how many (0 at the end)
 * or -1 with errno set.  The shape of read(2) and archive_read_data(3).
 */
typedef ssize_t rso_dicom_read_fn(void *ctx, void *buf, size_t n);

/*
 * Optional: move n bytes forward without reading them; return how many
 * were skipped (fewer than n only when the source ends first) or -1 with
 * errno set.
 */
typedef int64_t rso_dicom_skip_fn(void *ctx, uint64_t n);

/* What rso_dicom_sniff() tells. */
enum rso_dicom_kind {
	RSO_DICOM_NONE = 0,	/* not DICOM: an ordinary document */
	RSO_DICOM_PART10,	/* preamble, "DICM", meta */
	RSO_DICOM_BARE_META,	/* meta group without a preamble */
	RSO_DICOM_RAW		/* a bare data set starting in group 0008 */
};

/*
 * Tell whether the first n bytes of a file (RSO_DICOM_SNIFF_LEN are
 * plenty; fewer may do) start a DICOM file, and which kind.  Never reads
 * past p[n-1].  A raw data set is recognised by a first element in group
 * 0008 with a sane length (and a valid VR when explicit), and, when it fits
 * in n, a second element that follows it in tag order.
 */
enum rso_dicom_kind rso_dicom_sniff(const void *p, size_t n);

/*
 * Read the header of one DICOM file from rd (and sk, which may be NULL)
 * into *out.  Returns 0, or fills e and returns EX_DATAERR (message "not a
 * DICOM file" when the start does not look like DICOM at all, so a caller
 * can file it as an ordinary document; otherwise a truncated or malformed
 * file, e.g. "truncated element (0010,0010) at offset 1234") or EX_IOERR
 * (the source failed).  On error *out is cleared except for flags and
 * consumed.  Offsets in messages count bytes of the data stream (after
 * inflation when deflated).  Messages never hold values.
 */
int rso_dicom_read(rso_dicom_read_fn *rd, rso_dicom_skip_fn *sk, void *ctx,
    struct rso_dicom_info *out, struct rso_error *e);

/*
 * As rso_dicom_read(), from a file descriptor at its current offset; a
 * regular file is skipped through with lseek(2).  The descriptor is left
 * open, at an unspecified offset.
 */
int rso_dicom_read_fd(int fd, struct rso_dicom_info *out,
    struct rso_error *e);

/*
 * As rso_dicom_read_fd(), reading on to (300A,0002) RTPlanLabel so the
 * record-type keys above are filled too (for a DICOMDIR); still never the
 * pixel data (7FE0,0010).  fd must be a regular file.
 */
int rso_dicom_read_deep(int fd, struct rso_dicom_info *out,
    struct rso_error *e);

/* As rso_dicom_read(), from n bytes at p. */
int rso_dicom_read_mem(const void *p, size_t n, struct rso_dicom_info *out,
    struct rso_error *e);

/*
 * Convert a DICOM date (DA "YYYYMMDD", or the old "YYYY.MM.DD") to ISO
 * 8601 "YYYY-MM-DD" in iso, and back.  Both check that the date exists.
 * Return 0, or EX_DATAERR (iso or da then empty).
 */
/*
 * Decode n bytes of a DICOM text value (PN, LO, SH, ST, LT, UT) in the
 * character set named by the (0008,0005) value cs (as stored, values
 * separated by '\\'; NULL or "" for the default) to UTF-8 at out (size
 * bytes, always NUL-terminated), with glibc's iconv.  Every defined term
 * of PS3.5 is read: the single-byte ISO_IR 100, 101, 109, 110, 126, 127,
 * 138, 144, 148, 166, 203 and 13, ISO_IR 192 (UTF-8), GB18030 and GBK,
 * and ISO 2022 code extensions (escape sequences switching G0 and G1
 * among ASCII, JIS X 0201, 0208 and 0212, KS X 1001, GB 2312 and the
 * single-byte sets), so Japanese, Korean and Chinese names with their
 * '='-separated ideographic and phonetic groups come out whole.  Returns
 * flags: RSO_DICOM_LOSSY when a byte was no character of its set (it is
 * U+FFFD then), the value did not fit, or cut says the raw value was
 * itself cut (a partial character at its end is dropped);
 * RSO_DICOM_CHARSET_GUESSED for 8-bit bytes with no character set (read
 * as Latin-1); RSO_DICOM_CHARSET_UNSUPPORTED for a term PS3.5 does not
 * define (non-ASCII bytes become '?').
 */
unsigned rso_dicom_text_decode(const char *cs, const unsigned char *s,
    size_t n, int cut, char *out, size_t size);

int rso_dicom_da_to_iso(const char *da, char iso[11]);
int rso_dicom_iso_to_da(const char *iso, char da[9]);

#endif
