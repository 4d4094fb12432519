/* Unit tests for rso_state, rso_store, rso_event and rso_case. */
/* SPDX-License-Identifier: ISC */
/*
 * Each test store lives in a mkdtemp folder under $TMPDIR (or /tmp) and is
 * removed at the end.  The store copies its defaults from $RSO_SHARE: when
 * that is unset, this test uses ./share, which is right when run from the
 * top of the tree as scripts/check (make check) does, else the share/ next
 * to this source file when __FILE__ is an absolute path.  RSO_NOW and
 * RSO_ACTOR are fixed, so every store built here has the same events and
 * the same hashes.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>

#include "rso_case.h"
#include "rso_err.h"
#include "rso_event.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_state.h"
#include "rso_store.h"
#include "rso_store_priv.h"
#include "capture.h"
#include "tap.h"

#define NOW "2026-10-15T13:45:00Z"
#define ACTOR "unit-tester"
#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

static char tmpdir[PATH_MAX];

static void
bail(const char *what, const struct rso_error *e)
{
	printf("Bail out! %s: %s\n", what, e ? e->msg : "");
	exit(1);
}

static void
set_share(void)
{
	char path[PATH_MAX], *slash;
	const char *env = getenv("RSO_SHARE");

	if (env != NULL && *env != '\0')
		return;
	if (access("share/config.json", R_OK) == 0 &&
	    realpath("share", path) != NULL) {
		setenv("RSO_SHARE", path, 1);
		return;
	}
	/* __FILE__ is ".../t/unit/test_event.c": share/ is two levels up. */
	snprintf(path, sizeof(path), "%s", __FILE__);
	if ((slash = strstr(path, "t/unit/test_event.c")) != NULL) {
		strcpy(slash, "share");
		setenv("RSO_SHARE", path, 1);
	}
}

static char *
tmp_path(const char *name)
{
	return rso_xasprintf("%s/%s", tmpdir, name);
}

/* A fresh store at tmpdir/name, opened. */
static struct rso_store *
new_store(const char *name)
{
	char *home = tmp_path(name);
	struct rso_store *s;
	struct rso_error e;

	if (rso_store_init(home, &e) != 0)
		bail("rso_store_init", &e);
	if (rso_store_open(home, &s, &e) != 0)
		bail("rso_store_open", &e);
	free(home);
	return s;
}

static int
exec(struct rso_store *s, const char *sql)
{
	return sqlite3_exec(rso_store_db(s), sql, NULL, NULL, NULL);
}

static long long
query_int(struct rso_store *s, const char *sql)
{
	sqlite3_stmt *st = rso_store_prepare(s, sql);
	long long v = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *
query_text(struct rso_store *s, const char *sql)
{
	sqlite3_stmt *st = rso_store_prepare(s, sql);
	char *v = NULL;

	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = rso_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

/* The request every test case is made from (synthetic). */
static const char request_text[] =
    "{\"ref\":\"unit-%04d\",\"specialty\":\"oncology\",\"patient\":"
    "{\"name\":\"Test Patient ZZPHI\",\"country\":\"US\",\"region\":\"TX\"},"
    "\"questions\":[\"Is the plan right?\"]}";
/* Its canonical form, written out by hand for ref unit-0001. */
static const char request_canon[] =
    "{\"patient\":{\"country\":\"US\",\"name\":\"Test Patient ZZPHI\","
    "\"region\":\"TX\"},\"questions\":[\"Is the plan right?\"],"
    "\"ref\":\"unit-0001\",\"specialty\":\"oncology\"}";

static void
create_case(struct rso_store *s, int n, char *id)
{
	char text[512], hash[RSO_SHA256_HEXLEN], *canon;
	struct rso_error e;
	json_t *req;

	snprintf(text, sizeof(text), request_text, n);
	req = json_loads(text, 0, NULL);
	canon = rso_json_canonical(req);
	rso_sha256_hex(canon, strlen(canon), hash);
	if (rso_store_begin(s, &e) != 0 ||
	    rso_case_create(s, req, canon, hash, id, &e) != 0 ||
	    rso_store_commit(s, &e) != 0)
		bail("create_case", &e);
	free(canon);
	json_decref(req);
}

static void
consent(struct rso_store *s, const char *id, const char *providers,
    const char *expires)
{
	json_t *p = json_loads(providers, 0, NULL);
	struct rso_error e;

	if (rso_store_begin(s, &e) != 0 ||
	    rso_consent_record(s, id, p, expires, "patient", NULL, &e) != 0 ||
	    rso_store_commit(s, &e) != 0)
		bail("consent", &e);
	json_decref(p);
}

static void
move(struct rso_store *s, const char *id, const char *type, const char *data)
{
	json_t *d = data ? json_loads(data, 0, NULL) : json_object();
	struct rso_error e;
	int already;

	if (rso_case_move(s, id, type, d, &already, &e) != 0)
		bail(type, &e);
	json_decref(d);
}

/*
 * The same history in every store: 18 events.
 *   RSO-2026-000001  1 created, 2 consent, 3 records.received, 4 complete,
 *                    5 assigned, 6 declined, 7 assigned, 8 review, 9
 *                    delivered, 10 closed
 *   RSO-2026-000002  11 created, 12 consent, 13 held, 14 resumed
 *   RSO-2026-000003  15 created, 16 held, 17 cancelled
 *   (none)           18 store.checked
 */
static void
populate(struct rso_store *s)
{
	char id[RSO_CASE_IDLEN];
	struct rso_error e;
	json_t *d;

	create_case(s, 1, id);
	consent(s, id, "[\"Clinic A\"]", "2027-10-15T00:00:00Z");
	d = json_loads("{\"source\":\"Cl\xc3\xadnica S\xc3\xa3o Paulo\","
	    "\"n\":1}", 0, NULL);
	if (rso_store_begin(s, &e) != 0 ||
	    rso_case_event(s, id, "records.received", d, &e) != 0 ||
	    rso_store_commit(s, &e) != 0)
		bail("records.received", &e);
	json_decref(d);
	move(s, id, "records.complete", NULL);
	move(s, id, "case.assigned", "{\"specialist\":\"sp-1\"}");
	move(s, id, "assignment.declined", NULL);
	move(s, id, "case.assigned", "{\"specialist\":\"sp-2\"}");
	move(s, id, "review.started", NULL);
	move(s, id, "opinion.delivered", NULL);
	move(s, id, "case.closed", NULL);
	create_case(s, 2, id);
	consent(s, id, "[\"*\"]", "2027-10-15T00:00:00Z");
	move(s, id, "case.held", NULL);
	move(s, id, "case.resumed", NULL);
	create_case(s, 3, id);
	move(s, id, "case.held", NULL);
	move(s, id, "case.cancelled", "{\"reason\":\"patient-withdrew\"}");
	d = json_object();
	if (rso_store_begin(s, &e) != 0 ||
	    rso_event_append(s, NULL, "store.checked", d, NULL, &e) != 0 ||
	    rso_store_commit(s, &e) != 0)
		bail("store.checked", &e);
	json_decref(d);
}

/* ---------------------------------------------------------------- */

static const char *const types[] = {
	"case.created", "consent.recorded", "records.complete", "case.assigned",
	"assignment.declined", "review.started", "opinion.delivered",
	"case.closed", "case.held", "case.resumed", "case.cancelled",
	"records.received",	/* not a transition */
};
static const char *const verbs[] = {
	"create", "record consent for", "complete", "assign", "decline",
	"start review of", "deliver", "close", "hold", "resume", "cancel",
	"records.received",
};

#define S(x) RSO_ST_##x
#define HELD_FROM -1	/* "to": back to where it was held */
#define STAY -2		/* "to": the status does not change */

/* Every allowed (from, type) pair; all others must be refused. */
static const struct { enum rso_status from; const char *type; int to; }
allowed[] = {
	{ S(NONE), "case.created", S(AWAITING_CONSENT) },
	{ S(AWAITING_CONSENT), "consent.recorded", S(COLLECTING) },
	{ S(COLLECTING), "consent.recorded", STAY },
	{ S(READY), "consent.recorded", STAY },
	{ S(ASSIGNED), "consent.recorded", STAY },
	{ S(IN_REVIEW), "consent.recorded", STAY },
	{ S(ON_HOLD), "consent.recorded", STAY },
	{ S(COLLECTING), "records.complete", S(READY) },
	{ S(READY), "case.assigned", S(ASSIGNED) },
	{ S(ASSIGNED), "assignment.declined", S(READY) },
	{ S(ASSIGNED), "review.started", S(IN_REVIEW) },
	{ S(IN_REVIEW), "opinion.delivered", S(DELIVERED) },
	{ S(DELIVERED), "case.closed", S(CLOSED) },
	{ S(AWAITING_CONSENT), "case.held", S(ON_HOLD) },
	{ S(COLLECTING), "case.held", S(ON_HOLD) },
	{ S(READY), "case.held", S(ON_HOLD) },
	{ S(ASSIGNED), "case.held", S(ON_HOLD) },
	{ S(IN_REVIEW), "case.held", S(ON_HOLD) },
	{ S(ON_HOLD), "case.resumed", HELD_FROM },
	{ S(AWAITING_CONSENT), "case.cancelled", S(CANCELLED) },
	{ S(COLLECTING), "case.cancelled", S(CANCELLED) },
	{ S(READY), "case.cancelled", S(CANCELLED) },
	{ S(ASSIGNED), "case.cancelled", S(CANCELLED) },
	{ S(IN_REVIEW), "case.cancelled", S(CANCELLED) },
	{ S(ON_HOLD), "case.cancelled", S(CANCELLED) },
};

static int
find_allowed(enum rso_status from, const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i].from == from && strcmp(allowed[i].type, type) == 0)
			return (int)i;
	return -1;
}

