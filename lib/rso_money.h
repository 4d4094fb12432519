/* rso_money: amounts as integer minor units of an ISO 4217 currency. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_MONEY_H
#define RSO_MONEY_H

#include <stdint.h>

#include <jansson.h>

#include "rso_err.h"

/*
 * Every amount in rso is an int64_t count of the currency's minor unit
 * (cents for USD) beside its three-letter code; no floating point is ever
 * used to compute with one.  Amounts are bounded by RSO_MONEY_MAX minor
 * units either way, far beyond any fee, so sums of a store's amounts
 * cannot overflow.
 */
#define RSO_MONEY_MAX INT64_C(100000000000000)	/* 10^14 */
#define RSO_MONEY_STRLEN 32

/*
 * The number of decimals of an ISO 4217 currency the program may bill in
 * (USD 2, JPY 0, KWD 3, ...), or -1 for a code it does not know.
 */
int rso_currency_exponent(const char *code);

/*
 * Parse an amount written as people write it: "750", "750.00", "750.5",
 * "1,250.50" (commas between groups of three digits only), with a leading
 * '-' when negative is allowed.  No more decimals than the currency has.
 * Returns 0 with *out in minor units, or EX_DATAERR with the reason in e
 * ("not an amount such as 750.00", "more than 2 decimals", "too large",
 * "negative").
 */
int rso_money_parse(const char *s, int exponent, int negative, int64_t *out,
    struct rso_error *e);

/*
 * An amount from JSON: a string as rso_money_parse reads it, a whole
 * number of major units (750), or a number with a fraction only when it
 * is exact in minor units as written (750.5, not 750.123): it is read
 * back from its shortest decimal form, never computed with.
 */
int rso_money_json(const json_t *v, int exponent, int negative, int64_t *out,
    struct rso_error *e);

/* "1250.50", "-20.00", "1250" (exponent 0); buf holds RSO_MONEY_STRLEN. */
char *rso_money_format(int64_t minor, int exponent, char *buf);

/* percent% of amount, rounded half away from zero, in integers. */
int64_t rso_money_percent(int64_t amount, int64_t percent);

#endif
