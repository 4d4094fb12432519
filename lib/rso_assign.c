/* rso_assign: the specialist roster, matching, and assignments. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_assign.h"
#include "rso_case.h"
#include "rso_event.h"
#include "rso_fee.h"
#include "rso_jsonl.h"
#include "rso_sla.h"
#include "rso_store_priv.h"
#include "rso_time.h"

/* A column as text, "" for NULL. */
#define col(st, i) rso_store_col((st), (i))

/* A column as text, or NULL. */
#define col_or_null(st, i) ((const char *)sqlite3_column_text((st), (i)))

static char *
now_text(char *buf)
{
	return rso_time_format(rso_now(), buf);
}

/* ---- the roster ---- */

static int
id_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
		    !strchr("._-", s[i]))
			return 0;
	return 1;
}

/* "US", "US-TX", "CA-ON": an ISO 3166 country, optionally a subdivision. */
static int
jurisdiction_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || !isupper((unsigned char)s[0]) || !isupper((unsigned char)s[1]))
		return 0;
	if (n == 2)
		return 1;
	if (s[2] != '-' || n < 4 || n > 6)
		return 0;
	for (i = 3; i < n; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static void
check_strings(struct rso_check *c, const json_t *sp, const char *name,
    int required, int (*valid)(const char *))
{
	json_t *a = json_object_get(sp, name), *x;
	size_t i;

	if (a == NULL) {
		if (required)
			rso_check_problem(c, "%s: missing", name);
		return;
	}
	if (!json_is_array(a)) {
		rso_check_problem(c, "%s: not a list", name);
		return;
	}
	if (required && json_array_size(a) == 0)
		rso_check_problem(c, "%s: empty", name);
	json_array_foreach(a, i, x)
		if (!json_is_string(x) || json_string_length(x) == 0 ||
		    (valid && !valid(json_string_value(x)))) {
			rso_check_problem(c, "%s.%zu: not valid", name, i);
			return;
		}
}

static void
check_when(struct rso_check *c, const json_t *sp, const char *name)
{
	json_t *v = json_object_get(sp, name);
	rso_time_t t;

	if (v == NULL || json_is_null(v))
		return;
	if (!json_is_string(v) || (rso_date_parse(json_string_value(v), &t) &&
	    rso_time_parse(json_string_value(v), &t)))
		rso_check_problem(c, "%s: not a date or RFC 3339 time", name);
}

static void
check_specialist(struct rso_check *c, struct rso_store *s, const json_t *sp)
{
	const char *v;
	json_t *x;

	if ((x = json_object_get(sp, "id")) == NULL)
		rso_check_problem(c, "id: missing");
	else if (!json_is_string(x) || !id_valid(json_string_value(x)))
		rso_check_problem(c, "id: not lowercase letters, digits, '.', "
		    "'_' or '-'");
	if (!json_is_string(json_object_get(sp, "name")) ||
	    json_string_length(json_object_get(sp, "name")) == 0)
		rso_check_problem(c, "name: missing");
	if ((x = json_object_get(sp, "email")) != NULL &&
	    (!json_is_string(x) || !rso_email_valid(json_string_value(x))))
		rso_check_problem(c, "email: not an email address");
	if ((v = json_string_value(json_object_get(sp, "specialty"))) == NULL)
		rso_check_problem(c, "specialty: missing");
	else if (!rso_store_conf_has(s, "specialties", v))
		rso_check_problem(c, "specialty: unknown (see \"specialties\" "
		    "in config.json)");
	check_strings(c, sp, "subspecialties", 0, NULL);
	check_strings(c, sp, "jurisdictions", 1, jurisdiction_valid);
	check_strings(c, sp, "languages", 0, NULL);
	x = json_object_get(sp, "capacity");
	if (x == NULL)
		rso_check_problem(c, "capacity: missing");
	else if (!json_is_integer(x) || json_integer_value(x) < 0 ||
	    json_integer_value(x) > 10000)
		rso_check_problem(c, "capacity: not a whole number from 0 to 10000");
	check_when(c, sp, "away_from");
	check_when(c, sp, "away_until");
	if ((x = json_object_get(sp, "payout")) != NULL && !json_is_string(x))
		rso_check_problem(c, "payout: not an amount text such as \"600.00\"");
	if ((x = json_object_get(sp, "active")) != NULL && !json_is_boolean(x))
		rso_check_problem(c, "active: not true or false");
}

static char *
array_text(const json_t *sp, const char *name)
{
	json_t *a = json_object_get(sp, name);
	char *t;

	if (a != NULL)
		return rso_json_canonical(a);
	a = json_array();
	t = rso_json_canonical(a);
	json_decref(a);
	return t;
}

/* Normalise a date or time member to RFC 3339, or NULL. */
static const char *
when_text(const json_t *sp, const char *name, char *buf)
{
	const char *v = json_string_value(json_object_get(sp, name));
	rso_time_t t;

	if (v == NULL)
		return NULL;
	if (rso_date_parse(v, &t) != 0 && rso_time_parse(v, &t) != 0)
		return NULL;
	return rso_time_format(t, buf);
}

static int
same_as_stored(struct rso_store *s, const json_t *sp, int *same)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT data FROM events"
	    " WHERE type = 'specialist.updated' AND case_id IS NULL AND"
	    " json_extract(data, '$.id') = ? ORDER BY seq DESC LIMIT 1");
	char *canon = rso_json_canonical(sp);
	int rc;

	sqlite3_bind_text(st, 1, json_string_value(json_object_get(sp, "id")),
	    -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*same = rc == SQLITE_ROW && strcmp(col(st, 0), canon) == 0;
	sqlite3_finalize(st);
	free(canon);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : rc;
}

