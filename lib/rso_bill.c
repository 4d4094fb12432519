/* rso_bill: fees, invoices, payments, refunds, claims and payouts. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_bill.h"
#include "rso_case.h"
#include "rso_event.h"
#include "rso_jsonl.h"
#include "rso_ledger.h"
#include "rso_money.h"
#include "rso_state.h"
#include "rso_store_priv.h"
#include "rso_time.h"

/* A column as text, "" for NULL. */
#define col(st, i) rso_store_col((st), (i))

/* ---- the fee schedule ---- */

static int
fees_amount(const json_t *fees, const char *where, const json_t *v, int x,
    struct rso_error *e)
{
	int64_t m;
	struct rso_error why;

	if (rso_money_json(v, x, 0, &m, &why) != 0)
		return rso_error_set(e, EX_CONFIG, "fees.json: %s: %s", where,
		    why.msg);
	(void)fees;
	return 0;
}

/* Every amount in the schedule parses in its currency. */
static int
fees_check(const json_t *f, struct rso_error *e)
{
	const char *cur = rso_json_str(f, "currency"), *k;
	char where[128];
	json_t *v;
	int x, rc;

	if (cur == NULL || (x = rso_currency_exponent(cur)) < 0)
		return rso_error_set(e, EX_CONFIG, "fees.json: currency: not an "
		    "ISO 4217 code such as USD");
	if (!json_is_object(json_object_get(f, "base")) ||
	    json_object_get(json_object_get(f, "base"), "default") == NULL)
		return rso_error_set(e, EX_CONFIG, "fees.json: base.default: "
		    "missing");
	json_object_foreach(json_object_get(f, "base"), k, v) {
		snprintf(where, sizeof(where), "base.%s", k);
		if ((rc = fees_amount(f, where, v, x, e)) != 0)
			return rc;
	}
	json_object_foreach(json_object_get(f, "addons"), k, v) {
		snprintf(where, sizeof(where), "addons.%s", k);
		if ((rc = fees_amount(f, where, v, x, e)) != 0)
			return rc;
	}
	if ((v = json_object_get(f, "international_surcharge")) != NULL &&
	    (rc = fees_amount(f, "international_surcharge", v, x, e)) != 0)
		return rc;
	if ((v = json_object_get(f, "max_total")) != NULL &&
	    (rc = fees_amount(f, "max_total", v, x, e)) != 0)
		return rc;
	return 0;
}

json_t *
rso_fees_load(struct rso_store *s, struct rso_error *e)
{
	char *path = rso_xasprintf("%s/fees.json", rso_store_dir(s));
	json_error_t je;
	json_t *f;

	if ((f = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		free(path);
		path = rso_share_path("fees.json");
		if (access(path, R_OK) != 0) {
			rso_share_error(path, errno, e);
			free(path);
			return NULL;
		}
		f = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	}
	if (!json_is_object(f)) {
		rso_error_set(e, EX_CONFIG, "fees.json: line %d: %s", je.line,
		    f ? "not an object" : je.text);
		json_decref(f);
		free(path);
		return NULL;
	}
	free(path);
	if (fees_check(f, e) != 0) {
		json_decref(f);
		return NULL;
	}
	return f;
}

static int
exponent_of(const json_t *fees)
{
	return rso_currency_exponent(rso_json_str(fees, "currency"));
}

static int64_t
fee(const json_t *fees, const json_t *v)
{
	struct rso_error e;
	int64_t m = 0;

	rso_money_json(v, exponent_of(fees), 0, &m, &e);	/* checked */
	return m;
}

/* ---- quote ---- */

struct quote {
	json_t *lines;
	int64_t total;
	int x;
};

static void
add_line(struct quote *q, const char *code, const char *desc, int64_t amount,
    int reimbursable)
{
	json_array_append_new(q->lines, json_pack("{s:I, s:s, s:s, s:I, s:b}",
	    "line", (json_int_t)json_array_size(q->lines) + 1, "code", code,
	    "description", desc, "amount", (json_int_t)amount,
	    "reimbursable", reimbursable));
	q->total += amount;
}

static int
is_reimbursable(const json_t *fees, const char *code)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(fees, "reimbursable"), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), code) == 0)
			return 1;
	return 0;
}

static int
add_addons(struct quote *q, const json_t *fees, const json_t *codes,
    const char *id, struct rso_error *e)
{
	char desc[128];
	size_t i;
	json_t *v, *a;

	json_array_foreach(codes, i, v) {
		const char *code = json_string_value(v);
		if (code == NULL || (a = json_object_get(json_object_get(fees,
		    "addons"), code)) == NULL)
			return rso_error_set(e, EX_DATAERR, "%s: add-on %zu: not in "
			    "fees.json \"addons\"", id, i + 1);
		snprintf(desc, sizeof(desc), "Add-on: %s", code);
		add_line(q, code, desc, fee(fees, a), is_reimbursable(fees, code));
	}
	return 0;
}

/* "10%" or an amount: the discount, as a positive number of minor units. */
static int
discount_of(const char *d, int64_t total, int x, int64_t *out,
    struct rso_error *e)
{
	size_t n = strlen(d);
	struct rso_error why;
	int64_t pct;