static void
test_state_machine(void)
{
	static const char *const names[] = {
		"none", "awaiting-consent", "collecting", "ready", "assigned",
		"in-review", "delivered", "closed", "on-hold", "cancelled",
	};
	struct rso_state st;
	struct rso_error e;
	enum rso_status p;
	char want[128];
	size_t t;
	int from, a, rc, refused = 0;

	for (from = 0; from < RSO_ST_COUNT; from++) {
		is_str(rso_status_name(from), names[from], "status name %d", from);
		if (from == RSO_ST_NONE)
			ok(rso_status_parse("none", &p) == -1,
			    "\"none\" is not a status a case can have");
		else
			ok(rso_status_parse(names[from], &p) == 0 &&
			    (int)p == from, "status_parse \"%s\"", names[from]);
		is_int(rso_status_is_open(from),
		    (from >= S(AWAITING_CONSENT) && from <= S(IN_REVIEW)) ||
		    from == S(ON_HOLD), "status_is_open %s", names[from]);
	}
	is_str(rso_status_name(RSO_ST_COUNT), "unknown", "out of range name");
	ok(rso_status_parse("Closed", &p) == -1, "status_parse is exact");
	ok(rso_status_parse("", &p) == -1, "status_parse of \"\"");

	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		is_int(rso_state_is_transition(types[t]), t < 11,
		    "is_transition %s", types[t]);

	/* Every status times every event type. */
	for (from = 0; from < RSO_ST_COUNT; from++) {
		for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			st.status = from;
			st.held_from = from == S(ON_HOLD) ? S(ASSIGNED) :
			    S(NONE);
			memset(&e, 0, sizeof(e));
			rc = rso_state_apply(&st, types[t], &e);
			a = find_allowed(from, types[t]);
			if (t == 11 && from != S(NONE)) {
				ok(rc == 0 && (int)st.status == from,
				    "%s: %s is recorded, status kept",
				    names[from], types[t]);
			} else if (a >= 0) {
				int to = allowed[a].to == STAY ? from :
				    allowed[a].to == HELD_FROM ? S(ASSIGNED) :
				    allowed[a].to;
				ok(rc == 0 && (int)st.status == to,
				    "%s + %s -> %s", names[from], types[t],
				    names[to]);
				if (strcmp(types[t], "case.held") == 0)
					is_int(st.held_from, from,
					    "%s + %s remembers where it was",
					    names[from], types[t]);
			} else {
				refused++;
				if (from == S(NONE))
					snprintf(want, sizeof(want),
					    "no such case");
				else
					snprintf(want, sizeof(want),
					    "cannot %s a case that is %s",
					    verbs[t], names[from]);
				ok(rc == EX_DATAERR && e.status == EX_DATAERR &&
				    (int)st.status == from,
				    "%s + %s is refused, status unchanged",
				    names[from], types[t]);
				is_str(e.msg, want, "%s + %s: message",
				    names[from], types[t]);
			}
		}
	}
	ok(refused > 60, "most pairs are refused (%d)", refused);

	/* Resume goes back to wherever the hold came from. */
	for (from = S(AWAITING_CONSENT); from <= S(IN_REVIEW); from++) {
		st.status = from;
		st.held_from = S(NONE);
		rc = rso_state_apply(&st, "case.held", NULL);
		rc |= rso_state_apply(&st, "case.resumed", NULL);
		ok(rc == 0 && (int)st.status == from,
		    "hold then resume returns to %s", names[from]);
	}
	st.status = S(COLLECTING);
	rso_state_apply(&st, "case.held", NULL);
	ok(rso_state_apply(&st, "case.held", &e) == EX_DATAERR,
	    "a held case cannot be held again");
	is_int(st.held_from, S(COLLECTING), "and keeps where it was held from");
	ok(rso_state_apply(&st, "case.resumed", NULL) == 0 &&
	    st.status == S(COLLECTING), "so resume still goes back");
	ok(rso_state_apply(&st, "case.created", &e) == EX_DATAERR,
	    "a case is created once");
	is_str(e.msg, "cannot create a case that is collecting",
	    "create message");
	ok(rso_state_apply(&st, "no.such.type", NULL) == 0,
	    "an unknown event type needs only the case to exist");
	st.status = S(NONE);
	ok(rso_state_apply(&st, "no.such.type", &e) == EX_DATAERR,
	    "an unknown event type on no case is refused");
	is_str(e.msg, "no such case", "with \"no such case\"");
}

