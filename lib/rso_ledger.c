/* rso_ledger: a double-entry ledger in the store, and its proof. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "rso_ledger.h"
#include "rso_money.h"
#include "rso_store_priv.h"
#include "rso_time.h"

/* A column as text, "" for NULL. */
#define col(st, i) rso_store_col((st), (i))

int
rso_ledger_post(struct rso_store *s, const char *case_id, const char *kind,
    const char *ref, const char *currency, const struct rso_posting *p,
    size_t n, long long *tx, struct rso_error *e)
{
	char at[RSO_TIME_STRLEN];
	sqlite3_stmt *st;
	int64_t sum = 0;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		sum += p[i].amount;
	if (sum != 0)
		return rso_error_set(e, EX_SOFTWARE, "%s %s: postings do not "
		    "balance", kind, ref);
	rso_time_format(rso_now(), at);
	st = rso_store_prepare(s, "INSERT INTO ledger_tx (at, case_id, kind,"
	    " ref, currency) VALUES (?, ?, ?, ?, ?)");
	sqlite3_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, currency, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	*tx = sqlite3_last_insert_rowid(rso_store_db(s));
	st = rso_store_prepare(s, "INSERT INTO postings (tx_id, account,"
	    " case_id, amount) VALUES (?, ?, ?, ?)");
	for (i = 0; i < n; i++) {
		if (p[i].amount == 0)
			continue;	/* nothing to say */
		sqlite3_bind_int64(st, 1, *tx);
		sqlite3_bind_text(st, 2, p[i].account, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, case_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, p[i].amount);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return rso_store_sqlerr(s, rc, e);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return 0;
}

int64_t
rso_ledger_balance(struct rso_store *s, const char *account,
    const char *case_id)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT coalesce(sum(amount),"
	    " 0) FROM postings WHERE account = ?1 AND (?2 IS NULL OR"
	    " case_id = ?2)");
	int64_t v = 0;

	sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, case_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static json_t *
amount_text(int64_t v, const char *currency)
{
	char buf[RSO_MONEY_STRLEN];
	int x = rso_currency_exponent(currency);

	return json_string(rso_money_format(v, x < 0 ? 2 : x, buf));
}

int
rso_ledger_each(struct rso_store *s, const char *since, const char *until,
    rso_ledger_fn *fn, void *ctx, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT t.id, t.at, t.case_id,"
	    " t.kind, t.ref, p.account, p.amount, t.currency FROM ledger_tx t"
	    " JOIN postings p ON p.tx_id = t.id WHERE (?1 IS NULL OR t.at >= ?1)"
	    " AND (?2 IS NULL OR t.at < ?2) ORDER BY t.id, p.id");
	int rc, frc = 0;
	json_t *line;

	sqlite3_bind_text(st, 1, since, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, until, -1, SQLITE_STATIC);
	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		line = json_pack("{s:I, s:s, s:s?, s:s, s:s, s:s, s:o, s:s}",
		    "tx", (json_int_t)sqlite3_column_int64(st, 0), "at",
		    col(st, 1), "case", sqlite3_column_text(st, 2) ?
		    col(st, 2) : NULL, "kind", col(st, 3), "ref", col(st, 4),
		    "account", col(st, 5), "amount",
		    amount_text(sqlite3_column_int64(st, 6), col(st, 7)),
		    "currency", col(st, 7));
		frc = fn(line, ctx);
		json_decref(line);
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

int
rso_ledger_accounts(struct rso_store *s, rso_ledger_fn *fn, void *ctx,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT p.account, t.currency,"
	    " sum(p.amount) FROM postings p JOIN ledger_tx t ON t.id = p.tx_id"
	    " GROUP BY p.account, t.currency ORDER BY p.account, t.currency");
	int rc, frc = 0;
	json_t *line;

	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		line = json_pack("{s:s, s:o, s:s}", "account", col(st, 0),
		    "balance", amount_text(sqlite3_column_int64(st, 2),
		    col(st, 1)), "currency", col(st, 1));
		frc = fn(line, ctx);
		json_decref(line);
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

/* ---- check ---- */

struct checker {
	struct rso_store *s;
	rso_ledger_problem_fn *fn;
	void *ctx;
	long long n;
};

static void
problem(struct checker *c, const char *fmt, const char *a, long long x,
    long long y)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, a, x, y);
	c->fn(c->ctx, msg);
	c->n++;
}

/*
 * Run a query whose rows are violations: (what, got, want) -> fmt.  The
 * queries compute what should be from the documents (invoices, payments,
 * refunds, claims, payouts) and compare with the postings.
 */
static int
violations(struct checker *c, const char *sql, const char *fmt,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(c->s, sql);
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		problem(c, fmt, col(st, 0), sqlite3_column_int64(st, 1),
		    sqlite3_column_int64(st, 2));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(c->s, rc, e);
}

