/* rso_search: finding a case by its patient, as staff know them. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_event.h"
#include "rso_fold.h"
#include "rso_jsonl.h"
#include "rso_search.h"
#include "rso_store_priv.h"
#include "rso_time.h"

#define col(st, i) rso_store_col((st), (i))

/* The fields a key comes from, in the order a match lists them. */
static const char *const fields[] = { "ref", "patient.name",
    "patient.birth_date", "patient.phone", "patient.email",
    "requester.phone", "requester.email", NULL };

/* ---- keys of a request ---- */

/* Called with each key of a request; a non-zero return stops the walk. */
typedef int key_fn(const char *field, const char *key, void *ctx);

struct keys {
	key_fn *fn;
	void *ctx;
	const char *field;	/* of the words being walked */
	int rc;			/* the first non-zero return of fn */
};

static void
key_add(struct keys *k, const char *field, const char *key)
{
	if (k->rc == 0)
		k->rc = k->fn(field, key, k->ctx);
}

static int
word_key(const char *w, void *ctx)
{
	struct keys *k = ctx;

	key_add(k, k->field, w);
	return k->rc;
}

/*
 * A telephone number's digits, last first, so that "ends with these
 * digits" is a prefix match the index can answer.  Returns the count.
 */
static size_t
phone_key(const char *s, char *out, size_t size)
{
	size_t n = 0, i, len = strlen(s);

	for (i = len; i > 0 && n + 1 < size; i--)
		if (isdigit((unsigned char)s[i - 1]))
			out[n++] = s[i - 1];
	out[n] = '\0';
	return n;
}

static void
fold_key(struct keys *k, const char *field, const char *v)
{
	char *f;

	if (v != NULL && (f = rso_fold(v, strlen(v))) != NULL) {
		if (*f)
			key_add(k, field, f);
		free(f);
	}
}

/*
 * Call fn with each key of one request, a field and a key (the same key
 * may come twice).  Returns 0 or fn's first non-zero return, after which
 * it is not called again.  (A walk rather than a list: building a JSON
 * list of pairs for each request was a fifth of making its keys.)
 */
static int
keys_each(const json_t *req, key_fn *fn, void *ctx)
{
	static const char *const phones[] = { "patient.phone",
	    "requester.phone", NULL };
	static const char *const emails[] = { "patient.email",
	    "requester.email", NULL };
	struct keys k = { fn, ctx, NULL, 0 };
	const char *v;
	char digits[64];
	rso_time_t t;
	int i;

	if ((v = rso_json_str(req, "patient.name")) != NULL) {
		k.field = "patient.name";
		rso_fold_words(v, word_key, &k);
	}
	if ((v = rso_json_str(req, "ref")) != NULL) {
		k.field = "ref";
		rso_fold_words(v, word_key, &k);
		fold_key(&k, "ref", v);
	}
	v = rso_json_str(req, "patient.birth_date");
	if (v != NULL && rso_date_parse(v, &t) == 0)
		key_add(&k, "patient.birth_date", v);
	for (i = 0; phones[i]; i++)
		if ((v = rso_json_str(req, phones[i])) != NULL &&
		    phone_key(v, digits, sizeof(digits)) > 0)
			key_add(&k, phones[i], digits);
	for (i = 0; emails[i]; i++)
		fold_key(&k, emails[i], rso_json_str(req, emails[i]));
	return k.rc;
}

static int
key_to_list(const char *field, const char *key, void *ctx)
{
	json_array_append_new(ctx, json_pack("[s, s]", field, key));
	return 0;
}

/*
 * rso_search_keys(request JSON text): the keys of keys_each as JSON text,
 * [[field, key], ...], for the migration that indexes existing cases and
 * for verify's query that names a case whose keys differ, as
 * rso_search_index and verify's check walk keys_each -- one definition
 * of the keys wherever they are made.
 */
