#!/bin/sh
# bench/dicom.sh: reading the identifying header of 2,000 DICOM files
# (256x256 images, explicit and implicit VR), rso-collect scan against
# dcmdump stopping before the pixel data and printing the same fields.
# Prints bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
t=${BENCH_TMP:?}
n=${BENCH_DICOM_FILES:-2000}
command -v dcmdump >/dev/null || { echo "dicom.sh: dcmtk not installed, skipped" >&2; exit 0; }

gen-dicom --bench "$n" "$t/dicom"
/usr/bin/time -f '%e %M' -o "$t/tr" sh -c "dcmdump -q -M +sb 7fe0,0010 \
    +P PatientName +P PatientID +P PatientBirthDate +P StudyInstanceUID \
    +P SeriesInstanceUID +P SOPInstanceUID +P StudyDate +P Modality \
    +P BodyPartExamined +P StudyDescription '$t'/dicom/*.dcm >/dev/null"
/usr/bin/time -f '%e %M' -o "$t/ti" sh -c "rso-collect scan '$t/dicom' >/dev/null"
read -r rs rk <"$t/ti"
read -r ss _ <"$t/tr"
printf 'DICOM headers of %d files\t%s\tdcmdump +sb 7fe0,0010\t%s\t%s\n' "$n" "$rs" "$ss" "$rk"
