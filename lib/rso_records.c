/* rso_records: record requests, follow-ups, and the index of records. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "rso_arc.h"
#include "rso_case.h"
#include "rso_casearc.h"
#include "rso_event.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_records.h"
#include "rso_request.h"
#include "rso_store_priv.h"
#include "rso_time.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* A column as text, "" for NULL. */
#define col(st, i) rso_store_col((st), (i))

/* A column as text, or NULL. */
#define col_or_null(st, i) ((const char *)sqlite3_column_text((st), (i)))

int
rso_token_valid(const char *s)
{
	int i;

	if (strncmp(s, "REQ-", 4) != 0 || strlen(s) != RSO_TOKEN_LEN - 1)
		return 0;
	for (i = 4; s[i]; i++)
		if (strchr(crockford, s[i]) == NULL)
			return 0;
	return 1;
}

static void
new_token(char *tok)
{
	unsigned char r[6];
	int i;

	rso_gcrypt_init();
	gcry_create_nonce(r, sizeof(r));
	memcpy(tok, "REQ-", 4);
	for (i = 0; i < 6; i++)
		tok[4 + i] = crockford[r[i] & 31];
	tok[10] = '\0';
}

json_t *
rso_contact_parse(const char *arg)
{
	static const char *const methods[] = { "fax", "mail", "email", "portal",
	    "upload", NULL };
	const char *colon = strchr(arg, ':');
	char method[16];
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	int i;

	if (n == 0 || n >= sizeof(method))
		return NULL;
	memcpy(method, arg, n);
	method[n] = '\0';
	for (i = 0; methods[i]; i++)
		if (strcmp(methods[i], method) == 0)
			break;
	if (methods[i] == NULL)
		return NULL;
	if (strcmp(method, "upload") == 0)
		return json_pack("{s:s}", "method", method);
	if (colon == NULL || colon[1] == '\0')
		return NULL;
	return json_pack("{s:s, s:s}", "method", method, method, colon + 1);
}

static int
check_request(const json_t *req, struct rso_error *e)
{
	const json_t *c = json_object_get(req, "contact"), *st, *x;
	const char *m = rso_json_str(c, "method");
	char path[256];
	rso_time_t t;
	size_t i;

	/* Options (--provider, --what, --contact) as well as lines. */
	if (rso_json_find_control(req, path, sizeof(path)))
		return rso_error_set(e, EX_DATAERR, "%s: control character",
		    path);
	if (!json_is_string(json_object_get(req, "provider")) ||
	    json_string_length(json_object_get(req, "provider")) == 0)
		return rso_error_set(e, EX_DATAERR, "provider: missing");
	if (!json_is_object(c) || m == NULL)
		return rso_error_set(e, EX_DATAERR, "contact: missing method");
	/* The letter goes by the method named, to that method's address. */
	if (strcmp(m, "upload") != 0 && (rso_json_str(c, m) == NULL ||
	    *rso_json_str(c, m) == '\0'))
		return rso_error_set(e, EX_DATAERR, "contact.%s: missing (the "
		    "method's address)", m);
	if (strcmp(m, "email") == 0 && !rso_email_valid(rso_json_str(c, m)))
		return rso_error_set(e, EX_DATAERR, "contact.email: not an "
		    "email address");
	if (strcmp(m, "fax") && strcmp(m, "mail") && strcmp(m, "email") &&
	    strcmp(m, "portal") && strcmp(m, "upload"))
		return rso_error_set(e, EX_DATAERR, "contact.method: not one of "
		    "fax, mail, email, portal, upload");
	if (!json_is_string(json_object_get(req, "what")) ||
	    json_string_length(json_object_get(req, "what")) == 0)
		return rso_error_set(e, EX_DATAERR, "what: missing");
	st = json_object_get(req, "studies");
	if (st != NULL && !json_is_array(st))
		return rso_error_set(e, EX_DATAERR, "studies: not a list");
	json_array_foreach(st, i, x) {
		if (!json_is_object(x))
			return rso_error_set(e, EX_DATAERR, "studies.%zu: not an "
			    "object", i);
		if (rso_json_str(x, "date") && rso_date_parse(rso_json_str(x,
		    "date"), &t) != 0)
			return rso_error_set(e, EX_DATAERR, "studies.%zu.date: not "
			    "a date (YYYY-MM-DD)", i);
		if (!json_is_string(json_object_get(x, "modality")))
			return rso_error_set(e, EX_DATAERR, "studies.%zu.modality: "
			    "missing", i);
	}
	return 0;
}

