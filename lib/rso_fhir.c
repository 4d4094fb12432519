/* rso_fhir: a case as one FHIR R4 Bundle. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_base64.h"
#include "rso_err.h"
#include "rso_fhir.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_name.h"

const char *
rso_fhir_task_status(const char *st)
{
	static const struct {
		const char *state, *task;
	} map[] = {
		{ "awaiting-consent", "requested" }, { "collecting", "in-progress" },
		{ "ready", "ready" }, { "assigned", "accepted" },
		{ "in-review", "in-progress" }, { "delivered", "completed" },
		{ "closed", "completed" }, { "on-hold", "on-hold" },
		{ "cancelled", "cancelled" },
	};
	size_t i;

	for (i = 0; st && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].state, st) == 0)
			return map[i].task;
	return "draft";
}

/* DICOM's code system in FHIR (modalities). */
#define DCM "http://dicom.nema.org/resources/ontology/DCM"

/* A stable urn:uuid for (case, what), shaped as a version 5 UUID. */
static json_t *
urn(const char *id, const char *what)
{
	char *key = rso_xasprintf("%s/%s", id, what), hex[RSO_SHA256_HEXLEN];
	char u[64];

	rso_sha256_hex(key, strlen(key), hex);
	free(key);
	hex[12] = '5';
	hex[16] = "89ab"[hex[16] % 4];
	snprintf(u, sizeof(u), "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex,
	    hex + 8, hex + 12, hex + 16, hex + 20);
	return json_string(u);
}

static json_t *
ref(const char *id, const char *what)
{
	return json_pack("{s:o}", "reference", urn(id, what));
}

static void
add(json_t *entries, const char *id, const char *what, json_t *res)
{
	json_array_append_new(entries, json_pack("{s:o, s:o}", "fullUrl",
	    urn(id, what), "resource", res));
}

/*
 * A written name as HumanName: the text as written, the last word the
 * family, the words before it each a given name; no empty parts.
 */
static json_t *
human_name(const char *name)
{
	struct rso_name_parts p;
	const char *g, *end;
	json_t *n = json_object(), *given = json_array();

	rso_name_split(name ? name : "", &p);
	if (p.family_len == 0) {
		json_decref(given);
		return n;
	}
	json_object_set_new(n, "text", json_stringn(p.given_len ? p.given :
	    p.family, (size_t)(p.family + p.family_len - (p.given_len ?
	    p.given : p.family))));
	json_object_set_new(n, "family", json_stringn(p.family, p.family_len));
	for (g = p.given, end = p.given + p.given_len; g < end;) {
		size_t k = strcspn(g, " \t");
		if (k > (size_t)(end - g))
			k = (size_t)(end - g);
		if (k > 0)
			json_array_append_new(given, json_stringn(g, k));
		g += k;
		while (g < end && (*g == ' ' || *g == '\t'))
			g++;
	}
	if (json_array_size(given) > 0)
		json_object_set_new(n, "given", given);
	else
		json_decref(given);
	return n;
}

static json_t *
patient(const char *id, const json_t *c)
{
	const char *sex = rso_json_str(c, "request.patient.sex");
	json_t *p = json_pack("{s:s, s:[{s:s, s:s}], s:[o]}", "resourceType",
	    "Patient", "identifier", "system", "urn:rso:case", "value", id,
	    "name", human_name(rso_json_str(c, "request.patient.name")));

	if (sex != NULL)
		json_object_set_new(p, "gender", json_string(strcmp(sex, "female")
		    == 0 || strcmp(sex, "male") == 0 || strcmp(sex, "other") == 0 ?
		    sex : "unknown"));
	if (rso_json_str(c, "request.patient.birth_date"))
		json_object_set_new(p, "birthDate", json_string(rso_json_str(c,
		    "request.patient.birth_date")));
	if (rso_json_str(c, "request.patient.email"))
		json_object_set_new(p, "telecom", json_pack("[{s:s, s:s}]",
		    "system", "email", "value", rso_json_str(c,
		    "request.patient.email")));
	if (rso_json_str(c, "request.patient.country"))
		json_object_set_new(p, "address", json_pack("[{s:s, s:s?}]",
		    "country", rso_json_str(c, "request.patient.country"),
		    "state", rso_json_str(c, "request.patient.region")));
	return p;
}

