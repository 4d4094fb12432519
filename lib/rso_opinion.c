/* rso_opinion: opinions recorded, delivered and read. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_assign.h"
#include "rso_case.h"
#include "rso_casearc.h"
#include "rso_event.h"
#include "rso_jsonl.h"
#include "rso_opinion.h"
#include "rso_records.h"
#include "rso_remind.h"
#include "rso_request.h"
#include "rso_sla.h"
#include "rso_store_priv.h"
#include "rso_time.h"

/* A column as text, "" for NULL. */
#define col(st, i) rso_store_col((st), (i))

static int
in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

int
rso_outcome_valid(const char *s)
{
	static const char *const v[] = { "confirmed", "diagnosis-changed",
	    "treatment-changed", "more-tests", NULL };

	return in_list(s, v);
}

int
rso_impact_valid(const char *s)
{
	static const char *const v[] = { "none", "minor", "moderate", "major",
	    NULL };

	return in_list(s, v);
}

int
rso_icd10_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 3 || !isupper((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) ||
	    !(isdigit((unsigned char)s[2]) || isupper((unsigned char)s[2])))
		return 0;
	if (n == 3)
		return 1;
	if (s[3] != '.' || n < 5 || n > 8)
		return 0;
	for (i = 4; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

int
rso_opinion_check(struct rso_store *s, const char *id, const char *role,
    char *specialist, struct rso_error *e)
{
	struct rso_state st;
	sqlite3_stmt *q;
	int rc;

	if ((rc = rso_case_state(s, id, &st, e)) != 0)
		return rc;
	if (st.status != RSO_ST_IN_REVIEW)
		return rso_error_set(e, EX_DATAERR, "%s: an opinion is recorded "
		    "in review, and the case is %s", id,
		    rso_status_name(st.status));
	q = rso_store_prepare(s, "SELECT specialist_id FROM assignments"
	    " WHERE case_id = ? AND role = ? AND status = 'accepted'");
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, role, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		snprintf(specialist, 80, "%s", col(q, 0));
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return rso_error_set(e, EX_DATAERR, "%s: role %s: no accepted "
		    "assignment", id, role);
	return 0;
}

static int
same_opinion(struct rso_store *s, const char *id, const struct rso_opinion *o,
    const char *codes)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT 1 FROM opinions WHERE"
	    " case_id = ? AND role = ? AND sha256 = ? AND outcome = ? AND"
	    " impact = ? AND icd10 = ?");
	int same;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, o->outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, o->impact, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, codes, -1, SQLITE_STATIC);
	same = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return same;
}

int
rso_opinion_put(struct rso_store *s, const char *id,
    const struct rso_opinion *o, int *unchanged, struct rso_error *e)
{
	char *codes = rso_json_canonical(o->icd10), now[RSO_TIME_STRLEN];
	sqlite3_stmt *st;
	json_t *data;
	int rc;

	*unchanged = same_opinion(s, id, o, codes);
	if (*unchanged) {
		free(codes);
		return 0;
	}
	rso_time_format(rso_now(), now);
	st = rso_store_prepare(s, "INSERT OR REPLACE INTO opinions (case_id,"
	    " role, specialist_id, outcome, impact, icd10, name, segment,"
	    " media_type, sha256, size, recorded)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->specialist, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, o->outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, o->impact, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, codes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, o->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, o->segment, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, o->media_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, o->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, o->size);
	sqlite3_bind_text(st, 12, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(codes);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	data = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:I}",
	    "role", o->role, "specialist", o->specialist, "outcome", o->outcome,
	    "impact", o->impact, "icd10", o->icd10, "name", o->name,
	    "media_type", o->media_type, "sha256", o->sha256,
	    "size", (json_int_t)o->size);
	if (o->sum == NULL ||
	    (rc = rso_casearc_bind(s, id, o->sum, data, e)) == 0)
		rc = rso_case_event(s, id, "opinion.recorded", data, e);
	json_decref(data);
	return rc;
}

/* Roles of the case that have no opinion yet, as "imaging, pathology". */
static int
roles_missing(struct rso_store *s, const char *id, char *buf, size_t n)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT r.role FROM"
	    " (SELECT 'primary' AS role UNION SELECT role FROM panel_roles"
	    "  WHERE case_id = ?1) r WHERE NOT EXISTS (SELECT 1 FROM opinions o"
	    "  WHERE o.case_id = ?1 AND o.role = r.role) ORDER BY r.role");
	size_t len = 0;
	int count = 0;

	*buf = '\0';
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		len += snprintf(buf + len, len < n ? n - len : 0, "%s%s",
		    count ? ", " : "", col(st, 0));
		count++;
	}
	sqlite3_finalize(st);
	return count;
}

static const char *
recipient_address(const json_t *req, const char *who)
{
	if (strcmp(who, "patient") == 0)
		return rso_json_str(req, "patient.email");
	return rso_json_str(req, "requester.email");
}

/*
 * Whether the request has this recipient: a patient who asked for
 * themself has no referrer, and a delivery recorded to nobody would be
 * reminded of every night and count as unread in every report.
 */
