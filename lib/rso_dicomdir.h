/* rso_dicomdir: a case's DICOM studies as a file-set with a DICOMDIR. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_DICOMDIR_H
#define RSO_DICOMDIR_H

#include "rso_age.h"
#include "rso_err.h"
#include "rso_store.h"

/*
 * Write the case's DICOM instances that are not held as a DICOM file-set
 * (PS3.10, the General Purpose CD-R profile's layout) in dir/name:
 *
 *   DICOMDIR                      Media Storage Directory, explicit VR
 *                                 little endian: a PATIENT record per
 *                                 PatientID, STUDY, SERIES and an
 *                                 instance record of the type its SOP
 *                                 class takes (IMAGE, SR DOCUMENT, KEY
 *                                 OBJECT DOC, RT DOSE, RT STRUCTURE SET,
 *                                 RT PLAN, RT TREAT RECORD, PRESENTATION,
 *                                 WAVEFORM, ENCAP DOC, RAW DATA,
 *                                 REGISTRATION, FIDUCIAL), with offsets
 *   DICOM/STnnnnnn/SEnnnnnn/IMnnnnnn   each instance as a Part 10 file
 *
 * Each record carries its instances' values (StudyID, dates and times,
 * SeriesNumber, Modality, InstanceNumber, and its type's keys, e.g. an
 * SR's flags and ConceptNameCodeSequence); a Type 1 value the instances
 * lack is filled as rso-export(1) says.  An instance filed without a
 * preamble or file meta gets them (its data set is kept byte for byte).
 * Instances are streamed from the case archive (read with ids), one at
 * a time: what the DICOMDIR needs of each is kept in a database of its
 * own in the folder being built, and the DICOMDIR written from it a
 * record at a time, so memory does not grow with the study.  The folder
 * is built as a dot-temp folder in dir and renamed into place whole
 * (replacing an older one with force); on failure nothing is left.  EX_DATAERR "CASE: no DICOM to export" when
 * the case has none.  sha256 gets the SHA-256 of the DICOMDIR written.
 */
int rso_dicomdir_write(struct rso_store *s, const char *id,
    const struct rso_age_identities *ids, const char *dir, const char *name,
    int force, char *sha256, struct rso_error *e);

#endif
