/* rso-case: placeholder dispatcher for the age verbs (the lead's main.c replaces it). */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "crypt.h"
#include "rso_err.h"
#include "rso_opt.h"

static const struct rso_verb verbs[] = {
	{ "decrypt", case_decrypt },
	{ "encrypt", case_encrypt },
	{ "keygen", case_keygen },
	{ NULL, NULL }
};

static void
usage(FILE *fp, int full)
{
	(void)full;
	fputs("usage: rso-case VERB [options]\n", fp);
	case_crypt_usage(fp);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { RSO_OPT_LONG, { NULL } };
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
	return v->run(argc, argv);
}