static int
recipient_exists(const json_t *req, const char *who)
{
	const char *kind = rso_json_str(req, "requester.kind");

	return strcmp(who, "patient") == 0 ||
	    (json_is_object(json_object_get(req, "requester")) &&
	    (kind == NULL || strcmp(kind, "patient") != 0));
}

static int
record_delivery(struct rso_store *s, const char *id, const char *who,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "INSERT OR IGNORE INTO"
	    " deliveries (case_id, recipient, delivered) VALUES (?, ?, ?)");
	char now[RSO_TIME_STRLEN];
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rso_time_format(rso_now(), now), -1,
	    SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_opinion_deliver(struct rso_store *s, const char *id, const json_t *to,
    json_t **lines, int *already, struct rso_error *e)
{
	const char *program = rso_store_conf_str(s, "mail.program",
	    "Remote Second Opinion Program"), *who, *addr;
	struct rso_state st;
	json_t *c = NULL, *req, *w, *data;
	char missing[256];
	size_t i;
	int rc, n;

	*lines = json_array();
	*already = 0;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	if ((rc = rso_case_state(s, id, &st, e)) != 0)
		goto fail;
	if (st.status == RSO_ST_DELIVERED || st.status == RSO_ST_CLOSED) {
		*already = 1;
		rso_store_rollback(s);
		return 0;
	}
	if (st.status != RSO_ST_IN_REVIEW) {
		rc = rso_error_set(e, EX_DATAERR, "%s: cannot deliver a case that "
		    "is %s", id, rso_status_name(st.status));
		goto fail;
	}
	if (roles_missing(s, id, missing, sizeof(missing)) > 0) {
		rc = rso_error_set(e, EX_DATAERR, "%s: no opinion recorded yet "
		    "for %s", id, missing);
		goto fail;
	}
	if ((rc = rso_case_get(s, id, &c, e)) != 0)
		goto fail;
	req = json_object_get(c, "request");
	json_array_foreach(to, i, w) {
		who = json_string_value(w);
		if (!recipient_exists(req, who))
			continue;
		if ((rc = record_delivery(s, id, who, e)) != 0)
			goto fail;
		if ((addr = recipient_address(req, who)) == NULL)
			continue;
		json_array_append_new(*lines, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:s}", "kind", "opinion-delivered", "case", id,
		    "recipient", who, "to", addr, "program", program));
	}
	if ((rc = rso_assign_done(s, id, &n, e)) != 0)
		goto fail;
	data = json_pack("{s:O}", "to", to);
	rc = rso_case_event(s, id, "opinion.delivered", data, e);
	json_decref(data);
	if (rc == 0)
		rc = rso_store_commit(s, e);
	if (rc != 0)
		goto fail;
	json_decref(c);
	return 0;
fail:
	rso_store_rollback(s);
	json_decref(c);
	json_array_clear(*lines);
	return rc;
}

int
rso_opinion_video(struct rso_store *s, const char *id, const char *at,
    struct rso_error *e)
{
	json_t *data = json_pack("{s:s}", "at", at);
	int rc;

	if ((rc = rso_store_begin(s, e)) == 0 &&
	    (rc = rso_case_event(s, id, "video.scheduled", data, e)) == 0)
		rc = rso_store_commit(s, e);
	if (rc != 0)
		rso_store_rollback(s);
	json_decref(data);
	return rc;
}

/*
 * Stamp the delivery of id to by in column (acknowledged, opted_out) and
 * record the event type, once: a repeat sets *already and records nothing.
 */
static int
mark_delivery(struct rso_store *s, const char *id, const char *by,
    const char *column, const char *type, int *already, struct rso_error *e)
{
	char now[RSO_TIME_STRLEN], *sql;
	sqlite3_stmt *st;
	json_t *data;
	int rc;

	*already = 0;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	sql = rso_xasprintf("UPDATE deliveries SET %s = ? WHERE case_id = ?"
	    " AND recipient = ? AND %s IS NULL", column, column);
	st = rso_store_prepare(s, sql);
	free(sql);
	sqlite3_bind_text(st, 1, rso_time_format(rso_now(), now), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = rso_store_sqlerr(s, rc, e);
		goto fail;
	}
	if (sqlite3_changes(rso_store_db(s)) == 0) {
		st = rso_store_prepare(s, "SELECT 1 FROM deliveries WHERE"
		    " case_id = ? AND recipient = ?");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC);
		*already = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		rso_store_rollback(s);
		return *already ? 0 : rso_error_set(e, EX_DATAERR, "%s: no "
		    "opinion was delivered to the %s", id, by);
	}
	data = json_pack("{s:s}", "by", by);
	rc = rso_case_event(s, id, type, data, e);
	json_decref(data);
	if (rc == 0)
		rc = rso_store_commit(s, e);
	if (rc == 0)
		return 0;
fail:
	rso_store_rollback(s);
	return rc;
}

int
rso_opinion_ack(struct rso_store *s, const char *id, const char *by,
    int *already, struct rso_error *e)
{
	return mark_delivery(s, id, by, "acknowledged", "opinion.acknowledged",
	    already, e);
}

