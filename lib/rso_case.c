/* rso_case: cases in the store, moved only through events. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_case.h"
#include "rso_event.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_search.h"
#include "rso_store_priv.h"
#include "rso_time.h"

/* A column as text, "" for NULL. */
#define col(st, i) rso_store_col((st), (i))

int
rso_case_id_valid(const char *s)
{
	const char *p = s;
	int n;

	for (n = 0; isalnum((unsigned char)*p); p++, n++)
		;
	if (n == 0 || n > 16 || *p++ != '-')
		return 0;
	for (n = 0; n < 4; n++)
		if (!isdigit((unsigned char)*p++))
			return 0;
	if (*p++ != '-')
		return 0;
	for (n = 0; isdigit((unsigned char)*p); p++, n++)
		;
	return n >= 6 && n <= 9 && *p == '\0';
}

/* The last case number given for prefix in year, 0 when none yet. */
static int
last_id(struct rso_store *s, const char *prefix, int year, long long *last,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_cached(s, "SELECT last FROM case_counters"
	    " WHERE prefix = ? AND year = ?");
	int rc;

	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, year);
	rc = sqlite3_step(st);
	*last = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	rso_store_done(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	return rso_store_sqlerr(s, rc, e);
}

static int
next_id(struct rso_store *s, char *id, struct rso_error *e)
{
	const char *prefix = rso_store_conf_str(s, "id_prefix", "RSO");
	char date[RSO_TIME_STRLEN];
	sqlite3_stmt *st;
	const char *p;
	long long last;
	int year, rc;

	/* Ids must read back as ids: the prefix is letters and digits only. */
	for (p = prefix; *p; p++)
		if (!isalnum((unsigned char)*p))
			break;
	if (*p != '\0' || p == prefix || p - prefix > 16)
		return rso_error_set(e, EX_CONFIG, "config.json: id_prefix: not "
		    "1 to 16 letters and digits");
	rso_date_format(rso_now(), date);
	year = atoi(date);
	if ((rc = last_id(s, prefix, year, &last, e)) != 0)
		return rc;
	/*
	 * Read, then write back: the caller's transaction holds the write
	 * lock, so no other writer comes between.  (An upsert with
	 * RETURNING did it in one statement, at twice the cost: SQLite
	 * keeps the rows it returns in a temporary table.)
	 */
	st = rso_store_cached(s, last == 0 ? "INSERT INTO case_counters"
	    " (prefix, year, last) VALUES (?1, ?2, ?3)" :
	    "UPDATE case_counters SET last = ?3"
	    " WHERE prefix = ?1 AND year = ?2");
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, year);
	sqlite3_bind_int64(st, 3, last + 1);
	rc = sqlite3_step(st);
	rso_store_done(st);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	snprintf(id, RSO_CASE_IDLEN, "%s-%04d-%06lld", prefix, year, last + 1);
	return 0;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int
