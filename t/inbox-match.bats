#!/usr/bin/env bats
# inbox-match: how a document without a token or case id finds its case,
# whatever its format: a patient identifier an earlier record of an open
# case carried wins over the name, the name and birth date otherwise,
# and never a guess.  C-CDA documents (t/helpers/cda-gen.py) stand for
# every format here; each format's own file tests its reading.
load lib

# cda FILE NAME BIRTH [OPTION...]: a progress note for FAMILY^GIVEN.
cda() {
	local out=$1 family=$2 given=$3 birth=$4
	shift 4
	python3 "$TOP/t/helpers/cda-gen.py" progress --family "$family" \
	    --given "$given" --birth "$birth" "$@" >"$out"
	xmllint --noout "$out"
}

local_setup() {
	init_with_key
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-01-01 >/dev/null
	mkdir -p in
}

# File a first document for case 1 by its token, carrying MRN-1.
first_by_token() {
	local tok
	tok=$(rso-collect request RSO-2026-000001 --provider "Test General Hospital" --contact fax:1 --what notes | jq -r .token)
	cda in/a.xml Alpha Test 19610301 --mrn MRN-1 --order "$tok"
	rso-collect inbox --settle 0 in >/dev/null
}

@test "inbox-match: an identifier a filed record of the open case carried wins over a name spelt otherwise" {
	first_by_token
	# The same patient, as another clinic spells her, born the same day.
	cda in/b.xml Alfa Tess 19610301 --mrn MRN-1 --date 20260301
	run -0 --separate-stderr rso-collect inbox --settle 0 in
	[ -z "$stderr" ]
	[ "$(jq -sc '[.[] | select(.item) | [.case, .item, (.held // "")]]' <<<"$output")" = \
	    '[["RSO-2026-000001","0003",""],["RSO-2026-000001","0004",""]]' ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select item, pid_system, pid_value from records order by item"
	assert_output "1|2.16.840.1.113883.19.5.99999.2|MRN-1
2|2.16.840.1.113883.19.5.99999.2|MRN-1
3|2.16.840.1.113883.19.5.99999.2|MRN-1
4|2.16.840.1.113883.19.5.99999.2|MRN-1"
}

@test "inbox-match: without a known identifier, a name spelt otherwise is no match, and nothing is guessed" {
	first_by_token
	cda in/b.xml Alfa Tess 19610301 --mrn MRN-2
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$stderr" = "rso-collect: in: entry 1: no open case matches the document's patient (moved to .rejected)" ]
	[ -z "$output" ]
	[ -e in/.rejected/b.xml ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from records")" -eq 2 ]
}

@test "inbox-match: the identifier of a held record, or of a case no longer open, finds nothing" {
	tok=$(rso-collect request RSO-2026-000001 --provider "Test General Hospital" --contact fax:1 --what notes | jq -r .token)
	# Case 1's token on another patient's document: held, so its MRN is
	# not known for case 1.
	cda in/a.xml Gamma Test 19700101 --mrn MRN-9 --order "$tok"
	run -0 rso-collect inbox --settle 0 in
	[ "$(jq -r 'select(.item) | .held' <<<"$output" | sort -u)" = "patient name does not match the case" ]
	cda in/b.xml Gamma Test 19700101 --mrn MRN-9
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$stderr" = "rso-collect: in: entry 1: no open case matches the document's patient (moved to .rejected)" ]
	# Released, the MRN is the case's: the next document with it goes there.
	rso-collect release RSO-2026-000001 1 >/dev/null
	mv in/.rejected/b.xml in/c.xml
	run -0 rso-collect inbox --settle 0 in
	[ "$(jq -sc '[.[] | select(.item) | .case] | unique' <<<"$output")" = '["RSO-2026-000001"]' ]
	# Cancelled, the case is no longer open: its identifiers match nothing.
	rso-case cancel RSO-2026-000001 --reason patient-withdrew >/dev/null
	cda in/d.xml Gamma Test 19700101 --mrn MRN-9 --date 20260401
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$stderr" = "rso-collect: in: entry 1: no open case matches the document's patient (moved to .rejected)" ]
}

@test "inbox-match: an identifier known for two open cases decides nothing; the name and birth date do" {
	first_by_token
	jq -c '.ref="t-2" | .patient.name = "Test Beta" | .patient.birth_date = "1970-02-02"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000002 --providers "*" --expires 2027-01-01 >/dev/null
	tok=$(rso-collect request RSO-2026-000002 --provider "Test General Hospital" --contact fax:1 --what notes | jq -r .token)
	# Another clinic reuses MRN-1 for case 2's patient.
	cda in/b.xml Beta Test 19700202 --mrn MRN-1 --order "$tok"
	rso-collect inbox --settle 0 in >/dev/null
	cda in/c.xml Beta Test 19700202 --mrn MRN-1 --date 20260501
	run -0 rso-collect inbox --settle 0 in
	[ "$(jq -sc '[.[] | select(.item) | .case] | unique' <<<"$output")" = '["RSO-2026-000002"]' ]
	cda in/d.xml Alfa Tess 19610301 --mrn MRN-1 --date 20260502
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$stderr" = "rso-collect: in: entry 1: no open case matches the document's patient (moved to .rejected)" ]
}

@test "inbox-match: in a case named by its token, a known identifier keeps a name spelt otherwise from being held" {
	first_by_token
	tok=$(rso-collect request RSO-2026-000001 --provider "Other Clinic" --contact fax:1 --what more | jq -r .token)
	cda in/b.xml Alfa Tess 19610301 --mrn MRN-1 --order "$tok" --date 20260601
	run -0 rso-collect inbox --settle 0 in
	[ "$(jq -sc '[.[] | select(.item) | .held // ""] | unique' <<<"$output")" = '[""]' ]
	cda in/c.xml Alfa Tess 19610301 --mrn MRN-3 --order "$tok" --date 20260602
	run -0 rso-collect inbox --settle 0 in
	[ "$(jq -sc '[.[] | select(.item) | .held] | unique' <<<"$output")" = '["patient name does not match the case"]' ]
}

@test "inbox-match: a text that quotes a request token (a fax cover sheet) goes to the token's case and answers it" {
	tok=$(rso-collect request RSO-2026-000001 --provider "Test General Hospital" --contact fax:1 --what notes | jq -r .token)
	printf 'FAX COVER SHEET (synthetic)\nRe: records request %s\n3 pages follow.\n' "$tok" >in/fax-0412.txt
	printf 'No token here, and no patient.\n' >in/letter.txt
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$(jq -c '[.case, .item, .type]' <<<"$output")" = '["RSO-2026-000001","0001","other"]' ]
	[ "$stderr" = "rso-collect: in: entry 2: names no patient, and no request token or case id in the name or a sidecar (moved to .rejected)" ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select status from record_requests where token = '$tok'"
	assert_output received
	# A token that is no request of this store: rejected, not guessed.
	printf 'Re: REQ-0000ZZ\n' >in/other.txt
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$stderr" = "rso-collect: in: entry 1: unknown request token (moved to .rejected)" ]
}

@test "inbox-match: a 40 MB letter is looked through for its token a window at a time, and a 40 MB JSON that is no Bundle is not held (under 16 MiB)" {
	tok=$(rso-collect request RSO-2026-000001 --provider "Test General Hospital" --contact fax:1 --what notes | jq -r .token)
	# The token near the end, across no line: nothing of the text is held.
	/usr/bin/python3 -c 'import sys; line = "Synthetic letter text, line after line.\n"; sys.stdout.write(line * (40 * 1024 * 1024 // len(line)) + "Re: " + sys.argv[1] + ".\n")' "$tok" >letter.txt
	cp letter.txt in/letter.txt
	# {"k0": 0, "k1": 1, ...} as json.dump writes it, written a slice at
	# a time: the dict of 3,000,000 keys took 33 s to build here.
	/usr/bin/python3 - >data.json <<-'EOF'
	import sys
	n, step = 3000000, 100000
	sys.stdout.write("{")
	for s in range(0, n, step):
	    sys.stdout.write(", ".join('"k%d": %d' % (i, i) for i in range(s, min(s + step, n))))
	    sys.stdout.write(", " if s + step < n else "}")
	EOF
	cp data.json in/RSO-2026-000001-data.json
	# Before, each was read whole for the readers that cannot take it:
	# 46 and 69 MB here.
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-collect -q inbox --settle 0 in
	[ "$(jq -c '[.case, .item, .size]' <<<"$output")" = "$(printf '["RSO-2026-000001","0001",%d]\n["RSO-2026-000001","0002",%d]' "$(stat -c %s data.json)" "$(stat -c %s letter.txt)")" ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select status from record_requests where token = '$tok'"
	assert_output received
	rso-collect cat RSO-2026-000001 2 | cmp - letter.txt
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# peak RSS ${rss} KiB" >&3
	# ASan's shadow memory and quarantine are not the program's.
	grep -q __asan_init "$(command -v rso-collect)" || [ "$rss" -lt 16384 ]
}
