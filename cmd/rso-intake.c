/* rso-intake: requests become cases; consent moves them to collecting. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rso_case.h"
#include "rso_casearc.h"
#include "rso_csv.h"
#include "rso_err.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_opt.h"
#include "rso_request.h"
#include "rso_store.h"
#include "rso_time.h"
#include "rso_transfer.h"

static struct rso_store *store;

/*
 * Requests are written in batches: one transaction, and the answers
 * printed only once the batch has committed, so no line ever names a case
 * that a crash could still take back.  A batch is short so other writers
 * wait little: BATCH requests, or BATCH_MS of writing, whichever comes
 * first (rso-intake(1)).  Each commit writes the pages the batch changed
 * to the WAL, an index page as often as it has commits: 2048 requests a
 * batch rather than 256 took a quarter off intake's time.
 *
 * A request is checked before it writes anything, so it seldom fails
 * once it has: a full disk, a constraint the checks did not foresee.
 * Then the batch is rolled back and taken again from its first request,
 * this time each under a savepoint of its own, so that only the failing
 * one is undone and the others are filed as before.  (A savepoint for
 * every request, kept in case, journaled each page it changed: 9% of
 * intake's work.)
 */
#define BATCH 2048
#define BATCH_MS 200
static char *answers;		/* the open batch's, as lines to print */
static size_t answers_len, answers_cap;
static int batched;
static struct timespec batch_began;
static struct taken {		/* the requests answered in the open batch */
	char *canon;		/* as stored: some 200 bytes, not a tree */
	int amend;
	char *where;
} taken[BATCH];
static int careful;		/* this batch: a savepoint for each request */

/* The verbs besides the default one (read requests). */
static const struct rso_verb verbs[] = {
	{ "consent", NULL, "consent case --providers name[,name] "
	    "[--provider name] [--expires date]\n"
	    "                  [--signed-by who] [--signed date]" },
	{ NULL, NULL }
};

static void
usage(FILE *fp, int full)
{
	if (!full && rso_verb_usage(fp))
		return;
	fputs("usage: rso-intake [-q] [-H home] [file ...]\n"
	    "       rso-intake [-q] [-H home] --csv file\n"
	    "       rso-intake [-q] [-H home] --archive file [-i identity]\n"
	    "       rso-intake consent case --providers name[,name] "
	    "[--provider name] [--expires date]\n"
	    "                  [--signed-by who] [--signed date]\n", fp);
	if (!full)
		return;
	fputs("Reads request lines (JSON) from the files or stdin; each valid\n"
	    "request becomes a case awaiting consent, and one line per case is\n"
	    "written: {\"case\":...,\"ref\":...,\"status\":...}.  A line with\n"
	    "\"case\" (or the request's \"ref\") and \"consent\" records consent,\n"
	    "for consent_days (config.json) unless it \"expires\".  --csv reads CSV\n"
	    "whose header names the members with dots (patient.birth_date);\n"
	    "questions are split on '|'.  --archive imports a partner's\n"
	    "transfer archive (rso-export --format archive) as a new case with\n"
	    "its records, read with the identity -i or $RSO_IDENTITY.\n"
	    "See rso-intake(1).\n"
	    "options:\n"
	    "      --archive f  import a partner's transfer archive\n"
	    "  -i, --identity f the age identity to read it with\n"
	    "  -H, --home dir   the store (default $RSO_HOME)\n"
	    "  -q, --quiet      no notes on stderr\n"
	    "  -h, --help       this text\n"
	    "      --version    the version\n", fp);
}

static void
report(void *ctx, const char *msg)
{
	rso_warnx("%s: %s", (const char *)ctx, msg);
}