static int
upsert_specialist(struct rso_store *s, const json_t *sp, struct rso_error *e)
{
	char now[RSO_TIME_STRLEN], af[RSO_TIME_STRLEN], au[RSO_TIME_STRLEN];
	char *subs = array_text(sp, "subspecialties");
	char *jur = array_text(sp, "jurisdictions");
	char *lang = array_text(sp, "languages");
	json_t *active = json_object_get(sp, "active");
	sqlite3_stmt *st;
	const char *v;
	int rc;

	st = rso_store_prepare(s, "INSERT OR REPLACE INTO specialists (id, name,"
	    " email, specialty, subspecialties, jurisdictions, languages,"
	    " capacity, away_from, away_until, payout, active, updated)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_text(st, 1, rso_json_str(sp, "id"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rso_json_str(sp, "name"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rso_json_str(sp, "email"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, rso_json_str(sp, "specialty"), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 5, subs, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, jur, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, lang, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8,
	    json_integer_value(json_object_get(sp, "capacity")));
	if ((v = when_text(sp, "away_from", af)) != NULL)
		sqlite3_bind_text(st, 9, v, -1, SQLITE_STATIC);
	if ((v = when_text(sp, "away_until", au)) != NULL)
		sqlite3_bind_text(st, 10, v, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, rso_json_str(sp, "payout"), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 12, active == NULL || json_is_true(active));
	sqlite3_bind_text(st, 13, now_text(now), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(subs);
	free(jur);
	free(lang);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	return rso_event_append(s, NULL, "specialist.updated", sp, NULL, e);
}

int
rso_roster_put(struct rso_store *s, const json_t *sp,
    rso_request_report_fn *report, void *ctx, int *changed)
{
	struct rso_check c = { report, ctx, 0 };
	struct rso_error e;
	int rc, same;

	*changed = 0;
	check_specialist(&c, s, sp);
	if (c.n)
		return c.n;
	if ((rc = rso_store_begin(s, &e)) != 0)
		goto fail;
	if ((rc = same_as_stored(s, sp, &same)) != 0) {
		rc = rso_store_sqlerr(s, rc, &e);
		goto fail;
	}
	if (!same) {
		if ((rc = upsert_specialist(s, sp, &e)) != 0)
			goto fail;
		*changed = 1;
	}
	if ((rc = rso_store_commit(s, &e)) != 0)
		goto fail;
	return 0;
fail:
	rso_store_rollback(s);
	report(ctx, e.msg);
	return -e.status;
}

static json_t *
specialist_json(sqlite3_stmt *st)
{
	json_t *sp = json_pack("{s:s, s:s, s:s?, s:s, s:o, s:o, s:o, s:I}",
	    "id", col(st, 0), "name", col(st, 1), "email", col_or_null(st, 2),
	    "specialty", col(st, 3),
	    "subspecialties", json_loads(col(st, 4), 0, NULL),
	    "jurisdictions", json_loads(col(st, 5), 0, NULL),
	    "languages", json_loads(col(st, 6), 0, NULL),
	    "capacity", (json_int_t)sqlite3_column_int64(st, 7));

	if (col_or_null(st, 8))
		json_object_set_new(sp, "away_from", json_string(col(st, 8)));
	if (col_or_null(st, 9))
		json_object_set_new(sp, "away_until", json_string(col(st, 9)));
	if (col_or_null(st, 10))
		json_object_set_new(sp, "payout", json_string(col(st, 10)));
	json_object_set_new(sp, "active", json_boolean(sqlite3_column_int(st, 11)));
	return sp;
}

#define SPECIALIST_COLS "id, name, email, specialty, subspecialties," \
	" jurisdictions, languages, capacity, away_from, away_until, payout, active"

int
rso_roster_foreach(struct rso_store *s, rso_roster_fn *fn, void *ctx,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT " SPECIALIST_COLS
	    " FROM specialists ORDER BY id");
	json_t *sp;
	int rc, frc = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sp = specialist_json(st);
		frc = fn(sp, ctx);
		json_decref(sp);
		if (frc)
			break;
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

/* ---- matching ---- */

/* What matching needs to know of a case. */
struct case_facts {
	char id[RSO_CASE_IDLEN];
	char specialty[64];
	char subspecialty[64];
	char country[8];
	char region[16];
	char language[16];
	int local_physician;
	enum rso_status status;
};

static int
case_facts(struct rso_store *s, const char *id, struct case_facts *f,
    struct rso_error *e)
{
	json_t *c, *r;
	struct rso_state st;
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = rso_case_state(s, id, &st, e)) != 0)
		return rc;
	if ((rc = rso_case_get(s, id, &c, e)) != 0)
		return rc;
	r = json_object_get(c, "request");
	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(f->specialty, sizeof(f->specialty), "%s",
	    rso_json_str(r, "specialty") ? rso_json_str(r, "specialty") : "");
