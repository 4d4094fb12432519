/* rso-collect: DICOM instances -- their header, their patient, their case. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filing.h"
#include "rso_case.h"
#include "rso_dicom.h"
#include "rso_jsonl.h"
#include "rso_name.h"
#include "rso_state.h"

int
filing_dicom(struct filing_item *it, struct rso_error *e)
{
	unsigned char head[RSO_DICOM_SNIFF_LEN];
	struct rso_dicom_info *d;
	struct rso_error why = { 0 };
	ssize_t n;

	n = pread(it->fd, head, sizeof(head), 0);
	if (n <= 0 || rso_dicom_sniff(head, (size_t)n) == RSO_DICOM_NONE)
		return 0;
	d = rso_xcalloc(1, sizeof(*d));
	if (lseek(it->fd, 0, SEEK_SET) != 0)
		rso_error_set(&why, EX_IOERR, "%s", strerror(errno));
	else
		rso_dicom_read_fd(it->fd, d, &why);
	if (why.status != 0) {
		free(d);
		return rso_error_set(e, why.status, "%s: DICOM: %s", it->where,
		    why.msg);
	}
	if (d->sop_instance_uid[0] == '\0' || d->study_instance_uid[0] == '\0') {
		rso_error_set(e, EX_DATAERR, "%s: DICOM: no %s", it->where,
		    d->sop_instance_uid[0] ? "StudyInstanceUID" :
		    "SOPInstanceUID");
		free(d);
		return EX_DATAERR;
	}
	it->dicom = d;
	it->media_type = "application/dicom";
	return 0;
}

/* The patient's name and birth date as the case has them. */
static int
case_patient(struct rso_store *s, const char *id, json_t **c,
    const char **name, const char **bd)
{
	if (rso_case_get(s, id, c, NULL) != 0)
		return -1;
	*name = rso_json_str(*c, "request.patient.name");
	*bd = rso_json_str(*c, "request.patient.birth_date");
	return 0;
}

static const char *
mismatch(const struct rso_dicom_info *d, const char *name, const char *bd)
{
	char iso[11];

	if (d->patient_name[0] == '\0')
		return "study has no patient name";
	/* A name not wholly decoded is not matched, however it reads. */
	if ((d->flags & RSO_DICOM_CHARSET_UNSUPPORTED) ||
	    strstr(d->patient_name, "\xEF\xBF\xBD") != NULL)
		return "patient name not readable in its character set";
	if (name == NULL || !rso_name_match(d->patient_name, name))
		return "patient name does not match the case";
	if (d->patient_birth_date[0] == '\0' ||
	    rso_dicom_da_to_iso(d->patient_birth_date, iso) != 0)
		return "study has no patient birth date";
	if (bd == NULL || strcmp(iso, bd) != 0)
		return "birth date does not match the case";
	return NULL;
}

void
filing_dicom_check(struct rso_store *s, const char *id,
    struct filing_item *it, size_t n)
{
	const char *name = NULL, *bd = NULL;
	json_t *c = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (it[i].dicom == NULL)
			continue;
		if (c == NULL && case_patient(s, id, &c, &name, &bd) != 0) {
			it[i].held = "case not found";
			continue;
		}
		it[i].held = mismatch(it[i].dicom, name, bd);
	}
	json_decref(c);
}

struct find {
	const struct rso_dicom_info *d;
	struct rso_store *s;
	char id[RSO_CASE_IDLEN];
	int found;
};

static int
consider(json_t *summary, void *ctx)
{
	struct find *f = ctx;
	const char *name, *bd;
	json_t *c;

	if (case_patient(f->s, rso_json_str(summary, "case"), &c, &name,
	    &bd) != 0)
		return 0;
	if (mismatch(f->d, name, bd) == NULL && f->found++ == 0)
		snprintf(f->id, sizeof(f->id), "%s", rso_json_str(c, "case"));
	json_decref(c);
	return 0;
}

int
filing_dicom_find_case(struct rso_store *s, const struct rso_dicom_info *d,
    char *id, const char **why)
{
	struct rso_case_filter f = { (1u << RSO_ST_COLLECTING) |
	    (1u << RSO_ST_READY) | (1u << RSO_ST_ASSIGNED) |
	    (1u << RSO_ST_IN_REVIEW) | (1u << RSO_ST_ON_HOLD), NULL, NULL,
	    NULL };
	struct find fd = { d, s, "", 0 };
	char iso[11];

	if (d->patient_name[0] == '\0' ||
	    rso_dicom_da_to_iso(d->patient_birth_date, iso) != 0) {
		*why = "study has no patient name and birth date to match";
		return -1;
	}
	/* Only the open cases born that day are read: the cost does not
	 * grow with the number of open cases. */
	f.birth_date = iso;
	if (rso_case_list(s, &f, consider, &fd, NULL) != 0) {
		*why = "cases cannot be listed";
		return -1;
	}
	if (fd.found == 1) {
		snprintf(id, RSO_CASE_IDLEN, "%s", fd.id);
		return 0;
	}
	*why = fd.found ? "several open cases match the study's patient" :
	    "no open case matches the study's patient";
	return -1;
}
