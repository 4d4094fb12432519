
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
	[[ "${stderr_lines[0]}" =~ ^"rso-collect: drop: entry 1: member "[0-9]": not DICOM, and the entry's instances are of several cases (moved to .rejected)"$ ]]
	[ "${stderr_lines[1]}" = "rso-collect: drop: entry 2: nothing but media furniture, and no request token or case id in the name or a sidecar (moved to .rejected)" ]
	# The instances went to their cases; the entry is kept whole all the same.
	[ "$(jq -r .case <<<"$output" | sort | tr '\n' ' ')" = "RSO-2026-000001 RSO-2026-000002 " ]
	[ "$(ls drop/.rejected/mixed | wc -l)" -eq 3 ] && [ -e drop/.rejected/viewer/README.TXT ]
	[ "$(cat drop/.rejected/viewer.reason)" = "nothing but media furniture, and no request token or case id in the name or a sidecar" ]
	invariant
}