	if (n > 1 && d[n - 1] == '%') {
		char *num = rso_xstrdup(d);
		num[n - 1] = '\0';
		if (rso_money_parse(num, 0, 0, &pct, &why) != 0 || pct > 100) {
			free(num);
			return rso_error_set(e, EX_USAGE, "--discount: not a "
			    "percentage from 0%% to 100%%");
		}
		free(num);
		*out = rso_money_percent(total, pct);
		return 0;
	}
	if (rso_money_parse(d, x, 0, out, &why) != 0)
		return rso_error_set(e, EX_USAGE, "--discount: %s", why.msg);
	if (*out > total)
		*out = total;
	return 0;
}

static json_t *
money(int64_t v, int x)
{
	char buf[RSO_MONEY_STRLEN];

	return json_string(rso_money_format(v, x, buf));
}

/* The quote with its amounts as text, for people and pipes. */
static json_t *
quote_json(const char *id, const json_t *fees, const struct quote *q)
{
	json_t *lines = json_array(), *l, *o;
	size_t i;

	json_array_foreach(q->lines, i, l) {
		o = json_deep_copy(l);
		json_object_set_new(o, "amount", money(json_integer_value(
		    json_object_get(l, "amount")), q->x));
		json_array_append_new(lines, o);
	}
	return json_pack("{s:s, s:s, s:o, s:o}", "case", id, "currency",
	    rso_json_str(fees, "currency"), "lines", lines, "total",
	    money(q->total, q->x));
}

static int
build_quote(struct rso_store *s, json_t *fees, const char *id,
    const struct rso_bill_opts *o, struct quote *q, struct rso_error *e)
{
	const char *spec, *country, *home;
	char desc[128];
	json_t *c, *base, *v;
	int64_t off, cap;
	int rc;

	memset(q, 0, sizeof(*q));
	q->x = exponent_of(fees);
	q->lines = json_array();
	if ((rc = rso_case_get(s, id, &c, e)) != 0)
		return rc;
	spec = rso_json_str(c, "request.specialty");
	base = json_object_get(fees, "base");
	v = spec ? json_object_get(base, spec) : NULL;
	snprintf(desc, sizeof(desc), "Second opinion: %s", spec ? spec : "");
	add_line(q, "base", desc, fee(fees, v ? v : json_object_get(base,
	    "default")), 0);
	if ((rc = add_addons(q, fees, json_object_get(json_object_get(c,
	    "request"), "addons"), id, e)) == 0 && o->addons)
		rc = add_addons(q, fees, o->addons, id, e);
	if (rc == 0 && rso_json_str(c, "request.urgency") &&
	    strcmp(rso_json_str(c, "request.urgency"), "urgent") == 0 &&
	    (v = json_object_get(json_object_get(fees, "addons"), "rush")))
		add_line(q, "rush", "Rush review", fee(fees, v), 0);
	country = rso_json_str(c, "request.patient.country");
	home = rso_json_str(fees, "home_country");
	if (rc == 0 && country && strcmp(country, home ? home : "US") != 0 &&
	    (v = json_object_get(fees, "international_surcharge")))
		add_line(q, "international", "International surcharge",
		    fee(fees, v), 0);
	if (rc == 0 && o->discount &&
	    (rc = discount_of(o->discount, q->total, q->x, &off, e)) == 0 &&
	    off > 0)
		add_line(q, "discount", "Discount", -off, 0);
	if (rc == 0 && (v = json_object_get(fees, "max_total")) &&
	    (cap = fee(fees, v)) < q->total)
		add_line(q, "cap", "Capped at the program's maximum",
		    cap - q->total, 0);
	if (rc == 0 && o->waive)
		add_line(q, "waiver", "Waived: financial hardship", -q->total, 0);
	json_decref(c);
	return rc;
}

int
rso_bill_quote(struct rso_store *s, json_t *fees, const char *id,
    const struct rso_bill_opts *o, json_t **out, struct rso_error *e)
{
	struct quote q;
	int rc;

	if ((rc = build_quote(s, fees, id, o, &q, e)) == 0)
		*out = quote_json(id, fees, &q);
	json_decref(q.lines);
	return rc;
}

/* ---- invoices ---- */

static int
step_done(struct rso_store *s, sqlite3_stmt *st, struct rso_error *e)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

/* The invoice of a case as JSON, or NULL when it has none. */
static json_t *
invoice_get(struct rso_store *s, const char *id)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT number, currency,"
	    " total, status, issued FROM invoices WHERE case_id = ?");
	json_t *inv = NULL, *lines;
	int x;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		x = rso_currency_exponent(col(st, 1));
		inv = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "case", id,
		    "invoice", col(st, 0), "currency", col(st, 1), "total",
		    money(sqlite3_column_int64(st, 2), x < 0 ? 2 : x), "status",
		    col(st, 3), "issued", col(st, 4));
	}
	sqlite3_finalize(st);
	if (inv == NULL)
		return NULL;
	x = rso_currency_exponent(rso_json_str(inv, "currency"));
	lines = json_array();
	st = rso_store_prepare(s, "SELECT line, code, description, amount,"
	    " reimbursable FROM invoice_lines WHERE number = ? ORDER BY line");
	sqlite3_bind_text(st, 1, rso_json_str(inv, "invoice"), -1,
	    SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(lines, json_pack("{s:I, s:s, s:s, s:o, s:b}",
		    "line", (json_int_t)sqlite3_column_int(st, 0), "code",
		    col(st, 1), "description", col(st, 2), "amount",
		    money(sqlite3_column_int64(st, 3), x < 0 ? 2 : x),
		    "reimbursable", sqlite3_column_int(st, 4)));
	sqlite3_finalize(st);
	json_object_set_new(inv, "lines", lines);
	return inv;
}

