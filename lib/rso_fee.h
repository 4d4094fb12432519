/* rso_fee: the fee gate -- may a case's review start? */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_FEE_H
#define RSO_FEE_H

#include "rso_err.h"
#include "rso_store.h"

/*
 * Whether review of a case may start under the config's "fee_gate" policy:
 * "none" lets every case through; "before-review" (the default) needs the
 * case's fee to be paid, waived or covered according to the ledger.  An
 * empty ledger counts as unpaid.  Returns 0, or EX_NOPERM with the reason
 * ("CASE: fee not paid (fee_gate is before-review)"), or a store status.
 */
int rso_fee_gate(struct rso_store *s, const char *id, struct rso_error *e);

#endif
