#!/usr/bin/env bats
# rso-report: figures checked against values computed here, from the same
# store, with Python's sqlite3 module -- never against the report itself.
load lib

setup_file() {
	export PROGRAM="$BATS_FILE_TMPDIR/program"
	mkdir -p "$PROGRAM"
	local top
	top=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	(
		export PATH="$top/${RSO_BUILD:-build}/bin:$top/scripts:$PATH"
		export RSO_SHARE="$top/share" RSO_HOME="$PROGRAM/home" RSO_ACTOR=gen
		export RSO_NOW=2025-10-01T00:00:00Z
		rso-case keygen -q -o "$PROGRAM/key.txt"
		rso-case init -q -r "$(sed -n 's/^# public key: //p' "$PROGRAM/key.txt")"
		echo '{"fee_gate":"before-review"}' >"$RSO_HOME/config.json"
		/usr/bin/python3 "$top/scripts/gen-program" --seed 7 --cases 300 >/dev/null
	)
}

local_setup() {
	export RSO_HOME="$PROGRAM/home" RSO_NOW=2026-11-05T00:00:00Z
}

# q SQL: one value from the store, by Python's sqlite3 (not rso).
q() {
	/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$RSO_HOME/rso.db" "$1"
}

# The value of a metric in monthly's JSON lines.
metric() {
	jq -r --arg m "$1" 'select(.section == "figures" and .metric == $m) | .value' <<<"$output"
}

@test "rso-report: monthly counts match the events" {
	run -0 rso-report monthly --month 2026-06
	[ "$(metric 'new requests')" = "$(q "select count(*) from cases where created >= '2026-06-01' and created < '2026-07-01'")" ]
	[ "$(metric 'opinions delivered')" = "$(q "select count(*) from (select case_id from events where type = 'opinion.delivered' group by case_id having min(at) >= '2026-06-01' and min(at) < '2026-07-01')")" ]
	[ "$(metric 'cancelled')" = "$(q "select count(*) from events where type = 'case.cancelled' and at >= '2026-06-01' and at < '2026-07-01'")" ]
	[ "$(metric 'invoiced')" = "$(q "select printf('%.2f', sum(total) / 100.0) from invoices where issued >= '2026-06-01' and issued < '2026-07-01'")" ]
	# The previous month's column is May's figure.
	[ "$(jq -r 'select(.metric == "new requests") | .previous' <<<"$output")" = "$(q "select count(*) from cases where created >= '2026-05-01' and created < '2026-06-01'")" ]
	[ "$(jq -r 'select(.metric == "new requests") | .last_year' <<<"$output")" = 0 ]
}

@test "rso-report: the SLA figures match a clock computed here, hold excluded" {
	run -0 rso-report monthly --month 2026-06
	/usr/bin/python3 - "$RSO_HOME/rso.db" >want.txt <<'PY'
import math, sqlite3, sys
from datetime import datetime
db = sqlite3.connect(sys.argv[1])
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timestamp()
clocks = []
for (case,) in db.execute("select case_id from events where type = 'opinion.delivered' group by case_id having min(at) >= '2026-06-01' and min(at) < '2026-07-01'"):
    ready = held = hold = delivered = None
    held = 0
    for typ, at in db.execute("select type, at from events where case_id = ? order by seq", (case,)):
        if typ == "records.complete": ready, held, hold = t(at), 0, None
        elif typ == "case.held" and ready: hold = t(at)
        elif typ == "case.resumed" and hold: held += t(at) - hold; hold = None
        elif typ == "opinion.delivered" and delivered is None: delivered = t(at)
    clocks.append(delivered - ready - held)
clocks.sort()
rank = lambda p: clocks[math.ceil(p * len(clocks) / 100) - 1]
day = lambda s: "%.1f" % (math.floor(s / 8640 + 0.5) / 10)
within = sum(1 for c in clocks if c <= 14 * 86400)
print(day(rank(50)), day(rank(90)), "%.1f%%" % (math.floor(1000 * within / len(clocks) + 0.5) / 10), len(clocks) - within)
PY
	got="$(metric 'median days ready to delivered') $(metric 'p90 days ready to delivered') $(metric 'delivered within the SLA') $(metric 'SLA breaches')"
	[ "$got" = "$(cat want.txt)" ]
	run -0 rso-report turnaround --month 2026-06
	[ "$(jq -s '[.[] | select(.section == "breaches")] | length' <<<"$output")" = "$(cut -d' ' -f4 want.txt)" ]
	[ "$(jq -s '[.[] | select(.section == "specialties") | .delivered] | add' <<<"$output")" = "$(q "select count(*) from (select case_id from events where type = 'opinion.delivered' group by case_id having min(at) >= '2026-06-01' and min(at) < '2026-07-01')")" ]
}

