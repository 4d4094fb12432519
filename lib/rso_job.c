/* rso_job: a cron job made of steps, quiet, logged, locked and summed up. */
/* SPDX-License-Identifier: ISC */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_err.h"
#include "rso_job.h"
#include "rso_jsonl.h"
#include "rso_opt.h"
#include "rso_store.h"
#include "rso_time.h"

struct rso_job {
	char *name, *period, *log, *outdir, *prefix, *staff;
	int dry, lockfd, status, busy;
	json_t *steps;		/* the summary: name -> outcome */
	json_t *items;		/* what needs a person: {step, case, message} */
};

static void
job_free(struct rso_job *j)
{
	if (j->lockfd >= 0)
		close(j->lockfd);
	json_decref(j->steps);
	json_decref(j->items);
	free(j->name);
	free(j->period);
	free(j->log);
	free(j->outdir);
	free(j->prefix);
	free(j->staff);
	free(j);
}

/* ---- opening: the lock, the log folder, rotation, PATH ---- */

/* The job's own folder first on PATH, so cron's /usr/bin:/bin will do. */
static void
path_add_self(void)
{
	char self[PATH_MAX], *slash, *path;
	const char *old = getenv("PATH");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return;
	*slash = '\0';
	path = rso_xasprintf("%s:%s", self, old && *old ? old :
	    "/usr/bin:/bin");
	setenv("PATH", path, 1);
	free(path);
}

/*
 * The last day a log file covers, from the date its name begins with:
 * "YYYY-MM-DD-..." that day, "YYYY-MM-..." the month's last day; 0: none.
 */
static rso_time_t
log_file_date(const char *name)
{
	char day[11];
	rso_time_t t;
	int y, m;

	if (sscanf(name, "%4d-%2d", &y, &m) != 2 || strlen(name) < 8 ||
	    name[4] != '-' || name[7] != '-')
		return 0;
	if (strlen(name) > 10 && name[10] == '-') {
		memcpy(day, name, 10);
		day[10] = '\0';
		return rso_date_parse(day, &t) == 0 ? t : 0;
	}
	if (m < 1 || m > 12)
		return 0;
	snprintf(day, sizeof(day), "%04d-%02d-01", m == 12 ? y + 1 : y,
	    m == 12 ? 1 : m + 1);
	return rso_date_parse(day, &t) == 0 ? t - 86400 : 0;
}

/* Remove the log files older than keep_days before now; never a folder. */
static void
log_rotate(const char *log, long long keep_days)
{
	/* Whole days: keep today and the keep_days before it. */
	rso_time_t cut = rso_now() / 86400 * 86400 - keep_days * 86400, t;
	struct dirent *de;
	DIR *d;
	int dfd;

	if ((d = opendir(log)) == NULL)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if ((t = log_file_date(de->d_name)) == 0 || t >= cut)
			continue;
		if (unlinkat(dfd, de->d_name, 0) != 0 && errno != ENOENT)
			rso_warn("%s/%s", log, de->d_name);
	}
	closedir(d);
}

/* Settings the job reads from the store's configuration. */
static int
read_config(struct rso_job *j, const char *home, long long *keep_days)
{
	struct rso_store *s;
	struct rso_error e;
	const char *staff;

	if (rso_store_open(home, &s, &e) != 0) {
		rso_warnx("%s", e.msg);
		return e.status;
	}
	*keep_days = rso_store_conf_int(s, "log.keep_days", 90);
	j->prefix = rso_xstrdup(rso_store_conf_str(s, "id_prefix", "RSO"));
	staff = rso_store_conf_str(s, "mail.staff", NULL);
	j->staff = staff ? rso_xstrdup(staff) : NULL;
	rso_store_close(s);
	if (*keep_days < 1) {
		rso_warnx("config.json: log.keep_days: not a number of days");
		return EX_CONFIG;
	}
	return 0;
}

static int
take_lock(struct rso_job *j, const char *home)
{
	char *path = rso_xasprintf("%s/.%s.lock", home, j->name);

	j->lockfd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (j->lockfd < 0) {
		rso_warn("%s", path);
		free(path);
		return EX_CANTCREAT;
	}
	free(path);
	if (flock(j->lockfd, LOCK_EX | LOCK_NB) != 0) {
		rso_warnx("another run is going");
		return EX_TEMPFAIL;
	}
	return 0;
}

