/* rso_bundle_priv: the JSON under rso_bundle.c read a value at a time --
 * a window on the Bundle's bytes, a scanner of its root object that
 * hands each root member, or each element of a root member's array, to
 * jansson alone, with the outcome jansson gives for the whole file
 * (rso_bundle_scan.c), and the feed that hands jansson a value with its
 * "data" strings swapped for their places (rso_bundle_feed.c). */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_BUNDLE_PRIV_H
#define RSO_BUNDLE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rso_utf8.h"
#include "rso_window.h"

/* Where the bytes are: a buffer, or a file of n bytes read with pread(2)
 * into a window (rso_window) that slides along; jansson is fed from it as
 * it asks, so a value of any size passes through it. */

/* A place in the bytes as jansson counts it: line from 1, column in
 * characters from 0 at a line's start. */
void bsrc_line_col(struct rso_window *s, size_t at, int *line, int *column);

/* What jansson would have said of the whole file: its error code, and
 * the offset its line and column stand for. */
struct bfault {
	enum json_error_code code;
	size_t at;
};

/* Outcomes of the functions below. */
enum {
	BSCAN_OK,
	BSCAN_FAULT,		/* not JSON: the fault is filled */
	BSCAN_IO,		/* the file could not be read: s->err */
	BSCAN_NOT_OBJECT,	/* the root is not an object */
	BSCAN_WIDE		/* more than BSCAN_MAX_ROOT root members */
};

/*
 * A Bundle's root has a dozen members (two dozen with "_" siblings); the
 * scan stops past this many, so that a flood of names is never kept.
 */
#define BSCAN_MAX_ROOT	1000

/*
 * A "data" member's string value (wherever it stands) is never held: what
 * is handed over holds its place instead, a string of U+0001, the
 * offset, a colon and the length of its text (as written between its
 * quotes, escapes and all), which stays in the file.  Only clean text
 * is swapped so: printable ASCII and escapes of ASCII but NUL (a file
 * cut short in such text is cut short in the place).  Any other
 * is jansson's to find fault with, and stays in the value; and since
 * the string a place is can only be made of clean text, a sender's text
 * is never taken for one.
 *
 * Whether the len bytes of v (a string of a handed-over value) hold a
 * place: 1 with *off and *n where its text is in the file, or 0.
 */
int bsrc_data_place(const char *v, size_t len, size_t *off, size_t *n);

/*
 * jansson's JSON_PARSER_MAX_DEPTH (not in its public header): the root
 * is depth 1, and a value parsed alone starts as deep as that.
 */
#define BSCAN_MAX_DEPTH	2048

/* A "data" string swapped for its place: the file's bytes [at, at + raw)
 * stand for the fed bytes' ph. */
struct bswap {
	size_t at, raw, ph;
};

/*
 * What the feed keeps of the JSON it hands jansson, so as to know a
 * "data" member's string value when it comes to one: whether it is in a
 * string (and an escape), each container's kind down to here (a bit a
 * level, 1 for an object), whether an object's next string is a member
 * name, and the last name, decoded as far as "data" needs.  It follows
 * JSON as jansson reads it; once the value is over, or the bytes are
 * not JSON (jansson fails there, before any string the feed changed
 * after), it only hands bytes over.
 */
#define BLEX_DEPTH	(BSCAN_MAX_DEPTH + 8)
struct blex {
	unsigned char kind[BLEX_DEPTH / 8];
	int depth, base;	/* base: the depth the value starts at */
	int in_string, is_name, want_name, after_colon;
	struct rso_json_esc esc;	/* an escape being read */
	int named;		/* of the last name, how many characters
				 * are "data"'s so far, 5 once one
				 * is not */
	int started, done;	/* the value has begun; it is over */
};

/* The bytes jansson reads: prefix (what stands for the values around the
 * one read, see reproduce), then the file from off, each "data" string
 * of clean text swapped for its place (see bsrc_data_place). */
struct bfeed {
	struct rso_window *s;
	const char *prefix;
	size_t plen, pdone, off;
	int failed;
	struct blex x;
	char ph[64];		/* a place being handed over */
	size_t phlen, phdone;
	struct bswap *swaps;
	size_t nswaps, capswaps;
};

/* A feed of prefix, then the file from off. */
void bfeed_init(struct bfeed *feed, struct rso_window *s, const char *prefix,
    size_t off);
void bfeed_free(struct bfeed *feed);

/*
 * jansson's json_load_callback reader, data a struct bfeed: its bytes
 * into buffer, the swaps made recorded (feed->swaps, in the order of the
 * file) for the caller to place jansson's counts in the file; (size_t)-1
 * with feed->failed set when the file cannot be read.
 */