@test "rso-report: nps, attrition, outcomes and funnel match the events" {
	run -0 rso-report nps --since 2025-11-01 --until 2026-11-01
	scores=$(q "select group_concat(json_extract(data, '\$.score')) from events where type = 'survey.answered' and at >= '2025-11-01' and at < '2026-11-01'")
	want=$(/usr/bin/python3 -c 'import sys; s=[int(x) for x in sys.argv[1].split(",")]; p=sum(x>=9 for x in s); d=sum(x<=6 for x in s); import math; x=100*(p-d)/len(s); print(len(s), p, d, int(math.copysign(math.floor(abs(x)+0.5), x)))' "$scores")
	[ "$(jq -r 'select(.section == "nps") | "\(.responses) \(.promoters) \(.detractors) \(.nps)"' <<<"$output")" = "$want" ]
	run -0 rso-report attrition --since 2025-11-01 --until 2026-12-01
	[ "$(jq -s 'map(.cases) | add' <<<"$output")" = "$(q "select count(*) from events where type = 'case.cancelled'")" ]
	[ "$(jq -r 'select(.reason == "no-payment") | .stage' <<<"$output" | sort -u)" = ready ]
	run -0 rso-report outcomes --since 2025-11-01 --until 2026-12-01
	[ "$(jq -s '[.[] | select(.outcome == "confirmed") | .cases] | add' <<<"$output")" = "$(q "select count(*) from opinions where outcome = 'confirmed' and role = 'primary'")" ]
	run -0 rso-report funnel --month 2026-03
	[ "$(jq -r 'select(.step == "requested") | .cases' <<<"$output")" = "$(q "select count(*) from cases where created >= '2026-03-01' and created < '2026-04-01'")" ]
	[ "$(jq -r 'select(.step == "delivered") | .cases' <<<"$output")" = "$(q "select count(*) from cases c where created >= '2026-03-01' and created < '2026-04-01' and exists (select 1 from events where case_id = c.id and type = 'opinion.delivered')")" ]
}

@test "rso-report: audit ties to the ledger, and fails with 65 when it does not" {
	run -0 rso-report audit --month 2026-06
	[ "$(jq -sc '[.[] | select(.section == "totals") | .ties] | unique' <<<"$output")" = '["yes"]' ]
	[ "$(jq -s '[.[] | select(.section == "invoices")] | length' <<<"$output")" = "$(q "select count(*) from invoices where issued >= '2026-06-01' and issued < '2026-07-01'")" ]
	cp -r "$RSO_HOME" home2
	sqlite3 home2/rso.db "update payments set amount = amount + 100 where processor_id = (select processor_id from payments order by paid limit 1 offset 150)"
	RSO_HOME=$PWD/home2 run -65 --separate-stderr rso-report audit --since 2025-11-01 --until 2026-12-01 -f text
	[ "$stderr" = "rso-report: audit: the documents do not tie to the ledger" ]
	assert_line --regexp '^  payments +[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{2}  NO$'
}

