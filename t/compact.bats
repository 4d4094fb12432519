#!/usr/bin/env bats
# rso-case compact, and the progress bars of long work: drawn on a
# terminal, never into a pipe or a cron job's mail.
load lib

local_setup() {
	init_with_key
}

@test "rso-case compact: a case's segments become one, its records still read, a re-run merges nothing" {
	ready_case 1
	printf 'Synthetic lab %s.\n' 2 >lab.txt
	rso-collect add --type lab RSO-2026-000001 lab.txt >/dev/null
	before=$(ls "$RSO_HOME/archives/RSO-2026-000001" | grep -c '\.age$')
	[ "$before" -eq 2 ]
	run -0 rso-case compact RSO-2026-000001
	[ "$output" = '{"case":"RSO-2026-000001","segment":"000001-000002.age"}' ]
	[ "$(ls "$RSO_HOME/archives/RSO-2026-000001" | grep '\.age$')" = 000001-000002.age ]
	# The index still names the old segments; the merged one serves them.
	rso-collect cat RSO-2026-000001 0001 | cmp - rec-1.txt
	rso-collect cat RSO-2026-000001 0002 | cmp - lab.txt
	# age and tar alone read the merged segment: one of each name.
	age -d -i "$RSO_IDENTITY" "$RSO_HOME/archives/RSO-2026-000001/000001-000002.age" | bsdtar -tf - | sort >names
	[ "$(sort -u names | wc -l)" -eq "$(wc -l <names)" ]
	grep -q '^records/0002-' names
	run -0 rso-case compact RSO-2026-000001
	[ "$output" = '{"case":"RSO-2026-000001","segment":null,"unchanged":true}' ]
	# New records after compaction go into a new segment, numbered after it.
	printf 'Synthetic note.\n' >note.txt
	rso-collect add --type note RSO-2026-000001 note.txt >/dev/null
	[ -e "$RSO_HOME/archives/RSO-2026-000001/000003.age" ]
	run -0 rso-case verify
}

