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
 * The canonical event, built from stored text so that verify hashes the
 * very bytes append hashed: data is already canonical when stored.
 */
static char *
canonical_event(const char *actor, const char *at, const char *case_id,
    const char *data, long long seq, const char *type)
{
	json_t *a = json_string(actor), *c = case_id ? json_string(case_id) :
	    json_null(), *t = json_string(type);
	char *as = rso_json_canonical(a), *cs = rso_json_canonical(c);
	char *ts = rso_json_canonical(t), *out;

	out = rso_xasprintf("{\"actor\":%s,\"at\":\"%s\",\"case\":%s,"
	    "\"data\":%s,\"seq\":%lld,\"type\":%s}", as, at, cs, data, seq, ts);
	free(as);
	free(cs);
	free(ts);
	json_decref(a);
	json_decref(c);
	json_decref(t);
	return out;
}

static void
chain_hash(const char *prev, const char *canon, char *hex)
{
	struct rso_sha256 *h = rso_sha256_new();

	rso_sha256_update(h, prev, strlen(prev));
	rso_sha256_update(h, canon, strlen(canon));
	rso_sha256_final_hex(h, hex);
}

static int
last_event(struct rso_store *s, long long *seq, char *hash,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s,
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
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_event_append(struct rso_store *s, const char *case_id, const char *type,
    const json_t *data, long long *seq, struct rso_error *e)
{
	char at[RSO_TIME_STRLEN], prev[RSO_SHA256_HEXLEN];
	char hash[RSO_SHA256_HEXLEN];
	json_t *empty = json_object();
	char *dtext, *canon;
	long long last;
	sqlite3_stmt *st;
	int rc;

	if ((rc = last_event(s, &last, prev, e)) != 0) {
		json_decref(empty);
		return rc;
	}
	rso_time_format(rso_now(), at);
	dtext = rso_json_canonical(data ? data : empty);
	canon = canonical_event(rso_actor(), at, case_id, dtext, last + 1, type);
	chain_hash(prev, canon, hash);
	st = rso_store_prepare(s, "INSERT INTO events"
	    " (seq, at, case_id, type, actor, data, prev, hash)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_int64(st, 1, last + 1);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	if (case_id)
		sqlite3_bind_text(st, 3, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, rso_actor(), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, dtext, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(dtext);
	free(canon);
	json_decref(empty);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	if (seq)
		*seq = last + 1;
	return 0;
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

int
rso_event_foreach(struct rso_store *s, const char *case_id,
    rso_event_fn *fn, void *ctx, struct rso_error *e)
{
	sqlite3_stmt *st;
	json_t *ev;
	int rc, frc = 0;

	st = rso_store_prepare(s, case_id ?
	    "SELECT seq, at, case_id, type, actor, data, prev, hash"
	    " FROM events WHERE case_id = ? ORDER BY seq" :
	    "SELECT seq, at, case_id, type, actor, data, prev, hash"
	    " FROM events ORDER BY seq");
	if (case_id)
		sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
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
struct folded {
	struct rso_state st;
	char status_at[RSO_TIME_STRLEN];	/* when it entered its status */
};

/* Compare one case's folded state with its row in cases. */
static int
check_case(struct rso_store *s, const char *id, const struct folded *f,
    struct rso_verify *v, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s,
	    "SELECT status, held_from, status_at FROM cases WHERE id = ?");
	const char *bad = NULL;
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW ||
	    strcmp(col(st, 0), rso_status_name(f->st.status)) != 0)
		bad = "status";
	else if (strcmp(col(st, 1), f->st.status == RSO_ST_ON_HOLD ?
	    rso_status_name(f->st.held_from) : "") != 0)
		bad = "held_from";
	/* A writer reads the clock for the event and again for the row. */
	else if (!rso_time_within(col(st, 2), f->status_at, 2))
		bad = "status_at";
	sqlite3_finalize(st);
	v->cases++;
	if (bad)
		return rso_error_set(e, EX_DATAERR,
		    "case %s: %s does not follow from its events", id, bad);
	return 0;
}

static int
verify_states(struct rso_store *s, struct rso_verify *v, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s,
	    "SELECT case_id, type, seq, at FROM events WHERE case_id IS NOT"
	    " NULL ORDER BY case_id, seq");
	struct folded f = { { RSO_ST_NONE, RSO_ST_NONE }, "" };
	enum rso_status before;
	char cur[64] = "";
	int rc, frc = 0;

	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (strcmp(cur, col(st, 0)) != 0) {
			if (cur[0] && (frc = check_case(s, cur, &f, v, e)))
				break;
			snprintf(cur, sizeof(cur), "%s", col(st, 0));
			f.st.status = f.st.held_from = RSO_ST_NONE;
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
	}
	sqlite3_finalize(st);
	if (frc == 0 && cur[0])
		frc = check_case(s, cur, &f, v, e);
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