rso_case_create(struct rso_store *s, const json_t *req, const char *canon,
    const char *req_hash, char *id, struct rso_error *e)
{
	char now[RSO_TIME_STRLEN];
	sqlite3_stmt *st;
	int rc;

	if ((rc = next_id(s, id, e)) != 0)
		return rc;
	rso_time_format(rso_now(), now);
	st = rso_store_cached(s, "INSERT INTO cases (id, ref, status, status_at,"
	    " created, updated, received, specialty, urgency, country, region,"
	    " referral_source, intake, intake_hash)"
	    " VALUES (?, ?, 'awaiting-consent', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	bind_opt(st, 2, rso_json_str(req, "ref"));
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	bind_opt(st, 6, rso_json_str(req, "received"));
	bind_opt(st, 7, rso_json_str(req, "specialty"));
	bind_opt(st, 8, rso_json_str(req, "urgency"));
	bind_opt(st, 9, rso_json_str(req, "patient.country"));
	bind_opt(st, 10, rso_json_str(req, "patient.region"));
	bind_opt(st, 11, rso_json_str(req, "referral_source"));
	sqlite3_bind_text(st, 12, canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, req_hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rso_store_done(st);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	if ((rc = rso_search_index(s, id, req, NULL, e)) != 0)
		return rc;
	return rso_event_append_canonical(s, id, "case.created", canon, NULL,
	    e);
}

int
rso_case_by_ref(struct rso_store *s, const char *ref, char *id, char *hash,
    char *status, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_cached(s,
	    "SELECT id, intake_hash, status FROM cases WHERE ref = ?");
	int rc;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(id, RSO_CASE_IDLEN, "%s", col(st, 0));
		snprintf(hash, 65, "%s", col(st, 1));
		snprintf(status, 32, "%s", col(st, 2));
	}
	rso_store_done(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : rso_store_sqlerr(s, rc, e);
}

int
rso_case_named(struct rso_store *s, const json_t *line, char *id,
    struct rso_error *e)
{
	const char *c = rso_json_str(line, "case"), *ref;
	char hash[65], status[32];
	int rc;

	if (c != NULL) {
		if (!rso_case_id_valid(c))
			return rso_error_set(e, EX_DATAERR, "case: not a case id");
		snprintf(id, RSO_CASE_IDLEN, "%s", c);
		return 0;
	}
	if ((ref = rso_json_str(line, "ref")) == NULL)
		return rso_error_set(e, EX_DATAERR,
		    "no \"case\" or \"ref\" member");
	if ((rc = rso_case_by_ref(s, ref, id, hash, status, e)) == 1)
		return rso_error_set(e, EX_DATAERR, "ref: no such request");
	return rc;
}

/* Append the dotted paths where a and b differ to out. */
static void
diff_paths(const json_t *a, const json_t *b, const char *prefix, json_t *out)
{
	const char *k;
	json_t *v;
	char *p;

	if (!json_is_object(a) || !json_is_object(b)) {
		if (!json_equal(a, b))
			json_array_append_new(out, json_string(prefix));
		return;
	}
	json_object_foreach((json_t *)a, k, v) {
		p = *prefix ? rso_xasprintf("%s.%s", prefix, k) : rso_xstrdup(k);
		diff_paths(v, json_object_get(b, k), p, out);
		free(p);
	}
	json_object_foreach((json_t *)b, k, v) {
		if (json_object_get(a, k) != NULL)
			continue;
		p = *prefix ? rso_xasprintf("%s.%s", prefix, k) : rso_xstrdup(k);
		json_array_append_new(out, json_string(p));
		free(p);
	}
}

static int
load_request(struct rso_store *s, const char *id, json_t **req,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s,
	    "SELECT intake FROM cases WHERE id = ?");
	int rc;

	*req = NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*req = json_loads(col(st, 0), 0, NULL);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return rso_error_set(e, EX_DATAERR, "%s: no such case", id);
	if (rc != SQLITE_ROW)
		return rso_store_sqlerr(s, rc, e);
	return *req ? 0 : rso_error_set(e, EX_SOFTWARE,
	    "%s: stored request is not JSON", id);
}

int
rso_case_amend(struct rso_store *s, const char *id, const json_t *req,
    const char *canon, const char *req_hash, struct rso_error *e)
{
	char now[RSO_TIME_STRLEN];
	json_t *old, *changed, *data;
	sqlite3_stmt *st;
	int rc;

	if ((rc = load_request(s, id, &old, e)) != 0)
		return rc;
	changed = json_array();
	diff_paths(old, req, "", changed);
	rso_time_format(rso_now(), now);
	st = rso_store_prepare(s, "UPDATE cases SET intake = ?, intake_hash = ?,"
	    " updated = ?, received = ?, specialty = ?, urgency = ?,"
	    " country = ?, region = ?, referral_source = ? WHERE id = ?");
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, req_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	bind_opt(st, 4, rso_json_str(req, "received"));
	bind_opt(st, 5, rso_json_str(req, "specialty"));
	bind_opt(st, 6, rso_json_str(req, "urgency"));
	bind_opt(st, 7, rso_json_str(req, "patient.country"));
	bind_opt(st, 8, rso_json_str(req, "patient.region"));
	bind_opt(st, 9, rso_json_str(req, "referral_source"));
	sqlite3_bind_text(st, 10, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	rc = rc == SQLITE_DONE ? rso_search_index(s, id, req, old, e) :
	    rso_store_sqlerr(s, rc, e);
	json_decref(old);
	if (rc != 0) {
		json_decref(changed);
		return rc;
	}
	data = json_pack("{s:o, s:O}", "changed", changed, "request", req);
	rc = rso_event_append(s, id, "case.amended", data, NULL, e);
	json_decref(data);
	return rc;
}

int
rso_case_state(struct rso_store *s, const char *id, struct rso_state *stt,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s,
	    "SELECT status, held_from FROM cases WHERE id = ?");
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (rso_status_parse(col(st, 0), &stt->status) != 0)
			stt->status = RSO_ST_NONE;
		if (rso_status_parse(col(st, 1), &stt->held_from) != 0)
			stt->held_from = RSO_ST_NONE;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return rso_error_set(e, EX_DATAERR, "%s: no such case", id);
	if (rc != SQLITE_ROW)
		return rso_store_sqlerr(s, rc, e);
	if (stt->status == RSO_ST_NONE)
		return rso_error_set(e, EX_SOFTWARE, "%s: unknown status", id);
	return 0;
}

int
rso_case_event(struct rso_store *s, const char *id, const char *type,
    const json_t *data, struct rso_error *e)
{
	struct rso_state before, after;
	char now[RSO_TIME_STRLEN];
	struct rso_error why;
	sqlite3_stmt *st;
	int rc;

	if ((rc = rso_case_state(s, id, &before, e)) != 0)
		return rc;
	after = before;
	if (rso_state_apply(&after, type, &why) != 0)
		return rso_error_set(e, why.status, "%s: %s", id, why.msg);
	if ((rc = rso_event_append(s, id, type, data, NULL, e)) != 0)
		return rc;
	rso_time_format(rso_now(), now);
	st = rso_store_prepare(s, after.status != before.status ?
	    "UPDATE cases SET status = ?, held_from = ?, status_at = ?3,"
	    " updated = ?3 WHERE id = ?4" :
	    "UPDATE cases SET status = ?, held_from = ?, updated = ?3"
	    " WHERE id = ?4");
	sqlite3_bind_text(st, 1, rso_status_name(after.status), -1,
	    SQLITE_STATIC);
	if (after.status == RSO_ST_ON_HOLD)
		sqlite3_bind_text(st, 2, rso_status_name(after.held_from), -1,
		    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

/* The type of the case's last event that moved it, or "" when none. */
static int
last_transition(struct rso_store *s, const char *id, char *type, size_t n,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s,
	    "SELECT type FROM events WHERE case_id = ? ORDER BY seq DESC");
	int rc;

	*type = '\0';
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (rso_state_is_transition(col(st, 0))) {
			snprintf(type, n, "%s", col(st, 0));
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_case_move(struct rso_store *s, const char *id, const char *type,
    const json_t *data, int *already, struct rso_error *e)
{
	char last[64];
	int rc;

	*already = 0;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	rc = rso_case_event(s, id, type, data, e);
	if (rc == EX_DATAERR &&
	    last_transition(s, id, last, sizeof(last), NULL) == 0 &&
	    strcmp(last, type) == 0) {
		*already = 1;
		rso_store_rollback(s);
		return 0;
	}
	if (rc != 0) {
		rso_store_rollback(s);
		return rc;
	}
	return rso_store_commit(s, e);
}

static json_t *
latest_consent(struct rso_store *s, const char *id)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT providers, expires,"
	    " signed_by, signed, recorded FROM consents WHERE case_id = ?"
	    " ORDER BY id DESC LIMIT 1");
	json_t *c = NULL;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		c = json_pack("{s:o, s:s, s:s?, s:s?, s:s}",
		    "providers", json_loads(col(st, 0), 0, NULL),
		    "expires", col(st, 1),
		    "signed_by", (const char *)sqlite3_column_text(st, 2),
		    "signed", (const char *)sqlite3_column_text(st, 3),
		    "recorded", col(st, 4));
	sqlite3_finalize(st);
	return c;
}

int
rso_case_get(struct rso_store *s, const char *id, json_t **out,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT id, ref, status,"
	    " status_at, created, updated, held_from, intake"
	    " FROM cases WHERE id = ?");
	json_t *c = NULL, *consent;
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		    "case", col(st, 0), "ref", col(st, 1),
		    "status", col(st, 2), "status_at", col(st, 3),
		    "created", col(st, 4), "updated", col(st, 5));
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			json_object_set_new(c, "held_from",
			    json_string(col(st, 6)));
		json_object_set_new(c, "request",
		    json_loads(col(st, 7), 0, NULL));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return rso_error_set(e, EX_DATAERR, "%s: no such case", id);
	if (rc != SQLITE_ROW)
		return rso_store_sqlerr(s, rc, e);
	if ((consent = latest_consent(s, id)) != NULL)
		json_object_set_new(c, "consent", consent);
	*out = c;
	return 0;
}

