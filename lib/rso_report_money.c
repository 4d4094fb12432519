/* rso_report_money: the financial audit and the return on the program. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_jsonl.h"
#include "rso_money.h"
#include "rso_report.h"
#include "rso_report_priv.h"
#include "rso_store_priv.h"

/* ---- audit ---- */

struct tie {
	const char *what, *docs, *ledger;
};

/*
 * Each total from the documents against the same total from the ledger's
 * postings for the period: they must agree to the cent.
 */
static const struct tie ties[] = {
	{ "invoiced", "SELECT coalesce(sum(total), 0) FROM invoices WHERE"
	  " issued >= ?1 AND issued < ?2",
	  "SELECT coalesce(sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON"
	  " t.id = p.tx_id WHERE t.kind = 'invoice' AND p.account ="
	  " 'receivable' AND t.at >= ?1 AND t.at < ?2" },
	{ "payments", "SELECT coalesce(sum(amount), 0) FROM payments WHERE"
	  " tx_id IN (SELECT id FROM ledger_tx WHERE at >= ?1 AND at < ?2)",
	  "SELECT coalesce(sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON"
	  " t.id = p.tx_id WHERE t.kind = 'payment' AND p.account = 'cash' AND"
	  " t.at >= ?1 AND t.at < ?2" },
	{ "refunds", "SELECT coalesce(sum(amount), 0) FROM refunds WHERE at >= ?1"
	  " AND at < ?2",
	  "SELECT coalesce(-sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON"
	  " t.id = p.tx_id WHERE t.kind = 'refund' AND p.account = 'cash' AND"
	  " t.at >= ?1 AND t.at < ?2" },
	{ "claims paid", "SELECT coalesce(sum(amount), 0) FROM claims WHERE"
	  " status = 'paid' AND decided >= ?1 AND decided < ?2",
	  "SELECT coalesce(sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON"
	  " t.id = p.tx_id WHERE t.kind = 'claim-paid' AND p.account = 'cash'"
	  " AND t.at >= ?1 AND t.at < ?2" },
	{ "payouts paid", "SELECT coalesce(sum(amount), 0) FROM payouts WHERE"
	  " status = 'paid' AND paid >= ?1 AND paid < ?2",
	  "SELECT coalesce(-sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON"
	  " t.id = p.tx_id WHERE t.kind = 'payout-paid' AND p.account = 'cash'"
	  " AND t.at >= ?1 AND t.at < ?2" },
};

static void
money_rows(struct rso_store *s, const struct rso_period *p, json_t *rows,
    const char *sql, const char *const *names, const int *is_money, int x)
{
	sqlite3_stmt *st = report_prep(s, sql, p);
	json_t *row;
	int i;

	while (sqlite3_step(st) == SQLITE_ROW) {
		row = json_object();
		for (i = 0; names[i]; i++)
			json_object_set_new(row, names[i], is_money[i] ?
			    report_money(sqlite3_column_int64(st, i), x) :
			    sqlite3_column_type(st, i) == SQLITE_NULL ?
			    json_null() : json_string(col(st, i)));
		json_array_append_new(rows, row);
	}
	sqlite3_finalize(st);
}

