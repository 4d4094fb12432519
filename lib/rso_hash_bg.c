/* rso_hash_bg: SHA-256 of a stream on a second thread (see rso_hash.h). */
/* SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rso_err.h"
#include "rso_hash.h"
#include "rso_keep.h"

/*
 * A ring of slots, filled by the caller in order and hashed by the
 * worker in the same order.  Four of 256 KiB: enough for the worker to
 * run a few chunks behind without the caller waiting, little enough to
 * keep a writer's memory small (1 MiB in all).
 */
#define SLOTS	4
#define SLOT	(256 * 1024)

/* The slots of two hashers (a segment's files and its ciphertext), kept
 * from one segment to the next. */
static struct rso_keep slots_kept = RSO_KEEP_INIT(SLOT, 64, 2 * SLOTS);

struct slot {
	unsigned char *buf;
	size_t len;
	char *cut;		/* a stream ends here: its hex goes there */
};

struct rso_sha256_bg {
	struct rso_sha256 *h;
	pthread_t worker;
	int threaded;
	pthread_mutex_t mu;
	pthread_cond_t filled, emptied;
	struct slot slot[SLOTS];
	unsigned head;		/* the next slot the caller fills */
	unsigned tail;		/* the next slot the worker hashes */
	int done;		/* no more slots will be filled */
	int filling;		/* the caller is filling the slot at head */
};

/* Finish one stream into hex and begin the next. */
static struct rso_sha256 *
restart(struct rso_sha256 *h, char *hex)
{
	rso_sha256_final_hex(h, hex);
	return rso_sha256_new();
}

static void *
worker(void *arg)
{
	struct rso_sha256_bg *q = arg;
	struct slot *sl;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->tail == q->head && !q->done)
			pthread_cond_wait(&q->filled, &q->mu);
		if (q->tail == q->head)
			break;
		sl = &q->slot[q->tail % SLOTS];
		/* The slot is the worker's until tail moves past it. */
		pthread_mutex_unlock(&q->mu);
		rso_sha256_update(q->h, sl->buf, sl->len);
		if (sl->cut != NULL)
			q->h = restart(q->h, sl->cut);
		pthread_mutex_lock(&q->mu);
		q->tail++;
		pthread_cond_signal(&q->emptied);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct rso_sha256_bg *
rso_sha256_bg_new(void)
{
	struct rso_sha256_bg *q = rso_xcalloc(1, sizeof(*q));

	q->h = rso_sha256_new();
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->filled, NULL);
	pthread_cond_init(&q->emptied, NULL);
	q->threaded = pthread_create(&q->worker, NULL, worker, q) == 0;
	return q;
}

/* Wait for the slot at head to be free, and give it a buffer. */
static struct slot *
claim(struct rso_sha256_bg *q)
{
	struct slot *sl;

	pthread_mutex_lock(&q->mu);
	while (q->head - q->tail == SLOTS)
		pthread_cond_wait(&q->emptied, &q->mu);
	pthread_mutex_unlock(&q->mu);
	/* Free, and not the worker's until head moves past it. */
	sl = &q->slot[q->head % SLOTS];
	if (sl->buf == NULL && (sl->buf = rso_keep_take(&slots_kept)) == NULL)
		rso_die(EX_OSERR, "malloc");
	sl->len = 0;
	sl->cut = NULL;
	q->filling = 1;
	return sl;
}

/* Hand the slot being filled to the worker. */
static void
publish(struct rso_sha256_bg *q)
{
	pthread_mutex_lock(&q->mu);
	q->head++;
	pthread_cond_signal(&q->filled);
	pthread_mutex_unlock(&q->mu);
	q->filling = 0;
}

void
rso_sha256_bg_update(struct rso_sha256_bg *q, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	struct slot *sl;
	size_t n;

	if (!q->threaded) {
		rso_sha256_update(q->h, buf, len);
		return;
	}
	/* Small pieces gather in a slot: the worker wakes once a MiB. */
	while (len > 0) {
		sl = q->filling ? &q->slot[q->head % SLOTS] : claim(q);
		n = SLOT - sl->len < len ? SLOT - sl->len : len;
		memcpy(sl->buf + sl->len, p, n);
		sl->len += n;
		p += n;
		len -= n;
		if (sl->len == SLOT)
			publish(q);
	}
}

void
rso_sha256_bg_cut(struct rso_sha256_bg *q, char *hex)
{
	struct slot *sl;

	if (!q->threaded) {
		q->h = restart(q->h, hex);
		return;
	}
	sl = q->filling ? &q->slot[q->head % SLOTS] : claim(q);
	sl->cut = hex;
	publish(q);
}

void
rso_sha256_bg_wait(struct rso_sha256_bg *q)
{
	if (!q->threaded)
		return;
	if (q->filling)
		publish(q);
	pthread_mutex_lock(&q->mu);
	while (q->tail != q->head)
		pthread_cond_wait(&q->emptied, &q->mu);
	pthread_mutex_unlock(&q->mu);
}

char *
rso_sha256_bg_final_hex(struct rso_sha256_bg *q, char *hex)
{
	int i;

	if (q->threaded) {
		if (q->filling)
			publish(q);
		pthread_mutex_lock(&q->mu);
		q->done = 1;
		pthread_cond_signal(&q->filled);
		pthread_mutex_unlock(&q->mu);
		pthread_join(q->worker, NULL);
	}
	rso_sha256_final_hex(q->h, hex);
	for (i = 0; i < SLOTS; i++)
		rso_keep_give(&slots_kept, q->slot[i].buf);
	pthread_cond_destroy(&q->filled);
	pthread_cond_destroy(&q->emptied);
	pthread_mutex_destroy(&q->mu);
	free(q);
	return hex;
}
