/* rso-nightly: the nightly jobs of an RSO program, for cron. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_err.h"
#include "rso_job.h"
#include "rso_opt.h"
#include "rso_time.h"

/*
 * The steps, in order, each idempotent; see rso-nightly(8).  Each preview
 * only reads, for the dry run.
 */
static const struct rso_job_step steps[] = {
	{ "followups", "rso-collect due -q | rso-mail | rso-collect sent -q",
	    "mail record follow-ups to providers", "rso-collect due -q",
	    NULL, NULL, 1 },
	{ "inbox", "rso-collect inbox -q \"$RSO_INBOX\"",
	    "file the entries of $RSO_INBOX",
	    "find \"$RSO_INBOX\" -mindepth 1 -maxdepth 1 ! -name '.*'",
	    "RSO_INBOX", NULL, 1 },
	/*
	 * Every case past ready, not only the ready ones: where fees do not
	 * gate review a case may be assigned before the night comes.  Only
	 * the cases with events since the last night are looked at (--new),
	 * so a night's cost follows its work, not the store's history.
	 */
	{ "invoices", "rso-bill invoice -q --new",
	    "invoice those of these cases, changed since the last night, not "
	    "invoiced yet",
	    "rso-case list -q --status ready,assigned,in-review,delivered",
	    NULL, NULL, 1 },
	{ "review-reminders", "rso-assign due -q --within 2d | rso-mail | "
	    "rso-assign reminded -q",
	    "remind specialists of reviews due", "rso-assign due -q --within 2d",
	    NULL, NULL, 1 },
	/* The reminders policy (config.json "reminders") decides. */
	{ "unread-reminders", "rso-opinion due -q | rso-mail | "
	    "rso-opinion reminded -q",
	    "remind patients and referrers of unread opinions",
	    "rso-opinion due -q", NULL, NULL, 1 },
	/*
	 * Only the delivered and closed cases with events since the step
	 * last ran to this folder (--new), as for the invoices.
	 */
	{ "ehr-export", "rso-export -q --new --format hl7 "
	    "--to \"$RSO_EHR_INBOX\"",
	    "export to $RSO_EHR_INBOX those of these cases, changed since the "
	    "last night, not there yet",
	    "rso-case list -q --status delivered,closed", "RSO_EHR_INBOX",
	    NULL, 1 },
	/*
	 * Last, the chain's head witnessed outside the store: verified
	 * against the head kept last night ($RSO_WITNESS, else the log
	 * folder's "head": better on other media), then tonight's head kept
	 * there, in syslog and in a mail to staff, so that events cut from
	 * the chain's end are caught (rso(7)).  A failed check keeps the old
	 * head.
	 */
	{ "witness",
	    "f=${RSO_WITNESS:-$RSO_LOG/head}; was=();"
	    " if [ -s \"$f\" ]; then was=(--head \"$(cat \"$f\")\"); fi;"
	    " out=$(rso-case verify -q \"${was[@]}\") || exit;"
	    " head=$(sed -n 's/^verify: head //p' <<<\"$out\");"
	    " printf 'verify: head %s\\n' \"$head\";"
	    " printf '%s\\n' \"$head\" >\"$f.tmp\" && mv \"$f.tmp\" \"$f\" || exit;"
	    " logger -t rso-nightly \"chain head $head\" 2>/dev/null || true;"
	    " staff=$(jq -r '.mail.staff // empty' \"$RSO_HOME/config.json\""
	    " 2>/dev/null) || staff=;"
	    " if [ -n \"$staff\" ]; then jq -cn --arg to \"$staff\""
	    " --arg head \"$head\" --arg day \"$(date -u +%F)\""
	    " '{kind: \"chain-head\", to: $to, head: $head, day: $day}'"
	    " | rso-mail -q >/dev/null; fi",
	    "verify the event chain against last night's head, keep tonight's",
	    NULL, NULL, NULL, 0 },
};

static void
usage(FILE *fp, int full)
{
	fputs("usage: rso-nightly [-nq] [-H home] [--only step,...]\n", fp);
	if (!full)
		return;
	fputs("The nightly steps: follow-ups, inbox, invoices, reminders, EHR\n"
	    "export.  Quiet on success; see rso-nightly(8).\n"
	    "options:\n"
	    "  -n, --dry-run    say what each step would do; change nothing\n"
	    "      --only list  only these steps: followups, inbox, invoices,\n"
	    "                   review-reminders, unread-reminders, ehr-export,\n"
	    "                   witness\n"
	    "  -H, --home dir   the store (default $RSO_HOME)\n"
	    "  -q, --quiet      accepted; the job is quiet anyway\n"
	    "  -h, --help       this text\n"
	    "      --version    the version\n", fp);
}

#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

/* --only: the steps named in the comma list, or a usage error. */
static void
choose_steps(const char *list, int *chosen)
{
	char *copy = rso_xstrdup(list), *tok, *save = NULL, *msg;
	size_t i;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",",
	    &save)) {
		for (i = 0; i < NSTEPS && strcmp(steps[i].name, tok); i++)
			;
		if (i == NSTEPS) {
			msg = rso_xasprintf("--only: no step called %s", tok);
			rso_usage_error(usage, msg);
		}
		chosen[i] = 1;
	}
	free(copy);
}

int
main(int argc, char **argv)
{
	enum { OPT_ONLY = RSO_OPT_PRIVATE };
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "only", required_argument, NULL, OPT_ONLY },
		RSO_OPT_LONG, { 0 } };
	char day[RSO_TIME_STRLEN];
	int chosen[NSTEPS] = { 0 }, all = 1;
	int ch, dry = 0;

	rso_setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "n" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		if (ch == 'n')
			dry = 1;
		else if (ch == OPT_ONLY) {
			choose_steps(optarg, chosen);
			all = 0;
		} else
			rso_opt_common(ch, optarg, usage);
	if (optind != argc)
		rso_usage_error(usage, "no operands are taken");
	return rso_job_run("nightly", rso_date_format(rso_now(), day), NULL,
	    dry, steps, NSTEPS, all ? NULL : chosen);
}
