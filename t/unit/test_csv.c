/* Unit tests for rso_csv: the reader's edge cases, the safe writer, and
 * a round trip through Python's csv module. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_csv.h"
#include "tap.h"

/* Read all of text; return the records as "a|b;c|d" and errors as "!msg@line". */
static char *
read_all(const char *text, size_t len)
{
	static char out[4096];
	FILE *fp = fmemopen((void *)text, len, "r");
	struct rso_csv *c = rso_csv_open(fp);
	struct rso_error e;
	char **f;
	size_t n, i, o = 0;
	int rc;

	out[0] = '\0';
	while ((rc = rso_csv_next(c, &f, &n, &e)) != 0) {
		if (o)
			o += snprintf(out + o, sizeof(out) - o, ";");
		if (rc < 0) {
			o += snprintf(out + o, sizeof(out) - o, "!%s@%lu", e.msg,
			    rso_csv_line(c));
			continue;
		}
		for (i = 0; i < n; i++)
			o += snprintf(out + o, sizeof(out) - o, "%s%s",
			    i ? "|" : "", f[i]);
		o += snprintf(out + o, sizeof(out) - o, "@%lu", rso_csv_line(c));
	}
	rso_csv_close(c);
	fclose(fp);
	return out;
}

#define R(s) read_all(s, sizeof(s) - 1)

static char *
write_cell(const char *s)
{
	static char buf[256];
	FILE *fp = fmemopen(buf, sizeof(buf), "w");

	rso_csv_cell(fp, s, 1);
	fclose(fp);
	return buf;
}

int
main(void)
{
	static const char *const lists[] = { "questions", NULL };
	char *h[] = { "ref", "patient.name", "questions" };
	char *f[] = { "r1", "Name", "a|b" };
	char *bad[] = { "a", "a.b" };
	struct rso_error e;
	json_t *j;
	char *s;
	FILE *py;
	char line[512];

	is_str(R("a,b\nc,d\n"), "a|b@1;c|d@2", "two records, LF");
	is_str(R("a,b\r\nc,d\r\n"), "a|b@1;c|d@2", "CRLF");
	is_str(R("a,b"), "a|b@1", "no final newline");
	is_str(R("\xef\xbb\xbf" "a,b\n"), "a|b@1", "a byte order mark is skipped");
	is_str(R("\"a,1\",\"b\"\"q\"\"\"\n"), "a,1|b\"q\"@1", "quoted commas and quotes");
	is_str(R("\"x\ny\",z\nn,m\n"), "x\ny|z@1;n|m@3", "a line break inside quotes; the next record is line 3");
	is_str(R(",,\n"), "||@1", "empty fields");
	is_str(R("\"\"\n"), "@1", "an empty quoted field");
	is_str(R("a\"b,c\nok,1\n"), "!quote inside an unquoted field@1;ok|1@2", "a stray quote, then resync");
	is_str(R("\"a\"b,c\nok,1\n"), "!text after a closing quote@1;ok|1@2", "text after a closing quote");
	is_str(R("\"open\nstill\n"), "!unterminated quoted field@1", "unterminated at end of input");
	is_str(R("a\xff,b\nok\n"), "!invalid UTF-8@1;ok@2", "invalid UTF-8");
	is_str(R("a\xc0\xaf\n"), "!invalid UTF-8@1", "an overlong encoding");
	is_str(R("a\xed\xa0\x80\n"), "!invalid UTF-8@1", "a surrogate");
	is_str(read_all("a\0b\nok\n", 7), "!NUL byte@1;ok@2", "a NUL byte");
	is_str(R("caf\xc3\xa9,\xe6\x97\xa5\n"), "caf\xc3\xa9|\xe6\x97\xa5@1", "UTF-8 kept");

	s = malloc(RSO_CSV_MAXFIELD + 16);
	memset(s, 'x', RSO_CSV_MAXFIELD + 1);
	memcpy(s + RSO_CSV_MAXFIELD + 1, "\nok\n", 4);
	is_str(read_all(s, RSO_CSV_MAXFIELD + 5), "!field longer than 1 MiB@1;ok@2",
	    "a field over 1 MiB is refused and reading goes on");
	free(s);
	s = malloc(2 * 5000 + 8);
	for (int i = 0; i < 5000; i++)
		memcpy(s + 2 * i, "a,", 2);
	memcpy(s + 10000, "a\nok\n", 5);
	is_str(read_all(s, 10005), "!more than 4096 fields@1;ok@2", "too many fields");
	free(s);

	is_str(write_cell("plain"), "plain", "a plain cell");
	is_str(write_cell("a,b"), "\"a,b\"", "a comma is quoted");
	is_str(write_cell("say \"hi\""), "\"say \"\"hi\"\"\"", "quotes doubled");
	is_str(write_cell(" lead"), "\" lead\"", "a leading space is quoted");
	is_str(write_cell("=cmd|' /C calc'!A0"), "\"'=cmd|' /C calc'!A0\"", "a formula is neutralised");
	is_str(write_cell("+1"), "+1", "+1 stays a number");
	is_str(write_cell("-12.50"), "-12.50", "-12.50 stays a number");
	is_str(write_cell("-x"), "\"'-x\"", "-x is neutralised");
	is_str(write_cell("@SUM(1)"), "\"'@SUM(1)\"", "@ is neutralised");
	is_str(write_cell("\tx"), "\"'\tx\"", "a leading tab is neutralised");

	ok(rso_csv_header_check(h, 3, &e) == 0, "a good header");
	ok(rso_csv_header_check(bad, 2, &e) == EX_DATAERR, "a and a.b conflict");
	is_str(e.msg, "header: column 2: conflicts with column 1", "and say which");
	j = rso_csv_to_json(h, 3, f, 3, lists, &e);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(s, "{\"patient\":{\"name\":\"Name\"},\"questions\":[\"a\",\"b\"],\"ref\":\"r1\"}",
	    "dotted names nest and lists split on |");
	free(s);
	json_decref(j);
	ok(rso_csv_to_json(h, 2, f, 3, lists, &e) == NULL, "more cells than the header");
	is_str(e.msg, "3 cells under a header of 2", "and say so");

	/* Written by us, read by Python: every cell survives. */
	py = popen("python3 -c 'import csv,sys,json; print(json.dumps(list(csv.reader(sys.stdin))))' >py.out", "w");
	if (py != NULL) {
		rso_csv_cell(py, "a,b", 1);
		rso_csv_cell(py, "x\ny", 0);
		rso_csv_cell(py, "q\"q", 0);
		rso_csv_cell(py, "=1+1", 0);
		rso_csv_end(py);
		pclose(py);
		py = fopen("py.out", "r");
		if (py && fgets(line, sizeof(line), py))
			is_str(line, "[[\"a,b\", \"x\\ny\", \"q\\\"q\", \"'=1+1\"]]\n",
			    "Python's csv module reads what we write");
		if (py)
			fclose(py);
		remove("py.out");
	}
	return tap_done();
}
