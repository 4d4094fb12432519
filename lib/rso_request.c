/* rso_request: what makes a request line acceptable. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rso_jsonl.h"
#include "rso_request.h"

#define REF_MAX 128

void
rso_check_problem(struct rso_check *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->report(c->ctx, msg);
	c->n++;
}

int
rso_email_valid(const char *s)
{
	const char *at = strchr(s, '@'), *dot, *p;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return 0;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == ',' || *p == ';' || *p == '"')
			return 0;
	dot = strrchr(at + 1, '.');
	return dot != NULL && dot > at + 1 && dot[1] != '\0' &&
	    strstr(at + 1, "..") == NULL;
}

int
rso_npi_valid(const char *s)
{
	/* CMS: Luhn over the 9 digits prefixed by 80840, the 10th checks. */
	int sum = 24, i, d, dbl = 1;

	for (i = 0; i < 10; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	if (s[10] != '\0')
		return 0;
	for (i = 8; i >= 0; i--, dbl = !dbl) {
		d = s[i] - '0';
		if (dbl && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	return (10 - sum % 10) % 10 == s[9] - '0';
}

/* The string at path; reports "not a string" and returns NULL otherwise. */
static const char *
opt_string(struct rso_check *c, const json_t *req, const char *path)
{
	json_t *v = rso_json_path(req, path);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		rso_check_problem(c, "%s: not a string", path);
		return NULL;
	}
	return json_string_value(v);
}

static const char *
required_string(struct rso_check *c, const json_t *req, const char *path)
{
	json_t *v = rso_json_path(req, path);
	const char *s;

	if (v == NULL || json_is_null(v)) {
		rso_check_problem(c, "%s: missing", path);
		return NULL;
	}
	if ((s = opt_string(c, req, path)) != NULL && *s == '\0') {
		rso_check_problem(c, "%s: empty", path);
		return NULL;
	}
	return s;
}

static void
one_of(struct rso_check *c, const json_t *req, const char *path,
    const char *const *allowed, const char *list)
{
	const char *v = opt_string(c, req, path);

	if (v == NULL)
		return;
	for (; *allowed; allowed++)
		if (strcmp(*allowed, v) == 0)
			return;
	rso_check_problem(c, "%s: not one of %s", path, list);
}

static void
check_ref(struct rso_check *c, const json_t *req)
{
	const char *ref = required_string(c, req, "ref"), *p;

	if (ref == NULL)
		return;
	if (strlen(ref) > REF_MAX) {
		rso_check_problem(c, "ref: longer than %d characters", REF_MAX);
		return;
	}
	for (p = ref; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f) {
			rso_check_problem(c, "ref: control character");
			return;
		}
}

static void
check_patient(struct rso_check *c, const json_t *req, rso_time_t now)
{
	static const char *const sexes[] = { "female", "male", "other",
	    "unknown", NULL };
	json_t *p = json_object_get(req, "patient");
	const char *bd, *v;
	rso_time_t t;

	if (p != NULL && !json_is_object(p)) {
		rso_check_problem(c, "patient: not an object");
		return;
	}
	required_string(c, req, "patient.name");
	if ((bd = required_string(c, req, "patient.birth_date")) != NULL) {
		if (rso_date_parse(bd, &t) != 0)
			rso_check_problem(c, "patient.birth_date: not a date "
			    "(YYYY-MM-DD)");
		else if (t > now)
			rso_check_problem(c, "patient.birth_date: in the future");
	}
	one_of(c, req, "patient.sex", sexes, "female, male, other, unknown");
	if ((v = opt_string(c, req, "patient.email")) && !rso_email_valid(v))
		rso_check_problem(c, "patient.email: not an email address");
	if ((v = opt_string(c, req, "patient.country")) &&
	    !(strlen(v) == 2 && isupper((unsigned char)v[0]) &&
	    isupper((unsigned char)v[1])))
		rso_check_problem(c, "patient.country: not an ISO 3166 alpha-2 code");
	if ((v = opt_string(c, req, "patient.language")) &&
	    !(strlen(v) >= 2 && strlen(v) <= 8 && islower((unsigned char)v[0])))
		rso_check_problem(c, "patient.language: not a language tag");
}

static void
check_requester(struct rso_check *c, const json_t *req)
{
	static const char *const kinds[] = { "patient", "provider", NULL };
	json_t *r = json_object_get(req, "requester");
	const char *v;

	if (r == NULL)
		return;
	if (!json_is_object(r)) {
		rso_check_problem(c, "requester: not an object");
		return;
	}
	one_of(c, req, "requester.kind", kinds, "patient, provider");
	if ((v = opt_string(c, req, "requester.email")) && !rso_email_valid(v))
		rso_check_problem(c, "requester.email: not an email address");
	if ((v = opt_string(c, req, "requester.npi")) && !rso_npi_valid(v))
		rso_check_problem(c, "requester.npi: not a valid NPI");
}

static void
check_questions(struct rso_check *c, const json_t *req)
{
	json_t *q = json_object_get(req, "questions"), *x;
	size_t i;

	if (q == NULL || json_is_null(q)) {
		rso_check_problem(c, "questions: missing");
		return;
	}
	if (!json_is_array(q)) {
		rso_check_problem(c, "questions: not a list");
		return;
	}
	if (json_array_size(q) == 0) {
		rso_check_problem(c, "questions: empty");
		return;
	}
	json_array_foreach(q, i, x)
		if (!json_is_string(x) || json_string_length(x) == 0) {
			rso_check_problem(c, "questions.%zu: not a question", i);
			return;
		}
}

int
rso_request_check(const json_t *req, struct rso_store *s, rso_time_t now,
    rso_request_report_fn *report, void *ctx)
{
	static const char *const urgencies[] = { "routine", "urgent", NULL };
	struct rso_check c = { report, ctx, 0 };
	char path[256];
	const char *v;
	json_t *a;
	rso_time_t t;

	/* CSV rows come here without the JSON lines reader's check. */
	if (rso_json_find_control(req, path, sizeof(path)))
		rso_check_problem(&c, "%s: control character", path);
	check_ref(&c, req);
	check_patient(&c, req, now);
	check_requester(&c, req);
	if ((v = required_string(&c, req, "specialty")) != NULL &&
	    !rso_store_conf_has(s, "specialties", v))
		rso_check_problem(&c, "specialty: unknown (see \"specialties\" "
		    "in config.json)");
	check_questions(&c, req);
	one_of(&c, req, "urgency", urgencies, "routine, urgent");
	if ((v = opt_string(&c, req, "received")) && rso_time_parse(v, &t) != 0)
		rso_check_problem(&c, "received: not an RFC 3339 time");
	if ((a = json_object_get(req, "amend")) != NULL && !json_is_boolean(a))
		rso_check_problem(&c, "amend: not true or false");
	return c.n;
}
