/* rso-collect: inbox -- file whatever arrived in a drop folder. */
/* SPDX-License-Identifier: ISC */
#include <sys/file.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filing.h"
#include "rso_case.h"
#include "rso_jsonl.h"
#include "rso_media.h"
#include "rso_opt.h"
#include "rso_progress.h"
#include "rso_records.h"
#include "rso_store.h"
#include "verbs.h"

/* Files filed per segment: bounds open descriptors for a CD of thousands. */
#define BATCH 128

struct inbox {
	struct rso_store *s;
	const char *dir;
	int dfd;		/* the inbox folder */
	int status;
	struct rso_progress *bar;
};

/* One arrival: where it goes and what it holds. */
struct arrival {
	char id[RSO_CASE_IDLEN];
	struct filing_meta m;
	json_t *sidecar;	/* keeps m's strings alive */
	char token[RSO_TOKEN_LEN];
	struct filing_item *it;
	size_t n, cap;
	int skipped;		/* members that are not records (viewers, DICOMDIR) */
	int by_patient;		/* no token or case id: DICOM finds its case */
	int members;		/* files of a folder so far */
	char last_pn[256], last_bd[24], last_id[RSO_CASE_IDLEN];
};

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

/* NAME.json beside NAME: {"case","request","type","source","date"}. */
static int
read_sidecar(struct inbox *ib, const char *name, struct arrival *a,
    const char **why)
{
	char *path = rso_xasprintf("%s/%s.json", ib->dir, name);
	json_error_t err;
	char member[128];
	const char *v;

	if (access(path, F_OK) != 0) {
		free(path);
		return 0;
	}
	a->sidecar = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	free(path);
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

static int flush(struct inbox *ib, struct arrival *a, struct rso_error *e);

/* Survey fd as one more item; file a full batch at once. */
static void
push_item(struct inbox *ib, struct arrival *a, int fd, const char *where,
    struct rso_error *e, int *rc)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->it = rso_xrealloc(a->it, a->cap * sizeof(*a->it));
	}
	if ((*rc = filing_survey(&a->it[a->n], fd, where, e)) != 0) {
		filing_release(&a->it[a->n]);
		return;
	}
	a->n++;
	rso_progress_add(ib->bar, 1);
	if (a->n >= BATCH)
		*rc = flush(ib, a, e);
}

/* An unnamed file in the inbox's own folder: gone if we crash. */
static int
spool_fd(struct inbox *ib)
{
	char *tmpl;
	int fd;

	fd = openat(ib->dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR &&
	    errno != EINVAL))
		return fd;
	tmpl = rso_xasprintf("%s/.rso-spool.XXXXXX", ib->dir);
	if ((fd = mkstemp(tmpl)) >= 0)
		unlink(tmpl);
	free(tmpl);
	return fd;
}

static int
skip_member(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strcasecmp(base, "DICOMDIR") == 0 || base[0] == '.';
}

