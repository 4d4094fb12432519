#!/usr/bin/env bats
# rso-collect inbox: FHIR R4 Bundles recognised by content, each attachment
# a record and the Bundle one more; every Bundle the tests write is first
# passed by the independent validators.  Only synthetic data.

load lib

GEN="$BATS_TEST_DIRNAME/helpers/fhir-bundle.py"

# Both validators (FHIR.js and the FHIR R4 JSON schema), as rso-export's
# tests use them.
fhir_validate() {
	need fhir-validator
	NODE_PATH="$TOP/.cache/npm/node_modules" node "$TOP/t/helpers/fhir-validate.js" "$@" &&
	NODE_PATH="$TOP/.cache/npm/node_modules" node "$TOP/t/helpers/fhir-schema-validate.js" "$@"
}

# A Bundle of kind $1 for the patient of t/data/request.json, written to
# $2 and validated before use; more options after.
bundle() {
	local kind=$1 out=$2
	shift 2
	/usr/bin/python3 "$GEN" "$kind" --family Alpha --given Test \
	    --birth 1961-03-01 "$@" >"$out"
	run -0 fhir_validate "$out"
}

# Case 1 (Test Alpha, 1961-03-01) collecting, and an empty inbox.
fhir_case() {
	init_with_key
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-01-01 >/dev/null
	mkdir -p in
}

# The bytes of the base64 text jq's filter $2 finds in Bundle $1.
decoded() {
	jq -r "$2" "$1" | base64 -d
}

@test "inbox-fhir: an \$everything Bundle without a token files each attachment and itself to the patient's case" {
	fhir_case
	bundle everything in/export.json
	cp in/export.json everything.json
	run -0 --separate-stderr rso-collect inbox --settle 0 in
	[ -z "$stderr" ]
	run -0 ls in
	assert_output ''
	run -0 rso-collect ls RSO-2026-000001
	# The consult letter (PDF) and progress note of the DocumentReference,
	# the lab panel in a Binary entry, the pathology report inline, and
	# the Bundle.
	[ "$(jq -sc 'map([.type, .date, .source // "", .media_type]) | sort' <<<"$output")" = \
	    '[["lab","2026-08-02","Elsewhere General Hospital","text/plain"],["note","2026-08-14","Elsewhere General Hospital","application/pdf"],["note","2026-08-14","Elsewhere General Hospital","text/plain"],["pathology","2026-07-30","Elsewhere General Hospital","application/pdf"],["report","2026-09-01","Elsewhere General Hospital","application/fhir+json"]]' ]
	items() { jq -r "select(.media_type == \"$1\" and .type == \"$2\") | .item" <<<"$output"; }
	rso-collect cat RSO-2026-000001 "$(items application/fhir+json report)" | cmp - everything.json
	rso-collect cat RSO-2026-000001 "$(items application/pdf pathology)" |
	    cmp - <(decoded everything.json '.entry[].resource | select(.resourceType == "DiagnosticReport" and .code.coding[0].code == "11526-1") | .presentedForm[0].data')
	rso-collect cat RSO-2026-000001 "$(items text/plain lab)" |
	    cmp - <(decoded everything.json '.entry[].resource | select(.resourceType == "Binary") | .data')
	rso-collect cat RSO-2026-000001 "$(items application/pdf note)" |
	    cmp - <(decoded everything.json '.entry[].resource | select(.resourceType == "DocumentReference") | .content[0].attachment.data')
	rso-collect cat RSO-2026-000001 "$(items text/plain note)" |
	    cmp - <(decoded everything.json '.entry[].resource | select(.resourceType == "DocumentReference") | .contained[0].data')
	run -0 rso-case verify
}

