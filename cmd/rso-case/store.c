/* rso-case: init, verify, marks -- the store itself. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_age.h"
#include "rso_casearc.h"
#include "rso_err.h"
#include "rso_event.h"
#include "rso_jsonl.h"
#include "rso_mark.h"
#include "rso_opt.h"
#include "rso_search.h"
#include "rso_store.h"
#include "verbs.h"

int
case_common_only(int *argc, char ***argv)
{
	static const struct option longopts[] = { RSO_OPT_LONG, { 0 } };
	int ch;

	rso_opt_reset();
	while ((ch = getopt_long(*argc, *argv, RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		rso_opt_common(ch, optarg, case_usage);
	*argc -= optind;
	*argv += optind;
	return *argc;
}

/* Whether the recipients file at path already lists r (one per line). */
static int
listed(const char *path, const char *r)
{
	char line[256];
	FILE *fp = fopen(path, "r");
	int found = 0;

	if (fp == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		found = strcmp(line, r) == 0;
	}
	fclose(fp);
	return found;
}

/*
 * Add recipients to $RSO_HOME/recipients, each checked first and listed
 * once; the file is rewritten whole (temp file, fsync, rename) so a reader
 * never sees half of it.
 */
static int
register_recipients(const char *home, char **rs, int n, struct rso_error *e)
{
	char *path = rso_xasprintf("%s/recipients", home);
	char *tmp = rso_xasprintf("%s/.recipients.tmp", home);
	struct rso_age_recipients *check = rso_age_recipients_new();
	FILE *in, *out = NULL;
	char buf[4096];
	size_t len;
	int i, fd, rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		rc = rso_age_recipients_add(check, rs[i], e);
	rso_age_recipients_free(check);
	if (rc != 0)
		goto done;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    (out = fdopen(fd, "w")) == NULL) {
		rc = rso_error_set(e, EX_CANTCREAT, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	if ((in = fopen(path, "r")) != NULL) {
		while ((len = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, len, out);
		fclose(in);
	} else
		fputs("# rso: case archives are encrypted to these age recipients\n",
		    out);
	for (i = 0; i < n; i++)
		if (!listed(path, rs[i]))
			fprintf(out, "%s\n", rs[i]);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0 || fclose(out) != 0) {
		out = NULL;
		rc = rso_error_set(e, EX_IOERR, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	out = NULL;
	if (rename(tmp, path) != 0)
		rc = rso_error_set(e, EX_IOERR, "%s: %s", path, strerror(errno));
done:
	if (out)
		fclose(out);
	if (rc != 0)
		unlink(tmp);
	free(path);
	free(tmp);
	return rc;
}

int
case_init(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "recipient", required_argument, NULL, 'r' },
		{ "recipients-file", required_argument, NULL, 'R' },
		RSO_OPT_LONG, { 0 } };
	struct rso_age_recipients *fromfile;
	char **rs = rso_xcalloc((size_t)argc + 1, sizeof(*rs)), line[256];
	struct rso_error e;
	char *home;
	FILE *fp;
	int ch, n = 0, rc;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, "r:R:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'r': rs[n++] = optarg; break;
		case 'R':
			/* Checked as a whole first: a bad file adds nothing. */
			fromfile = rso_age_recipients_new();
			rc = rso_age_recipients_load(fromfile, optarg, &e);
			rso_age_recipients_free(fromfile);
			if (rc != 0)
				rso_diex(rc, "%s", e.msg);
			if ((fp = fopen(optarg, "r")) == NULL)
				rso_die(EX_NOINPUT, "%s", optarg);
			while (fgets(line, sizeof(line), fp) != NULL) {
				line[strcspn(line, "\r\n")] = '\0';
				if (line[0] == '\0' || line[0] == '#')
					continue;
				rs = rso_xrealloc(rs, (size_t)(n + argc + 2) *
				    sizeof(*rs));
				rs[n++] = rso_xstrdup(line);
			}
			fclose(fp);
			break;
		default: rso_opt_common(ch, optarg, case_usage);
		}
	if (optind != argc) {
		case_usage(stderr, 0);
		return EX_USAGE;
	}
	home = rso_store_home(rso_opt_home());
	if (rso_store_init(home, &e) != 0)
		rso_diex(e.status, "%s", e.msg);
	if (n > 0 && register_recipients(home, rs, n, &e) != 0)
		rso_diex(e.status, "%s", e.msg);
	rso_note("store ready: %s", home);
	free(home);
	free(rs);
	return 0;
}

/* The head line, what the nightly job logs and mails and --head reads. */
static void
print_head(const struct rso_head *h)
{
	printf("verify: head %lld:%s\n", h->seq, h->hash);
}

