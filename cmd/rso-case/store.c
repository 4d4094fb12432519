/* rso-case: init, verify -- the store itself. */
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