#define COPY(field, path) snprintf(f->field, sizeof(f->field), "%s", \
	rso_json_str(r, path) ? rso_json_str(r, path) : "")
	COPY(subspecialty, "subspecialty");
	COPY(country, "patient.country");
	COPY(region, "patient.region");
	COPY(language, "patient.language");
#undef COPY
	f->local_physician = rso_json_str(r, "local_physician.name") != NULL;
	f->status = st.status;
	json_decref(c);
	return 0;
}

static int
role_specialty(struct rso_store *s, const struct case_facts *f,
    const char *role, char *out, size_t n, struct rso_error *e)
{
	const char *sp;
	char path[128];

	if (strcmp(role, "primary") == 0) {
		snprintf(out, n, "%s", f->specialty);
		return 0;
	}
	snprintf(path, sizeof(path), "panel_roles.%s", role);
	if ((sp = rso_store_conf_str(s, path, NULL)) == NULL)
		return rso_error_set(e, EX_DATAERR, "%s: panel role %s: not in "
		    "\"panel_roles\" of config.json", f->id, role);
	snprintf(out, n, "%s", sp);
	return 0;
}

static int
has_string(const char *json_array_text, const char *v)
{
	json_t *a = json_loads(json_array_text, 0, NULL), *x;
	size_t i;
	int found = 0;

	json_array_foreach(a, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), v) == 0)
			found = 1;
	json_decref(a);
	return found;
}

static long long
open_load(struct rso_store *s, const char *specialist)
{
	return rso_store_int(s, "SELECT count(*) FROM"
	    " assignments WHERE specialist_id = ? AND status IN"
	    " ('assigned', 'accepted')", specialist);
}

static int
declined_before(struct rso_store *s, const char *id, const char *specialist)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT 1 FROM assignments"
	    " WHERE case_id = ? AND specialist_id = ? AND status = 'declined'");
	int found;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, specialist, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static void
reason(json_t *reasons, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(reasons, json_string(buf));
}

/*
 * Judge one specialist for a case: hard rules make it ineligible (the
 * first one is what a summary names), soft ones move its score.
 */
static json_t *
judge(struct rso_store *s, const struct case_facts *f, const char *role,
    sqlite3_stmt *st, const char *now)
{
	const char *sid = col(st, 0), *away_from = col_or_null(st, 8);
	const char *away_until = col_or_null(st, 9);
	long long cap = sqlite3_column_int64(st, 7), load = open_load(s, sid);
	json_t *reasons = json_array(), *hard = json_array();
	char where[32];
	int score = 0, eligible;

	if (f->region[0])
		snprintf(where, sizeof(where), "%s-%s", f->country, f->region);
	else
		snprintf(where, sizeof(where), "%s", f->country);
	reason(reasons, "specialty %s", col(st, 3));
	if (strcmp(role, "primary") == 0 && f->subspecialty[0] &&
	    has_string(col(st, 4), f->subspecialty)) {
		reason(reasons, "subspecialty %s", f->subspecialty);
		score += 40;
	}
	if (!f->country[0] || has_string(col(st, 5), f->country) ||
	    has_string(col(st, 5), where))
		reason(reasons, "licensed in %s", f->country[0] ? where : "any");
	else if (f->local_physician)
		reason(reasons, "not licensed in %s; local physician named", where);
	else
		reason(hard, "not licensed in %s", where);
	if (away_from && strcmp(away_from, now) <= 0 &&
	    (!away_until || strcmp(now, away_until) < 0))
		reason(hard, "away until %.10s", away_until ? away_until : "further notice");
	if (load >= cap)
		reason(hard, "at capacity (%lld of %lld)", load, cap);
	else {
		reason(reasons, "load %lld of %lld", load, cap);
		score += (int)(20 * (cap - load) / cap);
	}
	if (declined_before(s, f->id, sid))
		reason(hard, "declined this case");
	if (!sqlite3_column_int(st, 11))
		reason(hard, "not active");
	if (f->language[0] && has_string(col(st, 6), f->language)) {
		reason(reasons, "speaks %s", f->language);
		score += 20;
	}
	eligible = json_array_size(hard) == 0;
	json_array_extend(hard, reasons);
	json_decref(reasons);
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:I, s:I, s:o}",
	    "case", f->id, "role", role, "specialist", sid, "name", col(st, 1),
	    "eligible", eligible, "score", score, "load", (json_int_t)load,
	    "capacity", (json_int_t)cap, "reasons", hard);
}

