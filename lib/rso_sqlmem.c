/* rso_sqlmem: SQLite's small allocations, kept for reuse once freed. */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>

#include "rso_store_priv.h"

/*
 * SQLite keeps a savepoint's or a statement's journal in memory (temp_store
 * MEMORY, rso_store.c) in pieces of 1 KiB, allocated as pages are changed
 * and all freed when the savepoint ends: a hundred or more for each
 * request intake files.  glibc keeps only 7 freed blocks of a size at hand
 * (its tcache); the rest went its slow way, some 200 instructions each, a
 * tenth of intake's work.  So freed blocks up to SMALL bytes are kept here,
 * by size in steps of GRAIN, and handed out again; the rest is SQLite's
 * own allocator, which does the work.  A size keeps KEEP_BLOCKS at most
 * (some blocks grown by realloc are freed at a size never asked for
 * again, and would fill a shared limit), KEEP_BYTES in all a thread.
 *
 * Per thread, so that no lock is taken: a block freed by another thread
 * than the one that allocated it is simply kept by the freeing one.  What
 * a thread keeps when it ends (KEEP_BYTES at most) is not given back.
 */
#define GRAIN 16
#define SMALL 1088		/* a journal piece, 1 KiB and its header */
#define NCLASS (SMALL / GRAIN + 1)
#define KEEP_BLOCKS 160		/* a request's journal is some 110 pieces */
#define KEEP_BYTES (512 * 1024)

struct kept_block {
	struct kept_block *next;
};

static sqlite3_mem_methods sys;	/* SQLite's default, which this wraps */
static _Thread_local struct kept_block *kept[NCLASS];
static _Thread_local int nkept[NCLASS];
static _Thread_local size_t kept_bytes;

static int
round_up(int n)
{
	return (n + GRAIN - 1) & ~(GRAIN - 1);
}

static void *
mem_malloc(int n)
{
	struct kept_block *b;
	int c;

	if (n > 0 && n <= SMALL) {
		n = round_up(n);
		c = n / GRAIN;
		if ((b = kept[c]) != NULL) {
			kept[c] = b->next;
			nkept[c]--;
			kept_bytes -= (size_t)n;
			return b;
		}
	}
	return sys.xMalloc(n);
}

/*
 * A block of usable size u serves any request up to u rounded down to a
 * GRAIN: it is kept under that size, so that mem_malloc never hands out
 * less than it was asked for, whatever the system allocator rounded to.
 */
static void
mem_free(void *p)
{
	struct kept_block *b = p;
	int c, size;

	if (p == NULL)
		return;
	size = sys.xSize(p);
	c = size / GRAIN;
	if (c > 0 && c < NCLASS && nkept[c] < KEEP_BLOCKS &&
	    kept_bytes + (size_t)(c * GRAIN) <= KEEP_BYTES) {
		b->next = kept[c];
		kept[c] = b;
		nkept[c]++;
		kept_bytes += (size_t)(c * GRAIN);
		return;
	}
	sys.xFree(p);
}

static int
mem_roundup(int n)
{
	return n > 0 && n <= SMALL ? round_up(n) : sys.xRoundup(n);
}

int
rso_sqlmem_install(void)
{
	sqlite3_mem_methods m;

	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sys) != SQLITE_OK)
		return -1;
	m = sys;
	m.xMalloc = mem_malloc;
	m.xFree = mem_free;
	m.xRoundup = mem_roundup;
	return sqlite3_config(SQLITE_CONFIG_MALLOC, &m) == SQLITE_OK ? 0 : -1;
}