/* ---------------------------------------------------------------- */

static void
test_case_ids(void)
{
	static const struct { const char *id; int ok; } ids[] = {
		{ "RSO-2026-000001", 1 },
		{ "RSO-2026-123456789", 1 },	/* nine digits */
		{ "A-1999-000000", 1 },
		{ "rso2-2026-000001", 1 },	/* letters and digits */
		{ "ABCDEFGHIJKLMNOP-2026-000001", 1 },	/* 16 */
		{ "ABCDEFGHIJKLMNOPQ-2026-000001", 0 },	/* 17 */
		{ "RSO-2026-00001", 0 },
		{ "RSO-2026-1234567890", 0 },
		{ "RSO-26-000001", 0 },
		{ "RSO-20261-000001", 0 },
		{ "RSO-2O26-000001", 0 },	/* letter O */
		{ "-2026-000001", 0 },
		{ "RSO-EU-2026-000001", 0 },
		{ "RSO_1-2026-000001", 0 },
		{ "RSO--2026-000001", 0 },
		{ "RSO-2026--000001", 0 },
		{ "RSO-2026-000001 ", 0 },
		{ " RSO-2026-000001", 0 },
		{ "RSO-2026-000001\n", 0 },
		{ "RSO-2026-00000a", 0 },
		{ "RSO-2026-", 0 },
		{ "RSO-2026", 0 },
		{ "RSO-", 0 },
		{ "RSO", 0 },
		{ "R\xc3\x89S-2026-000001", 0 },
		{ "../2026-000001", 0 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		is_int(rso_case_id_valid(ids[i].id), ids[i].ok,
		    "case id \"%s\" is %svalid", ids[i].id, ids[i].ok ? "" : "in");
}

/* ---------------------------------------------------------------- */

static void
test_store_open(void)
{
	char *home = tmp_path("perm"), *missing = tmp_path("missing");
	char *empty = tmp_path("empty"), *file = tmp_path("file");
	char *db, want[PATH_MAX + 128];
	struct rso_store *s = (void *)1;
	struct rso_error e;
	int fd;

	ok(rso_store_open(missing, &s, &e) == EX_NOINPUT && s == NULL,
	    "open: a missing home is EX_NOINPUT");
	snprintf(want, sizeof(want), "%s: no store here (run rso-case init)",
	    missing);
	is_str(e.msg, want, "open: the missing-home message");

	mkdir(empty, 0700);
	ok(rso_store_open(empty, &s, &e) == EX_NOINPUT && s == NULL,
	    "open: a folder without rso.db is EX_NOINPUT");
	snprintf(want, sizeof(want), "%s: no store here (run rso-case init)",
	    empty);
	is_str(e.msg, want, "open: the no-database message");
	db = rso_xasprintf("%s/rso.db", empty);
	ok(access(db, F_OK) != 0, "open did not create rso.db");
	free(db);

	fd = open(file, O_WRONLY | O_CREAT, 0600);
	close(fd);
	ok(rso_store_open(file, &s, &e) == EX_CANTCREAT,
	    "open: a file is not a store");

	is_int(rso_store_init(home, &e), 0, "init a store");
	is_int(rso_store_init(home, &e), 0, "init again keeps what is there");
	chmod(home, 0770);
	ok(rso_store_open(home, &s, &e) == EX_NOPERM && s == NULL,
	    "open: a group-writable home is EX_NOPERM");
	snprintf(want, sizeof(want), "%s: writable by group or others; "
	    "chmod 700 it", home);
	is_str(e.msg, want, "open: the permission message");
	ok(rso_store_init(home, &e) == EX_NOPERM,
	    "init: a group-writable home is EX_NOPERM");
	chmod(home, 0702);
	ok(rso_store_open(home, &s, &e) == EX_NOPERM,
	    "open: a world-writable home is EX_NOPERM");
	chmod(home, 0750);
	ok(rso_store_open(home, &s, &e) == 0 && s != NULL,
	    "open: group-readable is allowed");
	rso_store_close(s);
	chmod(home, 0700);
	free(home);
	free(missing);
	free(empty);
	free(file);
}

static void
test_store_config(void)
{
	char *home = tmp_path("conf"), *path, *got;
	struct rso_store *s;
	struct rso_error e;
	struct stat sb;
	FILE *fp;

	ok(rso_store_init(home, &e) == 0, "init the config store");
	ok(stat(home, &sb) == 0 && (sb.st_mode & 0777) == 0700,
	    "init makes the home 0700");
	path = rso_xasprintf("%s/config.json", home);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "init copies config.json, mode 0600");
	fp = fopen(path, "w");
	fputs("{\"id_prefix\":\"UNIT\",\"followup\":{\"max_attempts\":9}}\n",
	    fp);
	fclose(fp);
	ok(rso_store_init(home, &e) == 0, "init again");
	got = NULL;
	fp = fopen(path, "r");
	got = calloc(1, 256);
	if (fread(got, 1, 255, fp) == 0)
		got[0] = '\0';
	fclose(fp);
	is_str(got, "{\"id_prefix\":\"UNIT\",\"followup\":{\"max_attempts\":9}}\n",
	    "init again does not overwrite config.json");
	free(got);
	ok(rso_store_open(home, &s, &e) == 0, "open the config store");
	is_str(rso_store_dir(s), home, "store_dir");
	is_str(rso_store_conf_str(s, "id_prefix", "X"), "UNIT",
	    "the store's config wins");
	is_str(rso_store_conf_str(s, "currency", "X"), "USD",
	    "share/'s default fills in");
	is_int(rso_store_conf_int(s, "followup.max_attempts", 0), 9,
	    "nested objects merge: the store's member");
	is_str(rso_store_conf_str(s, "followup.interval", "X"), "3d",
	    "nested objects merge: the default member");
	is_int(rso_store_conf_int(s, "no.such", 42), 42, "conf_int default");
	is_int(rso_store_conf_int(s, "currency", 42), 42,
	    "conf_int: a string gives the default");
	is_str(rso_store_conf_str(s, "sla_days", "d"), "d",
	    "conf_str: a number gives the default");
	ok(rso_store_conf_has(s, "cancel_reasons", "patient-withdrew"),
	    "conf_has: a member of the array");
	ok(!rso_store_conf_has(s, "cancel_reasons", "bored"),
	    "conf_has: not a member");
	ok(!rso_store_conf_has(s, "currency", "USD"),
	    "conf_has: not an array");
	rso_store_close(s);

	fp = fopen(path, "w");
	fputs("{\"id_prefix\":\"UNIT\",\"id_prefix\":\"X\"}\n", fp);
	fclose(fp);
	ok(rso_store_open(home, &s, &e) == EX_CONFIG,
	    "a bad config.json is EX_CONFIG");
	fp = fopen(path, "w");
	fputs("[1]\n", fp);
	fclose(fp);
	ok(rso_store_open(home, &s, &e) == EX_CONFIG,
	    "a config.json that is not an object is EX_CONFIG");
	free(path);
	path = rso_xasprintf("%s/config.json: not a JSON object", home);
	is_str(e.msg, path, "and says so");
	free(path);
	free(home);
}

static void
test_store_home(void)
{
	char *h;

	setenv("RSO_HOME", "/r", 1);
	setenv("XDG_DATA_HOME", "/x", 1);
	setenv("HOME", "/h", 1);
	h = rso_store_home("/opt");
	is_str(h, "/opt", "store_home: -H wins");
	free(h);
	h = rso_store_home(NULL);
	is_str(h, "/r", "store_home: then $RSO_HOME");
	free(h);
	h = rso_store_home("");
	is_str(h, "/r", "store_home: an empty -H is ignored");
	free(h);
	unsetenv("RSO_HOME");
	h = rso_store_home(NULL);
	is_str(h, "/x/rso", "store_home: then $XDG_DATA_HOME/rso");
	free(h);
	setenv("XDG_DATA_HOME", "", 1);
	h = rso_store_home(NULL);
	is_str(h, "/h/.local/share/rso", "store_home: then ~/.local/share/rso");
	free(h);
	unsetenv("XDG_DATA_HOME");
	h = rso_share_path("fees.json");
	ok(strlen(h) > 10 && strcmp(h + strlen(h) - 15, "share/fees.json") == 0,
	    "share_path joins under $RSO_SHARE");
	free(h);
}

static void
test_migrations(void)
{
	char *home = tmp_path("mig"), *db;
	struct rso_store *s;
	struct rso_error e;
	sqlite3 *raw;

	/* A bare database in a private folder. */
	mkdir(home, 0700);
	db = rso_xasprintf("%s/rso.db", home);
	sqlite3_open(db, &raw);
	sqlite3_close(raw);
	ok(rso_schema_count >= 1, "there is at least one migration");
	ok(rso_store_open(home, &s, &e) == 0, "open applies the migrations");
	is_int(query_int(s, "SELECT count(*) FROM schema_migrations"),
	    rso_schema_count, "each migration is recorded once");
	is_int(query_int(s, "SELECT min(id) FROM schema_migrations"),
	    rso_schema_migrations[0].id, "by its number");
	is_int(query_int(s, "SELECT count(*) FROM sqlite_master WHERE"
	    " type = 'table' AND name = 'events'"), 1, "the events table exists");
	exec(s, "INSERT INTO case_counters VALUES ('KEEP', 2026, 7)");
	rso_store_close(s);
	ok(rso_store_open(home, &s, &e) == 0,
	    "open again: nothing is applied twice");
	is_int(query_int(s, "SELECT last FROM case_counters WHERE"
	    " prefix = 'KEEP'"), 7, "and the data is kept");
	is_int(query_int(s, "SELECT count(*) FROM schema_migrations"),
	    rso_schema_count, "the migrations recorded are unchanged");
	exec(s, "INSERT INTO schema_migrations VALUES (99999, 'from the future',"
	    " '2030-01-01T00:00:00Z')");
	rso_store_close(s);
	ok(rso_store_open(home, &s, &e) == EX_CONFIG,
	    "a migration the program does not know is EX_CONFIG");
	is_str(e.msg, "db: written by a newer rso (unknown schema migrations)",
	    "and says so");
	free(db);
	free(home);
}

static void
test_transactions(void)
{
	char *home = tmp_path("busy");
	struct rso_store *s1, *s2;
	struct rso_error e;

	rso_store_init(home, &e);
	rso_store_open(home, &s1, &e);
	rso_store_open(home, &s2, &e);
	sqlite3_busy_timeout(rso_store_db(s2), 50);
	is_int(rso_store_begin(s1, &e), 0, "begin takes the write lock");
	ok(rso_store_begin(s1, &e) != 0, "begin does not nest");
	is_int(rso_store_begin(s2, &e), EX_TEMPFAIL,
	    "a second writer past the timeout gets EX_TEMPFAIL");
	is_str(e.msg, "db: store busy, try again", "with the busy message");
	rso_store_rollback(s1);
	rso_store_rollback(s1);
	ok(1, "rollback twice is safe");
	is_int(rso_store_begin(s2, &e), 0, "the lock is free after rollback");
	is_int(rso_store_commit(s2, &e), 0, "commit");
	rso_store_close(s1);
	rso_store_close(s2);
	free(home);
}

/* ---------------------------------------------------------------- */

struct collect {
	json_t *all;
};

static int
collect_fn(json_t *ev, void *ctx)
{
	json_array_append(((struct collect *)ctx)->all, ev);
	return 0;
}

static int
stop_fn(json_t *ev, void *ctx)
{
	(void)ev;
	return ++*(int *)ctx == 2 ? 42 : 0;
}

static void
sha256(const char *prev, const char *canon, char *hex)
{
	unsigned char md[32];
	size_t n = strlen(prev) + strlen(canon);
	char *buf = malloc(n + 1);
	int i;

	strcpy(buf, prev);
	strcat(buf, canon);
	gcry_md_hash_buffer(GCRY_MD_SHA256, md, buf, n);
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	free(buf);
}

static void
test_events(void)
{
	struct rso_store *s = new_store("events");
	struct collect c = { json_array() };
	struct rso_verify v;
	struct rso_error e;
	char h1[65], h2[65], h3[65], h18[65], *canon;
	json_t *ev, *got;
	int n = 0, already;
	size_t i;

	populate(s);
	memset(&e, 0, sizeof(e));
	is_int(rso_event_verify(s, NULL, &v, &e), 0, "verify: an intact store is 0");
	is_int(v.events, 18, "verify: counts every event");
	is_int(v.cases, 3, "verify: rederives every case");
	is_int(v.bad_seq, 0, "verify: no bad event");

	is_int(rso_event_foreach(s, NULL, collect_fn, &c, &e), 0, "foreach all");
	is_int(json_array_size(c.all), 18, "foreach: every event");
	json_array_foreach(c.all, i, ev) {
		if (json_integer_value(json_object_get(ev, "seq")) != (json_int_t)i + 1)
			break;
		if (i > 0 && strcmp(rso_json_str(ev, "prev"), rso_json_str(
		    json_array_get(c.all, i - 1), "hash")) != 0)
			break;
	}
	is_int(i, 18, "foreach: in order, each prev the hash before it");
	ev = json_array_get(c.all, 0);
	is_str(rso_json_str(ev, "prev"), ZEROS, "the first prev is 64 zeros");
	is_str(v.head.hash, rso_json_str(json_array_get(c.all, 17), "hash"),
	    "verify: head is the last hash");
	is_int(v.head.seq, 18, "verify: head is the last seq");
	{
		struct rso_head w = v.head;

		is_int(rso_event_verify(s, &w, &v, &e), 0,
		    "witness: the head witnessed is there");
		w.seq = 19;
		is_int(rso_event_verify(s, &w, &v, &e), EX_DATAERR,
		    "witness: a head past the chain's end fails");
		is_str(e.msg, "head 19: gone (the chain ends at event 18)",
		    "witness: ... and says where the chain ends");
		w.seq = 17;
		is_int(rso_event_verify(s, &w, &v, &e), EX_DATAERR,
		    "witness: another hash at that seq fails");
		is_str(e.msg, "head 17: hash does not match the witness",
		    "witness: ... naming the seq");
		ok(rso_head_parse("0:" ZEROS, &w) == 0 && w.seq == 0 &&
		    rso_event_verify(s, &w, &v, &e) == 0,
		    "witness: the empty chain's head is in every chain");
		ok(rso_head_parse("18", &w) != 0 &&
		    rso_head_parse("x:" ZEROS, &w) != 0 &&
		    rso_head_parse("1:" ZEROS "0", &w) != 0 &&
		    rso_head_parse("-1:" ZEROS, &w) != 0,
		    "witness: malformed heads are refused");
	}
	is_str(rso_json_str(ev, "actor"), ACTOR, "actor is $RSO_ACTOR");
	is_str(rso_json_str(ev, "at"), NOW, "at is $RSO_NOW");
	is_str(rso_json_str(ev, "type"), "case.created", "type");
	is_str(rso_json_str(ev, "case"), "RSO-2026-000001", "case");
	is_str(rso_json_str(ev, "data.patient.country"), "US",
	    "case.created carries the request");
	ev = json_array_get(c.all, 17);
	ok(json_is_null(json_object_get(ev, "case")),
	    "an event about no case has case null");
	ok(json_is_object(json_object_get(ev, "data")) &&
	    json_object_size(json_object_get(ev, "data")) == 0,
	    "an empty object is data {}");
	json_decref(c.all);
	/* What json_pack gives for text that is not UTF-8: refused, not {}. */
	if (rso_store_begin(s, &e) == 0) {
		is_int(rso_event_append(s, "RSO-2026-000001", "case.held",
		    json_pack("{s:s}", "reason", "caf\xe9"), NULL, &e),
		    EX_SOFTWARE, "NULL data is refused");
		is_str(e.msg, "RSO-2026-000001: case.held: no data to record "
		    "(text that is not UTF-8?)",
		    "... naming the case and type");
		rso_store_rollback(s);
	}

	c.all = json_array();
	rso_event_foreach(s, "RSO-2026-000002", collect_fn, &c, &e);
	is_int(json_array_size(c.all), 4, "foreach one case");
	is_int(json_integer_value(json_object_get(json_array_get(c.all, 3),
	    "seq")), 14, "foreach one case: its own seqs");
	json_decref(c.all);
	is_int(rso_event_foreach(s, NULL, stop_fn, &n, &e), 42,
	    "foreach: fn's non-zero stops the walk and is returned");
	is_int(n, 2, "foreach: after the second event");

	/* The chain recomputed by hand, as rso_event.h documents it. */
	canon = rso_xasprintf("{\"actor\":\"" ACTOR "\",\"at\":\"" NOW "\","
	    "\"case\":\"RSO-2026-000001\",\"data\":%s,\"seq\":1,"
	    "\"type\":\"case.created\"}", request_canon);
	sha256(ZEROS, canon, h1);
	free(canon);
	sha256(h1, "{\"actor\":\"" ACTOR "\",\"at\":\"" NOW "\","
	    "\"case\":\"RSO-2026-000001\",\"data\":{\"expires\":"
	    "\"2027-10-15T00:00:00Z\",\"providers\":[\"Clinic A\"],"
	    "\"signed\":null,\"signed_by\":\"patient\"},\"seq\":2,"
	    "\"type\":\"consent.recorded\"}", h2);
	sha256(h2, "{\"actor\":\"" ACTOR "\",\"at\":\"" NOW "\","
	    "\"case\":\"RSO-2026-000001\",\"data\":{\"n\":1,"
	    "\"source\":\"Cl\\u00EDnica S\\u00E3o Paulo\"},\"seq\":3,"
	    "\"type\":\"records.received\"}", h3);
	got = NULL;
	c.all = json_array();
	rso_event_foreach(s, NULL, collect_fn, &c, &e);
	is_str(rso_json_str(json_array_get(c.all, 0), "hash"), h1,
	    "event 1's hash, recomputed with libgcrypt, matches");
	is_str(rso_json_str(json_array_get(c.all, 1), "hash"), h2,
	    "event 2's hash (consent data, a null member) matches");
	is_str(rso_json_str(json_array_get(c.all, 2), "hash"), h3,
	    "event 3's hash (non-ASCII data, escaped) matches");
	sha256(rso_json_str(json_array_get(c.all, 16), "hash"),
	    "{\"actor\":\"" ACTOR "\",\"at\":\"" NOW "\",\"case\":null,"
	    "\"data\":{},\"seq\":18,\"type\":\"store.checked\"}", h18);
	is_str(rso_json_str(json_array_get(c.all, 17), "hash"), h18,
	    "event 18's hash (no case, no data) matches");
	json_decref(c.all);

	/* Cases as the events left them. */
	ok(rso_case_get(s, "RSO-2026-000001", &got, &e) == 0, "case_get");
	is_str(rso_json_str(got, "status"), "closed", "case 1 is closed");
	is_str(rso_json_str(got, "ref"), "unit-0001", "case 1's ref");
	is_str(rso_json_str(got, "request.specialty"), "oncology",
	    "case 1's request");
	is_str(rso_json_str(got, "consent.expires"), "2027-10-15T00:00:00Z",
	    "case 1's consent");
	json_decref(got);
	rso_case_get(s, "RSO-2026-000002", &got, &e);
	is_str(rso_json_str(got, "status"), "collecting",
	    "hold then resume: back to collecting");
	json_decref(got);
	rso_case_get(s, "RSO-2026-000003", &got, &e);
	is_str(rso_json_str(got, "status"), "cancelled",
	    "cancel from on-hold");
	ok(json_object_get(got, "consent") == NULL, "case 3 has no consent");
	json_decref(got);
	ok(rso_case_get(s, "RSO-2026-999999", &got, &e) == EX_DATAERR,
	    "case_get of an unknown case");
	is_str(e.msg, "RSO-2026-999999: no such case", "no such case message");

	/* Refusals and re-runs through rso_case_move. */
	n = (int)query_int(s, "SELECT count(*) FROM events");
	ok(rso_case_move(s, "RSO-2026-000002", "case.closed", NULL, &already,
	    &e) == EX_DATAERR && !already, "move: close a collecting case");
	is_str(e.msg, "RSO-2026-000002: cannot close a case that is collecting",
	    "move: the refusal names the case and both states");
	ok(rso_case_move(s, "RSO-2026-000001", "case.closed", NULL, &already,
	    &e) == 0 && already, "move: closing a closed case again is "
	    "already done");
	ok(rso_case_move(s, "RSO-2026-000003", "case.cancelled", NULL,
	    &already, &e) == 0 && already, "move: cancelling again is already "
	    "done");
	ok(rso_case_move(s, "RSO-2026-000003", "case.held", NULL, &already,
	    &e) == EX_DATAERR && !already, "move: a cancelled case cannot be "
	    "held");
	is_str(e.msg, "RSO-2026-000003: cannot hold a case that is cancelled",
	    "move: hold refusal");
	ok(rso_case_move(s, "RSO-2026-999999", "case.held", NULL, &already,
	    &e) == EX_DATAERR, "move: an unknown case");
	is_str(e.msg, "RSO-2026-999999: no such case", "move: unknown message");
	is_int(query_int(s, "SELECT count(*) FROM events"), n,
	    "refusals and re-runs record nothing");
	ok(strstr(e.msg, "ZZPHI") == NULL, "no patient data in messages");

	/* Hold remembers its state in the cases row too. */
	move(s, "RSO-2026-000002", "case.held", NULL);
	rso_case_get(s, "RSO-2026-000002", &got, &e);
	is_str(rso_json_str(got, "held_from"), "collecting",
	    "case_get shows held_from while on hold");
	json_decref(got);
	move(s, "RSO-2026-000002", "case.cancelled", NULL);
	rso_case_get(s, "RSO-2026-000002", &got, &e);
	is_str(rso_json_str(got, "status"), "cancelled",
	    "cancel straight from on-hold");
	json_decref(got);
	is_int(rso_event_verify(s, NULL, &v, &e), 0, "verify still intact");
	is_int(v.events, 20, "verify: 20 events now");
	rso_store_close(s);
}

static void
test_tamper(void)
{
	struct rso_store *s;
	struct rso_verify v;
	struct rso_error e;
	char *data, sql[512], head[65];

	s = new_store("t-update");
	populate(s);
	ok(exec(s, "UPDATE events SET data = '{}' WHERE seq = 5") != SQLITE_OK,
	    "the trigger refuses an UPDATE of events");
	ok(strstr(sqlite3_errmsg(rso_store_db(s)), "append-only") != NULL,
	    "saying events are append-only");
	ok(exec(s, "DELETE FROM events WHERE seq = 5") != SQLITE_OK,
	    "the trigger refuses a DELETE of events");
	is_int(exec(s, "DROP TRIGGER events_no_update;"
	    "UPDATE events SET data = '{\"specialist\":\"sp-9\"}'"
	    " WHERE seq = 5"), SQLITE_OK, "tamper: drop the trigger, update");
	is_int(rso_event_verify(s, NULL, &v, &e), EX_DATAERR,
	    "verify: changed data is EX_DATAERR");
	is_int(v.bad_seq, 5, "verify: bad_seq is the changed event");
	is_str(e.msg, "event 5: hash does not match its content",
	    "verify: the message");
	is_int(v.events, 4, "verify: the events before it were good");
	rso_store_close(s);

	s = new_store("t-actor");
	populate(s);
	exec(s, "DROP TRIGGER events_no_update;"
	    "UPDATE events SET actor = 'someone-else' WHERE seq = 12");
	ok(rso_event_verify(s, NULL, &v, &e) == EX_DATAERR && v.bad_seq == 12,
	    "verify: a changed actor is caught at its event");
	rso_store_close(s);

	s = new_store("t-at");
	populate(s);
	exec(s, "DROP TRIGGER events_no_update;"
	    "UPDATE events SET at = '2026-10-14T13:45:00Z' WHERE seq = 17");
	ok(rso_event_verify(s, NULL, &v, &e) == EX_DATAERR && v.bad_seq == 17,
	    "verify: a changed time is caught at its event");
	rso_store_close(s);

	/* Rehash the changed event: the next one's prev gives it away. */
	s = new_store("t-rehash");
	populate(s);
	exec(s, "DROP TRIGGER events_no_update");
	data = query_text(s, "SELECT prev FROM events WHERE seq = 3");
	{
		char h[65];

		sha256(data, "{\"actor\":\"" ACTOR "\",\"at\":\"" NOW "\","
		    "\"case\":\"RSO-2026-000001\",\"data\":{\"n\":2},\"seq\":3,"
		    "\"type\":\"records.received\"}", h);
		snprintf(sql, sizeof(sql), "UPDATE events SET data = '{\"n\":2}',"
		    " hash = '%s' WHERE seq = 3", h);
	}
	free(data);
	is_int(exec(s, sql), SQLITE_OK, "tamper: change event 3 and its hash");
	is_int(rso_event_verify(s, NULL, &v, &e), EX_DATAERR,
	    "verify: a rehashed event breaks the chain");
	is_int(v.bad_seq, 4, "verify: at the event after it");
	is_str(e.msg, "event 4: prev does not match event 3", "verify: message");
	rso_store_close(s);

	s = new_store("t-delete");
	populate(s);
	is_int(exec(s, "DROP TRIGGER events_no_delete;"
	    "PRAGMA foreign_keys = OFF;"
	    "DELETE FROM events WHERE seq = 9"), SQLITE_OK,
	    "tamper: delete a middle event");
	is_int(rso_event_verify(s, NULL, &v, &e), EX_DATAERR,
	    "verify: a deleted event is EX_DATAERR");
	is_int(v.bad_seq, 9, "verify: bad_seq is the missing event");
	is_str(e.msg, "event 9: missing (next is 10)", "verify: message");
	rso_store_close(s);

	s = new_store("t-first");
	populate(s);
	exec(s, "DROP TRIGGER events_no_delete; PRAGMA foreign_keys = OFF;"
	    "DELETE FROM events WHERE seq = 1");
	ok(rso_event_verify(s, NULL, &v, &e) == EX_DATAERR && v.bad_seq == 1,
	    "verify: a deleted first event is caught");
	rso_store_close(s);

	/* The last event has nothing after it: only the head moves. */
	s = new_store("t-last");
	populate(s);
	rso_event_verify(s, NULL, &v, &e);
	snprintf(head, sizeof(head), "%s", v.head.hash);
	exec(s, "DROP TRIGGER events_no_delete; PRAGMA foreign_keys = OFF;"
	    "DELETE FROM events WHERE seq = 18");
	is_int(rso_event_verify(s, NULL, &v, &e), 0,
	    "verify: a deleted last event leaves a valid chain");
	ok(strcmp(v.head.hash, head) != 0,
	    "but the head changes, so a recorded head catches it");
	rso_store_close(s);

	s = new_store("t-status");
	populate(s);
	is_int(exec(s, "UPDATE cases SET status = 'closed'"
	    " WHERE id = 'RSO-2026-000002'"), SQLITE_OK,
	    "tamper: change a case's cached status");
	is_int(rso_event_verify(s, NULL, &v, &e), EX_DATAERR,
	    "verify: a changed status is EX_DATAERR");
	is_str(e.msg, "case RSO-2026-000002: status does not follow from its "
	    "events", "verify: message");
	is_int(v.events, 18, "verify: the chain itself was intact");
	rso_store_close(s);

	s = new_store("t-status-last");
	populate(s);
	exec(s, "UPDATE cases SET status = 'ready'"
	    " WHERE id = 'RSO-2026-000003'");
	ok(rso_event_verify(s, NULL, &v, &e) == EX_DATAERR &&
	    strstr(e.msg, "RSO-2026-000003") != NULL,
	    "verify: the last case in order is checked too");
	rso_store_close(s);

	/* A case row with no events behind it was planted, not made. */
	s = new_store("t-planted");
	populate(s);
	is_int(exec(s, "INSERT INTO cases (id, ref, status, status_at, created,"
	    " updated, specialty, intake, intake_hash) VALUES"
	    " ('RSO-2026-000777', 'planted', 'delivered', '" NOW "', '" NOW "',"
	    " '" NOW "', 'oncology', '{}', 'x')"), SQLITE_OK,
	    "tamper: plant a case with no events");
	is_int(rso_event_verify(s, NULL, &v, &e), EX_DATAERR,
	    "verify: a case without events is EX_DATAERR");
	is_str(e.msg, "case RSO-2026-000777: status does not follow from its "
	    "events", "verify: message");
	rso_store_close(s);

	/* A type changed and the whole chain rehashed: the states give it away. */
	s = new_store("t-type");
	populate(s);
	exec(s, "DROP TRIGGER events_no_update");
	{
		sqlite3_stmt *st = rso_store_prepare(s, "SELECT seq, at, case_id,"
		    " type, actor, data FROM events ORDER BY seq");
		char prev[65] = ZEROS, h[65];
		char *c;
		json_t *a, *cs;
		char *as, *ccs;

		while (sqlite3_step(st) == SQLITE_ROW) {
			long long seq = sqlite3_column_int64(st, 0);
			const char *type = seq == 8 ? "opinion.delivered" :
			    (const char *)sqlite3_column_text(st, 3);
			const char *cid = (const char *)sqlite3_column_text(st, 2);

			a = json_string((const char *)sqlite3_column_text(st, 4));
			cs = cid ? json_string(cid) : json_null();
			as = rso_json_canonical(a);
			ccs = rso_json_canonical(cs);
			c = rso_xasprintf("{\"actor\":%s,\"at\":\"%s\",\"case\":%s,"
			    "\"data\":%s,\"seq\":%lld,\"type\":\"%s\"}", as,
			    sqlite3_column_text(st, 1), ccs,
			    sqlite3_column_text(st, 5), seq, type);
			sha256(prev, c, h);
			snprintf(sql, sizeof(sql), "UPDATE events SET type = '%s',"
			    " prev = '%s', hash = '%s' WHERE seq = %lld", type,
			    prev, h, seq);
			exec(s, sql);
			memcpy(prev, h, 65);
			free(c);
			free(as);
			free(ccs);
			json_decref(a);
			json_decref(cs);
		}
		sqlite3_finalize(st);
	}
	is_int(rso_event_verify(s, NULL, &v, &e), EX_DATAERR,
	    "verify: an impossible transition in a rehashed chain is caught");
	is_int(v.bad_seq, 8, "verify: at the impossible event");
	is_str(e.msg, "event 8: opinion.delivered not allowed in case "
	    "RSO-2026-000001's state", "verify: message");
	rso_store_close(s);
}

/* ---------------------------------------------------------------- */

static void
test_consent(void)
{
	struct rso_store *s = new_store("consent");
	struct rso_error e;
	char id[RSO_CASE_IDLEN];
	static const struct {
		const char *now, *provider;
		int want;
		const char *msg;
	} t[] = {
		{ NOW, "Clinic A", 0, NULL },
		{ NOW, "  clinic a ", 0, NULL },	/* case and space */
		{ NOW, "Clinic B", EX_NOPERM,
		    "RSO-2026-000001: consent does not cover this provider" },
		{ NOW, "Clinic", EX_NOPERM,
		    "RSO-2026-000001: consent does not cover this provider" },
		{ "2027-10-14T23:59:59Z", "Clinic A", 0, NULL },
		{ "2027-10-15T00:00:00Z", "Clinic A", EX_NOPERM,
		    "RSO-2026-000001: consent expired" },
		{ "2028-01-01T00:00:00Z", "Clinic B", EX_NOPERM,
		    "RSO-2026-000001: consent expired" },
	};
	size_t i;
	int rc;

	create_case(s, 1, id);
	is_str(id, "RSO-2026-000001", "the first id of the year");
	ok(rso_consent_covers(s, id, "Clinic A", &e) == EX_NOPERM,
	    "no consent yet is EX_NOPERM");
	is_str(e.msg, "RSO-2026-000001: no consent", "no consent message");
	consent(s, id, "[\"Clinic A\"]", "2027-10-15T00:00:00Z");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setenv("RSO_NOW", t[i].now, 1);
		memset(&e, 0, sizeof(e));
		rc = rso_consent_covers(s, id, t[i].provider, &e);
		is_int(rc, t[i].want, "consent at %s for \"%s\"", t[i].now,
		    t[i].provider);
		if (t[i].msg)
			is_str(e.msg, t[i].msg, "consent message at %s for \"%s\"",
			    t[i].now, t[i].provider);
	}
	setenv("RSO_NOW", NOW, 1);

	create_case(s, 2, id);
	is_str(id, "RSO-2026-000002", "ids count up");
	consent(s, id, "[\"*\"]", "2027-10-15T00:00:00Z");
	is_int(rso_consent_covers(s, id, "Anyone At All", &e), 0,
	    "\"*\" covers any provider");
	consent(s, id, "[\"Clinic C\"]", "2030-01-01T00:00:00Z");
	is_int(rso_consent_covers(s, id, "Anyone At All", &e), 0,
	    "an older consent still counts while it lasts");
	setenv("RSO_NOW", "2028-01-01T00:00:00Z", 1);
	is_int(rso_consent_covers(s, id, "Clinic C", &e), 0,
	    "the newer consent covers its provider");
	ok(rso_consent_covers(s, id, "Anyone At All", &e) == EX_NOPERM,
	    "once the wildcard consent expired");
	is_str(e.msg, "RSO-2026-000002: consent expired",
	    "expired beats not covered when an expired one might have");
	setenv("RSO_NOW", NOW, 1);

	/* An expiry with an offset is the instant it names, not its text. */
	create_case(s, 3, id);
	consent(s, id, "[\"Clinic A\"]", "2027-10-15T05:30:00+05:30");
	setenv("RSO_NOW", "2027-10-14T23:59:59Z", 1);
	is_int(rso_consent_covers(s, id, "Clinic A", &e), 0,
	    "an offset expiry covers up to its instant");
	setenv("RSO_NOW", "2027-10-15T01:00:00Z", 1);
	is_int(rso_consent_covers(s, id, "Clinic A", &e), EX_NOPERM,
	    "an offset expiry has expired after its instant");
	consent(s, id, "[\"Clinic A\"]", "2027-10-15T00:00:00.5Z");
	setenv("RSO_NOW", "2027-10-14T23:59:59Z", 1);
	is_int(rso_consent_covers(s, id, "Clinic A", &e), 0,
	    "a fractional expiry covers before it");
	consent(s, id, "[\"Clinic B\"]", "not a time");
	is_int(rso_consent_covers(s, id, "Clinic B", &e), EX_NOPERM,
	    "an unreadable expiry covers nothing");
	setenv("RSO_NOW", NOW, 1);
	snprintf(id, sizeof(id), "RSO-2026-000002");
	{
		struct rso_state st;

		rso_case_state(s, id, &st, &e);
		is_str(rso_status_name(st.status), "collecting",
		    "a renewed consent leaves a collecting case collecting");
	}
	rso_store_close(s);
}

