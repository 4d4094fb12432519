/* fuzz_money: amounts as text and as JSON, in each exponent; a parsed
 * amount formats back to text that parses to the same amount. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_money.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char s[256], buf[RSO_MONEY_STRLEN];
	struct rso_error e;
	int64_t v, w;
	json_t *j;
	int x;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (x = 0; x <= 3; x++) {
		if (rso_money_parse(s, x, 1, &v, &e) != 0)
			continue;
		if (v > RSO_MONEY_MAX || v < -RSO_MONEY_MAX)
			abort();
		rso_money_format(v, x, buf);
		if (rso_money_parse(buf, x, 1, &w, &e) != 0 || w != v)
			abort();
		(void)rso_money_percent(v, 100);
	}
	if ((j = json_loadb(s, size, JSON_DECODE_ANY, NULL)) != NULL) {
		(void)rso_money_json(j, 2, 1, &v, &e);
		json_decref(j);
	}
	return 0;
}