int
rso_opinion_optout(struct rso_store *s, const char *id, const char *by,
    int *already, struct rso_error *e)
{
	return mark_delivery(s, id, by, "opted_out", "reminders.opted-out",
	    already, e);
}

/* The reminder line for one delivery, or NULL when none is due today. */
static json_t *
unread_line(struct rso_store *s, const struct rso_remind_policy *p,
    sqlite3_stmt *st, struct rso_error *e, int *rc)
{
	enum rso_remind_due due;
	const char *addr;
	json_t *req, *line;
	rso_time_t t;
	int n;

	rso_time_parse(col(st, 2), &t);
	if ((*rc = rso_remind_due(s, p, col(st, 0), col(st, 1),
	    "unread-reminder", "unread-staff", t, &due, &n, e)) != 0 ||
	    due == RSO_REMIND_NONE)
		return NULL;
	req = json_loads(col(st, 3), 0, NULL);
	addr = due == RSO_REMIND_STAFF ? rso_store_conf_str(s, "mail.staff",
	    NULL) : recipient_address(req, col(st, 1));
	line = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:I, s:i}", "kind",
	    due == RSO_REMIND_STAFF ? "unread-staff" : "unread-reminder",
	    "case", col(st, 0), "recipient", col(st, 1), "to", addr,
	    "delivered", col(st, 2), "days", (json_int_t)((rso_now() - t) /
	    86400), due == RSO_REMIND_STAFF ? "reminders" : "n",
	    due == RSO_REMIND_STAFF ? n - 1 : n);
	json_decref(req);
	return line;
}

int
rso_opinion_unread(struct rso_store *s, const struct rso_remind_policy *p,
    rso_opinion_fn *fn, void *ctx, struct rso_error *e)
{
	/* Closed cases, acknowledged or opted-out deliveries: no more. */
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT d.case_id, d.recipient,"
	    " d.delivered, c.intake FROM deliveries d JOIN cases c"
	    " ON c.id = d.case_id WHERE d.acknowledged IS NULL"
	    " AND d.opted_out IS NULL AND c.status = 'delivered'"
	    " ORDER BY d.delivered, d.case_id, d.recipient");
	json_t *line;
	int rc, frc = 0, drc = 0;

	while (frc == 0 && drc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((line = unread_line(s, p, st, e, &drc)) != NULL) {
			frc = fn(line, ctx);
			json_decref(line);
		}
	if (drc != 0) {
		sqlite3_finalize(st);
		return drc;
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

int
rso_opinion_unacked(struct rso_store *s, int64_t older, rso_opinion_fn *fn,
    void *ctx, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT d.case_id, d.recipient,"
	    " d.delivered FROM deliveries d JOIN cases c ON c.id = d.case_id"
	    " WHERE d.acknowledged IS NULL AND d.opted_out IS NULL"
	    " AND c.status = 'delivered' AND d.delivered <= ?1"
	    " ORDER BY d.delivered, d.case_id, d.recipient");
	char cutoff[RSO_TIME_STRLEN];
	json_t *line;
	rso_time_t t;
	int rc, frc = 0;

	rso_time_format(rso_now() - older, cutoff);
	sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rso_time_parse(col(st, 2), &t);
		line = json_pack("{s:s, s:s, s:s, s:I}", "case", col(st, 0),
		    "recipient", col(st, 1), "delivered", col(st, 2), "days",
		    (json_int_t)((rso_now() - t) / 86400));
		frc = fn(line, ctx);
		json_decref(line);
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

static int
collect_line(json_t *line, void *ctx)
{
	json_t *d = ctx;

	json_array_append(json_object_get(d, json_object_get(line, "study") ?
	    "studies" : "records"), line);
	return 0;
}

int
rso_opinion_draft(struct rso_store *s, const char *id, json_t **out,
    struct rso_error *e)
{
	char buf[RSO_TIME_STRLEN];
	struct rso_sla sla;
	json_t *c, *r, *d, *dates;
	int rc;

	if ((rc = rso_case_get(s, id, &c, e)) != 0)
		return rc;
	r = json_object_get(c, "request");
	dates = json_pack("{s:s}", "requested", rso_json_str(c, "created"));
	if (rso_sla_case(s, id, &sla, e) == 0 && sla.ready) {
		json_object_set_new(dates, "ready",
		    json_string(rso_time_format(sla.ready, buf)));
		json_object_set_new(dates, "due",
		    json_string(rso_time_format(sla.due, buf)));
	}
	d = json_pack("{s:s, s:s, s:s?, s:{s:s?, s:s?, s:s?}, s:O, s:o, "
	    "s:[], s:[]}", "case", id, "specialty", rso_json_str(r, "specialty"),
	    "subspecialty", rso_json_str(r, "subspecialty"), "patient",
	    "name", rso_json_str(r, "patient.name"), "birth_date",
	    rso_json_str(r, "patient.birth_date"), "sex",
	    rso_json_str(r, "patient.sex"), "questions",
	    json_object_get(r, "questions"), "dates", dates, "records",
	    "studies");
	json_decref(c);
	if ((rc = rso_records_list(s, id, collect_line, d, e)) != 0) {
		json_decref(d);
		return rc;
	}
	*out = d;
	return 0;
}
