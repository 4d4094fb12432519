/* tap.h: the smallest TAP producer, for C unit tests of lib/. */
/* SPDX-License-Identifier: ISC */
#ifndef TAP_H
#define TAP_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* ok(cond, "what"): one TAP line; the condition text is printed on failure. */
#define ok(cond, ...) tap_ok(!!(cond), #cond, __FILE__, __LINE__, __VA_ARGS__)
#define is_str(a, b, ...) tap_is_str((a), (b), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(a, b, ...) tap_is_int((long long)(a), (long long)(b), __FILE__, __LINE__, __VA_ARGS__)

static void __attribute__((format(printf, 5, 6), unused))
tap_ok(int pass, const char *expr, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt); vprintf(fmt, ap); va_end(ap);
	putchar('\n');
	if (!pass) {
		printf("#   failed: %s at %s:%d\n", expr, file, line);
		tap_failed++;
	}
}

static void __attribute__((format(printf, 5, 6), unused))
tap_is_str(const char *a, const char *b, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int pass = (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt); vprintf(fmt, ap); va_end(ap);
	putchar('\n');
	if (!pass) {
		printf("#   got:      \"%s\"\n#   expected: \"%s\"\n#   at %s:%d\n",
		    a ? a : "(null)", b ? b : "(null)", file, line);
		tap_failed++;
	}
}

static void __attribute__((format(printf, 5, 6), unused))
tap_is_int(long long a, long long b, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int pass = a == b;
	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt); vprintf(fmt, ap); va_end(ap);
	putchar('\n');
	if (!pass) {
		printf("#   got: %lld, expected: %lld at %s:%d\n", a, b, file, line);
		tap_failed++;
	}
}

/* Print the plan last (TAP allows it) and return the exit status. */
static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
#endif
