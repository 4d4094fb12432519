/* rso-collect: inbox -- gathering an entry: a file, an archive, a folder. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docs.h"
#include "furniture.h"
#include "inbox.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_media.h"

void
items_release(struct items *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		filing_release(&v->it[i]);
	v->n = 0;
}

/* Survey fd (a spool lent by the drop when lent) as one more item. */
static int
push_item(struct inbox *ib, struct arrival *a, int fd, int lent,
    const char *where, struct rso_error *e)
{
	struct filing_item it;
	int rc;

	rc = filing_survey_header(&it, fd, where, e);
	it.lender = lent ? &ib->d : NULL;
	if (rc == EX_DATAERR) {
		/*
		 * A member that looks like DICOM but is no instance (no UIDs,
		 * cut short) is still a file of the entry: filed as one, it
		 * never rejects the instances beside it.
		 */
		rso_note("%s: entry %d: %s (filed as a file, not an instance)",
		    ib->dir, a->k, e->msg);
		it.media_type = "application/octet-stream";
	} else if (rc != 0) {
		filing_release(&it);
		return rc;
	}
	/* A member spooled from an archive: the archive must not change. */
	if (a->container >= 0) {
		it.watch_fd = a->container;
		it.watch = a->container_st;
	}
	return docs_take(ib, a, &it, e);
}

void
inbox_furnish(struct arrival *a, const char *name, long long size,
    const char *sha256)
{
	if (a->furniture == NULL)
		a->furniture = json_array();
	/* As the media named it: a Windows zip's or a tar's names are
	 * bytes of any set, which the event's JSON must still carry. */
	json_array_append_new(a->furniture, json_pack("{s:o, s:I, s:s}",
	    "name", rso_json_text(name), "size", (json_int_t)size, "sha256",
	    sha256));
}

/* Copy the archive's current member to a spool file, or hash it only. */
static int
read_member(struct archive *ar, int out, char *sha256,
    long long *size, struct rso_error *e)
{
	struct rso_sha256 *h = rso_sha256_new();
	char buf[65536];
	la_ssize_t n;

	*size = 0;
	while ((n = archive_read_data(ar, buf, sizeof(buf))) > 0) {
		rso_sha256_update(h, buf, (size_t)n);
		*size += n;
		if (out >= 0 && rso_write_all(out, buf, (size_t)n) != 0) {
			rso_sha256_final_hex(h, sha256);
			return rso_error_set(e, EX_IOERR, "spool: %s",
			    strerror(errno));
		}
	}
	rso_sha256_final_hex(h, sha256);
	return n < 0 ? -1 : 0;
}

static struct archive *
archive_open(int fd)
{
	struct archive *ar = archive_read_new();

	archive_read_support_format_zip(ar);
	archive_read_support_format_iso9660(ar);
	archive_read_support_format_tar(ar);
	archive_read_support_filter_all(ar);
	if (lseek(fd, 0, SEEK_SET) != 0 ||
	    archive_read_open_fd(ar, fd, 65536) != ARCHIVE_OK) {
		archive_read_free(ar);
		return NULL;
	}
	return ar;
}

static int
archive_status(struct archive *ar, int rc, struct rso_error *e)
{
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc == ARCHIVE_WARN || rc == ARCHIVE_FATAL || rc == ARCHIVE_FAILED ||
	    rc == ARCHIVE_RETRY)
		return rso_error_set(e, EX_DATAERR, "archive: %s",
		    archive_error_string(ar) ? "damaged" : "unreadable");
	return rc;
}

/*
 * Read an archive through before filing a byte of it: its members and
 * what they expand to within the limits, so that a bomb is refused whole
 * and costs no more than the limit to find out.
 */
static int
within_limits(struct inbox *ib, int fd, off_t size, struct rso_error *e)
{
	struct archive *ar = archive_open(fd);
	struct archive_entry *ent;
	long long members = 0, total = 0;
	char buf[65536];
	la_ssize_t n = 0;
	int rc;

	if (ar == NULL)
		return rso_error_set(e, EX_DATAERR, "not a readable archive");
	while ((rc = archive_read_next_header(ar, &ent)) == ARCHIVE_OK) {
		if (++members > ib->lim.members) {
			archive_read_free(ar);
			return rso_error_set(e, EX_DATAERR, "archive: more than "
			    "%lld members (inbox.max_members)", ib->lim.members);
		}
		while ((n = archive_read_data(ar, buf, sizeof(buf))) > 0) {
			total += n;
			if (total > ib->lim.expanded) {
				archive_read_free(ar);
				return rso_error_set(e, EX_DATAERR, "archive: "
				    "expands to more than %lld bytes "
				    "(inbox.max_expanded_bytes)", ib->lim.expanded);
			}
			if (total > RATIO_FLOOR && total / (size ? size : 1) >=
			    ib->lim.ratio) {
				archive_read_free(ar);
				return rso_error_set(e, EX_DATAERR, "archive: "
				    "expands to %lld times its size or more "
				    "(inbox.max_ratio)", ib->lim.ratio);
			}
		}
		if (n < 0)
			break;
	}
	rc = n < 0 ? rso_error_set(e, EX_DATAERR, "archive: damaged") :
	    archive_status(ar, rc, e);
	archive_read_free(ar);
	return rc;
}

