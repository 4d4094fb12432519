/* rso-monthly: the month-end jobs of an RSO program, for cron. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_err.h"
#include "rso_job.h"
#include "rso_opt.h"
#include "rso_report.h"
#include "rso_store.h"
#include "rso_time.h"

/* The files the month's steps write into the reports folder. */
static char ledger_csv[64], report_html[64], audit_csv[64];

/*
 * The steps, in order, each idempotent (payouts are posted and paid once,
 * files rewritten whole); the month is $RSO_MONTH, the 1st of the next
 * $RSO_NEXT.  See rso-monthly(8).
 */
static const struct rso_job_step steps[] = {
	{ "payouts", "rso-bill payout -q --month \"$RSO_MONTH\" && "
	    "rso-bill payout -q --month \"$RSO_MONTH\" --paid",
	    "post and pay the month's specialist payouts", NULL, NULL, NULL },
	{ "check", "rso-bill check -q", "prove the books", NULL, NULL, NULL },
	{ "ledger", "rso-bill ledger -q -f csv --since \"$RSO_MONTH-01\" "
	    "--until \"$RSO_NEXT\"", "write the month's ledger", NULL, NULL,
	    ledger_csv },
	{ "report", "rso-report monthly -q --month \"$RSO_MONTH\" -f html",
	    "write the monthly report", NULL, NULL, report_html },
	{ "audit", "rso-report audit -q --month \"$RSO_MONTH\" -f csv",
	    "write the financial audit", NULL, NULL, audit_csv },
};

static void
usage(FILE *fp, int full)
{
	fputs("usage: rso-monthly [-nq] [-H home] [--month yyyy-mm]\n", fp);
	if (!full)
		return;
	fputs("The month-end: payouts, the books proved, the ledger, the\n"
	    "monthly report and the audit.  Quiet on success; see\n"
	    "rso-monthly(8).\n"
	    "options:\n"
	    "      --month m    the month (default: the last complete one)\n"
	    "  -n, --dry-run    say what each step would do; change nothing\n"
	    "  -H, --home dir   the store (default $RSO_HOME)\n"
	    "  -q, --quiet      accepted; the job is quiet anyway\n"
	    "  -h, --help       this text\n"
	    "      --version    the version\n", fp);
}

/*
 * The month to close: --month when given, which must have ended, else the
 * last complete month (on the 31st, the one before the current month).
 */
static void
choose_month(const char *month, struct rso_period *p)
{
	char now[RSO_TIME_STRLEN];
	struct rso_period this;
	rso_time_t until;

	rso_time_format(rso_now(), now);
	if (month == NULL) {
		now[7] = '\0';
		rso_period_month(now, &this);
		rso_period_shift(&this, -1, p);
		return;
	}
	if (strlen(month) != 7 || rso_period_month(month, p) != 0)
		rso_usage_error(usage, "--month: not a month such as 2026-10");
	if (rso_time_parse(p->until, &until) != 0 || until > rso_now())
		rso_usage_error(usage, "--month: that month has not ended");
}

int
main(int argc, char **argv)
{
	enum { OPT_MONTH = RSO_OPT_PRIVATE };
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "month", required_argument, NULL, OPT_MONTH },
		RSO_OPT_LONG, { 0 } };
	const char *month = NULL, *reports;
	char *home, *dir;
	struct rso_period p;
	int ch, dry = 0, rc;

	rso_setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "n" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		if (ch == 'n')
			dry = 1;
		else if (ch == OPT_MONTH)
			month = optarg;
		else
			rso_opt_common(ch, optarg, usage);
	if (optind != argc)
		rso_usage_error(usage, "no operands are taken");
	choose_month(month, &p);
	/* The month and the 1st of the next, for the steps' command lines. */
	p.since[7] = '\0';
	p.until[10] = '\0';
	setenv("RSO_MONTH", p.since, 1);
	setenv("RSO_NEXT", p.until, 1);
	snprintf(ledger_csv, sizeof(ledger_csv), "ledger-%s.csv", p.since);
	snprintf(report_html, sizeof(report_html), "report-%s.html", p.since);
	snprintf(audit_csv, sizeof(audit_csv), "audit-%s.csv", p.since);
	home = rso_store_home(rso_opt_home());
	reports = getenv("RSO_REPORTS");
	dir = reports && *reports ? rso_xstrdup(reports) :
	    rso_xasprintf("%s/reports", home);
	free(home);
	rc = rso_job_run("monthly", p.since, dir, dry, steps,
	    sizeof(steps) / sizeof(steps[0]), NULL);
	free(dir);
	return rc;
}
