/* rso_name: is this the same person's name, as people write it? */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_NAME_H
#define RSO_NAME_H

#include <stddef.h>

/*
 * Whether a DICOM PatientName (PN: "FAMILY^GIVEN^MIDDLE^PREFIX^SUFFIX",
 * '=' separating alphabetic, ideographic and phonetic groups) names the
 * same person as a name written as people write it ("Jane Doe", "Doe,
 * Jane", "jane q. doe").
 *
 * Both are cut into words: letters and digits, case folded, accents
 * folded (é is e, ß is ss, Ø is o), apostrophes dropped (O'Neil is
 * oneil), any other character a break (Smith-Jones is smith jones).  The
 * PN's family and given words must all be in the written name, and every
 * word of the written name longer than one letter (initials do not count)
 * must be in the PN's family, given or middle words; prefixes and
 * suffixes (Dr, Jr) are ignored on both sides.  So DOE^JANE is "Jane
 * Doe" and "Jane Q Doe", but not "Jane Quinn Doe": the check errs on the
 * side of holding a study back for staff rather than filing it into the
 * wrong patient's case.  Each '='-group of the PN is tried.  Empty names
 * never match.
 */
int rso_name_match(const char *dicom_pn, const char *written);

/*
 * A written name cut as exports need it (HL7 XPN, FHIR HumanName, XDS
 * PID-5): the family name is the last word, the given names the words
 * before it, the first *given_len bytes of name (0 for a single word, the
 * whole name then being the family).  Returns the family name.
 */
const char *rso_name_family(const char *name, size_t *given_len);

#endif
