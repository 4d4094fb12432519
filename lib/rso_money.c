/* rso_money: amounts as integer minor units of an ISO 4217 currency. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_money.h"

static const struct {
	const char code[4];
	int exponent;
} currencies[] = {
	{ "AED", 2 }, { "ARS", 2 }, { "AUD", 2 }, { "BHD", 3 }, { "BRL", 2 },
	{ "CAD", 2 }, { "CHF", 2 }, { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 },
	{ "CZK", 2 }, { "DKK", 2 }, { "EGP", 2 }, { "EUR", 2 }, { "GBP", 2 },
	{ "HKD", 2 }, { "IDR", 2 }, { "ILS", 2 }, { "INR", 2 }, { "ISK", 0 },
	{ "JOD", 3 }, { "JPY", 0 }, { "KRW", 0 }, { "KWD", 3 }, { "MXN", 2 },
	{ "MYR", 2 }, { "NGN", 2 }, { "NOK", 2 }, { "NZD", 2 }, { "OMR", 3 },
	{ "PEN", 2 }, { "PHP", 2 }, { "PLN", 2 }, { "QAR", 2 }, { "SAR", 2 },
	{ "SEK", 2 }, { "SGD", 2 }, { "THB", 2 }, { "TRY", 2 }, { "TWD", 2 },
	{ "USD", 2 }, { "VND", 0 }, { "ZAR", 2 },
};

int
rso_currency_exponent(const char *code)
{
	size_t i;

	for (i = 0; code && i < sizeof(currencies) / sizeof(currencies[0]); i++)
		if (strcmp(currencies[i].code, code) == 0)
			return currencies[i].exponent;
	return -1;
}

static int
bad(struct rso_error *e, const char *why)
{
	return rso_error_set(e, EX_DATAERR, "%s", why);
}

/* Digits with optional commas between groups of three; *p moves past. */
static int
whole_part(const char **p, int64_t *v, struct rso_error *e)
{
	const char *s = *p;
	int digits = 0, group = 0, commas = 0;

	*v = 0;
	for (;; s++) {
		if (isdigit((unsigned char)*s)) {
			if (*v > RSO_MONEY_MAX)
				return bad(e, "too large");
			*v = *v * 10 + (*s - '0');
			digits++;
			group++;
		} else if (*s == ',') {
			/* The first group has 1-3 digits, the others 3. */
			if (group == 0 || group > 3 || (commas && group != 3))
				return bad(e, "not an amount such as 750.00");
			commas++;
			group = 0;
		} else
			break;
	}
	if (digits == 0 || (commas && group != 3))
		return bad(e, "not an amount such as 750.00");
	*p = s;
	return 0;
}

int
rso_money_parse(const char *s, int exponent, int negative, int64_t *out,
    struct rso_error *e)
{
	int64_t whole, frac = 0, scale = 1;
	int neg = 0, d = 0, i, rc;

	if (s == NULL)
		return bad(e, "not an amount such as 750.00");
	if (*s == '-') {
		if (!negative)
			return bad(e, "negative");
		neg = 1;
		s++;
	}
	if ((rc = whole_part(&s, &whole, e)) != 0)
		return rc;
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, d++) {
			if (d >= exponent)
				return rso_error_set(e, EX_DATAERR, "more than %d "
				    "decimal%s", exponent, exponent == 1 ? "" : "s");
			frac = frac * 10 + (*s - '0');
		}
		if (d == 0)
			return bad(e, "not an amount such as 750.00");
	}
	if (*s != '\0')
		return bad(e, "not an amount such as 750.00");
	for (i = d; i < exponent; i++)
		frac *= 10;
	for (i = 0; i < exponent; i++)
		scale *= 10;
	if (whole > RSO_MONEY_MAX / scale)
		return bad(e, "too large");
	*out = whole * scale + frac;
	if (*out > RSO_MONEY_MAX)
		return bad(e, "too large");
	if (neg)
		*out = -*out;
	return 0;
}

int
rso_money_json(const json_t *v, int exponent, int negative, int64_t *out,
    struct rso_error *e)
{
	char buf[64];

	if (json_is_string(v))
		return rso_money_parse(json_string_value(v), exponent, negative,
		    out, e);
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(v));
		return rso_money_parse(buf, exponent, negative, out, e);
	}
	if (json_is_real(v)) {
		/*
		 * The shortest text that reads back as the same double is
		 * what was written, up to 15 significant digits; it is parsed
		 * as text, so 750.1 is 75010 and 750.123 is refused.
		 */
		snprintf(buf, sizeof(buf), "%.15g", json_real_value(v));
		if (strchr(buf, 'e') != NULL)
			return bad(e, "not an exact amount; write it as text, "
			    "such as \"750.00\"");
		if (rso_money_parse(buf, exponent, negative, out, e) != 0)
			return rso_error_set(e, EX_DATAERR, "not an exact amount "
			    "in %d decimal%s; write it as text, such as "
			    "\"750.00\"", exponent, exponent == 1 ? "" : "s");
		return 0;
	}
	return bad(e, "not an amount such as \"750.00\"");
}

char *
rso_money_format(int64_t minor, int exponent, char *buf)
{
	int64_t scale = 1, a = minor < 0 ? -minor : minor;
	int i;

	for (i = 0; i < exponent; i++)
		scale *= 10;
	if (exponent == 0)
		snprintf(buf, RSO_MONEY_STRLEN, "%s%lld", minor < 0 ? "-" : "",
		    (long long)a);
	else
		snprintf(buf, RSO_MONEY_STRLEN, "%s%lld.%0*lld",
		    minor < 0 ? "-" : "", (long long)(a / scale), exponent,
		    (long long)(a % scale));
	return buf;
}

int64_t
rso_money_percent(int64_t amount, int64_t percent)
{
	int64_t p = amount * percent, q = p / 100, r = p % 100;

	if (r >= 50)
		q++;
	else if (r <= -50)
		q--;
	return q;
}
