/* rso_casearc: a case's encrypted archive, as the store sees it. */
/* SPDX-License-Identifier: ISC */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_case.h"
#include "rso_casearc.h"
#include "rso_event.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_store_priv.h"

char *
rso_casearc_dir(struct rso_store *s, const char *id)
{
	return rso_xasprintf("%s/archives/%s", rso_store_dir(s), id);
}

int
rso_casearc_recipients(struct rso_store *s, struct rso_age_recipients **r,
    struct rso_error *e)
{
	char *path = rso_xasprintf("%s/recipients", rso_store_dir(s));
	int rc;

	*r = rso_age_recipients_new();
	if (access(path, F_OK) != 0)
		rc = rso_error_set(e, EX_CONFIG, "recipients: none registered "
		    "(rso-case init -r age1...)");
	else
		rc = rso_age_recipients_load(*r, path, e);
	free(path);
	if (rc != 0) {
		rso_age_recipients_free(*r);
		*r = NULL;
	}
	return rc;
}

int
rso_casearc_identities(const char *opt, struct rso_age_identities **ids,
    struct rso_error *e)
{
	const char *path = opt ? opt : getenv("RSO_IDENTITY");
	int rc;

	*ids = NULL;
	if (path == NULL || *path == '\0')
		return rso_error_set(e, EX_NOPERM,
		    "no identity (-i FILE or RSO_IDENTITY)");
	*ids = rso_age_identities_new();
	if ((rc = rso_age_identities_load(*ids, path, e)) != 0) {
		rso_age_identities_free(*ids);
		*ids = NULL;
		/* A key file we cannot read is a key problem, not bad data. */
		if (rc == EX_NOINPUT)
			rc = e ? (e->status = EX_NOPERM) : EX_NOPERM;
	}
	return rc;
}