@test "inbox-fhir: a token in a DocumentReference identifier names the case; Binary by urn:uuid and by Binary/id" {
	fhir_case
	tok=$(rso-collect request RSO-2026-000001 --provider "Elsewhere" --contact fax:1 --what imaging | jq -r .token)
	bundle collection in/docs.json --token "$tok"
	cp in/docs.json docs.json
	run -0 --separate-stderr rso-collect inbox --settle 0 in
	[ -z "$stderr" ]
	run -0 rso-collect ls RSO-2026-000001
	[ "$(jq -sc 'map([.type, .date, .media_type]) | sort' <<<"$output")" = \
	    '[["imaging","2026-06-20","text/plain"],["note","2026-06-25","text/markdown"],["report","2026-09-02","application/fhir+json"]]' ]
	n=$(jq -r 'select(.media_type == "text/markdown") | .item' <<<"$output")
	rso-collect cat RSO-2026-000001 "$n" | cmp - <(decoded docs.json '.entry[].resource | select(.id == "bin2") | .data')
	n=$(jq -r 'select(.media_type == "text/plain") | .item' <<<"$output")
	rso-collect cat RSO-2026-000001 "$n" | cmp - <(decoded docs.json '.entry[].resource | select(.id == "bin1") | .data')
	# The token answered the request.
	run -0 rso-collect missing RSO-2026-000001
	assert_output ''
}

@test "inbox-fhir: a Bundle whose patient is another case's is held, listed, and released" {
	fhir_case
	jq -c '.ref="t-2" | .patient.name = "Test Gamma" | .patient.birth_date = "1975-05-05"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000002 --providers "*" --expires 2027-01-01 >/dev/null
	tok=$(rso-collect request RSO-2026-000002 --provider "Elsewhere" --contact fax:1 --what imaging | jq -r .token)
	# Case 2's token, case 1's patient.
	bundle collection in/docs.json --token "$tok"
	run -0 --separate-stderr rso-collect inbox --settle 0 in
	filed=$output
	[ "$(jq -r 'select(.item) | .held' <<<"$filed" | sort -u)" = "patient name does not match the case" ]
	run -0 rso-collect held
	[ "$(jq -s 'length' <<<"$output")" -eq 3 ]
	[ "$(jq -r .case <<<"$output" | sort -u)" = RSO-2026-000002 ]
	[ "$(jq -r .reason <<<"$output" | sort -u)" = "patient name does not match the case" ]
	[[ "$output" != *Alpha* ]]
	item=$(jq -r 'select(.media_type == "text/markdown") | .item' <<<"$filed" | head -1)
	run -0 rso-collect release RSO-2026-000002 "$item"
	assert_output "{\"case\":\"RSO-2026-000002\",\"released\":\"$item\",\"items\":1}"
	[ "$(rso-collect held | jq -s length)" -eq 2 ]
	run -0 rso-collect ls RSO-2026-000002
	[ "$(jq -r 'select(.held | not) | .media_type' <<<"$output")" = text/markdown ]
}

@test "inbox-fhir: a Bundle written by rso-export from another store files into this one" {
	need fhir-validator
	init_with_key
	echo '{"fee_gate":"none"}' >"$RSO_HOME/config.json"
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	delivered_case 1
	mkdir -p ehr
	rso-export --format fhir --to ehr RSO-2026-000001 >/dev/null
	run -0 fhir_validate ehr/RSO-2026-000001.fhir.json
	op=$(ls "$BATS_TEST_TMPDIR"/op-1.md)
	# Another hospital's store, with a key of its own and a case of the
	# same patient.
	export RSO_HOME="$BATS_TEST_TMPDIR/home2"
	mv "$BATS_TEST_TMPDIR/key.txt" "$BATS_TEST_TMPDIR/key-a.txt"
	fhir_case
	cp ehr/RSO-2026-000001.fhir.json in/
	run -0 --separate-stderr rso-collect inbox --settle 0 in
	# The records the Bundle only names by their file names are not in it.
	k=$(jq '[.entry[].resource.resourceType] | index("DocumentReference") + 1' ehr/RSO-2026-000001.fhir.json)
	[ "$stderr" = "rso-collect: in: entry 1: bundle: entry $k: attachment 1: url: names nothing in the Bundle (not filed)" ]
	run -0 rso-collect ls RSO-2026-000001
	[ "$(jq -sc 'map([.type, .media_type]) | sort' <<<"$output")" = '[["note","application/fhir+json"],["note","text/markdown"]]' ]
	n=$(jq -r 'select(.media_type == "text/markdown") | .item' <<<"$output")
	rso-collect cat RSO-2026-000001 "$n" | cmp - "$op"
	n=$(jq -r 'select(.media_type == "application/fhir+json") | .item' <<<"$output")
	rso-collect cat RSO-2026-000001 "$n" | cmp - ehr/RSO-2026-000001.fhir.json
}

