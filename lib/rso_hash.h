/* rso_hash: SHA-256 through libgcrypt, and libgcrypt's one-time set-up. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_HASH_H
#define RSO_HASH_H

#include <stddef.h>

#define RSO_SHA256_LEN 32
#define RSO_SHA256_HEXLEN 65	/* 64 hex digits and NUL */

/*
 * Initialise libgcrypt once per process, through rso_age_init (which owns
 * the set-up), dying on failure.  Calling it again is free.
 */
void rso_gcrypt_init(void);

/* SHA-256 of buf into md (RSO_SHA256_LEN bytes). */
void rso_sha256(const void *buf, size_t len, unsigned char *md);

/* SHA-256 of buf as lowercase hex into hex (RSO_SHA256_HEXLEN bytes). */
char *rso_sha256_hex(const void *buf, size_t len, char *hex);

/*
 * The same over a followed by b, neither copied: an event's hash is over
 * the hash before it and the event (rso_event.c), one of each a change.
 */
char *rso_sha256_hex_pair(const void *a, size_t alen, const void *b,
    size_t blen, char *hex);

/*
 * SHA-1 of buf into md (RSO_SHA1_LEN bytes): only where a format asks for
 * it (FHIR's Attachment.hash), never to identify content in rso.
 */
#define RSO_SHA1_LEN 20
void rso_sha1(const void *buf, size_t len, unsigned char *md);

/*
 * A stable OID naming what: "2.25." and 128 bits of SHA-256 over it in
 * decimal (ITU-T X.667), for DICOM and XDS unique ids.  out: 64 bytes.
 */
void rso_uuid_oid(const char *what, char *out, size_t n);

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
char *rso_hex(const unsigned char *in, size_t n, char *out);

/* Incremental SHA-256, for streams. */
struct rso_sha256;
struct rso_sha256 *rso_sha256_new(void);
void rso_sha256_update(struct rso_sha256 *h, const void *buf, size_t len);
/* Finish into hex and free h. */
char *rso_sha256_final_hex(struct rso_sha256 *h, char *hex);

/*
 * The same SHA-256, computed on a second thread: update copies buf into a
 * short queue and returns, so that hashing a segment's ciphertext overlaps
 * encrypting and writing what follows it.  The queue holds at most 1 MiB;
 * update waits while it is full.  Where no thread can be started it hashes
 * in the caller.  final waits for the queue to empty, gives the same hex
 * as rso_sha256_final_hex would, and frees q.
 */
struct rso_sha256_bg;
struct rso_sha256_bg *rso_sha256_bg_new(void);
void rso_sha256_bg_update(struct rso_sha256_bg *q, const void *buf,
    size_t len);
char *rso_sha256_bg_final_hex(struct rso_sha256_bg *q, char *hex);

/*
 * Several streams through one queue, one after the other: cut ends the
 * stream given so far, whose hex the thread writes into hex later (hex
 * must stay valid until then), and begins the next.  After wait returns,
 * every stream cut before it has its hex.
 */
void rso_sha256_bg_cut(struct rso_sha256_bg *q, char *hex);
void rso_sha256_bg_wait(struct rso_sha256_bg *q);

#endif