static int
existing_request(struct rso_store *s, const char *id, const json_t *req,
    char *tok)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT token FROM"
	    " record_requests WHERE case_id = ? AND provider = ? AND what = ?");
	int found;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rso_json_str(req, "provider"), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rso_json_str(req, "what"), -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		snprintf(tok, RSO_TOKEN_LEN, "%s", col(st, 0));
	sqlite3_finalize(st);
	return found;
}

static int
insert_request(struct rso_store *s, const char *id, const json_t *req,
    char *tok, struct rso_error *e)
{
	char now[RSO_TIME_STRLEN];
	char *contact = rso_json_canonical(json_object_get(req, "contact"));
	char *studies = json_object_get(req, "studies") ?
	    rso_json_canonical(json_object_get(req, "studies")) : NULL;
	sqlite3_stmt *st;
	int rc, tries;

	rso_time_format(rso_now(), now);
	/* 32^6 tokens: a collision is rare, and the key makes it safe. */
	for (tries = 0; tries < 8; tries++) {
		new_token(tok);
		st = rso_store_prepare(s, "INSERT INTO record_requests (token,"
		    " case_id, provider, method, contact, what, studies, status,"
		    " created, last_contact, attempts)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, 1)");
		sqlite3_bind_text(st, 1, tok, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, rso_json_str(req, "provider"), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 4, rso_json_str(req, "contact.method"), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 5, contact, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, rso_json_str(req, "what"), -1,
		    SQLITE_STATIC);
		if (studies)
			sqlite3_bind_text(st, 7, studies, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, now, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_CONSTRAINT)
			break;
	}
	free(contact);
	free(studies);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_request_records(struct rso_store *s, const char *id, const json_t *req,
    json_t **out, struct rso_error *e)
{
	char tok[RSO_TOKEN_LEN];
	struct rso_state st;
	json_t *data;
	int rc, existing;

	*out = NULL;
	if ((rc = check_request(req, e)) != 0)
		return rc;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	if ((rc = rso_case_state(s, id, &st, e)) != 0)
		goto fail;
	if (!rso_status_is_open(st.status)) {
		rc = rso_error_set(e, EX_DATAERR, "%s: cannot request records for "
		    "a case that is %s", id, rso_status_name(st.status));
		goto fail;
	}
	if ((rc = rso_consent_covers(s, id, rso_json_str(req, "provider"), e)))
		goto fail;
	existing = existing_request(s, id, req, tok);
	if (!existing) {
		if ((rc = insert_request(s, id, req, tok, e)) != 0)
			goto fail;
		data = json_pack("{s:s, s:s, s:s, s:s}", "token", tok,
		    "provider", rso_json_str(req, "provider"), "method",
		    rso_json_str(req, "contact.method"), "what",
		    rso_json_str(req, "what"));
		rc = rso_case_event(s, id, "records.requested", data, e);
		json_decref(data);
		if (rc != 0)
			goto fail;
	}
	if ((rc = rso_store_commit(s, e)) != 0)
		goto fail;
	*out = json_pack("{s:s, s:s, s:s, s:s}", "case", id, "token", tok,
	    "provider", rso_json_str(req, "provider"), "status", "open");
	if (existing)
		json_object_set_new(*out, "existing", json_true());
	return 0;
fail:
	rso_store_rollback(s);
	return rc;
}

static json_t *
patient_of(struct rso_store *s, const char *id)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT"
	    " json_extract(intake, '$.patient.name'),"
	    " json_extract(intake, '$.patient.birth_date') FROM cases WHERE id = ?");
	json_t *p = json_object();

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		json_object_set_new(p, "name", json_string(col(st, 0)));
		json_object_set_new(p, "birth_date", json_string(col(st, 1)));
	}
	sqlite3_finalize(st);
	return p;
}

/*
 * The stored contact as the mailer may use it: the method and that
 * method's address only, so that a provider who also gave an email
 * address is not emailed when the request says fax.
 */
static json_t *
by_method(const char *stored)
{
	json_t *c = json_loads(stored, 0, NULL), *out;
	const char *m = rso_json_str(c, "method");

	out = json_pack("{s:s?}", "method", m);
	if (m != NULL && json_object_get(c, m) != NULL)
		json_object_set(out, m, json_object_get(c, m));
	json_decref(c);
	return out;
}

