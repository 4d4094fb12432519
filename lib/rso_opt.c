/* rso_opt: the options every program shares, and verb dispatch. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rso_case.h"
#include "rso_err.h"
#include "rso_opt.h"
#include "rso_utf8.h"

static const char *home;
static const struct rso_verb *picked;	/* the verb being run */

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

/* Longer words are no typo of a verb; the table stays small. */
#define TYPO_MAX 64

int
rso_typo_distance(const char *a, const char *b)
{
	int d[3][TYPO_MAX + 1], *prev2 = d[0], *prev = d[1], *cur = d[2], *t;
	size_t la = strlen(a), lb = strlen(b), i, j;
	int cost, best;

	if (la > TYPO_MAX || lb > TYPO_MAX)
		return TYPO_MAX + 1;
	for (j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (j = 1; j <= lb; j++) {
			cost = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);
			best = prev[j - 1] + cost;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			/* Two neighbours swapped: "lsit" for "list". */
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) ==
			    tolower((unsigned char)b[j - 1]) &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *
rso_typo_closest(const char *const *names, const char *word)
{
	const char *best = NULL;
	int d, bestd = TYPO_MAX + 1;

	if (*word == '\0')
		return NULL;
	for (; *names != NULL; names++) {
		d = rso_typo_distance(word, *names);
		/* One slip in a short name, two in a longer one. */
		if (d > (strlen(*names) <= 4 ? 1 : 2) || d >= bestd)
			continue;
		best = *names;
		bestd = d;
	}
	return best;
}

void
rso_unknown_name(const char *noun, const char *word,
    const char *const *names, rso_usage_fn *usage)
{
	const char *close = rso_typo_closest(names, word);
	char *shown = rso_xstrdup(word), *p;

	/* The word goes to a terminal: no control characters. */
	for (p = shown; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	/*
	 * Only a near miss of a name is shown: any other word could be what
	 * a diagnostic must never print (a name typed in the wrong place).
	 */
	if (close != NULL)
		rso_warnx("unknown %s \"%s\"; did you mean \"%s\"?", noun, shown,
		    close);
	else
		rso_warnx("argument 1: not a %s (see --help)", noun);
	free(shown);
	usage(stderr, 0);
	exit(EX_USAGE);
}

/* A word the default verb takes: "-", a case id or an existing file. */
static int
looks_like_operand(const char *word)
{
	struct stat st;

	return strcmp(word, "-") == 0 || rso_case_id_valid(word) ||
	    lstat(word, &st) == 0;
}

const struct rso_verb *
rso_verb_pick(const struct rso_verb *verbs, const char *word,
    enum rso_verb_mode mode, rso_usage_fn *usage)
{
	const struct rso_verb *v;
	const char **names;
	size_t n;

	if ((v = rso_verb_find(verbs, word)) != NULL)
		return picked = v;
	if (mode == RSO_VERB_DEFAULT && looks_like_operand(word))
		return NULL;
	for (n = 0; verbs[n].name != NULL; n++)
		;
	names = rso_xcalloc(n + 1, sizeof(*names));
	for (n = 0; verbs[n].name != NULL; n++)
		names[n] = verbs[n].name;
	if (mode == RSO_VERB_DEFAULT && rso_typo_closest(names, word) == NULL) {
		free(names);
		return NULL;
	}
	rso_unknown_name("verb", word, names, usage);
}

const struct rso_verb *
rso_verb_take(int *argc, char **argv, const char *shortopts,
    const struct option *longopts, const struct rso_verb *verbs,
    enum rso_verb_mode mode, rso_usage_fn *usage)
{
	const struct rso_verb *v;
	char *order = rso_xasprintf("+%s", shortopts);
	int saved = opterr, i;

	/* Only find where the operands start: the caller's loop acts later. */
	rso_opt_reset();
	opterr = 0;
	while (getopt_long(*argc, argv, order, longopts, NULL) != -1)
		;
	i = optind;
	opterr = saved;
	rso_opt_reset();
	free(order);
	/* After "--" a word is an operand, whatever it spells. */
	if (i >= *argc || strcmp(argv[i - 1], "--") == 0 ||
	    (v = rso_verb_pick(verbs, argv[i], mode, usage)) == NULL)
		return NULL;
	memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof(*argv));
	(*argc)--;
	return v;
}

int
rso_verb_usage(FILE *fp)
{
	if (picked == NULL || picked->synopsis == NULL)
		return 0;
	fprintf(fp, "usage: %s %s\n", rso_progname(), picked->synopsis);
	return 1;
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
	v = rso_verb_pick(verbs, argv[0], RSO_VERB_NEEDED, usage);
	return rso_flush_stdout(v->run(argc, argv));
}

const char *
rso_opt_text(const char *name, const char *arg)
{
	if (!rso_utf8_valid(arg, strlen(arg)))
		rso_diex(EX_USAGE, "%s: not UTF-8 text", name);
	return arg;
}

void
rso_usage_error(rso_usage_fn *usage, const char *msg)
{
	rso_warnx("%s", msg);
	usage(stderr, 0);
	exit(EX_USAGE);
}
