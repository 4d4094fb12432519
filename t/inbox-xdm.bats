#!/usr/bin/env bats
# rso-collect inbox and IHE XDM zips (the attachment of a Direct message):
# zips made the way other systems make them (t/helpers/xdm-make.py writes
# METADATA.XML from ITI TF-3 and zips with zip or bsdtar), each checked by
# independent readers before use, and zips rso-export wrote in another
# store.  Only synthetic data.
load lib

local_setup() {
	init_with_key
	# Case 1: Test Alpha, born 1961-03-01.
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-06-30 >/dev/null
	mkdir -p drop docs
	printf '%%PDF-1.4\n%% synthetic pathology report\n%%%%EOF\n' >docs/path.pdf
	printf 'Synthetic lab note: potassium 4.1 mmol/L.\n' >docs/lab.txt
	cat >docs/ccd.xml <<-'EOF'
	<?xml version="1.0" encoding="UTF-8"?>
	<ClinicalDocument xmlns="urn:hl7-org:v3">
	  <templateId root="2.16.840.1.113883.10.20.22.1.2"/>
	  <code code="34133-9" codeSystem="2.16.840.1.113883.6.1" displayName="Summary of episode note"/>
	  <title>Synthetic continuity of care document</title>
	  <effectiveTime value="20260312"/>
	</ClinicalDocument>
	EOF
}

# The three documents of a typical answer, as xdm-make.py's "docs".
DOCS='[{"file":"docs/path.pdf","uri":"DOC0001.PDF","mime":"application/pdf","type":"11526-1","type_name":"Pathology study","title":"Surgical pathology","created":"20260310101500","institution":"Synthetic Pathology Lab^^^^^&1.2.3.9&ISO"},
 {"file":"docs/lab.txt","uri":"DOC0002.TXT","mime":"text/plain","type":"11502-2","type_name":"Laboratory report","title":"Chemistry","created":"20260311"},
 {"file":"docs/ccd.xml","uri":"DOC0003.XML","mime":"text/xml","type":"34133-9","type_name":"Summary of episode note","title":"CCD","created":"20260312"}]'

# xdm SPEC_JSON OUT: an XDM zip, checked before use by unzip -t, xmllint,
# xds-check.py and python3 recomputing each document's SHA-1 and size.
xdm() {
	local spec=$1 out=$2 d m
	printf '%s\n' "$spec" >spec.json
	python3 "$TOP/t/helpers/xdm-make.py" spec.json "$out"
	unzip -tq "$out" >/dev/null
	d=$(mktemp -d "$BATS_TEST_TMPDIR/unz.XXXXXX")
	unzip -q "$out" -d "$d"
	for m in "$d"/IHE_XDM/*/METADATA.XML; do
		xmllint --noout --nonet "$m"
		python3 "$TOP/t/helpers/xds-check.py" "$m"
	done
	[ "${3:-}" = unchecked ] || python3 - "$d" <<-'EOF'
	import glob, hashlib, os, sys
	import xml.etree.ElementTree as ET
	R = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"
	for m in glob.glob(os.path.join(sys.argv[1], "IHE_XDM/*/METADATA.XML")):
	    for eo in ET.parse(m).getroot().iter(R + "ExtrinsicObject"):
	        s = {x.get("name"): x.find(R + "ValueList/" + R + "Value").text
	             for x in eo.findall(R + "Slot")}
	        data = open(os.path.join(os.path.dirname(m), s["URI"]), "rb").read()
	        assert hashlib.sha1(data).hexdigest() == s["hash"], s["URI"]
	        assert len(data) == int(s["size"]), s["URI"]
	EOF
	rm -rf "$d"
}

inbox() {
	timeout 120 rso-collect inbox --settle 0 "$@" drop
}

# A request and its token for case 1.
token() {
	rso-collect request RSO-2026-000001 --provider "Synthetic General Hospital" \
	    --contact fax:1 --what "all records" | jq -r .token
}

