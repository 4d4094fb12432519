/* rso_job: a cron job made of steps, quiet, logged, locked and summed up. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_JOB_H
#define RSO_JOB_H

#include <stddef.h>

/*
 * A job (rso-nightly, rso-monthly) runs steps, each a shell pipeline of
 * rso programs, one after the other, under one lock per job.  For each
 * step it keeps:
 *   LOG/PERIOD-STEP.jsonl      what the step wrote on stdout (unless the
 *                              step writes a file, see out below);
 *   LOG/PERIOD-messages.jsonl  every stderr line of every step, one JSON
 *                              line each: at, job, step, case (when the
 *                              message names one), exit, message;
 *   LOG/PERIOD-summary.jsonl   one line per run: each step's exit, lines
 *                              done and messages needing a person.
 * A step's exit status decides what its messages are:
 *   0        done;
 *   65       in a step that works line by line (by_line): done, but some
 *            input lines could not be used: each message is an item that
 *            needs a person, sent to staff in one digest (or, without
 *            mail.staff, on stderr), once a period per item;
 *   75       busy: the store was locked, the next run does it;
 *   other    failed: each message goes to stderr as
 *            "PROG: STEP: MESSAGE (exit N)", so cron mails it.
 * LOG is $RSO_LOG, else HOME/log (mode 0700).  Files in it whose names
 * begin with a date (YYYY-MM-DD or YYYY-MM) older than log.keep_days of
 * config.json (default 90) are removed when a job starts.
 */
struct rso_job;

struct rso_job_step {
	const char *name;	/* in file names, messages and the summary */
	const char *run;	/* the pipeline, for bash -o pipefail -c */
	const char *what;	/* dry run: what it would do, "mail follow-ups" */
	/*
	 * Dry run: a read-only command whose output lines are the things
	 * the step would work on (counted and shown), or NULL.
	 */
	const char *preview;
	/* An environment variable the step needs; unset: step skipped. */
	const char *needs;
	/*
	 * A file (below the job's folder for files) that stdout becomes,
	 * written aside and renamed when the step succeeds; NULL: the log.
	 */
	const char *out;
	/*
	 * Whether the step works line by line, so that 65 means "these
	 * lines need a person" rather than a failure (rso-bill check's 65,
	 * books that do not balance, is a failure).
	 */
	int by_line;
};

/*
 * Start the job called name (rso-nightly's "nightly") for period (the
 * day YYYY-MM-DD or the month YYYY-MM it works on).  home is the store;
 * outdir the folder where steps' out files go (NULL: none).  dry: say
 * what each step would do on stdout, change nothing (no lock, no log).
 * Puts the job's own folder first on PATH, so that its sibling programs
 * are found under cron's PATH.  Returns 0, EX_TEMPFAIL ("another run is
 * going", said on stderr), or a store, log-folder or config status (said
 * on stderr).
 */
int rso_job_open(const char *name, const char *home, const char *period,
    const char *outdir, int dry, struct rso_job **out);

/* Run one step (or, dry, describe it); its outcome goes into the job. */
void rso_job_step(struct rso_job *j, const struct rso_job_step *step);

/*
 * Finish: mail the staff digest of what needs a person (with rso-mail,
 * kind "staff-digest", to mail.staff), append the summary to the log,
 * release the lock, free j.  Returns the job's exit status: 0 when every
 * step was done (65 included), else the first failing step's status, else
 * EX_TEMPFAIL when a step found the store busy.  A by_line step's 65 is
 * not a failure.
 */
int rso_job_close(struct rso_job *j);

/*
 * A job's whole run, for a program's main() once its options are read:
 * open the job on the store that -H or the environment names, run each
 * of the n steps (only those with chosen[i] set, unless chosen is NULL),
 * close it and flush stdout.  Returns the exit status.
 */
int rso_job_run(const char *name, const char *period, const char *outdir,
    int dry, const struct rso_job_step *steps, size_t n, const int *chosen);

#endif