static void
bind_statuses(sqlite3_stmt *st, unsigned mask)
{
	int i, n = 1;

	for (i = 0; i < RSO_ST_COUNT; i++)
		if (mask & (1u << i))
			sqlite3_bind_text(st, n++, rso_status_name(i), -1,
			    SQLITE_STATIC);
}

int
rso_case_list(struct rso_store *s, const struct rso_case_filter *f,
    rso_case_fn *fn, void *ctx, struct rso_error *e)
{
	char sql[1024];
	sqlite3_stmt *st;
	json_t *c;
	int i, n = 0, rc, frc = 0;

	/*
	 * A birth date picks a handful of cases out of any number; without
	 * statistics the planner would rather take cases_status, which for
	 * the open states is nearly every case.
	 */
	n = snprintf(sql, sizeof(sql), "SELECT id, ref, status, status_at,"
	    " created, specialty, urgency, country, region FROM cases%s WHERE 1",
	    f->birth_date ? " INDEXED BY cases_birth_date" : "");
	if (f->status_mask) {
		n += snprintf(sql + n, sizeof(sql) - n, " AND status IN (");
		for (i = 0; i < RSO_ST_COUNT; i++)
			if (f->status_mask & (1u << i))
				n += snprintf(sql + n, sizeof(sql) - n, "?,");
		sql[n - 1] = ')';
	}
	if (f->birth_date)
		n += snprintf(sql + n, sizeof(sql) - n,
		    " AND json_extract(intake, '$.patient.birth_date') = ?102");
	n += snprintf(sql + n, sizeof(sql) - n,
	    " AND (?100 IS NULL OR status_at >= ?100)"
	    " AND (?101 IS NULL OR status_at < ?101) ORDER BY created, id");
	/* Every case may be listed, and sorted: on disk, not in memory. */
	if ((rc = rso_store_temp_on_disk(s, 1, e)) != 0)
		return rc;
	st = rso_store_prepare(s, sql);
	bind_statuses(st, f->status_mask);
	bind_opt(st, 100, f->since);
	bind_opt(st, 101, f->until);
	bind_opt(st, 102, f->birth_date);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?}",
		    "case", col(st, 0), "ref", col(st, 1), "status", col(st, 2),
		    "status_at", col(st, 3), "created", col(st, 4),
		    "specialty", col(st, 5),
		    "urgency", (const char *)sqlite3_column_text(st, 6),
		    "country", (const char *)sqlite3_column_text(st, 7),
		    "region", (const char *)sqlite3_column_text(st, 8));
		frc = fn(c, ctx);
		json_decref(c);
		if (frc != 0)
			break;
	}
	sqlite3_finalize(st);
	rc = rc == SQLITE_DONE || frc != 0 ? 0 : rso_store_sqlerr(s, rc, e);
	if (rc == 0)
		rc = rso_store_temp_on_disk(s, 0, e);
	return frc != 0 ? frc : rc;
}