int
case_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "head", required_argument, NULL, 'W' },
		RSO_OPT_LONG, { 0 } };
	struct rso_head witness, *w = NULL;
	struct rso_verify v;
	struct rso_store *s;
	struct rso_error e;
	size_t segs, orphans, unrecorded;
	long long keyed;
	int ch, rc;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		if (ch == 'W') {
			if (rso_head_parse(optarg, &witness) != 0)
				rso_diex(EX_USAGE, "--head: not SEQ:HASH (a "
				    "\"verify: head\" line's)");
			w = &witness;
		} else
			rso_opt_common(ch, optarg, case_usage);
	if (optind != argc) {
		case_usage(stderr, 0);
		return EX_USAGE;
	}
	s = rso_store_xopen_ro();
	if ((rc = rso_event_verify(s, w, &v, &e)) == 0)
		printf("verify: %lld events, %lld cases, chain intact%s\n",
		    v.events, v.cases, w ? ", witnessed head there" : "");
	/* Then the archives, by name, size and SHA-256: no key is needed. */
	if (rc == 0 && (rc = rso_casearc_check_all(s, &segs, &orphans,
	    &unrecorded, &e)) == 0) {
		printf("verify: %zu segments, every record and opinion in one",
		    segs);
		if (orphans > 0)
			printf("; %zu hold nothing the store names (rso-case "
			    "compact drops them)", orphans);
		if (unrecorded > 0)
			printf("; %zu written before sizes and hashes were "
			    "recorded, not checked (rso-case compact records "
			    "them)", unrecorded);
		putchar('\n');
		print_head(&v.head);
	}
	/* Last, so that the lines before keep their places for scripts. */
	if (rc == 0 && (rc = rso_search_verify(s, &keyed, &e)) == 0)
		printf("verify: %lld cases, search keys follow from their "
		    "requests\n", keyed);
	rso_store_close(s);
	if (rc != 0)
		rso_warnx("%s", e.msg);
	return rc;
}

/* One step's mark: a JSON line, or for a person how far behind it is. */
static int
mark_line(const char *step, long long mark, long long last, void *ctx)
{
	const enum format *fmt = ctx;
	json_t *o;
	int rc;

	if (*fmt == FMT_TEXT) {
		if (mark > last)
			printf("%s: event %lld, past the last event (%lld)\n",
			    step, mark, last);
		else
			printf("%s: event %lld, %lld since\n", step, mark,
			    last - mark);
		return 0;
	}
	/* An export folder's path was taken as it was before rso-export
	 * refused one that is not UTF-8. */
	o = json_pack("{s:o, s:I, s:I}", "step", rso_json_text(step), "mark",
	    (json_int_t)mark, "last", (json_int_t)last);
	rc = rso_jsonl_write(stdout, o);
	json_decref(o);
	return rc;
}

/*
 * Forget step's mark in one transaction with the event that says so:
 * the step's next run looks at every case again.
 */
static int
forget_mark(struct rso_store *s, const char *step, struct rso_error *e)
{
	long long was = 0;
	json_t *data;
	int rc;

	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	if ((rc = rso_mark_forget(s, step, &was, e)) == 0) {
		data = json_pack("{s:o, s:I}", "step", rso_json_text(step),
		    "mark", (json_int_t)was);
		rc = rso_event_append(s, NULL, "step.forgotten", data, NULL,
		    e);
		json_decref(data);
	}
	if (rc == 0)
		rc = rso_store_commit(s, e);
	if (rc != 0) {
		rso_store_rollback(s);
		return rc;
	}
	rso_note("marks: %s: forgotten (it was event %lld); its next run "
	    "looks at every case", step, was);
	return 0;
}

/*
 * The nightly steps' marks (rso_mark.h), and the repair of one: forget
 * it.  Each --forget is its own transaction; one that names no step is
 * said and the others still go.
 */
int
case_marks(int argc, char **argv)
{
	enum { OPT_FORGET = RSO_OPT_PRIVATE };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "forget", required_argument, NULL, OPT_FORGET },
		RSO_OPT_LONG, { 0 } };
	enum format fmt = FMT_JSON;
	const char **forget = rso_xcalloc((size_t)argc, sizeof(*forget));
	struct rso_store *s;
	struct rso_error e;
	int ch, i, n = 0, rc = 0, frc;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, "f:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		if (ch == 'f')
			fmt = case_json_or_text(optarg);
		else if (ch == OPT_FORGET)
			forget[n++] = optarg;
		else
			rso_opt_common(ch, optarg, case_usage);
	if (optind != argc) {
		free(forget);
		case_usage(stderr, 0);
		return EX_USAGE;
	}
	if (n == 0) {
		s = rso_store_xopen_ro();
		rc = rso_mark_each(s, mark_line, &fmt, &e);
	} else {
		s = rso_store_xopen();
		for (i = 0; i < n; i++)
			if ((frc = forget_mark(s, forget[i], &e)) != 0) {
				rso_warnx("%s", e.msg);
				rso_status_set(&rc, frc);
			}
	}
	rso_store_close(s);
	free(forget);
	if (n == 0 && rc != 0 && rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	return rc;
}
