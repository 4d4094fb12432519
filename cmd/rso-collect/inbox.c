/* rso-collect: inbox -- file whatever arrived in a drop folder. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "docs.h"
#include "drop.h"
#include "filing.h"
#include "furniture.h"
#include "inbox.h"
#include "rso_case.h"
#include "rso_jsonl.h"
#include "rso_opt.h"
#include "rso_progress.h"
#include "rso_records.h"
#include "rso_store.h"
#include "verbs.h"

static int
is_sidecar(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* A request token or case id within a file name. */
static void
name_target(struct inbox *ib, const char *name, struct arrival *a)
{
	regex_t re;
	regmatch_t m;
	char pat[64];

	if (regcomp(&re, "REQ-[0-9A-HJKMNP-TV-Z]{6}", REG_EXTENDED) == 0) {
		if (regexec(&re, name, 1, &m, 0) == 0)
			snprintf(a->token, sizeof(a->token), "%.*s",
			    (int)(m.rm_eo - m.rm_so), name + m.rm_so);
		regfree(&re);
	}
	if (a->token[0] || a->id[0])
		return;
	/* The configured prefix only: "mri-2026-123456" is not a case. */
	snprintf(pat, sizeof(pat), "%.16s-[0-9]{4}-[0-9]{6,9}",
	    rso_store_conf_str(ib->s, "id_prefix", "RSO"));
	if (regcomp(&re, pat, REG_EXTENDED) == 0) {
		if (regexec(&re, name, 1, &m, 0) == 0 &&
		    m.rm_eo - m.rm_so < RSO_CASE_IDLEN)
			snprintf(a->id, sizeof(a->id), "%.*s",
			    (int)(m.rm_eo - m.rm_so), name + m.rm_so);
		regfree(&re);
	}
}

/* NAME.json's members: {"case"|"ref","request","type","source","date"}. */
static int
sidecar_fields(struct inbox *ib, struct arrival *a, const char **why)
{
	struct rso_error e;
	char member[128];
	const char *v;

	if (!json_is_object(a->sidecar)) {
		*why = "sidecar: not a JSON object";
		return -1;
	}
	if (rso_json_find_control(a->sidecar, member, sizeof(member))) {
		*why = "sidecar: control character in a member";
		return -1;
	}
	if ((v = rso_json_str(a->sidecar, "case")) != NULL) {
		if (!rso_case_id_valid(v)) {
			*why = "sidecar: case: not a case id";
			return -1;
		}
		snprintf(a->id, sizeof(a->id), "%s", v);
	} else if (rso_json_str(a->sidecar, "ref") != NULL &&
	    rso_case_named(ib->s, a->sidecar, a->id, &e) != 0) {
		/* The reason, not the ref: a ref may name the patient. */
		*why = e.status == EX_DATAERR ? "sidecar: ref: no such request" :
		    "sidecar: ref: cannot be looked up";
		return -1;
	}
	if ((v = rso_json_str(a->sidecar, "request")) != NULL) {
		if (!rso_token_valid(v)) {
			*why = "sidecar: request: not a request token";
			return -1;
		}
		snprintf(a->token, sizeof(a->token), "%s", v);
	}
	a->m.type = rso_json_str(a->sidecar, "type");
	a->m.source = rso_json_str(a->sidecar, "source");
	a->m.date = rso_json_str(a->sidecar, "date");
	if (a->m.type && !rso_record_type_valid(a->m.type)) {
		*why = "sidecar: type: not a record type";
		return -1;
	}
	return 0;
}

void
inbox_add_file(struct inbox *ib, struct arrival *a, const char *path,
    const struct stat *st)
{
	drop_list_add(&ib->d, &a->files, path, st);
}

/*
 * NAME.json beside NAME, read without following a link or blocking, and
 * no larger than the limit.  Returns 0 (no sidecar, or read), 1 when it
 * is not a file (the entry is left alone), or -1 with *why (rejected).
 */