static int
by_rank(const void *pa, const void *pb)
{
	json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	int ea = json_is_true(json_object_get(a, "eligible"));
	int eb = json_is_true(json_object_get(b, "eligible"));
	json_int_t sa = json_integer_value(json_object_get(a, "score"));
	json_int_t sb = json_integer_value(json_object_get(b, "score"));

	if (ea != eb)
		return eb - ea;
	if (sa != sb)
		return sa < sb ? 1 : -1;
	return strcmp(rso_json_str(a, "specialist"), rso_json_str(b, "specialist"));
}

static int
match_facts(struct rso_store *s, const struct case_facts *f, const char *role,
    json_t **out, struct rso_error *e)
{
	char specialty[64], now[RSO_TIME_STRLEN];
	sqlite3_stmt *st;
	json_t **v = NULL, *arr;
	size_t n = 0, i;
	int rc;

	if ((rc = role_specialty(s, f, role, specialty, sizeof(specialty), e)))
		return rc;
	now_text(now);
	st = rso_store_prepare(s, "SELECT " SPECIALIST_COLS " FROM specialists"
	    " WHERE specialty = ? ORDER BY id");
	sqlite3_bind_text(st, 1, specialty, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = rso_xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = judge(s, f, role, st, now);
	}
	sqlite3_finalize(st);
	if (n)
		qsort(v, n, sizeof(*v), by_rank);
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
	*out = arr;
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_match(struct rso_store *s, const char *id, const char *role,
    json_t **out, struct rso_error *e)
{
	struct case_facts f;
	int rc;

	if ((rc = case_facts(s, id, &f, e)) != 0)
		return rc;
	return match_facts(s, &f, role, out, e);
}

/* ---- panels and assignments ---- */

int
rso_panel_set(struct rso_store *s, const char *id, const json_t *roles,
    struct rso_error *e)
{
	struct case_facts f;
	char specialty[64];
	sqlite3_stmt *st;
	json_t *r;
	size_t i;
	int rc;

	if ((rc = case_facts(s, id, &f, e)) != 0)
		return rc;
	json_array_foreach(roles, i, r) {
		if (strcmp(json_string_value(r), "primary") == 0)
			continue;
		if ((rc = role_specialty(s, &f, json_string_value(r), specialty,
		    sizeof(specialty), e)) != 0)
			return rc;
		st = rso_store_prepare(s, "INSERT OR IGNORE INTO panel_roles"
		    " (case_id, role, specialty) VALUES (?, ?, ?)");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, json_string_value(r), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, specialty, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return rso_store_sqlerr(s, rc, e);
		if (sqlite3_changes(rso_store_db(s)) == 0)
			continue;
		r = json_pack("{s:O, s:s}", "role", r, "specialty", specialty);
		rc = rso_event_append(s, id, "panel.role", r, NULL, e);
		json_decref(r);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The roles of a case: "primary", then its panel roles by name. */
static json_t *
case_roles(struct rso_store *s, const char *id)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT role FROM panel_roles"
	    " WHERE case_id = ? ORDER BY role");
	json_t *roles = json_pack("[s]", "primary");

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(roles, json_string(col(st, 0)));
	sqlite3_finalize(st);
	return roles;
}

/* The open assignment of a role: its specialist into sp, or "" for none. */
static void
open_assignment(struct rso_store *s, const char *id, const char *role,
    char *sp, size_t n)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT specialist_id FROM"
	    " assignments WHERE case_id = ? AND role = ? AND status IN"
	    " ('assigned', 'accepted')");

	*sp = '\0';
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(sp, n, "%s", col(st, 0));
	sqlite3_finalize(st);
}

