/* rso_remind: reminders as events, under a policy from config.json. */
/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <sqlite3.h>

#include "rso_event.h"
#include "rso_jsonl.h"
#include "rso_remind.h"
#include "rso_store_priv.h"

int
rso_remind_policy(struct rso_store *s, const char *name,
    const int64_t *dflt_after, int n_dflt, int64_t dflt_staff,
    struct rso_remind_policy *p, struct rso_error *e)
{
	json_t *pol = json_object_get(json_object_get(rso_store_config(s),
	    "reminders"), name), *after = json_object_get(pol, "after"), *v;
	const char *staff = rso_json_str(pol, "staff_after");
	size_t i;

	memset(p, 0, sizeof(*p));
	if (after == NULL) {
		for (p->n = 0; p->n < n_dflt && p->n < RSO_REMIND_MAX; p->n++)
			p->after[p->n] = dflt_after[p->n];
	} else if (!json_is_array(after) || json_array_size(after) >
	    RSO_REMIND_MAX)
		goto bad;
	else
		json_array_foreach(after, i, v) {
			if (!json_is_string(v) || rso_duration_parse(
			    json_string_value(v), &p->after[i]) != 0 ||
			    (i > 0 && p->after[i] <= p->after[i - 1]))
				goto bad;
			p->n = (int)i + 1;
		}
	p->staff_after = dflt_staff;
	if (json_object_get(pol, "staff_after") != NULL && (staff == NULL ||
	    rso_duration_parse(staff, &p->staff_after) != 0))
		return rso_error_set(e, EX_CONFIG, "config.json: reminders.%s."
		    "staff_after: not a duration such as 21d", name);
	return 0;
bad:
	return rso_error_set(e, EX_CONFIG, "config.json: reminders.%s.after: "
	    "not a list of growing durations such as [\"3d\", \"7d\"]", name);
}

/* How many reminders of kind went to who on case id, and whether today. */
static int
sent_so_far(struct rso_store *s, const char *id, const char *who,
    const char *kind, const char *today, int *count, int *on_day,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT count(*),"
	    " coalesce(max(day = ?), 0) FROM reminders"
	    " WHERE case_id = ? AND kind = ? AND recipient = ?");
	int rc;

	sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, who, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*count = sqlite3_column_int(st, 0);
		*on_day = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_remind_due(struct rso_store *s, const struct rso_remind_policy *p,
    const char *id, const char *who, const char *kind, const char *staff_kind,
    rso_time_t start, enum rso_remind_due *due, int *n, struct rso_error *e)
{
	char today[RSO_TIME_STRLEN];
	rso_time_t now = rso_now();
	int sent, sent_today, told, told_today, rc;

	*due = RSO_REMIND_NONE;
	rso_date_format(now, today);
	if ((rc = sent_so_far(s, id, who, kind, today, &sent, &sent_today,
	    e)) != 0 || (rc = sent_so_far(s, id, who, staff_kind, today, &told,
	    &told_today, e)) != 0)
		return rc;
	*n = sent + 1;
	if (sent_today || told_today || told)
		return 0;
	/*
	 * Past staff_after staff are told, even when reminders are left:
	 * they could not be sent (no address) or the job did not run.
	 */
	if (p->staff_after > 0 && now - start >= p->staff_after)
		*due = RSO_REMIND_STAFF;
	else if (sent < p->n && now - start >= p->after[sent])
		*due = RSO_REMIND_SEND;
	return 0;
}

int
rso_remind_sent_today(struct rso_store *s, const char *id, const char *who,
    const char *kind, int *yes, struct rso_error *e)
{
	char today[RSO_TIME_STRLEN];
	int count;

	return sent_so_far(s, id, who, kind, rso_date_format(rso_now(), today),
	    &count, yes, e);
}

static int
case_known(struct rso_store *s, const char *id)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT 1 FROM cases"
	    " WHERE id = ?");
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

int
rso_remind_record(struct rso_store *s, const json_t *line, int *recorded,
    struct rso_error *e)
{
	const char *id = rso_json_str(line, "case");
	const char *kind = rso_json_str(line, "kind");
	const char *who = rso_json_str(line, "recipient");
	char now[RSO_TIME_STRLEN], today[RSO_TIME_STRLEN];
	sqlite3_stmt *st;
	json_t *data;
	int rc;

	*recorded = 0;
	if (id == NULL || kind == NULL || who == NULL)
		return rso_error_set(e, EX_DATAERR, "missing field \"%s\"",
		    id == NULL ? "case" : kind == NULL ? "kind" : "recipient");
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	if (!case_known(s, id)) {
		rso_store_rollback(s);
		return rso_error_set(e, EX_DATAERR, "%s: no such case", id);
	}
	rso_time_format(rso_now(), now);
	st = rso_store_prepare(s, "INSERT OR IGNORE INTO reminders (case_id,"
	    " kind, recipient, day, at) VALUES (?, ?, ?, ?, ?)");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, rso_date_format(rso_now(), today), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = rso_store_sqlerr(s, rc, e);
		rso_store_rollback(s);
		return rc;
	}
	if (sqlite3_changes(rso_store_db(s)) == 0) {
		rso_store_rollback(s);
		return 0;
	}
	data = json_pack("{s:s, s:s, s:O?}", "kind", kind, "recipient", who,
	    "n", json_object_get(line, "n"));
	rc = rso_event_append(s, id, "reminder.sent", data, NULL, e);
	json_decref(data);
	if (rc == 0 && (rc = rso_store_commit(s, e)) == 0) {
		*recorded = 1;
		return 0;
	}
	rso_store_rollback(s);
	return rc;
}

int
rso_remind_line(json_t *line, struct rso_jsonl *r, void *store)
{
	struct rso_error e;
	json_t *out;
	int rc, recorded;

	if ((rc = rso_remind_record(store, line, &recorded, &e)) != 0) {
		rso_warnx("%s:%lu: %s", rso_jsonl_name(r), rso_jsonl_line(r),
		    e.msg);
		return rc;
	}
	out = json_pack("{s:s?, s:s?, s:s?, s:b}", "case",
	    rso_json_str(line, "case"), "kind", rso_json_str(line, "kind"),
	    "recipient", rso_json_str(line, "recipient"), recorded ?
	    "recorded" : "unchanged", 1);
	rc = rso_jsonl_write(stdout, out);
	json_decref(out);
	return rc;
}