static int
make_log_folder(struct rso_job *j, const char *home)
{
	const char *env = getenv("RSO_LOG");

	j->log = env && *env ? rso_xstrdup(env) : rso_xasprintf("%s/log",
	    home);
	if ((mkdir(j->log, 0700) != 0 && errno != EEXIST) ||
	    chmod(j->log, 0700) != 0) {
		rso_warn("%s", j->log);
		return EX_CANTCREAT;
	}
	/* A step may keep a file there (the witnessed head). */
	setenv("RSO_LOG", j->log, 1);
	if (j->outdir && ((mkdir(j->outdir, 0700) != 0 && errno != EEXIST) ||
	    chmod(j->outdir, 0700) != 0)) {
		rso_warn("%s", j->outdir);
		return EX_CANTCREAT;
	}
	return 0;
}

int
rso_job_open(const char *name, const char *home, const char *period,
    const char *outdir, int dry, struct rso_job **out)
{
	struct rso_job *j = rso_xcalloc(1, sizeof(*j));
	long long keep_days;
	int rc;

	j->name = rso_xstrdup(name);
	j->period = rso_xstrdup(period);
	j->outdir = outdir ? rso_xstrdup(outdir) : NULL;
	j->dry = dry;
	j->lockfd = -1;
	j->steps = json_object();
	j->items = json_array();
	path_add_self();
	/* The steps' programs find the same store whatever -H said. */
	setenv("RSO_HOME", home, 1);
	if ((rc = read_config(j, home, &keep_days)) == 0 && !dry &&
	    (rc = take_lock(j, home)) == 0 &&
	    (rc = make_log_folder(j, home)) == 0)
		log_rotate(j->log, keep_days);
	if (rc != 0) {
		job_free(j);
		j = NULL;
	}
	*out = j;
	return rc;
}


/* ---- running a step ---- */

/*
 * Start "bash -o pipefail -c cmd" with stdin from in_fd (-1: /dev/null), stdout to
 * out_fd, stderr into a pipe whose read end is *err_fd.  Returns the pid,
 * or -1 (said).
 */
static pid_t
spawn(const char *cmd, int in_fd, int out_fd, int *err_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0) {
		rso_warn("pipe");
		return -1;
	}
	if ((pid = fork()) < 0) {
		rso_warn("fork");
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		if (in_fd < 0)
			in_fd = open("/dev/null", O_RDONLY);
		if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
		    dup2(p[1], 2) < 0)
			_exit(EX_OSERR);
		signal(SIGPIPE, SIG_DFL);
		/* pipefail: a pipeline fails when any of its programs does. */
		execl("/bin/bash", "bash", "-o", "pipefail", "-c", cmd,
		    (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	*err_fd = p[0];
	return pid;
}

/* The exit status of pid as sysexits see it (a signal: EX_SOFTWARE). */
static int
reap(pid_t pid)
{
	int ws;

	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return EX_OSERR;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : EX_SOFTWARE;
}

/*
 * The case id a message names: PREFIX-YYYY-NNNNNN, copied into buf
 * (64 bytes); NULL when it names none.
 */
static const char *
find_case(const char *msg, const char *prefix, char *buf)
{
	size_t pl = strlen(prefix), n;
	const char *p;

	for (p = strstr(msg, prefix); p != NULL; p = strstr(p + 1, prefix)) {
		if (p > msg && (isalnum((unsigned char)p[-1]) || p[-1] == '-'))
			continue;
		n = pl;
		if (p[n++] != '-' || strspn(p + n, "0123456789") != 4)
			continue;
		n += 4;
		if (p[n++] != '-' || strspn(p + n, "0123456789") < 6)
			continue;
		n += strspn(p + n, "0123456789");
		if (n >= 64 || isalnum((unsigned char)p[n]))
			continue;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return buf;
	}
	return NULL;
}

/* Every stderr line of the step, as {step, case, message} objects. */
static json_t *
read_messages(struct rso_job *j, const char *step, int fd)
{
	FILE *fp = fdopen(fd, "r");
	json_t *msgs = json_array();
	char *line = NULL, casebuf[64];
	const char *c;
	size_t cap = 0;
	ssize_t n;

	if (fp == NULL) {
		close(fd);
		return msgs;
	}
	while ((n = getline(&line, &cap, fp)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		c = find_case(line, j->prefix, casebuf);
		json_array_append_new(msgs, json_pack("{s:s, s:s?, s:s}",
		    "step", step, "case", c, "message", line));
	}
	free(line);
	fclose(fp);
	return msgs;
}

/* Append one JSON line to LOG/PERIOD-what.jsonl. */
static void
log_line(struct rso_job *j, const char *what, const json_t *obj)
{
	char *path = rso_xasprintf("%s/%s-%s.jsonl", j->log, j->period, what);
	FILE *fp = fopen(path, "ae");

	if (fp == NULL || rso_jsonl_write(fp, obj) != 0 || fclose(fp) != 0)
		rso_warn("%s", path);
	free(path);
}

/* Lines written from offset on in fd that did something. */
static long long
count_done(int fd, off_t offset)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	long long done = 0;
	json_t *o;
	int dup_fd = dup(fd);

	if (dup_fd < 0 || (fp = fdopen(dup_fd, "r")) == NULL) {
		if (dup_fd >= 0)
			close(dup_fd);
		return 0;
	}
	if (fseeko(fp, offset, SEEK_SET) == 0)
		while (getline(&line, &cap, fp) > 0) {
			o = json_loads(line, 0, NULL);
			if (!json_is_true(json_object_get(o, "existing")) &&
			    !json_is_true(json_object_get(o, "unchanged")) &&
			    json_object_get(o, "skipped") == NULL)
				done++;
			json_decref(o);
		}
	free(line);
	fclose(fp);
	return done;
}

/* Where the step's stdout goes: the log, or a temp file beside out. */
static int
open_output(struct rso_job *j, const struct rso_job_step *st, char **tmp)
{
	char *path;
	int fd;

	*tmp = NULL;
	if (st->out != NULL) {
		*tmp = rso_xasprintf("%s/.tmp.XXXXXX", j->outdir);
		if ((fd = mkostemp(*tmp, O_CLOEXEC)) < 0)
			rso_warn("%s", *tmp);
		return fd;
	}
	path = rso_xasprintf("%s/%s-%s.jsonl", j->log, j->period, st->name);
	if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0)
		rso_warn("%s", path);
	free(path);
	return fd;
}

