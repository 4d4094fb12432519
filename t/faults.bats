#!/usr/bin/env bats
# Faults: a full disk, kill -9 at random points, and no patient data in
# any diagnostic of any program's failure paths.
load lib

local_setup() {
	init_with_key
}

# n requests, refs t-1..t-n, as JSON lines (one jq for all: a jq a line
# cost 84 s of the suite for the 3,000 of the intake test).
requests() {
	jq -c --argjson n "$1" 'range(1; $n + 1) as $i | .ref = "t-\($i)"' "$DATA/request.json"
}

@test "faults: kill -9 during intake, 20 times: verify passes, a re-run makes each case once" {
	requests 3000 >many.jsonl
	for k in $(seq 1 20); do
		kill_at_random rso-intake many.jsonl
		run -0 rso-case verify
	done
	run -0 rso-intake many.jsonl
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct ref) from cases"
	assert_output "3000|3000"
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where type = 'case.created'"
	assert_output 3000
	run -0 rso-case verify
	run -0 rso-bill check
}

# A store on a 4 MiB tmpfs, filled up with a file.  Skipped where the
# test may not mount (not root, or no CAP_SYS_ADMIN in a container).
small_store() {
	mkdir small
	if ! mount -t tmpfs -o size=4m,mode=0700 tmpfs small 2>/dev/null; then
		skip "cannot mount a tmpfs here"
	fi
	export RSO_HOME="$BATS_TEST_TMPDIR/small/home"
	rso-case init -q -r "$PUBKEY"
	requests 1 | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-06-30 >/dev/null
}

fill_up() {
	dd if=/dev/zero of=small/filler bs=64k 2>/dev/null || true
}

local_teardown() {
	umount "$BATS_TEST_TMPDIR/small" 2>/dev/null || true
}

teardown() {
	local_teardown
}

@test "faults: a full disk is exit 74 with a clean error; the work completes once there is space" {
	small_store
	head -c 600000 /dev/urandom >scan.bin
	requests 200 | sed 1d >more.jsonl
	# Room for the store to work, not for the record.
	fill_up
	rm small/filler
	dd if=/dev/zero of=small/filler bs=1k count=$(( $(df -k --output=avail small | tail -1) - 300 )) 2>/dev/null
	run -74 --separate-stderr rso-collect add RSO-2026-000001 scan.bin
	[ "$stderr" = "rso-collect: RSO-2026-000001: archive: write: No space left on device" ]
	# No room at all.
	fill_up
	run -74 --separate-stderr rso-intake more.jsonl
	[ "$stderr" = "rso-intake: db: disk full" ]
	# Nothing half-done: the chain holds, no segment was left behind.
	rm small/filler
	run -0 rso-case verify
	run -0 find "$RSO_HOME/archives" -type f ! -name .lock
	assert_output ''
	run -0 rso-collect add RSO-2026-000001 scan.bin
	[ "$(jq -r .item <<<"$output")" = 0001 ]
	run -0 rso-intake more.jsonl
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from cases"
	assert_output 200
	run -0 rso-case verify
	rso-collect cat RSO-2026-000001 1 | cmp - scan.bin
}

