/* Unit tests for rso_keep: a buffer given back is lent again, aligned and
 * whole; no more are kept than asked; a buffer is never lent to two
 * holders at once, whatever the threads. */
/* SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rso_keep.h"
#include "tap.h"

#define SIZE	(512 * 1024)

static struct rso_keep blocks = RSO_KEEP_INIT(SIZE, 4096, 2);

static void
test_lent_again(void)
{
	unsigned char *a = rso_keep_take(&blocks), *b;

	ok(a != NULL && (uintptr_t)a % 4096 == 0, "a new buffer, aligned");
	memset(a, 0xab, SIZE);	/* every byte is the holder's */
	rso_keep_give(&blocks, a);
	b = rso_keep_take(&blocks);
	ok(b == a, "the buffer given back is the one lent next");
	is_int(blocks.n, 0, "and is no longer kept while lent");
	rso_keep_give(&blocks, b);
	rso_keep_give(&blocks, NULL);
	is_int(blocks.n, 1, "NULL is let be");
}

static void
test_at_most_max(void)
{
	void *v[4];
	int i;

	for (i = 0; i < 4; i++)
		v[i] = rso_keep_take(&blocks);
	is_int(blocks.n, 0, "four lent, none kept");
	for (i = 0; i < 4; i++)
		rso_keep_give(&blocks, v[i]);
	is_int(blocks.n, 2, "four given back, two kept (the rest freed)");
	ok(rso_keep_take(&blocks) == v[1] && rso_keep_take(&blocks) == v[0],
	    "the kept ones lent again, last given first");
	rso_keep_give(&blocks, v[0]);
	rso_keep_give(&blocks, v[1]);
}

/* Each thread fills what it holds with its own mark and checks it is
 * still there before giving it back: a buffer lent twice is overwritten
 * by the other holder. */
static struct rso_keep shared = RSO_KEEP_INIT(4096, 64, 3);

static void *
holder(void *arg)
{
	unsigned char mark = (unsigned char)(uintptr_t)arg, *p;
	long bad = 0;
	int i, j;

	for (i = 0; i < 20000; i++) {
		p = rso_keep_take(&shared);
		memset(p, mark, 4096);
		for (j = 0; j < 4096; j += 512)
			bad += p[j] != mark;
		rso_keep_give(&shared, p);
	}
	return (void *)bad;
}

static void
test_threads(void)
{
	pthread_t t[4];
	void *bad;
	long all = 0;
	int i;

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, holder, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &bad);
		all += (long)bad;
	}
	is_int(all, 0, "four threads, 80,000 loans: never one buffer to two");
	ok(shared.n <= 3, "no more kept than asked");
}

int
main(void)
{
	test_lent_again();
	test_at_most_max();
	test_threads();
	return tap_done();
}