static json_t *
practitioner(const char *system, const char *value, const char *name)
{
	json_t *p = json_pack("{s:s, s:[{s:s, s:s}]}", "resourceType",
	    "Practitioner", "identifier", "system", system, "value", value);

	if (name)
		json_object_set_new(p, "name", json_pack("[o]", human_name(name)));
	return p;
}

static json_t *
service_request(const char *id, const json_t *c, int referrer)
{
	const char *st = rso_json_str(c, "status");
	json_t *sr = json_pack("{s:s, s:s, s:s, s:{s:s}, s:o, s:s, s:[]}",
	    "resourceType", "ServiceRequest", "status", strcmp(st, "cancelled") ==
	    0 ? "revoked" : strcmp(st, "delivered") == 0 || strcmp(st, "closed")
	    == 0 ? "completed" : "active", "intent", "order", "code", "text",
	    "Remote second opinion", "subject", ref(id, "patient"), "authoredOn",
	    rso_json_str(c, "created"), "reasonCode");
	json_t *q;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(c, "request"),
	    "questions"), i, q)
		json_array_append_new(json_object_get(sr, "reasonCode"),
		    json_pack("{s:O}", "text", q));
	if (referrer)
		json_object_set_new(sr, "requester", ref(id, "referrer"));
	return sr;
}

/*
 * Whether t is a full RFC 3339 time with its offset, as FHIR's instant
 * needs ("2026-09-01T10:00:00Z"); a date alone ("2026-09-01") is not.
 */
static int
is_instant(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	return n >= 20 && t[10] == 'T' && (t[n - 1] == 'Z' || (n >= 25 &&
	    (t[n - 6] == '+' || t[n - 6] == '-') && t[n - 3] == ':'));
}

/*
 * A filed document.  DocumentReference.date is an instant: a record's
 * date that is a day only (as sources give them) is the period of care
 * it documents instead, context.period, never a made-up midnight.
 */
static json_t *
document(const char *id, const json_t *r)
{
	const char *date = rso_json_str(r, "date");
	json_t *d = json_pack("{s:s, s:s, s:[{s:s, s:s}], s:o, s:[{s:{s:s, s:I,"
	    " s:s, s:s}}]}", "resourceType", "DocumentReference", "status",
	    "current", "identifier", "system", "urn:rso:sha256", "value",
	    rso_json_str(r, "sha256"), "subject", ref(id, "patient"), "content",
	    "attachment", "contentType", rso_json_str(r, "media_type"), "size",
	    (json_int_t)json_integer_value(json_object_get(r, "size")), "url",
	    rso_json_str(r, "name"), "title", rso_json_str(r, "name"));

	if (rso_json_str(r, "type"))
		json_object_set_new(d, "type", json_pack("{s:s}", "text",
		    rso_json_str(r, "type")));
	if (is_instant(date))
		json_object_set_new(d, "date", json_string(date));
	else if (date)
		json_object_set_new(d, "context", json_pack("{s:{s:s, s:s}}",
		    "period", "start", date, "end", date));
	return d;
}

/* The series of one study, from the case's series: uid, modality, count. */
static json_t *
study_series(const char *study, const json_t *lines)
{
	json_t *series = json_array(), *x;
	size_t i;

	json_array_foreach(lines, i, x) {
		if (strcmp(rso_json_str(x, "study_uid"), study) != 0)
			continue;
		json_array_append_new(series, json_pack("{s:s, s:{s:s, s:s}, s:I}",
		    "uid", rso_json_str(x, "series_uid"), "modality", "system",
		    DCM, "code", rso_json_str(x, "modality") ? rso_json_str(x,
		    "modality") : "OT", "numberOfInstances", json_integer_value(
		    json_object_get(x, "instances"))));
	}
	return series;
}

/*
 * A DICOM study as an ImagingStudy: its uid as identifier, the day it was
 * made (StudyDate; a time without a zone would not be a FHIR dateTime),
 * modality, body part, description, counts, and each series.
 */
