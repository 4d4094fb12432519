/* Unit tests for rso_err and rso_opt. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_err.h"
#include "rso_opt.h"
#include "tap.h"

static int ran;
static int run_a(int argc, char **argv) { (void)argc; (void)argv; return ran = 1; }

int
main(int argc, char **argv)
{
	static const struct rso_verb verbs[] = { { "a", run_a }, { NULL, NULL } };
	int status = 0;
	char *s;

	(void)argc;
	rso_setprogname(argv[0]);
	is_str(rso_progname(), "test_err", "progname is the basename of argv[0]");
	rso_setprogname("");
	is_str(rso_progname(), "test_err", "an empty argv[0] keeps the name");

	rso_status_set(&status, 0);
	is_int(status, 0, "a zero status leaves the accumulator at zero");
	rso_status_set(&status, EX_DATAERR);
	rso_status_set(&status, EX_IOERR);
	is_int(status, EX_DATAERR, "the first failure status is kept");

	s = rso_xasprintf("%s-%d", "x", 7);
	is_str(s, "x-7", "xasprintf formats");
	free(s);

	ok(rso_verb_find(verbs, "b") == NULL, "an unknown verb is not found");
	ok(rso_verb_find(verbs, "a") == &verbs[0], "a known verb is found");
	verbs[0].run(0, NULL);
	is_int(ran, 1, "a verb runs through the table");

	is_int(rso_typo_distance("list", "list"), 0, "a word is no typo of itself");
	is_int(rso_typo_distance("lsit", "list"), 1, "two neighbours swapped are one edit");
	is_int(rso_typo_distance("rostr", "roster"), 1, "a letter left out is one edit");
	is_int(rso_typo_distance("consnt", "consent"), 1, "consnt is one edit from consent");
	is_int(rso_typo_distance("LIST", "list"), 0, "ASCII case does not count");
	is_int(rso_typo_distance("", "due"), 3, "from nothing: one edit a letter");
	is_int(rso_typo_distance("ca", "abc"), 3, "a swap is not counted twice (optimal alignment)");
	is_int(rso_typo_distance("kitten", "sitting"), 3, "substitutions and an insertion");
	{
		static const char *const names[] = { "add", "cat", "due", "ls",
		    "inbox", "release", "reject", NULL };
		is_str(rso_typo_closest(names, "lss"), "ls", "lss is ls");
		is_str(rso_typo_closest(names, "relaese"), "release", "a swap in a long name");
		is_str(rso_typo_closest(names, "rejcet"), "reject", "the nearest of two near names");
		ok(rso_typo_closest(names, "frobnicate") == NULL, "no name near a far word");
		ok(rso_typo_closest(names, "xy") == NULL, "two edits is too many for a short name");
		ok(rso_typo_closest(names, "") == NULL, "an empty word is no typo");
		is_str(rso_typo_closest(names, "dd"), "add", "a letter short of add");
	}
	{
		static const char *const tie[] = { "due", "dub", NULL };
		is_str(rso_typo_closest(tie, "dum"), "due", "a tie goes to the first in table order");
	}
	return tap_done();
}
