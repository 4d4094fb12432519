/* rso_report: periods, what the reports share, and the list of reports. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_jsonl.h"
#include "rso_money.h"
#include "rso_report.h"
#include "rso_report_priv.h"
#include "rso_store_priv.h"

/* ---- periods ---- */

void
report_month_bounds(int y, int m, struct rso_period *p)
{
	int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;

	snprintf(p->since, sizeof(p->since), "%04d-%02d-01T00:00:00Z", y, m);
	snprintf(p->until, sizeof(p->until), "%04d-%02d-01T00:00:00Z", ny, nm);
	snprintf(p->label, sizeof(p->label), "%04d-%02d", y, m);
	p->month = 1;
}

int
rso_period_month(const char *month, struct rso_period *p)
{
	int y, m;
	char tail;

	memset(p, 0, sizeof(*p));
	if (month == NULL || strlen(month) != 7 ||
	    sscanf(month, "%4d-%2d%c", &y, &m, &tail) != 2 || y < 1970 ||
	    m < 1 || m > 12)
		return EX_USAGE;
	report_month_bounds(y, m, p);
	return 0;
}

static int
bound(const char *s, char *out)
{
	rso_time_t t;

	if (rso_time_parse(s, &t) != 0 && rso_date_parse(s, &t) != 0)
		return -1;
	rso_time_format(t, out);
	return 0;
}

int
rso_period_range(const char *since, const char *until, struct rso_period *p)
{
	memset(p, 0, sizeof(*p));
	if (since == NULL || bound(since, p->since) != 0)
		return EX_USAGE;
	if (until == NULL)
		rso_time_format(rso_now(), p->until);
	else if (bound(until, p->until) != 0)
		return EX_USAGE;
	snprintf(p->label, sizeof(p->label), "%.10s to %.10s", p->since,
	    p->until);
	return 0;
}

void
rso_period_shift(const struct rso_period *p, int months,
    struct rso_period *out)
{
	int y = atoi(p->since), m = atoi(p->since + 5), k;

	k = y * 12 + (m - 1) + months;
	memset(out, 0, sizeof(*out));
	report_month_bounds(k / 12, k % 12 + 1, out);
}

/* ---- small SQL helpers ---- */

sqlite3_stmt *
report_prep(struct rso_store *s, const char *sql, const struct rso_period *p)
{
	sqlite3_stmt *st = rso_store_prepare(s, sql);

	if (sqlite3_bind_parameter_count(st) >= 2) {
		sqlite3_bind_text(st, 1, p->since, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->until, -1, SQLITE_STATIC);
	}
	return st;
}

int64_t
report_count(struct rso_store *s, const char *sql, const struct rso_period *p)
{
	sqlite3_stmt *st = report_prep(s, sql, p);
	int64_t n = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
report_table_exists(struct rso_store *s, const char *name)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT 1 FROM sqlite_master"
	    " WHERE type = 'table' AND name = ?");
	int found;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int64_t
report_secs_between(const char *a, const char *b)
{
	rso_time_t ta, tb;

	if (rso_time_parse(a, &ta) != 0 || rso_time_parse(b, &tb) != 0)
		return -1;
	return tb - ta;
}

/* ---- report objects ---- */

json_t *
report_new(const char *name, const char *title, const struct rso_period *p,
    struct rso_store *s)
{
	char rule[256];
	int business = json_is_true(rso_json_path(rso_store_config(s),
	    "sla_business_days"));

	snprintf(rule, sizeof(rule), "SLA: %lld %s days from ready (records "
	    "complete) to delivered, time on hold excluded; percentiles by "
	    "nearest rank", rso_store_conf_int(s, "sla_days", 14), business ?
	    "business" : "calendar");
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:[], s:[]}",
	    "report", name, "title", title, "period", "since", p->since,
	    "until", p->until, "label", p->label, "rule", rule, "currency",
	    rso_store_conf_str(s, "currency", "USD"), "sections", "charts");
}

