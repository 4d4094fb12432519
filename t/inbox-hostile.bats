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

# A drop folder mounted by a test (a small tmpfs) is let go, pass or fail.
teardown() {
	umount "$BATS_TEST_TMPDIR/drop" 2>/dev/null || true
	# Files a test made immutable are let go too, for bats to remove.
	chattr -R -i "$BATS_TEST_TMPDIR/drop" 2>/dev/null || true
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
	[ -e drop/x ]
	[ ! -e drop/.rejected ]
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
	[ "$stderr" = "rso-collect: drop: entry 1: names no patient, and no request token or case id in the name or a sidecar (moved to .rejected)
rso-collect: drop: entry 2: names no patient, and no request token or case id in the name or a sidecar (moved to .rejected)" ]
	# rso.db is still the store, not a reason.
	[ "$(sqlite3 "$RSO_HOME/rso.db" 'pragma integrity_check')" = ok ]
	[ -L drop/.rejected/x.reason ]
	[ "$(cat drop/.rejected/x.2)" = junk ]
	[ "$(cat drop/.rejected/x.2.reason)" = "names no patient, and no request token or case id in the name or a sidecar" ]
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
	[ -p drop/RSO-2026-000001-folder/pipe ]
	[ ! -e drop/RSO-2026-000001-folder/letter.txt ]
	[ -p drop/RSO-2026-000001-fifo ]
	[ -L drop/RSO-2026-000001-link.txt ]
	[ -S drop/RSO-2026-000001-sock ]
	[ -e drop/RSO-2026-000001-note.txt ]
	[ -p drop/RSO-2026-000001-note.txt.json ]
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

@test "inbox-hostile: an entry is taken once settled: --settle, inbox.settle_seconds, 60 s by default" {
	echo 'fresh' >drop/RSO-2026-000001-fresh.txt
	echo 'old' >drop/RSO-2026-000001-old.txt
	touch -d '-2 minutes' drop/RSO-2026-000001-old.txt
	snapshot
	run -0 --separate-stderr timeout 60 rso-collect inbox drop
	[ "$stderr" = "rso-collect: drop: entry 1: changed less than 60s ago (left for a later run)" ]
	[ "$(jq -r .size <<<"$output")" -eq 4 ]
	[ -e drop/RSO-2026-000001-fresh.txt ]
	[ ! -e drop/RSO-2026-000001-old.txt ]
	run -0 --separate-stderr timeout 60 rso-collect -q inbox drop
	[ -z "$stderr" ]
	[ -z "$output" ]
	echo '{"inbox":{"settle_seconds":"soon"}}' >"$RSO_HOME/config.json"
	run -78 --separate-stderr timeout 60 rso-collect inbox drop
	[ "$stderr" = "rso-collect: config.json: inbox.settle_seconds: not a whole number" ]
	run -64 --separate-stderr timeout 60 rso-collect inbox --settle 1m drop
	[ "${stderr_lines[0]}" = "rso-collect: --settle: not a number of seconds" ]
	echo '{"inbox":{"settle_seconds":0}}' >"$RSO_HOME/config.json"
	run -0 timeout 60 rso-collect inbox drop
	[ "$(jq -r .size <<<"$output")" -eq 6 ]
	invariant
}

@test "inbox-hostile: an upload written in chunks is filed whole, once it has settled" {
	( for i in 1 2 3 4 5 6; do head -c 100000 /dev/urandom >>drop/RSO-2026-000001-upload.bin; sleep 0.4; done ) &
	writer=$!
	# Runs while it is being written file nothing of it.
	for k in 1 2 3 4 5; do
		run -0 timeout 60 rso-collect -q inbox --settle 2 drop
		[ -z "$output" ]
		sleep 0.4
	done
	wait "$writer"
	snapshot
	sleep 3
	run -0 timeout 60 rso-collect -q inbox --settle 2 drop
	[ "$(jq -r .size <<<"$output")" -eq 600000 ]
	[ ! -e drop/RSO-2026-000001-upload.bin ]
	invariant
}

@test "inbox-hostile: a file that changes while it is filed is not filed, and stays for the next run" {
	head -c 30000000 /dev/urandom >drop/RSO-2026-000001-growing.bin
	( while [ ! -e stop ]; do echo more >>drop/RSO-2026-000001-growing.bin; sleep 0.005; done ) &
	writer=$!
	run -75 --separate-stderr timeout 60 rso-collect inbox --settle 0 drop
	touch stop
	wait "$writer"
	[ "$stderr" = "rso-collect: drop: entry 1: changed while being filed" ]
	[ -z "$output" ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" 'select count(*) from records')" -eq 0 ]
	[ ! -e drop/.rejected/RSO-2026-000001-growing.bin ]
	snapshot
	run -0 timeout 60 rso-collect inbox --settle 0 drop
	[ "$(jq -r .sha256 <<<"$output")" = "$(jq -r '.[0].sha256' dropped.json)" ]
	invariant
}

@test "inbox-hostile: a file added to a folder entry during the run is filed then or by the next run" {
	mkdir drop/RSO-2026-000001-folder
	for i in $(seq 1 400); do echo "page $i" >"drop/RSO-2026-000001-folder/p$i.txt"; done
	snapshot
	# Added while the run reads the folder (or, if it came too late, into
	# a folder already filed and gone: then there is nothing to add).
	( sleep 0.1; if echo 'late page' >drop/RSO-2026-000001-folder/late.txt 2>/dev/null; then touch added; fi ) &
	adder=$!
	run -0 timeout 60 rso-collect inbox --settle 0 drop
	wait "$adder"
	# Filed now, or still there for the next run: never removed unfiled.
	if [ -e drop/RSO-2026-000001-folder/late.txt ]; then
		run -0 timeout 60 rso-collect inbox --settle 0 drop
	fi
	[ ! -e drop/RSO-2026-000001-folder ]
	want=400
	[ ! -e added ] || want=401
	[ "$(sqlite3 "$RSO_HOME/rso.db" 'select count(*) from records')" -eq "$want" ]
	if [ -e added ]; then
		[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from records where sha256 = '$(echo 'late page' | sha256sum | cut -d' ' -f1)'")" -eq 1 ]
	fi
	invariant
}

@test "inbox-hostile: files filed that cannot be removed stay, named by count and reason; the next run removes them" {
	# 40 files are removed by several threads at once, 3 by the run alone.
	mkdir drop/RSO-2026-000001-many drop/RSO-2026-000001-few
	for i in $(seq 1 40); do echo "page $i" >"drop/RSO-2026-000001-many/p$i.txt"; done
	for i in 1 2 3; do echo "leaf $i" >"drop/RSO-2026-000001-few/l$i.txt"; done
	# Immutable: even root's unlink is refused (EPERM).
	chattr +i drop/RSO-2026-000001-many/p7.txt drop/RSO-2026-000001-many/p23.txt \
	    drop/RSO-2026-000001-few/l2.txt 2>/dev/null || skip "no chattr +i here"
	snapshot
	run -0 --separate-stderr inbox
	[ "$stderr" = "rso-collect: drop: entry 1: filed, but 1 of its files could not be removed: Operation not permitted (they stay; the next run finds them filed)
rso-collect: drop: entry 2: filed, but 2 of its files could not be removed: Operation not permitted (they stay; the next run finds them filed)" ]
	[ "$(jq -s 'map(select(.item)) | length' <<<"$output")" -eq 43 ]
	# Only those three stay (the lock and .rejected are the run's own).
	[ "$(find drop -type f -not -name '.*' | sort)" = "$(printf '%s\n' drop/RSO-2026-000001-few/l2.txt drop/RSO-2026-000001-many/p23.txt drop/RSO-2026-000001-many/p7.txt | sort)" ]
	invariant
	chattr -R -i drop
	run -0 --separate-stderr inbox
	[ -z "$stderr" ]
	[ "$(jq -s 'map(select(.existing == true)) | length' <<<"$output")" -eq 3 ]
	[ ! -e drop/RSO-2026-000001-many ]
	[ ! -e drop/RSO-2026-000001-few ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" 'select count(*) from records')" -eq 43 ]
	invariant
}

@test "inbox-hostile: a folder with no room to list an entry's files: filed, every file stays, the next run removes them" {
	if ! mount -t tmpfs -o size=8m,nr_inodes=1000 tmpfs drop 2>/dev/null; then
		skip "cannot mount a tmpfs here"
	fi
	run -0 inbox
	mkdir drop/RSO-2026-000001-folder
	for i in $(seq 1 300); do echo "page $i" >"drop/RSO-2026-000001-folder/p$i.txt"; done
	snapshot
	# Every inode taken: the list's spool cannot be made in the folder.
	i=0
	while touch "drop/.fill-$i" 2>/dev/null; do i=$((i + 1)); done
	run -0 --separate-stderr inbox
	[ "$stderr" = "rso-collect: drop: entry 1: filed, but the list of its files to remove was lost (they stay; the next run finds them filed)" ]
	[ "$(wc -l <<<"$output")" -eq 300 ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" 'select count(*) from records')" -eq 300 ]
	[ "$(find drop/RSO-2026-000001-folder -type f | wc -l)" -eq 300 ]
	rm -f drop/.fill-*
	run -0 --separate-stderr inbox
	[ -z "$stderr" ]
	[ "$(jq -s 'map(select(.existing == true)) | length' <<<"$output")" -eq 300 ]
	[ ! -e drop/RSO-2026-000001-folder ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" 'select count(*) from records')" -eq 300 ]
	invariant
}

@test "inbox-hostile: a drop folder on FUSE (bindfs), where no file can be unnamed: filed the same, no spool left" {
	command -v bindfs >/dev/null || skip "bindfs not installed"
	mkdir real
	bindfs --no-allow-other real drop 2>/dev/null || skip "cannot mount FUSE here"
	if python3 -c 'import os; os.open("drop", os.O_TMPFILE | os.O_RDWR, 0o600)' 2>/dev/null; then
		skip "this FUSE makes unnamed files"
	fi
	mkdir drop/RSO-2026-000001-folder pages
	for i in $(seq 1 50); do echo "page $i" >"drop/RSO-2026-000001-folder/p$i.txt"; done
	for i in 1 2 3; do echo "zipped page $i" >"pages/z$i.txt"; done
	(cd pages && bsdtar -a -cf ../drop/RSO-2026-000001-pages.zip z1.txt z2.txt z3.txt)
	snapshot
	run -0 --separate-stderr inbox
	[ -z "$stderr" ]
	[ "$(wc -l <<<"$output")" -eq 53 ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" 'select count(*) from records')" -eq 53 ]
	# Only what the inbox keeps there: the spools were named, and unlinked.
	[ "$(ls -A drop | tr '\n' ' ')" = ".rejected .rso-inbox.lock " ]
	[ -z "$(ls -A real/.rejected)" ]
	invariant
}

# A hospital CD: dcmtk-written instances under DICOM/, the DICOMDIR dcmmkdir
# makes for them, a README, an AUTORUN.INF and a viewer program; with no
# case id in its name, the instances find their case by patient.
@test "inbox-hostile: a real CD image (genisoimage) files its instances and accounts for the rest" {
	mkdir -p cd/DICOM src
	gen-dicom --study src n=3 tag=cd
	for i in 1 2 3; do dcmconv -q +te "src/IM0000$i.dcm" "cd/DICOM/IM0000$i"; done
	(cd cd && dcmmkdir -q --recurse +I DICOM)
	[ -f cd/DICOMDIR ]
	printf 'Open VIEWER.EXE to see the images.\r\n' >cd/README.TXT
	printf '[autorun]\r\nopen=VIEWER.EXE\r\n' >cd/AUTORUN.INF
	head -c 4096 /usr/bin/true >cd/VIEWER.EXE
	printf '%%PDF-1.4\n%% a synthetic referral letter\n' >cd/LETTER.PDF
	genisoimage -quiet -r -o drop/hospital-cd.iso cd
	snapshot
	run -0 --separate-stderr inbox
	[ -z "$stderr" ]
	run -0 jq -sc '[.[] | select(.item) | .type] | sort' <<<"$output"
	assert_output '["imaging","imaging","imaging","other"]'
	run -0 sqlite3 "$RSO_HOME/rso.db" "select json_extract(value, '\$.name') || ' ' || json_extract(value, '\$.size') || ' ' || json_extract(value, '\$.sha256') from events, json_each(json_extract(events.data, '\$.files')) where events.type = 'records.furniture' and events.case_id = 'RSO-2026-000001' order by 1"
	want=$(cd cd && for f in AUTORUN.INF DICOMDIR README.TXT VIEWER.EXE; do echo "$f $(stat -c %s $f) $(sha256sum <$f | cut -d' ' -f1)"; done)
	[ "$output" = "$want" ]
	[ ! -e drop/hospital-cd.iso ]
	invariant
	# One stray file among the instances of a folder never rejects them.
	mkdir drop/scans
	gen-dicom --study drop/scans n=2 tag=stray
	echo 'a note the scanner left' >drop/scans/note.txt
	# Nor does a file that looks like DICOM and is no instance.
	head -c 300 drop/scans/IM00001.dcm >drop/scans/cut.dcm
	snapshot
	run -0 --separate-stderr inbox
	[[ "$stderr" =~ ^"rso-collect: drop: entry 1: member "[0-9]": DICOM: "[a-z].*" (filed as a file, not an instance)"$ ]]
	run -0 jq -sc '[.[] | select(.item) | .type] | sort' <<<"$output"
	assert_output '["imaging","imaging","other","other"]'
	invariant
}

# A tar or a Windows zip names its members in whatever set the sender's
# machine used: a viewer named in Latin-1 is still accounted for.
@test "inbox-hostile: furniture named in bytes that are not UTF-8 is accounted for by its name made UTF-8" {
	mkdir media
	printf 'Synthetic letter.\n' >media/letter.txt
	head -c 4096 /usr/bin/true >media/$'Visionneuse\xe9.exe'
	(cd media && bsdtar --format ustar -cf ../drop/RSO-2026-000001-media.tar letter.txt $'Visionneuse\xe9.exe')
	snapshot
	run -0 --separate-stderr inbox
	[ -z "$stderr" ]
	[ "$(jq -sc '[.[] | select(.item) | .type]' <<<"$output")" = '["other"]' ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select json_extract(value, '\$.name') || ' ' || json_extract(value, '\$.size') || ' ' || json_extract(value, '\$.sha256') from events, json_each(json_extract(events.data, '\$.files')) where events.type = 'records.furniture'"
	assert_output "Visionneuse"$'\xef\xbf\xbd'".exe 4096 $(head -c 4096 /usr/bin/true | sha256sum | cut -d' ' -f1)"
	invariant
}

@test "inbox-hostile: limits from config.json reject a zip bomb, a big sidecar, a crowded folder, whole" {
	/usr/bin/python3 - <<'PY'
import zipfile
with zipfile.ZipFile("drop/RSO-2026-000001-bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("zeros.bin", "w", force_zip64=True) as f:
        block = bytes(1 << 20)
        for _ in range(1024):
            f.write(block)
PY
	echo 'a note' >drop/RSO-2026-000001-note.txt
	head -c 70000 /dev/zero | tr '\0' ' ' >drop/RSO-2026-000001-note.txt.json
	mkdir drop/RSO-2026-000001-folder
	for i in 1 2 3; do echo "$i" >"drop/RSO-2026-000001-folder/$i.txt"; done
	(cd drop/RSO-2026-000001-folder && bsdtar -a -cf ../../drop/RSO-2026-000001-three.zip 1.txt 2.txt 3.txt)
	snapshot
	echo '{"inbox":{"max_members":2}}' >"$RSO_HOME/config.json"
	run -65 --separate-stderr /usr/bin/time -f 'maxrss %M' -o rss.txt timeout 120 rso-collect inbox --settle 0 drop
	echo "# zip bomb: peak RSS $(sed -n 's/^maxrss //p' rss.txt) KiB" >&3
	[ "$stderr" = "rso-collect: drop: entry 1: archive: expands to 100 times its size or more (inbox.max_ratio) (moved to .rejected)
rso-collect: drop: entry 2: folder: more than 2 files (inbox.max_members) (moved to .rejected)
rso-collect: drop: entry 3: sidecar: larger than 65536 bytes (inbox.max_sidecar_bytes) (moved to .rejected)
rso-collect: drop: entry 4: archive: more than 2 members (inbox.max_members) (moved to .rejected)" ]
	[ -z "$output" ]
	[ "$(cat drop/.rejected/RSO-2026-000001-bomb.zip.reason)" = "archive: expands to 100 times its size or more (inbox.max_ratio)" ]
	[ -e drop/.rejected/RSO-2026-000001-note.txt.json ]
	[ "$(ls drop/.rejected/RSO-2026-000001-folder | wc -l)" -eq 3 ]
	# No spool copy was left, and the bomb was never expanded to disk.
	[ "$(du -sm drop | cut -f1)" -lt 20 ]
	echo '{"inbox":{"max_ratio":100000,"max_expanded_bytes":1000000}}' >"$RSO_HOME/config.json"
	mv drop/.rejected/RSO-2026-000001-bomb.zip drop/
	run -65 --separate-stderr timeout 120 rso-collect inbox --settle 0 drop
	[ "$stderr" = "rso-collect: drop: entry 1: archive: expands to more than 1000000 bytes (inbox.max_expanded_bytes) (moved to .rejected)" ]
	invariant
}

@test "inbox-hostile: a zip of 100,000 members files in one run, memory flat" {
	/usr/bin/python3 - <<'PY'
import zipfile
with zipfile.ZipFile("drop/RSO-2026-000001-many.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(100000):
        z.writestr("m/%06d.txt" % i, "synthetic member %d\n" % i)
PY
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt timeout 1200 rso-collect -q inbox --settle 0 drop
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# 100,000-member zip: peak RSS ${rss} KiB, archive $(du -sk "$RSO_HOME/archives/RSO-2026-000001" | cut -f1) KiB" >&3
	[ "$(jq -s '[.[] | select(.item)] | length' <<<"$output")" -eq 100000 ]
	grep -q __asan_init "$(command -v rso-collect)" || [ "$rss" -lt 131072 ]
	[ ! -e drop/RSO-2026-000001-many.zip ]
	run -0 rso-case verify
	run -0 rso-bill check
}

@test "inbox-hostile: files beside instances of several cases, or furniture alone, with no case: rejected whole" {
	jq -c '.ref="t-2" | .patient.name="Test Beta"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000002 --providers "*" --expires 2027-06-30 >/dev/null
	mkdir -p drop/mixed drop/viewer
	gen-dicom --study drop/mixed n=1 tag=alpha
	mv drop/mixed/IM00001.dcm drop/mixed/alpha.dcm
	gen-dicom --study drop/mixed n=1 tag=beta name=TEST^BETA
	echo 'whose letter?' >drop/mixed/letter.txt
	printf 'Open VIEWER.EXE.\r\n' >drop/viewer/README.TXT
	printf '[autorun]\r\n' >drop/viewer/AUTORUN.INF
	snapshot
	run -65 --separate-stderr inbox
	[[ "${stderr_lines[0]}" =~ ^"rso-collect: drop: entry 1: member "[0-9]": names no patient, and the entry's records are of several cases (moved to .rejected)"$ ]]
	[ "${stderr_lines[1]}" = "rso-collect: drop: entry 2: nothing but media furniture, and no request token or case id in the name or a sidecar (moved to .rejected)" ]
	# The instances went to their cases; the entry is kept whole all the same.
	[ "$(jq -r .case <<<"$output" | sort | tr '\n' ' ')" = "RSO-2026-000001 RSO-2026-000002 " ]
	[ "$(ls drop/.rejected/mixed | wc -l)" -eq 3 ]
	[ -e drop/.rejected/viewer/README.TXT ]
	[ "$(cat drop/.rejected/viewer.reason)" = "nothing but media furniture, and no request token or case id in the name or a sidecar" ]
	invariant
}
