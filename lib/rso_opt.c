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

int
rso_verb_main(int argc, char **argv, const struct rso_verb *verbs,
    rso_usage_fn *usage)
{
	static const struct option longopts[] = { RSO_OPT_LONG, { 0 } };
	const struct rso_verb *v;
	int ch;

	rso_setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "+" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		rso_opt_common(ch, optarg, usage);
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr, 0);
		return EX_USAGE;
	}
	if ((v = rso_verb_find(verbs, argv[0])) == NULL) {
		rso_warnx("%s: unknown verb", argv[0]);
		usage(stderr, 0);
		return EX_USAGE;
	}
	return rso_flush_stdout(v->run(argc, argv));
}

void
rso_usage_error(rso_usage_fn *usage, const char *msg)
{
	rso_warnx("%s", msg);
	usage(stderr, 0);
	exit(EX_USAGE);
}