@test "rso-report: CSV is spreadsheet-safe and text aligns" {
	run -0 rso-report reach --month 2026-06 -f csv
	# Each section: a row with its title, its header, its rows.
	[ "${lines[0]}" = $'By country and region\r' ]
	[ "${lines[1]}" = $'country,region,cases\r' ]
	assert_line $'By referral source\r'
	[ "$(grep -c $'^\r$' <<<"$output")" = 1 ]
	cp -r "$RSO_HOME" home2
	sqlite3 home2/rso.db "update cases set referral_source = '=HYPERLINK(\"x\")' where id = (select min(id) from cases where created >= '2026-06-01')"
	RSO_HOME=$PWD/home2 run -0 rso-report reach --month 2026-06 -f csv
	assert_line --partial $'"\'=HYPERLINK(""x"")",1'
	run -0 rso-report specialists --month 2026-06 -f text
	assert_line --index 0 "Specialists, 2026-06"
	assert_line --regexp '^  Specialist +Assigned +Declined +Delivered +Median review days +Within SLA +Payouts \(USD\)$'
}

@test "rso-report: the HTML report is one self-contained page that chromium renders" {
	run -0 rso-report monthly --month 2026-06 -f html
	[[ "$output" == "<!DOCTYPE html>"* ]]
	[[ "$output" != *"<script"* ]]
	[[ "$output" != *"http://"*"src="* ]]
	[ "$(grep -c '<svg' <<<"$output")" -eq 3 ]
	echo "$output" >monthly.html
	# Every element opened is closed, in order (Python's own HTML parser).
	/usr/bin/python3 - monthly.html <<'PY'
import html.parser, sys
void = {"meta", "br", "img", "hr", "input", "link"}
class P(html.parser.HTMLParser):
    stack = []
    def handle_starttag(self, tag, a):
        if tag not in void: self.stack.append(tag)
    def handle_startendtag(self, tag, a): pass
    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag: sys.exit("unbalanced " + tag)
p = P(); p.feed(open(sys.argv[1]).read())
sys.exit("unclosed %s" % p.stack if p.stack else 0)
PY
	command -v chromium >/dev/null || skip "chromium not installed"
	run timeout 120 chromium --headless --no-sandbox --disable-gpu --window-size=1100,1600 --screenshot="$PWD/monthly.png" "file://$PWD/monthly.html"
	[ -s monthly.png ]
	[ "$(head -c 8 monthly.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}

@test "rso-report: bad options and an empty store" {
	run -64 --separate-stderr rso-report
	[ "${stderr_lines[0]}" = "rso-report: which report?" ]
	run -64 --separate-stderr rso-report weekly
	[ "${stderr_lines[0]}" = "rso-report: argument 1: not a report (see --help)" ]
	run -64 --separate-stderr rso-report monthly --month 2026-13
	[ "${stderr_lines[0]}" = "rso-report: --month: not a month such as 2026-10" ]
	run -64 --separate-stderr rso-report monthly --month 2026-10 --since 2026-01-01
	[ "${stderr_lines[0]}" = "rso-report: --month: not with --since or --until" ]
	run -64 --separate-stderr rso-report monthly -f pdf
	[ "${stderr_lines[0]}" = "rso-report: --format: not one of json, csv, text, html" ]
	export RSO_HOME="$BATS_TEST_TMPDIR/empty"
	rso-case init -q
	run -0 rso-report monthly -f text
	assert_line --regexp '^  new requests +0 +0 +0$'
	run -0 rso-report audit
	[ "$(jq -sc '[.[] | select(.section == "totals") | .ties] | unique' <<<"$output")" = '["yes"]' ]
}

# A copy of the program's store with downstream care recorded through
# rso-case and the program's costs set, for the ROI and maturity tests.
roi_store() {
	cp -r "$RSO_HOME" "$BATS_TEST_TMPDIR/roi"
	export RSO_HOME="$BATS_TEST_TMPDIR/roi"
	jq '.costs = {"monthly_fixed": "12,000.00", "per_case": "85.50"}' "$RSO_HOME/config.json" >c.json
	mv c.json "$RSO_HOME/config.json"
	local kinds=(procedure admission imaging visit procedure imaging) i=0 c
	# Cases delivered in May and June; each record dated in June, one in
	# May (entered late, in June) and one in July.
	for c in $(q "select group_concat(case_id, ' ') from (select case_id from events where type = 'opinion.delivered' and at >= '2026-05-15' and at < '2026-06-20' order by seq limit 14)"); do
		case $i in
		12) d=2026-05-31 ;; 13) d=2026-07-01 ;; *) d=$(printf '2026-06-%02d' $((i * 2 + 1))) ;;
		esac
		RSO_NOW=2026-06-30T10:00:00Z rso-case downstream --kind "${kinds[i % 6]}" \
		    --revenue "$((1000 + i * 777)).$((i * 7 % 100))" --date "$d" "$c" >/dev/null
		i=$((i + 1))
	done
	rso-bill payout --month 2026-06 >/dev/null
}

