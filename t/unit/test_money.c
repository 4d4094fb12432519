/* Unit tests for rso_money: parsing as people write amounts, JSON numbers
 * only when exact, formatting, percentages in integers. */
/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "rso_money.h"
#include "tap.h"

static const struct {
	const char *in;
	int exponent, negative;
	long long want;		/* -1: refused with msg */
	const char *msg;
} parses[] = {
	{ "750", 2, 0, 75000, NULL },
	{ "750.00", 2, 0, 75000, NULL },
	{ "750.5", 2, 0, 75050, NULL },
	{ "1,250.50", 2, 0, 125050, NULL },
	{ "12,345,678.90", 2, 0, 1234567890, NULL },
	{ "0.01", 2, 0, 1, NULL },
	{ "0", 2, 0, 0, NULL },
	{ "-20.00", 2, 1, -2000, NULL },
	{ "1500", 0, 0, 1500, NULL },
	{ "1.234", 3, 0, 1234, NULL },
	{ "-20.00", 2, 0, -1, "negative" },
	{ "750.123", 2, 0, -1, "more than 2 decimals" },
	{ "750.5", 0, 0, -1, "more than 0 decimals" },
	{ "1,25.00", 2, 0, -1, "not an amount such as 750.00" },
	{ "1250,50", 2, 0, -1, "not an amount such as 750.00" },
	{ ",100", 2, 0, -1, "not an amount such as 750.00" },
	{ "1,2345", 2, 0, -1, "not an amount such as 750.00" },
	{ "1234,567", 2, 0, -1, "not an amount such as 750.00" },
	{ "750.", 2, 0, -1, "not an amount such as 750.00" },
	{ ".50", 2, 0, -1, "not an amount such as 750.00" },
	{ "", 2, 0, -1, "not an amount such as 750.00" },
	{ "$750", 2, 0, -1, "not an amount such as 750.00" },
	{ "750 ", 2, 0, -1, "not an amount such as 750.00" },
	{ "7.5e2", 2, 0, -1, "not an amount such as 750.00" },
	{ "1000000000000", 2, 0, 100000000000000, NULL },
	{ "1000000000001", 2, 0, -1, "too large" },
	{ "99999999999999999999999", 2, 0, -1, "too large" },
};

int
main(void)
{
	char buf[RSO_MONEY_STRLEN];
	struct rso_error e;
	int64_t v;
	json_t *j;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		rc = rso_money_parse(parses[i].in, parses[i].exponent,
		    parses[i].negative, &v, &e);
		if (parses[i].msg == NULL)
			ok(rc == 0 && v == parses[i].want, "\"%s\" is %lld",
			    parses[i].in, parses[i].want);
		else
			ok(rc == EX_DATAERR && strcmp(e.msg, parses[i].msg) == 0,
			    "\"%s\" refused: %s (%s)", parses[i].in,
			    parses[i].msg, rc ? e.msg : "accepted");
	}
	is_int(rso_currency_exponent("USD"), 2, "USD has cents");
	is_int(rso_currency_exponent("JPY"), 0, "JPY has none");
	is_int(rso_currency_exponent("KWD"), 3, "KWD has fils");
	is_int(rso_currency_exponent("XXX"), -1, "unknown code");
	is_int(rso_currency_exponent("usd"), -1, "codes are upper case");

	j = json_loads("[750.1, 750, \"1,250.50\", 750.123, 1e300, true, 0.07]",
	    0, NULL);
	ok(rso_money_json(json_array_get(j, 0), 2, 0, &v, &e) == 0 &&
	    v == 75010, "JSON 750.1 is exact: 75010");
	ok(rso_money_json(json_array_get(j, 1), 2, 0, &v, &e) == 0 &&
	    v == 75000, "JSON 750 is whole units");
	ok(rso_money_json(json_array_get(j, 2), 2, 0, &v, &e) == 0 &&
	    v == 125050, "JSON text is parsed");
	ok(rso_money_json(json_array_get(j, 3), 2, 0, &v, &e) == EX_DATAERR &&
	    strcmp(e.msg, "not an exact amount in 2 decimals; write it as "
	    "text, such as \"750.00\"") == 0, "JSON 750.123 is refused");
	ok(rso_money_json(json_array_get(j, 4), 2, 0, &v, &e) == EX_DATAERR,
	    "JSON 1e300 is refused");
	ok(rso_money_json(json_array_get(j, 5), 2, 0, &v, &e) == EX_DATAERR &&
	    strcmp(e.msg, "not an amount such as \"750.00\"") == 0,
	    "JSON true is refused");
	ok(rso_money_json(json_array_get(j, 6), 2, 0, &v, &e) == 0 && v == 7,
	    "JSON 0.07 is 7 cents (not 6.999...)");
	json_decref(j);

	is_str(rso_money_format(125050, 2, buf), "1250.50", "format cents");
	is_str(rso_money_format(-2000, 2, buf), "-20.00", "format negative");
	is_str(rso_money_format(5, 2, buf), "0.05", "format small");
	is_str(rso_money_format(1500, 0, buf), "1500", "format no decimals");
	is_str(rso_money_format(1234, 3, buf), "1.234", "format three");
	is_int(rso_money_percent(75000, 10), 7500, "10 percent of 750.00");
	is_int(rso_money_percent(33333, 50), 16667, "half of 333.33 rounds up");
	is_int(rso_money_percent(-33333, 50), -16667, "and away from zero");
	return tap_done();
}