/* ---------------------------------------------------------------- */

struct inputs {
	char log[512];
};

static int
input_fn(const char *id, json_t *line, const char *where, void *ctx)
{
	struct inputs *in = ctx;
	size_t l = strlen(in->log);

	snprintf(in->log + l, sizeof(in->log) - l, "%s@%s%s ", id, where,
	    line ? "+line" : "");
	return strcmp(id, "RSO-2026-000009") == 0 ? EX_CANTCREAT : 0;
}

static void
test_case_misc(void)
{
	struct rso_store *s = new_store("misc");
	char id[RSO_CASE_IDLEN], hash[65], status[32], *err, *path, *canon;
	struct inputs in = { "" };
	char *args[] = { "RSO-2026-000001", "bogus", "RSO-2026-000009",
	    "RSO-2026-000002" };
	struct rso_error e;
	json_t *req;
	int fd, saved, rc;

	create_case(s, 1, id);
	is_int(rso_case_by_ref(s, "unit-0001", id, hash, status, &e), 0,
	    "by_ref: a known ref");
	is_str(id, "RSO-2026-000001", "by_ref: its case");
	is_str(status, "awaiting-consent", "by_ref: its status");
	is_int(strlen(hash), 64, "by_ref: the stored request hash");
	is_int(rso_case_by_ref(s, "unit-9999", id, hash, status, &e), 1,
	    "by_ref: an unknown ref is 1");

	req = json_loads("{\"ref\":\"unit-0001\",\"specialty\":\"neurology\","
	    "\"patient\":{\"name\":\"Test Patient ZZPHI\",\"country\":\"US\"},"
	    "\"questions\":[\"Is the plan right?\"],\"urgency\":\"urgent\"}",
	    0, NULL);
	canon = rso_json_canonical(req);
	rso_store_begin(s, &e);
	is_int(rso_case_amend(s, "RSO-2026-000001", req, canon, "x", &e), 0,
	    "amend");
	rso_store_commit(s, &e);
	free(canon);
	json_decref(req);
	err = query_text(s, "SELECT json_extract(data, '$.changed')"
	    " FROM events WHERE type = 'case.amended'");
	is_str(err, "[\"patient.region\",\"specialty\",\"urgency\"]",
	    "amend records the dotted paths that changed");
	free(err);
	req = json_object();
	ok(rso_case_amend(s, "RSO-2026-000404", req, "{}", "x", &e) ==
	    EX_DATAERR,
	    "amend: an unknown case");
	json_decref(req);

	/* Operands: each valid id, each bad one reported. */
	capture_start();
	rc = rso_case_each_input(4, args, input_fn, &in);
	err = capture_end();
	is_int(rc, EX_DATAERR, "each_input: a bad operand gives EX_DATAERR, "
	    "the first status");
	is_str(in.log, "RSO-2026-000001@argument 1 RSO-2026-000009@argument 3 "
	    "RSO-2026-000002@argument 4 ", "each_input: the good ones go on");
	is_str(err, "test_event: argument 2: not a case id\n",
	    "each_input: the bad operand is named by position");
	free(err);

	/* No operands: JSON lines on stdin. */
	path = tmp_path("input.jsonl");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dprintf(fd, "{\"case\":\"RSO-2026-000001\",\"reason\":\"r\"}\n"
	    "{\"ref\":\"ZZPHI\"}\n{\"case\":\"ZZPHI\"}\n{\"case\":7}\n"
	    "\n{\"case\":\"RSO-2026-000002\"}\n");
	close(fd);
	saved = dup(0);
	fd = open(path, O_RDONLY);
	dup2(fd, 0);
	close(fd);
	in.log[0] = '\0';
	capture_start();
	rc = rso_case_each_input(0, NULL, input_fn, &in);
	err = capture_end();
	dup2(saved, 0);
	close(saved);
	clearerr(stdin);
	is_int(rc, EX_DATAERR, "each_input stdin: EX_DATAERR");
	is_str(in.log, "RSO-2026-000001@stdin:1+line "
	    "RSO-2026-000002@stdin:6+line ", "each_input stdin: lines with a "
	    "case go through, with the line");
	is_str(err, "test_event: stdin:2: no \"case\" member\n"
	    "test_event: stdin:3: case: not a case id\n"
	    "test_event: stdin:4: no \"case\" member\n",
	    "each_input stdin: the diagnostics");
	ok(strstr(err, "ZZPHI") == NULL, "each_input: no input text leaks");
	free(err);
	unlink(path);
	free(path);
	rso_store_close(s);
}

