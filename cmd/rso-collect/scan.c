/* rso-collect: scan -- what DICOM a folder or file holds, without filing. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filing.h"
#include "rso_dicom.h"
#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_opt.h"
#include "verbs.h"

static json_t *
instance_line(const char *path, const struct rso_dicom_info *d)
{
	char iso[11];
	/* A folder copied from another machine names files in any set. */
	json_t *o = json_pack("{s:o, s:s, s:s, s:s}", "file",
	    rso_json_text(path), "study", d->study_instance_uid, "series",
	    d->series_instance_uid, "sop", d->sop_instance_uid);

#define SET(k, v) if ((v)[0]) json_object_set_new(o, k, json_string(v))
	if (rso_dicom_da_to_iso(d->study_date, iso) == 0)
		json_object_set_new(o, "date", json_string(iso));
	SET("modality", d->modality);
	SET("body_part", d->body_part_examined);
	SET("description", d->study_description);
	SET("patient_name", d->patient_name);
	SET("patient_id", d->patient_id);
	if (rso_dicom_da_to_iso(d->patient_birth_date, iso) == 0)
		json_object_set_new(o, "birth_date", json_string(iso));
	SET("transfer_syntax", d->transfer_syntax_uid);
	SET("charset", d->specific_character_set);
#undef SET
	/* Text that is not exactly what the file holds says so. */
	if (d->flags & RSO_DICOM_CHARSET_GUESSED)
		json_object_set_new(o, "charset_guessed", json_true());
	if (d->flags & RSO_DICOM_CHARSET_UNSUPPORTED)
		json_object_set_new(o, "charset_unsupported", json_true());
	if (d->flags & RSO_DICOM_LOSSY)
		json_object_set_new(o, "lossy", json_true());
	return o;
}

/*
 * One file: a line for DICOM, nothing for anything else.  Errors name the
 * operand and the file's place under it, never the file's name, which may
 * carry a patient's.
 */
static int
scan_file(int fd, const char *path, const char *where)
{
	unsigned char head[RSO_DICOM_SNIFF_LEN];
	struct rso_dicom_info d;
	struct rso_error e;
	ssize_t n = pread(fd, head, sizeof(head), 0);

	if (n < 0) {
		rso_warnx("%s: %s", where, strerror(errno));
		return EX_IOERR;
	}
	if (rso_dicom_sniff(head, (size_t)n) == RSO_DICOM_NONE)
		return 0;
	if (rso_dicom_read_fd(fd, &d, &e) != 0) {
		rso_warnx("%s: DICOM: %s", where, e.msg);
		return e.status;
	}
	return collect_emit(instance_line(path, &d));
}

static int
by_alpha(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of a folder's entries but dot names, sorted (free each). */
static char **
folder_names(int fd, size_t *n)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	char **v = NULL;

	*n = 0;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			v = rso_xrealloc(v, (*n + 1) * sizeof(*v));
			v[(*n)++] = rso_xstrdup(de->d_name);
		}
	closedir(d);
	if (v == NULL)
		v = rso_xcalloc(1, sizeof(*v));
	/* In name order, so that a re-run lists the same lines in the same order. */
	qsort(v, *n, sizeof(*v), by_alpha);
	return v;
}

/*
 * name under dirfd (path for output), reached without following a link
 * or opening what is not a regular file or folder: those are reported.
 */
static int
scan_at(int dirfd, const char *name, const char *path, const char *where,
    int depth)
{
	struct stat st;
	char *sub, subwhere[96], **names;
	size_t n, i;
	int fd, k = 0, status = 0;

	if ((fd = filing_openat(dirfd, name, &st)) == -1) {
		rso_warnx("%s: %s", where, strerror(errno));
		return depth ? EX_IOERR : EX_NOINPUT;
	}
	if (fd == -2) {
		rso_warnx("%s: %s, not a file or folder (left alone)", where,
		    rso_file_kind(st.st_mode));
		return EX_DATAERR;
	}
	if (S_ISREG(st.st_mode)) {
		status = scan_file(fd, path, where);
		close(fd);
		return status;
	}
	if (depth > 16) {
		close(fd);
		return 0;
	}
	/* fdopendir takes its descriptor: the folder's own stays ours. */
	if ((names = folder_names(dup(fd), &n)) == NULL) {
		rso_warnx("%s: %s", where, strerror(errno));
		close(fd);
		return EX_IOERR;
	}
	for (i = 0; i < n; i++) {
		sub = rso_xasprintf("%s/%s", path, names[i]);
		snprintf(subwhere, sizeof(subwhere), "%.60s: file %d", where,
		    ++k);
		rso_status_set(&status, scan_at(fd, names[i], sub, depth ? where :
		    subwhere, depth + 1));
		free(sub);
		free(names[i]);
	}
	free(names);
	close(fd);
	return status;
}

int
collect_scan(int argc, char **argv)
{
	char where[32];
	int i, status = 0;

	collect_getopt(&argc, &argv, "", (const struct option[]){ RSO_OPT_LONG,
	    { 0 } }, NULL);
	if (argc < 1) {
		collect_usage(stderr, 0);
		return EX_USAGE;
	}
	for (i = 0; i < argc; i++) {
		snprintf(where, sizeof(where), "argument %d", i + 1);
		rso_status_set(&status, scan_at(AT_FDCWD, argv[i], argv[i], where,
		    0));
	}
	return status;
}