int
rso_requests_due(struct rso_store *s, int64_t older, rso_records_fn *fn,
    void *ctx, struct rso_error *e)
{
	long long max = rso_store_conf_int(s, "followup.max_attempts", 4);
	const char *staff = rso_store_conf_str(s, "mail.staff", NULL);
	char cutoff[RSO_TIME_STRLEN];
	sqlite3_stmt *st;
	json_t *line;
	long long attempts;
	int rc, frc = 0;

	rso_time_format(rso_now() - older, cutoff);
	/* Cases that are cancelled or closed are not chased any more. */
	st = rso_store_prepare(s, "SELECT r.token, r.case_id, r.provider,"
	    " r.contact, r.what, r.attempts, r.last_contact FROM record_requests r"
	    " JOIN cases c ON c.id = r.case_id"
	    " WHERE r.status = 'open' AND r.last_contact <= ?"
	    " AND c.status NOT IN ('cancelled', 'closed', 'on-hold')"
	    " AND NOT EXISTS (SELECT 1 FROM followups f WHERE f.token = r.token"
	    "   AND f.kind = 'escalate')"
	    " ORDER BY r.last_contact, r.token");
	sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		attempts = sqlite3_column_int64(st, 5);
		if (attempts >= max)
			line = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s?, s:s}",
			    "kind", "escalate", "case", col(st, 1),
			    "token", col(st, 0), "provider", col(st, 2),
			    "attempt", (json_int_t)attempts, "to", staff,
			    "last_contact", col(st, 6));
		else
			line = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:o,"
			    " s:s}", "kind", "records-followup", "case", col(st, 1),
			    "token", col(st, 0), "provider", col(st, 2),
			    "contact", by_method(col(st, 3)),
			    "what", col(st, 4), "attempt", (json_int_t)attempts + 1,
			    "patient", patient_of(s, col(st, 1)),
			    "last_contact", col(st, 6));
		frc = fn(line, ctx);
		json_decref(line);
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

int
rso_followup_sent(struct rso_store *s, const json_t *line, int *recorded,
    struct rso_error *e)
{
	const char *tok = rso_json_str(line, "token");
	const char *kind = rso_json_str(line, "kind");
	json_t *attempt = json_object_get(line, "attempt"), *data;
	char now[RSO_TIME_STRLEN], id[RSO_CASE_IDLEN];
	sqlite3_stmt *st;
	int rc;