size_t bfeed_bytes(void *buffer, size_t buflen, void *data);

/*
 * What the scanner hands over, each value parsed alone and freed once
 * the call returns.  An array that is a root member's value is handed
 * over element by element (k from 0, off where its parse began, for
 * bsrc_element to read it again), anything else whole.
 */
struct bscan_fn {
	void (*member)(void *ctx, const char *key, json_t *v);
	void (*element)(void *ctx, const char *key, size_t k, size_t off,
	    json_t *v);
	void *ctx;
};

/*
 * Scan the whole file as jansson's json_loadb(JSON_REJECT_DUPLICATES)
 * would parse it, and hand its root members over.  Only the root's
 * member names are kept (16 bytes each, for the duplicates, looked for
 * at the end), and one value at a time.  BSCAN_OK, BSCAN_NOT_OBJECT (nothing handed over) or
 * BSCAN_FAULT with *f as jansson would have failed, BSCAN_WIDE once the
 * root has more than BSCAN_MAX_ROOT members (what follows unread), or
 * BSCAN_IO.
 */
int bscan_root(struct rso_window *s, const struct bscan_fn *fn, struct bfault *f);

/* jansson's fault for a file whose root is not an object. */
int bscan_start_fault(struct rso_window *s, struct bfault *f);

/*
 * The element of a root member's array whose parse began at off, read
 * again (the scan has checked it): BSCAN_OK with *v and *end where it
 * ends, BSCAN_IO, or BSCAN_FAULT when the file changed since.
 */
int bsrc_element(struct rso_window *s, size_t off, json_t **v, size_t *end);

/*
 * A 64-bit hash of the n bytes of p, seeded (bsrc_seed, once per read) so
 * that keys chosen to collide cannot be written ahead.  A collision only
 * costs a second look: the keys themselves are compared.
 */
uint64_t bsrc_hash(const char *p, size_t n, uint64_t seed);
uint64_t bsrc_seed(void);

/* A key's hash and where what it names begins. */
struct bkey {
	uint64_t hash;
	size_t off;
};

/* Sort n keys by hash, then by place, in place (qsort may take a copy as
 * large as them). */
void bsrc_sort_keys(struct bkey *k, size_t n);

/* Whether x comes before y in that order. */
int bsrc_key_before(const struct bkey *x, const struct bkey *y);

/*
 * Keys that outgrow memory: the first ones gathered in memory, and past
 * a bound (BSPILL_RUN keys, 2 MiB) written to an unnamed file the spool
 * function makes, so that a Bundle of millions of tiny entries costs no
 * more memory than one of thousands.  Sorted (the index of references)
 * or kept in the order added (the entries to read again).  Without a
 * spool function, or when it cannot make a file, all stay in memory.
 */
#define BSPILL_RUN	(128 * 1024)
#define BSPILL_BLOCK	256		/* keys read back at a time, 4 KiB */

struct bspill {
	struct bkey *k;		/* all of them, the run being gathered, or
				 * once sealed on file, a block read back */
	size_t n, cap, run;	/* run: keys gathered before they spill */
	int sorted;
	int (*spool)(void *ctx);
	void *ctx;
	int fd;			/* -1: all in memory */
	size_t nfile;		/* keys written to fd */
	struct bspill_run {
		size_t at, n;	/* in keys, from the file's start */
	} *runs;
	size_t nruns;
	size_t base, total;	/* once sealed: where they are, how many */
	size_t block;		/* the block k holds, or SIZE_MAX */
	int err;		/* an errno: the file failed */
};

/* run: keys in memory before they spill (BSPILL_RUN, less in tests). */
void bspill_init(struct bspill *x, int sorted, size_t run,
    int (*spool)(void *ctx), void *ctx);
void bspill_add(struct bspill *x, uint64_t hash, size_t off);
/* No more keys: sort them (merging the runs on file) and make them
 * readable.  0, or -1 with x->err. */
int bspill_seal(struct bspill *x);
size_t bspill_count(const struct bspill *x);
/* The i-th key, once sealed: 0, or -1 with x->err. */
int bspill_get(struct bspill *x, size_t i, struct bkey *k);
/* The first key of hash at least h in a sorted one, or its count. */
size_t bspill_lower(struct bspill *x, uint64_t h);
void bspill_free(struct bspill *x);

/* Whether the file's text contains needle (a needle of 64 bytes at most). */
int bsrc_contains(struct rso_window *s, const char *needle);

/* The first byte after a UTF-8 byte-order mark and blanks, or -1. */
int bsrc_first_byte(struct rso_window *s, int skip_bom);

#endif
