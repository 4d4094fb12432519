/* rso_text: text built piece by piece in a buffer that grows. */
/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "rso_err.h"
#include "rso_text.h"

void
rso_text_add(struct rso_text *t, const void *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		while (t->len + n + 1 > t->cap)
			t->cap = t->cap ? t->cap * 2 : 512;
		t->p = rso_xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}