/* The case folder's .lock, open and locked: its descriptor, or -1. */
static int
lock_file(int dfd, const char *dir, struct rso_error *e)
{
	struct stat st;
	int fd;

	fd = openat(dfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0600);
	if (fd < 0) {
		rso_error_set(e, errno == ELOOP ? EX_DATAERR : EX_CANTCREAT,
		    "%s/.lock: %s", dir, errno == ELOOP ? "a symbolic link, not "
		    "a lock file" : strerror(errno));
		return -1;
	}
	/* What it is before it is locked: a FIFO is not waited on. */
	if (fstat(fd, &st) != 0)
		rso_error_set(e, EX_CANTCREAT, "%s/.lock: %s", dir,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rso_error_set(e, EX_DATAERR, "%s/.lock: %s, not a lock file",
		    dir, rso_file_kind(st.st_mode));
	else if (flock(fd, LOCK_EX) != 0)
		rso_error_set(e, EX_CANTCREAT, "%s/.lock: %s", dir,
		    strerror(errno));
	else
		return fd;
	close(fd);
	return -1;
}

int
rso_casearc_lock(struct rso_store *s, const char *id, struct rso_error *e)
{
	char *dir = rso_casearc_dir(s, id);
	int dfd, fd = -1;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rso_error_set(e, EX_CANTCREAT, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	/* Ours, both of them: never a link, a FIFO or a device put there. */
	if ((dfd = rso_seg_dir_open(dir, EX_CANTCREAT, e)) >= 0) {
		fd = lock_file(dfd, dir, e);
		close(dfd);
	}
	if (fd >= 0)
		rso_seg_clean_temps(dir);
	free(dir);
	return fd;
}

void
rso_casearc_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

struct events_buf {
	char *text;
	size_t len;
};

static int
append_event(json_t *ev, void *ctx)
{
	struct events_buf *b = ctx;

	rso_jsonl_buf_add(&b->text, &b->len, ev);
	return 0;
}

/* A segment of dir holding the case and its events (the last only). */
static struct rso_seg_writer *
begin(struct rso_store *s, const char *id, const char *dir, long long last,
    const struct rso_age_recipients *r, struct rso_error *e)
{
	struct events_buf evs = { NULL, 0 };
	struct rso_seg_writer *w;
	char *cj;
	json_t *c;
	int rc;

	if (rso_case_get(s, id, &c, e) != 0)
		return NULL;
	rc = last > 0 ? rso_event_foreach_last(s, id, last, append_event, &evs,
	    e) : rso_event_foreach(s, id, append_event, &evs, e);
	if (rc != 0) {
		json_decref(c);
		free(evs.text);
		return NULL;
	}
	w = rso_seg_create(dir, r, e);
	cj = json_dumps(c, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(c);
	if (w != NULL && (rso_seg_add_buf(w, "case.json", cj, strlen(cj), e) ||
	    rso_seg_add_buf(w, "events.jsonl", evs.text ? evs.text : "",
	    evs.len, e))) {
		rso_seg_abort(w);
		w = NULL;
	}
	free(cj);
	free(evs.text);
	return w;
}

struct rso_seg_writer *
rso_casearc_begin(struct rso_store *s, const char *id,
    const struct rso_age_recipients *r, struct rso_error *e)
{
	char *dir = rso_casearc_dir(s, id);
	struct rso_seg_writer *w = begin(s, id, dir, RSO_CASEARC_EVENTS, r, e);

	free(dir);
	return w;
}

struct rso_seg_writer *
rso_casearc_begin_in(struct rso_store *s, const char *id, const char *dir,
    const struct rso_age_recipients *r, struct rso_error *e)
{
	return begin(s, id, dir, 0, r, e);
}

/* The number range a segment name covers: "000003.age", "000001-000005.age". */
static int
seg_range(const char *name, long *lo, long *hi)
{
	char *end;

	*lo = strtol(name, &end, 10);
	if (end == name)
		return -1;
	*hi = *lo;
	if (*end == '-')
		*hi = strtol(end + 1, &end, 10);
	return strcmp(end, ".age") == 0 ? 0 : -1;
}

/* The live segment among names that covers segment number want, or -1. */
static int
covering(char **names, long want)
{
	long lo, hi;
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (seg_range(names[i], &lo, &hi) == 0 && lo <= want &&
		    want <= hi)
			return i;
	return -1;
}

/* Whose the segment says it is: its first entry, case.json, names the case. */
#define CASE_JSON_MAX	(1 << 20)

static int
names_case(struct rso_seg_reader *rd, const struct rso_seg_entry *ent,
    const char *id, const char *segname, struct rso_error *e)
{
	char *text;
	json_t *c;
	ssize_t n;
	size_t len = 0;
	int ok;

	if (ent->isdir || strcmp(ent->name, "case.json") != 0 ||
	    ent->size > CASE_JSON_MAX)
		return rso_error_set(e, EX_DATAERR, "segment %s does not say "
		    "whose it is", segname);
	text = rso_xmalloc((size_t)ent->size + 1);
	while ((n = rso_seg_read(rd, text + len, (size_t)ent->size + 1 - len,
	    e)) > 0)
		len += (size_t)n;
	if (n < 0) {
		free(text);
		return e->status;
	}
	c = json_loadb(text, len, 0, NULL);
	ok = json_is_string(json_object_get(c, "case")) &&
	    strcmp(json_string_value(json_object_get(c, "case")), id) == 0;
	json_decref(c);
	free(text);
	if (!ok)
		return rso_error_set(e, EX_DATAERR, "segment %s belongs to "
		    "another case", segname);
	return 0;
}

/*
 * Open for reading the entry name that was written to segment segname
 * (which compaction may since have merged into a larger one), positioned
 * at that entry, once the segment's case.json has named the case.
 * Messages do not name the case (the caller adds it).
 */
static struct rso_seg_reader *
open_entry(struct rso_store *s, const char *id, const char *segname,
    const char *name, const struct rso_age_identities *ids,
    struct rso_error *e)
{
	char *dir = rso_casearc_dir(s, id), **names = NULL, *path = NULL;
	struct rso_seg_reader *rd = NULL;
	struct rso_seg_entry ent;
	long want, x;
	int i, rc;

	if (seg_range(segname, &want, &x) != 0 ||
	    rso_seg_list(dir, &names, e) != 0)
		goto done;
	if ((i = covering(names, want)) >= 0)
		path = rso_xasprintf("%s/%s", dir, names[i]);
	if (path == NULL) {
		rso_error_set(e, EX_NOINPUT, "segment %s is gone", segname);
		goto done;
	}
	if ((rd = rso_seg_open(path, ids, e)) == NULL)
		goto done;
	if ((rc = rso_seg_next(rd, &ent, e)) == 1 &&
	    (rc = names_case(rd, &ent, id, names[i], e)) == 0)
		rc = 1;
	else if (rc == 0)
		rc = rso_error_set(e, EX_DATAERR, "segment %s does not say "
		    "whose it is", names[i]);
	/* The latest version of the name within that segment. */
	while (rc == 1 && (rc = rso_seg_next(rd, &ent, e)) == 1)
		if (!ent.isdir && strcmp(ent.name, name) == 0)
			goto done;
	if (rc == 0)
		rso_error_set(e, EX_NOINPUT, "%s does not hold the item",
		    segname);
	rso_seg_close(rd);
	rd = NULL;
done:
	rso_seg_list_free(names);
	free(path);
	free(dir);
	return rd;
}

/* Up to this much of an entry is held in memory and checked at once. */
#define HOLD_MAX	(16 << 20)

struct release {
	struct rso_seg_reader *rd;
	char *buf;
	size_t len;		/* bytes held in buf */
	int held_all;		/* the whole entry is in buf */
};

/* Read the entry, holding its first HOLD_MAX bytes: its SHA-256 in hex. */
static int
hash_pass(struct release *r, char *hex, struct rso_error *e)
{
	struct rso_sha256 *h = rso_sha256_new();
	size_t cap = 65536;
	char *p;
	ssize_t n;

	r->buf = rso_xmalloc(cap);
	r->held_all = 1;
	do {
		if (r->len == cap && cap < HOLD_MAX)
			r->buf = rso_xrealloc(r->buf, cap *= 2);
		if (r->len == cap)
			r->held_all = 0;	/* read on, into the last 64 KiB */
		p = r->held_all ? r->buf + r->len : r->buf + cap - 65536;
		n = rso_seg_read(r->rd, p, r->held_all ? cap - r->len : 65536,
		    e);
		if (n > 0)
			rso_sha256_update(h, p, (size_t)n);
		if (n > 0 && r->held_all)
			r->len += (size_t)n;
	} while (n > 0);
	rso_sha256_final_hex(h, hex);
	return n < 0 ? -1 : 0;
}

/* Second pass over an entry too large to hold: released as it is read. */
static int
stream_pass(struct release *r, char *hex, rso_casearc_out_fn *fn, void *ctx,
    struct rso_error *e)
{
	struct rso_sha256 *h = rso_sha256_new();
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = rso_seg_read(r->rd, r->buf, 65536, e)) != 0) {
		if (n < 0) {
			rc = e->status;
			break;
		}
		rso_sha256_update(h, r->buf, (size_t)n);
		rc = fn(r->buf, (size_t)n, ctx, e);
	}
	rso_sha256_final_hex(h, hex);
	return rc;
}

int
rso_casearc_release(struct rso_store *s, const char *id, const char *what,
    const char *segname, const char *name, const char *sha256,
    const struct rso_age_identities *ids, rso_casearc_out_fn *fn, void *ctx,
    struct rso_error *e)
{
	struct release r = { 0 };
	char hex[RSO_SHA256_HEXLEN];
	struct rso_error why = { 0 };
	int rc = 0;

	if ((r.rd = open_entry(s, id, segname, name, ids, &why)) == NULL ||
	    hash_pass(&r, hex, &why) != 0)
		rc = why.status;
	else if (strcmp(hex, sha256) != 0)
		rc = rso_error_set(&why, EX_DATAERR, "SHA-256 does not match the "
		    "store");
	else if (r.held_all)
		rc = fn(r.buf, r.len, ctx, &why);
	else {
		/* Checked whole; now decrypted again, and released. */
		rso_seg_close(r.rd);
		if ((r.rd = open_entry(s, id, segname, name, ids, &why)) == NULL)
			rc = why.status;
		else if ((rc = stream_pass(&r, hex, fn, ctx, &why)) == 0 &&
		    strcmp(hex, sha256) != 0)
			rc = rso_error_set(&why, EX_DATAERR, "changed while it "
			    "was read: the output is not the record");
	}
	rso_seg_close(r.rd);
	free(r.buf);
	if (rc != 0 && why.msg[0] != '\0')
		rso_error_set(e, rc, "%s: %s: %s", id, what, why.msg);
	else if (rc != 0 && e != NULL) {
		*e = why;
		e->status = rc;
	}
	return rc;
}

int
rso_casearc_bind(struct rso_store *s, const char *id,
    const struct rso_seg_sum *sum, json_t *data, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "INSERT OR REPLACE INTO"
	    " segments (case_id, name, size, sha256) VALUES (?, ?, ?, ?)");
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sum->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, sum->size);
	sqlite3_bind_text(st, 4, sum->sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	json_object_set_new(data, "segment", json_string(sum->name));
	json_object_set_new(data, "segment_size", json_integer(sum->size));
	json_object_set_new(data, "segment_sha256", json_string(sum->sha256));
	return 0;
}

