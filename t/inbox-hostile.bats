#!/usr/bin/env bats
# rso-collect inbox in a drop folder shared with other people, programs and
# real CDs.  The rule: after any run, every byte that was in the folder is
# in a case archive, still in the folder, or in .rejected/ with its
# reason.  Each test ends by checking it byte for byte (invariant).
load lib

local_setup() {
	init_with_key
	# Case 1 is Test Alpha, born 1961-03-01 (TEST^ALPHA, as gen-dicom writes).
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-06-30 >/dev/null
	mkdir -p drop
}

# What is in the drop folder now, by SHA-256 (members of archives too).
snapshot() {
	/usr/bin/python3 "$TOP/t/helpers/inbox-invariant.py" snapshot drop >"$BATS_TEST_TMPDIR/dropped.json"
}

# The rule, byte for byte, and the store's own checks.
invariant() {
	/usr/bin/python3 "$TOP/t/helpers/inbox-invariant.py" check drop "$BATS_TEST_TMPDIR/dropped.json"
	rso-case verify >/dev/null
	rso-bill check >/dev/null
}

inbox() {
	timeout 120 rso-collect inbox --settle 0 "$@" drop
}

@test "inbox-hostile: a .rejected that is a link or a file stops the run, touching nothing" {
	mkdir elsewhere
	ln -s "$PWD/elsewhere" drop/.rejected
	echo junk >drop/x
	snapshot
	db=$(sha256sum "$RSO_HOME/rso.db")
	run -73 --separate-stderr inbox
	[ "$stderr" = "rso-collect: drop/.rejected: a symbolic link, not a folder" ]
	[ -z "$output" ]
	[ "$(ls -A elsewhere)" = "" ]
	[ ! -e drop/.rso-inbox.lock ]
	[ "$(sha256sum "$RSO_HOME/rso.db")" = "$db" ]
	rm drop/.rejected
	echo 'a file' >drop/.rejected
	run -73 --separate-stderr inbox
	[ "$stderr" = "rso-collect: drop/.rejected: a file, not a folder" ]
	[ "$(cat drop/.rejected)" = 'a file' ]
	[ ! -e drop/.rso-inbox.lock ]
	invariant
}

@test "inbox-hostile: a linked lock is not followed, a FIFO lock never blocks" {
	ln -s "$RSO_HOME/made-by-lock" drop/.rso-inbox.lock
	echo junk >drop/x
	snapshot
	run -73 --separate-stderr inbox
	[ "$stderr" = "rso-collect: drop/.rso-inbox.lock: a symbolic link, not a file" ]
	[ ! -e "$RSO_HOME/made-by-lock" ]
	rm drop/.rso-inbox.lock
	mkfifo drop/.rso-inbox.lock
	run -73 --separate-stderr inbox
	[ "$stderr" = "rso-collect: drop/.rso-inbox.lock: a FIFO, not a file" ]
	[ -e drop/x ] && [ ! -e drop/.rejected ]
	invariant
}

