/* rso_event: the append-only, hash-chained history of every change. */
/* SPDX-License-Identifier: ISC */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_derived.h"
#include "rso_event.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_state.h"
#include "rso_store_priv.h"
#include "rso_time.h"

static const char zero_hash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

const char *
rso_actor(void)
{
	static char name[128];
	const char *env = getenv("RSO_ACTOR");
	struct passwd *pw;

	if (env != NULL && *env != '\0')
		return env;
	if (name[0] == '\0') {
		pw = getpwuid(geteuid());
		snprintf(name, sizeof(name), "%s",
		    pw ? pw->pw_name : "unknown");
	}
	return name;
}

/*
 * A string (or null) in canonical form.  Printable ASCII other than '"'
 * and '\\' is what rso_json_canonical writes verbatim, so such a string
 * (an actor, a type, a case id: nearly every one) is quoted as it is,
 * which spares the chain walk a JSON value per member of every event.
 */
static char *
canonical_string(const char *s)
{
	const char *p;
	json_t *v;
	char *out;

	for (p = s; p != NULL && *p >= 0x20 && *p <= 0x7e && *p != '"' &&
	    *p != '\\'; p++)
		;
	if (p != NULL && *p == '\0')
		return rso_xasprintf("\"%s\"", s);
	v = s != NULL ? json_string(s) : json_null();
	out = rso_json_canonical(v);
	json_decref(v);
	return out;
}

/*
 * The canonical event, built from stored text so that verify hashes the
 * very bytes append hashed: data is already canonical when stored.
 */
static char *
canonical_event(const char *actor, const char *at, const char *case_id,
    const char *data, long long seq, const char *type)
{
	char *as = canonical_string(actor), *cs = canonical_string(case_id);
	char *ts = canonical_string(type), *out;

	out = rso_xasprintf("{\"actor\":%s,\"at\":\"%s\",\"case\":%s,"
	    "\"data\":%s,\"seq\":%lld,\"type\":%s}", as, at, cs, data, seq, ts);
	free(as);
	free(cs);
	free(ts);
	return out;
}

static void
chain_hash(const char *prev, const char *canon, char *hex)
{
	rso_sha256_hex_pair(prev, strlen(prev), canon, strlen(canon), hex);
}