/* A step's out file in place: fsync'd, renamed, or removed on failure. */
static int
finish_output(struct rso_job *j, const struct rso_job_step *st, int fd,
    char *tmp, int rc)
{
	char *to;

	if (tmp == NULL)
		return rc;
	if (rc == 0 && fsync(fd) != 0)
		rc = EX_IOERR;
	to = rso_xasprintf("%s/%s", j->outdir, st->out);
	if (rc == 0 && (rename(tmp, to) != 0 || rso_fsync_dir(j->outdir))) {
		rso_warn("%s", to);
		rc = EX_CANTCREAT;
	}
	if (rc != 0)
		unlink(tmp);
	free(to);
	free(tmp);
	return rc;
}

/* What a step's exit means for its messages; see rso_job.h. */
static void
judge(struct rso_job *j, const struct rso_job_step *st, int rc, json_t *msgs,
    long long done)
{
	/* Lines that need a person are not the job failing. */
	int needs = rc == EX_DATAERR && st->by_line;
	int failed = rc != 0 && rc != EX_TEMPFAIL && !needs;
	size_t i;
	json_t *m;

	json_array_foreach(msgs, i, m) {
		json_object_set_new(m, "exit", json_integer(rc));
		log_line(j, "messages", m);
		if (needs)
			json_array_append(j->items, m);
		else if (failed)
			rso_warnx("%s: %s (exit %d)", st->name,
			    rso_json_str(m, "message"), rc);
	}
	if (failed && json_array_size(msgs) == 0)
		rso_warnx("%s: exit %d", st->name, rc);
	if (rc == EX_TEMPFAIL) {
		j->busy = 1;
		rso_warnx("%s: store busy, the next run does it (exit %d)",
		    st->name, rc);
	}
	if (failed)
		rso_status_set(&j->status, rc);
	json_object_set_new(j->steps, st->name, json_pack("{s:i, s:I, s:I}",
	    "exit", rc, "done", (json_int_t)done, "needs_person",
	    (json_int_t)(needs ? json_array_size(msgs) : 0)));
}

