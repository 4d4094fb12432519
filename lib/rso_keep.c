/* rso_keep: large buffers lent again within the process (see rso_keep.h). */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>

#include "rso_keep.h"

/*
 * Why keep them: a segment's writer used to take its buffers (about 4 MiB:
 * the cipher's batch, the hashers' slots, the direct writer's blocks) from
 * malloc and give them back at the end.  Large, they were fresh mappings
 * each time, every page faulted in again: an inbox filing 300 loose files,
 * a segment each, spent three quarters of its page faults there
 * (bench/RESULTS.md, session 17).
 */
void *
rso_keep_take(struct rso_keep *k)
{
	void *p = NULL;
	int err;

	pthread_mutex_lock(&k->mu);
	if (k->n > 0)
		p = k->kept[--k->n];
	pthread_mutex_unlock(&k->mu);
	if (p != NULL)
		return p;
	if ((err = posix_memalign(&p, k->align, k->size)) != 0) {
		errno = err;
		return NULL;
	}
	return p;
}

void
rso_keep_give(struct rso_keep *k, void *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&k->mu);
	if (k->n < k->max && k->n < RSO_KEEP_MAX) {
		k->kept[k->n++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&k->mu);
	free(p);
}