static int
read_sidecar(struct inbox *ib, const char *name, struct arrival *a,
    const char **why)
{
	static char toobig[96];
	char *side = rso_xasprintf("%s.json", name), *buf;
	struct stat st;
	int fd, rc = 0;

	if ((fd = filing_openat(ib->d.dfd, side, &st)) == -1) {
		if (errno != ENOENT) {
			rso_warn("%s: entry %d: sidecar", ib->dir, a->k);
			rso_status_set(&ib->status, EX_IOERR);
			rc = 1;
		}
		free(side);
		return rc;
	}
	if (fd == -2 || !S_ISREG(st.st_mode)) {
		rso_warnx("%s: entry %d: sidecar: %s, not a file (left alone)",
		    ib->dir, a->k, fd == -2 ? rso_file_kind(st.st_mode) :
		    "a folder");
		rso_status_set(&ib->status, EX_DATAERR);
		if (fd >= 0)
			close(fd);
		free(side);
		return 1;
	}
	inbox_add_file(ib, a, side, &st);
	free(side);
	if (st.st_size > ib->lim.sidecar) {
		snprintf(toobig, sizeof(toobig), "sidecar: larger than %lld "
		    "bytes (inbox.max_sidecar_bytes)", ib->lim.sidecar);
		*why = toobig;
		close(fd);
		return -1;
	}
	buf = rso_xmalloc((size_t)st.st_size + 1);
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		*why = "sidecar: cannot be read whole";
	else
		a->sidecar = json_loadb(buf, (size_t)st.st_size,
		    JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	close(fd);
	if (*why == NULL)
		sidecar_fields(ib, a, why);
	return *why ? -1 : 0;
}

/* Resolve the arrival's case from its token. */
static int
resolve(struct inbox *ib, struct arrival *a, const char **why)
{
	char tokcase[RSO_CASE_IDLEN];

	if (a->token[0]) {
		if (rso_records_request_case(ib->s, a->token, tokcase) != 0) {
			*why = "unknown request token";
			return -1;
		}
		if (a->id[0] && strcmp(a->id, tokcase) != 0) {
			*why = "request token and case id disagree";
			return -1;
		}
		snprintf(a->id, sizeof(a->id), "%s", tokcase);
		a->m.request = a->token;
	}
	if (!a->id[0])
		a->by_patient = 1;
	return 0;
}

/*
 * The case of an item that came without a token or case id: a request
 * token the document carries, else its patient's one open case.  The
 * last answer is kept, as a study's instances arrive together.
 */
static int
patient_case(struct inbox *ib, struct arrival *a, const struct filing_item *it,
    struct rso_error *e)
{
	struct filing_patient p;
	/* The entry itself needs no "where"; a member of it does. */
	const char *where = strcmp(it->where, "entry") ? it->where : NULL;
	const char *token = it->doc && it->doc->token[0] ? it->doc->token : "";
	const char *why = NULL;
	char key[sizeof(a->last_pn)];

	filing_patient_of(it, &p);
	snprintf(key, sizeof(key), "%s|%s|%s", token, p.name ? p.name : "",
	    p.birth_date);
	/* A document's identifiers may decide: only a study is remembered. */
	if (p.doc == NULL && *token == '\0' && a->last_id[0] &&
	    strcmp(key, a->last_pn) == 0)
		return 0;
	if (*token != '\0') {
		if (rso_records_request_case(ib->s, token, a->last_id) != 0)
			why = "unknown request token";
	} else if (p.what == NULL)
		why = "names no patient";
	else
		filing_find_case(ib->s, &p, a->last_id, &why);
	if (why != NULL) {
		a->last_id[0] = '\0';
		return rso_error_set(e, EX_DATAERR, "%s%s%s", where ? where : "",
		    where ? ": " : "", why);
	}
	snprintf(a->last_pn, sizeof(a->last_pn), "%s", key);
	if (a->first_case[0] == '\0')
		snprintf(a->first_case, sizeof(a->first_case), "%s", a->last_id);
	else if (strcmp(a->first_case, a->last_id) != 0)
		a->several = 1;
	return filing_case_ready(ib->s, a->last_id, e);
}

static int
by_case(const void *x, const void *y)
{
	const struct filing_item *a = x, *b = y;

	return strcmp(a->held, b->held);	/* held holds the case id here */
}

/*
 * File a batch that came without a token or case id: each DICOM item goes
 * to the one open case whose patient it names.  Nothing of the batch is
 * filed unless every item has its case.
 */
static int
flush_by_patient(struct inbox *ib, struct arrival *a, struct rso_error *e)
{
	struct filing_item *it = a->now.it;
	size_t i, j, k, n = a->now.n;
	char (*ids)[RSO_CASE_IDLEN] = rso_xcalloc(n, sizeof(*ids));
	char id[RSO_CASE_IDLEN];
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++)
		if ((rc = patient_case(ib, a, &it[i], e)) == 0) {
			memcpy(ids[i], a->last_id, sizeof(ids[i]));
			it[i].held = ids[i];
		}
	if (rc == 0 && n > 0)
		qsort(it, n, sizeof(*it), by_case);
	for (i = 0; rc == 0 && i < n; i = j) {
		snprintf(id, sizeof(id), "%s", it[i].held);
		for (j = i; j < n && strcmp(it[j].held, id) == 0; j++)
			;
		for (k = i; k < j; k++)
			it[k].held = NULL;
		rc = filing_commit(ib->s, id, it + i, j - i, &a->m, e);
	}
	for (i = 0; i < n; i++)
		it[i].held = NULL;
	items_release(&a->now);
	free(ids);
	return rc;
}