static void
next_number(struct rso_store *s, const char *prefix, const char *table,
    char *out, size_t n)
{
	char at[RSO_TIME_STRLEN], like[32];
	char *sql = rso_xasprintf("SELECT count(*) FROM %s WHERE number LIKE ?",
	    table);
	sqlite3_stmt *st = rso_store_prepare(s, sql);
	long long k = 0;

	rso_time_format(rso_now(), at);
	snprintf(like, sizeof(like), "%s-%.4s-%%", prefix, at);
	sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		k = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	free(sql);
	snprintf(out, n, "%s-%.4s-%06lld", prefix, at, k + 1);
}

/* Whether the case has come far enough to be invoiced, by config. */
static int
invoice_allowed(struct rso_store *s, const char *id, struct rso_error *e)
{
	const char *when = rso_store_conf_str(s, "invoice_when", "intake");
	struct rso_state st;
	int rc;

	if ((rc = rso_case_state(s, id, &st, e)) != 0)
		return rc;
	if (st.status == RSO_ST_CANCELLED || st.status == RSO_ST_CLOSED)
		return rso_error_set(e, EX_DATAERR, "%s: cannot invoice a case "
		    "that is %s", id, rso_status_name(st.status));
	if (strcmp(when, "intake") == 0)
		return 0;
	if (strcmp(when, "ready") != 0)
		return rso_error_set(e, EX_CONFIG, "config.json: invoice_when: "
		    "not one of intake, ready");
	if (st.status == RSO_ST_AWAITING_CONSENT ||
	    st.status == RSO_ST_COLLECTING || (st.status == RSO_ST_ON_HOLD &&
	    (st.held_from == RSO_ST_AWAITING_CONSENT ||
	    st.held_from == RSO_ST_COLLECTING)))
		return rso_error_set(e, EX_DATAERR, "%s: not invoiced before its "
		    "records are complete (invoice_when is ready)", id);
	return 0;
}

/* The invoice's postings: receivable against revenue by fee type. */
static int
post_invoice(struct rso_store *s, const char *id, const char *number,
    const char *cur, const struct quote *q, long long *tx,
    struct rso_error *e)
{
	size_t n = json_array_size(q->lines), i;
	struct rso_posting *p = rso_xcalloc(n + 1, sizeof(*p));
	char **names = rso_xcalloc(n, sizeof(*names));
	json_t *l;
	int rc;

	p[0].account = "receivable";
	p[0].amount = q->total;
	json_array_foreach(q->lines, i, l) {
		const char *code = rso_json_str(l, "code");
		int64_t a = json_integer_value(json_object_get(l, "amount"));
		names[i] = a < 0 ? rso_xstrdup("discounts") :
		    rso_xasprintf("revenue:%s", code);
		p[i + 1].account = names[i];
		p[i + 1].amount = -a;
	}
	rc = rso_ledger_post(s, id, "invoice", number, cur, p, n + 1, tx, e);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(p);
	return rc;
}

static int
insert_invoice(struct rso_store *s, const char *id, const char *number,
    const char *cur, const struct quote *q, const char *status,
    long long tx, struct rso_error *e)
{
	char at[RSO_TIME_STRLEN];
	sqlite3_stmt *st;
	json_t *l;
	size_t i;
	int rc;

	rso_time_format(rso_now(), at);
	st = rso_store_prepare(s, "INSERT INTO invoices (number, case_id,"
	    " currency, total, status, issued, tx_id) VALUES (?,?,?,?,?,?,?)");
	sqlite3_bind_text(st, 1, number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, cur, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, q->total);
	sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, tx);
	if ((rc = step_done(s, st, e)) != 0)
		return rc;
	json_array_foreach(q->lines, i, l) {
		st = rso_store_prepare(s, "INSERT INTO invoice_lines (number,"
		    " line, code, description, amount, reimbursable) VALUES"
		    " (?,?,?,?,?,?)");
		sqlite3_bind_text(st, 1, number, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 3, rso_json_str(l, "code"), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 4, rso_json_str(l, "description"), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, json_integer_value(json_object_get(l,
		    "amount")));
		sqlite3_bind_int(st, 6, json_is_true(json_object_get(l,
		    "reimbursable")));
		if ((rc = step_done(s, st, e)) != 0)
			return rc;
	}
	return 0;
}

static int file_claim(struct rso_store *, const char *, const char *,
    int64_t, const char *, struct rso_error *);

static int
invoice_locked(struct rso_store *s, json_t *fees, const char *id,
    const struct rso_bill_opts *o, json_t **out, int *already,
    struct rso_error *e)
{
	const char *cur = rso_json_str(fees, "currency");
	const char *status = o->waive ? "waived" : o->cover ? "covered" : "open";
	char number[32];
	struct quote q;
	long long tx;
	json_t *data;
	int rc;

