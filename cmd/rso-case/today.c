/* rso-case: today -- one list of what needs a person now. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_assign.h"
#include "rso_case.h"
#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_opinion.h"
#include "rso_opt.h"
#include "rso_records.h"
#include "rso_store.h"
#include "rso_time.h"
#include "verbs.h"

/* What can need a person, in the order the list gives them. */
static const struct kind {
	const char *what;
	const char *title;	/* a section of the text list */
} kinds[] = {
	{ "records-escalate", "record requests past their last follow-up" },
	{ "records-followup", "record follow-ups due" },
	{ "study-held", "studies held back" },
	{ "inbox-rejected", "inbox entries rejected" },
	{ "review-overdue", "reviews overdue" },
	{ "review-due", "reviews due soon" },
	{ "opinion-unread", "opinions delivered, not acknowledged" },
	{ "case-on-hold", "cases long on hold" },
	{ NULL, NULL }
};

struct today {
	struct rso_store *s;
	json_t *items;		/* every line, gathered to be sorted */
	rso_time_t now;
};

static int
kind_of(const char *what)
{
	int k;

	for (k = 0; kinds[k].what; k++)
		if (strcmp(kinds[k].what, what) == 0)
			return k;
	return k;
}

/*
 * One item: {"case","what","since"} and the members of line named in
 * keep (NULL-terminated), in that order.
 */
static void
item_add(struct today *t, const char *id, const char *what,
    const char *since, const json_t *line, const char *const *keep)
{
	json_t *it = json_pack("{s:s?, s:s, s:s}", "case", id, "what", what,
	    "since", since), *v;

	for (; keep && *keep; keep++)
		if ((v = json_object_get(line, *keep)) != NULL)
			json_object_set(it, *keep, v);
	json_array_append_new(t->items, it);
}

static int
followup_item(json_t *line, void *ctx)
{
	static const char *const keep[] = { "token", "provider", "attempt",
	    NULL };
	const char *kind = rso_json_str(line, "kind");

	item_add(ctx, rso_json_str(line, "case"), kind &&
	    strcmp(kind, "escalate") == 0 ? "records-escalate" :
	    "records-followup", rso_json_str(line, "last_contact"), line, keep);
	return 0;
}

static int
held_item(json_t *line, void *ctx)
{
	static const char *const keep[] = { "study", "items", "reason",
	    "first_item", NULL };

	item_add(ctx, rso_json_str(line, "case"), "study-held",
	    rso_json_str(line, "held_since"), line, keep);
	return 0;
}

static int
review_item(json_t *a, void *ctx)
{
	static const char *const keep[] = { "role", "specialist", "due",
	    "days_left", NULL };

	item_add(ctx, rso_json_str(a, "case"), rso_json_str(a, "kind"),
	    rso_json_str(a, "ready"), a, keep);
	return 0;
}

static int
unread_item(json_t *line, void *ctx)
{
	static const char *const keep[] = { "recipient", "days", NULL };

	item_add(ctx, rso_json_str(line, "case"), "opinion-unread",
	    rso_json_str(line, "delivered"), line, keep);
	return 0;
}

static int
hold_item(json_t *c, void *ctx)
{
	struct today *t = ctx;
	static const char *const keep[] = { "held_from", NULL };
	struct rso_error e;
	json_t *full = NULL;

	/* Where it was is a nicety: without it the item still stands. */
	rso_case_get(t->s, rso_json_str(c, "case"), &full, &e);
	item_add(t, rso_json_str(c, "case"), "case-on-hold",
	    rso_json_str(c, "status_at"), full, keep);
	json_decref(full);
	return 0;
}

/* ---- rejected inbox entries: the store does not know them ---- */

#define REASON_MAX 512

/*
 * The first line of a .reason file, read without following links or
 * blocking on what is not a regular file; control characters become '?'
 * (the folder is others': the text may not be ours).  Fills *mtime.
 */