	*recorded = 0;
	if (tok == NULL || !rso_token_valid(tok))
		return rso_error_set(e, EX_DATAERR, "token: not a request token");
	if (kind == NULL || (strcmp(kind, "records-followup") &&
	    strcmp(kind, "escalate")))
		return rso_error_set(e, EX_DATAERR,
		    "kind: not records-followup or escalate");
	if (!json_is_integer(attempt) || json_integer_value(attempt) < 1)
		return rso_error_set(e, EX_DATAERR, "attempt: not a number");
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	st = rso_store_prepare(s, "SELECT case_id FROM record_requests"
	    " WHERE token = ?");
	sqlite3_bind_text(st, 1, tok, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(id, sizeof(id), "%s", col(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		rso_store_rollback(s);
		return rso_error_set(e, EX_DATAERR, "%s: no such request", tok);
	}
	rso_time_format(rso_now(), now);
	st = rso_store_prepare(s, "INSERT OR IGNORE INTO followups (token,"
	    " attempt, kind, sent) VALUES (?, ?, ?, ?)");
	sqlite3_bind_text(st, 1, tok, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, json_integer_value(attempt));
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_changes(rso_store_db(s)) == 0) {
		rso_store_rollback(s);
		return 0;
	}
	st = rso_store_prepare(s, "UPDATE record_requests SET last_contact = ?,"
	    " attempts = max(attempts, ?) WHERE token = ?");
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, strcmp(kind, "escalate") == 0 ? 0 :
	    json_integer_value(attempt));
	sqlite3_bind_text(st, 3, tok, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	data = json_pack("{s:s, s:O, s:s?}", "token", tok, "attempt", attempt,
	    "to", rso_json_str(line, "mailed_to"));
	rc = rso_event_append(s, id, strcmp(kind, "escalate") == 0 ?
	    "records.escalated" : "records.followup", data, NULL, e);
	json_decref(data);
	if (rc == 0 && (rc = rso_store_commit(s, e)) == 0)
		*recorded = 1;
	if (rc != 0)
		rso_store_rollback(s);
	return rc;
fail:
	rc = rso_store_sqlerr(s, rc, e);
	rso_store_rollback(s);
	return rc;
}

/* Whether a study asked for has arrived: same date and modality. */
static int
study_arrived(struct rso_store *s, const char *id, const json_t *study)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT 1 FROM records"
	    " WHERE case_id = ? AND study_uid IS NOT NULL AND held IS NULL"
	    " AND (?2 IS NULL OR study_date = ?2)"
	    " AND (?3 IS NULL OR modality = ?3) LIMIT 1");
	int found;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (rso_json_str(study, "date"))
		sqlite3_bind_text(st, 2, rso_json_str(study, "date"), -1,
		    SQLITE_STATIC);
	if (rso_json_str(study, "modality"))
		sqlite3_bind_text(st, 3, rso_json_str(study, "modality"), -1,
		    SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int
rso_records_missing(struct rso_store *s, const char *id, rso_records_fn *fn,
    void *ctx, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT token, provider, what,"
	    " created, attempts, status, studies FROM record_requests"
	    " WHERE case_id = ? AND status != 'closed' ORDER BY created, token");
	json_t *line, *studies, *study;
	struct rso_state state;
	size_t i;
	int rc, frc = 0;

	if ((rc = rso_case_state(s, id, &state, e)) != 0) {
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		line = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "case", id,
		    "token", col(st, 0), "provider", col(st, 1),
		    "what", col(st, 2), "requested", col(st, 3),
		    "attempts", (json_int_t)sqlite3_column_int64(st, 4));
		if (strcmp(col(st, 5), "open") == 0) {
			json_object_set_new(line, "missing", json_string("request"));
			frc = fn(line, ctx);
		}
		studies = col_or_null(st, 6) ? json_loads(col(st, 6), 0, NULL) :
		    NULL;
		json_array_foreach(studies, i, study) {
			if (frc || study_arrived(s, id, study))
				continue;
			json_object_set_new(line, "missing", json_string("study"));
			json_object_set(line, "study", study);
			frc = fn(line, ctx);
		}
		json_decref(studies);
		json_decref(line);
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

int
rso_records_list(struct rso_store *s, const char *id, rso_records_fn *fn,
    void *ctx, struct rso_error *e)
{
	sqlite3_stmt *st;
	struct rso_state state;
	json_t *line;
	int rc, frc = 0;

	if ((rc = rso_case_state(s, id, &state, e)) != 0)
		return rc;
	st = rso_store_prepare(s, "SELECT printf('%04d', item), name, type,"
	    " source, date, media_type, size, sha256, held FROM records"
	    " WHERE case_id = ? AND study_uid IS NULL ORDER BY item");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		line = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:I, s:s}",
		    "case", id, "item", col(st, 0), "name", col(st, 1),
		    "type", col(st, 2), "source", col_or_null(st, 3),
		    "date", col_or_null(st, 4), "media_type", col(st, 5),
		    "size", (json_int_t)sqlite3_column_int64(st, 6),
		    "sha256", col(st, 7));
		if (col_or_null(st, 8))
			json_object_set_new(line, "held", json_string(col(st, 8)));
		frc = fn(line, ctx);
		json_decref(line);
	}
	sqlite3_finalize(st);
	if (frc || rc != SQLITE_DONE)
		return frc ? frc : rso_store_sqlerr(s, rc, e);
	st = rso_store_prepare(s, "SELECT study_uid, max(study_date),"
	    " max(modality), max(body_part), max(study_desc), count(*),"
	    " sum(size), max(held) FROM records WHERE case_id = ?"
	    " AND study_uid IS NOT NULL GROUP BY study_uid"
	    " ORDER BY min(item)");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		line = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:I, s:I}",
		    "case", id, "study", col(st, 0), "date", col_or_null(st, 1),
		    "modality", col_or_null(st, 2), "body_part",
		    col_or_null(st, 3), "description", col_or_null(st, 4),
		    "instances", (json_int_t)sqlite3_column_int64(st, 5),
		    "size", (json_int_t)sqlite3_column_int64(st, 6));
		if (col_or_null(st, 7))
			json_object_set_new(line, "held", json_string(col(st, 7)));
		frc = fn(line, ctx);
		json_decref(line);
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

static long long
filed_count(struct rso_store *s, const char *id)
{
	return rso_store_int(s, "SELECT count(*) FROM records"
	    " WHERE case_id = ? AND held IS NULL", id);
}

int
rso_records_complete(struct rso_store *s, const char *id, int *already,
    struct rso_error *e)
{
	struct rso_state st;
	json_t *data;
	long long n;
	int rc;

