/* rso-case compact: merge a case's archive segments into bounded ones. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include "rso_arc.h"
#include "rso_case.h"
#include "rso_casearc.h"
#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_opt.h"
#include "rso_progress.h"
#include "verbs.h"

struct compact {
	struct rso_store *s;
	struct rso_age_recipients *r;
	struct rso_age_identities *ids;
	struct rso_progress *bar;
	long long max;		/* archive.compact_max_bytes */
};

/* The case's line: what was merged (several bounded segments: "segments"
 * too), what was dropped, or that nothing changed. */
static json_t *
compact_line(const char *id, char **merged, size_t dropped)
{
	json_t *out, *all = json_array();
	size_t n;

	for (n = 0; merged != NULL && merged[n] != NULL; n++)
		json_array_append_new(all, json_string(merged[n]));
	/* "segment" as when there was one merged segment: the newest. */
	out = json_pack("{s:s, s:s?}", "case", id, "segment",
	    n > 0 ? merged[n - 1] : NULL);
	if (n > 1)
		json_object_set_new(out, "segments", all);
	else
		json_decref(all);
	if (dropped > 0)
		json_object_set_new(out, "dropped", json_integer(dropped));
	if (n == 0 && dropped == 0)
		json_object_set_new(out, "unchanged", json_true());
	return out;
}

/*
 * One case, under its archive lock so no segment is added meanwhile: the
 * segments that hold nothing the store names (a run killed before the
 * store took them) go first, then the rest are merged.  The records index
 * keeps naming the old segments: readers find an entry in the merged one
 * that covers them (rso_casearc_open_entry).
 */
static int
compact_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct compact *c = ctx;
	struct rso_state st;
	struct rso_error e;
	char **merged = NULL, **orphans = NULL;
	size_t segs, dropped = 0;
	json_t *out;
	int lock, rc;

	(void)line;
	if ((rc = rso_case_state(c->s, id, &st, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	if ((lock = rso_casearc_lock(c->s, id, &e)) < 0) {
		rso_warnx("%s: %s", id, e.msg);
		return e.status;
	}
	if ((rc = rso_casearc_check(c->s, id, &segs, &orphans, NULL, &e)) == 0 &&
	    (rc = rso_casearc_drop(c->s, id, orphans, &dropped, &e)) == 0)
		rc = rso_casearc_compact(c->s, id, c->r, c->ids, c->max,
		    &merged, &e);
	rso_casearc_unlock(lock);
	rso_seg_list_free(orphans);
	rso_progress_add(c->bar, 1);
	/* A case that never had records has no archive: nothing to merge. */
	if (rc == EX_NOINPUT)
		rc = 0;
	else if (rc != 0) {
		rso_warnx("%s: %s", id, e.msg);
		rso_seg_list_free(merged);
		return rc;
	}
	out = compact_line(id, merged, dropped);
	rc = rso_jsonl_write(stdout, out);
	json_decref(out);
	rso_seg_list_free(merged);
	return rc;
}

int
case_compact(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "identity", required_argument, NULL, 'i' },
		RSO_OPT_LONG, { 0 } };
	const char *identity = NULL;
	struct compact c = { 0 };
	struct rso_error e;
	int ch, rc;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, "i:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		if (ch == 'i')
			identity = optarg;
		else
			rso_opt_common(ch, optarg, case_usage);
	argc -= optind;
	argv += optind;
	if ((rc = rso_casearc_identities(identity, &c.ids, &e)) != 0) {
		rso_warnx("%s", e.msg);
		return rc;
	}
	c.s = rso_store_xopen();
	if ((rc = rso_casearc_compact_max(c.s, &c.max, &e)) != 0 ||
	    (rc = rso_casearc_recipients(c.s, &c.r, &e)) != 0) {
		rso_warnx("%s", e.msg);
	} else {
		c.bar = rso_progress_start("compact", (uint64_t)argc);
		rc = rso_case_each_input(argc, argv, compact_one, &c);
		rso_progress_done(c.bar);
	}
	rso_age_recipients_free(c.r);
	rso_age_identities_free(c.ids);
	rso_store_close(c.s);
	return rc;
}