static int
last_event(struct rso_store *s, long long *seq, char *hash,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_cached(s,
	    "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1");
	int rc = sqlite3_step(st);

	*seq = 0;
	strcpy(hash, zero_hash);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		snprintf(hash, RSO_SHA256_HEXLEN, "%s",
		    (const char *)sqlite3_column_text(st, 1));
		rc = SQLITE_DONE;
	}
	rso_store_done(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_event_append_canonical(struct rso_store *s, const char *case_id,
    const char *type, const char *data, long long *seq, struct rso_error *e)
{
	char at[RSO_TIME_STRLEN], prev[RSO_SHA256_HEXLEN];
	char hash[RSO_SHA256_HEXLEN];
	char *canon;
	long long last;
	sqlite3_stmt *st;
	int rc;

	if ((rc = last_event(s, &last, prev, e)) != 0)
		return rc;
	rso_time_format(rso_now(), at);
	canon = canonical_event(rso_actor(), at, case_id, data, last + 1, type);
	chain_hash(prev, canon, hash);
	free(canon);
	st = rso_store_cached(s, "INSERT INTO events"
	    " (seq, at, case_id, type, actor, data, prev, hash)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_int64(st, 1, last + 1);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	if (case_id)
		sqlite3_bind_text(st, 3, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, rso_actor(), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, data, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rso_store_done(st);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	if (seq)
		*seq = last + 1;
	return 0;
}

int
rso_event_append(struct rso_store *s, const char *case_id, const char *type,
    const json_t *data, long long *seq, struct rso_error *e)
{
	char *dtext;
	int rc;

	/*
	 * NULL is what json_pack gives for a string that is not UTF-8:
	 * recording "{}" would keep the event and lose what it says.
	 */
	if (data == NULL)
		return rso_error_set(e, EX_SOFTWARE, "%s: %s: no data to "
		    "record (text that is not UTF-8?)", case_id != NULL ?
		    case_id : "event", type);
	dtext = rso_json_canonical(data);
	rc = rso_event_append_canonical(s, case_id, type, dtext, seq, e);
	free(dtext);
	return rc;
}

/* A column as text, "" for NULL. */
#define col(st, i) rso_store_col((st), (i))

static json_t *
event_json(sqlite3_stmt *st)
{
	json_t *data = json_loads(col(st, 5), 0, NULL);

	return json_pack("{s:I, s:s, s:s?, s:s, s:s, s:o, s:s, s:s}",
	    "seq", (json_int_t)sqlite3_column_int64(st, 0),
	    "at", col(st, 1),
	    "case", (const char *)sqlite3_column_text(st, 2),
	    "type", col(st, 3), "actor", col(st, 4),
	    "data", data ? data : json_object(),
	    "prev", col(st, 6), "hash", col(st, 7));
}

/* Call fn with each row of st, an event; fn's non-zero return stops. */
static int
each_row(struct rso_store *s, sqlite3_stmt *st, rso_event_fn *fn, void *ctx,
    struct rso_error *e)
{
	json_t *ev;
	int rc, frc = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ev = event_json(st);
		frc = fn(ev, ctx);
		json_decref(ev);
		if (frc != 0)
			break;
	}
	sqlite3_finalize(st);
	if (frc != 0)
		return frc;
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_event_foreach(struct rso_store *s, const char *case_id,
    rso_event_fn *fn, void *ctx, struct rso_error *e)
{
	sqlite3_stmt *st;

	st = rso_store_prepare(s, case_id ?
	    "SELECT seq, at, case_id, type, actor, data, prev, hash"
	    " FROM events WHERE case_id = ? ORDER BY seq" :
	    "SELECT seq, at, case_id, type, actor, data, prev, hash"
	    " FROM events ORDER BY seq");
	if (case_id)
		sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
	return each_row(s, st, fn, ctx, e);
}

int
rso_event_foreach_last(struct rso_store *s, const char *case_id,
    long long n, rso_event_fn *fn, void *ctx, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT * FROM (SELECT seq, at,"
	    " case_id, type, actor, data, prev, hash FROM events WHERE"
	    " case_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq");

	sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, n);
	return each_row(s, st, fn, ctx, e);
}

static int
verify_chain(struct rso_store *s, struct rso_verify *v, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s,
	    "SELECT seq, at, case_id, type, actor, data, prev, hash"
	    " FROM events ORDER BY seq");
	char prev[RSO_SHA256_HEXLEN], hash[RSO_SHA256_HEXLEN];
	long long seq, want = 1;
	char *canon;
	int rc, bad = 0;

	strcpy(prev, zero_hash);
	while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0);
		if (seq != want) {
			rso_error_set(e, EX_DATAERR,
			    "event %lld: missing (next is %lld)", want, seq);
			v->bad_seq = want;
			bad = 1;
			break;
		}
		if (strcmp(col(st, 6), prev) != 0) {
			rso_error_set(e, EX_DATAERR,
			    "event %lld: prev does not match event %lld",
			    seq, seq - 1);
			v->bad_seq = seq;
			bad = 1;
			break;
		}
		canon = canonical_event(col(st, 4), col(st, 1),
		    (const char *)sqlite3_column_text(st, 2), col(st, 5), seq,
		    col(st, 3));
		chain_hash(prev, canon, hash);
		free(canon);
		if (strcmp(hash, col(st, 7)) != 0) {
			rso_error_set(e, EX_DATAERR,
			    "event %lld: hash does not match its content", seq);
			v->bad_seq = seq;
			bad = 1;
			break;
		}
		strcpy(prev, hash);
		v->events++;
		want++;
	}
	sqlite3_finalize(st);
	strcpy(v->head.hash, prev);
	v->head.seq = want - 1;
	if (bad)
		return EX_DATAERR;
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

/* One case's state as its events fold it. */
/* One case as its events fold it. */
struct folded {
	struct rso_state st;
	char status_at[RSO_TIME_STRLEN];	/* when it entered its status */
	char created[RSO_TIME_STRLEN];		/* its case.created */
	char *request;		/* canonical, as created or last amended */
};