int
inbox_flush(struct inbox *ib, struct arrival *a, struct rso_error *e)
{
	int rc;

	if (a->by_patient)
		return flush_by_patient(ib, a, e);
	rc = filing_commit(ib->s, a->id, a->now.it, a->now.n, &a->m, e);
	items_release(&a->now);
	/* The request is answered by the first batch. */
	if (rc == 0)
		a->m.request = NULL;
	return rc;
}

/*
 * What an entry without a case holds besides instances goes where they
 * went, when they all went to one case.
 */
static int
flush_later(struct inbox *ib, struct arrival *a, struct rso_error *e)
{
	const char *where;
	int rc;

	if (a->later.n == 0)
		return 0;
	where = strcmp(a->later.it[0].where, "entry") ? a->later.it[0].where :
	    NULL;
	if (a->first_case[0] == '\0' || a->several)
		return rso_error_set(e, EX_DATAERR, "%s%snames no patient, and %s",
		    where ? where : "", where ? ": " : "", a->several ?
		    "the entry's records are of several cases" :
		    "no request token or case id in the name or a sidecar");
	rc = filing_commit(ib->s, a->first_case, a->later.it, a->later.n, &a->m,
	    e);
	items_release(&a->later);
	return rc;
}

/* The media furniture of the entry, on the record of its case. */
static int
record_furniture(struct inbox *ib, struct arrival *a, struct rso_error *e)
{
	const char *id = a->by_patient ? a->first_case : a->id;
	json_t *data;
	int rc;

	if (a->furniture == NULL)
		return 0;
	if (id[0] == '\0')
		return rso_error_set(e, EX_DATAERR, "nothing but media furniture, "
		    "and no request token or case id in the name or a sidecar");
	data = json_pack("{s:O}", "files", a->furniture);
	if ((rc = rso_store_begin(ib->s, e)) == 0 &&
	    (rc = rso_case_event(ib->s, id, "records.furniture", data, e)) == 0)
		rc = rso_store_commit(ib->s, e);
	if (rc != 0)
		rso_store_rollback(ib->s);
	json_decref(data);
	if (rc == 0)
		rc = collect_emit(json_pack("{s:s, s:I}", "case", id, "furniture",
		    (json_int_t)json_array_size(a->furniture)));
	return rc;
}

static void
reject(struct inbox *ib, int k, const char *name, const char *why)
{
	/* Name the entry by number: its name may carry a patient's name. */
	if (drop_reject(&ib->d, name, why) != 0) {
		rso_warn("%s: entry %d: %s (cannot move to .rejected)", ib->dir,
		    k, why);
		rso_status_set(&ib->status, EX_CANTCREAT);
		return;
	}
	rso_warnx("%s: entry %d: %s (moved to .rejected)", ib->dir, k, why);
	rso_status_set(&ib->status, EX_DATAERR);
}