struct listed {
	char log[512];
};

static int
list_fn(json_t *c, void *ctx)
{
	struct listed *l = ctx;
	size_t n = strlen(l->log);

	snprintf(l->log + n, sizeof(l->log) - n, "%s=%s ",
	    rso_json_str(c, "case"), rso_json_str(c, "status"));
	return 0;
}

static void
test_list(void)
{
	struct rso_store *s = new_store("list");
	struct rso_case_filter f = { 0 };
	struct listed l = { "" };
	struct rso_error e;

	populate(s);
	is_int(rso_case_list(s, &f, list_fn, &l, &e), 0, "list everything");
	is_str(l.log, "RSO-2026-000001=closed RSO-2026-000002=collecting "
	    "RSO-2026-000003=cancelled ", "list: every case, oldest first");
	l.log[0] = '\0';
	f.status_mask = 1u << RSO_ST_CLOSED | 1u << RSO_ST_CANCELLED;
	rso_case_list(s, &f, list_fn, &l, &e);
	is_str(l.log, "RSO-2026-000001=closed RSO-2026-000003=cancelled ",
	    "list: by status");
	l.log[0] = '\0';
	f.status_mask = 0;
	f.since = "2026-10-16T00:00:00Z";
	rso_case_list(s, &f, list_fn, &l, &e);
	is_str(l.log, "", "list: since after every status change");
	l.log[0] = '\0';
	f.since = NULL;
	f.until = "2026-10-16T00:00:00Z";
	rso_case_list(s, &f, list_fn, &l, &e);
	is_str(l.log, "RSO-2026-000001=closed RSO-2026-000002=collecting "
	    "RSO-2026-000003=cancelled ", "list: until after them");
	rso_store_close(s);
}

int
main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char *cmd;

	(void)argc;
	rso_setprogname(argv[0]);
	set_share();
	setenv("RSO_NOW", NOW, 1);
	setenv("RSO_ACTOR", ACTOR, 1);
	unsetenv("RSO_HOME");
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_event.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		bail("mkdtemp", NULL);
	rso_gcrypt_init();

	test_state_machine();
	test_case_ids();
	test_store_open();
	test_store_config();
	test_store_home();
	test_migrations();
	test_transactions();
	test_events();
	test_tamper();
	test_consent();
	test_case_misc();
	test_list();

	cmd = rso_xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
	return tap_done();
}