int
rso_consent_record(struct rso_store *s, const char *id,
    const json_t *providers, const char *expires, const char *signed_by,
    const char *signed_at, struct rso_error *e)
{
	json_t *data;
	char now[RSO_TIME_STRLEN], *ptext;
	sqlite3_stmt *st;
	int rc;

	data = json_pack("{s:O, s:s, s:s?, s:s?}", "providers", providers,
	    "expires", expires, "signed_by", signed_by, "signed", signed_at);
	rc = rso_case_event(s, id, "consent.recorded", data, e);
	json_decref(data);
	if (rc != 0)
		return rc;
	rso_time_format(rso_now(), now);
	ptext = rso_json_canonical(providers);
	st = rso_store_prepare(s, "INSERT INTO consents (case_id, providers,"
	    " expires, signed_by, signed, recorded, event_seq)"
	    " VALUES (?, ?, ?, ?, ?, ?, (SELECT max(seq) FROM events))");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ptext, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, expires, -1, SQLITE_STATIC);
	bind_opt(st, 4, signed_by);
	bind_opt(st, 5, signed_at);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(ptext);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

/* Provider names compare without regard to case or surrounding space. */
static int
same_provider(const char *a, const char *b)
{
	size_t la, lb;

	while (isspace((unsigned char)*a))
		a++;
	while (isspace((unsigned char)*b))
		b++;
	la = strlen(a);
	lb = strlen(b);
	while (la && isspace((unsigned char)a[la - 1]))
		la--;
	while (lb && isspace((unsigned char)b[lb - 1]))
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

int
rso_consent_covers(struct rso_store *s, const char *id, const char *provider,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT providers, expires"
	    " FROM consents WHERE case_id = ? ORDER BY id DESC");
	rso_time_t now = rso_now(), exp;
	json_t *list, *p;
	size_t i;
	int rc, any = 0, expired = 0, covered = 0;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (!covered && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		any = 1;
		/*
		 * Compare instants, not text: an expiry with an offset or a
		 * fraction does not sort as a time.  One we cannot read
		 * covers nothing.
		 */
		if (rso_time_parse(col(st, 1), &exp) != 0 || exp <= now) {
			expired = 1;
			continue;
		}
		list = json_loads(col(st, 0), 0, NULL);
		json_array_foreach(list, i, p)
			if (json_is_string(p) &&
			    (strcmp(json_string_value(p), "*") == 0 ||
			    same_provider(json_string_value(p), provider)))
				covered = 1;
		json_decref(list);
	}
	sqlite3_finalize(st);
	if (covered)
		return 0;
	if (!any)
		return rso_error_set(e, EX_NOPERM, "%s: no consent", id);
	if (expired)
		return rso_error_set(e, EX_NOPERM, "%s: consent expired", id);
	return rso_error_set(e, EX_NOPERM,
	    "%s: consent does not cover this provider", id);
}