static void
sql_search_keys(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	json_t *req, *keys = json_array();
	char *out;

	(void)argc;
	req = text ? json_loads(text, 0, NULL) : NULL;
	keys_each(req, key_to_list, keys);
	out = json_dumps(keys, JSON_COMPACT);
	sqlite3_result_text(cx, out, -1, free);
	json_decref(keys);
	json_decref(req);
}

int
rso_search_register(sqlite3 *db)
{
	return sqlite3_create_function(db, "rso_search_keys", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_search_keys, NULL,
	    NULL);
}

/* A statement run once a key, over (?1 case, ?2 field, ?3 key). */
struct key_step {
	struct rso_store *s;
	const char *sql;	/* a literal, for rso_store_cached */
	const char *id;
	int missed;		/* a key touched no row */
	struct rso_error *e;
};

static int
key_step(const char *field, const char *key, void *ctx)
{
	struct key_step *ks = ctx;
	sqlite3_stmt *st = rso_store_cached(ks->s, ks->sql);
	int rc;

	sqlite3_bind_text(st, 1, ks->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rso_store_done(st);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(ks->s, rc, ks->e);
	if (sqlite3_changes(rso_store_db(ks->s)) == 0)
		ks->missed = 1;
	return 0;
}

/*
 * A new case's keys are inserted KEYS_AT_ONCE to a statement: one
 * statement for each key spent as much again on starting and ending
 * itself as on the key.
 */
#define KEYS_AT_ONCE 8

struct key_rows {
	struct rso_store *s;
	const char *id;
	const char *field[KEYS_AT_ONCE];	/* literals of keys_each */
	char *key[KEYS_AT_ONCE];
	int n;
	struct rso_error *e;
};

/* INSERT OR IGNORE of n rows (?2i+2 field, ?2i+3 key, ?1 case), made
 * once; its address is its key for rso_store_cached. */
static const char *
insert_rows_sql(int n)
{
	static char sql[KEYS_AT_ONCE][64 + 20 * KEYS_AT_ONCE];
	size_t len;
	int i;

	if (sql[n - 1][0] == '\0') {
		len = (size_t)snprintf(sql[n - 1], sizeof(sql[0]),
		    "INSERT OR IGNORE INTO case_keys (field, key, case_id)"
		    " VALUES");
		for (i = 0; i < n; i++)
			len += (size_t)snprintf(sql[n - 1] + len,
			    sizeof(sql[0]) - len, "%s (?%d, ?%d, ?1)",
			    i ? "," : "", 2 * i + 2, 2 * i + 3);
	}
	return sql[n - 1];
}

static int
insert_rows(struct key_rows *kr)
{
	sqlite3_stmt *st;
	int i, rc;

	if (kr->n == 0)
		return 0;
	st = rso_store_cached(kr->s, insert_rows_sql(kr->n));
	sqlite3_bind_text(st, 1, kr->id, -1, SQLITE_STATIC);
	for (i = 0; i < kr->n; i++) {
		sqlite3_bind_text(st, 2 * i + 2, kr->field[i], -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 2 * i + 3, kr->key[i], -1,
		    SQLITE_STATIC);
	}
	rc = sqlite3_step(st);
	rso_store_done(st);
	for (i = 0; i < kr->n; i++)
		free(kr->key[i]);
	kr->n = 0;
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(kr->s, rc, kr->e);
}

static int
key_row(const char *field, const char *key, void *ctx)
{
	struct key_rows *kr = ctx;

	kr->field[kr->n] = field;
	kr->key[kr->n++] = rso_xstrdup(key);
	return kr->n == KEYS_AT_ONCE ? insert_rows(kr) : 0;
}

/* Every key of case id, found by walking the whole table. */
static int
delete_all_keys(struct rso_store *s, const char *id, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s,
	    "DELETE FROM case_keys WHERE case_id = ?");
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_search_index(struct rso_store *s, const char *id, const json_t *req,
    const json_t *old, struct rso_error *e)
{
	/*
	 * The keys are made here from the request the caller has, not by
	 * rso_search_keys() over the stored text: the same keys_each,
	 * without parsing the request again and walking json_each, which
	 * was half of intake's time.  verify walks keys_each too.
	 *
	 * case_keys is ordered by key only (migration 111), so a case's old
	 * keys are found by making them again from its old request.  Should
	 * one of them not be there, the keys were made otherwise (by another
	 * release's folding, say): then the whole table is searched for the
	 * case's, once, rather than leave a key that names it wrongly.  A
	 * key that no request gave at all is a forgery, for verify to find.
	 * A request can give a key twice (a name "Ada Ada"): one row.
	 */
	static const char del[] = "DELETE FROM case_keys"
	    " WHERE field = ?2 AND key = ?3 AND case_id = ?1";
	struct key_step ks = { s, del, id, 0, e };
	struct key_rows kr = { s, id, { NULL }, { NULL }, 0, e };
	int i, rc;

	if (old != NULL) {
		if ((rc = keys_each(old, key_step, &ks)) == 0 && ks.missed)
			rc = delete_all_keys(s, id, e);
		if (rc != 0)
			return rc;
	}
	if ((rc = keys_each(req, key_row, &kr)) == 0)
		return insert_rows(&kr);
	for (i = 0; i < kr.n; i++)
		free(kr.key[i]);
	return rc;
}

/* ---- terms ---- */

enum how { EQ, PREFIX };

/* One way a term can match: a key of one of some fields. */
struct alt {
	const char *fields;	/* SQL list of field names (our constants) */
	enum how how;
	char *key;
};

#define MAXALTS 4
#define MAXTERMS 32

struct term {
	int piece;		/* which piece of the operands it came from */
	struct alt alt[MAXALTS];
	int n;
};

/*
 * The terms, and the pieces of the operands they came from (a piece
 * "t-1" gives the words t and 1): a piece that is a whole ref is that ref.
 */
struct rso_search {
	struct term t[MAXTERMS];
	int n;
	char *piece[MAXTERMS];	/* folded */
	int npieces;
};

static const char names_or_refs[] = "'patient.name', 'ref'";
static const char dates[] = "'patient.birth_date'";
static const char phones[] = "'patient.phone', 'requester.phone'";
static const char emails[] = "'patient.email', 'requester.email'";

static void
alt_add(struct term *t, const char *flds, enum how how, const char *key)
{
	if (t->n < MAXALTS) {
		t->alt[t->n].fields = flds;
		t->alt[t->n].how = how;
		t->alt[t->n].key = rso_xstrdup(key);
		t->n++;
	}
}

/* Read n digits (1..max) at *p as a number; -1 when none. */
static int
number(const char **p, int max, int *ndigits)
{
	int v = 0;

	for (*ndigits = 0; isdigit((unsigned char)**p) && *ndigits < max;
	    (*p)++, (*ndigits)++)
		v = v * 10 + (**p - '0');
	return *ndigits ? v : -1;
}

/* Add "YYYY-MM-DD" to t when it is a real date; 1 when added. */
static int
date_alt(struct term *t, int y, int m, int d)
{
	char buf[32];
	rso_time_t when;

	if (y < 0 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
	if (rso_date_parse(buf, &when) != 0)
		return 0;
	alt_add(t, dates, EQ, buf);
	return 1;
}

/*
 * Whether s has the shape of a date (three numbers with - . or /
 * between, or eight digits), and if so its readings as alternatives of t.
 * Returns 0 when not date-shaped, 1 when it is and reads as a date, -1
 * when it has the shape but is no date.
 */
static int
date_term(const char *s, struct term *t)
{
	const char *p = s;
	int a, b, c, na, nb, nc, got = 0;
	char sep;

	if (strlen(s) == 8 && strspn(s, "0123456789") == 8) {
		a = number(&p, 4, &na);
		b = number(&p, 2, &nb);
		c = number(&p, 2, &nc);
		return date_alt(t, a, b, c) ? 1 : 0;
	}
	if ((a = number(&p, 4, &na)) < 0 || strchr("-./", *p) == NULL ||
	    *p == '\0')
		return 0;
	sep = *p++;
	if ((b = number(&p, 2, &nb)) < 0 || *p++ != sep ||
	    (c = number(&p, 4, &nc)) < 0 || *p != '\0')
		return 0;
	if (na == 4 && nc <= 2)			/* YYYY-MM-DD, YYYY/MM/DD */
		got = date_alt(t, a, b, c);
	else if (na <= 2 && nc == 4 && sep != '/')	/* DD.MM.YYYY */
		got = date_alt(t, c, b, a);
	else if (na <= 2 && nc == 4) {		/* D/M/YYYY or M/D/YYYY */
		got = date_alt(t, c, b, a);
		got |= date_alt(t, c, a, b);
		if (a == b && t->n == 2)
			free(t->alt[--t->n].key);	/* 3/3: one date */
	}
	return got ? 1 : -1;
}

/* A telephone number: digits and + ( ) - . / space, 7 digits or more. */
static int
phone_shaped(const char *s)
{
	size_t digits = 0;

	for (; *s; s++)
		if (isdigit((unsigned char)*s))
			digits++;
		else if (strchr("+()-./ ", *s) == NULL)
			return 0;
	return digits >= 7;
}

static int
term_word(const char *w, void *ctx)
{
	struct rso_search *q = ctx;
	struct term *t;

	if (q->n == MAXTERMS)
		return 1;	/* too many */
	t = &q->t[q->n++];
	memset(t, 0, sizeof(*t));
	t->piece = q->npieces - 1;
	alt_add(t, names_or_refs, PREFIX, w);
	return 0;
}

/* One term (no spaces, unless a telephone number) into q. */
static int
add_term(struct rso_search *q, const char *s, int argi, struct rso_error *e)
{
	struct term *t = &q->t[q->n];
	char digits[64], *whole;
	int rc, before = q->n;
	size_t len;

	if (q->n == MAXTERMS)
		return rso_error_set(e, EX_USAGE, "argument %d: more than %d "
		    "terms", argi, MAXTERMS);
	if ((whole = rso_fold(s, strlen(s))) == NULL)
		return rso_error_set(e, EX_USAGE, "argument %d: not UTF-8", argi);
	memset(t, 0, sizeof(*t));
	t->piece = q->npieces;
	q->piece[q->npieces++] = whole;
	if (strchr(s, '@') != NULL)
		alt_add(t, emails, EQ, whole);
	else if ((rc = date_term(s, t)) < 0)
		return rso_error_set(e, EX_USAGE, "argument %d: not a date",
		    argi);
	/* A date with separators is not a number; eight digits may be. */
	else if (phone_shaped(s) && (rc == 0 || strspn(s, "0123456789") ==
	    strlen(s))) {
		/*
		 * Leading zeros are a trunk or international prefix ("020
		 * 7946 0000" is +44 20 7946 0000): the digits after them.
		 */
		len = phone_key(s, digits, sizeof(digits));
		while (len > 0 && digits[len - 1] == '0')
			digits[--len] = '\0';
		alt_add(t, phones, PREFIX, digits);
	}
	if (t->n > 0)
		q->n++;
	else if (rso_fold_words(s, term_word, q) != 0) /* a term a word */
		return rso_error_set(e, EX_USAGE, "argument %d: more than %d "
		    "terms", argi, MAXTERMS);
	if (q->n == before)
		return rso_error_set(e, EX_USAGE, "argument %d: no letters or "
		    "digits", argi);
	return 0;
}

int
rso_search_parse(int argc, char **argv, struct rso_search **out,
    struct rso_error *e)
{
	struct rso_search *q = rso_xcalloc(1, sizeof(*q));
	char *copy, *tok, *save;
	int i, rc = 0;

	for (i = 0; rc == 0 && i < argc; i++) {
		if (argv[i][strspn(argv[i], " \t\n")] == '\0') {
			rc = rso_error_set(e, EX_USAGE, "argument %d: empty term",
			    i + 1);
			break;
		}
		if (phone_shaped(argv[i]) && strchr(argv[i], ' ') != NULL) {
			rc = add_term(q, argv[i], i + 1, e);
			continue;
		}
		copy = rso_xstrdup(argv[i]);
		for (tok = strtok_r(copy, " \t\n", &save); rc == 0 && tok;
		    tok = strtok_r(NULL, " \t\n", &save))
			rc = add_term(q, tok, i + 1, e);
		free(copy);
	}
	if (rc != 0) {
		rso_search_free(q);
		return rc;
	}
	*out = q;
	return 0;
}

void
rso_search_free(struct rso_search *q)
{
	int i, j;

	if (q == NULL)
		return;
	for (i = 0; i < q->n; i++)
		for (j = 0; j < q->t[i].n; j++)
			free(q->t[i].alt[j].key);
	for (i = 0; i < q->npieces; i++)
		free(q->piece[i]);
	free(q);
}

/* ---- running a search ---- */

/* Whether the folded piece is a case's whole ref. */
static int
is_ref(struct rso_store *s, const char *piece)
{
	return rso_store_int(s, "SELECT count(*) FROM case_keys"
	    " WHERE field = 'ref' AND key = ?1", piece) > 0;
}

/*
 * The terms as run: a piece that is a whole ref becomes one term, that
 * ref; the rest as parsed.  Fills *n; the alternatives are borrowed.
 */
static struct term *
effective_terms(struct rso_store *s, const struct rso_search *q, int *n)
{
	struct term *t = rso_xcalloc((size_t)q->n, sizeof(*t));
	int i, p, last = -1;

	*n = 0;
	for (i = 0; i < q->n; i++) {
		p = q->t[i].piece;
		if (is_ref(s, q->piece[p])) {
			if (p == last)
				continue;
			t[*n].piece = p;
			t[*n].alt[0] = (struct alt){ "'ref'", EQ, q->piece[p] };
			t[*n].n = 1;
			(*n)++;
			last = p;
		} else
			t[(*n)++] = q->t[i];
	}
	return t;
}

/* The query: the cases with a key for every term, and what matched. */
static char *
search_sql(const struct term *t, int n)
{
	size_t len;
	char *sql;
	FILE *m = open_memstream(&sql, &len);
	int i, j, param = 1;

	if (m == NULL)
		rso_die(EX_OSERR, "search");
	fputs("SELECT m.case_id, c.ref, c.status,"
	    " json_extract(c.intake, '$.patient.name'),"
	    " json_extract(c.intake, '$.patient.birth_date'), m.f FROM"
	    " (SELECT case_id, json_group_array(DISTINCT field) AS f FROM (", m);
	for (i = 0; i < n; i++) {
		fprintf(m, "%sSELECT case_id, field, %d AS t FROM case_keys"
		    " WHERE ", i ? " UNION ALL " : "", i);
		for (j = 0; j < t[i].n; j++)
			fprintf(m, "%s(field IN (%s) AND key %s ?%d)",
			    j ? " OR " : "", t[i].alt[j].fields,
			    t[i].alt[j].how == EQ ? "=" : "GLOB", param++);
	}
	fprintf(m, ") GROUP BY case_id HAVING count(DISTINCT t) = %d) m"
	    " JOIN cases c ON c.id = m.case_id ORDER BY m.case_id LIMIT ?%d",
	    n, param);
	if (fclose(m) != 0)
		rso_die(EX_OSERR, "search");
	return sql;
}

static void
bind_terms(sqlite3_stmt *st, const struct term *t, int n, int limit)
{
	int i, j, param = 1;
	char *glob;

	for (i = 0; i < n; i++)
		for (j = 0; j < t[i].n; j++, param++)
			if (t[i].alt[j].how == EQ)
				sqlite3_bind_text(st, param, t[i].alt[j].key, -1,
				    SQLITE_STATIC);
			else {
				glob = rso_xasprintf("%s*", t[i].alt[j].key);
				sqlite3_bind_text(st, param, glob, -1, free);
			}
	sqlite3_bind_int(st, param, limit + 1);
}

/* The fields of a JSON array text, in the order of fields[]. */
static json_t *
match_of(const char *text)
{
	json_t *got = json_loads(text, 0, NULL), *out = json_array(), *v;
	size_t i;
	int k;

	for (k = 0; fields[k]; k++)
		json_array_foreach(got, i, v)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), fields[k]) == 0) {
				json_array_append_new(out, json_string(fields[k]));
				break;
			}
	json_decref(got);
	return out;
}

