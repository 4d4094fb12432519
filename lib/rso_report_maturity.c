/* rso_report_maturity: where the program stands, pilot to established. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_bill.h"
#include "rso_jsonl.h"
#include "rso_money.h"
#include "rso_report.h"
#include "rso_report_priv.h"
#include "rso_sla.h"
#include "rso_stats.h"
#include "rso_store_priv.h"

/*
 * The dimensions of the maturity model, each with the config key of its
 * thresholds (percent, integers) and their defaults, in the order the
 * report lists them.
 */
enum { M_TURNAROUND, M_PAYMENTS, M_ROI, M_REACH, M_EHR, M_SPECIALIST,
    M_SELF_SERVICE, M_RELATIONSHIP, M_COUNT };

static const struct dimension {
	const char *key, *title;
	int intermediate, established;
} dimensions[M_COUNT] = {
	{ "turnaround", "workflow and two-week turnaround", 50, 90 },
	{ "payments", "pricing and electronic payment", 50, 90 },
	{ "roi", "return on investment", 100, 200 },
	{ "reach", "reach abroad", 5, 15 },
	{ "ehr", "EHR/PACS transfer", 50, 90 },
	{ "specialist_sla", "specialist SLA", 50, 90 },
	{ "self_service", "self-service intake", 25, 60 },
	{ "relationship", "relationship after the opinion", 30, 60 },
};

/* A dimension's thresholds: config "maturity.KEY", else the defaults. */
static int
thresholds(struct rso_store *s, int d, int *inter, int *estab,
    struct rso_error *e)
{
	char path[64];

	snprintf(path, sizeof(path), "maturity.%s.intermediate",
	    dimensions[d].key);
	*inter = (int)rso_store_conf_int(s, path, dimensions[d].intermediate);
	snprintf(path, sizeof(path), "maturity.%s.established",
	    dimensions[d].key);
	*estab = (int)rso_store_conf_int(s, path, dimensions[d].established);
	if (*inter < 0 || *inter > *estab)
		return rso_error_set(e, EX_CONFIG, "config.json: maturity.%s: "
		    "not 0 <= intermediate <= established", dimensions[d].key);
	return 0;
}

/* One dimension's finding, before it is judged. */
struct finding {
	int64_t num, den;	/* the share: num of den */
	int64_t score;		/* tenths of a percent; -1: nothing to judge */
	const char *level;	/* set when the rule is not the thresholds */
	int money;		/* the figure is the amount net, not a share */
	int64_t net;
	char figure[64], why[320];
};

static void
share(struct finding *f, int64_t num, int64_t den)
{
	f->num = num;
	f->den = den;
	f->score = rso_rate_tenths(num, den);
	if (f->score >= 0)
		rso_rate_format(f->score, f->figure, sizeof(f->figure));
}

/* Cases whose first delivery is in the period, and how many pass test. */
#define DELIVERED_WITH(test) \
	"SELECT count(*), coalesce(sum(" test "), 0) FROM (" \
	FIRST_IN("opinion.delivered") ") d"

static void
count2(struct rso_store *s, const char *sql, const struct rso_period *p,
    int64_t *a, int64_t *b)
{
	sqlite3_stmt *st = report_prep(s, sql, p);

	*a = *b = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*a = sqlite3_column_int64(st, 0);
		*b = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
}

static void
find_turnaround(struct rso_store *s, const struct figures *fg,
    struct finding *f)
{
	share(f, fg->within, fg->within + fg->breaches);
	snprintf(f->why, sizeof(f->why), "%s of %lld opinions delivered within "
	    "the %lld-day promise", f->figure, (long long)f->den,
	    rso_store_conf_int(s, "sla_days", 14));
}

/*
 * Electronic payment: the share of payments whose method is one of
 * maturity.electronic_methods.  Payments imported without a method can
 * only show that payments are recorded at all.
 */
static void
find_payments(struct rso_store *s, const struct rso_period *p,
    struct finding *f)
{
	sqlite3_stmt *st;
	int64_t all = 0, known = 0, electronic = 0;

	if (report_table_exists(s, "payments")) {
		st = report_prep(s, "SELECT y.method FROM payments y JOIN"
		    " ledger_tx t ON t.id = y.tx_id WHERE t.at >= ?1 AND t.at < ?2",
		    p);
		while (sqlite3_step(st) == SQLITE_ROW) {
			all++;
			if (sqlite3_column_type(st, 0) == SQLITE_NULL)
				continue;
			known++;
			electronic += rso_store_conf_has(s,
			    "maturity.electronic_methods", col(st, 0));
		}
		sqlite3_finalize(st);
	}
	if (known > 0) {
		share(f, electronic, known);
		snprintf(f->why, sizeof(f->why), "%s of %lld payments with a "
		    "recorded method were electronic", f->figure,
		    (long long)known);
		return;
	}
	f->score = -1;
	f->level = all ? "intermediate" : "pilot";
	snprintf(f->figure, sizeof(f->figure), "%lld payments", (long long)all);
	if (all)
		snprintf(f->why, sizeof(f->why), "%lld payments recorded in the "
		    "ledger, none with a method", (long long)all);
	else
		snprintf(f->why, sizeof(f->why), "no payments recorded in the "
		    "ledger");
}