# File synthetic records into case 1, one segment per "rso-collect add";
# each operand is "BYTES" or "BYTES,BYTES,..." (files filed together).
# files.txt lists them in item order.
file_records() {
	local spec n f files
	for spec; do
		files=()
		for n in ${spec//,/ }; do
			f="r$(( $(wc -l <files.txt) + ${#files[@]} + 2 )).bin"
			head -c "$n" /dev/urandom >"$f"
			files+=("$f")
		done
		rso-collect add --type imaging RSO-2026-000001 "${files[@]}" >/dev/null
		printf '%s\n' "${files[@]}" >>files.txt
	done
}

# Every record of case 1 reads back byte for byte.
records_read() {
	local i=2 f
	rso-collect cat RSO-2026-000001 1 | cmp - rec-1.txt
	while read -r f; do
		rso-collect cat RSO-2026-000001 "$i" | cmp - "$f"
		i=$((i + 1))
	done <files.txt
}

@test "rso-case compact: merged segments stay under archive.compact_max_bytes, a larger segment stays alone, every record reads" {
	ready_case 1
	: >files.txt
	echo '{"archive":{"compact_max_bytes":300000}}' >"$RSO_HOME/config.json"
	# Segments 2-6 of 100 kB, 7 of one 400 kB member (over the bound),
	# 8 of three 60 kB files, 9 and 10 small.
	file_records 100000 100000 100000 100000 100000 400000 \
	    60000,60000,60000 1000 1000
	arc="$RSO_HOME/archives/RSO-2026-000001"
	run -0 rso-case compact RSO-2026-000001
	[ "$output" = '{"case":"RSO-2026-000001","segment":"000008-000010.age","segments":["000001-000003.age","000004-000005.age","000008-000010.age"]}' ]
	# 6 fits with neither neighbour, so it is left as it is.
	[ "$(ls "$arc" | tr '\n' ' ')" = "000001-000003.age 000004-000005.age 000006.age 000007.age 000008-000010.age " ]
	for f in "$arc"/*.age; do
		[ "$(stat -c %s "$f")" -le 300000 ] || [ "${f##*/}" = 000007.age ]
	done
	records_read
	# Each merged segment reads with age and tar alone, says whose it is
	# first, and holds each name once.
	for f in "$arc"/*-*.age; do
		age -d -i "$RSO_IDENTITY" "$f" | bsdtar -tf - >names
		[ "$(head -1 names)" = case.json ]
		[ "$(sort -u names | wc -l)" -eq "$(wc -l <names)" ]
	done
	# Each merged segment is recorded, with its own event.
	run -0 sqlite3 "$RSO_HOME/rso.db" "select json_extract(data, '\$.segment') from events where type = 'archive.compacted' order by seq"
	[ "$(echo $output)" = "000001-000003.age 000004-000005.age 000008-000010.age" ]
	run -0 rso-case verify
	[ "${lines[1]}" = "verify: 5 segments, every record and opinion in one" ]
	# Nothing more fits together: a re-run changes nothing.
	run -0 rso-case compact RSO-2026-000001
	[ "$output" = '{"case":"RSO-2026-000001","segment":null,"unchanged":true}' ]
	# What is filed later joins the newest merged segment while it fits.
	file_records 1000
	run -0 rso-case compact RSO-2026-000001
	[ "$output" = '{"case":"RSO-2026-000001","segment":"000008-000011.age"}' ]
	records_read
	run -0 rso-case verify
	[ "${lines[1]}" = "verify: 5 segments, every record and opinion in one" ]
}

@test "rso-case compact: archive.compact_max_bytes 0 merges the whole case into one; a bad value is exit 78" {
	ready_case 1
	: >files.txt
	file_records 100000 100000 400000
	echo '{"archive":{"compact_max_bytes":"64M"}}' >"$RSO_HOME/config.json"
	run -78 --separate-stderr rso-case compact RSO-2026-000001
	[ "$stderr" = "rso-case: config.json: archive.compact_max_bytes: not a whole number" ]
	echo '{"archive":{"compact_max_bytes":-1}}' >"$RSO_HOME/config.json"
	run -78 rso-case compact RSO-2026-000001
	[ "$(ls "$RSO_HOME/archives/RSO-2026-000001" | grep -c '\.age$')" -eq 4 ]
	echo '{"archive":{"compact_max_bytes":0}}' >"$RSO_HOME/config.json"
	run -0 rso-case compact RSO-2026-000001
	[ "$output" = '{"case":"RSO-2026-000001","segment":"000001-000004.age"}' ]
	records_read
	# The default bound (16 MiB) takes these small segments into one too.
	rm "$RSO_HOME/config.json"
	file_records 1000 1000
	run -0 rso-case compact RSO-2026-000001
	[ "$output" = '{"case":"RSO-2026-000001","segment":"000001-000006.age"}' ]
	run -0 rso-case verify
}

@test "rso-case compact: kill -9 during a bounded compaction, 10 times: verify passes, every record reads, a re-run finishes it" {
	ready_case 1
	: >files.txt
	echo '{"archive":{"compact_max_bytes":1000000}}' >"$RSO_HOME/config.json"
	# 40 segments of 256 KiB: long enough a merge for a kill to land in.
	for i in $(seq 1 40); do file_records 262144; done
	cp -a "$RSO_HOME" home.orig
	for k in $(seq 1 10); do
		rm -rf "$RSO_HOME" && cp -a home.orig "$RSO_HOME"
		kill_at_random rso-case compact RSO-2026-000001
		run -0 rso-case verify
		records_read
		run -0 rso-case compact RSO-2026-000001
		run -0 rso-case verify
		[ "${lines[1]}" = "verify: 14 segments, every record and opinion in one" ]
		for f in "$RSO_HOME"/archives/RSO-2026-000001/*.age; do
			[ "$(stat -c %s "$f")" -le 1000000 ]
		done
		run -0 find "$RSO_HOME/archives" -name '.seg-*'
		assert_output ''
	done
	records_read
}

@test "rso-case compact: refusals" {
	ready_case 1
	rso-collect add --type lab RSO-2026-000001 "$DATA/roster.jsonl" >/dev/null
	rso-case keygen -o other.txt 2>/dev/null
	run -77 --separate-stderr rso-case compact -i other.txt RSO-2026-000001
	[[ "$stderr" == "rso-case: RSO-2026-000001: "*"no identity matches any of the file's recipients" ]]
	[ "$(ls "$RSO_HOME/archives/RSO-2026-000001" | grep -c '\.age$')" -eq 2 ]
	run -65 --separate-stderr rso-case compact RSO-2026-000009
	[ "$stderr" = "rso-case: argument 1: RSO-2026-000009: no such case" ]
	RSO_IDENTITY= run -77 --separate-stderr rso-case compact RSO-2026-000001
	[ "$stderr" = "rso-case: no identity (-i FILE or RSO_IDENTITY)" ]
}

@test "rso-case compact: what a killed writer left is found by verify and removed" {
	ready_case 1
	arc="$RSO_HOME/archives/RSO-2026-000001"
	# A segment written but never taken by the store, and a half-written one.
	cp "$arc/000001.age" "$arc/000007.age"
	head -c 100 "$arc/000001.age" >"$arc/.seg-AbC123"
	run -0 rso-case verify
	[ "${lines[1]}" = "verify: 2 segments, every record and opinion in one; 1 hold nothing the store names (rso-case compact drops them)" ]
	run -0 rso-case compact RSO-2026-000001
	[ "$output" = '{"case":"RSO-2026-000001","segment":null,"dropped":1}' ]
	[ "$(ls -A "$arc" | grep -v '^.lock$')" = 000001.age ]
	run -0 rso-case verify
	[ "${lines[1]}" = "verify: 1 segments, every record and opinion in one" ]
	# The next writer of the case removes a temporary file too, under its lock.
	head -c 100 "$arc/000001.age" >"$arc/.seg-DeF456"
	rso-collect add RSO-2026-000001 "$DATA/roster.jsonl" >/dev/null
	[ ! -e "$arc/.seg-DeF456" ]
	rso-collect cat RSO-2026-000001 2 | cmp - "$DATA/roster.jsonl"
	# A record whose segment is gone fails verify, naming case and item.
	rm "$arc/000002.age"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: RSO-2026-000001: item 0002: segment 000002.age is gone" ]
	run -65 --separate-stderr rso-case compact RSO-2026-000001
	[ "$stderr" = "rso-case: RSO-2026-000001: item 0002: segment 000002.age is gone" ]
}

@test "rso-case verify: a folder of a case with no records is checked too" {
	ready_case 1
	jq -c '.ref="t-2"' "$DATA/request.json" | rso-intake >/dev/null
	mkdir "$RSO_HOME/archives/RSO-2026-000002"
	cp "$RSO_HOME/archives/RSO-2026-000001/000001.age" "$RSO_HOME/archives/RSO-2026-000002/000001.age"
	run -0 rso-case verify
	[ "${lines[1]}" = "verify: 2 segments, every record and opinion in one; 1 hold nothing the store names (rso-case compact drops them)" ]
	run -0 rso-case compact RSO-2026-000002
	[ "$output" = '{"case":"RSO-2026-000002","segment":null,"dropped":1}' ]
}

@test "rso-case verify: an opinion whose segment is gone is named by its role" {
	echo '{"fee_gate":"none"}' >"$RSO_HOME/config.json"
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	delivered_case 1
	seg=$(sqlite3 "$RSO_HOME/rso.db" "select segment from opinions where case_id = 'RSO-2026-000001'")
	rm "$RSO_HOME/archives/RSO-2026-000001/$seg"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: RSO-2026-000001: opinion primary: segment $seg is gone" ]
}

@test "progress: export, compact, inbox and reports draw on a terminal, nothing into a pipe" {
	ready_case 1
	ready_case 2
	rso-collect add --type lab RSO-2026-000001 "$DATA/roster.jsonl" >/dev/null
	# Under script(1) stderr is a terminal, as for a person at one.
	script -qec "rso-case compact RSO-2026-000001 RSO-2026-000002 >/dev/null" /dev/null >tty.out
	grep -q 'rso-case: compact \[##############################\] 2/2' tty.out
	run -0 --separate-stderr rso-case compact RSO-2026-000001 RSO-2026-000002
	[ "$stderr" = "" ]
	mkdir out
	rso-case keygen -o partner.txt 2>partner.pub
	pk=$(grep -o 'age1[a-z0-9]*' partner.pub)
	script -qec "rso-case list | rso-export --format archive -r $pk --to out >/dev/null" /dev/null >tty.out
	grep -q 'rso-export: export: 2' tty.out
	run -0 --separate-stderr rso-export --format archive -r "$pk" --force --to out RSO-2026-000001
	[ "$stderr" = "" ]
	# The inbox counts what it files.
	mkdir in
	printf 'Synthetic scan.\n' >in/RSO-2026-000002-scan.txt
	script -qec "rso-collect inbox --settle 0 in >/dev/null" /dev/null >tty.out
	grep -q 'rso-collect: inbox \[##############################\] 1/1' tty.out
	# -q silences it on a terminal too.
	script -qec "rso-export -q --format archive -r $pk --force --to out RSO-2026-000001 >/dev/null" /dev/null >tty.out
	run -1 grep -q 'export' tty.out
	# A report, whose size is not known beforehand, shows the time spent.
	script -qec "rso-report monthly --month 2026-10 >/dev/null" /dev/null >tty.out
	grep -Eq 'rso-report: monthly: [|/\\-] [0-9]+\.[0-9] s' tty.out
	run -0 --separate-stderr rso-report monthly --month 2026-10
	[ "$stderr" = "" ]
	script -qec "rso-report -q audit --month 2026-10 >/dev/null" /dev/null >tty.out
	run -1 grep -q 'audit' tty.out
}