/* Each regular member of a zip, ISO 9660 or tar, spooled and surveyed. */
static int
gather_archive(struct inbox *ib, int fd, struct arrival *a,
    struct rso_error *e)
{
	struct archive *ar = archive_open(fd);
	struct archive_entry *ent;
	char where[64], sha256[RSO_SHA256_HEXLEN];
	const char *path;
	long long size;
	int rc = 0, out, k = 0, ar_rc;

	if (ar == NULL)
		return rso_error_set(e, EX_DATAERR, "not a readable archive");
	while (rc == 0 && (ar_rc = archive_read_next_header(ar, &ent)) ==
	    ARCHIVE_OK) {
		k++;
		if (archive_entry_filetype(ent) != AE_IFREG)
			continue;	/* folders; links and devices hold no bytes */
		path = archive_entry_pathname(ent);
		snprintf(where, sizeof(where), "member %d", k);
		out = -1;
		if (!furniture_is(ib->furniture, path) &&
		    (out = drop_spool_lend(&ib->d)) < 0) {
			rc = rso_error_set(e, EX_CANTCREAT, "spool: %s",
			    strerror(errno));
			break;
		}
		if ((rc = read_member(ar, out, sha256, &size, e)) != 0) {
			if (out >= 0)
				drop_spool_return(&ib->d, out);
			if (rc == -1)
				rc = rso_error_set(e, EX_DATAERR, "%s: unreadable",
				    where);
			break;
		}
		if (out < 0)
			inbox_furnish(a, path, size, sha256);
		else
			rc = push_item(ib, a, out, 1, where, e);
	}
	if (rc == 0)
		rc = archive_status(ar, ar_rc, e);
	archive_read_free(ar);
	return rc;
}

/* A member of a folder that is media furniture: hashed, not filed. */
static int
furnish_fd(struct arrival *a, int fd, const char *path, const char *where,
    struct rso_error *e)
{
	char sha256[RSO_SHA256_HEXLEN];
	const char *media;
	long long size;

	if (rso_file_survey(fd, sha256, &size, &media) != 0) {
		close(fd);
		return rso_error_set(e, EX_IOERR, "%s: %s", where,
		    strerror(errno));
	}
	close(fd);
	/* The name inside the entry, not the entry's own name. */
	path = strchr(path, '/');
	inbox_furnish(a, path ? path + 1 : "", size, sha256);
	return 0;
}

/*
 * Every regular file below a folder, reached from its descriptor without
 * following links; anything else is reported and left where it is (the
 * folder then stays too).
 */
static int
gather_folder(struct inbox *ib, int dirfd, const char *rel, struct arrival *a,
    int depth, struct rso_error *e)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	struct stat st;
	char where[32], *path;
	int fd, rc = 0;

	if (d == NULL) {
		close(dirfd);
		return rso_error_set(e, EX_IOERR, "folder: %s", strerror(errno));
	}
	if (depth > 16) {
		closedir(d);
		return rso_error_set(e, EX_DATAERR, "folders nested too deep");
	}
	a->dirs = rso_xrealloc(a->dirs, (a->ndirs + 1) * sizeof(*a->dirs));
	a->dirs[a->ndirs++] = rso_xstrdup(rel);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = rso_xasprintf("%s/%s", rel, de->d_name);
		if ((fd = filing_openat(dirfd, de->d_name, &st)) == -1) {
			if (errno != ENOENT)
				rc = rso_error_set(e, EX_IOERR, "folder: %s",
				    strerror(errno));
		} else if (fd == -2) {
			rso_warnx("%s: entry %d: member %d: %s, not a file (left "
			    "alone)", ib->dir, a->k, ++a->members,
			    rso_file_kind(st.st_mode));
			rso_status_set(&ib->status, EX_DATAERR);
		} else if (S_ISDIR(st.st_mode)) {
			rc = gather_folder(ib, fd, path, a, depth + 1, e);
		} else {
			snprintf(where, sizeof(where), "member %d", ++a->members);
			inbox_add_file(ib, a, path, &st);
			rc = furniture_is(ib->furniture, de->d_name) ?
			    furnish_fd(a, fd, path, where, e) :
			    push_item(ib, a, fd, 0, where, e);
		}
		free(path);
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

int
inbox_gather(struct inbox *ib, const char *name, struct arrival *a,
    struct rso_error *e)
{
	struct filing_item probe;
	struct stat st;
	int fd, rc;

	if ((fd = filing_openat(ib->d.dfd, name, &st)) == -1)
		return rso_error_set(e, EX_IOERR, "cannot open: %s",
		    strerror(errno));
	if (fd == -2)
		return rso_error_set(e, EX_TEMPFAIL, "%s, not a file or folder "
		    "(left alone)", rso_file_kind(st.st_mode));
	if (S_ISDIR(st.st_mode))
		return gather_folder(ib, fd, name, a, 0, e);
	inbox_add_file(ib, a, name, &st);
	if ((rc = filing_survey_header(&probe, fd, "entry", e)) != 0) {
		filing_release(&probe);
		return rc;
	}
	if (!is_container(probe.media_type, fd))
		return docs_take(ib, a, &probe, e);
	/* Its members are filed; the archive is watched while they are. */
	a->container = probe.fd;
	a->container_st = probe.watch;
	probe.fd = -1;
	filing_release(&probe);
	if ((rc = within_limits(ib, a->container, st.st_size, e)) != 0)
		return rc;
	/* An XDM zip is filed by its metadata, not member by member. */
	if ((rc = xdm_gather(ib, a->container, a, e)) != 1)
		return rc;
	return gather_archive(ib, a->container, a, e);
}