# Drop $1 as in/$2 (with case 1's id in the name, so only the Bundle's
# own faults can reject it) and expect the reject $3.
rejected() {
	cp "$1" "in/RSO-2026-000001-$2"
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$stderr" = "rso-collect: in: entry 1: $3 (moved to .rejected)" ]
	[ "$(cat "in/.rejected/RSO-2026-000001-$2.reason")" = "$3" ]
	cmp "$1" "in/.rejected/RSO-2026-000001-$2"
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from records"
	assert_output 0
	rm -rf in/.rejected
}

@test "inbox-fhir: every bad Bundle is moved whole to .rejected with its reason" {
	fhir_case
	bundle everything good.json
	printf '{"resourceType": "Bundle",\n "entry": [' >cut.json
	rejected cut.json cut.json "bundle: line 2: column 11: cut short"
	printf '{"resourceType":"Bundle","type":"collection","type":"Zzphi"}' >dup.json
	rejected dup.json dup.json "bundle: line 1: column 51: duplicate member name"
	jq '.entry[9].resource.presentedForm[0].data = "JVBE*i0x"' good.json >b64.json
	rejected b64.json b64.json "bundle: entry 10: attachment 1: data: not clean base64"
	jq '(.entry[6].resource.content[0].attachment.hash) = "qvTGHdzF6KLavt4PO0gs2a6pQ00="' good.json >hash.json
	rejected hash.json hash.json "bundle: entry 7: attachment 1: hash: does not match the data"
	jq '(.entry[6].resource.content[0].attachment.size) += 1' good.json >size.json
	rejected size.json size.json "bundle: entry 7: attachment 1: size: does not match the data"
	jq 'del(.entry[8])' good.json >nobin.json
	rejected nobin.json nobin.json "bundle: entry 8: attachment 1: url: no such Binary in the Bundle"
	jq '.entry += [{"fullUrl":"urn:uuid:0f0f0f0f-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","name":[{"family":"Zzphi","given":["Other"]}],"birthDate":"1980-01-01"}}]' good.json >two.json
	rejected two.json two.json "bundle: entry 11: a second patient (a Bundle is matched as one patient's)"
	[[ "$stderr" != *Zzphi* ]]
	echo '{"fee_gate":"none","inbox":{"max_members":3}}' >"$RSO_HOME/config.json"
	rejected good.json many.json "bundle: more than 3 attachments (inbox.max_members)"
}

@test "inbox-fhir: a Bundle of 10,000 entries goes through, only its attachments records" {
	fhir_case
	/usr/bin/python3 "$GEN" big 10000 --family Alpha --given Test --birth 1961-03-01 >in/big.json
	[ "$(jq '.entry | length' in/big.json)" -eq 10000 ]
	cp in/big.json big.json
	start=$(date +%s%N)
	run -0 --separate-stderr /usr/bin/time -f '%e s %M KB' rso-collect inbox --settle 0 in
	echo "# 10,000 entries: ${stderr}" >&3
	run -0 rso-collect ls RSO-2026-000001
	[ "$(jq -sc 'map([.type, .media_type]) | sort' <<<"$output")" = '[["note","application/fhir+json"],["note","text/plain"]]' ]
	n=$(jq -r 'select(.media_type == "application/fhir+json") | .item' <<<"$output")
	rso-collect cat RSO-2026-000001 "$n" | cmp - big.json
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 20000 ]
}

@test "inbox-fhir: a Bundle of 50,000 entries files in one run, memory flat (under 16 MiB)" {
	fhir_case
	/usr/bin/python3 "$GEN" big 50000 --family Alpha --given Test --birth 1961-03-01 >in/big.json
	cp in/big.json big.json
	# Before issue 22 the Bundle was read whole and parsed into one tree:
	# 193 MB here.  Now one entry at a time, and a few bytes per entry.
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-collect -q inbox --settle 0 in
	[ "$(jq -sc 'map(select(.item) | [.type, .media_type]) | sort' <<<"$output")" = '[["note","application/fhir+json"],["note","text/plain"]]' ]
	n=$(jq -r 'select(.media_type == "application/fhir+json") | .item' <<<"$output")
	rso-collect cat RSO-2026-000001 "$n" | cmp - big.json
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# peak RSS ${rss} KiB" >&3
	# ASan's shadow memory and quarantine are not the program's.
	grep -q __asan_init "$(command -v rso-collect)" || [ "$rss" -lt 16384 ]
}

