#!/usr/bin/env bats
# A sample run of each program under valgrind: no invalid read or write,
# no use of uninitialised memory, no leak.  Each program is wrapped so the
# pipelines stay as they are.
load lib

local_setup() {
	need valgrind
	# ASan's shadow memory and valgrind do not mix: make asan runs the rest.
	if grep -q __asan_init "$TOP/${RSO_BUILD:-build}/bin/rso-case"; then
		skip "programs built with AddressSanitizer"
	fi
	mkdir -p vg logs
	for p in "$TOP/${RSO_BUILD:-build}"/bin/rso-*; do
		cat >"vg/${p##*/}" <<SH
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \\
    --log-file="$PWD/logs/${p##*/}.%p.log" "$p" "\$@"
SH
		chmod +x "vg/${p##*/}"
	done
	init_with_key
	cp "$DATA/config-panel.json" "$RSO_HOME/config.json"
	export PATH="$PWD/vg:$PATH"
}

@test "valgrind: a case from intake to delivery, with DICOM, is clean" {
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	printf 'ref,patient.name,patient.birth_date,specialty,questions\r\nt-2,Test Beta,1970-01-01,oncology,Q1|Q2\r\n' | rso-intake --csv - >/dev/null
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-06-30 >/dev/null
	rso-collect request RSO-2026-000001 --provider "Test Imaging" --contact fax:1 --what MRI >/dev/null
	RSO_NOW=2026-10-09T12:00:00Z rso-collect due >/dev/null
	gen-dicom --study s n=2 syntax=deflated_le >/dev/null
	gen-dicom --study in/cd n=2 tag=cd >/dev/null
	echo 'a note' >note.txt
	rso-collect add --type note RSO-2026-000001 note.txt s/IM00001.dcm s/IM00002.dcm >/dev/null
	rso-collect inbox --settle 0 in >/dev/null
	rso-collect scan s >/dev/null
	rso-collect ls RSO-2026-000001 >/dev/null
	rso-collect cat RSO-2026-000001 1 >/dev/null
	rso-collect complete RSO-2026-000001 >/dev/null
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	rso-assign match RSO-2026-000001 >/dev/null
	rso-assign RSO-2026-000001 >/dev/null
	sp=$(sqlite3 "$RSO_HOME/rso.db" "select specialist_id from assignments limit 1")
	for s in $(sqlite3 "$RSO_HOME/rso.db" "select specialist_id from assignments"); do
		rso-assign accept --by "$s" RSO-2026-000001 >/dev/null
	done
	echo '# Opinion' >op.md
	rso-opinion record --outcome confirmed --file op.md RSO-2026-000001 >/dev/null
	rso-opinion deliver RSO-2026-000001 >/dev/null
	rso-case show RSO-2026-000001 >/dev/null
	rso-case log RSO-2026-000001 >/dev/null
	rso-case list -f csv >/dev/null
	rso-case verify >/dev/null
	# Bad input goes through the error paths.
	echo '{"ref":' | rso-intake >/dev/null 2>&1 || true
	head -c 300 s/IM00002.dcm >cut.dcm
	rso-collect add RSO-2026-000001 cut.dcm >/dev/null 2>&1 || true
	[ -n "$sp" ]
	# Every program ran under valgrind, and none said a thing.
	[ "$(ls logs | sed 's/\..*//' | sort -u | wc -l)" -ge 5 ]
	run -0 find logs -type f -size +0
	assert_output ''
}
