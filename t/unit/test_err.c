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
	return tap_done();
}