# A realistic Bundle (fhir-bundle.py big 10, kept as small.json) with $1
# entries of a fullUrl only put before its own, written to $2.
flood_bundle() {
	/usr/bin/python3 "$GEN" big 10 --family Alpha --given Test --birth 1961-03-01 >small.json
	/usr/bin/python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))
b["entry"] = [{"fullUrl": "urn:x:%d" % i} for i in range(int(sys.argv[3]))] + b["entry"]
json.dump(b, open(sys.argv[2], "w"), separators=(",", ":"))
' small.json "$2" "$1"
}

@test "inbox-fhir: a Bundle of a million tiny entries keeps its index in a spool, memory flat (under 16 MiB)" {
	fhir_case
	# A realistic Bundle with a million entries of a fullUrl only put
	# before its own: its DocumentReference's text is a Binary entry
	# found by its fullUrl among them.  Before, 16 bytes an entry were
	# kept in memory: 23 MB here.
	flood_bundle 1000000 in/flood.json
	cp in/flood.json flood.json
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-collect -q inbox --settle 0 in
	[ "$(jq -sc 'map(select(.item) | [.type, .media_type]) | sort' <<<"$output")" = '[["note","application/fhir+json"],["note","text/plain"]]' ]
	n=$(jq -r 'select(.media_type == "text/plain") | .item' <<<"$output")
	[ "$(rso-collect cat RSO-2026-000001 "$n")" = "$(jq -r '.entry[] | select(.resource.resourceType == "Binary") | .resource.data' small.json | base64 -d)" ]
	n=$(jq -r 'select(.media_type == "application/fhir+json") | .item' <<<"$output")
	rso-collect cat RSO-2026-000001 "$n" | cmp - flood.json
	# The spool went with the run: the folder holds nothing else.
	run -0 find in -mindepth 1 ! -name .rso-inbox.lock ! -path in/.rejected
	assert_output ''
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# peak RSS ${rss} KiB" >&3
	grep -q __asan_init "$(command -v rso-collect)" || [ "$rss" -lt 16384 ]
}

# A Bundle with one attachment of $1 MiB (fhir-bundle.py large, options
# after) as in/large.json, the Bundle kept as large.json and the PDF's
# bytes as scan.pdf; the inbox allowed to read it whole.
large_bundle() {
	local mib=$1
	shift
	/usr/bin/python3 "$GEN" large "$mib" --family Alpha --given Test \
	    --birth 1961-03-01 --bytes scan.pdf "$@" >large.json
	cp large.json in/large.json
}

