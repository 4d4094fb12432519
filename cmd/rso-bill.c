/* rso-bill: fees, invoices, payments, refunds, claims, payouts, proof. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_bill.h"
#include "rso_case.h"
#include "rso_csv.h"
#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_mark.h"
#include "rso_ledger.h"
#include "rso_money.h"
#include "rso_opt.h"
#include "rso_store.h"
#include "rso_time.h"

static struct rso_store *store;
static json_t *fees;
static struct rso_bill_opts bopts;
static const char *opt_amount, *opt_reason, *opt_payer, *opt_month;
static const char *opt_since, *opt_until, *opt_csv, *opt_older = "30d";
static int opt_paid, opt_denied, opt_format_csv, opt_new;

static void
usage(FILE *fp, int full)
{
	if (!full && rso_verb_usage(fp))
		return;
	fputs("usage: rso-bill [-q] [-H home] verb [options] [case ...]\n", fp);
	if (!full) {
		fputs("       rso-bill --help for the verbs\n", fp);
		return;
	}
	fputs("verbs:\n"
	    "  fees                    the fee schedule (fees.json)\n"
	    "  quote [case ...]        what each patient would pay, line by line\n"
	    "  invoice [--addon code] [--discount 50.00|10%] [--waive reason]\n"
	    "          [--cover payer] [case ...]   one invoice per case, once\n"
	    "  invoice --new           the cases past ready with events since the\n"
	    "                          last --new run: only new invoices print\n"
	    "  pay [file ...] | --csv file          import payments (once each)\n"
	    "  refund case --amount a --reason r    by the refund policy\n"
	    "  claim [--payer p] [--paid | --denied] case ...\n"
	    "                          insurance claims for reimbursable add-ons\n"
	    "  balance [case ...]      what cases owe, or every account\n"
	    "  ledger [--since t] [--until t] [-f json|csv]   the postings\n"
	    "  due [--older 30d]       unpaid invoices, as lines for rso-mail\n"
	    "  payout --month yyyy-mm [--paid]   what specialists are owed\n"
	    "  check                   prove the books; exit 65 on a violation\n"
	    "Cases come from the operands or from JSON lines with \"case\" on\n"
	    "stdin.  See rso-bill(1).\n"
	    "options:\n"
	    "  -H, --home dir   the store (default $RSO_HOME)\n"
	    "  -q, --quiet      no notes on stderr\n"
	    "  -h, --help       this text\n"
	    "      --version    the version\n", fp);
}

static int
emit(json_t *o)
{
	int rc = rso_jsonl_write(stdout, o);

	json_decref(o);
	return rc;
}

/* The verb's options, then the operands; the common ones handled too. */
static void
options(int *argc, char ***argv)
{
	enum { O_ADDON = RSO_OPT_PRIVATE, O_AMOUNT, O_COVER, O_CSV, O_DENIED,
	    O_DISCOUNT, O_MONTH, O_NEW, O_OLDER, O_PAID, O_PAYER, O_REASON,
	    O_SINCE, O_UNTIL, O_WAIVE };
	static const struct option longopts[] = {
		{ "addon", required_argument, NULL, O_ADDON },
		{ "amount", required_argument, NULL, O_AMOUNT },
		{ "cover", required_argument, NULL, O_COVER },
		{ "csv", required_argument, NULL, O_CSV },
		{ "denied", no_argument, NULL, O_DENIED },
		{ "discount", required_argument, NULL, O_DISCOUNT },
		{ "format", required_argument, NULL, 'f' },
		{ "month", required_argument, NULL, O_MONTH },
		{ "new", no_argument, NULL, O_NEW },
		{ "older", required_argument, NULL, O_OLDER },
		{ "paid", no_argument, NULL, O_PAID },
		{ "payer", required_argument, NULL, O_PAYER },
		{ "reason", required_argument, NULL, O_REASON },
		{ "since", required_argument, NULL, O_SINCE },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "waive", required_argument, NULL, O_WAIVE },
		RSO_OPT_LONG, { 0 } };
	int ch;

	rso_opt_reset();
	while ((ch = getopt_long(*argc, *argv, "f:r:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		switch (ch) {
		case O_ADDON:
			if (bopts.addons == NULL)
				bopts.addons = json_array();
			json_array_append_new(bopts.addons,
			    json_string(rso_opt_text("--addon", optarg)));
			break;
		case O_AMOUNT: opt_amount = optarg; break;
		case O_COVER:
			bopts.cover = rso_opt_text("--cover", optarg);
			break;
		case O_CSV: opt_csv = optarg; break;
		case O_DENIED: opt_denied = 1; break;
		case O_DISCOUNT: bopts.discount = optarg; break;
		case 'f':
			if (strcmp(optarg, "csv") == 0)
				opt_format_csv = 1;
			else if (strcmp(optarg, "json") != 0)
				rso_usage_error(usage, "--format: not one of json, csv");
			break;
		case O_MONTH: opt_month = optarg; break;
		case O_NEW: opt_new = 1; break;
		case O_OLDER: opt_older = optarg; break;
		case O_PAID: opt_paid = 1; break;
		case O_PAYER:
			opt_payer = rso_opt_text("--payer", optarg);
			break;
		case 'r':
		case O_REASON:
			opt_reason = rso_opt_text("--reason", optarg);
			break;
		case O_SINCE: opt_since = optarg; break;
		case O_UNTIL: opt_until = optarg; break;
		case O_WAIVE:
			bopts.waive = rso_opt_text("--waive", optarg);
			break;
		default: rso_opt_common(ch, optarg, usage);
		}
	*argc -= optind;
	*argv += optind;
}

static void
open_store(int need_fees)
{
	struct rso_error e;

	store = rso_store_xopen();
	if (need_fees && (fees = rso_fees_load(store, &e)) == NULL)
		rso_diex(e.status, "%s", e.msg);
}

static int
finish(int rc)
{
	json_decref(fees);
	json_decref(bopts.addons);
	rso_store_close(store);
	return rc;
}

/* ---- fees, quote, invoice ---- */

static int
verb_fees(int argc, char **argv)
{
	options(&argc, &argv);
	if (argc > 0)
		rso_usage_error(usage, "fees: no operands");
	open_store(1);
	return finish(emit(json_incref(fees)));
}

static int
quote_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct rso_error e;
	json_t *q;
	int rc;

	(void)line;
	(void)ctx;
	if ((rc = rso_bill_quote(store, fees, id, &bopts, &q, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	return emit(q);
}

static int
verb_quote(int argc, char **argv)
{
	options(&argc, &argv);
	open_store(1);
	return finish(rso_case_each_input(argc, argv, quote_one, NULL));
}

static int
invoice_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct rso_error e;
	json_t *inv;
	int rc, already;

	(void)line;
	(void)ctx;
	if ((rc = rso_bill_invoice(store, fees, id, &bopts, &inv, &already,
	    &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	if (already && opt_new) {
		json_decref(inv);
		return 0;
	}
	if (already)
		json_object_set_new(inv, "existing", json_true());
	return emit(inv);
}

/*
 * --new: the nightly's step, whose cost follows the new work, not the
 * store's history.  A case that fails is reported and the mark stays, so
 * the next night tries it again.
 */
static int
invoice_new(const char *id, void *ctx)
{
	(void)ctx;
	return invoice_one(id, NULL, "invoice --new", NULL);
}

static int
verb_invoice(int argc, char **argv)
{
	static const char *const billable[] = { "ready", "assigned",
	    "in-review", "delivered", NULL };
	struct rso_error e = { 0 };
	int rc;

	options(&argc, &argv);
	if (bopts.waive && bopts.cover)
		rso_usage_error(usage, "--waive and --cover: one or the other");
	if (opt_new && (argc > 0 || bopts.addons || bopts.discount ||
	    bopts.waive || bopts.cover))
		rso_usage_error(usage, "invoice --new: no operands or options "
		    "for one case");
	open_store(1);
	if (!opt_new)
		return finish(rso_case_each_input(argc, argv, invoice_one,
		    NULL));
	rc = rso_mark_walk(store, "rso-bill invoice", billable, invoice_new,
	    NULL, &e);
	if (e.status != 0)
		rso_warnx("%s", e.msg);
	return finish(rc);
}

/* ---- payments ---- */

static int
pay_one(json_t *pay, const char *where)
{
	struct rso_error e;
	json_t *out;
	int rc, already;

	if ((rc = rso_bill_pay(store, pay, &out, &already, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	return emit(out);
}

static int
pay_line(json_t *pay, struct rso_jsonl *r, void *ctx)
{
	char where[300];

	(void)ctx;
	snprintf(where, sizeof(where), "%s:%lu", rso_jsonl_name(r),
	    rso_jsonl_line(r));
	return pay_one(pay, where);
}

/*
 * A card processor's export: the columns rso reads are id, amount,
 * currency, invoice (or a description holding one), case, method and
 * status; a row whose status is not succeeded or paid is passed over.
 */
static int
pay_record(json_t *row, const char *where, void *ctx)
{
	const char *status = rso_json_str(row, "status");
	const char *cur = rso_json_str(row, "currency");
	char up[4];
	size_t i;

	(void)ctx;
	if (status && strcmp(status, "succeeded") && strcmp(status, "paid"))
		return 0;
	if (cur && strlen(cur) == 3) {
		for (i = 0; i < 3; i++)
			up[i] = (char)(cur[i] >= 'a' && cur[i] <= 'z' ? cur[i] - 32 :
			    cur[i]);
		up[3] = '\0';
		json_object_set_new(row, "currency", json_string(up));
	}
	return pay_one(row, where);
}

static int
verb_pay(int argc, char **argv)
{
	options(&argc, &argv);
	if (opt_csv && argc > 0)
		rso_usage_error(usage, "pay: --csv or files, not both");
	open_store(0);
	if (opt_csv)
		return finish(rso_csv_each(opt_csv, (const char *const[]){ NULL },
		    pay_record, NULL));
	return finish(rso_jsonl_each(argc, argv, pay_line, NULL));
}

/* ---- refund, claim ---- */

static int
verb_refund(int argc, char **argv)
{
	struct rso_error e;
	json_t *out;
	int64_t amount;
	int rc, x;

	options(&argc, &argv);
	if (argc != 1 || opt_amount == NULL || opt_reason == NULL)
		rso_usage_error(usage, "refund: one case, --amount and --reason");
	if (!rso_case_id_valid(argv[0]))
		rso_usage_error(usage, "argument 1: not a case id");
	open_store(1);
	x = rso_currency_exponent(rso_json_str(fees, "currency"));
	if (rso_money_parse(opt_amount, x, 0, &amount, &e) != 0) {
		rso_warnx("--amount: %s", e.msg);
		return finish(EX_USAGE);
	}
	if ((rc = rso_bill_refund(store, argv[0], amount, opt_reason, &out,
	    &e)) != 0) {
		rso_warnx("%s", e.msg);
		return finish(rc);
	}
	return finish(emit(out));
}

static int
claim_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct rso_error e;
	json_t *out;
	int rc, already;

	(void)line;
	(void)ctx;
	if (opt_paid || opt_denied)
		rc = rso_bill_claim_decide(store, id, opt_paid, &out, &already, &e);
	else
		rc = rso_bill_claim(store, id, opt_payer ? opt_payer :
		    "patient's insurer", &out, &already, &e);
	if (rc != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	if (already)
		json_object_set_new(out, "existing", json_true());
	return emit(out);
}

static int
verb_claim(int argc, char **argv)
{
	options(&argc, &argv);
	if (opt_paid && opt_denied)
		rso_usage_error(usage, "claim: --paid or --denied, not both");
	open_store(0);
	return finish(rso_case_each_input(argc, argv, claim_one, NULL));
}

/* ---- balance, ledger, due ---- */

static int
balance_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct rso_error e;
	json_t *out;
	int rc;

	(void)line;
	(void)ctx;
	if ((rc = rso_bill_balance(store, id, &out, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	return emit(out);
}

static int
account_line(json_t *line, void *ctx)
{
	(void)ctx;
	return rso_jsonl_write(stdout, line);
}

static int
verb_balance(int argc, char **argv)
{
	struct rso_error e;
	int rc;

	options(&argc, &argv);
	open_store(0);
	if (argc > 0)
		return finish(rso_case_each_input(argc, argv, balance_one, NULL));
	if ((rc = rso_ledger_accounts(store, account_line, NULL, &e)) != 0 &&
	    rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	return finish(rc);
}

static int
ledger_line(json_t *line, void *ctx)
{
	static const char *const cols[] = { "tx", "at", "case", "kind", "ref",
	    "account", "amount", "currency", NULL };
	const char *const *c;
	char buf[32];
	json_t *v;

	(void)ctx;
	if (!opt_format_csv)
		return rso_jsonl_write(stdout, line);
	for (c = cols; *c; c++) {
		v = json_object_get(line, *c);
		if (json_is_integer(v)) {
			snprintf(buf, sizeof(buf), "%lld",
			    (long long)json_integer_value(v));
			rso_csv_cell(stdout, buf, c == cols);
		} else
			rso_csv_cell(stdout, json_is_string(v) ?
			    json_string_value(v) : "", c == cols);
	}
	rso_csv_end(stdout);
	return ferror(stdout) ? EX_IOERR : 0;
}

static const char *
bound(const char *opt, const char *v, char *buf)
{
	rso_time_t t;

	if (v == NULL)
		return NULL;
	if (rso_time_parse(v, &t) != 0 && rso_date_parse(v, &t) != 0) {
		rso_warnx("%s: not a date or RFC 3339 time", opt);
		usage(stderr, 0);
		exit(EX_USAGE);
	}
	rso_time_format(t, buf);
	return buf;
}

static int
verb_ledger(int argc, char **argv)
{
	char since[RSO_TIME_STRLEN], until[RSO_TIME_STRLEN];
	const char *s, *u;
	struct rso_error e;
	int rc;

	options(&argc, &argv);
	if (argc > 0)
		rso_usage_error(usage, "ledger: no operands");
	s = bound("--since", opt_since, since);
	u = bound("--until", opt_until, until);
	open_store(0);
	if (opt_format_csv) {
		fputs("tx,at,case,kind,ref,account,amount,currency\r\n", stdout);
	}
	if ((rc = rso_ledger_each(store, s, u, ledger_line, NULL, &e)) != 0 &&
	    rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	return finish(rc);
}

static int
verb_due(int argc, char **argv)
{
	struct rso_error e;
	int64_t older;
	int rc;

	options(&argc, &argv);
	if (argc > 0)
		rso_usage_error(usage, "due: no operands");
	if (rso_duration_parse(opt_older, &older) != 0)
		rso_usage_error(usage, "--older: not a duration such as 30d");
	open_store(0);
	if ((rc = rso_bill_due(store, older, account_line, NULL, &e)) != 0 &&
	    rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	return finish(rc);
}

/* ---- payout, check ---- */

static int
month_valid(const char *m)
{
	char d[16];
	rso_time_t t;

	if (m == NULL || strlen(m) != 7)
		return 0;
	snprintf(d, sizeof(d), "%s-01", m);
	return rso_date_parse(d, &t) == 0;
}

static int
verb_payout(int argc, char **argv)
{
	struct rso_error e;
	int rc;

	options(&argc, &argv);
	if (argc > 0)
		rso_usage_error(usage, "payout: no operands");
	if (!month_valid(opt_month))
		rso_usage_error(usage, "--month: not a month such as 2026-10");
	open_store(0);
	if ((rc = rso_bill_payout(store, opt_month, opt_paid, account_line, NULL,
	    &e)) != 0 && rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	return finish(rc);
}

static void
violation(void *ctx, const char *msg)
{
	(void)ctx;
	rso_warnx("check: %s", msg);
}

static int
verb_check(int argc, char **argv)
{
	struct rso_ledger_summary sum;
	struct rso_error e;
	int rc;

	options(&argc, &argv);
	if (argc > 0)
		rso_usage_error(usage, "check: no operands");
	open_store(0);
	if ((rc = rso_ledger_check(store, violation, NULL, &sum, &e)) != 0) {
		rso_warnx("%s", e.msg);
		return finish(rc);
	}
	rc = emit(json_pack("{s:I, s:I, s:I, s:I, s:I, s:b}", "transactions",
	    (json_int_t)sum.transactions, "postings", (json_int_t)sum.postings,
	    "invoices", (json_int_t)sum.invoices, "payments",
	    (json_int_t)sum.payments, "violations", (json_int_t)sum.violations,
	    "balanced", sum.violations == 0));
	return finish(rc ? rc : sum.violations ? EX_DATAERR : 0);
}

static const struct rso_verb verbs[] = {
	{ "balance", verb_balance, "balance [case ...]" },
	{ "check", verb_check, "check" },
	{ "claim", verb_claim, "claim [--payer p] [--paid | --denied] "
	    "[case ...]" },
	{ "due", verb_due, "due [--older 30d]" },
	{ "fees", verb_fees, "fees" },
	{ "invoice", verb_invoice, "invoice [--addon code] "
	    "[--discount 50.00|10%] [--waive reason]\n"
	    "                [--cover payer] [case ...]" },
	{ "ledger", verb_ledger, "ledger [--since t] [--until t] "
	    "[-f json|csv]" },
	{ "pay", verb_pay, "pay [file ...] | --csv file" },
	{ "payout", verb_payout, "payout --month yyyy-mm [--paid]" },
	{ "quote", verb_quote, "quote [case ...]" },
	{ "refund", verb_refund, "refund case --amount a --reason r" },
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return rso_verb_main(argc, argv, verbs, usage);
}
