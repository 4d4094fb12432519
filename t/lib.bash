# t/lib.bash: shared set-up for the bats tests.
# Each test gets a throw-away store and a fixed clock; built programs come
# first on PATH.  Only synthetic data, ever.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
export TOP
export PATH="$TOP/${RSO_BUILD:-build}/bin:$TOP/scripts:$PATH"
export RSO_SHARE="$TOP/share"
DATA="$TOP/t/data"

setup() {
	export RSO_HOME="$BATS_TEST_TMPDIR/home"
	export RSO_NOW="2026-10-01T12:00:00Z"
	export RSO_ACTOR="tester"
	unset RSO_IDENTITY XDG_DATA_HOME
	cd "$BATS_TEST_TMPDIR" || return 1
	if declare -F local_setup >/dev/null; then local_setup; fi
}
