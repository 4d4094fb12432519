/* rso_keep: large buffers of one size, given back when done and lent again
 * within the process, so that their pages are faulted in once, not once
 * a use. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_KEEP_H
#define RSO_KEEP_H

#include <pthread.h>
#include <stddef.h>

#define RSO_KEEP_MAX	8

/*
 * A keep of buffers of size bytes, aligned to align (a power of two, at
 * least sizeof(void *)), holding at most max (<= RSO_KEEP_MAX) given back.
 * Defined static, with RSO_KEEP_INIT; safe to use from any thread.
 */
struct rso_keep {
	pthread_mutex_t mu;
	size_t size, align;
	int max, n;
	void *kept[RSO_KEEP_MAX];
};

#define RSO_KEEP_INIT(size, align, max) \
	{ PTHREAD_MUTEX_INITIALIZER, (size), (align), (max), 0, { 0 } }

/* A buffer of k->size bytes, its content undefined: one given back, else
 * a new one.  NULL, errno set, when there is no memory. */
void *rso_keep_take(struct rso_keep *k);

/* The buffer is done with: kept for the next take while there is room,
 * else freed.  NULL is let be. */
void rso_keep_give(struct rso_keep *k, void *p);

#endif