static int
read_reason(int dfd, const char *name, char *buf, rso_time_t *mtime)
{
	struct stat st;
	ssize_t n;
	int fd, i;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (n = read(fd, buf, REASON_MAX - 1)) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	for (i = 0; buf[i]; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	*mtime = st.st_mtime;
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Each entry of DIR/.rejected that is still there, with the reason
 * rso-collect inbox wrote beside it (NAME.reason) and when.
 */
static void
inbox_items(struct today *t, const char *dir)
{
	char *path = rso_xasprintf("%s/.rejected", dir), **names = NULL;
	char reason[REASON_MAX], since[RSO_TIME_STRLEN], *entry;
	size_t n = 0, i, len;
	struct dirent *de;
	rso_time_t mtime;
	json_t *line;
	DIR *d;
	int dfd;

	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && errno != ENOENT)
		rso_die(EX_NOINPUT, "%s", path);
	if (dfd < 0 && access(dir, F_OK) != 0)
		rso_die(EX_NOINPUT, "%s", dir);
	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			close(dfd);
		free(path);
		return;		/* nothing ever rejected there */
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 7 ||
		    strcmp(de->d_name + len - 7, ".reason") != 0)
			continue;
		names = rso_xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = rso_xstrdup(de->d_name);
	}
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		entry = rso_xasprintf("%.*s", (int)(strlen(names[i]) - 7),
		    names[i]);
		if (faccessat(dfd, entry, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
		    read_reason(dfd, names[i], reason, &mtime) == 0) {
			/* Named as the sender chose: any bytes at all. */
			line = json_pack("{s:o, s:o, s:o}", "inbox",
			    rso_json_text(dir), "entry", rso_json_text(entry),
			    "reason", rso_json_text(reason));
			item_add(t, NULL, "inbox-rejected",
			    rso_time_format(mtime, since), line,
			    (const char *const[]){ "inbox", "entry", "reason",
			    NULL });
			json_decref(line);
		}
		free(entry);
		free(names[i]);
	}
	free(names);
	closedir(d);
	free(path);
}

/* ---- the list ---- */

static int
by_kind_since_case(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int d = kind_of(case_str(x, "what")) - kind_of(case_str(y, "what"));

	if (d == 0)
		d = strcmp(case_str(x, "since"), case_str(y, "since"));
	if (d == 0)
		d = strcmp(case_str(x, "case"), case_str(y, "case"));
	if (d == 0)
		d = strcmp(case_str(x, "entry"), case_str(y, "entry"));
	return d;
}

/* The items in their order: by kind, then oldest first, then case. */
static json_t **
sorted(json_t *items, size_t *n)
{
	json_t **v;
	size_t i;

	*n = json_array_size(items);
	v = rso_xcalloc(*n + 1, sizeof(*v));
	for (i = 0; i < *n; i++)
		v[i] = json_array_get(items, i);
	if (*n)
		qsort(v, *n, sizeof(*v), by_kind_since_case);
	return v;
}

/* What the text line says after the case and the time. */
static void
text_detail(const json_t *it, int k, char *buf, size_t size)
{
	char when[RSO_TIME_STRLEN];
	json_int_t left;

	switch (k) {
	case 0:
	case 1:
		snprintf(buf, size, "%s, attempt %lld, %s",
		    case_str(it, "provider"), (long long)json_integer_value(
		    json_object_get(it, "attempt")), case_str(it, "token"));
		break;
	case 2:
		snprintf(buf, size, "%lld item%s from item %s: %s",
		    (long long)json_integer_value(json_object_get(it, "items")),
		    json_integer_value(json_object_get(it, "items")) == 1 ?
		    "" : "s", case_str(it, "first_item"), case_str(it, "reason"));
		break;
	case 3:
		snprintf(buf, size, "%s/.rejected/%s: %s", case_str(it, "inbox"),
		    case_str(it, "entry"), case_str(it, "reason"));
		break;
	case 4:
	case 5:
		left = json_integer_value(json_object_get(it, "days_left"));
		snprintf(buf, size, "%s %s, due %.10s (%lld day%s %s)",
		    case_str(it, "role"), case_str(it, "specialist"),
		    case_local(case_str(it, "due"), when),
		    (long long)(left < 0 ? -left : left),
		    (left == 1 || left == -1) ? "" : "s",
		    left < 0 ? "late" : "left");
		break;
	case 6:
		snprintf(buf, size, "not acknowledged by the %s",
		    case_str(it, "recipient"));
		break;
	default:
		snprintf(buf, size, "on hold from %s",
		    case_str(it, "held_from"));
	}
}