# roi_metric NAME: the value of a figure in roi's JSON lines.
roi_metric() {
	jq -r --arg m "$1" 'select(.section == "figures" and .metric == $m) | .value' <<<"$output"
}

@test "rso-report: roi figures match the ledger, the downstream records and the costs" {
	roi_store
	run -0 rso-report roi --month 2026-06
	collected=$(q "select sum(p.amount) from postings p join ledger_tx t on t.id = p.tx_id where p.account = 'cash' and p.amount > 0 and t.at >= '2026-06-01' and t.at < '2026-07-01'")
	ds=$(q "select count(*) || ' ' || sum(json_extract(data, '\$.revenue')) from events where type = 'case.downstream' and json_extract(data, '\$.date') between '2026-06-01' and '2026-06-30'")
	delivered=$(q "select count(*) from (select case_id from events where type = 'opinion.delivered' group by case_id having min(at) >= '2026-06-01' and min(at) < '2026-07-01')")
	payouts=$(q "select sum(amount) from payouts where month = '2026-06'")
	[ "$payouts" -gt 0 ]
	want=$(/usr/bin/python3 - "$collected" $ds "$delivered" "$payouts" <<'PY'
import sys
collected, n, rev, delivered, payouts = map(int, sys.argv[1:])
costs = 1200000 + 8550 * delivered + payouts
m = lambda c: "%s%d.%02d" % ("-" if c < 0 else "", abs(c) // 100, abs(c) % 100)
ratio = ((collected + rev) * 100 * 2 + costs) // (2 * costs)
print(m(collected), n, m(rev), delivered, m(8550 * delivered), m(payouts), m(costs), m(collected + rev - costs), "%d.%02d" % (ratio // 100, ratio % 100))
PY
)
	got="$(roi_metric 'fees collected') $(roi_metric 'downstream care') $(roi_metric 'downstream revenue') $(roi_metric 'opinions delivered') $(roi_metric 'costs: per delivered opinion') $(roi_metric 'costs: specialist payouts') $(roi_metric costs) $(roi_metric net) $(roi_metric 'return ratio')"
	[ "$got" = "$want" ]
	[ "$(roi_metric 'costs: fixed')" = 12000.00 ]
	# The same fees collected as the monthly report, which now shows the
	# downstream care too.
	roi=$output
	run -0 rso-report monthly --month 2026-06
	[ "$(metric collected)" = "$(output=$roi roi_metric 'fees collected')" ]
	[ "$(metric 'downstream care') $(metric 'downstream revenue')" = "$(cut -d' ' -f2,3 <<<"$want")" ]
	[ "$(jq -r 'select(.metric == "downstream care") | .previous' <<<"$output")" = "$(q "select count(*) from events where type = 'case.downstream' and json_extract(data, '\$.date') like '2026-05-%'")" ]
	# By kind, each against its own count; "all" is the total.
	run -0 rso-report roi --month 2026-06
	for k in procedure admission imaging visit; do
		[ "$(jq -r --arg k $k 'select(.section == "downstream" and .kind == $k) | "\(.count) \(.revenue)"' <<<"$output")" = \
		    "$(q "select count(*) || ' ' || printf('%.2f', coalesce(sum(json_extract(data, '\$.revenue')), 0) / 100.0) from events where type = 'case.downstream' and json_extract(data, '\$.kind') = '$k' and json_extract(data, '\$.date') between '2026-06-01' and '2026-06-30'")" ]
	done
	[ "$(jq -r 'select(.kind == "all") | .count' <<<"$output")" = "$(cut -d' ' -f2 <<<"$want")" ]
}

@test "rso-report: roi prorates the fixed cost over part months, in every format" {
	roi_store
	run -0 rso-report roi --since 2026-06-16 --until 2026-07-16
	# 15 of June's 30 days and 15 of July's 31, of 12,000.00.
	[ "$(roi_metric 'costs: fixed')" = "$(/usr/bin/python3 -c 'print("%.2f" % ((1200000 * 15 // 30 + (1200000 * 15 * 2 + 31) // 62) / 100))')" ]
	run -0 rso-report roi --since 2026-06-01 --until 2026-06-11
	[ "$(roi_metric 'costs: fixed')" = 4000.00 ]
	run -0 rso-report roi --month 2026-06 -f csv
	# Amounts stay plain numbers; the header names the currency, or the
	# title where amounts share a column with counts.
	[ "${lines[0]}" = $'"Fees, downstream care, costs and net (amounts in USD)"\r' ]
	[ "${lines[1]}" = $'metric,value\r' ]
	assert_line $'kind,count,revenue (USD)\r'
	assert_line --regexp '^all,[0-9]+,[0-9]+\.[0-9]{2}'$'\r$'
	run -0 rso-report roi --month 2026-06 -f text
	assert_line --index 0 "Return on the program, 2026-06"
	assert_line --regexp '^  costs: fixed +12000\.00$'
	run -0 rso-report roi --month 2026-06 -f html
	[ "$(grep -c '<svg' <<<"$output")" -eq 1 ]
	# Without costs (none configured, no payouts for July) no ratio.
	echo '{}' >"$RSO_HOME/config.json"
	run -0 rso-report roi --month 2026-07
	[ "$(roi_metric costs) $(roi_metric 'return ratio')" = "0.00 null" ]
}

@test "rso-report: roi refuses costs that are not amounts" {
	cp -r "$RSO_HOME" home2
	echo '{"costs":{"per_case":"85.555"}}' >home2/config.json
	RSO_HOME=$PWD/home2 run -78 --separate-stderr rso-report roi --month 2026-06
	[ "$stderr" = "rso-report: config.json: costs.per_case: more than 2 decimals" ]
	echo '{"costs":{"monthly_fixed":"lots"}}' >home2/config.json
	RSO_HOME=$PWD/home2 run -78 --separate-stderr rso-report roi --month 2026-06
	[ "$stderr" = "rso-report: config.json: costs.monthly_fixed: not an amount such as 750.00" ]
	RSO_HOME=$PWD/home2 run -64 --separate-stderr rso-report roi --month 2026-6
	[ "${stderr_lines[0]}" = "rso-report: --month: not a month such as 2026-10" ]
	RSO_HOME=$PWD/home2 run -64 --separate-stderr rso-report roi --until 2026-06-01
	[ "${stderr_lines[0]}" = "rso-report: --until: needs --since" ]
}

@test "rso-report: maturity figures and levels match the store, by thresholds in config" {
	roi_store
	# Payment methods, patients abroad, intake channels and exports, so
	# that every dimension has something to measure.
	sqlite3 "$RSO_HOME/rso.db" "update payments set method = case rowid % 4 when 0 then 'card' when 1 then 'cash' when 2 then 'ach' else method end;
	    update cases set country = 'MX' where rowid % 5 = 0;
	    update cases set intake = json_set(intake, '\$.channel', case rowid % 3 when 0 then 'web' else 'phone' end) where rowid % 2 = 0"
	mkdir ehr
	RSO_IDENTITY="$PROGRAM/key.txt" rso-export --format fhir --to ehr $(q "select group_concat(case_id, ' ') from (select case_id from events where type = 'opinion.delivered' and at >= '2026-06-01' and at < '2026-07-01' order by seq limit 9)") >/dev/null
	# A case sent only to a partner is not in the EHR or PACS.
	rso-case keygen -o partner.txt 2>partner.pub
	RSO_IDENTITY="$PROGRAM/key.txt" rso-export --format archive -r "$(grep -o 'age1[a-z0-9]*' partner.pub)" --to ehr $(q "select case_id from events where type = 'opinion.delivered' and at >= '2026-06-01' and at < '2026-07-01' order by seq limit 1 offset 9") >/dev/null
	/usr/bin/python3 - "$RSO_HOME/rso.db" >want.txt <<'PY'
import sqlite3, sys
from datetime import datetime
db = sqlite3.connect(sys.argv[1])
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timestamp()
S, U, NOW, DAY = "2026-06-01", "2026-07-01", t("2026-11-05T00:00:00Z"), 86400
one = lambda sql, *a: db.execute(sql, a).fetchone()
def clock(case):
    ready = hold = delivered = None; held = 0
    for typ, at in db.execute("select type, at from events where case_id = ? order by seq", (case,)):
        if typ == "records.complete": ready, held, hold = t(at), 0, None
        elif typ == "case.held" and ready: hold = t(at)
        elif typ == "case.resumed" and hold: held += t(at) - hold; hold = None
        elif typ == "opinion.delivered" and delivered is None: delivered = t(at)
    if hold: held += NOW - hold
    return ready, ready + 14 * DAY + held, delivered
delivered = [c for (c,) in db.execute("select case_id from events where type = 'opinion.delivered' group by case_id having min(at) >= ? and min(at) < ?", (S, U))]
def pct(n, d): return "%.1f%%" % (int(1000 * n / d + 0.5) / 10)
def level(n, d, lo, hi):
    x = int(1000 * n / d + 0.5)
    return "established" if x >= hi * 10 else "intermediate" if x >= lo * 10 else "pilot"
def out(n, d, lo, hi): print(pct(n, d), level(n, d, lo, hi))
within = sum(1 for c in delivered if clock(c)[2] <= clock(c)[1])
out(within, len(delivered), 50, 90)
methods = [m for (m,) in db.execute("select y.method from payments y join ledger_tx t on t.id = y.tx_id where t.at >= ? and t.at < ? and y.method is not null", (S, U))]
out(sum(m in ("card", "ach") for m in methods), len(methods), 60, 95)
coll = one("select sum(p.amount) from postings p join ledger_tx t on t.id = p.tx_id where p.account = 'cash' and p.amount > 0 and t.at >= ? and t.at < ?", S, U)[0]
rev = one("select sum(json_extract(data, '$.revenue')) from events where type = 'case.downstream' and json_extract(data, '$.date') between '2026-06-01' and '2026-06-30'")[0]
costs = 1200000 + 8550 * len(delivered) + one("select sum(amount) from payouts where month = '2026-06'")[0]
net, ratio = coll + rev - costs, ((coll + rev) * 200 + costs) // (2 * costs)
print("%s%d.%02d" % ("-" if net < 0 else "", abs(net) // 100, abs(net) % 100),
      "established" if ratio >= 200 else "intermediate" if ratio >= 100 else "pilot")
countries = [c for (c,) in db.execute("select country from cases where created >= ? and created < ?", (S, U))]
out(sum(c != "US" for c in countries), len(countries), 5, 15)
exported = sum(1 for c in delivered if one("select count(*) from events where case_id = ? and type = 'case.exported' and json_extract(data, '$.format') != 'archive'", c)[0])
out(exported, len(delivered), 50, 90)
ok = n = 0
for case, assigned, accepted in db.execute("select case_id, assigned, accepted from assignments where assigned >= ? and assigned < ? and status <> 'declined'", (S, U)):
    if accepted is None:
        if NOW < t(assigned) + 2 * DAY: continue
        n += 1; continue
    n += 1
    if t(accepted) - t(assigned) > 2 * DAY: continue
    ready, due, dl = clock(case)
    ok += (dl <= due) if dl else (NOW <= due)
out(ok, n, 50, 90)
req = list(db.execute("select json_extract(intake, '$.channel'), json_extract(intake, '$.requester.kind') from cases where created >= ? and created < ?", (S, U)))
out(sum((ch == "web") if ch else (kind == "patient") for ch, kind in req), len(req), 25, 60)
after = sum(1 for c in delivered if one("select count(*) from events where case_id = ? and type in ('survey.answered', 'case.downstream')", c)[0])
out(after, len(delivered), 30, 60)
PY
	# The payments thresholds come from config; the rest are the defaults.
	jq '.maturity.payments = {"intermediate": 60, "established": 95}' "$RSO_HOME/config.json" >c.json
	mv c.json "$RSO_HOME/config.json"
	run -0 rso-report maturity --month 2026-06
	[ "$(jq -r '"\(.figure) \(.level)"' <<<"$output")" = "$(cat want.txt)" ]
	# Not all of one level: the thresholds are doing their work.
	[ "$(cut -d' ' -f2 want.txt | sort -u | wc -l)" = 3 ]
	# Each justification names its figure.
	[ "$(jq -r '. as $r | select($r.figure == null or ($r.justification | contains($r.figure) | not)) | .dimension' <<<"$output")" = "" ]
	[ "$(jq -s length <<<"$output")" = 8 ]
	run -0 rso-report maturity --month 2026-06 -f text
	assert_line --index 0 "Maturity: pilot, intermediate, established, 2026-06"
	assert_line --regexp '^  EHR/PACS transfer +[0-9.]+% +(pilot|intermediate|established) +[0-9.]+% of [0-9]+ opinions delivered were exported to the EHR or PACS$'
	run -0 rso-report maturity --month 2026-06 -f csv
	[ "${lines[0]}" = $'Where the program stands\r' ]
	[ "${lines[1]}" = $'dimension,figure,level,justification\r' ]
	run -0 rso-report maturity --month 2026-06 -f html
	[[ "$output" == "<!DOCTYPE html>"* ]]
}

@test "rso-report: maturity without payments, costs or deliveries, and bad thresholds" {
	export RSO_HOME="$BATS_TEST_TMPDIR/empty"
	rso-case init -q
	run -0 rso-report maturity --month 2026-06
	[ "$(jq -c -s 'map([.figure, .level])' <<<"$output")" = '[[null,"pilot"],["0 payments","pilot"],["0.00","pilot"],[null,"pilot"],[null,"pilot"],[null,"pilot"],[null,"pilot"],[null,"pilot"]]' ]
	assert_output --partial '"justification":"no payments recorded in the ledger"'
	assert_output --partial '"justification":"net 0.00; no costs configured (\"costs\"), so no return ratio"'
	echo '{"maturity":{"ehr":{"intermediate":95,"established":90}}}' >"$RSO_HOME/config.json"
	run -78 --separate-stderr rso-report maturity --month 2026-06
	[ "$stderr" = "rso-report: config.json: maturity.ehr: not 0 <= intermediate <= established" ]
	run -64 --separate-stderr rso-report maturity --month June
	[ "${stderr_lines[0]}" = "rso-report: --month: not a month such as 2026-10" ]
}