json_t *
rso_report_audit(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	static const char *const inv[] = { "invoice", "case", "customer",
	    "issued", "total", "status", NULL };
	static const int inv_m[] = { 0, 0, 0, 0, 1, 0 };
	static const char *const pay[] = { "payment", "case", "invoice", "paid",
	    "amount", "credit", "method", NULL };
	static const int pay_m[] = { 0, 0, 0, 0, 1, 1, 0 };
	static const char *const ref[] = { "case", "at", "amount", "reason",
	    NULL };
	static const int ref_m[] = { 0, 0, 1, 0 };
	static const char *const clm[] = { "claim", "case", "payer", "amount",
	    "status", "submitted", "decided", NULL };
	static const int clm_m[] = { 0, 0, 0, 1, 0, 0, 0 };
	static const char *const pyo[] = { "specialist", "case", "month",
	    "amount", "status", "paid", NULL };
	static const int pyo_m[] = { 0, 0, 0, 1, 0, 0 };
	int x = rso_currency_exponent(rso_store_conf_str(s, "currency", "USD"));
	json_t *r, *rows;
	int64_t docs, ledger;
	size_t i;
	int ties_out = 1;

	(void)e;
	r = report_new("audit", "Financial audit", p, s);
	money_rows(s, p, report_section(r, "invoices", "Invoices issued",
	    "invoice,case,customer,issued,total,status"), "SELECT i.number,"
	    " i.case_id, json_extract(c.intake, '$.patient.name'), i.issued,"
	    " i.total, i.status FROM invoices i JOIN cases c ON c.id = i.case_id"
	    " WHERE i.issued >= ?1 AND i.issued < ?2 ORDER BY i.number", inv,
	    inv_m, x);
	/*
	 * In +t.id order: the period's transactions by ledger_tx_at, then
	 * sorted.  Asked for in t.id order, SQLite reads every transaction
	 * ever made in that order rather than sort a month's.
	 */
	money_rows(s, p, report_section(r, "payments", "Payments received",
	    "payment,case,invoice,paid,amount,credit,method"), "SELECT"
	    " y.processor_id, y.case_id, y.invoice, t.at, y.amount, y.credit,"
	    " y.method FROM payments y JOIN ledger_tx t ON t.id = y.tx_id WHERE"
	    " t.at >= ?1 AND t.at < ?2 ORDER BY +t.id", pay, pay_m, x);
	money_rows(s, p, report_section(r, "refunds", "Refunds",
	    "case,at,amount,reason"), "SELECT case_id, at, amount, reason FROM"
	    " refunds WHERE at >= ?1 AND at < ?2 ORDER BY id", ref, ref_m, x);
	money_rows(s, p, report_section(r, "claims", "Insurance claims",
	    "claim,case,payer,amount,status,submitted,decided"), "SELECT number,"
	    " case_id, payer, amount, status, submitted, decided FROM claims"
	    " WHERE (submitted >= ?1 AND submitted < ?2) OR (decided >= ?1 AND"
	    " decided < ?2) ORDER BY number", clm, clm_m, x);
	money_rows(s, p, report_section(r, "payouts", "Specialist payouts",
	    "specialist,case,month,amount,status,paid"), "SELECT specialist_id,"
	    " case_id, month, amount, status, paid FROM payouts WHERE (month >="
	    " substr(?1, 1, 7) AND month < substr(?2, 1, 7)) OR (paid >= ?1 AND"
	    " paid < ?2) ORDER BY month, specialist_id, case_id", pyo, pyo_m, x);
	rows = report_section(r, "totals", "Totals against the ledger",
	    "total,documents,ledger,ties");
	for (i = 0; i < sizeof(ties) / sizeof(ties[0]); i++) {
		docs = report_count(s, ties[i].docs, p);
		ledger = report_count(s, ties[i].ledger, p);
		if (docs != ledger)
			ties_out = 0;
		json_array_append_new(rows, json_pack("{s:s, s:o, s:o, s:s}",
		    "total", ties[i].what, "documents", report_money(docs, x),
		    "ledger", report_money(ledger, x), "ties",
		    docs == ledger ? "yes" : "NO"));
	}
	json_object_set_new(r, "ties", json_boolean(ties_out));
	return r;
}

/* ---- roi ---- */

/* A money member of config.json, absent 0; EX_CONFIG when malformed. */
static int
conf_money(struct rso_store *s, const char *path, int x, int64_t *out,
    struct rso_error *e)
{
	json_t *v = rso_json_path(rso_store_config(s), path);
	struct rso_error me;

	*out = 0;
	if (v == NULL)
		return 0;
	if (rso_money_json(v, x, 0, out, &me) != 0)
		return rso_error_set(e, EX_CONFIG, "config.json: %s: %s", path,
		    me.msg);
	return 0;
}

/*
 * The fixed cost of a period: each calendar month it touches adds its
 * share of costs.monthly_fixed, in proportion to the minutes it covers
 * (minutes: the product stays well inside int64 for any amount we allow),
 * so a whole month costs exactly the monthly figure.
 */
static int64_t
fixed_cost(const struct rso_period *p, int64_t monthly)
{
	struct rso_period m;
	rso_time_t since, until, ms, me, a, b;
	int64_t total = 0, q, r, part, whole;

	if (rso_time_parse(p->since, &since) != 0 ||
	    rso_time_parse(p->until, &until) != 0 || monthly == 0)
		return 0;
	report_month_bounds(atoi(p->since), atoi(p->since + 5), &m);
	for (;;) {
		rso_time_parse(m.since, &ms);
		rso_time_parse(m.until, &me);
		if (ms >= until)
			break;
		a = since > ms ? since : ms;
		b = until < me ? until : me;
		if (b > a) {
			part = (b - a) / 60;
			whole = (me - ms) / 60;
			q = monthly * part / whole;
			r = monthly * part % whole;
			total += q + (2 * r >= whole);
		}
		rso_period_shift(&m, 1, &m);
	}
	return total;
}