/*
 * A key as people read it: "last_year" is "Last year"; the initialisms
 * the reports use stay upper case.
 */
static json_t *
column_label(const char *key)
{
	static const char *const upper[] = { "sla", "nps", "roi", "ehr", NULL };
	char out[128], word[64];
	size_t n = 0, w, i;

	while (*key && n + sizeof(word) < sizeof(out)) {
		for (w = 0; key[w] && key[w] != '_' && w + 1 < sizeof(word); w++)
			word[w] = key[w];
		word[w] = '\0';
		for (i = 0; upper[i] && strcmp(upper[i], word) != 0; i++)
			;
		for (i = upper[i] ? 0 : w; i < w; i++)
			word[i] = (char)(word[i] - 'a' + 'A');
		if (n == 0 && word[0] >= 'a' && word[0] <= 'z')
			word[0] = (char)(word[0] - 'a' + 'A');
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", n ? " " :
		    "", word);
		key += w;
		while (*key == '_')
			key++;
	}
	return json_string(out);
}

json_t *
report_section(json_t *r, const char *name, const char *title,
    const char *cols)
{
	json_t *sec = json_pack("{s:s, s:s, s:[], s:[], s:[]}", "name", name,
	    "title", title, "columns", "labels", "rows");
	json_t *c = json_object_get(sec, "columns");
	json_t *l = json_object_get(sec, "labels");
	char *copy = rso_xstrdup(cols), *tok, *save = NULL, *eq;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",",
	    &save)) {
		if ((eq = strchr(tok, '=')) != NULL)
			*eq++ = '\0';
		json_array_append_new(c, json_string(tok));
		json_array_append_new(l, eq ? json_string(eq) : column_label(tok));
	}
	free(copy);
	json_array_append_new(json_object_get(r, "sections"), sec);
	return json_object_get(sec, "rows");
}

void
report_aside(json_t *r)
{
	json_t *secs = json_object_get(r, "sections");

	json_object_set_new(json_array_get(secs, json_array_size(secs) - 1),
	    "aside", json_true());
}

json_t *
report_chart(json_t *r, const char *kind, const char *title,
    const char *axis, const char *unit, int line)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:[], s:[]}", "kind", kind,
	    "title", title, "axis", axis, "unit", unit, "labels", "values");

	if (line > 0)
		json_object_set_new(c, "line", json_integer(line));
	json_array_append_new(json_object_get(r, "charts"), c);
	return c;
}

json_t *
report_money(int64_t minor, int exponent)
{
	char buf[RSO_MONEY_STRLEN];

	return json_pack("{s:s}", "money", rso_money_format(minor, exponent,
	    buf));
}

void
report_chart_add(json_t *c, const char *label, int64_t v)
{
	json_array_append_new(json_object_get(c, "labels"), json_string(label));
	json_array_append_new(json_object_get(c, "values"), json_integer(v));
}

/* ---- the list of reports ---- */

static const struct {
	const char *name;
	rso_report_fn *fn;
} reports[] = {
	{ "access", rso_report_access },
	{ "attrition", rso_report_attrition },
	{ "audit", rso_report_audit },
	{ "funnel", rso_report_funnel },
	{ "maturity", rso_report_maturity },
	{ "monthly", rso_report_monthly },
	{ "nps", rso_report_nps },
	{ "outcomes", rso_report_outcomes },
	{ "reach", rso_report_reach },
	{ "roi", rso_report_roi },
	{ "specialists", rso_report_specialists },
	{ "turnaround", rso_report_turnaround },
};
#define NREPORTS (sizeof(reports) / sizeof(reports[0]))

rso_report_fn *
rso_report_find(const char *name)
{
	size_t i;

	for (i = 0; i < NREPORTS; i++)
		if (strcmp(reports[i].name, name) == 0)
			return reports[i].fn;
	return NULL;
}

const char *const *
rso_report_names(void)
{
	static const char *names[NREPORTS + 1];
	size_t i;

	for (i = 0; i < NREPORTS; i++)
		names[i] = reports[i].name;
	return names;
}