	*already = 0;
	if ((*out = invoice_get(s, id)) != NULL) {
		*already = 1;
		return 0;
	}
	if ((rc = invoice_allowed(s, id, e)) != 0)
		return rc;
	if ((rc = build_quote(s, fees, id, o, &q, e)) != 0) {
		json_decref(q.lines);
		return rc;
	}
	next_number(s, "INV", "invoices", number, sizeof(number));
	data = json_pack("{s:s, s:o, s:s, s:s}", "invoice", number, "total",
	    money(q.total, q.x), "currency", cur, "status", status);
	if ((rc = post_invoice(s, id, number, cur, &q, &tx, e)) == 0 &&
	    (rc = insert_invoice(s, id, number, cur, &q, status, tx, e)) == 0 &&
	    (rc = rso_event_append(s, id, "invoice.issued", data, NULL, e)) == 0 &&
	    o->cover && q.total > 0)
		rc = file_claim(s, id, o->cover, q.total, cur, e);
	json_decref(data);
	json_decref(q.lines);
	if (rc != 0)
		return rc;
	*out = invoice_get(s, id);
	return 0;
}

/*
 * The changes below read what they check (is there an invoice yet, what is
 * owed) inside the write transaction, so that two programs at once cannot
 * both pass the check: the second waits, then sees the first's work.
 */
static int
end_tx(struct rso_store *s, int rc, struct rso_error *e)
{
	if (rc == 0)
		return rso_store_commit(s, e);
	rso_store_rollback(s);
	return rc;
}

/* The same, and what was to be written out is dropped if the commit fails. */
static int
end_tx_out(struct rso_store *s, int rc, json_t **out, struct rso_error *e)
{
	if ((rc = end_tx(s, rc, e)) != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int
rso_bill_invoice(struct rso_store *s, json_t *fees, const char *id,
    const struct rso_bill_opts *o, json_t **out, int *already,
    struct rso_error *e)
{
	int rc;

	*out = NULL;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	return end_tx_out(s, invoice_locked(s, fees, id, o, out, already, e),
	    out, e);
}

/* ---- what a case owes ---- */

struct owed {
	char number[32], currency[4], status[16];
	int64_t total, applied, credit, refunded, claimed;
	int x;
};

static int
owed_get(struct rso_store *s, const char *id, struct owed *w,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT number, currency, total,"
	    " status, (SELECT coalesce(sum(applied), 0) FROM payments WHERE"
	    " case_id = ?1), (SELECT coalesce(sum(credit), 0) FROM payments"
	    " WHERE case_id = ?1), (SELECT coalesce(sum(amount), 0) FROM"
	    " refunds WHERE case_id = ?1), (SELECT coalesce(sum(amount), 0)"
	    " FROM claims WHERE case_id = ?1 AND status != 'denied')"
	    " FROM invoices WHERE case_id = ?1");
	int rc;

	memset(w, 0, sizeof(*w));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(w->number, sizeof(w->number), "%s", col(st, 0));
		snprintf(w->currency, sizeof(w->currency), "%s", col(st, 1));
		w->total = sqlite3_column_int64(st, 2);
		snprintf(w->status, sizeof(w->status), "%s", col(st, 3));
		w->applied = sqlite3_column_int64(st, 4);
		w->credit = sqlite3_column_int64(st, 5);
		w->refunded = sqlite3_column_int64(st, 6);
		w->claimed = sqlite3_column_int64(st, 7);
		w->x = rso_currency_exponent(w->currency);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return rso_error_set(e, EX_DATAERR, "%s: no invoice", id);
	return rso_store_sqlerr(s, rc, e);
}

static int64_t
balance_of(const struct owed *w)
{
	return w->total - w->applied - w->claimed;
}

int
rso_bill_balance(struct rso_store *s, const char *id, json_t **out,
    struct rso_error *e)
{
	struct owed w;
	int rc;

	if ((rc = owed_get(s, id, &w, e)) != 0)
		return rc;
	*out = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s}",
	    "case", id, "invoice", w.number, "status", w.status, "total",
	    money(w.total, w.x), "paid", money(w.applied + w.credit, w.x),
	    "refunded", money(w.refunded, w.x), "claimed", money(w.claimed, w.x),
	    "balance", money(balance_of(&w), w.x), "credit",
	    money(rso_ledger_balance(s, "credits", id) * -1, w.x), "currency",
	    w.currency);
	return 0;
}

static int
set_status(struct rso_store *s, const char *id, const char *status,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "UPDATE invoices SET status = ?"
	    " WHERE case_id = ?");

	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return step_done(s, st, e);
}

/* After money moves: an open invoice with nothing owed is paid. */
static int
settle(struct rso_store *s, const char *id, struct rso_error *e)
{
	struct owed w;
	int rc;

	if ((rc = owed_get(s, id, &w, e)) != 0)
		return rc;
	if (strcmp(w.status, "open") == 0 && balance_of(&w) <= 0)
		return set_status(s, id, "paid", e);
	if (strcmp(w.status, "paid") == 0 && balance_of(&w) > 0)
		return set_status(s, id, "open", e);
	return 0;
}

/* ---- payments ---- */