/* Record the access to each case shown, before anything is shown. */
static int
audit(struct rso_store *s, json_t *hits, struct rso_error *e)
{
	json_t *h, *data;
	size_t i;
	int rc;

	if (json_array_size(hits) == 0)
		return 0;
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	json_array_foreach(hits, i, h) {
		data = json_pack("{s:O}", "match", json_object_get(h, "match"));
		rc = rso_event_append(s, rso_json_str(h, "case"), "case.found",
		    data, NULL, e);
		json_decref(data);
		if (rc != 0) {
			rso_store_rollback(s);
			return rc;
		}
	}
	return rso_store_commit(s, e);
}

int
rso_search_run(struct rso_store *s, const struct rso_search *q, int limit,
    int *n, int *more, rso_search_fn *fn, void *ctx, struct rso_error *e)
{
	json_t *hits = json_array(), *h;
	struct term *t;
	sqlite3_stmt *st;
	char *sql;
	size_t i;
	int nt, rc, frc = 0;

	*n = *more = 0;
	/* A term most cases match groups them all: on disk, not in memory. */
	if ((rc = rso_store_temp_on_disk(s, 1, e)) != 0) {
		json_decref(hits);
		return rc;
	}
	t = effective_terms(s, q, &nt);
	sql = search_sql(t, nt);
	st = rso_store_prepare(s, sql);
	bind_terms(st, t, nt, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((int)json_array_size(hits) == limit) {
			*more = 1;
			continue;
		}
		json_array_append_new(hits, json_pack("{s:s, s:s, s:s, s:s?,"
		    " s:s?, s:o}", "case", col(st, 0), "ref", col(st, 1),
		    "status", col(st, 2),
		    "name", (const char *)sqlite3_column_text(st, 3),
		    "birth_date", (const char *)sqlite3_column_text(st, 4),
		    "match", match_of(col(st, 5))));
	}
	sqlite3_finalize(st);
	free(sql);
	free(t);
	if (rc != SQLITE_DONE)
		rc = rso_store_sqlerr(s, rc, e);
	else if ((rc = rso_store_temp_on_disk(s, 0, e)) == 0)
		rc = audit(s, hits, e);
	json_array_foreach(hits, i, h) {
		if (rc != 0 || frc != 0)
			break;
		frc = fn(h, ctx);
		(*n)++;
	}
	json_decref(hits);
	return rc ? rc : frc;
}