struct each_input {
	struct rso_store *s;	/* NULL: lines name cases by "case" only */
	rso_case_input_fn *fn;
	void *ctx;
};

static int
each_input_line(json_t *obj, struct rso_jsonl *r, void *ctx)
{
	struct each_input *ei = ctx;
	const char *id = json_string_value(json_object_get(obj, "case"));
	char where[256], named[RSO_CASE_IDLEN];
	struct rso_error e;
	int rc;

	snprintf(where, sizeof(where), "%s:%lu", rso_jsonl_name(r),
	    rso_jsonl_line(r));
	if (ei->s != NULL) {
		if ((rc = rso_case_named(ei->s, obj, named, &e)) != 0) {
			rso_warnx("%s: %s", where, e.msg);
			return rc;
		}
		return ei->fn(named, obj, where, ei->ctx);
	}
	if (id == NULL) {
		rso_warnx("%s: no \"case\" member", where);
		return EX_DATAERR;
	}
	if (!rso_case_id_valid(id)) {
		rso_warnx("%s: case: not a case id", where);
		return EX_DATAERR;
	}
	return ei->fn(id, obj, where, ei->ctx);
}

int
rso_case_each_named(struct rso_store *s, int argc, char **argv,
    rso_case_input_fn *fn, void *ctx)
{
	struct each_input ei = { s, fn, ctx };
	char where[64];
	int i, rc, status = 0;

	if (argc == 0) {
		rso_note_stdin("JSON lines with \"case\"");
		return rso_jsonl_each(0, NULL, each_input_line, &ei);
	}
	for (i = 0; i < argc; i++) {
		snprintf(where, sizeof(where), "argument %d", i + 1);
		if (!rso_case_id_valid(argv[i])) {
			rso_warnx("%s: not a case id", where);
			rc = EX_DATAERR;
		} else
			rc = fn(argv[i], NULL, where, ctx);
		if (rc != 0)
			rso_status_set(&status, rc);
	}
	return status;
}

int
rso_case_each_input(int argc, char **argv, rso_case_input_fn *fn, void *ctx)
{
	return rso_case_each_named(NULL, argc, argv, fn, ctx);
}