static int
payment_case(struct rso_store *s, const json_t *pay, char *id,
    struct rso_error *e)
{
	const char *inv = rso_json_str(pay, "invoice");
	const char *c = rso_json_str(pay, "case");
	sqlite3_stmt *st;
	int found;

	if (inv == NULL) {
		/* By case, or by the request's ref the processor kept. */
		if (c == NULL && rso_json_str(pay, "ref") == NULL)
			return rso_error_set(e, EX_DATAERR,
			    "invoice: missing (or case, or ref)");
		return rso_case_named(s, pay, id, e);
	}
	st = rso_store_prepare(s, "SELECT case_id FROM invoices WHERE number = ?");
	sqlite3_bind_text(st, 1, inv, -1, SQLITE_STATIC);
	if ((found = sqlite3_step(st) == SQLITE_ROW))
		snprintf(id, RSO_CASE_IDLEN, "%s", col(st, 0));
	sqlite3_finalize(st);
	if (!found)
		return rso_error_set(e, EX_DATAERR, "invoice: no such invoice");
	if (c != NULL && strcmp(c, id) != 0)
		return rso_error_set(e, EX_DATAERR, "case: not the invoice's case");
	return 0;
}

static int
insert_payment(struct rso_store *s, const char *pid, const char *id,
    const struct owed *w, int64_t amount, int64_t applied,
    const json_t *pay, long long tx, struct rso_error *e)
{
	char at[RSO_TIME_STRLEN];
	sqlite3_stmt *st = rso_store_prepare(s, "INSERT INTO payments"
	    " (processor_id, case_id, invoice, amount, applied, credit, method,"
	    " paid, tx_id) VALUES (?,?,?,?,?,?,?,?,?)");

	rso_time_format(rso_now(), at);
	sqlite3_bind_text(st, 1, pid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, w->number, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, amount);
	sqlite3_bind_int64(st, 5, applied);
	sqlite3_bind_int64(st, 6, amount - applied);
	sqlite3_bind_text(st, 7, rso_json_str(pay, "method"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, rso_json_str(pay, "at") ? rso_json_str(pay,
	    "at") : at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 9, tx);
	return step_done(s, st, e);
}

static int
payment_known(struct rso_store *s, const char *pid, json_t **out)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT case_id, invoice FROM"
	    " payments WHERE processor_id = ?");
	int found;

	sqlite3_bind_text(st, 1, pid, -1, SQLITE_STATIC);
	if ((found = sqlite3_step(st) == SQLITE_ROW))
		*out = json_pack("{s:s, s:s, s:s, s:b}", "payment", pid, "case",
		    col(st, 0), "invoice", col(st, 1), "existing", 1);
	sqlite3_finalize(st);
	return found;
}

static int
pay_locked(struct rso_store *s, const json_t *pay, json_t **out,
    int *already, struct rso_error *e)
{
	const char *pid = rso_json_str(pay, "id");
	struct rso_error me;
	char id[RSO_CASE_IDLEN], why[sizeof(me.msg)];
	struct rso_posting p[3];
	struct owed w;
	int64_t amount, applied, owing;
	long long tx;
	json_t *data;
	int rc;

	*already = 0;
	if (pid == NULL || *pid == '\0')
		return rso_error_set(e, EX_DATAERR, "id: missing (the processor's "
		    "transaction id)");
	if (payment_known(s, pid, out)) {
		*already = 1;
		return 0;
	}
	if ((rc = payment_case(s, pay, id, e)) != 0)
		return rc;
	if ((rc = owed_get(s, id, &w, e)) != 0)
		return rc;
	if (rso_json_str(pay, "currency") &&
	    strcmp(rso_json_str(pay, "currency"), w.currency) != 0)
		return rso_error_set(e, EX_DATAERR, "currency: not the invoice's "
		    "(%s)", w.currency);
	if (rso_money_json(json_object_get(pay, "amount"), w.x, 0, &amount,
	    &me) != 0) {
		snprintf(why, sizeof(why), "%s", me.msg);
		return rso_error_set(e, EX_DATAERR, "amount: %s", why);
	}
	if (amount == 0)
		return rso_error_set(e, EX_DATAERR, "amount: zero");
	owing = balance_of(&w);
	applied = amount < owing ? amount : owing > 0 ? owing : 0;
	p[0] = (struct rso_posting){ "cash", amount };
	p[1] = (struct rso_posting){ "receivable", -applied };
	p[2] = (struct rso_posting){ "credits", -(amount - applied) };
	data = json_pack("{s:s, s:s, s:o, s:o}", "payment", pid, "invoice",
	    w.number, "amount", money(amount, w.x), "credit",
	    money(amount - applied, w.x));
	if ((rc = rso_ledger_post(s, id, "payment", pid, w.currency, p, 3, &tx,
	    e)) == 0 && (rc = insert_payment(s, pid, id, &w, amount, applied,
	    pay, tx, e)) == 0 && (rc = settle(s, id, e)) == 0)
		rc = rso_event_append(s, id, "payment.received", data, NULL, e);
	if (rc != 0) {
		json_decref(data);
		return rc;
	}
	json_object_set_new(data, "case", json_string(id));
	json_object_set_new(data, "balance", money(owing - applied, w.x));
	*out = data;
	return 0;
}