static void
step_run(struct rso_job *j, const struct rso_job_step *st)
{
	struct stat sb;
	char *tmp;
	json_t *msgs;
	pid_t pid;
	int out, errfd, rc;

	if ((out = open_output(j, st, &tmp)) < 0) {
		free(tmp);
		judge(j, st, EX_CANTCREAT, NULL, 0);
		return;
	}
	sb.st_size = 0;
	fstat(out, &sb);
	if ((pid = spawn(st->run, -1, out, &errfd)) < 0) {
		rc = EX_OSERR;
		msgs = json_array();
	} else {
		msgs = read_messages(j, st->name, errfd);
		rc = reap(pid);
	}
	rc = finish_output(j, st, out, tmp, rc);
	judge(j, st, rc, msgs, st->out ? rc == 0 : count_done(out, sb.st_size));
	close(out);
	json_decref(msgs);
}

/* Dry run: what the step would do, and on how many things now. */
static void
step_describe(const struct rso_job_step *st)
{
	char *line = NULL;
	size_t cap = 0;
	long long n = 0;
	FILE *fp;
	int rc;

	if (st->preview == NULL) {
		printf("%s: would %s\n  %s\n", st->name, st->what, st->run);
		return;
	}
	fflush(stdout);
	if ((fp = popen(st->preview, "re")) == NULL) {
		rso_warn("%s: preview", st->name);
		return;
	}
	while (getline(&line, &cap, fp) > 0)
		n++;
	free(line);
	rc = pclose(fp);
	if (rc != 0)
		printf("%s: would %s (cannot count them: exit %d)\n  %s\n",
		    st->name, st->what, WIFEXITED(rc) ? WEXITSTATUS(rc) : rc,
		    st->run);
	else
		printf("%s: would %s: %lld now\n  %s\n", st->name, st->what, n,
		    st->run);
}

void
rso_job_step(struct rso_job *j, const struct rso_job_step *st)
{
	const char *v = st->needs ? getenv(st->needs) : NULL;

	if (st->needs != NULL && (v == NULL || *v == '\0')) {
		if (j->dry)
			printf("%s: skipped: %s is not set\n", st->name,
			    st->needs);
		else
			json_object_set_new(j->steps, st->name, json_pack(
			    "{s:s}", "skipped", st->needs));
		return;
	}
	if (j->dry)
		step_describe(st);
	else
		step_run(j, st);
}

/* ---- closing: the staff digest and the summary ---- */

/*
 * An item's key for the once-per-period rule: the step, the case and the
 * message without its line numbers (":12:"), which change from run to run.
 */
static char *
item_key(const json_t *m)
{
	const char *msg = rso_json_str(m, "message"), *p, *c;
	char *key = rso_xasprintf("%s|%s|%s", rso_json_str(m, "step"),
	    (c = rso_json_str(m, "case")) ? c : "", msg), *q;

	q = strchr(strchr(key, '|') + 1, '|') + 1;
	for (p = msg; *p; p++) {
		*q++ = *p;
		if (*p == ':' && p[1 + strspn(p + 1, "0123456789")] == ':' &&
		    isdigit((unsigned char)p[1]))
			p += strspn(p + 1, "0123456789") + 1;
	}
	*q = '\0';
	return key;
}

/* The keys already sent this period, from LOG/PERIOD-digest.jsonl. */
static json_t *
keys_sent(struct rso_job *j)
{
	char *path = rso_xasprintf("%s/%s-digest.jsonl", j->log, j->period);
	FILE *fp = fopen(path, "re");
	json_t *keys = json_object(), *o, *k;
	char *line = NULL;
	size_t cap = 0, i;

	free(path);
	if (fp == NULL)
		return keys;
	while (getline(&line, &cap, fp) > 0) {
		o = json_loads(line, 0, NULL);
		json_array_foreach(json_object_get(o, "keys"), i, k)
			if (json_is_string(k))
				json_object_set(keys, json_string_value(k),
				    json_true());
		json_decref(o);
	}
	free(line);
	fclose(fp);
	return keys;
}

