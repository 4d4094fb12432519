/* rso_opt: the options every program shares, and verb dispatch. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_err.h"
#include "rso_opt.h"

static const char *home;

void
rso_opt_common(int ch, const char *arg, rso_usage_fn *usage)
{
	switch (ch) {
	case 'H':
		home = arg;
		return;
	case 'h':
		usage(stdout, 1);
		exit(0);
	case 'q':
		rso_setquiet(1);
		return;
	case RSO_OPT_VERSION:
		printf("%s %s\n", rso_progname(), RSO_VERSION);
		exit(0);
	default:
		usage(stderr, 0);
		exit(EX_USAGE);
	}
}

const char *
rso_opt_home(void)
{
	return home;
}

const struct rso_verb *
rso_verb_find(const struct rso_verb *verbs, const char *name)
{
	for (; verbs->name != NULL; verbs++)
		if (strcmp(verbs->name, name) == 0)
			return verbs;
	return NULL;
}

void
rso_opt_reset(void)
{
	optind = 0;
}