int
rso_bill_pay(struct rso_store *s, const json_t *pay, json_t **out,
    int *already, struct rso_error *e)
{
	int rc;

	*out = NULL;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	return end_tx_out(s, pay_locked(s, pay, out, already, e), out, e);
}

/* ---- refunds ---- */

/* How far the case got: the refund policy's stage. */
static const char *
stage_of(struct rso_store *s, const char *id)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT max(CASE type WHEN"
	    " 'review.started' THEN 3 WHEN 'opinion.delivered' THEN 4 WHEN"
	    " 'case.assigned' THEN 2 ELSE 1 END) FROM events WHERE case_id = ?");
	int k = 1;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		k = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return k >= 4 ? "delivered" : k == 3 ? "in-review" : k == 2 ?
	    "assigned" : "before-assignment";
}

static long long
policy_percent(struct rso_store *s, const char *stage)
{
	char path[64];

	snprintf(path, sizeof(path), "refund_policy.%s", stage);
	return rso_store_conf_int(s, path, strcmp(stage, "before-assignment")
	    == 0 ? 100 : strcmp(stage, "assigned") == 0 ? 50 : 0);
}

static int
refund_locked(struct rso_store *s, const char *id, int64_t amount,
    const char *reason, json_t **out, struct rso_error *e)
{
	char at[RSO_TIME_STRLEN], buf[RSO_MONEY_STRLEN];
	struct rso_posting p[3];
	const char *stage;
	struct owed w;
	int64_t paid, allowed, credit, from_credit;
	long long tx, pct;
	sqlite3_stmt *st;
	json_t *data;
	int rc;

	if ((rc = owed_get(s, id, &w, e)) != 0)
		return rc;
	paid = w.applied + w.credit;
	if (amount <= 0)
		return rso_error_set(e, EX_DATAERR, "%s: amount: not above zero",
		    id);
	if (amount > paid - w.refunded)
		return rso_error_set(e, EX_DATAERR, "%s: refund of %s is more than "
		    "was paid and not refunded (%s)", id, rso_money_format(amount,
		    w.x, buf), rso_money_format(paid - w.refunded, w.x, at));
	stage = stage_of(s, id);
	pct = policy_percent(s, stage);
	allowed = rso_money_percent(w.applied, pct) + w.credit - w.refunded;
	if (amount > allowed)
		return rso_error_set(e, EX_NOPERM, "%s: refund_policy allows %lld%% "
		    "%s: at most %s", id, pct, stage, rso_money_format(allowed < 0 ?
		    0 : allowed, w.x, buf));
	credit = -rso_ledger_balance(s, "credits", id);
	from_credit = amount < credit ? amount : credit;
	p[0] = (struct rso_posting){ "credits", from_credit };
	p[1] = (struct rso_posting){ "refunds", amount - from_credit };
	p[2] = (struct rso_posting){ "cash", -amount };
	rso_time_format(rso_now(), at);
	data = json_pack("{s:o, s:s, s:s}", "amount", money(amount, w.x),
	    "reason", reason, "stage", stage);
	if ((rc = rso_ledger_post(s, id, "refund", w.number, w.currency, p, 3,
	    &tx, e)) == 0) {
		st = rso_store_prepare(s, "INSERT INTO refunds (case_id, amount,"
		    " from_credit, reason, at, tx_id) VALUES (?,?,?,?,?,?)");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, amount);
		sqlite3_bind_int64(st, 3, from_credit);
		sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, at, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, tx);
		rc = step_done(s, st, e);
	}
	if (rc == 0)
		rc = rso_event_append(s, id, "refund.issued", data, NULL, e);
	if (rc != 0) {
		json_decref(data);
		return rc;
	}
	json_object_set_new(data, "case", json_string(id));
	*out = data;
	return 0;
}

int
rso_bill_refund(struct rso_store *s, const char *id, int64_t amount,
    const char *reason, json_t **out, struct rso_error *e)
{
	int rc;

	*out = NULL;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	return end_tx_out(s, refund_locked(s, id, amount, reason, out, e), out,
	    e);
}

/* ---- claims ---- */

static int
file_claim(struct rso_store *s, const char *id, const char *payer,
    int64_t amount, const char *cur, struct rso_error *e)
{
	struct rso_posting p[2] = { { "insurance-receivable", amount },
	    { "receivable", -amount } };
	char number[32], at[RSO_TIME_STRLEN];
	sqlite3_stmt *st;
	json_t *data;
	long long tx;
	int rc;

	next_number(s, "CLM", "claims", number, sizeof(number));
	rso_time_format(rso_now(), at);
	if ((rc = rso_ledger_post(s, id, "claim", number, cur, p, 2, &tx, e)) != 0)
		return rc;
	st = rso_store_prepare(s, "INSERT INTO claims (number, case_id, payer,"
	    " amount, status, submitted) VALUES (?,?,?,?,'submitted',?)");
	sqlite3_bind_text(st, 1, number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, payer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, amount);
	sqlite3_bind_text(st, 5, at, -1, SQLITE_STATIC);
	if ((rc = step_done(s, st, e)) != 0)
		return rc;
	data = json_pack("{s:s, s:s, s:o}", "claim", number, "payer", payer,
	    "amount", money(amount, rso_currency_exponent(cur)));
	rc = rso_event_append(s, id, "claim.submitted", data, NULL, e);
	json_decref(data);
	return rc;
}