static void
arrival_free(struct arrival *a)
{
	size_t i;

	items_release(&a->now);
	items_release(&a->later);
	free(a->now.it);
	free(a->later.it);
	json_decref(a->sidecar);
	json_decref(a->furniture);
	drop_list_free(&a->files);
	for (i = 0; i < a->ndirs; i++)
		free(a->dirs[i]);
	free(a->dirs);
	if (a->container >= 0)
		close(a->container);
	for (i = 0; i < a->nsources; i++)
		close(a->sources[i]);
	free(a->sources);
}

/*
 * Whether the entry has been still long enough: its newest modification
 * time (the sidecar's too) at least the settle time ago, by the real
 * clock, and no more files than the limit.  1 to take it, 0 to leave it
 * for a later run, -1 with *why to reject it.
 */
static int
settled(struct inbox *ib, const char *name, struct arrival *a,
    const char **why)
{
	static char toomany[96];
	struct timespec newest, side, now;
	long long count, n;
	char *sidename = rso_xasprintf("%s.json", name);

	if (drop_newest(&ib->d, name, &newest, &count) != 0) {
		/* Gone or replaced under us is for the next run; unreadable
		 * is for someone to see to. */
		if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP) {
			rso_warn("%s: entry %d: cannot be read (left alone)",
			    ib->dir, a->k);
			rso_status_set(&ib->status, EX_IOERR);
		}
		free(sidename);
		return 0;
	}
	if (drop_newest(&ib->d, sidename, &side, &n) == 0 &&
	    side.tv_sec > newest.tv_sec)
		newest = side;
	free(sidename);
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec - newest.tv_sec < ib->lim.settle) {
		rso_note("%s: entry %d: changed less than %llds ago (left for a "
		    "later run)", ib->dir, a->k, ib->lim.settle);
		return 0;
	}
	if (count > ib->lim.members) {
		snprintf(toomany, sizeof(toomany), "folder: more than %lld files "
		    "(inbox.max_members)", ib->lim.members);
		*why = toomany;
		return -1;
	}
	return 1;
}

/* Gather and file the whole entry; 0 once every record is safe on disk. */
static int
file_entry(struct inbox *ib, const char *name, struct arrival *a,
    struct rso_error *e)
{
	int rc = inbox_gather(ib, name, a, e);

	if (rc == 0)
		rc = inbox_flush(ib, a, e);
	if (rc == 0)
		rc = flush_later(ib, a, e);
	if (rc == 0)
		rc = record_furniture(ib, a, e);
	return rc;
}

/* Remove what the entry's filing consumed; say what stays, and why. */
static void
remove_filed(struct inbox *ib, int k, struct arrival *a)
{
	struct drop_stayed left;

	if (drop_remove(&ib->d, &a->files, a->dirs, a->ndirs, &left) == 0)
		return;
	if (a->files.lost)
		rso_note("%s: entry %d: filed, but the list of its files to "
		    "remove was lost (they stay; the next run finds them "
		    "filed)", ib->dir, k);
	if (left.changed > 0)
		rso_note("%s: entry %d: changed since it was filed (the newer "
		    "version stays for the next run)", ib->dir, k);
	if (left.refused > 0)
		rso_note("%s: entry %d: filed, but %zu of its files could not "
		    "be removed: %s (they stay; the next run finds them filed)",
		    ib->dir, k, left.refused, strerror(left.err));
}

/*
 * One entry of the inbox, start to finish: wait until it has settled,
 * find its case, gather and file its records batch by batch, and only
 * when every batch is safe on disk remove what was filed.  What cannot
 * be filed is moved aside with the reason; an I/O failure, or a file that
 * changed while it was filed, leaves it where it is for the next run.
 */
