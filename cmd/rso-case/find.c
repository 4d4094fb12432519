/* rso-case: search -- finding a patient's case. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_opt.h"
#include "rso_search.h"
#include "rso_store.h"
#include "rso_time.h"
#include "verbs.h"

enum format
case_json_or_text(const char *arg)
{
	enum format f = case_parse_format(arg);

	if (f == FMT_CSV)
		rso_usage_error(case_usage, "--format: not one of json, text");
	return f;
}

/* ---- search ---- */

#define SEARCH_LIMIT 50

static int
search_line(json_t *hit, void *ctx)
{
	enum format *fmt = ctx;
	const json_t *m = json_object_get(hit, "match");
	const json_t *v;
	size_t i;

	if (*fmt == FMT_JSON)
		return rso_jsonl_write(stdout, hit);
	printf("%-16s %-16s %-10s %s (", case_str(hit, "case"),
	    case_str(hit, "status"), case_str(hit, "birth_date"),
	    case_str(hit, "name"));
	json_array_foreach(m, i, v)
		printf("%s%s", i ? ", " : "", json_string_value(v));
	printf(") %s\n", case_str(hit, "ref"));
	return 0;
}

/* A number of results: 1 to 1000. */
static int
parse_limit(const char *arg)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || n < 1 || n > 1000)
		rso_usage_error(case_usage, "--limit: not a number from 1 to "
		    "1000");
	return (int)n;
}

int
case_search(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'n' },
		RSO_OPT_LONG, { 0 } };
	enum format fmt = FMT_JSON;
	struct rso_search *q;
	struct rso_store *s;
	struct rso_error e;
	int ch, rc, n, more, limit = SEARCH_LIMIT;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, "f:n:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'f': fmt = case_json_or_text(optarg); break;
		case 'n': limit = parse_limit(optarg); break;
		default: rso_opt_common(ch, optarg, case_usage);
		}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		rso_usage_error(case_usage, "search: no term");
	/* Terms are patient data: checked before the store, named by place. */
	if (rso_search_parse(argc, argv, &q, &e) != 0) {
		rso_warnx("search: %s", e.msg);
		case_usage(stderr, 0);
		return e.status;
	}
	s = rso_store_xopen();
	rc = rso_search_run(s, q, limit, &n, &more, search_line, &fmt, &e);
	rso_store_close(s);
	rso_search_free(q);
	if (rc != 0) {
		if (rc != EX_IOERR)
			rso_warnx("%s", e.msg);
		return rc;
	}
	if (more)
		rso_warnx("search: more than %d cases match; add a term or "
		    "raise --limit", limit);
	/* As grep: 1 when nothing matched, a yes/no answer for scripts. */
	return n > 0 ? 0 : 1;
}