/* "2 not licensed in AE, 1 at capacity": why nobody could take a role. */
static void
why_nobody(const json_t *cands, char *buf, size_t n)
{
	json_t *counts = json_object(), *c, *v;
	const char *first, *k;
	char key[96], *paren;
	size_t i, len = 0;

	json_array_foreach(cands, i, c) {
		first = json_string_value(json_array_get(
		    json_object_get(c, "reasons"), 0));
		snprintf(key, sizeof(key), "%s", first ? first : "ineligible");
		if ((paren = strstr(key, " (")) != NULL)
			*paren = '\0';
		v = json_object_get(counts, key);
		json_object_set_new(counts, key,
		    json_integer(json_integer_value(v) + 1));
	}
	*buf = '\0';
	json_object_foreach(counts, k, v)
		len += snprintf(buf + len, len < n ? n - len : 0, "%s%lld %s",
		    len ? ", " : "", (long long)json_integer_value(v), k);
	json_decref(counts);
}

static const json_t *
choose(const json_t *cands, const char *to, int force, const char *id,
    const char *role, const char *specialty, struct rso_error *e)
{
	const json_t *c;
	char why[256];
	size_t i;

	json_array_foreach(cands, i, c) {
		if (to && strcmp(rso_json_str(c, "specialist"), to) != 0)
			continue;
		if (json_is_true(json_object_get(c, "eligible")) || (to && force))
			return c;
		if (to) {
			rso_error_set(e, EX_DATAERR, "%s: %s cannot take it: %s "
			    "(--force to override)", id, to, json_string_value(
			    json_array_get(json_object_get(c, "reasons"), 0)));
			return NULL;
		}
	}
	if (to)
		rso_error_set(e, EX_DATAERR, "%s: %s: no such %s specialist on the "
		    "roster", id, to, specialty);
	else if (json_array_size(cands) == 0)
		rso_error_set(e, EX_DATAERR, "%s: no %s specialist on the roster",
		    id, specialty);
	else {
		why_nobody(cands, why, sizeof(why));
		rso_error_set(e, EX_DATAERR, "%s: nobody can take role %s: %s",
		    id, role, why);
	}
	return NULL;
}

static int
insert_assignment(struct rso_store *s, const char *id, const json_t *c,
    int forced, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "INSERT INTO assignments"
	    " (case_id, specialist_id, role, status, assigned, forced)"
	    " VALUES (?, ?, ?, 'assigned', ?, ?)");
	char now[RSO_TIME_STRLEN];
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rso_json_str(c, "specialist"), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rso_json_str(c, "role"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now_text(now), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, forced);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

/* Fill one role; *added is set when an assignment was made. */
static int
fill_role(struct rso_store *s, const struct case_facts *f, const char *role,
    const char *to, int force, int *first, json_t *list, struct rso_error *e)
{
	char sp[80], specialty[64];
	const json_t *c;
	json_t *cands, *data;
	int rc, forced;

	open_assignment(s, f->id, role, sp, sizeof(sp));
	if (sp[0]) {
		json_array_append_new(list, json_pack("{s:s, s:s}", "role", role,
		    "specialist", sp));
		return 0;
	}
	if ((rc = role_specialty(s, f, role, specialty, sizeof(specialty), e)))
		return rc;
	if ((rc = match_facts(s, f, role, &cands, e)) != 0)
		return rc;
	if ((c = choose(cands, to, force, f->id, role, specialty, e)) == NULL) {
		json_decref(cands);
		return EX_DATAERR;
	}
	forced = !json_is_true(json_object_get(c, "eligible"));
	rc = insert_assignment(s, f->id, c, forced, e);
	data = json_pack("{s:s, s:s, s:b, s:O}", "role", role, "specialist",
	    rso_json_str(c, "specialist"), "forced", forced, "reasons",
	    json_object_get(c, "reasons"));
	if (rc == 0)
		rc = *first ? rso_case_event(s, f->id, "case.assigned", data, e) :
		    rso_event_append(s, f->id, "assignment.added", data, NULL, e);
	*first = 0;
	json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "role", role,
	    "specialist", rso_json_str(c, "specialist"), "new", 1));
	json_decref(data);
	json_decref(cands);
	return rc;
}

