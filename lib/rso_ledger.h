/* rso_ledger: a double-entry ledger in the store, and its proof. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_LEDGER_H
#define RSO_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rso_err.h"
#include "rso_store.h"

/*
 * Accounts: "receivable" (what patients owe, per case), "revenue:CODE" per
 * fee type, "discounts" and "refunds" (against revenue), "cash",
 * "insurance-receivable", "credits" (over-payments held for the patient),
 * "specialist-expense" and "specialist-payable".  A posting's amount is in
 * minor units, debit positive and credit negative, so every transaction
 * sums to zero and so does the whole ledger.
 */
struct rso_posting {
	const char *account;
	int64_t amount;
};

/*
 * Write one transaction of n postings for case_id (may be NULL) inside the
 * caller's store transaction.  kind names what it records ("invoice",
 * "payment", ...), ref the document (invoice number, processor id).  A
 * transaction that does not balance is a bug: EX_SOFTWARE, nothing written.
 */
int rso_ledger_post(struct rso_store *s, const char *case_id,
    const char *kind, const char *ref, const char *currency,
    const struct rso_posting *p, size_t n, long long *tx,
    struct rso_error *e);

/* The balance of an account, for one case or (case_id NULL) all. */
int64_t rso_ledger_balance(struct rso_store *s, const char *account,
    const char *case_id);

/*
 * Each posting between since and until (RFC 3339, NULL for open), in
 * order: {"tx","at","case","kind","ref","account","amount","currency"},
 * the amount as text ("-750.00").
 */
typedef int rso_ledger_fn(json_t *line, void *ctx);
int rso_ledger_each(struct rso_store *s, const char *since, const char *until,
    rso_ledger_fn *fn, void *ctx, struct rso_error *e);

/* Each account with its balance: {"account","balance","currency"}. */
int rso_ledger_accounts(struct rso_store *s, rso_ledger_fn *fn, void *ctx,
    struct rso_error *e);

/*
 * Prove the books: every transaction balances; the ledger sums to zero;
 * every invoice equals its lines and its posting; every payment is
 * posted as cash of its amount; each case's receivable equals its
 * invoice less payments applied and claims not denied; each case's
 * credit equals its over-payments less what was refunded from them; cash
 * equals payments plus claims paid less refunds and payouts paid.  Each
 * violation goes to fn as a message ("tx 12: does not balance (+100)");
 * *violations counts them.  Returns 0 or a store status.
 */
typedef void rso_ledger_problem_fn(void *ctx, const char *msg);
struct rso_ledger_summary {
	long long transactions, postings, invoices, payments, violations;
};
int rso_ledger_check(struct rso_store *s, rso_ledger_problem_fn *fn,
    void *ctx, struct rso_ledger_summary *sum, struct rso_error *e);

#endif