struct compaction {
	struct rso_store *s;
	const char *id;
};

/* The merged segment, recorded in a transaction of its own. */
static int
bind_merged(const struct rso_seg_sum *sum, void *ctx, struct rso_error *e)
{
	struct compaction *c = ctx;
	json_t *data = json_object();
	int rc;

	if ((rc = rso_store_begin(c->s, e)) == 0 &&
	    (rc = rso_casearc_bind(c->s, c->id, sum, data, e)) == 0 &&
	    (rc = rso_case_event(c->s, c->id, "archive.compacted", data, e)) ==
	    0)
		rc = rso_store_commit(c->s, e);
	if (rc != 0)
		rso_store_rollback(c->s);
	json_decref(data);
	return rc;
}

int
rso_casearc_compact_max(struct rso_store *s, long long *max,
    struct rso_error *e)
{
	json_t *v = rso_json_path(rso_store_config(s),
	    "archive.compact_max_bytes");

	*max = RSO_CASEARC_COMPACT_MAX;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return rso_error_set(e, EX_CONFIG, "config.json: "
		    "archive.compact_max_bytes: not a whole number");
	*max = json_integer_value(v);
	return 0;
}

int
rso_casearc_compact(struct rso_store *s, const char *id,
    const struct rso_age_recipients *r, const struct rso_age_identities *ids,
    long long max_bytes, char ***merged, struct rso_error *e)
{
	struct compaction c = { s, id };
	char *dir = rso_casearc_dir(s, id);
	int rc;

	rc = rso_seg_compact(dir, r, ids, max_bytes, bind_merged, &c, merged,
	    e);
	free(dir);
	return rc;
}