/* "2.35": n/d in hundredths, rounded half up, into buf; -1 for no d. */
static int64_t
ratio_hundredths(int64_t n, int64_t d)
{
	if (d <= 0 || n < 0)
		return -1;
	return (n * 100 + d / 2) / d;
}

/* Hundredths as "2.35" into buf (32 bytes). */
const char *
report_ratio_text(int64_t hundredths, char *buf)
{
	snprintf(buf, 32, "%lld.%02lld", (long long)(hundredths / 100),
	    (long long)(hundredths % 100));
	return buf;
}

static json_t *
ratio_json(int64_t hundredths)
{
	char buf[32];

	return hundredths < 0 ? json_null() :
	    json_string(report_ratio_text(hundredths, buf));
}

int
report_roi_get(struct rso_store *s, const struct rso_period *p, int x,
    struct roi *o, struct rso_error *e)
{
	int rc;

	memset(o, 0, sizeof(*o));
	if ((rc = conf_money(s, "costs.monthly_fixed", x, &o->fixed, e)) != 0 ||
	    (rc = conf_money(s, "costs.per_case", x, &o->per_case, e)) != 0)
		return rc;
	o->fixed = fixed_cost(p, o->fixed);
	o->delivered = report_count(s, "SELECT count(*) FROM (" FIRST_IN(
	    "opinion.delivered") ")", p);
	o->per_case_total = o->per_case * o->delivered;
	report_downstream_get(s, p, &o->ds);
	if ((o->money = report_table_exists(s, "postings"))) {
		o->collected = report_count(s, COLLECTED_SQL, p);
		/* As the specialists report: payouts owed for the months. */
		o->payouts = report_count(s, "SELECT coalesce(sum(amount), 0) FROM"
		    " payouts WHERE month >= substr(?1, 1, 7) AND month <"
		    " substr(?2, 1, 7)", p);
	}
	o->costs = o->fixed + o->per_case_total + o->payouts;
	o->net = o->collected + o->ds.total_revenue - o->costs;
	o->ratio = ratio_hundredths(o->collected + o->ds.total_revenue,
	    o->costs);
	return 0;
}

json_t *
rso_report_roi(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	int x = rso_currency_exponent(rso_store_conf_str(s, "currency", "USD"));
	json_t *r, *rows, *c;
	struct roi o;
	int k;

#define ROW(name, v) json_array_append_new(rows, json_pack("{s:s, s:o}", \
	"metric", (name), "value", (v)))
#define MONEY(v) report_money((v), x)
	if (report_roi_get(s, p, x, &o, e) != 0)
		return NULL;
	r = report_new("roi", "Return on the program", p, s);
	rows = report_section(r, "figures", "Fees, downstream care, costs and net",
	    "metric=Figure,value");
	ROW("fees collected", o.money ? MONEY(o.collected) : json_null());
	ROW("downstream care", json_integer(o.ds.total_count));
	ROW("downstream revenue", MONEY(o.ds.total_revenue));
	ROW("opinions delivered", json_integer(o.delivered));
	ROW("costs: fixed", MONEY(o.fixed));
	ROW("costs: per delivered opinion", MONEY(o.per_case_total));
	ROW("costs: specialist payouts", o.money ? MONEY(o.payouts) :
	    json_null());
	ROW("costs", MONEY(o.costs));
	ROW("net", MONEY(o.net));
	ROW("return ratio", ratio_json(o.ratio));
	rows = report_section(r, "downstream", "Downstream care by kind",
	    "kind,count,revenue");
	c = report_chart(r, "bars", "Downstream care by kind", "kind",
	    "records", 0);
	for (k = 0; k < NKINDS; k++) {
		json_array_append_new(rows, json_pack("{s:s, s:I, s:o}", "kind",
		    report_kind_names[k], "count", (json_int_t)o.ds.count[k],
		    "revenue", MONEY(o.ds.revenue[k])));
		report_chart_add(c, report_kind_names[k], o.ds.count[k]);
	}
	json_array_append_new(rows, json_pack("{s:s, s:I, s:o}", "kind", "all",
	    "count", (json_int_t)o.ds.total_count, "revenue",
	    MONEY(o.ds.total_revenue)));
#undef ROW
#undef MONEY
	return r;
}