static json_t *
imaging_study(const char *id, const json_t *r, const json_t *lines)
{
	const char *study = rso_json_str(r, "study");
	json_t *series = study_series(study, lines), *se;
	size_t i;
	json_t *is = json_pack("{s:s, s:[{s:s, s:s}], s:s, s:o, s:I, s:I}",
	    "resourceType", "ImagingStudy", "identifier", "system",
	    "urn:dicom:uid", "value", "", "status", "available", "subject",
	    ref(id, "patient"), "numberOfSeries",
	    (json_int_t)json_array_size(series), "numberOfInstances",
	    (json_int_t)json_integer_value(json_object_get(r, "instances")));
	char *oid = rso_xasprintf("urn:oid:%s", study);

	json_object_set_new(json_array_get(json_object_get(is, "identifier"),
	    0), "value", json_string(oid));
	free(oid);
	if (rso_json_str(r, "date"))
		json_object_set_new(is, "started", json_string(rso_json_str(r,
		    "date")));
	if (rso_json_str(r, "modality"))
		json_object_set_new(is, "modality", json_pack("[{s:s, s:s}]",
		    "system", DCM, "code", rso_json_str(r, "modality")));
	if (rso_json_str(r, "description"))
		json_object_set_new(is, "description", json_string(
		    rso_json_str(r, "description")));
	/* BodyPartExamined is a DICOM term, not a code of SNOMED CT: its
	 * text goes in the series' bodySite display. */
	json_array_foreach(series, i, se)
		if (rso_json_str(r, "body_part"))
			json_object_set_new(se, "bodySite", json_pack("{s:s}",
			    "display", rso_json_str(r, "body_part")));
	json_object_set_new(is, "series", series);
	return is;
}

static json_t *
report(const char *id, const json_t *op, const unsigned char *bytes,
    size_t n, int k)
{
	char *data = rso_base64(bytes, n), *hash, what[64];
	unsigned char sha1[RSO_SHA1_LEN];
	json_t *codes = json_array(), *code, *dr;
	size_t i;

	json_array_foreach(json_object_get(op, "icd10"), i, code)
		json_array_append_new(codes, json_pack("{s:[{s:s, s:O}]}",
		    "coding", "system", "http://hl7.org/fhir/sid/icd-10-cm", "code",
		    code));
	snprintf(what, sizeof(what), "specialist:%s",
	    rso_json_str(op, "specialist") ? rso_json_str(op, "specialist") : "");
	rso_sha1(bytes, n, sha1);
	hash = rso_base64(sha1, sizeof(sha1));
	/* LOINC 11488-4 Consult note, the code HL7 and XDM send too. */
	dr = json_pack("{s:s, s:s, s:{s:[{s:s, s:s, s:s}], s:s}, s:o, s:s, s:s,"
	    " s:o, s:[{s:s, s:s, s:I, s:s, s:s}]}", "resourceType",
	    "DiagnosticReport", "status", "final", "code", "coding", "system",
	    "http://loinc.org", "code", "11488-4", "display", "Consult note",
	    "text", k == 0 ? "Second opinion" : "Second opinion (panel)",
	    "subject", ref(id, "patient"), "issued", rso_json_str(op, "recorded"),
	    "conclusion", rso_json_str(op, "outcome"), "conclusionCode", codes,
	    "presentedForm", "contentType", rso_json_str(op, "media_type"), "data",
	    data, "size", (json_int_t)n, "hash", hash, "title", rso_json_str(op,
	    "name"));
	if (rso_json_str(op, "specialist"))
		json_object_set_new(dr, "performer", json_pack("[o]", ref(id,
		    what)));
	json_object_set_new(dr, "basedOn", json_pack("[o]", ref(id, "request")));
	free(data);
	free(hash);
	return dr;
}

static json_t *
consent(const char *id, const json_t *c)
{
	json_t *k = json_pack("{s:s, s:s, s:{s:[{s:s, s:s}]}, s:[{s:[{s:s,"
	    " s:s}]}], s:o, s:[{s:s, s:s}]}", "resourceType", "Consent",
	    "status", "active", "scope", "coding", "system",
	    "http://terminology.hl7.org/CodeSystem/consentscope", "code",
	    "patient-privacy", "category", "coding", "system", "http://loinc.org",
	    "code", "59284-0", "patient", ref(id, "patient"), "policy", "uri",
	    "urn:rso:policy:records-release", "authority", "urn:rso");
	const char *exp = rso_json_str(c, "consent.expires");

	if (rso_json_str(c, "consent.signed"))
		json_object_set_new(k, "dateTime", json_string(rso_json_str(c,
		    "consent.signed")));
	if (exp)
		json_object_set_new(k, "provision", json_pack("{s:{s:s}}", "period",
		    "end", exp));
	return k;
}

/* Whether a FHIR string may hold s: no C0 control but tab, CR and LF. */
static int
fhir_string_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\r' &&
		    *s != '\n')
			return 0;
	return 1;
}