/*
 * The row of a case, and what verify recomputes of it.  The members of
 * the intake that columns copy come out of one parse, as a JSON array
 * beside the columns as one: equal texts are equal values, and only texts
 * that differ (an escape written two ways) are compared one by one.
 */
static const char case_row_sql[] =
    "SELECT status, held_from, status_at, intake, intake_hash, created,"
    " json_extract(intake, '$.ref', '$.received', '$.specialty',"
    "  '$.urgency', '$.patient.country', '$.patient.region',"
    "  '$.referral_source'),"
    " json_array(ref, received, specialty, urgency, country, region,"
    "  referral_source),"
    " ref, received, specialty, urgency, country, region, referral_source"
    " FROM cases WHERE id = ?";

/* The first column copied from the intake that differs from it, or NULL. */
static const char *
column_differs(sqlite3_stmt *st)
{
	static const char *const names[] = { "ref", "received", "specialty",
	    "urgency", "country", "region", "referral_source" };
	const char *have, *want;
	json_t *a;
	size_t i;

	if (strcmp(col(st, 6), col(st, 7)) == 0)
		return NULL;
	a = json_loads(col(st, 6), 0, NULL);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		want = json_string_value(json_array_get(a, i));
		have = (const char *)sqlite3_column_text(st, 8 + (int)i);
		if ((want == NULL) != (have == NULL) ||
		    (want != NULL && strcmp(want, have) != 0))
			break;
	}
	json_decref(a);
	return i < sizeof(names) / sizeof(names[0]) ? names[i] : NULL;
}

/* The first fact of the case row (st, stepped) its events do not give. */
static const char *
row_differs(sqlite3_stmt *st, const struct folded *f)
{
	char hex[RSO_SHA256_HEXLEN];

	if (strcmp(col(st, 0), rso_status_name(f->st.status)) != 0)
		return "status";
	if (strcmp(col(st, 1), f->st.status == RSO_ST_ON_HOLD ?
	    rso_status_name(f->st.held_from) : "") != 0)
		return "held_from";
	/* A writer reads the clock for the event and again for the row. */
	if (!rso_time_within(col(st, 2), f->status_at, 2))
		return "status_at";
	if (f->request == NULL || strcmp(col(st, 3), f->request) != 0)
		return "intake";
	rso_sha256_hex(col(st, 3), strlen(col(st, 3)), hex);
	if (strcmp(hex, col(st, 4)) != 0)
		return "intake_hash";
	if (!rso_time_within(col(st, 5), f->created, 2))
		return "created";
	return column_differs(st);
}

/* Compare one case's folded state with its row in cases (row: prepared). */
static int
check_case(sqlite3_stmt *row, const char *id, const struct folded *f,
    struct rso_verify *v, struct rso_error *e)
{
	const char *bad = "status";

	sqlite3_reset(row);
	sqlite3_bind_text(row, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(row) == SQLITE_ROW)
		bad = row_differs(row, f);
	v->cases++;
	if (bad)
		return rso_error_set(e, EX_DATAERR,
		    "case %s: %s does not follow from its events", id, bad);
	return 0;
}

/* What an event tells of its case beyond the state: its request. */
static void
fold_request(struct folded *f, const char *type, const char *at,
    const char *data)
{
	json_t *d;

	if (strcmp(type, "case.created") == 0) {
		snprintf(f->created, sizeof(f->created), "%s", at);
		free(f->request);
		f->request = rso_xstrdup(data);
	} else if (strcmp(type, "case.amended") == 0) {
		d = json_loads(data, 0, NULL);
		free(f->request);
		f->request = json_object_get(d, "request") ? rso_json_canonical(
		    json_object_get(d, "request")) : NULL;
		json_decref(d);
	}
}