# Run the inbox, its peak RSS into $rss, and expect the scan filed byte
# for byte beside the Bundle, under 16 MiB whatever the attachment's size.
files_scan_flat() {
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-collect -q inbox --settle 0 in
	[ "$(jq -sc 'map(select(.item) | [.type, .media_type]) | sort' <<<"$output")" = '[["note","application/fhir+json"],["note","application/pdf"]]' ]
	n=$(jq -r 'select(.media_type == "application/pdf") | .item' <<<"$output")
	rso-collect cat RSO-2026-000001 "$n" | cmp - scan.pdf
	run -0 rso-collect ls RSO-2026-000001
	[ "$(jq -r "select(.item == \"$n\") | .sha256" <<<"$output")" = "$(sha256sum scan.pdf | cut -d' ' -f1)" ]
	[ "$(jq -r "select(.item == \"$n\") | .size" <<<"$output")" -eq "$(stat -c %s scan.pdf)" ]
	n=$(jq -r 'select(.media_type == "application/fhir+json") | .item' <<<"$output")
	rso-collect cat RSO-2026-000001 "$n" | cmp - large.json
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# peak RSS ${rss} KiB" >&3
	# ASan's shadow memory and quarantine are not the program's.
	grep -q __asan_init "$(command -v rso-collect)" || [ "$rss" -lt 16384 ]
}

@test "inbox-fhir: a 40 MB attachment is filed byte for byte, memory flat (under 16 MiB)" {
	fhir_case
	# Before issue 22 its base64 was held, then decoded whole: a 20 MB
	# attachment peaked at 83 MB.  Now it goes through 12 KiB pieces.
	large_bundle 40
	files_scan_flat
}

@test "inbox-fhir: a 40 MB attachment in a Binary entry its url names is filed byte for byte, memory flat" {
	fhir_case
	large_bundle 40 --binary
	[ "$(jq -r '.entry[1].resource.content[0].attachment.url == .entry[2].fullUrl' large.json)" = true ]
	files_scan_flat
}

@test "inbox-fhir: escaped slashes (\\/) in an attachment's base64 are read as slashes" {
	fhir_case
	large_bundle 8 --escape-slash
	grep -q '\\/' large.json
	files_scan_flat
}

@test "inbox-fhir: a 40 MB attachment with bad base64 in its middle rejects the Bundle whole" {
	fhir_case
	large_bundle 40 --bad-middle
	rm in/large.json
	rejected large.json large.json "bundle: entry 2: attachment 1: data: not clean base64"
}

@test "inbox-fhir: a 40 MB upload cut short in its base64 is rejected whole, memory flat" {
	fhir_case
	large_bundle 40
	rm in/large.json
	head -c 30000000 large.json >cut.json
	# jansson's place for the cut: the file's end, its last line's
	# characters (ASCII) counted from 0.
	line=$(( $(wc -l <cut.json) + 1 ))
	col=$(tail -n 1 cut.json | wc -c)
	cp cut.json in/RSO-2026-000001-cut.json
	run -65 --separate-stderr /usr/bin/time -f 'maxrss %M' -o rss.txt rso-collect inbox --settle 0 in
	[ "$stderr" = "rso-collect: in: entry 1: bundle: line $line: column $col: cut short (moved to .rejected)" ]
	cmp cut.json in/.rejected/RSO-2026-000001-cut.json
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from records"
	assert_output 0
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# peak RSS ${rss} KiB" >&3
	grep -q __asan_init "$(command -v rso-collect)" || [ "$rss" -lt 16384 ]
}

# Unmounted after each test, when a test mounted it.
teardown() {
	umount "$BATS_TEST_TMPDIR/small" 2>/dev/null || true
}

# The drop folder small, a tmpfs of $1 MiB holding the Bundle $2 as
# RSO-2026-000001-$2 and a filler (a dot-file is no entry) that leaves
# $3 KiB: the inbox is exit 74 on its spool, files nothing and leaves the
# Bundle whole.  The filler stays, for the test to remove.
no_room() {
	mkdir small
	if ! mount -t tmpfs -o size="$1"m,mode=0700 tmpfs small 2>/dev/null; then
		skip "cannot mount a tmpfs here"
	fi
	cp "$2" "small/RSO-2026-000001-$2"
	dd if=/dev/zero of=small/.filler bs=1k count=$(( $(df -k --output=avail small | tail -1) - $3 )) 2>/dev/null
	run -74 --separate-stderr rso-collect inbox --settle 0 small
	[ "$stderr" = "rso-collect: small: entry 1: spool: No space left on device" ]
	cmp "$2" "small/RSO-2026-000001-$2"
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from records"
	assert_output 0
}

@test "inbox-fhir: no room for a large Bundle's index is exit 74, the Bundle left for a later run" {
	fhir_case
	# 300,000 entries of a fullUrl only: past the 131,072 keys kept in
	# memory, the rest spill to the drop folder (about 10 MB of runs and
	# their merge).
	flood_bundle 300000 flood.json
	# Room for 1 MB of spool beside the Bundle.
	no_room 32 flood.json 1024
	# With room, the same Bundle files whole, its text found past the flood.
	rm small/.filler
	run -0 rso-collect -q inbox --settle 0 small
	n=$(jq -r 'select(.media_type == "text/plain") | .item' <<<"$output")
	[ "$(rso-collect cat RSO-2026-000001 "$n")" = "$(jq -r '.entry[] | select(.resource.resourceType == "Binary") | .resource.data' small.json | base64 -d)" ]
}

@test "inbox-fhir: no room for a large attachment as it is decoded is exit 74, the Bundle left for a later run" {
	fhir_case
	large_bundle 6
	rm in/large.json
	# Room for 2 MB of the 6 MiB attachment's spool file, beside the
	# Bundle.
	no_room 16 large.json 2048
	# With room, the same Bundle files whole.
	rm small/.filler
	run -0 rso-collect -q inbox --settle 0 small
	n=$(jq -r 'select(.media_type == "application/pdf") | .item' <<<"$output")
	rso-collect cat RSO-2026-000001 "$n" | cmp - scan.pdf
}
