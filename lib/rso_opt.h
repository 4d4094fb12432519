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

/* The -H/--home value, or NULL when none was given. */
const char *rso_opt_home(void);

/* A program's verbs: the first operand names one. */
struct rso_verb {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the verb */
};

/* The verb called name, or NULL. */
const struct rso_verb *rso_verb_find(const struct rso_verb *verbs,
    const char *name);

/*
 * The whole main() of a program made of verbs: set the program name, take
 * the common options before the verb, run the verb named by the first
 * operand (its own options after it), flush stdout, and return the exit
 * status.  No verb or an unknown one is a usage error.
 */
int rso_verb_main(int argc, char **argv, const struct rso_verb *verbs,
    rso_usage_fn *usage);

/*
 * Reset getopt for a verb's own option loop (the verb parses argv from
 * argv[1]).  glibc needs optind = 0 to reinitialise fully.
 */
void rso_opt_reset(void);

#endif
