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

# A store whose archives are encrypted to a fresh test key; RSO_IDENTITY
# names the key, as an operator's environment would.
init_with_key() {
	rso-case keygen -o "$BATS_TEST_TMPDIR/key.txt" 2>"$BATS_TEST_TMPDIR/key.pub"
	export RSO_IDENTITY="$BATS_TEST_TMPDIR/key.txt"
	PUBKEY=$(sed 's/^Public key: //' "$BATS_TEST_TMPDIR/key.pub")
	export PUBKEY
	rso-case init -q -r "$PUBKEY"
}

# Case n (ref t-n, from t/data/request.json with the jq change in $2) taken
# to ready: intake, consent, one record, complete.
ready_case() {
	local n=$1 change=${2:-.}
	jq -c ".ref=\"t-$n\" | $change" "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent "$(printf 'RSO-2026-%06d' "$n")" --providers "Test Hospital" \
	    --expires 2027-06-30 >/dev/null
	printf 'Synthetic pathology report %s.\n' "$n" >"$BATS_TEST_TMPDIR/rec-$n.txt"
	rso-collect add --type pathology --source "Test Hospital" \
	    "$(printf 'RSO-2026-%06d' "$n")" "$BATS_TEST_TMPDIR/rec-$n.txt" >/dev/null
	rso-collect complete "$(printf 'RSO-2026-%06d' "$n")" >/dev/null
}