	*already = 0;
	if ((rc = rso_case_state(s, id, &st, e)) != 0)
		return rc;
	if (st.status == RSO_ST_COLLECTING && (n = filed_count(s, id)) == 0)
		return rso_error_set(e, EX_DATAERR, "%s: no records filed yet",
		    id);
	n = filed_count(s, id);
	data = json_pack("{s:I}", "records", (json_int_t)n);
	rc = rso_case_move(s, id, "records.complete", data, already, e);
	json_decref(data);
	return rc;
}

int
rso_record_type_valid(const char *s)
{
	static const char *const types[] = { "note", "lab", "pathology",
	    "imaging", "report", "consent", "opinion", "other", NULL };
	int i;

	for (i = 0; types[i]; i++)
		if (strcmp(types[i], s) == 0)
			return 1;
	return 0;
}

int
rso_records_next_item(struct rso_store *s, const char *id)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT coalesce(max(item), 0)"
	    " FROM records WHERE case_id = ?");
	int n = 0;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n + 1;
}

int
rso_records_known(struct rso_store *s, const char *id, const char *sha256,
    const char *sop_uid)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT item FROM records"
	    " WHERE case_id = ?1 AND (sha256 = ?2 OR (?3 IS NOT NULL AND"
	    " sop_uid = ?3)) LIMIT 1");
	int item = 0;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sha256, -1, SQLITE_STATIC);
	if (sop_uid)
		sqlite3_bind_text(st, 3, sop_uid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		item = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return item;
}

static void
bind_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int
mark_received(struct rso_store *s, const char *id, const char *tok,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "UPDATE record_requests SET"
	    " status = 'received', received = coalesce(received, ?)"
	    " WHERE token = ? AND case_id = ? AND status != 'closed'");
	char now[RSO_TIME_STRLEN];
	int rc, n;

	sqlite3_bind_text(st, 1, rso_time_format(rso_now(), now), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tok, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	n = sqlite3_changes(rso_store_db(s));
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	return n ? 0 : rso_error_set(e, EX_DATAERR, "%s: no request %s for this "
	    "case", id, tok);
}

