/* rso-collect: held, release, reject -- studies that did not match. */
/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "rso_case.h"
#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_opt.h"
#include "rso_records.h"
#include "rso_store.h"
#include "verbs.h"

static int
held_line(json_t *line, void *ctx)
{
	(void)ctx;
	return rso_jsonl_write(stdout, line);
}

int
collect_held(int argc, char **argv)
{
	struct rso_store *s;
	struct rso_error e;
	int rc;

	collect_getopt(&argc, &argv, "", (const struct option[]){ RSO_OPT_LONG,
	    { 0 } }, NULL);
	if (argc != 0) {
		collect_usage(stderr, 0);
		return EX_USAGE;
	}
	s = rso_store_xopen();
	rc = rso_records_held(s, held_line, NULL, &e);
	if (rc != 0 && rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	rso_store_close(s);
	return rc;
}

static int
decide(int argc, char **argv, int release)
{
	struct rso_store *s;
	struct rso_error e;
	int rc, n;

	collect_getopt(&argc, &argv, "", (const struct option[]){ RSO_OPT_LONG,
	    { 0 } }, NULL);
	if (argc != 2) {
		collect_usage(stderr, 0);
		return EX_USAGE;
	}
	if (!rso_case_id_valid(argv[0]))
		rso_diex(EX_USAGE, "argument 1: not a case id");
	s = rso_store_xopen();
	rc = rso_records_decide(s, argv[0], argv[1], release, &n, &e);
	if (rc != 0)
		rso_warnx("%s", e.msg);
	else
		rc = collect_emit(json_pack("{s:s, s:s, s:i}", "case",
		    argv[0], release ? "released" : "rejected", argv[1],
		    "items", n));
	rso_store_close(s);
	return rc;
}

int
collect_release(int argc, char **argv)
{
	return decide(argc, argv, 1);
}

int
collect_reject(int argc, char **argv)
{
	return decide(argc, argv, 0);
}