static int
verify_states(struct rso_store *s, struct rso_verify *v, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s,
	    "SELECT case_id, type, seq, at, CASE WHEN type IN ('case.created',"
	    " 'case.amended') THEN data END FROM events WHERE case_id IS NOT"
	    " NULL ORDER BY case_id, seq");
	sqlite3_stmt *row = rso_store_prepare(s, case_row_sql);
	struct folded f = { { RSO_ST_NONE, RSO_ST_NONE }, "", "", NULL };
	enum rso_status before;
	char cur[64] = "";
	int rc, frc = 0;

	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (strcmp(cur, col(st, 0)) != 0) {
			if (cur[0] && (frc = check_case(row, cur, &f, v, e)))
				break;
			snprintf(cur, sizeof(cur), "%s", col(st, 0));
			f.st.status = f.st.held_from = RSO_ST_NONE;
			free(f.request);
			f.request = NULL;
		}
		before = f.st.status;
		if (rso_state_apply(&f.st, col(st, 1), NULL) != 0) {
			v->bad_seq = sqlite3_column_int64(st, 2);
			frc = rso_error_set(e, EX_DATAERR,
			    "event %lld: %s not allowed in case %s's state",
			    v->bad_seq, col(st, 1), cur);
		} else if (f.st.status != before)
			snprintf(f.status_at, sizeof(f.status_at), "%s",
			    col(st, 3));
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			fold_request(&f, col(st, 1), col(st, 3), col(st, 4));
	}
	sqlite3_finalize(st);
	if (frc == 0 && cur[0])
		frc = check_case(row, cur, &f, v, e);
	sqlite3_finalize(row);
	free(f.request);
	if (frc != 0)
		return frc;
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

/* A case row with no event behind it was planted, not created. */
static int
verify_orphans(struct rso_store *s, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT id FROM cases c"
	    " WHERE NOT EXISTS (SELECT 1 FROM events WHERE case_id = c.id)"
	    " ORDER BY id LIMIT 1");
	int rc = sqlite3_step(st), frc = 0;

	if (rc == SQLITE_ROW)
		frc = rso_error_set(e, EX_DATAERR,
		    "case %s: status does not follow from its events",
		    col(st, 0));
	sqlite3_finalize(st);
	if (frc != 0)
		return frc;
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_event_head(struct rso_store *s, struct rso_head *h, struct rso_error *e)
{
	return last_event(s, &h->seq, h->hash, e);
}

int
rso_head_parse(const char *s, struct rso_head *h)
{
	char *end;
	size_t i;

	if (*s < '0' || *s > '9')
		return -1;
	h->seq = strtoll(s, &end, 10);
	if (*end != ':' || strlen(end + 1) != 64 || h->seq < 0)
		return -1;
	for (i = 1; i <= 64; i++)
		if (!((end[i] >= '0' && end[i] <= '9') ||
		    (end[i] >= 'a' && end[i] <= 'f')))
			return -1;
	memcpy(h->hash, end + 1, 65);
	return 0;
}

/*
 * The witnessed head against an intact chain (v from verify_chain): since
 * each hash covers every event before it, the event being there with its
 * hash vouches for the whole chain up to it.
 */
static int
verify_witness(struct rso_store *s, const struct rso_head *w,
    const struct rso_verify *v, struct rso_error *e)
{
	sqlite3_stmt *st;
	int rc, same;

	if (w->seq > v->head.seq)
		return rso_error_set(e, EX_DATAERR, "head %lld: gone (the chain "
		    "ends at event %lld)", w->seq, v->head.seq);
	if (w->seq == 0)
		same = strcmp(w->hash, zero_hash) == 0;
	else {
		st = rso_store_prepare(s, "SELECT hash FROM events WHERE seq = ?");
		sqlite3_bind_int64(st, 1, w->seq);
		rc = sqlite3_step(st);
		same = rc == SQLITE_ROW && strcmp(col(st, 0), w->hash) == 0;
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return rso_store_sqlerr(s, rc, e);
	}
	if (!same)
		return rso_error_set(e, EX_DATAERR, "head %lld: hash does not "
		    "match the witness", w->seq);
	return 0;
}

int
rso_event_verify(struct rso_store *s, const struct rso_head *witness,
    struct rso_verify *v, struct rso_error *e)
{
	int rc;

	memset(v, 0, sizeof(*v));
	if ((rc = verify_chain(s, v, e)) != 0)
		return rc;
	if (witness != NULL && (rc = verify_witness(s, witness, v, e)) != 0)
		return rc;
	if ((rc = verify_states(s, v, e)) != 0)
		return rc;
	if ((rc = verify_orphans(s, e)) != 0)
		return rc;
	return rso_derived_verify(s, e);
}
