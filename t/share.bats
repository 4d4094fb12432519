#!/usr/bin/env bats
# Shared files (config.json, fees.json, templates under RSO_SHARE or the
# folder built in): a program that cannot find them says where it looked
# and names RSO_SHARE, with exit 78.
load lib

in_share() {
	echo "(looked for the shared files in RSO_SHARE)"
}

built_in() {
	echo "(looked for the shared files in the built-in folder; set RSO_SHARE to where they are)"
}

@test "share: init without the shared files names RSO_SHARE, exit 78" {
	RSO_SHARE="$BATS_TEST_TMPDIR/nowhere" run -78 --separate-stderr rso-case init
	[ "$stderr" = "rso-case: $BATS_TEST_TMPDIR/nowhere/config.json: No such file or directory $(in_share)" ]
}

@test "share: a program whose share folder is gone says where it looked, exit 78" {
	rso-case init -q
	RSO_SHARE="$BATS_TEST_TMPDIR/nowhere" run -78 --separate-stderr rso-case list
	[ "$stderr" = "rso-case: $BATS_TEST_TMPDIR/nowhere/config.json: No such file or directory $(in_share)" ]
	RSO_SHARE="$BATS_TEST_TMPDIR/nowhere" run -78 --separate-stderr rso-intake "$DATA/request.json"
	[ "$stderr" = "rso-intake: $BATS_TEST_TMPDIR/nowhere/config.json: No such file or directory $(in_share)" ]
}

@test "share: without RSO_SHARE, the built-in folder is named as such" {
	# The build's folder is PREFIX/share/rso, /usr/local/share/rso by default.
	[ ! -e /usr/local/share/rso/config.json ] || skip "rso is installed in /usr/local"
	rso-case init -q
	unset RSO_SHARE
	run -78 --separate-stderr rso-case list
	[ "$stderr" = "rso-case: /usr/local/share/rso/config.json: No such file or directory $(built_in)" ]
}

@test "share: a missing fee schedule names RSO_SHARE, exit 78" {
	rso-case init -q
	rso-intake "$DATA/request.json" >/dev/null
	mkdir part
	cp "$RSO_SHARE/config.json" part/
	rm "$RSO_HOME/fees.json"
	RSO_SHARE="$PWD/part" run -78 --separate-stderr rso-bill quote RSO-2026-000001
	[ "$stderr" = "rso-bill: $PWD/part/fees.json: No such file or directory $(in_share)" ]
	# A missing template: t/rso-collect.bats (missing -f letter).
}

@test "share: rso-mail without its shared files says where it looked, exit 78" {
	RSO_SHARE="$BATS_TEST_TMPDIR/nowhere" run -78 --separate-stderr rso-mail -n <<<'{}'
	[ "$stderr" = "rso-mail: $BATS_TEST_TMPDIR/nowhere/config.json: No such file or directory $(in_share)" ]
}