@test "inbox-hostile: links in .rejected are never written through, nothing there is replaced" {
	mkdir drop/.rejected
	ln -s "$RSO_HOME/rso.db" drop/.rejected/x.reason
	echo 'rejected before' >drop/.rejected/y
	echo junk >drop/x
	echo 'junk two' >drop/y
	snapshot
	run -65 --separate-stderr inbox
	[ "$stderr" = "rso-collect: drop: entry 1: not DICOM, and no request token or case id in the name or a sidecar (moved to .rejected)
rso-collect: drop: entry 2: not DICOM, and no request token or case id in the name or a sidecar (moved to .rejected)" ]
	# rso.db is still the store, not a reason.
	[ "$(sqlite3 "$RSO_HOME/rso.db" 'pragma integrity_check')" = ok ]
	[ -L drop/.rejected/x.reason ]
	[ "$(cat drop/.rejected/x.2)" = junk ]
	[ "$(cat drop/.rejected/x.2.reason)" = "not DICOM, and no request token or case id in the name or a sidecar" ]
	[ "$(cat drop/.rejected/y)" = 'rejected before' ]
	[ "$(cat drop/.rejected/y.2)" = 'junk two' ]
	[ -z "$(ls -A drop | grep -v '^\.')" ]
	invariant
}

@test "inbox-hostile: FIFOs, sockets and links as entries, sidecars and members are reported and left alone" {
	mkfifo drop/RSO-2026-000001-fifo
	ln -s /etc/hostname drop/RSO-2026-000001-link.txt
	/usr/bin/python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' drop/RSO-2026-000001-sock
	echo 'a note' >drop/RSO-2026-000001-note.txt
	mkfifo drop/RSO-2026-000001-note.txt.json
	mkdir drop/RSO-2026-000001-folder
	echo 'a letter' >drop/RSO-2026-000001-folder/letter.txt
	mkfifo drop/RSO-2026-000001-folder/pipe
	snapshot
	run -65 --separate-stderr inbox
	[ "${#stderr_lines[@]}" -eq 5 ]
	[ "${stderr_lines[0]}" = "rso-collect: drop: entry 1: a FIFO, not a file or folder (left alone)" ]
	# readdir's order numbers the members: the FIFO is the first or second.
	[[ "${stderr_lines[1]}" =~ ^"rso-collect: drop: entry 2: member "[12]": a FIFO, not a file (left alone)"$ ]]
	[ "${stderr_lines[2]}" = "rso-collect: drop: entry 3: a symbolic link, not a file or folder (left alone)" ]
	[ "${stderr_lines[3]}" = "rso-collect: drop: entry 4: sidecar: a FIFO, not a file (left alone)" ]
	[ "${stderr_lines[4]}" = "rso-collect: drop: entry 5: a socket, not a file or folder (left alone)" ]
	# The letter beside the FIFO is filed; the FIFO and its folder stay.
	[ "$(jq -r .type <<<"$output")" = other ]
	[ -p drop/RSO-2026-000001-folder/pipe ] && [ ! -e drop/RSO-2026-000001-folder/letter.txt ]
	[ -p drop/RSO-2026-000001-fifo ] && [ -L drop/RSO-2026-000001-link.txt ] && [ -S drop/RSO-2026-000001-sock ]
	[ -e drop/RSO-2026-000001-note.txt ] && [ -p drop/RSO-2026-000001-note.txt.json ]
	[ ! -e drop/.rejected/RSO-2026-000001-fifo ]
	invariant
}

@test "inbox-hostile: scan and add never open a FIFO or follow a link" {
	mkdir cd
	gen-dicom --study cd n=1
	mkfifo cd/pipe fifo
	ln -s /etc/hostname link.txt
	run -65 --separate-stderr timeout 20 rso-collect scan cd
	[ "$stderr" = "rso-collect: argument 1: file 2: a FIFO, not a file or folder (left alone)" ]
	[ "$(jq -r .file <<<"$output")" = cd/IM00001.dcm ]
	run -65 --separate-stderr timeout 20 rso-collect scan fifo
	[ "$stderr" = "rso-collect: argument 1: a FIFO, not a file or folder (left alone)" ]
	echo 'a note' >note.txt
	run -66 --separate-stderr timeout 20 rso-collect add RSO-2026-000001 fifo link.txt note.txt
	[ "$stderr" = "rso-collect: argument 2: a FIFO, not a regular file
rso-collect: argument 3: a symbolic link, not a regular file" ]
	[ "$(jq -r .item <<<"$output")" = 0001 ]
}

@test "inbox-hostile: dot-files and DICOMDIR in folders, zips and ISOs are filed or accounted for" {
	mkdir -p drop/RSO-2026-000001-folder cd z
	echo 'hidden notes' >drop/RSO-2026-000001-folder/.notes.txt
	echo 'finder junk' >drop/RSO-2026-000001-folder/.DS_Store
	echo 'an index' >drop/RSO-2026-000001-folder/dicomdir
	echo 'zip hidden' >z/.hidden
	echo 'zip index' >z/DICOMDIR
	(cd z && bsdtar -a -cf ../drop/RSO-2026-000001-z.zip .hidden DICOMDIR)
	mkdir iso
	echo 'iso index' >iso/DICOMDIR
	echo 'iso report' >iso/report.txt
	genisoimage -quiet -R -o drop/RSO-2026-000001-cd.iso iso
	snapshot
	run -0 --separate-stderr inbox
	# Two hidden files and the ISO's report are records ...
	[ "$(jq -s '[.[] | select(.item)] | length' <<<"$output")" -eq 3 ]
	# ... the DICOMDIRs and .DS_Store are furniture, on the case's record.
	[ "$(jq -s '[.[] | .furniture // 0] | add' <<<"$output")" -eq 4 ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select json_extract(value, '\$.name') from events, json_each(json_extract(data, '\$.files')) where events.type = 'records.furniture' order by 1"
	assert_output $'.DS_Store\nDICOMDIR\nDICOMDIR\ndicomdir'
	[ -z "$(ls -A drop | grep -v '^\.')" ]
	invariant
}

@test "inbox-hostile: each duplicate is named, two instances with one SOP Instance UID too" {
	mkdir -p drop/RSO-2026-000001-copies a b
	echo 'same bytes' >drop/RSO-2026-000001-copies/one.txt
	echo 'same bytes' >drop/RSO-2026-000001-copies/two.txt
	gen-dicom --study a n=1 tag=dup time=101500
	gen-dicom --study b n=1 tag=dup time=111500
	! cmp -s a/IM00001.dcm b/IM00001.dcm
	mkdir drop/study
	cp a/IM00001.dcm drop/study/a.dcm
	cp b/IM00001.dcm drop/study/b.dcm
	snapshot
	run -0 --separate-stderr inbox
	[ "$(jq -s '[.[] | select(.item)] | length' <<<"$output")" -eq 2 ]
	run -0 jq -c 'select(.duplicate_of) | [.case, .duplicate_of, .where]' <<<"$output"
	assert_output '["RSO-2026-000001","0001","member 2"]
["RSO-2026-000001","0002","member 2"]'
	# The one instance not filed is the one named: the same SOP Instance
	# UID is the same instance, and the case keeps the first copy.
	run -1 /usr/bin/python3 "$TOP/t/helpers/inbox-invariant.py" check drop "$BATS_TEST_TMPDIR/dropped.json"
	[[ "$output" == "lost: study/"?".dcm" ]]
	run -0 rso-case verify
	run -0 rso-bill check
}
