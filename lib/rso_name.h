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
 * wrong patient's case.  Each '='-group of the PN is tried (alphabetic,
 * ideographic, phonetic).  The spaces of other scripts (U+3000 and the
 * like) and the katakana middle dot separate words too, and a written
 * name of one word in another script matches a group whose family and
 * given names run together make it ("山田太郎" is 山田^太郎), as Chinese,
 * Japanese and Korean names are written.  Empty names never match.
 */
int rso_name_match(const char *dicom_pn, const char *written);

/*
 * A written name cut as exports need it (HL7 XPN, FHIR HumanName, XDS
 * PID-5): blanks (space, tab) around it dropped, the family name the last
 * word, the given names the words before it with the blanks between
 * them kept.  A single word is the family name (given_len 0); a name of
 * blanks only is empty (both lengths 0).  The parts point into name.
 */
struct rso_name_parts {
	const char *given, *family;
	size_t given_len, family_len;
};
void rso_name_split(const char *name, struct rso_name_parts *p);

#endif