/* ---- verify ---- */

/* One request's keys, for verify: gathered, then made distinct. */
struct key_set {
	const char **field;	/* keys_each's literals */
	char **key;
	size_t n, cap;
};

static int
key_gather(const char *field, const char *key, void *ctx)
{
	struct key_set *ks = ctx;

	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? 2 * ks->cap : 16;
		ks->field = rso_xrealloc(ks->field, ks->cap * sizeof(*ks->field));
		ks->key = rso_xrealloc(ks->key, ks->cap * sizeof(*ks->key));
	}
	ks->field[ks->n] = field;
	ks->key[ks->n++] = rso_xstrdup(key);
	return 0;
}

/* Whether key i of ks is a repeat of an earlier one. */
static int
key_repeated(const struct key_set *ks, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(ks->field[j], ks->field[i]) == 0 &&
		    strcmp(ks->key[j], ks->key[i]) == 0)
			return 1;
	return 0;
}

/*
 * The fast check, in constant memory: every key each case's last request
 * gives is in the table (a lookup each), and the table holds no more rows
 * than that (a count).  Together these are the set equality the check
 * below states, without the temporary tables its set differences build
 * (some 10 MB over 100,000 cases).  1 when they agree, 0 when they do
 * not, or a status with e filled.
 */
static int
keys_agree(struct rso_store *s, struct rso_error *e)
{
	sqlite3_stmt *req = rso_store_prepare(s, "SELECT e.case_id,"
	    " CASE e.type WHEN 'case.amended' THEN json_extract(e.data,"
	    " '$.request') ELSE e.data END FROM events e WHERE e.type IN"
	    " ('case.created', 'case.amended') AND e.seq = (SELECT max(x.seq)"
	    " FROM events x WHERE x.case_id = e.case_id AND (x.type ="
	    " 'case.created' OR x.type = 'case.amended'))");
	sqlite3_stmt *has = rso_store_prepare(s, "SELECT 1 FROM case_keys"
	    " WHERE field = ?1 AND key = ?2 AND case_id = ?3");
	struct key_set ks = { 0 };
	long long distinct = 0;
	int rc, agree = 1;
	size_t i;
	json_t *r;

	while (agree && (rc = sqlite3_step(req)) == SQLITE_ROW) {
		r = json_loads(col(req, 1), 0, NULL);
		ks.n = 0;
		if (r != NULL)
			keys_each(r, key_gather, &ks);
		json_decref(r);
		for (i = 0; agree && i < ks.n; i++) {
			if (key_repeated(&ks, i))
				continue;
			distinct++;
			sqlite3_reset(has);
			sqlite3_bind_text(has, 1, ks.field[i], -1, SQLITE_STATIC);
			sqlite3_bind_text(has, 2, ks.key[i], -1, SQLITE_STATIC);
			sqlite3_bind_text(has, 3, col(req, 0), -1,
			    SQLITE_STATIC);
			agree = sqlite3_step(has) == SQLITE_ROW;
		}
		for (i = 0; i < ks.n; i++)
			free(ks.key[i]);
	}
	if (!agree)
		rc = SQLITE_DONE;
	sqlite3_finalize(has);
	sqlite3_finalize(req);
	free(ks.field);
	free(ks.key);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	return agree && rso_store_int(s, "SELECT count(*) FROM case_keys",
	    NULL) == distinct;
}