int
rso_assign(struct rso_store *s, const char *id, const char *to,
    const char *to_role, int force, json_t **out, struct rso_error *e)
{
	struct case_facts f;
	struct rso_state st;
	json_t *roles, *role, *list = json_array(), *a;
	size_t i;
	int rc, first, added = 0;

	*out = NULL;
	if ((rc = rso_store_begin(s, e)) != 0)
		goto done;
	if ((rc = case_facts(s, id, &f, e)) != 0)
		goto done;
	if (f.status != RSO_ST_READY && f.status != RSO_ST_ASSIGNED &&
	    f.status != RSO_ST_IN_REVIEW) {
		rc = rso_error_set(e, EX_DATAERR, "%s: cannot assign a case that "
		    "is %s", id, rso_status_name(f.status));
		goto done;
	}
	first = f.status == RSO_ST_READY;
	roles = case_roles(s, id);
	json_array_foreach(roles, i, role) {
		rc = fill_role(s, &f, json_string_value(role),
		    to && strcmp(to_role, json_string_value(role)) == 0 ? to :
		    NULL, force, &first, list, e);
		if (rc != 0)
			break;
	}
	json_decref(roles);
	if (rc == 0)
		rc = rso_store_commit(s, e);
done:
	if (rc != 0) {
		rso_store_rollback(s);
		json_decref(list);
		return rc;
	}
	json_array_foreach(list, i, a) {
		added |= json_is_true(json_object_get(a, "new"));
		json_object_del(a, "new");
	}
	rso_case_state(s, id, &st, NULL);
	*out = json_pack("{s:s, s:s, s:o}", "case", id, "status",
	    rso_status_name(st.status), "assignments", list);
	if (!added)
		json_object_set_new(*out, "existing", json_true());
	return 0;
}

/* The one assignment of a case in status want, by specialist when given. */
static int
find_assignment(struct rso_store *s, const char *id, const char *by,
    const char *want, long long *aid, char *sp, size_t n)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT id, specialist_id FROM"
	    " assignments WHERE case_id = ? AND status = ?"
	    " AND (?3 IS NULL OR specialist_id = ?3) ORDER BY id");
	int found = 0;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, want, -1, SQLITE_STATIC);
	if (by)
		sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		*aid = sqlite3_column_int64(st, 0);
		snprintf(sp, n, "%s", col(st, 1));
		found++;
	}
	sqlite3_finalize(st);
	return found;
}

static int
set_assignment(struct rso_store *s, long long aid, const char *status,
    const char *reason_text, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, strcmp(status, "accepted") == 0 ?
	    "UPDATE assignments SET status = ?, accepted = ?, reason = ?"
	    " WHERE id = ?" :
	    "UPDATE assignments SET status = ?, ended = ?, reason = ?"
	    " WHERE id = ?");
	char now[RSO_TIME_STRLEN];
	int rc;

	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, now_text(now), -1, SQLITE_STATIC);
	if (reason_text)
		sqlite3_bind_text(st, 3, reason_text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, aid);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

static json_t *
answer(struct rso_store *s, const char *id, const char *sp, int unchanged)
{
	struct rso_state st;
	json_t *out;

	rso_case_state(s, id, &st, NULL);
	out = json_pack("{s:s, s:s, s:s}", "case", id, "status",
	    rso_status_name(st.status), "specialist", sp);
	if (unchanged)
		json_object_set_new(out, "unchanged", json_true());
	return out;
}

int
rso_assign_accept(struct rso_store *s, const char *id, const char *by,
    json_t **out, struct rso_error *e)
{
	struct rso_state st;
	char sp[80];
	long long aid;
	json_t *data;
	int rc, n;

	*out = NULL;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	if ((rc = rso_case_state(s, id, &st, e)) != 0)
		goto fail;
	n = find_assignment(s, id, by, "assigned", &aid, sp, sizeof(sp));
	if (n == 0 && find_assignment(s, id, by, "accepted", &aid, sp,
	    sizeof(sp)) > 0) {
		rso_store_rollback(s);
		*out = answer(s, id, sp, 1);
		return 0;
	}
	if (n == 0) {
		rc = rso_error_set(e, EX_DATAERR, "%s: no assignment waits for "
		    "acceptance%s%s", id, by ? " by " : "", by ? by : "");
		goto fail;
	}
	if (n > 1) {
		rc = rso_error_set(e, EX_DATAERR, "%s: %d assignments wait; name "
		    "the specialist with --by", id, n);
		goto fail;
	}
	if ((rc = rso_fee_gate(s, id, e)) != 0)
		goto fail;
	if ((rc = set_assignment(s, aid, "accepted", NULL, e)) != 0)
		goto fail;
	data = json_pack("{s:s}", "specialist", sp);
	rc = st.status == RSO_ST_ASSIGNED ?
	    rso_case_event(s, id, "review.started", data, e) :
	    rso_event_append(s, id, "assignment.accepted", data, NULL, e);
	json_decref(data);
	if (rc == 0)
		rc = rso_store_commit(s, e);
	if (rc != 0)
		goto fail;
	*out = answer(s, id, sp, 0);
	return 0;
fail:
	rso_store_rollback(s);
	return rc;
}

