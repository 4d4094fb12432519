#!/usr/bin/env bats
# rso-bill under 10,000 random operations: check stays clean and every
# balance equals what the test computes itself from the same inputs.
load lib

@test "bill-property: 10,000 random invoices, payments, claims and refunds balance" {
	rso-case init -q
	echo '{"fee_gate":"none"}' >"$RSO_HOME/config.json"
	# The schedule the test's own arithmetic uses (bill-property.py FEES).
	cat >"$RSO_HOME/fees.json" <<'JSON'
{"currency":"USD","home_country":"US",
 "base":{"default":"950.00","oncology":"950.00","cardiology":"850.00","neurology":"750.00"},
 "addons":{"imaging_second_read":"350.00","pathology_read":"400.00","rush":"250.00"},
 "reimbursable":["imaging_second_read","pathology_read"],
 "international_surcharge":"150.00","max_total":"2500.00"}
JSON
	run -0 /usr/bin/python3 "$TOP/t/helpers/bill-property.py" 20261125 1000
	echo "# $output" >&3
	assert_output --regexp '^1[0-9]{4} operations over 1000 cases: [0-9]+ transactions, balanced$'
}