static int
find_roi(struct rso_store *s, const struct rso_period *p, struct finding *f,
    struct rso_error *e)
{
	int x = rso_currency_exponent(rso_store_conf_str(s, "currency", "USD"));
	char net[RSO_MONEY_STRLEN], ratio[32];
	struct roi o;

	if (report_roi_get(s, p, x, &o, e) != 0)
		return e->status;
	rso_money_format(o.net, x, net);
	snprintf(f->figure, sizeof(f->figure), "%s", net);
	f->money = 1;
	f->net = o.net;
	/* The ratio in hundredths is the percent the thresholds are in. */
	f->score = o.ratio < 0 ? -1 : o.ratio * 10;
	if (o.ratio < 0) {
		f->level = "pilot";
		snprintf(f->why, sizeof(f->why), "net %s; no costs configured "
		    "(\"costs\"), so no return ratio", net);
		return 0;
	}
	snprintf(f->why, sizeof(f->why), "net %s; return ratio %s (fees and "
	    "downstream revenue over costs)", net, report_ratio_text(o.ratio,
	    ratio));
	return 0;
}

/*
 * The home country: config "home_country" when set, else the fee
 * schedule's, so the report and the international surcharge agree.
 */
static char *
home_country(struct rso_store *s)
{
	const char *c = rso_store_conf_str(s, "home_country", NULL);
	struct rso_error e;
	json_t *fees;
	char *out;

	if (c != NULL)
		return rso_xstrdup(c);
	if ((fees = rso_fees_load(s, &e)) == NULL)
		return rso_xstrdup("US");
	c = rso_json_str(fees, "home_country");
	out = rso_xstrdup(c ? c : "US");
	json_decref(fees);
	return out;
}

static void
find_reach(struct rso_store *s, const struct rso_period *p,
    struct finding *f)
{
	char *home = home_country(s);
	sqlite3_stmt *st = report_prep(s, "SELECT count(*), coalesce(sum("
	    "upper(country) <> upper(?3)), 0) FROM cases WHERE created >= ?1 AND"
	    " created < ?2 AND country IS NOT NULL AND country <> ''", p);

	sqlite3_bind_text(st, 3, home, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		share(f, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	snprintf(f->why, sizeof(f->why), "%s of %lld patients requesting in the "
	    "period live outside %s", f->figure, (long long)f->den, home);
	free(home);
}

/* The share of the period's delivered opinions that sql counts. */
static void
delivered_share(struct rso_store *s, const struct rso_period *p,
    struct finding *f, const char *sql, const char *what)
{
	int64_t n, k;

	count2(s, sql, p, &n, &k);
	share(f, k, n);
	snprintf(f->why, sizeof(f->why), "%s of %lld opinions delivered %s",
	    f->figure, (long long)n, what);
}

static void
find_ehr(struct rso_store *s, const struct rso_period *p, struct finding *f)
{
	/* A transfer archive goes to a partner, not into the EHR or PACS. */
	delivered_share(s, p, f, DELIVERED_WITH("EXISTS (SELECT 1 FROM events"
	    " x WHERE x.case_id = d.case_id AND x.type = 'case.exported' AND"
	    " json_extract(x.data, '$.format') IS NOT 'archive')"),
	    "were exported to the EHR or PACS");
}

/*
 * An assignment made in the period meets its deadlines when it was
 * accepted within maturity.accept_days of being assigned and its case was
 * (or still may be) delivered by the SLA due time.  Declined assignments
 * are the roster's business, not a missed deadline; one still waiting
 * within its acceptance window is not judged yet.
 */
static int
find_specialist(struct rso_store *s, const struct rso_period *p,
    struct finding *f, struct rso_error *e)
{
	int64_t window = rso_store_conf_int(s, "maturity.accept_days", 2) *
	    86400, num = 0, den = 0, took;
	rso_time_t now = rso_now(), at;
	sqlite3_stmt *st = report_prep(s, "SELECT case_id, assigned, accepted FROM"
	    " assignments WHERE assigned >= ?1 AND assigned < ?2 AND status <>"
	    " 'declined'", p);
	struct rso_sla sla;
	int rc = 0, ok;

	while (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
			if (rso_time_parse(col(st, 1), &at) == 0 &&
			    now < at + window)
				continue;
			den++;
			continue;
		}
		den++;
		took = report_secs_between(col(st, 1), col(st, 2));
		ok = took >= 0 && took <= window;
		if (ok && (rc = rso_sla_case(s, col(st, 0), &sla, e)) != 0)
			break;
		if (ok && sla.due)
			ok = sla.delivered ? sla.delivered <= sla.due :
			    now <= sla.due;
		num += ok;
	}
	sqlite3_finalize(st);
	share(f, num, den);
	snprintf(f->why, sizeof(f->why), "%s of %lld assignments accepted "
	    "within %lld days and reviewed by the due date", f->figure,
	    (long long)den, (long long)(window / 86400));
	return rc;
}

/*
 * Self-service: the request's "channel" is one of
 * maturity.self_service_channels; a request that names no channel counts
 * when the patient asked without a referring provider (requester.kind
 * "patient"), the nearest the request records come to it.
 */
static void
find_self_service(struct rso_store *s, const struct rso_period *p,
    struct finding *f)
{
	sqlite3_stmt *st = report_prep(s, "SELECT json_extract(intake,"
	    " '$.channel'), json_extract(intake, '$.requester.kind') FROM cases"
	    " WHERE created >= ?1 AND created < ?2", p);
	int64_t n = 0, k = 0;