static int
answer(const char *id, const json_t *ref, const char *status,
    const char *flag)
{
	char *r = json_dumps(ref, JSON_ENCODE_ANY | JSON_COMPACT), *line;
	size_t n;

	/*
	 * Written out rather than packed and dumped whole by jansson (3% of
	 * intake), in the same bytes: the id, the status and the flag are
	 * our own words, and jansson writes the ref (a checked string).
	 */
	line = rso_xasprintf("{\"case\":\"%s\",\"ref\":%s,"
	    "\"status\":\"%s\"%s%s%s}\n", id, r, status, flag ? ",\"" : "",
	    flag ? flag : "", flag ? "\":true" : "");
	n = strlen(line);
	if (answers_len + n > answers_cap) {
		answers_cap = 2 * (answers_len + n);
		answers = rso_xrealloc(answers, answers_cap);
	}
	memcpy(answers + answers_len, line, n);
	answers_len += n;
	free(line);
	free(r);
	return 0;
}

/* Drop the requests of the open batch from the first'th on. */
static void
forget_taken(int first)
{
	int i;

	for (i = first; i < batched; i++) {
		free(taken[i].canon);
		free(taken[i].where);
	}
	batched = first;
}

/* Commit the open batch and print its answers. */
static int
end_batch(void)
{
	struct rso_error e;
	int rc = 0;

	if (rso_store_in_transaction(store) &&
	    (rc = rso_store_commit(store, &e)) != 0)
		rso_warnx("db: %s", e.msg);
	if (rc == 0 && answers_len > 0) {
		rso_live_erase(STDOUT_FILENO);
		if (fwrite(answers, 1, answers_len, stdout) != answers_len)
			rc = EX_IOERR;
	}
	answers_len = 0;
	forget_taken(0);
	careful = 0;
	fflush(stdout);
	return rc;
}

static int
begin_request(struct rso_error *e)
{
	int rc;

	if (!rso_store_in_transaction(store)) {
		if ((rc = rso_store_begin(store, e)) != 0)
			return rc;
		clock_gettime(CLOCK_MONOTONIC, &batch_began);
	}
	return careful ? rso_store_savepoint(store, "request", e) : 0;
}

/* Whether the open batch has had its share of the store. */
static int
batch_full(void)
{
	struct timespec now;

	if (batched >= BATCH)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - batch_began.tv_sec) * 1000 +
	    (now.tv_nsec - batch_began.tv_nsec) / 1000000 >= BATCH_MS;
}

/*
 * The request as stored: the line without the "amend" instruction (a
 * copy only when there is one to take out), its canonical text in *canon
 * (stored, and hashed in its event, as it is) and that text's SHA-256.
 */
static json_t *
stored_form(json_t *line, char **canon, char *hash)
{
	json_t *req;

	if (json_object_get(line, "amend") != NULL) {
		req = json_deep_copy(line);
		json_object_del(req, "amend");
	} else
		req = json_incref(line);
	*canon = rso_json_canonical(req);
	rso_sha256_hex(*canon, strlen(*canon), hash);
	return req;
}

static int take_request(json_t *line, const char *where);

/*
 * A request failed after it wrote: undo the whole batch, then take its
 * requests again, each under a savepoint, and this one last.  They meet
 * the store as they did, so they come to the same cases and answers.
 */
static int
retake_batch(json_t *line, const char *where)
{
	struct taken again[BATCH];
	json_t *req;
	int i, n = batched, status = 0;

	rso_store_rollback(store);
	answers_len = 0;
	memcpy(again, taken, (size_t)n * sizeof(again[0]));
	batched = 0;
	careful = 1;
	for (i = 0; i < n; i++) {
		req = json_loads(again[i].canon, 0, NULL);
		if (again[i].amend)
			json_object_set_new(req, "amend", json_true());
		rso_status_set(&status, take_request(req, again[i].where));
		json_decref(req);
		free(again[i].canon);
		free(again[i].where);
	}
	rso_status_set(&status, take_request(line, where));
	return status;
}

/*
 * One request in the open batch: new ref -> new case; known ref with the
 * same content -> the existing case (a re-run); different content ->
 * rejected unless "amend": true.
 */