int
rso_search_verify(struct rso_store *s, long long *cases, struct rso_error *e)
{
	sqlite3_stmt *st;
	int rc, frc = 0;

	if ((rc = keys_agree(s, e)) > 1)
		return rc;
	*cases = rso_store_int(s, "SELECT count(*) FROM cases", NULL);
	if (rc == 1)
		return 0;
	/*
	 * They do not: name the first case (by id) whose keys differ, from
	 * the keys each case's last request gives against the table, both
	 * ways round: a key missing, or one no request gave.
	 */
	st = rso_store_prepare(s,
	    "WITH req AS (SELECT case_id, CASE type WHEN 'case.amended'"
	    "  THEN json_extract(data, '$.request') ELSE data END AS r"
	    "  FROM events e WHERE type IN ('case.created', 'case.amended')"
	    "  AND seq = (SELECT max(seq) FROM events x WHERE x.case_id ="
	    "  e.case_id AND x.type IN ('case.created', 'case.amended'))),"
	    " want AS (SELECT DISTINCT req.case_id AS c,"
	    "  json_extract(k.value, '$[0]') AS f,"
	    "  json_extract(k.value, '$[1]') AS k"
	    "  FROM req, json_each(rso_search_keys(req.r)) k),"
	    " have AS (SELECT case_id AS c, field AS f, key AS k FROM case_keys)"
	    " SELECT c FROM (SELECT * FROM want EXCEPT SELECT * FROM have)"
	    " UNION SELECT c FROM (SELECT * FROM have EXCEPT SELECT * FROM want)"
	    " ORDER BY 1 LIMIT 1");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		frc = rso_error_set(e, EX_DATAERR, "case %s: search keys do "
		    "not follow from its request", col(st, 0));
	sqlite3_finalize(st);
	if (frc != 0)
		return frc;
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	/* Should the two checks ever disagree, the store is not passed. */
	return rso_error_set(e, EX_DATAERR, "search keys: the table and the "
	    "requests differ, in no one case");
}
