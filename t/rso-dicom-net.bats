#!/usr/bin/env bats
# DICOM over the network, as another hospital's PACS sends it: dcmtk's
# storescu pushes a study to storescp on the loopback interface, storescp
# hands each finished study to the inbox with rso-storescp-handoff, and
# the inbox files it to its case by patient.  Synthetic studies only.
load lib

local_setup() {
	need storescp storescu
	init_with_key
	# Case 1 is Test Alpha, born 1961-03-01 (TEST^ALPHA, as gen-dicom writes).
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-06-30 >/dev/null
	mkdir staging inbox
}

teardown() {
	[ -z "${SCP:-}" ] || kill "$SCP" 2>/dev/null || true
}

# A storescp on a free loopback port, ending each study after 1 s of quiet.
start_scp() {
	local i
	for i in 1 2 3 4 5; do
		PORT=$((20000 + RANDOM % 20000))
		storescp -od staging -su study -tos 1 \
		    -xcs "$TOP/scripts/rso-storescp-handoff #p $PWD/inbox" \
		    "$PORT" 2>scp.log &
		SCP=$!
		sleep 0.5
		kill -0 "$SCP" 2>/dev/null && return 0
	done
	return 1
}

# Wait up to 30 s for n entries in the inbox.
handed_over() {
	local i
	for i in $(seq 1 60); do
		[ "$(find inbox -mindepth 1 -maxdepth 1 | wc -l)" -ge "$1" ] && return 0
		sleep 0.5
	done
	return 1
}

@test "rso-dicom-net: a study pushed with storescu is handed over whole and filed to its patient's case" {
	gen-dicom --study sent n=4 tag=net modality=CT date=20260914
	start_scp
	run -0 storescu -aec STORESCP 127.0.0.1 "$PORT" sent/*.dcm
	handed_over 1
	# The entry is the whole study, never part of it.
	[ "$(find inbox -type f | wc -l)" -eq 4 ]
	[ "$(find staging -type f | wc -l)" -eq 0 ]
	run -0 rso-collect inbox --settle 0 inbox
	[ "$(jq -r .case <<<"$output" | sort -u)" = RSO-2026-000001 ]
	# The instances filed are the ones sent, by pydicom's reading.
	want=$(/usr/bin/python3 -c 'import pydicom,sys; print("\n".join(sorted(str(pydicom.dcmread(f).SOPInstanceUID) for f in sys.argv[1:])))' sent/*.dcm)
	[ "$(jq -r .sop <<<"$output" | sort)" = "$want" ]
	[ -z "$(ls inbox)" ]
}

@test "rso-dicom-net: the same study sent twice is two entries, and each instance is filed once" {
	gen-dicom --study sent n=2 tag=twice
	start_scp
	storescu -aec STORESCP 127.0.0.1 "$PORT" sent/*.dcm
	handed_over 1
	storescu -aec STORESCP 127.0.0.1 "$PORT" sent/*.dcm
	handed_over 2
	[ "$(find inbox -type f | wc -l)" -eq 4 ]
	run -0 rso-collect inbox --settle 0 inbox
	[ -z "$(ls inbox)" ]
	# Two filed, and the same two again named as existing.
	[ "$(jq -s '[.[] | select(.sop)] | length' <<<"$output")" -eq 2 ]
	[ "$(jq -s '[.[] | select(.existing)] | length' <<<"$output")" -eq 2 ]
	run -0 rso-collect ls RSO-2026-000001
	[ "$(jq -s '[.[] | select(.study) | .instances]' -c <<<"$output")" = "[2]" ]
}

@test "rso-dicom-net: rso-storescp-handoff refuses what it cannot hand over atomically" {
	run -64 --separate-stderr rso-storescp-handoff staging
	[ "$stderr" = "usage: rso-storescp-handoff STUDYDIR INBOX" ]
	run -66 --separate-stderr rso-storescp-handoff staging/none inbox
	[ "$stderr" = "rso-storescp-handoff: staging/none: not a folder" ]
	mkdir staging/study_1
	run -73 --separate-stderr rso-storescp-handoff staging/study_1 nowhere
	[ "$stderr" = "rso-storescp-handoff: nowhere: not a folder" ]
	[ -d staging/study_1 ]
	# Another file system: /dev/shm is a tmpfs wherever /tmp is not.
	[ "$(stat -c %d /dev/shm)" != "$(stat -c %d .)" ] || skip "/dev/shm is on this file system"
	other=$(mktemp -d /dev/shm/rso-inbox.XXXXXX)
	run -73 --separate-stderr rso-storescp-handoff staging/study_1 "$other"
	rmdir "$other"
	[ "$stderr" = "rso-storescp-handoff: staging/study_1 and $other are on two file systems; a rename would not be atomic" ]
	[ -d staging/study_1 ]
}