static int
take_request(json_t *line, const char *where)
{
	char id[RSO_CASE_IDLEN], hash[RSO_SHA256_HEXLEN], old[RSO_SHA256_HEXLEN];
	char status[32];
	const char *flag = NULL;
	struct rso_error e;
	json_t *req;
	char *canon;
	int rc, wrote = 0, amend = json_is_true(json_object_get(line, "amend"));

	if (rso_request_check(line, store, rso_now(), report, (void *)where))
		return EX_DATAERR;
	req = stored_form(line, &canon, hash);
	if ((rc = begin_request(&e)) != 0)
		goto fail;
	rc = rso_case_by_ref(store, json_string_value(json_object_get(req,
	    "ref")), id, old, status, &e);
	if (rc == 1) {
		wrote = 1;
		rc = rso_case_create(store, req, canon, hash, id, &e);
		snprintf(status, sizeof(status), "awaiting-consent");
	} else if (rc == 0 && strcmp(old, hash) == 0) {
		flag = "existing";
	} else if (rc == 0 && amend) {
		wrote = 1;
		rc = rso_case_amend(store, id, req, canon, hash, &e);
		flag = "amended";
	} else if (rc == 0) {
		rc = rso_error_set(&e, EX_DATAERR, "ref: already used by %s with "
		    "different content (add \"amend\": true to change it)", id);
	}
	if (rc == 0 && careful)
		rc = rso_store_release(store, "request", &e);
	if (rc != 0)
		goto fail;
	json_decref(req);
	rc = answer(id, json_object_get(line, "ref"), status, flag);
	taken[batched].canon = canon;
	taken[batched].amend = amend;
	taken[batched++].where = rso_xstrdup(where);
	if (batch_full())
		rc = end_batch();
	return rc;
fail:
	free(canon);
	json_decref(req);
	/* Busy at BEGIN: nothing is open.  Written: undo it, alone. */
	if (wrote && !careful)
		return retake_batch(line, where);
	if (careful && rso_store_in_transaction(store))
		rso_store_rollback_to(store, "request");
	rso_warnx("%s: %s", where, e.msg);
	return e.status;
}

/*
 * An expiry: a date means the end of that day (UTC).  Fills out with
 * RFC 3339; returns 0, or -1 when not a time or not in the future.
 */
static int
parse_expiry(const char *s, char *out, int *past)
{
	rso_time_t t;

	*past = 0;
	if (rso_date_parse(s, &t) == 0)
		t += 86400;
	else if (rso_time_parse(s, &t) != 0)
		return -1;
	if (t <= rso_now()) {
		*past = 1;
		return -1;
	}
	rso_time_format(t, out);
	return 0;
}

/*
 * A consent given without an expiry lasts config "consent_days" from its
 * signing (or from now).  Fills out; 0, EX_DATAERR when that is past, or
 * EX_CONFIG.
 */
static int
default_expiry(rso_time_t signed_at, char *out, const char *where)
{
	long long days = rso_store_conf_int(store, "consent_days", 365);

	if (days <= 0 || days > 36500) {
		rso_warnx("config.json: consent_days: not a number of days from "
		    "1 to 36500");
		return EX_CONFIG;
	}
	signed_at += (rso_time_t)days * 86400;
	if (signed_at <= rso_now()) {
		rso_warnx("%s: consent.signed: more than \"consent_days\" ago, "
		    "and no expiry", where);
		return EX_DATAERR;
	}
	rso_time_format(signed_at, out);
	return 0;
}