static json_t *
claim_get(struct rso_store *s, const char *id)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT k.number, k.payer,"
	    " k.amount, k.status, i.currency FROM claims k JOIN invoices i ON"
	    " i.case_id = k.case_id WHERE k.case_id = ?");
	json_t *o = NULL;
	int x;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		x = rso_currency_exponent(col(st, 4));
		o = json_pack("{s:s, s:s, s:s, s:o, s:s}", "case", id, "claim",
		    col(st, 0), "payer", col(st, 1), "amount",
		    money(sqlite3_column_int64(st, 2), x), "status", col(st, 3));
	}
	sqlite3_finalize(st);
	return o;
}

static int
claim_locked(struct rso_store *s, const char *id, const char *payer,
    json_t **out, int *already, struct rso_error *e)
{
	sqlite3_stmt *st;
	struct owed w;
	int64_t amount = 0;
	int rc;

	*already = 0;
	if ((*out = claim_get(s, id)) != NULL) {
		*already = 1;
		return 0;
	}
	if ((rc = owed_get(s, id, &w, e)) != 0)
		return rc;
	st = rso_store_prepare(s, "SELECT coalesce(sum(amount), 0) FROM"
	    " invoice_lines WHERE number = ? AND reimbursable");
	sqlite3_bind_text(st, 1, w.number, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		amount = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (amount <= 0)
		return rso_error_set(e, EX_DATAERR, "%s: no reimbursable add-on on "
		    "invoice %s", id, w.number);
	if (amount > balance_of(&w))
		return rso_error_set(e, EX_DATAERR, "%s: the reimbursable add-ons "
		    "are already paid", id);
	if ((rc = file_claim(s, id, payer, amount, w.currency, e)) == 0)
		rc = settle(s, id, e);
	if (rc != 0)
		return rc;
	*out = claim_get(s, id);
	return 0;
}

int
rso_bill_claim(struct rso_store *s, const char *id, const char *payer,
    json_t **out, int *already, struct rso_error *e)
{
	int rc;

	*out = NULL;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	return end_tx_out(s, claim_locked(s, id, payer, out, already, e), out,
	    e);
}

static int
claim_decide_locked(struct rso_store *s, const char *id, int paid,
    json_t **out, int *already, struct rso_error *e)
{
	struct rso_posting p[2];
	char number[32], at[RSO_TIME_STRLEN], cur[4];
	sqlite3_stmt *st;
	int64_t amount;
	json_t *k, *data;
	long long tx;
	int rc;

	*already = 0;
	if ((k = claim_get(s, id)) == NULL)
		return rso_error_set(e, EX_DATAERR, "%s: no claim", id);
	if (strcmp(rso_json_str(k, "status"), "submitted") != 0) {
		if (strcmp(rso_json_str(k, "status"), paid ? "paid" : "denied"))
			rc = rso_error_set(e, EX_DATAERR, "%s: claim already %s", id,
			    rso_json_str(k, "status"));
		else {
			*already = 1;
			*out = k;
			return 0;
		}
		json_decref(k);
		return rc;
	}
	snprintf(number, sizeof(number), "%s", rso_json_str(k, "claim"));
	json_decref(k);
	st = rso_store_prepare(s, "SELECT k.amount, i.currency FROM claims k"
	    " JOIN invoices i ON i.case_id = k.case_id WHERE k.case_id = ?");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_step(st);
	amount = sqlite3_column_int64(st, 0);
	snprintf(cur, sizeof(cur), "%s", col(st, 1));
	sqlite3_finalize(st);
	p[0] = (struct rso_posting){ paid ? "cash" : "receivable", amount };
	p[1] = (struct rso_posting){ "insurance-receivable", -amount };
	rso_time_format(rso_now(), at);
	st = rso_store_prepare(s, "UPDATE claims SET status = ?, decided = ?"
	    " WHERE case_id = ?");
	sqlite3_bind_text(st, 1, paid ? "paid" : "denied", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	data = json_pack("{s:s}", "claim", number);
	if ((rc = rso_ledger_post(s, id, paid ? "claim-paid" : "claim-denied",
	    number, cur, p, 2, &tx, e)) == 0 && (rc = step_done(s, st, e)) == 0 &&
	    (rc = settle(s, id, e)) == 0)
		rc = rso_event_append(s, id, paid ? "claim.paid" : "claim.denied",
		    data, NULL, e);
	else if (rc != 0)
		sqlite3_finalize(st);
	json_decref(data);
	if (rc != 0)
		return rc;
	*out = claim_get(s, id);
	return 0;
}

int
rso_bill_claim_decide(struct rso_store *s, const char *id, int paid,
    json_t **out, int *already, struct rso_error *e)
{
	int rc;

	*out = NULL;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	return end_tx_out(s, claim_decide_locked(s, id, paid, out, already, e),
	    out, e);
}

/* ---- due ---- */

int
rso_bill_due(struct rso_store *s, int64_t older, rso_bill_fn *fn, void *ctx,
    struct rso_error *e)
{
	char cutoff[RSO_TIME_STRLEN];
	sqlite3_stmt *st;
	struct owed w;
	json_t *line, *c;
	int rc, frc = 0;

	rso_time_format(rso_now() - older, cutoff);
	st = rso_store_prepare(s, "SELECT case_id, issued FROM invoices WHERE"
	    " status = 'open' AND issued <= ? ORDER BY issued, number");
	sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (owed_get(s, col(st, 0), &w, e) != 0 || balance_of(&w) <= 0)
			continue;
		if (rso_case_get(s, col(st, 0), &c, NULL) != 0)
			continue;
		line = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s?, s:{s:s?}}",
		    "kind", "payment-due", "case", col(st, 0), "invoice", w.number,
		    "issued", col(st, 1), "balance", money(balance_of(&w), w.x),
		    "currency", w.currency, "to", rso_json_str(c,
		    "request.patient.email"), "patient", "name", rso_json_str(c,
		    "request.patient.name"));
		json_decref(c);
		frc = fn(line, ctx);
		json_decref(line);
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

/* ---- payouts ---- */

static int
payout_post(struct rso_store *s, const char *sp, const char *id,
    const char *month, int64_t amount, const char *cur, int paid,
    struct rso_error *e)
{
	struct rso_posting p[2];
	char ref[160], at[RSO_TIME_STRLEN];
	sqlite3_stmt *st;
	json_t *data;
	long long tx;
	int rc;

	snprintf(ref, sizeof(ref), "%s %s", sp, month);
	if (paid) {
		p[0] = (struct rso_posting){ "specialist-payable", amount };
		p[1] = (struct rso_posting){ "cash", -amount };
	} else {
		p[0] = (struct rso_posting){ "specialist-expense", amount };
		p[1] = (struct rso_posting){ "specialist-payable", -amount };
	}
	rso_time_format(rso_now(), at);
	if ((rc = rso_ledger_post(s, id, paid ? "payout-paid" : "payout", ref,
	    cur, p, 2, &tx, e)) != 0)
		return rc;
	if (paid) {
		st = rso_store_prepare(s, "UPDATE payouts SET status = 'paid',"
		    " paid = ? WHERE specialist_id = ? AND case_id = ?");
		sqlite3_bind_text(st, 1, at, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, sp, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	} else {
		st = rso_store_prepare(s, "INSERT INTO payouts (specialist_id,"
		    " case_id, month, amount, status) VALUES (?,?,?,?,'payable')");
		sqlite3_bind_text(st, 1, sp, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, month, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, amount);
	}
	if ((rc = step_done(s, st, e)) != 0)
		return rc;
	data = json_pack("{s:s, s:s, s:o}", "specialist", sp, "month", month,
	    "amount", money(amount, rso_currency_exponent(cur)));
	rc = rso_event_append(s, id, paid ? "payout.paid" : "payout.posted",
	    data, NULL, e);
	json_decref(data);
	return rc;
}

/* Opinions delivered in month, by accepted specialists with a payout. */
static const char *const owed_sql =
    "SELECT DISTINCT a.specialist_id, a.case_id, sp.payout,"
    " (SELECT count(*) FROM payouts p WHERE p.specialist_id = a.specialist_id"
    " AND p.case_id = a.case_id) FROM assignments a"
    " JOIN specialists sp ON sp.id = a.specialist_id"
    " JOIN events ev ON ev.case_id = a.case_id AND ev.type = 'opinion.delivered'"
    " WHERE substr(ev.at, 1, 7) = ?1 AND a.status IN ('accepted', 'done')"
    " AND sp.payout IS NOT NULL ORDER BY a.case_id, a.specialist_id";

static const char *const paid_sql =
    "SELECT specialist_id, case_id, amount, status = 'paid' FROM payouts"
    " WHERE month = ?1 ORDER BY case_id, specialist_id";

int
rso_bill_payout(struct rso_store *s, const char *month, int paid,
    rso_bill_fn *fn, void *ctx, struct rso_error *e)
{
	const char *cur = rso_store_conf_str(s, "currency", "USD");
	int x = rso_currency_exponent(cur), rc, frc = 0, existing;
	struct rso_error why;
	sqlite3_stmt *st;
	int64_t amount;
	json_t *line;

	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	st = rso_store_prepare(s, paid ? paid_sql : owed_sql);
	sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = 0;
		existing = sqlite3_column_int(st, 3) > 0;
		if (paid)
			amount = sqlite3_column_int64(st, 2);
		else if (rso_money_parse(col(st, 2), x, 0, &amount, &why) != 0) {
			rc = rso_error_set(e, EX_DATAERR, "%s: payout: %s",
			    col(st, 0), why.msg);
			break;
		}
		if (!existing)
			rc = payout_post(s, col(st, 0), col(st, 1), month, amount,
			    cur, paid, e);
		line = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "specialist",
		    col(st, 0), "case", col(st, 1), "month", month, "amount",
		    money(amount, x), "status", paid ? "paid" : "payable",
		    "currency", cur);
		if (existing)
			json_object_set_new(line, "existing", json_true());
		if (rc == 0)
			frc = fn(line, ctx);
		json_decref(line);
		if (frc)
			break;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0 && rc < 64)
		rc = rso_store_sqlerr(s, rc, e);
	if (rc == 0 && frc == 0)
		rc = rso_store_commit(s, e);
	if (rc != 0 || frc != 0)
		rso_store_rollback(s);
	return rc ? rc : frc;
}