static long long
open_count(struct rso_store *s, const char *id)
{
	return rso_store_int(s, "SELECT count(*) FROM assignments WHERE"
	    " case_id = ? AND status IN ('assigned', 'accepted')", id);
}

int
rso_assign_decline(struct rso_store *s, const char *id, const char *by,
    const char *why, json_t **out, struct rso_error *e)
{
	struct rso_state st;
	char sp[80];
	long long aid;
	json_t *data;
	int rc, n;

	*out = NULL;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	if ((rc = rso_case_state(s, id, &st, e)) != 0)
		goto fail;
	n = find_assignment(s, id, by, "assigned", &aid, sp, sizeof(sp));
	if (n == 0 && by && find_assignment(s, id, by, "declined", &aid, sp,
	    sizeof(sp)) > 0) {
		rso_store_rollback(s);
		*out = answer(s, id, sp, 1);
		return 0;
	}
	if (n == 0) {
		rc = rso_error_set(e, EX_DATAERR, "%s: no assignment waits for an "
		    "answer%s%s (an accepted review cannot be declined)", id,
		    by ? " by " : "", by ? by : "");
		goto fail;
	}
	if (n > 1) {
		rc = rso_error_set(e, EX_DATAERR, "%s: %d assignments wait; name "
		    "the specialist with --by", id, n);
		goto fail;
	}
	if ((rc = set_assignment(s, aid, "declined", why, e)) != 0)
		goto fail;
	data = json_pack("{s:s, s:s}", "specialist", sp, "reason", why);
	rc = open_count(s, id) == 0 && st.status == RSO_ST_ASSIGNED ?
	    rso_case_event(s, id, "assignment.declined", data, e) :
	    rso_event_append(s, id, "panel.declined", data, NULL, e);
	json_decref(data);
	if (rc == 0)
		rc = rso_store_commit(s, e);
	if (rc != 0)
		goto fail;
	*out = answer(s, id, sp, 0);
	return 0;
fail:
	rso_store_rollback(s);
	return rc;
}

int
rso_assign_done(struct rso_store *s, const char *id, int *n,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "UPDATE assignments SET"
	    " status = 'done', ended = ? WHERE case_id = ? AND status IN"
	    " ('assigned', 'accepted')");
	char now[RSO_TIME_STRLEN];
	int rc;

	sqlite3_bind_text(st, 1, now_text(now), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	*n = sqlite3_changes(rso_store_db(s));
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

/* ---- due dates and workload ---- */

static int
by_due(const void *pa, const void *pb)
{
	json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	const char *da = rso_json_str(a, "due"), *db = rso_json_str(b, "due");
	int c = strcmp(da ? da : "~", db ? db : "~");

	return c ? c : strcmp(rso_json_str(a, "case"), rso_json_str(b, "case"));
}

int
rso_assign_open_foreach(struct rso_store *s, rso_assignment_fn *fn,
    void *ctx, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT a.case_id, a.role,"
	    " a.specialist_id, p.name, p.email, a.status FROM assignments a"
	    " JOIN specialists p ON p.id = a.specialist_id"
	    " WHERE a.status IN ('assigned', 'accepted')");
	char ready[RSO_TIME_STRLEN], due[RSO_TIME_STRLEN];
	rso_time_t now = rso_now();
	struct rso_sla sla;
	json_t **v = NULL;
	size_t n = 0, i;
	int rc, frc = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rso_sla_case(s, col(st, 0), &sla, e) != 0)
			break;
		v = rso_xrealloc(v, (n + 1) * sizeof(*v));
		v[n] = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s}",
		    "case", col(st, 0), "role", col(st, 1),
		    "specialist", col(st, 2), "name", col(st, 3),
		    "email", col_or_null(st, 4), "status", col(st, 5));
		if (sla.ready) {
			json_object_set_new(v[n], "ready",
			    json_string(rso_time_format(sla.ready, ready)));
			json_object_set_new(v[n], "due",
			    json_string(rso_time_format(sla.due, due)));
			/* Whole days left, rounded down; negative when overdue. */
			json_object_set_new(v[n], "days_left", json_integer(
			    (sla.due - now) >= 0 ? (sla.due - now) / 86400 :
			    -((now - sla.due + 86399) / 86400)));
		}
		n++;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		rc = e->status;
	else
		rc = rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
	if (n)
		qsort(v, n, sizeof(*v), by_due);
	for (i = 0; i < n; i++) {
		if (rc == 0 && frc == 0)
			frc = fn(v[i], ctx);
		json_decref(v[i]);
	}
	free(v);
	return rc ? rc : frc;
}