/* Record consent (its own transaction); providers is a JSON array. */
static int
record_consent(const char *id, json_t *providers, const char *expires,
    const char *signed_by, const char *signed_at, const char *where)
{
	char exp[RSO_TIME_STRLEN], sig[RSO_TIME_STRLEN];
	struct rso_state st;
	struct rso_error e;
	json_t *p, *out;
	size_t i;
	rso_time_t t;
	int past, rc;

	if (!json_is_array(providers) || json_array_size(providers) == 0) {
		rso_warnx("%s: consent.providers: missing", where);
		return EX_DATAERR;
	}
	json_array_foreach(providers, i, p)
		if (!json_is_string(p) || json_string_length(p) == 0) {
			rso_warnx("%s: consent.providers.%zu: not a name", where, i);
			return EX_DATAERR;
		}
	t = rso_now();
	if (signed_at != NULL) {
		if (rso_date_parse(signed_at, &t) != 0 &&
		    rso_time_parse(signed_at, &t) != 0) {
			rso_warnx("%s: consent.signed: not a date", where);
			return EX_DATAERR;
		}
		signed_at = rso_time_format(t, sig);
	}
	/* consent_days from signing (or now): a form's consent usually has
	 * no end date of its own. */
	if (expires == NULL)
		rc = default_expiry(t, exp, where);
	else if ((rc = parse_expiry(expires, exp, &past)) != 0) {
		rso_warnx("%s: consent.expires: %s", where, past ?
		    "not in the future" : "not a date or RFC 3339 time");
		rc = EX_DATAERR;
	}
	if (rc != 0)
		return rc;
	if ((rc = rso_store_begin(store, &e)) == 0)
		rc = rso_consent_record(store, id, providers, exp, signed_by,
		    signed_at, &e);
	if (rc == 0)
		rc = rso_store_commit(store, &e);
	if (rc == 0)
		rc = rso_case_state(store, id, &st, &e);
	if (rc != 0) {
		rso_store_rollback(store);
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	out = json_pack("{s:s, s:s}", "case", id, "status",
	    rso_status_name(st.status));
	rc = rso_jsonl_write(stdout, out);
	json_decref(out);
	return rc;
}

static int
take_consent_line(json_t *line, const char *where)
{
	json_t *c = json_object_get(line, "consent");
	char id[RSO_CASE_IDLEN];
	struct rso_error e;
	int rc;

	/* By "case", or by "ref" when written before the case had an id. */
	if ((rc = rso_case_named(store, line, id, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	if (!json_is_object(c)) {
		rso_warnx("%s: consent: not an object", where);
		return EX_DATAERR;
	}
	return record_consent(id, json_object_get(c, "providers"),
	    rso_json_str(c, "expires"), rso_json_str(c, "signed_by"),
	    rso_json_str(c, "signed"), where);
}

static int
take_line(json_t *line, struct rso_jsonl *r, void *ctx)
{
	char where[300];
	int rc;

	(void)ctx;
	snprintf(where, sizeof(where), "%s:%lu", rso_jsonl_name(r),
	    rso_jsonl_line(r));
	if (json_object_get(line, "consent") != NULL) {
		/* Consent is its own transaction, after the requests before it. */
		if ((rc = end_batch()) != 0)
			return rc;
		return take_consent_line(line, where);
	}
	if (json_object_get(line, "case") != NULL) {
		rso_warnx("%s: a case line is not a request (no \"consent\")",
		    where);
		return EX_DATAERR;
	}
	rc = take_request(line, where);
	/* The next line is not there yet: hold no lock waiting for it. */
	if (batched > 0 && rso_jsonl_waiting(r))
		rso_status_set(&rc, end_batch());
	return rc;
}

/* --providers "A,B" and --provider "Name, With Comma" add to list. */
static void
add_providers(json_t *list, const char *arg, int split)
{
	char *copy = rso_xstrdup(arg), *tok, *save = NULL;

	if (!split)
		json_array_append_new(list, json_string(arg));
	else
		for (tok = strtok_r(copy, ",", &save); tok;
		    tok = strtok_r(NULL, ",", &save))
			if (*tok)
				json_array_append_new(list, json_string(tok));
	free(copy);
}

static int
verb_consent(int argc, char **argv)
{
	enum { OPT_PROVIDER = RSO_OPT_PRIVATE, OPT_SIGNED, OPT_SIGNED_BY };
	static const struct option longopts[] = {
		{ "expires", required_argument, NULL, 'e' },
		{ "provider", required_argument, NULL, OPT_PROVIDER },
		{ "providers", required_argument, NULL, 'p' },
		{ "signed", required_argument, NULL, OPT_SIGNED },
		{ "signed-by", required_argument, NULL, OPT_SIGNED_BY },
		RSO_OPT_LONG, { 0 } };
	const char *expires = NULL, *signed_at = NULL, *signed_by = NULL;
	json_t *providers = json_array();
	int ch, rc;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, "e:p:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'e': expires = optarg; break;
		case 'p':
			add_providers(providers, rso_opt_text("--providers",
			    optarg), 1);
			break;
		case OPT_PROVIDER:
			add_providers(providers, rso_opt_text("--provider",
			    optarg), 0);
			break;
		case OPT_SIGNED: signed_at = optarg; break;
		case OPT_SIGNED_BY:
			signed_by = rso_opt_text("--signed-by", optarg);
			break;
		default: rso_opt_common(ch, optarg, usage);
		}
	argc -= optind;
	argv += optind;
	if (argc != 1 || json_array_size(providers) == 0) {
		json_decref(providers);
		usage(stderr, 0);
		return EX_USAGE;
	}
	if (!rso_case_id_valid(argv[0])) {
		json_decref(providers);
		rso_diex(EX_USAGE, "argument 1: not a case id");
	}
	store = rso_store_xopen();
	rc = record_consent(argv[0], providers, expires, signed_by, signed_at,
	    "consent");
	json_decref(providers);
	rso_store_close(store);
	return rc;
}

static int
take_csv_request(json_t *req, const char *where, void *ctx)
{
	(void)ctx;
	return take_request(req, where);
}

/* A partner's transfer archive becomes a case of ours, whole or not at all. */
static int
take_archive(const char *path, const char *identity)
{
	struct rso_age_identities *ids;
	struct rso_error e;
	json_t *out;
	int rc;

	if ((rc = rso_casearc_identities(identity, &ids, &e)) != 0) {
		rso_warnx("%s", e.msg);
		return rc;
	}
	store = rso_store_xopen();
	rc = rso_transfer_import(store, path, ids, &out, &e);
	rso_age_identities_free(ids);
	rso_store_close(store);
	if (rc != 0) {
		rso_warnx("%s", e.msg);
		return rc;
	}
	rc = rso_jsonl_write(stdout, out) ? EX_IOERR : 0;
	json_decref(out);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { OPT_CSV = RSO_OPT_PRIVATE, OPT_ARCHIVE };
	static const struct option longopts[] = {
		{ "archive", required_argument, NULL, OPT_ARCHIVE },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "identity", required_argument, NULL, 'i' },
		RSO_OPT_LONG, { 0 } };
	const char *csv = NULL, *archive = NULL, *identity = NULL;
	int ch, rc;

	rso_setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "+i:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		if (ch == OPT_CSV)
			csv = optarg;
		else if (ch == OPT_ARCHIVE)
			archive = optarg;
		else if (ch == 'i')
			identity = optarg;
		else
			rso_opt_common(ch, optarg, usage);
	argc -= optind;
	argv += optind;
	/* A verb first; else files, or a near miss of a verb is an error. */
	if (argc > 0 && rso_verb_pick(verbs, argv[0], RSO_VERB_DEFAULT,
	    usage) != NULL)
		return rso_flush_stdout(verb_consent(argc, argv));
	if (identity != NULL && archive == NULL)
		rso_usage_error(usage, "-i: only with --archive");
	if ((csv != NULL) + (archive != NULL) + (argc > 0) > 1) {
		usage(stderr, 0);
		return EX_USAGE;
	}
	if (archive != NULL)
		return rso_flush_stdout(take_archive(archive, identity));
	if (csv == NULL && argc == 0)
		rso_note_stdin("requests");
	store = rso_store_xopen();
	rc = csv ? rso_csv_each(csv, (const char *const[]){ "questions", NULL },
	    take_csv_request, NULL) : rso_jsonl_each(argc, argv, take_line, NULL);
	rso_status_set(&rc, end_batch());
	free(answers);
	rso_store_close(store);
	return rso_flush_stdout(rc);
}