# A zip made on a machine whose names are Latin-1: its subset folder's
# name is bytes that are not UTF-8, which the events must still carry.
@test "inbox-xdm: a subset folder named in bytes that are not UTF-8 is recorded by its name made UTF-8, once" {
	tok=$(token)
	xdm "{\"tool\":\"zip\",\"set\":{\"comments\":\"In answer to $tok\",\"uid\":\"1.2.3.4.5.100\"},
	  \"patient\":{\"family\":\"Alpha\",\"given\":\"Test\",\"birth\":\"19610301\",\"sex\":\"F\"},
	  \"subsets\":{\"SUBSET\\udce9\":[{\"file\":\"docs/lab.txt\",\"uri\":\"DOC0002.TXT\",\"mime\":\"text/plain\",\"type\":\"11502-2\",\"title\":\"Chemistry\"}]}}" x.zip
	[ "$(bsdtar -tf x.zip | grep -c 'SUBSET\\351/')" -eq 2 ]
	cp x.zip drop/latin1.zip
	run -0 --separate-stderr inbox
	[ -z "$stderr" ]
	[ "$(jq -c 'select(.submission)' <<<"$output")" = '{"case":"RSO-2026-000001","submission":"1.2.3.4.5.100","documents":1}' ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select json_extract(data, '$.subset') from events where type = 'records.submission'"
	assert_output "IHE_XDM/SUBSET"$'\xef\xbf\xbd'"/"
	run -0 sqlite3 "$RSO_HOME/rso.db" "select json_extract(value, '$.name') from events, json_each(json_extract(events.data, '$.files')) where events.type = 'records.furniture' order by 1"
	assert_output "IHE_XDM/SUBSET"$'\xef\xbf\xbd'"/METADATA.XML
INDEX.HTM
README.TXT"
	# Sent again: known by that name, not recorded twice.
	cp x.zip drop/again.zip
	run -0 --separate-stderr inbox
	[ "$(jq -c 'select(.submission)' <<<"$output")" = '{"case":"RSO-2026-000001","submission":"1.2.3.4.5.100","existing":true}' ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where type = 'records.submission'")" -eq 1 ]
	rso-case verify >/dev/null
}

@test "inbox-xdm: a zip made with zip, metadata last, is filed by its METADATA.XML with the token of its submission set" {
	tok=$(token)
	xdm "{\"tool\":\"zip\",\"set\":{\"comments\":\"In answer to $tok\",\"title\":\"Records\",\"uid\":\"1.2.3.4.5.100\",\"time\":\"20260914083000\"},
	  \"patient\":{\"family\":\"Alpha\",\"given\":\"Test\",\"birth\":\"19610301\",\"sex\":\"F\"},\"docs\":$DOCS}" x.zip
	cp x.zip drop/direct-attachment.zip
	run -0 --separate-stderr inbox
	[ -z "$stderr" ]
	[ "$(jq -sc '[.[] | select(.item) | [.item, .type, .media_type]]' <<<"$output")" = \
	    '[["0001","pathology","application/pdf"],["0002","lab","text/plain"],["0003","note","text/xml"],["0004","note","text/html"]]' ]
	[ "$(jq -c 'select(.submission)' <<<"$output")" = '{"case":"RSO-2026-000001","submission":"1.2.3.4.5.100","documents":3}' ]
	[ "$(jq -c 'select(.furniture)' <<<"$output")" = '{"case":"RSO-2026-000001","furniture":3}' ]
	run -0 ls drop
	assert_output ''
	run -0 rso-collect ls RSO-2026-000001
	[ "$(jq -sc '[.[] | [.type, .date, .source]]' <<<"$output")" = \
	    '[["pathology","2026-03-10","Synthetic Pathology Lab"],["lab","2026-03-11","Synthetic General Hospital"],["note","2026-03-12","Synthetic General Hospital"],["note","2026-03-12","Synthetic General Hospital"]]' ]
	rso-collect cat RSO-2026-000001 1 | cmp - docs/path.pdf
	rso-collect cat RSO-2026-000001 2 | cmp - docs/lab.txt
	rso-collect cat RSO-2026-000001 3 | cmp - docs/ccd.xml
	run -0 sqlite3 "$RSO_HOME/rso.db" "select data from events where type = 'records.submission'"
	[ "$(jq -c '[.subset, .unique_id, .source_id, .source, .title, .submitted, .items]' <<<"$output")" = \
	    '["IHE_XDM/SUBSET01/","1.2.3.4.5.100","1.2.3.4","Synthetic General Hospital","Records","2026-09-14T08:30:00Z",["0001","0002","0003"]]' ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select data from events where type = 'records.furniture'"
	[ "$(jq -c '[.files[].name] | sort' <<<"$output")" = '["IHE_XDM/SUBSET01/METADATA.XML","INDEX.HTM","README.TXT"]' ]
	run -0 rso-collect missing RSO-2026-000001
	assert_output ''
	# The same message again: nothing filed or recorded twice.
	cp x.zip drop/again.zip
	run -0 --separate-stderr inbox
	[ "$(jq -c 'select(.submission)' <<<"$output")" = '{"case":"RSO-2026-000001","submission":"1.2.3.4.5.100","existing":true}' ]
	# The C-CDA's HTML view is a record too: four in all.
	[ "$(jq -s '[.[] | select(.existing and .item)] | length' <<<"$output")" -eq 4 ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where type = 'records.submission'")" -eq 1 ]
	rso-case verify >/dev/null
}

@test "inbox-xdm: a bsdtar zip, metadata first, two subsets: each filed, each submission recorded" {
	tok=$(token)
	one=$(jq -c '.[0:2]' <<<"$DOCS")
	two=$(jq -c '.[2:3] | .[0].uri = "sub/CCD.XML"' <<<"$DOCS")
	xdm "{\"tool\":\"bsdtar\",\"metadata_first\":true,\"set\":{\"recipient\":\"Second opinion office^^^^^^^^^$tok\"},
	  \"patient\":{\"family\":\"Alpha\",\"given\":\"Test\",\"birth\":\"19610301\"},\"subsets\":{\"SUBSET01\":$one,\"SUBSET02\":$two}}" drop/m.zip
	run -0 --separate-stderr inbox
	[ "$(jq -s '[.[] | select(.item)] | length' <<<"$output")" -eq 4 ]
	[ "$(jq -sc '[.[] | select(.submission) | .documents]' <<<"$output")" = '[2,1]' ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select data from events where type = 'records.submission' order by seq"
	[ "$(jq -sc '[.[] | [.subset, (.items | length)]]' <<<"$output")" = '[["IHE_XDM/SUBSET01/",2],["IHE_XDM/SUBSET02/",1]]' ]
	run -0 rso-collect ls RSO-2026-000001
	item=$(jq -r 'select(.sha256 == "'"$(sha256sum docs/ccd.xml | cut -d' ' -f1)"'") | .item' <<<"$output")
	rso-collect cat RSO-2026-000001 "$item" | cmp - docs/ccd.xml
}

@test "inbox-xdm: without a token, the document entries find their case by name and birth date" {
	xdm "{\"set\":{},\"patient\":{\"family\":\"ALPHA\",\"given\":\"TEST\",\"birth\":\"19610301\"},\"docs\":$DOCS}" drop/x.zip
	run -0 --separate-stderr inbox
	[ "$(jq -s '[.[] | select(.item and .case == "RSO-2026-000001")] | length' <<<"$output")" -eq 4 ]
	[ "$(jq -c 'select(.submission) | .case' <<<"$output")" = '"RSO-2026-000001"' ]
	run -0 ls drop
	assert_output ''
}

@test "inbox-xdm: without a token, a patient no open case has is rejected whole" {
	xdm "{\"set\":{},\"patient\":{\"family\":\"Gamma\",\"given\":\"Test\",\"birth\":\"19700101\"},\"docs\":$DOCS}" drop/x.zip
	run -65 --separate-stderr inbox
	[ "$stderr" = "rso-collect: drop: entry 1: member 3: no open case matches the document's patient (moved to .rejected)" ]
	[ -z "$output" ]
	[ "$(cat drop/.rejected/x.zip.reason)" = "member 3: no open case matches the document's patient" ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from records")" -eq 0 ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where type = 'records.submission'")" -eq 0 ]
}

@test "inbox-xdm: with the case's token but another patient, the documents are held; release files them" {
	tok=$(token)
	xdm "{\"set\":{\"title\":\"Records $tok\"},\"patient\":{\"family\":\"Gamma\",\"given\":\"Test\",\"birth\":\"19700101\"},\"docs\":$DOCS}" drop/x.zip
	run -0 --separate-stderr inbox
	[ "$(jq -sc '[.[] | select(.item) | .held]' <<<"$output")" = \
	    '["patient name does not match the case","patient name does not match the case","patient name does not match the case","patient name does not match the case"]' ]
	[ "$(jq -c 'select(.submission) | .documents' <<<"$output")" = 3 ]
	run -0 rso-collect held
	[ "$(jq -sc '[.[] | [.case, .first_item, .reason]]' <<<"$output")" = \
	    '[["RSO-2026-000001","0001","patient name does not match the case"],["RSO-2026-000001","0002","patient name does not match the case"],["RSO-2026-000001","0003","patient name does not match the case"],["RSO-2026-000001","0004","patient name does not match the case"]]' ]
	[[ "$output" != *Gamma* ]]
	run -0 rso-collect release RSO-2026-000001 1
	assert_output '{"case":"RSO-2026-000001","released":"1","items":1}'
	[ "$(rso-collect held | jq -s length)" -eq 3 ]
	rso-collect cat RSO-2026-000001 1 | cmp - docs/path.pdf
}

@test "inbox-xdm: a zip rso-export wrote in another store is filed in this one, byte for byte" {
	# The other hospital: its own store, key and folder; the same patient.
	other="$BATS_TEST_TMPDIR/other"
	mkdir "$other"
	(
		export RSO_HOME="$other/home" BATS_TEST_TMPDIR="$other"
		init_with_key
		cp "$DATA/config-panel.json" "$RSO_HOME/config.json"
		jq '.fee_gate = "none"' "$RSO_HOME/config.json" >"$other/c"
		mv "$other/c" "$RSO_HOME/config.json"
		rso-assign roster "$DATA/roster.jsonl" >/dev/null
		delivered_case 1
		rso-export --format xdm --to "$other" RSO-2026-000001 >/dev/null
	)
	z="$other/RSO-2026-000001.xdm.zip"
	unzip -tq "$z" >/dev/null
	unzip -p "$z" IHE_XDM/SUBSET01/METADATA.XML >m.xml
	xmllint --noout --nonet m.xml
	python3 "$TOP/t/helpers/xds-check.py" m.xml
	cp "$z" drop/from-other.zip
	run -0 --separate-stderr inbox
	[ -z "$stderr" ]
	[ "$(jq -s '[.[] | select(.item and .case == "RSO-2026-000001")] | length' <<<"$output")" -eq 2 ]
	[ "$(jq -c 'select(.submission) | [.case, .documents]' <<<"$output")" = '["RSO-2026-000001",2]' ]
	run -0 rso-collect ls RSO-2026-000001
	[ "$(jq -sc '[.[] | [.type, .date, .source, .media_type]]' <<<"$output")" = \
	    '[["note","2026-10-01","RSO PROGRAM","text/markdown"],["pathology","2026-10-01","Test Hospital","text/plain"]]' ]
	rso-collect cat RSO-2026-000001 1 | cmp - "$other/op-1.md"
	rso-collect cat RSO-2026-000001 2 | cmp - "$other/rec-1.txt"
}

@test "inbox-xdm: a document METADATA.XML does not name is filed as a plain file, with a note" {
	tok=$(token)
	xdm "{\"set\":{\"comments\":\"$tok\"},\"patient\":{\"family\":\"Alpha\",\"given\":\"Test\",\"birth\":\"19610301\"},\"docs\":$(jq -c '.[0:1]' <<<"$DOCS"),
	  \"extra\":[{\"name\":\"IHE_XDM/SUBSET01/EXTRA.TXT\",\"text\":\"extra\\n\"}]}" drop/x.zip
	run -0 --separate-stderr inbox
	[ "$stderr" = "rso-collect: drop: entry 1: member 5: not named by METADATA.XML (filed as a file)" ]
	[ "$(jq -s '[.[] | select(.item)] | length' <<<"$output")" -eq 2 ]
	[ "$(jq -c 'select(.submission) | .documents' <<<"$output")" = 1 ]
}

# bad SPEC_JSON STDERR: the zip is rejected whole, with the reason, exit 65,
# nothing filed.
bad() {
	run -65 --separate-stderr inbox
	[ "$stderr" = "rso-collect: drop: entry 1: $1 (moved to .rejected)" ]
	[ -z "$output" ]
	cmp drop/.rejected/x.zip x.zip
	[ "$(cat drop/.rejected/x.zip.reason)" = "$1" ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from records")" -eq 0 ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where type in ('records.submission', 'records.furniture')")" -eq 0 ]
}

spec_with() {
	printf '{"set":{"comments":"%s"},"patient":{"family":"Alpha","given":"Test","birth":"19610301"},"docs":%s%s}' \
	    "$tok" "$(jq -c "$1" <<<"$DOCS")" "${2:-}"
}

@test "inbox-xdm: a wrong SHA-1 in METADATA.XML rejects the whole zip" {
	tok=$(token)
	xdm "$(spec_with '.[1].hash = "0000000000000000000000000000000000000000"')" x.zip unchecked
	cp x.zip drop/x.zip
	bad "member 4: hash does not match METADATA.XML"
}

@test "inbox-xdm: a wrong size in METADATA.XML rejects the whole zip" {
	tok=$(token)
	xdm "$(spec_with '.[0].size = 3')" x.zip unchecked
	cp x.zip drop/x.zip
	bad "member 3: size does not match METADATA.XML"
}

@test "inbox-xdm: a URI naming no member of the zip rejects it" {
	tok=$(token)
	xdm "$(spec_with '.[2].absent = true')" x.zip unchecked
	cp x.zip drop/x.zip
	bad "member 5: METADATA.XML: document entry 3: \"URI\" names no member of the zip"
}

@test "inbox-xdm: a malformed METADATA.XML rejects the zip" {
	tok=$(token)
	xdm "$(spec_with '.' ',"metadata_raw":"<lcm:SubmitObjectsRequest>\n<oops></lcm:SubmitObjectsRequest>"')" x.zip unchecked 2>/dev/null || true
	cp x.zip drop/x.zip
	bad "member 6: METADATA.XML: line 2: not well-formed XML"
}

@test "inbox-xdm: a METADATA.XML with a DOCTYPE (an entity bomb) is refused at once" {
	tok=$(token)
	bomb='<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">]>\n<lolz>&g;&g;&g;&g;&g;&g;&g;&g;</lolz>\n'
	python3 "$TOP/t/helpers/xdm-make.py" /dev/stdin x.zip <<<"$(spec_with '.' ",\"metadata_raw\":\"$bomb\"")"
	cp x.zip drop/x.zip
	bad "member 6: METADATA.XML: has a document type declaration (refused: it may declare entities)"
}

@test "inbox-xdm: two METADATA.XML in one subset reject the zip" {
	tok=$(token)
	xdm "$(spec_with '.')" x.zip
	# zip and bsdtar refuse a name twice; python's zipfile writes it.
	python3 - x.zip <<-'EOF'
	import sys, warnings, zipfile
	warnings.simplefilter("ignore")
	with zipfile.ZipFile(sys.argv[1], "a") as z:
	    z.writestr("IHE_XDM/SUBSET01/METADATA.XML", z.read("IHE_XDM/SUBSET01/METADATA.XML"))
	EOF
	cp x.zip drop/x.zip
	bad "member 7: a second METADATA.XML in its folder (member 6)"
}

@test "inbox-xdm: a zip of 3,000 documents files in one run, memory flat (under 16 MiB)" {
	tok=$(token)
	python3 - "$tok" >spec.json <<-'EOF'
	import json, os, sys
	os.makedirs("many")
	docs = []
	for i in range(1, 3001):
	    p = "many/d%04d.txt" % i
	    with open(p, "w") as f:
	        # Lengths going down as well as up: a spool lent again must
	        # hold nothing of the longer document it held before.
	        f.write("Synthetic note %d: potassium 4.1 mmol/L.%s\n" %
	                (i, "." * ((3001 - i) % 200)))
	    docs.append({"file": p, "uri": "DOC%04d.TXT" % i, "mime": "text/plain",
	                 "type": "11506-3", "title": "Note %d" % i})
	json.dump({"set": {"comments": "In answer to " + sys.argv[1]},
	           "patient": {"family": "Alpha", "given": "Test", "birth": "19610301"},
	           "docs": docs}, sys.stdout)
	EOF
	python3 "$TOP/t/helpers/xdm-make.py" spec.json drop/many.zip
	# Before issue 22 the metadata's tree and every entry were held: some
	# 40 KiB a document, 130 MB here.
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-collect -q inbox --settle 0 drop
	[ "$(jq -s '[.[] | select(.item)] | length' <<<"$output")" -eq 3000 ]
	[ "$(jq -c 'select(.submission) | .documents' <<<"$output")" -eq 3000 ]
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# peak RSS ${rss} KiB" >&3
	# ASan's shadow memory and quarantine are not the program's.
	grep -q __asan_init "$(command -v rso-collect)" || [ "$rss" -lt 16384 ]
	run -0 ls drop
	assert_output ''
	run -0 rso-collect ls RSO-2026-000001
	[ "$(jq -s 'length' <<<"$output")" -eq 3000 ]
	[ "$(jq -r 'select(.item == "3000") | .type' <<<"$output")" = note ]
	# Spools are lent again once a batch (128) is filed: each record is
	# its own document, in the index and in the segments, across batches.
	jq -r '.sha256 // empty' <<<"$output" >filed.sha
	(cd many && sha256sum d*.txt | cut -c1-64) >sent.sha
	cmp filed.sha sent.sha
	for i in 1 128 129 256 257 2999 3000; do
		rso-collect cat RSO-2026-000001 "$i" | cmp - "$(printf 'many/d%04d.txt' "$i")"
	done
	rso-case verify >/dev/null
}
