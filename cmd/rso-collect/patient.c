/* rso-collect: whose a record is -- a DICOM header's or a document's
 * patient -- and which case is theirs. */
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
#include "rso_records.h"
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

int
filing_patient_of(const struct filing_item *it, struct filing_patient *p)
{
	const struct rso_dicom_info *d = it->dicom;

	memset(p, 0, sizeof(*p));
	if (d != NULL) {
		p->what = "study";
		p->name = d->patient_name;
		if (rso_dicom_da_to_iso(d->patient_birth_date, p->birth_date) != 0)
			p->birth_date[0] = '\0';
		/* A name not wholly decoded is not matched, however it reads. */
		p->unreadable = (d->flags & RSO_DICOM_CHARSET_UNSUPPORTED) ||
		    strstr(d->patient_name, "\xEF\xBF\xBD") != NULL;
		return 0;
	}
	if (it->doc == NULL)
		return -1;
	p->what = "document";
	p->name = it->doc->patient.name;
	memcpy(p->birth_date, it->doc->patient.birth_date,
	    sizeof(p->birth_date));
	p->unreadable = strstr(p->name, "\xEF\xBF\xBD") != NULL;
	p->doc = &it->doc->patient;
	return p->name[0] || p->birth_date[0] || p->doc->nid ? 0 : -1;
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

/* Reasons, by what carries the patient: a study or a document. */
static const char *
reason(const struct filing_patient *p, int k)
{
	static const char *const why[][2] = {
		{ "study has no patient name", "document has no patient name" },
		{ "study has no patient birth date",
		  "document has no patient birth date" },
		{ "study has no patient name and birth date to match",
		  "document has no patient name and birth date to match" },
		{ "several open cases match the study's patient",
		  "several open cases match the document's patient" },
		{ "no open case matches the study's patient",
		  "no open case matches the document's patient" },
	};

	return why[k][strcmp(p->what, "study") != 0];
}

static const char *
mismatch(const struct filing_patient *p, const char *name, const char *bd)
{
	if (p->name == NULL || p->name[0] == '\0')
		return reason(p, 0);
	if (p->unreadable)
		return "patient name not readable in its character set";
	if (name == NULL || !rso_name_match(p->name, name))
		return "patient name does not match the case";
	if (p->birth_date[0] == '\0')
		return reason(p, 1);
	if (bd == NULL || strcmp(p->birth_date, bd) != 0)
		return "birth date does not match the case";
	return NULL;
}

/* Whether one of the document's identifiers is already known for case id. */
static int
known_id(struct rso_store *s, const struct filing_patient *p, const char *id)
{
	char found[RSO_CASE_IDLEN];
	int i;

	for (i = 0; p->doc && i < p->doc->nid; i++)
		if (p->doc->id[i].system[0] && rso_records_case_of_id(s,
		    p->doc->id[i].system, p->doc->id[i].value, found) == 0 &&
		    strcmp(found, id) == 0)
			return 1;
	return 0;
}

void
filing_check_patients(struct rso_store *s, const char *id,
    struct filing_item *it, size_t n)
{
	struct filing_patient p;
	const char *name = NULL, *bd = NULL;
	json_t *c = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (it[i].dicom == NULL && it[i].doc == NULL)
			continue;
		if (c == NULL && case_patient(s, id, &c, &name, &bd) != 0) {
			it[i].held = "case not found";
			continue;
		}
		if (filing_patient_of(&it[i], &p) != 0) {
			/* A document that names no patient at all is filed as
			 * the file it is: its case was named for it. */
			continue;
		}
		/* The identifier lookup only for a patient the name and birth
		 * date do not make the case's: most documents never need it. */
		it[i].held = mismatch(&p, name, bd);
		if (it[i].held != NULL && known_id(s, &p, id))
			it[i].held = NULL;
	}
	json_decref(c);
}

struct find {
	const struct filing_patient *p;
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
	if (mismatch(f->p, name, bd) == NULL && f->found++ == 0)
		snprintf(f->id, sizeof(f->id), "%s", rso_json_str(c, "case"));
	json_decref(c);
	return 0;
}

/* The one open case that knows one of the patient's identifiers. */
static int
find_by_id(struct rso_store *s, const struct filing_patient *p, char *id)
{
	int i;

	for (i = 0; p->doc && i < p->doc->nid; i++)
		if (p->doc->id[i].system[0] && rso_records_case_of_id(s,
		    p->doc->id[i].system, p->doc->id[i].value, id) == 0)
			return 0;
	return -1;
}

int
filing_find_case(struct rso_store *s, const struct filing_patient *p,
    char *id, const char **why)
{
	struct rso_case_filter f = { (1u << RSO_ST_COLLECTING) |
	    (1u << RSO_ST_READY) | (1u << RSO_ST_ASSIGNED) |
	    (1u << RSO_ST_IN_REVIEW) | (1u << RSO_ST_ON_HOLD), NULL, NULL,
	    NULL };
	struct find fd = { p, s, "", 0 };

	/* An identifier a record of an open case already carried wins. */
	if (find_by_id(s, p, id) == 0)
		return 0;
	if (p->name == NULL || p->name[0] == '\0' || p->birth_date[0] == '\0') {
		*why = reason(p, 2);
		return -1;
	}
	/* Only the open cases born that day are read: the cost does not
	 * grow with the number of open cases. */
	f.birth_date = p->birth_date;
	if (rso_case_list(s, &f, consider, &fd, NULL) != 0) {
		*why = "cases cannot be listed";
		return -1;
	}
	if (fd.found == 1) {
		snprintf(id, RSO_CASE_IDLEN, "%s", fd.id);
		return 0;
	}
	*why = reason(p, fd.found ? 3 : 4);
	return -1;
}