/* A morning email: a header with the counts, then a section per kind. */
static int
print_text(json_t **v, size_t n, rso_time_t now)
{
	char when[RSO_TIME_STRLEN], detail[1024];
	size_t count[sizeof(kinds) / sizeof(kinds[0])] = { 0 }, i;
	rso_time_t since;
	int k, last = -1;

	for (i = 0; i < n; i++)
		count[kind_of(case_str(v[i], "what"))]++;
	printf("rso today, %s: %zu item%s need%s a person\n",
	    rso_time_format_local(now, when), n, n == 1 ? "" : "s",
	    n == 1 ? "s" : "");
	for (k = 0; kinds[k].what; k++)
		printf("  %4zu  %s\n", count[k], kinds[k].title);
	for (i = 0; i < n; i++) {
		k = kind_of(case_str(v[i], "what"));
		if (k != last)
			printf("\n%s (%zu)\n", kinds[k].title, count[k]);
		last = k;
		if (rso_time_parse(case_str(v[i], "since"), &since) != 0)
			since = now;
		text_detail(v[i], k, detail, sizeof(detail));
		printf("  %-16s since %s (%lldd)  %s\n",
		    json_is_string(json_object_get(v[i], "case")) ?
		    case_str(v[i], "case") : "-",
		    rso_time_format_local(since, when),
		    (long long)((now - since) / 86400), detail);
	}
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

static int
print_json(json_t **v, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		rc = rso_jsonl_write(stdout, v[i]);
	return rc;
}

/* A duration option, or a usage error naming it. */
static int64_t
duration(const char *opt, const char *arg)
{
	int64_t secs;
	char msg[128];

	if (rso_duration_parse(arg, &secs) != 0) {
		snprintf(msg, sizeof(msg), "%s: not a duration such as 2d", opt);
		rso_usage_error(case_usage, msg);
	}
	return secs;
}

struct today_opts {
	int64_t within, unread, hold, older;
	int older_set;
	char **inboxes;
	int ninboxes;
};

/* Every source in turn; the first failure stops the list. */
static int
gather(struct today *t, const struct today_opts *o, struct rso_error *e)
{
	struct rso_case_filter f = { 0 };
	char until[RSO_TIME_STRLEN];
	int64_t older = o->older;
	int rc = 0, i;

	if (!o->older_set && rso_duration_parse(rso_store_conf_str(t->s,
	    "followup.interval", "3d"), &older) != 0)
		return rso_error_set(e, EX_CONFIG, "config.json: "
		    "followup.interval: not a duration such as 3d");
	f.status_mask = 1u << RSO_ST_ON_HOLD;
	f.until = rso_time_format(t->now - o->hold, until);
	if (rc == 0)
		rc = rso_requests_due(t->s, older, followup_item, t, e);
	if (rc == 0)
		rc = rso_records_held(t->s, held_item, t, e);
	for (i = 0; rc == 0 && i < o->ninboxes; i++)
		inbox_items(t, o->inboxes[i]);
	if (rc == 0)
		rc = rso_assign_due(t->s, o->within, review_item, t, e);
	if (rc == 0)
		rc = rso_opinion_unacked(t->s, o->unread, unread_item, t, e);
	if (rc == 0)
		rc = rso_case_list(t->s, &f, hold_item, t, e);
	return rc;
}

int
case_today(int argc, char **argv)
{
	enum { OPT_WITHIN = RSO_OPT_PRIVATE, OPT_UNREAD, OPT_HOLD, OPT_OLDER,
	    OPT_INBOX };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "hold", required_argument, NULL, OPT_HOLD },
		{ "inbox", required_argument, NULL, OPT_INBOX },
		{ "older", required_argument, NULL, OPT_OLDER },
		{ "unread", required_argument, NULL, OPT_UNREAD },
		{ "within", required_argument, NULL, OPT_WITHIN },
		RSO_OPT_LONG, { 0 } };
	struct today_opts o = { 2 * 86400, 3 * 86400, 14 * 86400, 0, 0,
	    NULL, 0 };
	struct today t = { 0 };
	enum format fmt = FMT_JSON;
	struct rso_error e;
	json_t **v;
	size_t n;
	int ch, rc;

	o.inboxes = rso_xcalloc((size_t)argc + 1, sizeof(*o.inboxes));
	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, "f:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'f': fmt = case_json_or_text(optarg); break;
		case OPT_HOLD: o.hold = duration("--hold", optarg); break;
		case OPT_INBOX: o.inboxes[o.ninboxes++] = optarg; break;
		case OPT_OLDER:
			o.older = duration("--older", optarg);
			o.older_set = 1;
			break;
		case OPT_UNREAD: o.unread = duration("--unread", optarg); break;
		case OPT_WITHIN: o.within = duration("--within", optarg); break;
		default: rso_opt_common(ch, optarg, case_usage);
		}
	if (optind != argc)
		rso_usage_error(case_usage, "today: takes no operands");
	t.s = rso_store_xopen();
	t.items = json_array();
	t.now = rso_now();
	if ((rc = gather(&t, &o, &e)) != 0) {
		rso_warnx("%s", e.msg);
	} else {
		v = sorted(t.items, &n);
		rc = fmt == FMT_TEXT ? print_text(v, n, t.now) : print_json(v, n);
		free(v);
	}
	json_decref(t.items);
	rso_store_close(t.s);
	free(o.inboxes);
	return rc;
}
