/* rso_hl7_read: HL7 v2 messages as an interface engine drops them -- the
 * messages of a file, and what one says of its patient and document. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_HL7_READ_H
#define RSO_HL7_READ_H

#include <stddef.h>

#include "rso_doc.h"

/* Where one message lies in a buffer: its exact bytes, framing excluded. */
struct rso_hl7_span {
	size_t off, len;
};

/*
 * Whether n bytes of buf are HL7 v2: after an optional UTF-8 byte order
 * mark, blank lines and an MLLP start byte (0x0B), "MSH" and a field
 * separator.  1 or 0.
 */
int rso_hl7_sniff(const char *buf, size_t n);

/*
 * The messages of n bytes of buf into *v (malloc'd; free it), *count of
 * them.  MLLP-framed (0x0B ... 0x1C 0x0D, only blank lines between
 * frames) or not: a message starts at each segment "MSH" and ends with
 * its last segment's terminator (CR, LF or CRLF; blank lines after it
 * are not part of it).  Returns 0, or -1 with why filled
 * ("byte 812: MLLP frame never closed").
 */
int rso_hl7_split(const char *buf, size_t n, struct rso_hl7_span **v,
    size_t *count, char *why, size_t whysize);

/*
 * The same messages, split as they are read from the first size bytes of
 * the file fd (pread; the offset is not moved), window bytes at a time (0:
 * 64 KiB): a file of any number of messages, and a message of any size,
 * is read in bounded memory.  The message is not held: what the reader
 * is given is its view, the message with each run of bytes between two
 * of its separators (MSH-1, MSH-2) or line ends cut to its first 64 KiB
 * (an embedded PDF in base64 is one run; no value rso_hl7_read takes is
 * near it).  Or from n bytes of buf, held by the caller: the messages
 * whole.
 */
struct rso_hl7_stream;
struct rso_hl7_stream *rso_hl7_stream_fd(int fd, size_t size,
    size_t window);
struct rso_hl7_stream *rso_hl7_stream_mem(const char *buf, size_t n);
void rso_hl7_stream_free(struct rso_hl7_stream *s);

/* Runs cut to cap bytes instead (0: each message held whole, as from a
 * buffer), before the first message is asked for. */
void rso_hl7_stream_thin(struct rso_hl7_stream *s, size_t cap);

/* rso_hl7_sniff of the stream's head, before its first message. */
int rso_hl7_stream_sniff(struct rso_hl7_stream *s);

/*
 * The next message: 1 with its place in the file in *span, and the *n
 * bytes to read it by at *msg (good until the next call): the message's
 * own bytes, or its view (*n < span->len when a run was cut); 0 after
 * the last; -1 with why filled as rso_hl7_split fills it, at the first
 * fault, after the messages before it were given; -2 when the file could
 * not be read (errno set, why "shorter than it was" or strerror's words).
 * After -1 or -2 the same again.
 */
int rso_hl7_next(struct rso_hl7_stream *s, const char **msg, size_t *n,
    struct rso_hl7_span *span, char *why, size_t whysize);

/*
 * Read the message of n bytes at msg into d (format "hl7v2"; d's other
 * fields are overwritten): the separators from MSH-1 and MSH-2, text
 * decoded from MSH-18 to UTF-8, escapes decoded in every value taken.
 * Returns 0, or -1 with why filled ("segment 2: not a segment", "no PID
 * segment") and d undefined.  Never a value of the message in why.
 */
int rso_hl7_read(const char *msg, size_t n, struct rso_doc_info *d,
    char *why, size_t whysize);

#endif