static void
take_entry(struct inbox *ib, int k, const char *name)
{
	struct arrival a;
	struct rso_error e;
	struct stat st;
	const char *why = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	a.k = k;
	a.container = -1;
	/* Links, FIFOs, sockets and devices are not opened, only reported. */
	if (fstatat(ib->d.dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		rso_warnx("%s: entry %d: %s, not a file or folder (left alone)",
		    ib->dir, k, rso_file_kind(st.st_mode));
		rso_status_set(&ib->status, EX_DATAERR);
		return;
	}
	if ((rc = settled(ib, name, &a, &why)) == 0)
		return;
	if (rc > 0 && (rc = read_sidecar(ib, name, &a, &why)) > 0) {
		arrival_free(&a);
		return;
	}
	if (why == NULL)
		name_target(ib, name, &a);
	if (why == NULL && resolve(ib, &a, &why) == 0 && !a.by_patient &&
	    filing_case_ready(ib->s, a.id, &e) != 0)
		why = e.msg;
	if (why == NULL && (rc = file_entry(ib, name, &a, &e)) != 0 &&
	    rc == EX_DATAERR)
		why = e.msg;
	/* "entry" names the entry's own content: the number says it. */
	if (why != NULL && strncmp(why, "entry: ", 7) == 0)
		why += 7;
	if (why != NULL)
		reject(ib, k, name, why);
	else if (rc != 0) {
		rso_warnx("%s: entry %d: %s", ib->dir, k, e.msg +
		    (strncmp(e.msg, "entry: ", 7) == 0 ? 7 : 0));
		rso_status_set(&ib->status, rc);
	} else
		remove_filed(ib, k, &a);
	arrival_free(&a);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The entries to take, sorted: not dot names (ours, and an uploader's
 * file still being written under a dot name, maildir's way), not the
 * sidecars of others.
 */
static char **
entries(struct inbox *ib, size_t *n)
{
	int fd = dup(ib->d.dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	struct stat st;
	char **v = NULL, *base;
	size_t len;
	int has;

	*n = 0;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		rso_die(EX_IOERR, "%s", ib->dir);
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (is_sidecar(de->d_name)) {
			len = strlen(de->d_name) - 5;
			base = rso_xasprintf("%.*s", (int)len, de->d_name);
			has = fstatat(ib->d.dfd, base, &st,
			    AT_SYMLINK_NOFOLLOW) == 0;
			free(base);
			if (has)
				continue;
		}
		v = rso_xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = rso_xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), by_name);
	return v;
}

/* A whole number of config.json's "inbox", or EX_CONFIG. */
static long long
limit(struct rso_store *s, const char *key, long long dflt)
{
	char path[64];
	json_t *v;

	snprintf(path, sizeof(path), "inbox.%s", key);
	v = rso_json_path(rso_store_config(s), path);
	if (v == NULL)
		return dflt;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		rso_diex(EX_CONFIG, "config.json: %s: not a whole number", path);
	return json_integer_value(v);
}

static long long opt_settle = -1;

static void
inbox_opt(int ch, const char *arg)
{
	char *end;

	if (ch != 'S')
		return;
	errno = 0;
	opt_settle = strtoll(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end != '\0' || errno != 0) {
		rso_warnx("--settle: not a number of seconds");
		opt_settle = -2;
	}
}

int
collect_inbox(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "settle", required_argument, NULL, 'S' },
		RSO_OPT_LONG, { 0 } };
	struct inbox ib = { 0 };
	char **names;
	size_t n, i;

	opt_settle = -1;
	collect_getopt(&argc, &argv, "", longopts, inbox_opt);
	if (argc != 1 || opt_settle == -2) {
		collect_usage(stderr, 0);
		return EX_USAGE;
	}
	ib.dir = argv[0];
	drop_xopen(&ib.d, ib.dir);
	ib.s = rso_store_xopen();
	ib.lim.settle = opt_settle >= 0 ? opt_settle :
	    limit(ib.s, "settle_seconds", 60);
	ib.lim.members = limit(ib.s, "max_members", 100000);
	ib.lim.expanded = limit(ib.s, "max_expanded_bytes", 64LL << 30);
	ib.lim.ratio = limit(ib.s, "max_ratio", 100);
	ib.lim.sidecar = limit(ib.s, "max_sidecar_bytes", 65536);
	ib.lim.document = limit(ib.s, "max_document_bytes", DOC_MAX_DEFAULT);
	ib.furniture = furniture_xload();
	names = entries(&ib, &n);
	/* The entries are known: a bar over them. */
	ib.bar = rso_progress_start("inbox", n);
	for (i = 0; i < n; i++) {
		take_entry(&ib, (int)i + 1, names[i]);
		free(names[i]);
		rso_progress_add(ib.bar, 1);
	}
	rso_progress_done(ib.bar);
	free(names);
	furniture_free(ib.furniture);
	rso_store_close(ib.s);
	drop_close(&ib.d);
	return ib.status;
}