@test "faults: no diagnostic of any program names the patient" {
	export RSO_ACTOR=tester
	# The patient is ZZPHI ZZPHI, born on a day that is not a date.
	phi='.patient.name="ZZPHI Zzphi" | .patient.email="zzphi@example.org"'
	{
		jq -c ".ref=\"t-1\" | $phi" "$DATA/request.json"
		jq -c ".ref=\"t-2\" | $phi | .patient.birth_date=\"ZZPHI\"" "$DATA/request.json"
		jq -c ".ref=\"t-3\" | $phi | .patient.sex=\"ZZPHI\"" "$DATA/request.json"
		jq -c ".ref=\"t-4\" | $phi | .specialty=\"ZZPHI\"" "$DATA/request.json"
		jq -c ".ref=\"t-5\" | $phi | .patient.email=\"ZZPHI\"" "$DATA/request.json"
		jq -c ".ref=\"t-1\" | $phi | .patient.name=\"ZZPHI Other\"" "$DATA/request.json"
		echo '{"ref":"ZZPHI","patient":"ZZPHI"}'
		echo '{"ZZPHI": '
	} >in.jsonl
	{
		rso-intake in.jsonl
		printf 'ref,patient.name,patient.birth_date\r\nt-9,ZZPHI,ZZPHI\r\n' | rso-intake --csv -
		rso-intake consent RSO-2026-000001 --providers "ZZPHI" --expires ZZPHI
		rso-collect request RSO-2026-000001 --provider ZZPHI --contact fax:1 --what ZZPHI
		echo ZZPHI >"ZZPHI scan.txt"
		rso-collect add RSO-2026-000001 "ZZPHI scan.txt" "ZZPHI missing.pdf"
		mkdir -p in/ZZPHI-folder
		echo x >"in/ZZPHI Person.txt"
		echo '{"case":"ZZPHI"}' >in/ZZPHI.txt.json
		echo y >in/ZZPHI.txt
		gen-dicom --study in/ZZPHI-folder "name=ZZPHI^ZZPHI" n=1
		rso-collect inbox --settle 0 in
		gen-dicom --study cd "name=ZZPHI^ZZPHI" n=1
		head -c 300 cd/IM00001.dcm >cd/ZZPHI.dcm
		rso-collect scan cd/ZZPHI.dcm
		rso-case show ZZPHI
		rso-case cancel -r ZZPHI RSO-2026-000001
		rso-case survey RSO-2026-000001 --score ZZPHI
		rso-assign RSO-2026-000001
		rso-assign roster - <<<'{"id":"sp-x","name":"ZZPHI","specialty":"ZZPHI"}'
		rso-opinion record RSO-2026-000001 --outcome ZZPHI "ZZPHI.md"
		echo '{"kind":"records-followup","patient":{"name":"ZZPHI"}}' | rso-mail -n
	} >/dev/null 2>err.txt || true
	[ -s err.txt ]
	run -1 grep -i zzphi err.txt
	# And each program did complain about something.
	for p in rso-intake rso-collect rso-case rso-assign rso-opinion rso-mail; do
		grep -q "^$p: " err.txt || { echo "no diagnostic from $p"; cat err.txt; return 1; }
	done
}

@test "faults: kill -9 during inbox filing of a CD image and an upload still being written: nothing lost, each record once" {
	requests 1 | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-06-30 >/dev/null
	mkdir -p drop cd/DICOM src
	# A hospital CD with no case id on it: instances matched by patient,
	# DICOMDIR, README, AUTORUN.INF and a viewer as furniture.
	gen-dicom --study src "name=TEST^ALPHA" birth=19610301 n=40 size=16384 tag=killcd
	for f in src/IM*.dcm; do mv "$f" "cd/DICOM/$(basename "$f" .dcm)"; done
	(cd cd && dcmmkdir -q --recurse +I DICOM)
	printf 'Open VIEWER.EXE.\r\n' >cd/README.TXT
	printf '[autorun]\r\nopen=VIEWER.EXE\r\n' >cd/AUTORUN.INF
	head -c 4096 /usr/bin/true >cd/VIEWER.EXE
	genisoimage -quiet -r -o drop/hospital-cd.iso cd
	# Copied in a while ago: settled, so each run is killed filing it.
	touch -d '-1 minute' drop/hospital-cd.iso
	/usr/bin/python3 "$TOP/t/helpers/inbox-invariant.py" snapshot drop >cd.json
	# An upload written in chunks while the runs are killed: with a settle
	# time longer than its pauses, no run takes it before it is whole.
	( for i in $(seq 1 12); do head -c 50000 /dev/urandom >>drop/RSO-2026-000001-upload.bin; sleep 0.25; done ) &
	writer=$!
	for k in $(seq 1 20); do
		kill_at_random rso-collect inbox --settle 2 drop
		run -0 rso-case verify
	done
	wait "$writer"
	/usr/bin/python3 "$TOP/t/helpers/inbox-invariant.py" snapshot drop >all.json
	sleep 3
	run -0 rso-collect inbox --settle 2 drop
	run -0 find drop -mindepth 1 -not -name .rso-inbox.lock -not -path drop/.rejected
	assert_output ''
	/usr/bin/python3 "$TOP/t/helpers/inbox-invariant.py" check drop cd.json
	/usr/bin/python3 "$TOP/t/helpers/inbox-invariant.py" check drop all.json
	# Each instance once, the upload once and whole, the furniture on record.
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct sha256), count(sop_uid) from records where case_id = 'RSO-2026-000001'"
	assert_output "41|41|40"
	run -0 sqlite3 "$RSO_HOME/rso.db" "select size from records where media_type = 'application/octet-stream'"
	assert_output 600000
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where type = 'records.furniture'"
	[ "$output" -ge 1 ]
	run -0 rso-case verify
	run -0 rso-bill check
}