/*
 * A live segment file against its row in segments: *recorded is 0 when
 * there is none (a segment written before rso recorded them) -- unless
 * the file replaces segments that are recorded, which no compaction of
 * ours leaves unrecorded.
 */
static int
check_sum(struct rso_store *s, const char *id, const char *dir,
    const char *name, int *recorded, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT size, sha256 FROM"
	    " segments WHERE case_id = ? AND name = ?");
	struct rso_seg_sum want, got;
	long lo, hi, a, b;
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((*recorded = sqlite3_step(st) == SQLITE_ROW)) {
		want.size = sqlite3_column_int64(st, 0);
		snprintf(want.sha256, sizeof(want.sha256), "%s",
		    rso_store_col(st, 1));
	}
	sqlite3_finalize(st);
	if (!*recorded) {
		if (seg_range(name, &lo, &hi) != 0 || lo == hi)
			return 0;
		st = rso_store_prepare(s, "SELECT name FROM segments WHERE"
		    " case_id = ?");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = 0;
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
			if (seg_range(rso_store_col(st, 0), &a, &b) == 0 &&
			    lo <= a && b <= hi)
				rc = rso_error_set(e, EX_DATAERR, "segment %s: not "
				    "recorded, but replaces recorded segments",
				    name);
		sqlite3_finalize(st);
		return rc;
	}
	if ((rc = rso_seg_file_sum(dir, name, &got, e)) != 0)
		return rc;
	if (got.size != want.size)
		return rso_error_set(e, EX_DATAERR, "segment %s: size does not "
		    "match the store (truncated or replaced)", name);
	if (strcmp(got.sha256, want.sha256) != 0)
		return rso_error_set(e, EX_DATAERR, "segment %s: SHA-256 does "
		    "not match the store (altered or swapped)", name);
	return 0;
}