/* Each regular member of a zip, ISO 9660 or tar, spooled and surveyed. */
static int
gather_archive(struct inbox *ib, int fd, struct arrival *a,
    struct rso_error *e)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *ent;
	char buf[65536], where[64];
	la_ssize_t n;
	int rc = 0, out, k = 0;

	archive_read_support_format_zip(ar);
	archive_read_support_format_iso9660(ar);
	archive_read_support_format_tar(ar);
	archive_read_support_filter_all(ar);
	if (lseek(fd, 0, SEEK_SET) != 0 ||
	    archive_read_open_fd(ar, fd, 65536) != ARCHIVE_OK) {
		archive_read_free(ar);
		return rso_error_set(e, EX_DATAERR, "not a readable archive");
	}
	while (rc == 0 && (rc = archive_read_next_header(ar, &ent)) ==
	    ARCHIVE_OK) {
		k++;
		if (archive_entry_filetype(ent) != AE_IFREG ||
		    skip_member(archive_entry_pathname(ent))) {
			a->skipped++;
			continue;
		}
		if ((out = spool_fd(ib)) < 0) {
			rc = rso_error_set(e, EX_CANTCREAT, "%s: %s", ib->dir,
			    strerror(errno));
			break;
		}
		while ((n = archive_read_data(ar, buf, sizeof(buf))) > 0)
			if (rso_write_all(out, buf, (size_t)n) != 0) {
				n = -2;
				break;
			}
		if (n < 0) {
			close(out);
			rc = n == -2 ? rso_error_set(e, EX_IOERR, "%s: %s", ib->dir,
			    strerror(errno)) : rso_error_set(e, EX_DATAERR,
			    "member %d: unreadable", k);
			break;
		}
		snprintf(where, sizeof(where), "member %d", k);
		push_item(ib, a, out, where, e, &rc);
	}
	if (rc == ARCHIVE_EOF)
		rc = 0;
	else if (rc == ARCHIVE_WARN || rc == ARCHIVE_FATAL ||
	    rc == ARCHIVE_FAILED || rc == ARCHIVE_RETRY)
		rc = rso_error_set(e, EX_DATAERR, "archive: %s",
		    archive_error_string(ar) ? "damaged" : "unreadable");
	archive_read_free(ar);
	return rc;
}

/* Every regular file below a folder (not following links). */
static int
gather_folder(struct inbox *ib, int dirfd, struct arrival *a, int depth,
    struct rso_error *e)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	struct stat st;
	char where[32];
	int fd, rc = 0;

	if (d == NULL)
		return rso_error_set(e, EX_IOERR, "folder: %s", strerror(errno));
	if (depth > 16) {
		closedir(d);
		return rso_error_set(e, EX_DATAERR, "folders nested too deep");
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (skip_member(de->d_name))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			rc = fd < 0 ? rso_error_set(e, EX_IOERR, "folder: %s",
			    strerror(errno)) : gather_folder(ib, fd, a, depth + 1, e);
		} else if (S_ISREG(st.st_mode)) {
			fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW |
			    O_CLOEXEC);
			if (fd < 0)
				rc = rso_error_set(e, EX_IOERR, "file: %s",
				    strerror(errno));
			else {
				snprintf(where, sizeof(where), "member %d",
				    ++a->members);
				push_item(ib, a, fd, where, e, &rc);
			}
		} else
			a->skipped++;
	}
	closedir(d);
	return rc;
}

static int
is_container(const char *media, int fd)
{
	char cd[5];

	if (strcmp(media, "application/zip") == 0)
		return 1;
	/* ISO 9660: "CD001" at 32769; tar: "ustar" at 257. */
	if (pread(fd, cd, 5, 32769) == 5 && memcmp(cd, "CD001", 5) == 0)
		return 1;
	return pread(fd, cd, 5, 257) == 5 && memcmp(cd, "ustar", 5) == 0;
}

static int
gather(struct inbox *ib, const char *name, struct arrival *a,
    struct rso_error *e)
{
	struct filing_item probe;
	struct stat st;
	int fd, rc;

	fd = openat(ib->dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return rso_error_set(e, EX_IOERR, "cannot open: %s",
		    strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return gather_folder(ib, fd, a, 0, e);
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return rso_error_set(e, EX_DATAERR, "not a file or folder");
	}
	if ((rc = filing_survey(&probe, fd, "entry", e)) != 0) {
		filing_release(&probe);
		return rc;
	}
	if (is_container(probe.media_type, fd)) {
		rc = gather_archive(ib, fd, a, e);
		filing_release(&probe);
		return rc;
	}
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->it = rso_xrealloc(a->it, a->cap * sizeof(*a->it));
	}
	a->it[a->n++] = probe;
	rso_progress_add(ib->bar, 1);
	return 0;
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
 * The case of a DICOM item that came without a token or case id; the last
 * answer is kept, as a study's instances arrive together.
 */
static int
patient_case(struct inbox *ib, struct arrival *a, const struct filing_item *it,
    struct rso_error *e)
{
	const struct rso_dicom_info *d = it->dicom;
	/* The entry itself needs no "where"; a member of it does. */
	const char *where = strcmp(it->where, "entry") ? it->where : NULL;
	const char *why;