@test "faults: a zip with .. and absolute member names files the content and writes nothing outside" {
	requests 1 | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-06-30 >/dev/null
	mkdir -p drop/in
	/usr/bin/python3 - <<'PY'
import zipfile
with zipfile.ZipFile("drop/in/RSO-2026-000001-cd.zip", "w") as z:
    z.writestr("../../escaped.txt", "one")
    z.writestr("/tmp/absolute-rso-test.txt", "two")
    z.writestr("ok/../../../up.txt", "three")
PY
	run -0 rso-collect inbox --settle 0 drop/in
	[ "$(jq -s 'length' <<<"$output")" -eq 3 ]
	[ "$(jq -r .name <<<"$output" | grep -c '^records/[0-9]\{4\}-other\.txt$')" -eq 3 ]
	[ ! -e escaped.txt ]
	[ ! -e drop/escaped.txt ]
	[ ! -e /tmp/absolute-rso-test.txt ]
	[ ! -e up.txt ]
	# And a segment never holds such a name: tar lists only safe ones.
	for seg in "$RSO_HOME"/archives/RSO-2026-000001/*.age; do
		age -d -i "$RSO_IDENTITY" "$seg" | tar -tf -
	done >names.txt
	run -1 grep -E '(^/|\.\.)' names.txt
}

@test "faults: kill -9 during payment import, 20 times: check passes, a re-run posts each once" {
	echo '{"fee_gate":"none"}' >"$RSO_HOME/config.json"
	requests 300 | rso-intake >/dev/null
	rso-case list | rso-bill invoice >/dev/null
	for i in $(seq 1 3000); do
		# Amounts from 1.00 to 400.99, spread by i: never 0.00, which
		# rso-bill rightly refuses, and the same file every run.
		printf '{"id":"ch_%d","case":"RSO-2026-%06d","amount":"%d.%02d"}\n' \
		    "$i" $(( (i % 300) + 1 )) $(( (i * 7919) % 400 + 1 )) $(( (i * 31) % 100 ))
	done >pay.jsonl
	for k in $(seq 1 20); do
		kill_at_random rso-bill pay pay.jsonl
		run -0 rso-bill check
	done
	run -0 rso-bill pay pay.jsonl
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct processor_id) from payments"
	assert_output "3000|3000"
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from ledger_tx where kind = 'payment'"
	assert_output 3000
	run -0 rso-bill check
	run -0 rso-case verify
}

@test "faults: kill -9 during export, 20 times: no partial file, a re-run writes each once" {
	cp "$DATA/config-panel.json" "$RSO_HOME/config.json"
	jq '.fee_gate = "none"' "$RSO_HOME/config.json" >c
	mv c "$RSO_HOME/config.json"
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	for n in $(seq 1 40); do delivered_case "$n"; done
	mkdir ehr
	for k in $(seq 1 20); do
		kill_at_random rso-export --format hl7 --to ehr $(rso-case list --status delivered | jq -r .case)
		# Only whole files under their names; a killed write leaves at most
		# a dot-temp file, never a partial .hl7.
		for f in ehr/*.hl7; do
			[ -e "$f" ] || continue
			tail -c1 "$f" | od -An -tx1 | grep -q 0d
		done
	done
	# What the kills left, once 36 hours old, goes with the next export;
	# a fresh one (maybe still being written) and a stranger's stay.
	echo x >ehr/.RSO-2026-000001-primary.hl7.Zz9Yy8
	mkdir -p ehr/.RSO-2026-000003.Qq1Ww2/DICOM && echo x >ehr/.RSO-2026-000003.Qq1Ww2/DICOM/I1
	echo x >ehr/.seg-Ab12Cd
	find ehr -name '.*' -exec touch -d '2 days ago' {} +
	n=$(ls -A ehr | grep -c '^\.')
	echo x >ehr/.RSO-2026-000002-primary.hl7.AbCdEf
	echo x >ehr/.other.AbCdEf
	touch -d '2 days ago' ehr/.other.AbCdEf
	run -0 --separate-stderr bash -c 'rso-case list --status delivered | rso-export --format hl7 --to ehr'
	[ "$stderr" = "rso-export: ehr: removed $n unfinished exports older than 36 hours" ]
	[ "$(ls -A ehr | grep '^\.' | sort | tr '\n' ' ')" = ".RSO-2026-000002-primary.hl7.AbCdEf .other.AbCdEf " ]
	[ "$(ls ehr/*.hl7 | wc -l)" -eq 40 ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct case_id) from exports"
	assert_output "40|40"
	run -0 rso-case verify
	run -0 rso-bill check
}

@test "faults: kill -9 during inbox filing, 20 times: verify passes, a re-run files each record once" {
	requests 6 | rso-intake >/dev/null
	for n in 1 2 3 4 5 6; do
		rso-intake consent "RSO-2026-00000$n" --providers "*" --expires 2027-06-30 >/dev/null
	done
	mkdir -p drop
	# Enough entries that each kill lands mid-way: one run takes about 1 s.
	for i in $(seq 1 500); do
		head -c $(( 2000 + RANDOM % 8000 )) /dev/urandom >"drop/RSO-2026-00000$(( i % 6 + 1 ))-note$i.bin"
	done
	for n in 1 2 3; do
		gen-dicom --study "drop/RSO-2026-00000$n-study" "name=TESTKILL^NO$n" n=15
	done
	find drop -type f -exec sha256sum {} + | cut -d' ' -f1 | sort >sums.txt
	for k in $(seq 1 20); do
		kill_at_random rso-collect inbox --settle 0 drop
		run -0 rso-case verify
	done
	run -0 rso-collect inbox --settle 0 drop
	run -0 find drop -mindepth 1 -not -name .rso-inbox.lock -not -path drop/.rejected
	assert_output ''
	# Every file filed once: 500 notes and 45 instances, no copy twice.
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct case_id || sha256) from records"
	assert_output "545|545"
	# What the kills left behind (half-written segments, segments the
	# store never took) is gone after compaction, and verify says so.
	run -0 bash -c 'rso-case list | rso-case compact'
	run -0 rso-case verify
	[ "${lines[1]}" = "verify: 6 segments, every record and opinion in one" ]
	run -0 find "$RSO_HOME/archives" -name '.seg-*'
	assert_output ''
	run -0 rso-bill check
	# The store holds what was dropped, by hash, and ten of them, read
	# back through the merged segments, are those bytes.
	sqlite3 "$RSO_HOME/rso.db" "select sha256 from records order by 1" | cmp - sums.txt
	for id in $(sqlite3 "$RSO_HOME/rso.db" "select case_id || ':' || item || ':' || sha256 from records order by random() limit 10"); do
		IFS=: read -r c i h <<<"$id"
		[ "$(rso-collect cat "$c" "$i" | sha256sum | cut -d' ' -f1)" = "$h" ]
	done
}
