/* rso-collect: scan -- what DICOM a folder or file holds, without filing. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_dicom.h"
#include "rso_err.h"
#include "rso_opt.h"
#include "verbs.h"

static json_t *
instance_line(const char *path, const struct rso_dicom_info *d)
{
	char iso[11];
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "file", path,
	    "study", d->study_instance_uid, "series", d->series_instance_uid,
	    "sop", d->sop_instance_uid);

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
scan_path(const char *path, const char *where, int depth)
{
	struct dirent **ents;
	struct stat st;
	char *sub, subwhere[96];
	int fd, n, i, k = 0, status = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		rso_warnx("%s: %s", where, strerror(errno));
		if (fd >= 0)
			close(fd);
		return depth ? EX_IOERR : EX_NOINPUT;
	}
	if (S_ISREG(st.st_mode)) {
		status = scan_file(fd, path, where);
		close(fd);
		return status;
	}
	close(fd);
	if (!S_ISDIR(st.st_mode) || depth > 16)
		return 0;
	/* In name order, so that a re-run lists the same lines in the same order. */
	if ((n = scandir(path, &ents, NULL, alphasort)) < 0) {
		rso_warnx("%s: %s", where, strerror(errno));
		return EX_IOERR;
	}
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			sub = rso_xasprintf("%s/%s", path, ents[i]->d_name);
			snprintf(subwhere, sizeof(subwhere), "%.60s: file %d",
			    where, ++k);
			rso_status_set(&status, scan_path(sub, depth ? where :
			    subwhere, depth + 1));
			free(sub);
		}
		free(ents[i]);
	}
	free(ents);
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
		rso_status_set(&status, scan_path(argv[i], where, 0));
	}
	return status;
}