struct due {
	int64_t within;
	rso_assignment_fn *fn;
	void *ctx;
};

static int
due_one(json_t *a, void *ctx)
{
	struct due *d = ctx;
	rso_time_t due, now = rso_now();

	if (!json_is_integer(json_object_get(a, "days_left")) ||
	    rso_time_parse(rso_json_str(a, "due"), &due) != 0 ||
	    due - now > d->within)
		return 0;
	json_object_set_new(a, "kind", json_string(due < now ?
	    "review-overdue" : "review-due"));
	return d->fn(a, d->ctx);
}

int
rso_assign_due(struct rso_store *s, int64_t within, rso_assignment_fn *fn,
    void *ctx, struct rso_error *e)
{
	struct due d = { within, fn, ctx };

	return rso_assign_open_foreach(s, due_one, &d, e);
}

/* Done assignments of a specialist, and how many met the promise. */
static int
done_within(struct rso_store *s, const char *sp, long long *done,
    long long *within, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT DISTINCT case_id FROM"
	    " assignments WHERE specialist_id = ? AND status = 'done'");
	struct rso_sla sla;
	int rc;

	*done = *within = 0;
	sqlite3_bind_text(st, 1, sp, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rso_sla_case(s, col(st, 0), &sla, e) != 0)
			break;
		(*done)++;
		if (sla.ready && sla.delivered && sla.delivered <= sla.due)
			(*within)++;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return e->status;
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

struct workload {
	json_t *by_sp;		/* specialist id -> {open, next_due, overdue} */
	rso_time_t now;
};

static int
count_open(json_t *a, void *ctx)
{
	struct workload *w = ctx;
	const char *sp = rso_json_str(a, "specialist"), *due;
	json_t *o = json_object_get(w->by_sp, sp);
	rso_time_t t;

	if (o == NULL) {
		o = json_pack("{s:i, s:n, s:i}", "open", 0, "next_due", "overdue", 0);
		json_object_set_new(w->by_sp, sp, o);
	}
	json_object_set_new(o, "open", json_integer(
	    json_integer_value(json_object_get(o, "open")) + 1));
	if ((due = rso_json_str(a, "due")) != NULL) {
		if (json_is_null(json_object_get(o, "next_due")))
			json_object_set_new(o, "next_due", json_string(due));
		if (rso_time_parse(due, &t) == 0 && t < w->now)
			json_object_set_new(o, "overdue", json_integer(
			    json_integer_value(json_object_get(o, "overdue")) + 1));
	}
	return 0;
}

static long long
declines_of(struct rso_store *s, const char *sp)
{
	return rso_store_int(s, "SELECT count(*) FROM assignments WHERE"
	    " specialist_id = ? AND status = 'declined'", sp);
}

int
rso_workload_foreach(struct rso_store *s, rso_roster_fn *fn, void *ctx,
    struct rso_error *e)
{
	struct workload w = { json_object(), rso_now() };
	sqlite3_stmt *st;
	long long done, within;
	json_t *o, *row;
	int rc, frc = 0;

	if ((rc = rso_assign_open_foreach(s, count_open, &w, e)) != 0) {
		json_decref(w.by_sp);
		return rc;
	}
	st = rso_store_prepare(s, "SELECT id, name, capacity FROM specialists"
	    " ORDER BY id");
	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((frc = done_within(s, col(st, 0), &done, &within, e)) != 0)
			break;
		o = json_object_get(w.by_sp, col(st, 0));
		row = json_pack("{s:s, s:s, s:I, s:I, s:O, s:I, s:I, s:I}",
		    "specialist", col(st, 0), "name", col(st, 1),
		    "capacity", (json_int_t)sqlite3_column_int64(st, 2),
		    "open", o ? json_integer_value(json_object_get(o, "open")) : 0,
		    "next_due", o ? json_object_get(o, "next_due") : json_null(),
		    "overdue", o ? json_integer_value(json_object_get(o, "overdue")) : 0,
		    "done", (json_int_t)done, "within_sla", (json_int_t)within);
		/* Percent, to one decimal, as an exact integer of tenths. */
		json_object_set_new(row, "sla_adherence", done ?
		    json_real((double)(within * 1000 / done) / 10.0) : json_null());
		json_object_set_new(row, "declined",
		    json_integer(declines_of(s, col(st, 0))));
		frc = fn(row, ctx);
		json_decref(row);
	}
	sqlite3_finalize(st);
	json_decref(w.by_sp);
	if (frc)
		return frc;
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}
