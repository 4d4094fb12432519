/* rso_bill: fees, invoices, payments, refunds, claims and payouts, each a
 * balanced ledger transaction written with its event. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_BILL_H
#define RSO_BILL_H

#include <stdint.h>

#include <jansson.h>

#include "rso_err.h"
#include "rso_store.h"

/*
 * The fee schedule: $RSO_HOME/fees.json, else share/fees.json.  Checked
 * when loaded (EX_CONFIG "fees.json: base.oncology: more than 2
 * decimals").  {"currency", "base": {SPECIALTY|"default": AMOUNT},
 * "addons": {CODE: AMOUNT}, "reimbursable": [CODE...],
 * "international_surcharge", "home_country", "max_total"}.
 */
json_t *rso_fees_load(struct rso_store *s, struct rso_error *e);

/* What the staff ask of an invoice beyond what the request says. */
struct rso_bill_opts {
	json_t *addons;		/* extra add-on codes, or NULL */
	const char *discount;	/* "50.00" or "10%", or NULL */
	const char *waive;	/* a reason: the fee is waived (hardship) */
	const char *cover;	/* a payer who covers the whole fee */
};

/*
 * The lines the patient would pay, before anything is posted:
 * {"case","currency","lines":[{"line","code","description","amount",
 * "reimbursable"}],"total"}: the base fee for the specialty, add-ons named
 * in the request ("addons") or opts, a rush fee for urgent requests, the
 * international surcharge for a patient outside home_country, then a
 * discount or waiver, and a cap at max_total.  Amounts are text.
 */
int rso_bill_quote(struct rso_store *s, json_t *fees, const char *id,
    const struct rso_bill_opts *o, json_t **out, struct rso_error *e);

/*
 * Issue the case's one invoice (number INV-YYYY-NNNNNN) from its quote:
 * Dr receivable, Cr revenue per fee type (discounts and waivers Dr
 * "discounts"), an "invoice.issued" event; a covered fee also files a
 * claim for the total.  Status: open, or waived, or covered.  Refused
 * (EX_DATAERR) for a case not yet at config "invoice_when" ("intake", the
 * default, or "ready").  A case already invoiced sets *already and
 * returns the invoice as it is.
 */
int rso_bill_invoice(struct rso_store *s, json_t *fees, const char *id,
    const struct rso_bill_opts *o, json_t **out, int *already,
    struct rso_error *e);

/*
 * Import one payment {"id" (the processor's transaction id), "invoice" or
 * "case", "amount", ["currency"], ["method"], ["at"]}: Dr cash, Cr
 * receivable up to what is owed, Cr credits for the rest; the invoice is
 * paid once nothing is owed.  The same processor id again sets *already
 * and changes nothing.
 */
int rso_bill_pay(struct rso_store *s, const json_t *pay, json_t **out,
    int *already, struct rso_error *e);

/*
 * Refund amount (minor units) to the patient of case id: never more than
 * was paid less earlier refunds (EX_DATAERR), nor than config
 * "refund_policy" allows at the stage the case reached (EX_NOPERM): by
 * default 100% before assignment, 50% once assigned, 0% once review has
 * started.  Credit is refunded first; Dr credits/refunds, Cr cash.
 */
int rso_bill_refund(struct rso_store *s, const char *id, int64_t amount,
    const char *reason, json_t **out, struct rso_error *e);

/*
 * Claim the reimbursable lines of the case's invoice from payer: Dr
 * insurance-receivable, Cr receivable.  Then decide: paid (Dr cash, Cr
 * insurance-receivable) or denied (the amount goes back to the patient).
 */
int rso_bill_claim(struct rso_store *s, const char *id, const char *payer,
    json_t **out, int *already, struct rso_error *e);
int rso_bill_claim_decide(struct rso_store *s, const char *id, int paid,
    json_t **out, int *already, struct rso_error *e);

/* What a case owes: {"case","invoice","status","total","paid","refunded",
 * "claimed","balance","credit","currency"}. */
int rso_bill_balance(struct rso_store *s, const char *id, json_t **out,
    struct rso_error *e);

/*
 * Invoices with a balance, issued at least older seconds ago, for the
 * reminder mailer: {"kind":"payment-due","case","invoice","issued",
 * "balance","currency","to","patient":{"name"}}.
 */
typedef int rso_bill_fn(json_t *line, void *ctx);
int rso_bill_due(struct rso_store *s, int64_t older, rso_bill_fn *fn,
    void *ctx, struct rso_error *e);

/*
 * Payouts for opinions delivered in month ("2026-10"): for each delivered
 * case, each specialist whose assignment was accepted and whose roster
 * entry has a payout, post Dr specialist-expense, Cr specialist-payable
 * once (re-runs find them "existing").  With paid, pay what is payable
 * for that month: Dr specialist-payable, Cr cash.  One line per payout.
 */
int rso_bill_payout(struct rso_store *s, const char *month, int paid,
    rso_bill_fn *fn, void *ctx, struct rso_error *e);

#endif
