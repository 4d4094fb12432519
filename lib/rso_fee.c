/* rso_fee: the fee gate -- may a case's review start? */
/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "rso_fee.h"
#include "rso_store_priv.h"

/* Whether the billing tables exist yet (they come with rso-bill). */
static int
ledger_exists(struct rso_store *s)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT 1 FROM sqlite_master"
	    " WHERE type = 'table' AND name = 'invoices'");
	int found = sqlite3_step(st) == SQLITE_ROW;

	sqlite3_finalize(st);
	return found;
}

/*
 * Settled: every invoice of the case is paid, waived or covered.  No
 * invoice at all is not settled.
 */
static int
settled(struct rso_store *s, const char *id, int *ok, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT count(*),"
	    " count(CASE WHEN status IN ('paid', 'waived', 'covered')"
	    " THEN 1 END) FROM invoices WHERE case_id = ?");
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*ok = rc == SQLITE_ROW && sqlite3_column_int(st, 0) > 0 &&
	    sqlite3_column_int(st, 0) == sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_fee_gate(struct rso_store *s, const char *id, struct rso_error *e)
{
	const char *policy = rso_store_conf_str(s, "fee_gate", "before-review");
	int ok = 0, rc;

	if (strcmp(policy, "none") == 0)
		return 0;
	if (strcmp(policy, "before-review") != 0)
		return rso_error_set(e, EX_CONFIG,
		    "config.json: fee_gate: not one of before-review, none");
	if (ledger_exists(s) && (rc = settled(s, id, &ok, e)) != 0)
		return rc;
	if (ok)
		return 0;
	return rso_error_set(e, EX_NOPERM,
	    "%s: fee not paid (fee_gate is before-review)", id);
}
