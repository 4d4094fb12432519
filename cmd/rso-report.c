/* rso-report: program and audit reports from the events and the ledger. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_err.h"
#include "rso_opt.h"
#include "rso_progress.h"
#include "rso_render.h"
#include "rso_report.h"
#include "rso_store.h"
#include "rso_time.h"

static void
usage(FILE *fp, int full)
{
	fputs("usage: rso-report [-q] [-H home] report [--month yyyy-mm | --since t"
	    " [--until t]]\n"
	    "                  [-f json|csv|text|html]\n", fp);
	if (!full) {
		fputs("       rso-report --help for the reports\n", fp);
		return;
	}
	fputs("reports:\n"
	    "  monthly      the one-page program report, with the previous month\n"
	    "               and the same month last year\n"
	    "  turnaround   ready to delivered by specialty; the SLA breaches\n"
	    "  funnel       requested, consented, ready, paid, assigned,\n"
	    "               delivered, read: each step within the one before\n"
	    "  attrition    cancellations by reason and stage\n"
	    "  outcomes     confirmed, diagnosis or treatment changed, more tests\n"
	    "  nps          survey scores and comments\n"
	    "  access       who read or changed clinical content\n"
	    "  reach        countries, regions and referral sources\n"
	    "  specialists  per specialist: cases, review time, SLA, payouts\n"
	    "  roi          fees collected, downstream care and its revenue,\n"
	    "               costs (config \"costs\"), net and return ratio\n"
	    "  maturity     each dimension's figure and level: pilot,\n"
	    "               intermediate or established (config \"maturity\")\n"
	    "  audit        every invoice, payment, refund, claim and payout, tied\n"
	    "               to the ledger (exit 65 when they do not tie)\n"
	    "Without a period, the last full month.  See rso-report(1).\n"
	    "options:\n"
	    "  -H, --home dir   the store (default $RSO_HOME)\n"
	    "  -q, --quiet      no notes on stderr\n"
	    "  -h, --help       this text\n"
	    "      --version    the version\n", fp);
}

static int
render(const char *format, const json_t *r)
{
	if (strcmp(format, "json") == 0)
		return rso_render_json(stdout, r);
	if (strcmp(format, "csv") == 0)
		return rso_render_csv(stdout, r);
	if (strcmp(format, "text") == 0)
		return rso_render_text(stdout, r);
	return rso_render_html(stdout, r);
}

/* The last full month before now. */
static void
last_month(struct rso_period *p)
{
	char now[RSO_TIME_STRLEN];
	struct rso_period this;

	rso_time_format(rso_now(), now);
	now[7] = '\0';
	rso_period_month(now, &this);
	rso_period_shift(&this, -1, p);
}

static void
tick(void *bar)
{
	rso_progress_add(bar, 0);
}

static int
run(const char *name, rso_report_fn *fn, const char *format,
    const struct rso_period *p)
{
	struct rso_store *s = rso_store_xopen_ro();
	struct rso_progress *bar = rso_progress_busy(name);
	struct rso_error e;
	json_t *r;
	int rc;

	/* The queries are the long part: a line that says they are going. */
	if (bar != NULL)
		rso_store_on_work(s, tick, bar);
	r = fn(s, p, &e);
	rso_store_on_work(s, NULL, NULL);
	rso_progress_done(bar);
	if (r == NULL) {
		rso_warnx("%s", e.msg);
		rso_store_close(s);
		return e.status;
	}
	rc = render(format, r);
	/* An audit whose totals do not tie is a failure, after the report. */
	if (rc == 0 && json_is_false(json_object_get(r, "ties"))) {
		rso_warnx("audit: the documents do not tie to the ledger");
		rc = EX_DATAERR;
	}
	json_decref(r);
	rso_store_close(s);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { O_MONTH = RSO_OPT_PRIVATE, O_SINCE, O_UNTIL };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "month", required_argument, NULL, O_MONTH },
		{ "since", required_argument, NULL, O_SINCE },
		{ "until", required_argument, NULL, O_UNTIL },
		RSO_OPT_LONG, { 0 } };
	const char *format = "json", *month = NULL, *since = NULL, *until = NULL;
	struct rso_period p;
	rso_report_fn *fn;
	int ch;

	rso_setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "f:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "csv") &&
			    strcmp(optarg, "text") && strcmp(optarg, "html"))
				rso_usage_error(usage, "--format: not one of json, csv, text, html");
			format = optarg;
			break;
		case O_MONTH: month = optarg; break;
		case O_SINCE: since = optarg; break;
		case O_UNTIL: until = optarg; break;
		default: rso_opt_common(ch, optarg, usage);
		}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		rso_usage_error(usage, argc ? "one report at a time" : "which report?");
	if ((fn = rso_report_find(argv[0])) == NULL)
		rso_unknown_name("report", argv[0], rso_report_names(), usage);
	if (month && (since || until))
		rso_usage_error(usage, "--month: not with --since or --until");
	if (until && !since)
		rso_usage_error(usage, "--until: needs --since");
	if (month && rso_period_month(month, &p) != 0)
		rso_usage_error(usage, "--month: not a month such as 2026-10");
	if (since && rso_period_range(since, until, &p) != 0)
		rso_usage_error(usage, "--since/--until: not a date or RFC 3339 time");
	if (!month && !since)
		last_month(&p);
	return rso_flush_stdout(run(argv[0], fn, format, &p));
}