/*
 * Every live segment of the case against the store; *unrecorded counts
 * those it has no record of among the ones that hold what the store names
 * (named[i]): an orphan never had one.
 */
static int
check_sums(struct rso_store *s, const char *id, char **names,
    const int *named, size_t *unrecorded, struct rso_error *e)
{
	char *dir = rso_casearc_dir(s, id);
	int rc = 0, recorded, i;

	for (i = 0; rc == 0 && names[i] != NULL; i++)
		if ((rc = check_sum(s, id, dir, names[i], &recorded, e)) == 0)
			*unrecorded += !recorded && named[i];
	free(dir);
	return rc;
}

int
rso_casearc_check(struct rso_store *s, const char *id, size_t *segments,
    char ***orphans, size_t *unrecorded, struct rso_error *e)
{
	/* Each segment once, named by its first item: a study's thousand
	 * instances share one. */
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT printf('item %04d',"
	    " min(item)), segment FROM records WHERE case_id = ?1 GROUP BY"
	    " segment UNION ALL SELECT 'opinion ' || min(role), segment FROM"
	    " opinions WHERE case_id = ?1 GROUP BY segment");
	char *dir = rso_casearc_dir(s, id), **names = NULL;
	size_t n, k = 0;
	int *named, i, rc;
	long want, x;

	*segments = 0;
	*orphans = NULL;
	if ((rc = rso_seg_list(dir, &names, e)) == EX_NOINPUT) {
		names = rso_xcalloc(1, sizeof(*names));
		rc = 0;
	}
	free(dir);
	if (rc != 0) {
		sqlite3_finalize(st);
		return rc;
	}
	for (n = 0; names[n] != NULL; n++)
		;
	named = rso_xcalloc(n + 1, sizeof(*named));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = 0;
		if (seg_range((const char *)sqlite3_column_text(st, 1), &want,
		    &x) != 0 || (i = covering(names, want)) < 0)
			rc = rso_error_set(e, EX_DATAERR, "%s: segment %s is gone",
			    sqlite3_column_text(st, 0),
			    sqlite3_column_text(st, 1));
		else
			named[i] = 1;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc != EX_DATAERR && rc != 0)
		rc = rso_store_sqlerr(s, rc, e);
	sqlite3_finalize(st);
	if (rc == 0 && unrecorded != NULL)
		rc = check_sums(s, id, names, named, unrecorded, e);
	*segments = n;
	/* Keep in names only the orphans, in the order written. */
	for (i = 0; (size_t)i < n; i++)
		if (named[i])
			free(names[i]);
		else
			names[k++] = names[i];
	names[k] = NULL;
	free(named);
	if (rc != 0 || k == 0) {
		rso_seg_list_free(names);
		names = NULL;
	}
	*orphans = names;
	return rc;
}

