/* rso_opt: the options every program shares, and verb dispatch. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_OPT_H
#define RSO_OPT_H

#include <getopt.h>
#include <stdio.h>

/*
 * Every program accepts -h/--help, --version, -H/--home DIR and -q/--quiet,
 * before or after its verb.  Append RSO_OPT_SHORT to a getopt string and
 * RSO_OPT_LONG to a long-option table, and hand every option the caller
 * does not know to rso_opt_common().
 */
#define RSO_OPT_SHORT "hH:q"
enum { RSO_OPT_VERSION = 0x100, RSO_OPT_PRIVATE = 0x200 };
#define RSO_OPT_LONG \
	{ "help", no_argument, NULL, 'h' }, \
	{ "home", required_argument, NULL, 'H' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "version", no_argument, NULL, RSO_OPT_VERSION }

/*
 * A usage printer: full != 0 for --help (on stdout), 0 for the short form
 * after a usage error (on stderr).
 */
typedef void rso_usage_fn(FILE *fp, int full);

/*
 * Handle a common option.  -h prints the full usage and exits 0; --version
 * prints "PROG VERSION" and exits 0; -H and -q are remembered; anything
 * else ('?', ':' or an option the caller forgot) prints the short usage to
 * stderr and exits EX_USAGE.  Returns only for -H and -q.
 */
void rso_opt_common(int ch, const char *arg, rso_usage_fn *usage);

/*
 * A usage error: "prog: msg" and the short usage on stderr, then exit
 * EX_USAGE.
 */
void rso_usage_error(rso_usage_fn *usage, const char *msg)
    __attribute__((noreturn));

/*
 * arg, the value of the option called name ("--comment"), when it is
 * UTF-8 text; else "PROG: NAME: not UTF-8 text" and exit EX_USAGE.  For
 * the options whose text goes into an event, which is JSON: a reason or
 * a note typed in a Latin-1 terminal would otherwise take the rest of
 * the event's data with it.
 */
const char *rso_opt_text(const char *name, const char *arg);

/* The -H/--home value, or NULL when none was given. */
const char *rso_opt_home(void);

/*
 * A program's verbs: the first operand names one.  synopsis is the verb's
 * own usage after "usage: PROG " ("log [-f json|text] case"); a usage
 * error inside the verb shows it (rso_verb_usage).  run may be NULL for a
 * program that dispatches by itself and keeps the table for the names.
 */
struct rso_verb {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the verb */
	const char *synopsis;			/* NULL: the program's usage */
};

/* The verb called name, or NULL. */
const struct rso_verb *rso_verb_find(const struct rso_verb *verbs,
    const char *name);

/*
 * How far apart two words are as typing goes: the optimal string
 * alignment distance (insertions, deletions, substitutions and swaps of
 * two neighbours each count 1), ignoring ASCII case.
 */
int rso_typo_distance(const char *a, const char *b);

/*
 * The name of names (NULL-terminated) that word is a typo of, or NULL: the
 * nearest within one edit for names of up to four letters, two for longer
 * ones, the first in table order on a tie.
 */
const char *rso_typo_closest(const char *const *names, const char *word);

/*
 * A usage error for a word, the first operand, that names no NOUN ("verb",
 * "report"): 'PROG: unknown NOUN "WORD"; did you mean "NAME"?' when word
 * is a typo of one of names (control characters shown as ?), else
 * 'PROG: argument 1: not a NOUN (see --help)' without the word, which
 * could be anything; then the short usage on stderr and exit EX_USAGE.
 */
void rso_unknown_name(const char *noun, const char *word,
    const char *const *names, rso_usage_fn *usage)
    __attribute__((noreturn));

/* How rso_verb_pick() treats a word that is not a verb. */
enum rso_verb_mode {
	RSO_VERB_NEEDED,	/* no default verb: an unknown verb is an error */
	RSO_VERB_DEFAULT	/* the default verb takes operands (cases, files) */
};

/*
 * Recognise the first operand word as one of verbs, before anything takes
 * it for an operand, and remember it for rso_verb_usage().  Returns the
 * verb, or NULL when word is an operand of the default verb
 * (RSO_VERB_DEFAULT): "-", a case id, an existing file, or a word that is
 * no typo of a verb (the default verb reports it).  Otherwise a usage
 * error by rso_unknown_name(), with the closest verb.
 */
const struct rso_verb *rso_verb_pick(const struct rso_verb *verbs,
    const char *word, enum rso_verb_mode mode, rso_usage_fn *usage);

/*
 * For a program whose options may come before its verb: find the first
 * operand of argv as getopt would with shortopts and longopts (acting on
 * no option), and when rso_verb_pick() finds a verb there, take it out of
 * argv (*argc one less) and return it; NULL when there is none.  A word
 * after "--" is always an operand.
 */
const struct rso_verb *rso_verb_take(int *argc, char **argv,
    const char *shortopts, const struct option *longopts,
    const struct rso_verb *verbs, enum rso_verb_mode mode,
    rso_usage_fn *usage);

/*
 * The short usage of the verb being run: "usage: PROG SYNOPSIS" on fp and
 * 1, or 0 when no verb was picked or it has no synopsis.  A program's
 * usage function calls it first for its short form.
 */
int rso_verb_usage(FILE *fp);

/*
 * The whole main() of a program made of verbs: set the program name, take
 * the common options before the verb, run the verb named by the first
 * operand (its own options after it), flush stdout, and return the exit
 * status.  No verb or an unknown one is a usage error (rso_verb_pick).
 */
int rso_verb_main(int argc, char **argv, const struct rso_verb *verbs,
    rso_usage_fn *usage);

/*
 * Reset getopt for a verb's own option loop (the verb parses argv from
 * argv[1]).  glibc needs optind = 0 to reinitialise fully.
 */
void rso_opt_reset(void);

#endif