static int
is_empty(const json_t *x)
{
	return json_is_null(x) || (json_is_string(x) ? json_string_length(x)
	    == 0 : json_is_array(x) ? json_array_size(x) == 0 :
	    json_is_object(x) && json_object_size(x) == 0);
}

/*
 * Drop what FHIR JSON forbids to be there empty: nulls, "" strings, []
 * arrays and {} objects (after their own members were dropped), so an
 * absent fact is an absent element.  Fails on a string FHIR cannot carry,
 * naming where (never what).
 */
static int
tidy(json_t *v, char *where, size_t n, size_t at)
{
	const char *k;
	json_t *x;
	void *tmp;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, k, x) {
			snprintf(where + at, n - at, "%s%s", at ? "." : "", k);
			if (tidy(x, where, n, at + strlen(where + at)) != 0)
				return -1;
			if (is_empty(x))
				json_object_del(v, k);
		}
	} else if (json_is_array(v)) {
		for (i = json_array_size(v); i-- > 0;) {
			x = json_array_get(v, i);
			snprintf(where + at, n - at, "[%zu]", i);
			if (tidy(x, where, n, at + strlen(where + at)) != 0)
				return -1;
			if (is_empty(x))
				json_array_remove(v, i);
		}
	} else if (json_is_string(v) && !fhir_string_ok(json_string_value(v)))
		return -1;
	where[at] = '\0';
	return 0;
}

json_t *
rso_fhir_bundle(const struct rso_fhir_case *fc, char *where, size_t n)
{
	const char *id = rso_json_str(fc->c, "case");
	const char *kind = rso_json_str(fc->c, "request.requester.kind");
	int referrer = kind && strcmp(kind, "provider") == 0;
	json_t *b, *entries = json_array(), *x, *task, *sp;
	char what[160];
	size_t i;

	add(entries, id, "patient", patient(id, fc->c));
	if (referrer)
		add(entries, id, "referrer", practitioner(
		    rso_json_str(fc->c, "request.requester.npi") ?
		    "http://hl7.org/fhir/sid/us-npi" : "urn:rso:referrer",
		    rso_json_str(fc->c, "request.requester.npi") ?
		    rso_json_str(fc->c, "request.requester.npi") : "referrer",
		    rso_json_str(fc->c, "request.requester.name")));
	json_array_foreach(fc->opinions, i, x) {
		const char *s = rso_json_str(x, "specialist");
		if (s == NULL)
			continue;
		snprintf(what, sizeof(what), "specialist:%s", s);
		sp = json_object_get(fc->specialists, s);
		add(entries, id, what, practitioner("urn:rso:specialist", s,
		    rso_json_str(sp, "name")));
	}
	add(entries, id, "request", service_request(id, fc->c, referrer));
	task = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "resourceType", "Task",
	    "status", rso_fhir_task_status(rso_json_str(fc->c, "status")),
	    "intent", "order", "focus", ref(id, "request"), "for", ref(id,
	    "patient"), "lastModified", rso_json_str(fc->c, "status_at"));
	json_object_set_new(task, "businessStatus", json_pack("{s:s}", "text",
	    rso_json_str(fc->c, "status")));
	add(entries, id, "task", task);
	json_array_foreach(fc->records, i, x) {
		if (rso_json_str(x, "study")) {
			snprintf(what, sizeof(what), "study:%s", rso_json_str(x,
			    "study"));
			add(entries, id, what, imaging_study(id, x,
			    fc->series));
			continue;
		}
		snprintf(what, sizeof(what), "record:%s", rso_json_str(x, "item"));
		add(entries, id, what, document(id, x));
	}
	json_array_foreach(fc->opinions, i, x) {
		snprintf(what, sizeof(what), "opinion:%s", rso_json_str(x, "role"));
		add(entries, id, what, report(id, x, fc->opinion_bytes[i],
		    fc->opinion_sizes[i], (int)i));
	}
	if (json_object_get(fc->c, "consent"))
		add(entries, id, "consent", consent(id, fc->c));
	b = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:o}", "resourceType",
	    "Bundle", "identifier", "system", "urn:rso:case", "value", id, "type",
	    "collection", "timestamp", rso_json_str(fc->c, "status_at"), "entry",
	    entries);
	if (tidy(b, where, n, 0) != 0) {
		json_decref(b);
		return NULL;
	}
	return b;
}