/* Hand line to rso-mail on stdin; its stdout is discarded. */
static int
mail_line(struct rso_job *j, const json_t *line)
{
	char *text = json_dumps(line, JSON_COMPACT), *path;
	int in = -1, devnull, errfd, rc = EX_OSERR;
	json_t *msgs;
	pid_t pid;

	/* A file, not a pipe: rso-mail may stop reading before the end. */
	path = rso_xasprintf("%s/.digest.XXXXXX", j->log);
	if ((in = mkostemp(path, O_CLOEXEC)) < 0 ||
	    rso_write_all(in, text, strlen(text)) != 0 ||
	    lseek(in, 0, SEEK_SET) != 0) {
		rso_warn("%s", path);
		goto done;
	}
	if ((devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		goto done;
	if ((pid = spawn("rso-mail", in, devnull, &errfd)) >= 0) {
		msgs = read_messages(j, "digest", errfd);
		rc = reap(pid);
		/* An unusable mail.staff is a configuration fault. */
		judge(j, &(struct rso_job_step){ .name = "digest" },
		    rc == EX_DATAERR ? EX_CONFIG : rc, msgs, rc == 0);
		json_decref(msgs);
	}
	close(devnull);
done:
	if (in >= 0)
		close(in);
	unlink(path);
	free(path);
	free(text);
	return rc;
}

/* Items not yet sent this period as text, their keys into keys. */
static char *
digest_text(struct rso_job *j, json_t *keys, size_t *count)
{
	json_t *sent = keys_sent(j), *m;
	char *text = rso_xstrdup(""), *key, *t;
	size_t i;

	*count = 0;
	json_array_foreach(j->items, i, m) {
		key = item_key(m);
		if (json_object_get(sent, key) == NULL) {
			json_object_set_new(sent, key, json_true());
			json_array_append_new(keys, json_string(key));
			t = rso_xasprintf("%s%s: %s\n", text, rso_json_str(m,
			    "step"), rso_json_str(m, "message"));
			free(text);
			text = t;
			++*count;
		}
		free(key);
	}
	json_decref(sent);
	return text;
}

/*
 * What needs a person, to staff once a period: mailed as one digest, or
 * on stderr when there is no mail.staff or the mail failed.
 */
static void
send_digest(struct rso_job *j)
{
	json_t *keys = json_array(), *line;
	size_t count;
	char *text = digest_text(j, keys, &count), *p, *nl;

	if (count > 0) {
		line = json_pack("{s:s, s:s?, s:s, s:s, s:I, s:s}", "kind",
		    "staff-digest", "to", j->staff, "job", j->name, "period",
		    j->period, "count", (json_int_t)count, "items", text);
		if (j->staff == NULL || mail_line(j, line) != 0)
			for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
				rso_warnx("%.*s (needs a person)", (int)(nl - p),
				    p);
		/* Said once a period, by mail or on stderr. */
		json_object_del(line, "items");
		json_object_set(line, "keys", keys);
		log_line(j, "digest", line);
		json_decref(line);
	}
	json_decref(keys);
	free(text);
}

/* See rso_job_close. */
static int
job_status(const struct rso_job *j)
{
	return j->status ? j->status : j->busy ? EX_TEMPFAIL : 0;
}

static void
write_summary(struct rso_job *j)
{
	char at[RSO_TIME_STRLEN];
	json_int_t done = 0, needs = 0;
	const char *k;
	json_t *v, *line;

	json_object_foreach(j->steps, k, v) {
		done += json_integer_value(json_object_get(v, "done"));
		needs += json_integer_value(json_object_get(v, "needs_person"));
	}
	line = json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:O}", "at",
	    rso_time_format(rso_now(), at), "job", j->name, "period",
	    j->period, "exit", job_status(j), "done", done,
	    "needs_person", needs, "steps", j->steps);
	log_line(j, "summary", line);
	json_decref(line);
}

int
rso_job_close(struct rso_job *j)
{
	int rc;

	if (!j->dry) {
		send_digest(j);
		write_summary(j);
	}
	rc = job_status(j);
	job_free(j);
	return rc;
}

int
rso_job_run(const char *name, const char *period, const char *outdir,
    int dry, const struct rso_job_step *steps, size_t n, const int *chosen)
{
	char *home = rso_store_home(rso_opt_home());
	struct rso_job *job;
	size_t i;
	int rc;

	rc = rso_job_open(name, home, period, outdir, dry, &job);
	free(home);
	if (rc != 0)
		return rc;
	for (i = 0; i < n; i++)
		if (chosen == NULL || chosen[i])
			rso_job_step(job, &steps[i]);
	return rso_flush_stdout(rso_job_close(job));
}