	while (sqlite3_step(st) == SQLITE_ROW) {
		n++;
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			k += rso_store_conf_has(s, "maturity.self_service_channels",
			    col(st, 0));
		else
			k += strcmp(col(st, 1), "patient") == 0;
	}
	sqlite3_finalize(st);
	share(f, k, n);
	snprintf(f->why, sizeof(f->why), "%s of %lld requests came in by "
	    "self-service (channel, else the patient asking)", f->figure,
	    (long long)n);
}

static void
find_relationship(struct rso_store *s, const struct rso_period *p,
    struct finding *f)
{
	delivered_share(s, p, f, DELIVERED_WITH("EXISTS (SELECT 1 FROM events"
	    " x WHERE x.case_id = d.case_id AND x.type IN ('survey.answered',"
	    " 'case.downstream'))"), "were followed by a survey answer or "
	    "downstream care");
}

/* The level of a finding by its thresholds; no figure is a pilot. */
static const char *
judge(const struct finding *f, int inter, int estab)
{
	if (f->level)
		return f->level;
	if (f->score < 0)
		return "pilot";
	if (f->score >= (int64_t)estab * 10)
		return "established";
	return f->score >= (int64_t)inter * 10 ? "intermediate" : "pilot";
}

json_t *
rso_report_maturity(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	struct finding f[M_COUNT];
	struct figures fg;
	int x = rso_currency_exponent(rso_store_conf_str(s, "currency", "USD"));
	json_t *r, *rows;
	int d, inter, estab, rc = 0;

	memset(f, 0, sizeof(f));
	for (d = 0; d < M_COUNT; d++)
		if (thresholds(s, d, &inter, &estab, e) != 0)
			return NULL;
	if (report_figures_get(s, p, &fg, e) != 0)
		return NULL;
	find_turnaround(s, &fg, &f[M_TURNAROUND]);
	report_figures_free(&fg);
	find_payments(s, p, &f[M_PAYMENTS]);
	find_reach(s, p, &f[M_REACH]);
	find_ehr(s, p, &f[M_EHR]);
	find_self_service(s, p, &f[M_SELF_SERVICE]);
	find_relationship(s, p, &f[M_RELATIONSHIP]);
	if ((rc = find_roi(s, p, &f[M_ROI], e)) != 0 ||
	    (rc = find_specialist(s, p, &f[M_SPECIALIST], e)) != 0)
		return NULL;
	r = report_new("maturity", "Maturity: pilot, intermediate, established",
	    p, s);
	rows = report_section(r, "dimensions", "Where the program stands",
	    "dimension,figure,level,justification");
	for (d = 0; d < M_COUNT; d++) {
		thresholds(s, d, &inter, &estab, e);
		if (f[d].score < 0 && f[d].level == NULL)
			snprintf(f[d].why, sizeof(f[d].why), "nothing to measure "
			    "in the period");
		json_array_append_new(rows, json_pack("{s:s, s:o, s:s, s:s}",
		    "dimension", dimensions[d].title, "figure", f[d].money ?
		    report_money(f[d].net, x) : f[d].figure[0] ?
		    json_string(f[d].figure) : json_null(), "level",
		    judge(&f[d], inter, estab), "justification", f[d].why));
	}
	return r;
}
