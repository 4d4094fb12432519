/* rso_fhir: a case as one FHIR R4 Bundle. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_FHIR_H
#define RSO_FHIR_H

#include <stddef.h>

#include <jansson.h>

/* The FHIR Task status a case state maps to ("in-progress" etc.). */
const char *rso_fhir_task_status(const char *case_status);

/*
 * What the bundle is built from: the case as rso_case_get gives it, its
 * records as rso_records_list writes them (documents only), its opinions
 * as rso_export_opinions gives them with each opinion's bytes, the
 * specialists' roster entries (id -> {"name",...}), the series of the
 * DICOM studies and the consent.
 */
struct rso_fhir_case {
	const json_t *c, *records, *opinions, *specialists;
	const json_t *series;		/* rso_records_series' lines */
	const unsigned char *const *opinion_bytes;	/* one per opinion */
	const size_t *opinion_sizes;
};

/*
 * A Bundle of type "collection": Patient, Practitioner (each specialist,
 * and the referrer when a provider asked), ServiceRequest, Task (status
 * from the case state), a DocumentReference per record (size, SHA-256 as
 * an identifier, the entry's name as its URL; a day-only record date as
 * its context period), an ImagingStudy per DICOM study (its uid, day,
 * modality, description, series and counts), a DiagnosticReport per
 * opinion (code LOINC 11488-4, ICD-10-CM conclusion codes, the opinion
 * attached as base64) and Consent.  Every reference is a urn:uuid fullUrl
 * of the bundle; the uuids derive from the case id, so a re-export is the
 * same bundle.  No element is empty: what is not known is left out.
 * NULL when a string holds a control character FHIR strings cannot carry
 * (only tab, CR and LF are allowed): where (n bytes) then names the
 * element, "entry[2].resource.name[0].text", never its value.
 */
json_t *rso_fhir_bundle(const struct rso_fhir_case *fc, char *where,
    size_t n);

#endif