/* How many names a NULL-ended list holds. */
static size_t
count_names(char **names)
{
	size_t n = 0;

	while (names != NULL && names[n] != NULL)
		n++;
	return n;
}

/* The case folders under archives/, as a set (keys of an object). */
static json_t *
case_folders(struct rso_store *s)
{
	char *dir = rso_xasprintf("%s/archives", rso_store_dir(s));
	json_t *set = json_object();
	struct dirent *d;
	DIR *dp;

	if ((dp = opendir(dir)) != NULL) {
		while ((d = readdir(dp)) != NULL)
			if (rso_case_id_valid(d->d_name))
				json_object_set_new(set, d->d_name, json_true());
		closedir(dp);
	}
	free(dir);
	return set;
}

int
rso_casearc_check_all(struct rso_store *s, size_t *segments,
    size_t *orphans, size_t *unrecorded, struct rso_error *e)
{
	/*
	 * Only cases with something to check: a record or opinion the store
	 * names, or a folder; most cases of a large store have neither.  The
	 * case's id is named c.id: records has an id of its own, and a bare
	 * "id" there meant the record's, so a case whose records' folder was
	 * gone (and had no opinion) was never looked at.
	 */
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT c.id, EXISTS (SELECT 1"
	    " FROM records r WHERE r.case_id = c.id) OR EXISTS (SELECT 1 FROM"
	    " opinions o WHERE o.case_id = c.id) FROM cases c ORDER BY c.id");
	json_t *folders = case_folders(s);
	char id[RSO_CASE_IDLEN], **o;
	struct rso_error why;
	size_t n;
	int rc = 0, sr = SQLITE_DONE;

	*segments = *orphans = *unrecorded = 0;
	while (rc == 0 && (sr = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(id, sizeof(id), "%s", sqlite3_column_text(st, 0));
		if (!sqlite3_column_int(st, 1) && !json_object_get(folders, id))
			continue;
		if ((rc = rso_casearc_check(s, id, &n, &o, unrecorded,
		    &why)) != 0) {
			rso_error_set(e, rc, "%s: %s", id, why.msg);
			break;
		}
		*segments += n;
		*orphans += count_names(o);
		rso_seg_list_free(o);
	}
	if (rc == 0 && sr != SQLITE_DONE)
		rc = rso_store_sqlerr(s, sr, e);
	sqlite3_finalize(st);
	json_decref(folders);
	return rc;
}

int
rso_casearc_drop(struct rso_store *s, const char *id, char **orphans,
    size_t *dropped, struct rso_error *e)
{
	char *dir = rso_casearc_dir(s, id), *path;
	int rc = 0;

	*dropped = 0;
	for (; rc == 0 && orphans != NULL && *orphans != NULL; orphans++) {
		path = rso_xasprintf("%s/%s", dir, *orphans);
		if (unlink(path) == 0)
			++*dropped;
		else if (errno != ENOENT)
			rc = rso_error_set(e, EX_IOERR, "%s: %s", *orphans,
			    strerror(errno));
		free(path);
	}
	if (*dropped > 0)
		rso_fsync_dir(dir);
	free(dir);
	return rc;
}

void
rso_slug(const char *in, char *out, size_t n)
{
	size_t len = 0;
	int dash = 0;

	for (; *in && len + 1 < n && len < 40; in++) {
		if (isalnum((unsigned char)*in)) {
			if (dash && len > 0)
				out[len++] = '-';
			dash = 0;
			if (len + 1 < n)
				out[len++] = (char)tolower((unsigned char)*in);
		} else
			dash = 1;
	}
	out[len] = '\0';
	if (len == 0)
		snprintf(out, n, "record");
}