static const struct {
	const char *sql, *fmt;
} rules[] = {
	{ "SELECT 'tx ' || tx_id, sum(amount), 0 FROM postings GROUP BY tx_id"
	  " HAVING sum(amount) != 0",
	  "%s: does not balance (%+lld)" },
	{ "SELECT 'ledger', coalesce(sum(amount), 0), 0 FROM postings"
	  " HAVING coalesce(sum(amount), 0) != 0",
	  "%s: does not sum to zero (%+lld)" },
	{ "SELECT i.number, i.total, coalesce((SELECT sum(amount) FROM"
	  " invoice_lines l WHERE l.number = i.number), 0) FROM invoices i"
	  " WHERE i.total != coalesce((SELECT sum(amount) FROM invoice_lines l"
	  " WHERE l.number = i.number), 0)",
	  "invoice %s: total %lld is not the sum of its lines %lld" },
	{ "SELECT i.number, coalesce((SELECT sum(amount) FROM postings p"
	  " WHERE p.tx_id = i.tx_id AND p.account = 'receivable'), 0), i.total"
	  " FROM invoices i WHERE i.total != coalesce((SELECT sum(amount) FROM"
	  " postings p WHERE p.tx_id = i.tx_id AND p.account = 'receivable'), 0)",
	  "invoice %s: posted %lld to receivable, not its total %lld" },
	{ "SELECT y.processor_id, coalesce((SELECT sum(amount) FROM postings p"
	  " WHERE p.tx_id = y.tx_id AND p.account = 'cash'), 0), y.amount"
	  " FROM payments y WHERE y.amount != y.applied + y.credit OR y.amount"
	  " != coalesce((SELECT sum(amount) FROM postings p WHERE p.tx_id ="
	  " y.tx_id AND p.account = 'cash'), 0)",
	  "payment %s: posted %lld as cash, not its amount %lld" },
	{ "SELECT ref, count(*), 1 FROM ledger_tx WHERE kind = 'payment'"
	  " GROUP BY ref HAVING count(*) > 1",
	  "payment %s: imported %lld times, not %lld" },
	{ "SELECT c.id, coalesce((SELECT sum(amount) FROM postings p WHERE"
	  " p.case_id = c.id AND p.account = 'receivable'), 0),"
	  " coalesce((SELECT total FROM invoices i WHERE i.case_id = c.id), 0)"
	  " - coalesce((SELECT sum(applied) FROM payments y WHERE y.case_id ="
	  " c.id), 0) - coalesce((SELECT sum(amount) FROM claims k WHERE"
	  " k.case_id = c.id AND k.status != 'denied'), 0) AS want FROM cases c"
	  " WHERE coalesce((SELECT sum(amount) FROM postings p WHERE p.case_id"
	  " = c.id AND p.account = 'receivable'), 0) != want",
	  "%s: receivable %lld, but invoice less payments and claims is %lld" },
	{ "SELECT c.id, -coalesce((SELECT sum(amount) FROM postings p WHERE"
	  " p.case_id = c.id AND p.account = 'credits'), 0),"
	  " coalesce((SELECT sum(credit) FROM payments y WHERE y.case_id ="
	  " c.id), 0) - coalesce((SELECT sum(from_credit) FROM refunds r WHERE"
	  " r.case_id = c.id), 0) AS want FROM cases c WHERE"
	  " -coalesce((SELECT sum(amount) FROM postings p WHERE p.case_id ="
	  " c.id AND p.account = 'credits'), 0) != want",
	  "%s: credit %lld, but over-payments less refunds are %lld" },
	{ "SELECT c.id, coalesce((SELECT sum(amount) FROM postings p WHERE"
	  " p.case_id = c.id AND p.account = 'insurance-receivable'), 0),"
	  " coalesce((SELECT sum(amount) FROM claims k WHERE k.case_id = c.id"
	  " AND k.status = 'submitted'), 0) AS want FROM cases c WHERE"
	  " coalesce((SELECT sum(amount) FROM postings p WHERE p.case_id ="
	  " c.id AND p.account = 'insurance-receivable'), 0) != want",
	  "%s: insurance receivable %lld, but open claims are %lld" },
	{ "SELECT 'cash', coalesce((SELECT sum(amount) FROM postings WHERE"
	  " account = 'cash'), 0), coalesce((SELECT sum(amount) FROM payments),"
	  " 0) + coalesce((SELECT sum(amount) FROM claims WHERE status ="
	  " 'paid'), 0) - coalesce((SELECT sum(amount) FROM refunds), 0) -"
	  " coalesce((SELECT sum(amount) FROM payouts WHERE status = 'paid'),"
	  " 0) AS want WHERE coalesce((SELECT sum(amount) FROM postings WHERE"
	  " account = 'cash'), 0) != want",
	  "%s: %lld, but payments and claims paid less refunds and payouts"
	  " are %lld" },
	{ "SELECT 'specialist-payable', -coalesce((SELECT sum(amount) FROM"
	  " postings WHERE account = 'specialist-payable'), 0),"
	  " coalesce((SELECT sum(amount) FROM payouts WHERE status ="
	  " 'payable'), 0) AS want WHERE -coalesce((SELECT sum(amount) FROM"
	  " postings WHERE account = 'specialist-payable'), 0) != want",
	  "%s: %lld, but payouts not yet paid are %lld" },
};

static long long
count_of(struct rso_store *s, const char *sql)
{
	sqlite3_stmt *st = rso_store_prepare(s, sql);
	long long n = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
rso_ledger_check(struct rso_store *s, rso_ledger_problem_fn *fn, void *ctx,
    struct rso_ledger_summary *sum, struct rso_error *e)
{
	struct checker c = { s, fn, ctx, 0 };
	size_t i;
	int rc;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if ((rc = violations(&c, rules[i].sql, rules[i].fmt, e)) != 0)
			return rc;
	sum->transactions = count_of(s, "SELECT count(*) FROM ledger_tx");
	sum->postings = count_of(s, "SELECT count(*) FROM postings");
	sum->invoices = count_of(s, "SELECT count(*) FROM invoices");
	sum->payments = count_of(s, "SELECT count(*) FROM payments");
	sum->violations = c.n;
	return 0;
}