	if (d == NULL)
		return rso_error_set(e, EX_DATAERR, "%s%snot DICOM, and no "
		    "request token or case id in the name or a sidecar",
		    where ? where : "", where ? ": " : "");
	if (strcmp(d->patient_name, a->last_pn) == 0 &&
	    strcmp(d->patient_birth_date, a->last_bd) == 0 && a->last_id[0])
		return 0;
	if (filing_dicom_find_case(ib->s, d, a->last_id, &why) != 0) {
		a->last_id[0] = '\0';
		return rso_error_set(e, EX_DATAERR, "%s%s%s", where ? where : "",
		    where ? ": " : "", why);
	}
	snprintf(a->last_pn, sizeof(a->last_pn), "%s", d->patient_name);
	snprintf(a->last_bd, sizeof(a->last_bd), "%s", d->patient_birth_date);
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
	char (*ids)[RSO_CASE_IDLEN] = rso_xcalloc(a->n, sizeof(*ids));
	size_t i, j;
	int rc = 0;

	for (i = 0; rc == 0 && i < a->n; i++)
		if ((rc = patient_case(ib, a, &a->it[i], e)) == 0) {
			memcpy(ids[i], a->last_id, sizeof(ids[i]));
			a->it[i].held = ids[i];
		}
	if (rc == 0)
		qsort(a->it, a->n, sizeof(*a->it), by_case);
	for (i = 0; rc == 0 && i < a->n; i = j) {
		char id[RSO_CASE_IDLEN];
		size_t k;

		snprintf(id, sizeof(id), "%s", a->it[i].held);
		for (j = i; j < a->n && strcmp(a->it[j].held, id) == 0; j++)
			;
		for (k = i; k < j; k++)
			a->it[k].held = NULL;
		k = j - i;
		filing_dedupe(ib->s, id, a->it + i, &k);
		rc = filing_commit(ib->s, id, a->it + i, k, &a->m, e);
	}
	for (i = 0; i < a->n; i++) {
		a->it[i].held = NULL;
		filing_release(&a->it[i]);
	}
	a->n = 0;
	free(ids);
	return rc;
}

/* File what is gathered so far, then let go of its descriptors. */
static int
flush(struct inbox *ib, struct arrival *a, struct rso_error *e)
{
	size_t i;
	int rc;

	if (a->by_patient)
		return flush_by_patient(ib, a, e);
	filing_dedupe(ib->s, a->id, a->it, &a->n);
	rc = filing_commit(ib->s, a->id, a->it, a->n, &a->m, e);
	for (i = 0; i < a->n; i++)
		filing_release(&a->it[i]);
	a->n = 0;
	/* The request is answered by the first batch. */
	if (rc == 0)
		a->m.request = NULL;
	return rc;
}

/* Move NAME (and its sidecar) to .rejected/, with NAME.reason beside it. */
static void
reject(struct inbox *ib, int k, const char *name, const char *why)
{
	char *to = rso_xasprintf(".rejected/%s", name);
	char *side = rso_xasprintf("%s.json", name);
	char *sideto = rso_xasprintf(".rejected/%s.json", name);
	char *reason = rso_xasprintf(".rejected/%s.reason", name);
	int fd;

	if (renameat(ib->dfd, name, ib->dfd, to) != 0)
		rso_warn("%s: entry %d: cannot move to .rejected", ib->dir, k);
	if (faccessat(ib->dfd, side, F_OK, 0) == 0)
		renameat(ib->dfd, side, ib->dfd, sideto);
	if ((fd = openat(ib->dfd, reason, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600)) >= 0) {
		dprintf(fd, "%s\n", why);
		fsync(fd);
		close(fd);
	}
	fsync(ib->dfd);
	/* Name the entry by number: its name may carry a patient's name. */
	rso_warnx("%s: entry %d: %s (moved to .rejected)", ib->dir, k, why);
	rso_status_set(&ib->status, EX_DATAERR);
	free(to);
	free(side);
	free(sideto);
	free(reason);
}

static void
arrival_free(struct arrival *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		filing_release(&a->it[i]);
	free(a->it);
	json_decref(a->sidecar);
}

/*
 * One entry of the inbox, start to finish: find its case, gather and file
 * its records batch by batch, and only when every batch is safe on disk
 * remove it.  What cannot be filed is moved aside with the reason; an I/O
 * failure leaves it where it is for the next run.
 */
static void
take_entry(struct inbox *ib, int k, const char *name)
{
	struct arrival a;
	struct rso_error e;
	const char *why = NULL;
	char *side, *path;
	int rc;

	memset(&a, 0, sizeof(a));
	if (read_sidecar(ib, name, &a, &why) == 0)
		name_target(ib, name, &a);
	if (why == NULL && resolve(ib, &a, &why) == 0 && !a.by_patient &&
	    filing_case_ready(ib->s, a.id, &e) != 0)
		why = e.msg;
	if (why != NULL) {
		reject(ib, k, name, why);
		arrival_free(&a);
		return;
	}
	rc = gather(ib, name, &a, &e);
	if (rc == 0)
		rc = flush(ib, &a, &e);
	if (rc == EX_DATAERR) {
		reject(ib, k, name, e.msg);
	} else if (rc != 0) {
		rso_warnx("%s: entry %d: %s", ib->dir, k, e.msg);
		rso_status_set(&ib->status, rc);
	} else {
		side = rso_xasprintf("%s.json", name);
		path = rso_xasprintf("%s/%s", ib->dir, name);
		if (rso_remove_tree(path) != 0)
			rso_warn("%s: entry %d: filed but not removed", ib->dir, k);
		free(path);
		unlinkat(ib->dfd, side, 0);
		fsync(ib->dfd);
		free(side);
	}
	arrival_free(&a);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries to take, sorted: not dot files, not sidecars of others. */
static char **
entries(struct inbox *ib, size_t *n)
{
	DIR *d = opendir(ib->dir);
	struct dirent *de;
	char **v = NULL, *base;
	size_t len;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (is_sidecar(de->d_name)) {
			len = strlen(de->d_name) - 5;
			base = rso_xasprintf("%.*s", (int)len, de->d_name);
			len = faccessat(ib->dfd, base, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
			free(base);
			if (len)
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

int
collect_inbox(int argc, char **argv)
{
	struct inbox ib = { 0 };
	char **names;
	size_t n, i;
	int lock;

	collect_getopt(&argc, &argv, "", (const struct option[]){ RSO_OPT_LONG,
	    { 0 } }, NULL);
	if (argc != 1) {
		collect_usage(stderr, 0);
		return EX_USAGE;
	}
	ib.dir = argv[0];
	if ((ib.dfd = open(ib.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rso_die(EX_NOINPUT, "%s", ib.dir);
	/* One run per folder: a second waits for nothing and says so. */
	lock = openat(ib.dfd, ".rso-inbox.lock", O_RDWR | O_CREAT | O_CLOEXEC,
	    0600);
	if (lock < 0)
		rso_die(EX_CANTCREAT, "%s", ib.dir);
	if (flock(lock, LOCK_EX | LOCK_NB) != 0)
		rso_diex(EX_TEMPFAIL, "%s: another inbox run is filing this "
		    "folder", ib.dir);
	if (mkdirat(ib.dfd, ".rejected", 0700) != 0 && errno != EEXIST)
		rso_die(EX_CANTCREAT, "%s/.rejected", ib.dir);
	ib.s = rso_store_xopen();
	names = entries(&ib, &n);
	ib.bar = rso_progress_start("inbox", 0);
	for (i = 0; i < n; i++) {
		take_entry(&ib, (int)i + 1, names[i]);
		free(names[i]);
	}
	rso_progress_done(ib.bar);
	free(names);
	rso_store_close(ib.s);
	close(lock);
	close(ib.dfd);
	return ib.status;
}
