#!/usr/bin/env bats
# The build as a newcomer meets it: a fresh machine where the libraries
# arrive only when scripts/bootstrap runs, and make install for a PREFIX
# other than the one built for.  Each test builds a copy of the tree.
load lib

# The tests' own makes start afresh: nothing of an outer make (O=, CFLAGS=
# from make asan) reaches them.
local_setup() {
	unset MAKEFLAGS MAKELEVEL MFLAGS
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