int
rso_records_manifest(struct rso_store *s, const char *id, rso_records_fn *fn,
    void *ctx, struct rso_error *e)
{
	sqlite3_stmt *st;
	json_t *line;
	int i, rc, frc = 0;

	/* The members are the columns, by name; NULL ones are left out. */
	st = rso_store_prepare(s, "SELECT item, name, type, source, date, sha256,"
	    " media_type, size, study_uid, series_uid, sop_uid, modality,"
	    " body_part, study_date, study_desc FROM records WHERE case_id = ?"
	    " AND held IS NULL ORDER BY item");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		line = json_object();
		for (i = 0; i < sqlite3_column_count(st); i++)
			if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
				json_object_set_new(line, sqlite3_column_name(st, i),
				    json_integer(sqlite3_column_int64(st, i)));
			else if (col_or_null(st, i))
				json_object_set_new(line, sqlite3_column_name(st, i),
				    json_string(col(st, i)));
		frc = fn(line, ctx);
		json_decref(line);
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

int
rso_records_series(struct rso_store *s, const char *id, rso_records_fn *fn,
    void *ctx, struct rso_error *e)
{
	sqlite3_stmt *st;
	json_t *line;
	int rc, frc = 0;

	/* With min() the only aggregate, SQLite takes the bare modality
	 * from the row of the series' first item. */
	st = rso_store_prepare(s, "SELECT coalesce(study_uid, ''), series_uid,"
	    " modality, count(*), min(item) AS first FROM records"
	    " WHERE case_id = ?1 AND held IS NULL AND sop_uid IS NOT NULL"
	    " AND series_uid IS NOT NULL GROUP BY study_uid, series_uid"
	    " ORDER BY first");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		line = json_pack("{s:s, s:s, s:I}", "study_uid", col(st, 0),
		    "series_uid", col(st, 1), "instances",
		    (json_int_t)sqlite3_column_int64(st, 3));
		if (col_or_null(st, 2))
			json_object_set_new(line, "modality",
			    json_string(col(st, 2)));
		frc = fn(line, ctx);
		json_decref(line);
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

/* A manifest member that must be a non-empty string, or may be absent. */
static int
manifest_str(const json_t *line, const char *key, int required,
    const char **out, char *why, size_t n)
{
	const json_t *v = json_object_get(line, key);

	*out = NULL;
	if (v == NULL && !required)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0) {
		snprintf(why, n, "%s: %s", key, v ? "not a string" : "missing");
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int
rso_record_from_manifest(const json_t *line, struct rso_record *r, char *why,
    size_t n)
{
	const json_t *item = json_object_get(line, "item");
	const json_t *size = json_object_get(line, "size");
	static const char *const opt[] = { "source", "date", "study_uid",
		"series_uid", "sop_uid", "modality", "body_part", "study_date",
		"study_desc" };
	const char **optp[] = { &r->source, &r->date, &r->study_uid,
		&r->series_uid, &r->sop_uid, &r->modality, &r->body_part,
		&r->study_date, &r->study_desc };
	char num[32];
	size_t i;

	memset(r, 0, sizeof(*r));
	/* Items run past 9999 in a large study ("records/10000-..."). */
	if (!json_is_integer(item) || json_integer_value(item) < 1 ||
	    json_integer_value(item) > INT_MAX) {
		snprintf(why, n, "item: not a whole number from 1");
		return -1;
	}
	r->item = (int)json_integer_value(item);
	if (!json_is_integer(size) || json_integer_value(size) < 0) {
		snprintf(why, n, "size: not a size");
		return -1;
	}
	r->size = json_integer_value(size);
	if (manifest_str(line, "name", 1, &r->name, why, n) ||
	    manifest_str(line, "type", 1, &r->type, why, n) ||
	    manifest_str(line, "sha256", 1, &r->sha256, why, n) ||
	    manifest_str(line, "media_type", 1, &r->media_type, why, n))
		return -1;
	for (i = 0; i < sizeof(opt) / sizeof(opt[0]); i++)
		if (manifest_str(line, opt[i], 0, optp[i], why, n))
			return -1;
	if (!rso_record_type_valid(r->type)) {
		snprintf(why, n, "type: not a record type");
		return -1;
	}
	if (strlen(r->sha256) != 64 || strspn(r->sha256, "0123456789abcdef") !=
	    64) {
		snprintf(why, n, "sha256: not 64 hex digits");
		return -1;
	}
	if (strncmp(r->name, "records/", 8) != 0 || !rso_seg_name_ok(r->name)) {
		snprintf(why, n, "name: not a records/ entry");
		return -1;
	}
	/* Its item begins its name, as filing names it: an entry is found
	 * by its item. */
	snprintf(num, sizeof(num), "records/%04d-", r->item);
	if (strncmp(r->name, num, strlen(num)) != 0) {
		snprintf(why, n, "name: does not begin with its item");
		return -1;
	}
	if ((r->sop_uid != NULL) != (r->study_uid != NULL)) {
		snprintf(why, n, "sop_uid: a DICOM instance needs both UIDs");
		return -1;
	}
	return 0;
}

/* One record into records, added at now; a request token marked
 * received. */
static int
insert_record(struct rso_store *s, const char *id, const struct rso_record *r,
    const char *now, struct rso_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (r->request_token && (rc = mark_received(s, id, r->request_token,
	    e)) != 0)
		return rc;
	st = rso_store_cached(s, "INSERT INTO records (case_id, item,"
	    " name, segment, type, source, date, sha256, media_type, size,"
	    " request_token, study_uid, series_uid, sop_uid, modality,"
	    " body_part, study_date, study_desc, held, added, pid_system,"
	    " pid_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, r->item);
	sqlite3_bind_text(st, 3, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->segment, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->type, -1, SQLITE_STATIC);
	bind_or_null(st, 6, r->source);
	bind_or_null(st, 7, r->date);
	sqlite3_bind_text(st, 8, r->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->media_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, r->size);
	bind_or_null(st, 11, r->request_token);
	bind_or_null(st, 12, r->study_uid);
	bind_or_null(st, 13, r->series_uid);
	bind_or_null(st, 14, r->sop_uid);
	bind_or_null(st, 15, r->modality);
	bind_or_null(st, 16, r->body_part);
	bind_or_null(st, 17, r->study_date);
	bind_or_null(st, 18, r->study_desc);
	bind_or_null(st, 19, r->held);
	sqlite3_bind_text(st, 20, now, -1, SQLITE_STATIC);
	bind_or_null(st, 21, r->pid_value ? r->pid_system : NULL);
	bind_or_null(st, 22, r->pid_system ? r->pid_value : NULL);
	rc = sqlite3_step(st);
	rso_store_done(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

/* The records.filed event of segment: its items, how many held. */
static int
filed_event(struct rso_store *s, const char *id, const char *segment,
    json_t *items, int held, const struct rso_seg_sum *sum,
    struct rso_error *e)
{
	json_t *data = json_pack("{s:s, s:o, s:I}", "segment", segment,
	    "items", items, "held", (json_int_t)held);
	int rc = 0;

	if (sum == NULL || (rc = rso_casearc_bind(s, id, sum, data, e)) == 0)
		rc = rso_case_event(s, id, "records.filed", data, e);
	json_decref(data);
	return rc;
}

int
rso_records_put(struct rso_store *s, const char *id,
    const struct rso_record *recs, size_t n, const struct rso_seg_sum *sum,
    struct rso_error *e)
{
	char now[RSO_TIME_STRLEN];
	json_t *items = json_array();
	size_t i;
	int rc = 0, held = 0;

	rso_time_format(rso_now(), now);
	for (i = 0; i < n && rc == 0; i++) {
		rc = insert_record(s, id, &recs[i], now, e);
		held += recs[i].held != NULL;
		json_array_append_new(items, json_integer(recs[i].item));
	}
	if (rc != 0) {
		json_decref(items);
		return rc;
	}
	return filed_event(s, id, recs[0].segment, items, held, sum, e);
}

int
rso_records_put_one(struct rso_store *s, const char *id,
    const struct rso_record *r, struct rso_error *e)
{
	char now[RSO_TIME_STRLEN];
	struct rso_record pending = *r;

	rso_time_format(rso_now(), now);
	pending.segment = "";
	return insert_record(s, id, &pending, now, e);
}

/* Pending records given their segment, at most this many a statement:
 * SQLite journals in memory the pages a statement changes inside a
 * transaction (temp_store is MEMORY), 9.7 MB for 20,000 at once. */
#define FILED_STEP 512

int
rso_records_filed(struct rso_store *s, const char *id, const char *segment,
    const struct rso_seg_sum *sum, struct rso_error *e)
{
	sqlite3_stmt *sel = rso_store_prepare(s, "SELECT item, held FROM records"
	    " WHERE case_id = ?1 AND segment = '' AND item > ?2 ORDER BY item"
	    " LIMIT ?3");
	sqlite3_stmt *upd = rso_store_prepare(s, "UPDATE records SET segment ="
	    " ?2 WHERE case_id = ?1 AND segment = '' AND item > ?3 AND"
	    " item <= ?4");
	json_t *items = json_array();
	int rc = 0, held = 0, last = 0, hi, n;

	do {
		sqlite3_bind_text(sel, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int(sel, 2, last);
		sqlite3_bind_int(sel, 3, FILED_STEP);
		for (n = 0, hi = last; (rc = sqlite3_step(sel)) == SQLITE_ROW; n++) {
			hi = sqlite3_column_int(sel, 0);
			json_array_append_new(items, json_integer(hi));
			held += sqlite3_column_type(sel, 1) != SQLITE_NULL;
		}
		sqlite3_reset(sel);
		if (rc != SQLITE_DONE)
			break;
		sqlite3_bind_text(upd, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(upd, 2, segment, -1, SQLITE_STATIC);
		sqlite3_bind_int(upd, 3, last);
		sqlite3_bind_int(upd, 4, hi);
		rc = n > 0 ? sqlite3_step(upd) : SQLITE_DONE;
		sqlite3_reset(upd);
		last = hi;
	} while (rc == SQLITE_DONE && n == FILED_STEP);
	rc = rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	if (rc != 0) {
		json_decref(items);
		return rc;
	}
	return filed_event(s, id, segment, items, held, sum, e);
}

/*
 * The first open case after (or, with before, before) id "after" in the
 * identifier's index whose unheld record carried it, into id; 0 or -1.
 * Each is one seek in records_pid: the cost does not grow with the
 * records that carried the identifier.
 */
static int
case_of_id_from(struct rso_store *s, const char *system, const char *value,
    const char *after, int before, char *id)
{
	sqlite3_stmt *st = rso_store_cached(s, before ?
	    "SELECT r.case_id FROM records r JOIN cases c ON c.id = r.case_id"
	    " WHERE r.pid_system = ?1 AND r.pid_value = ?2 AND r.case_id < ?3"
	    " AND r.held IS NULL AND c.status IN ('collecting', 'ready',"
	    " 'assigned', 'in-review', 'on-hold') LIMIT 1" :
	    "SELECT r.case_id FROM records r JOIN cases c ON c.id = r.case_id"
	    " WHERE r.pid_system = ?1 AND r.pid_value = ?2 AND r.case_id > ?3"
	    " AND r.held IS NULL AND c.status IN ('collecting', 'ready',"
	    " 'assigned', 'in-review', 'on-hold') LIMIT 1");
	int rc;

	sqlite3_bind_text(st, 1, system, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, after, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW && id != NULL)
		snprintf(id, RSO_CASE_IDLEN, "%s", col(st, 0));
	rso_store_done(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
rso_records_case_of_id(struct rso_store *s, const char *system,
    const char *value, char *id)
{
	/* One case, and no other before or after it. */
	if (case_of_id_from(s, system, value, "", 0, id) != 0)
		return -1;
	if (case_of_id_from(s, system, value, id, 0, NULL) == 0 ||
	    case_of_id_from(s, system, value, id, 1, NULL) == 0)
		return -1;
	return 0;
}

int
rso_records_where(struct rso_store *s, const char *id, const char *item,
    char *name, char *segment, char *sha256, struct rso_error *e)
{
	sqlite3_stmt *st;
	char *end;
	long n = strtol(item, &end, 10);
	int rc;

	if (*item == '\0' || *end != '\0' || n < 1 || n > 99999999)
		return rso_error_set(e, EX_DATAERR, "%s: item: not a number", id);
	st = rso_store_prepare(s, "SELECT name, segment, sha256 FROM records"
	    " WHERE case_id = ? AND item = ?");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, n);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(name, 128, "%s", col(st, 0));
		snprintf(segment, 128, "%s", col(st, 1));
		snprintf(sha256, RSO_SHA256_HEXLEN, "%s", col(st, 2));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	return rso_error_set(e, EX_DATAERR, "%s: no item %ld", id, n);
}

int
rso_records_request_case(struct rso_store *s, const char *token, char *id)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT case_id FROM"
	    " record_requests WHERE token = ?");
	int found;

	sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		snprintf(id, RSO_CASE_IDLEN, "%s", col(st, 0));
	sqlite3_finalize(st);
	return found ? 0 : -1;
}

int
rso_records_held(struct rso_store *s, rso_records_fn *fn, void *ctx,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT case_id,"
	    " coalesce(study_uid, printf('%04d', item)), count(*), max(held),"
	    " min(item), min(added) FROM records WHERE held IS NOT NULL AND held != 'rejected'"
	    " GROUP BY case_id, coalesce(study_uid, item) ORDER BY min(added),"
	    " case_id, min(item)");
	json_t *line;
	int rc, frc = 0;

	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		line = json_pack("{s:s, s:s, s:I, s:s, s:o, s:s}", "case",
		    col(st, 0), "study", col(st, 1), "items",
		    (json_int_t)sqlite3_column_int64(st, 2), "reason", col(st, 3),
		    "first_item", json_sprintf("%04d", sqlite3_column_int(st, 4)),
		    "held_since", col(st, 5));
		frc = fn(line, ctx);
		json_decref(line);
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

int
rso_records_decide(struct rso_store *s, const char *id, const char *what,
    int release, int *n, struct rso_error *e)
{
	sqlite3_stmt *st;
	json_t *data;
	char *end;
	long item = strtol(what, &end, 10);
	int rc, by_item = *what != '\0' && *end == '\0';

	*n = 0;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	st = rso_store_prepare(s, by_item ?
	    "UPDATE records SET held = ?1 WHERE case_id = ?2 AND item = ?3"
	    " AND held IS NOT NULL AND held != 'rejected'" :
	    "UPDATE records SET held = ?1 WHERE case_id = ?2 AND study_uid = ?4"
	    " AND held IS NOT NULL AND held != 'rejected'");
	if (release)
		sqlite3_bind_null(st, 1);
	else
		sqlite3_bind_text(st, 1, "rejected", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, item);
	sqlite3_bind_text(st, 4, what, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = rso_store_sqlerr(s, rc, e);
		goto fail;
	}
	if ((*n = sqlite3_changes(rso_store_db(s))) == 0) {
		rc = rso_error_set(e, EX_DATAERR, "%s: nothing held as %s %s",
		    id, by_item ? "item" : "study", what);
		goto fail;
	}
	data = json_pack("{s:s, s:i}", by_item ? "item" : "study", what,
	    "items", *n);
	rc = rso_case_event(s, id, release ? "records.released" :
	    "records.rejected", data, e);
	json_decref(data);
	if (rc == 0)
		rc = rso_store_commit(s, e);
	if (rc == 0)
		return 0;
fail:
	rso_store_rollback(s);
	return rc;
}
