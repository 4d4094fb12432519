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

@test "rso-report: funnel steps nest in the order a case goes, each share of the step before" {
	for month in 2025-11 2026-03 2026-06; do
		run -0 rso-report funnel --month $month
		got=$(jq -r '"\(.step) \(.cases) \(.of_previous)"' <<<"$output")
		want=$(/usr/bin/python3 - "$RSO_HOME/rso.db" $month <<'PY'
import sqlite3, sys
db, month = sqlite3.connect(sys.argv[1]), sys.argv[2]
ev = lambda t: "exists (select 1 from events where case_id = c.id and type = '%s')" % t
steps = [("requested", "1"), ("consented", ev("consent.recorded")),
         ("records complete", ev("records.complete")),
         ("paid", "exists (select 1 from invoices where case_id = c.id and status in ('paid', 'waived', 'covered'))"),
         ("assigned", ev("case.assigned")), ("delivered", ev("opinion.delivered")),
         ("read", ev("opinion.acknowledged"))]
y, m = map(int, month.split("-"))
until = "%04d-%02d" % (y + m // 12, m % 12 + 1)
prev, cond = None, []
for name, c in steps:
    cond.append(c)
    n = db.execute("select count(*) from cases c where created >= ? and created < ? and " + " and ".join(cond), (month, until)).fetchone()[0]
    rate = "null" if prev is None else "%.1f%%" % (int(1000 * n / prev + 0.5) / 10)
    print(name, n, rate)
    prev = n
PY
)
		[ "$got" = "$want" ]
	done
}

@test "rso-report: the survey response rate is the share of the month's deliveries answered, whenever" {
	for month in 2026-05 2026-06 2026-09; do
		run -0 rso-report monthly --month $month
		rate=$(metric 'survey response rate')
		want=$(/usr/bin/python3 - "$RSO_HOME/rso.db" $month <<'PY'
import sqlite3, sys
db, month = sqlite3.connect(sys.argv[1]), sys.argv[2]
y, m = map(int, month.split("-"))
until = "%04d-%02d" % (y + m // 12, m % 12 + 1)
cohort = [c for (c,) in db.execute("select case_id from events where type = 'opinion.delivered' group by case_id having min(at) >= ? and min(at) < ?", (month, until))]
answered = sum(1 for c in cohort if db.execute("select count(*) from events where case_id = ? and type = 'survey.answered'", (c,)).fetchone()[0])
print("%.1f%%" % (int(1000 * answered / len(cohort) + 0.5) / 10))
PY
)
		[ "$rate" = "$want" ]
		run -0 rso-report nps --month $month
		[ "$(jq -r 'select(.section == "nps") | .response_rate' <<<"$output")" = "$want" ]
	done
	# Some answers of the month's deliveries came the month after: the old
	# rate (answers this month over deliveries this month) passed 100%.
	[ "$(q "select count(*) from events a join (select case_id, min(at) d from events where type = 'opinion.delivered' group by case_id) x on x.case_id = a.case_id where a.type = 'survey.answered' and substr(a.at, 1, 7) > substr(x.d, 1, 7)")" -gt 0 ]
}

# shares_in_range REPORT...: every "N%" or "N.N%" that rso-report writes,
# in every format, for months across the program and the whole year, is
# within 0-100%; prints how many it checked.
shares_in_range() {
	/usr/bin/python3 - "$@" <<'PY'
import csv, html.parser, io, json, re, subprocess, sys
PCT = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?)%")
class Text(html.parser.HTMLParser):
    # Text the page shows: not CSS, not attribute values (width="100%").
    def __init__(self):
        super().__init__(); self.out, self.skip = [], 0
    def handle_starttag(self, t, a): self.skip += t == "style"
    def handle_endtag(self, t): self.skip -= t == "style"
    def handle_data(self, d):
        if not self.skip: self.out.append(d)
def texts(fmt, out):
    if fmt == "json":
        return [str(v) for line in out.splitlines() for v in json.loads(line).values()]
    if fmt == "csv":
        return [c for row in csv.reader(io.StringIO(out)) for c in row]
    if fmt == "html":
        p = Text(); p.feed(out); return p.out
    return [out]
periods = [["--month", m] for m in ("2025-11", "2026-03", "2026-06", "2026-10")] + \
          [["--since", "2025-11-01", "--until", "2026-11-01"]]
checked = 0
for report in sys.argv[1:]:
    for period in periods:
        for fmt in ("json", "csv", "text", "html"):
            p = subprocess.run(["rso-report", report, "-f", fmt] + period, capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit("%s %s %s: exit %d: %s" % (report, fmt, period, p.returncode, p.stderr))
            for t in texts(fmt, p.stdout):
                for v in PCT.findall(t):
                    checked += 1
                    if not 0 <= float(v) <= 100:
                        sys.exit("%s %s %s: %s%% in %r" % (report, fmt, " ".join(period), v, t[:200]))
print(checked)
PY
}

# The reports rso-report --help lists.
all_reports() {
	rso-report --help | sed -n '/^reports:/,/^Without/s/^  \([a-z]\{1,\}\) .*/\1/p'
}

@test "rso-report: every share in every report and format is within 0-100%, over generated programs" {
	reports=$(all_reports)
	[ "$(wc -w <<<"$reports")" = 12 ]
	# The program of this file, then two more, smaller, from other seeds.
	run -0 shares_in_range $reports
	[ "$output" -gt 500 ]
	local top seed
	top=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	for seed in 3 11; do
		export RSO_HOME="$BATS_TEST_TMPDIR/gen$seed"
		RSO_NOW=2025-10-01T00:00:00Z rso-case init -q -r "$(sed -n 's/^# public key: //p' "$PROGRAM/key.txt")"
		RSO_ACTOR=gen RSO_NOW=2025-10-01T00:00:00Z /usr/bin/python3 "$top/scripts/gen-program" --seed $seed --cases 50 --days 330 >/dev/null
		run -0 shares_in_range $reports
		[ "$output" -gt 200 ]
	done
}

@test "rso-report: cases by status are the cases table's, counted as they change; an older store gains the counts" {
	want=$(sqlite3 "$RSO_HOME/rso.db" "select status || ' ' || count(*) from cases group by status order by count(*) desc, status")
	[ "$(wc -l <<<"$want")" -ge 2 ]
	# Every case went through these, so each count rose and fell to 0.
	[ "$(q "select count(*) from case_status_counts where cases = 0 and status in ('awaiting-consent', 'collecting', 'ready', 'assigned', 'in-review')")" = 5 ]
	run -0 rso-report monthly --month 2026-06
	[ "$(jq -r 'select(.section == "status") | "\(.status) \(.cases)"' <<<"$output")" = "$want" ]
	# A store from before migration 603 counts its cases when it opens.
	cp -r "$RSO_HOME" home2
	sqlite3 home2/rso.db "drop trigger cases_count_insert; drop trigger cases_count_update; drop trigger cases_count_delete; drop table case_status_counts; delete from schema_migrations where id = 603"
	RSO_HOME=$PWD/home2 run -0 rso-report monthly --month 2026-06
	[ "$(jq -r 'select(.section == "status") | "\(.status) \(.cases)"' <<<"$output")" = "$want" ]
	RSO_HOME=$PWD/home2 run -0 rso-case verify
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
	assert_line --regexp '^  Specialist +Assigned +Declined +Delivered +Median review days +Within SLA +Payouts$'
}

@test "rso-report: the HTML report is one self-contained page, every element closed" {
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
}

# svg_facts FILE: per chart of an HTML report, one line: whether it has
# a viewBox, width 100% and no fixed height, its legend, its y title, its
# lowest text (the x title), and for a chart with a line the room between
# the line's name and the highest bar figure.
svg_facts() {
	/usr/bin/python3 - "$1" <<'PY'
import re, sys
page = open(sys.argv[1]).read()
for fig in re.findall(r"<figure>.*?</figure>", page, re.S):
    svg = re.search(r"<svg [^>]*>", fig).group(0)
    texts = [(int(y), t) for y, t in re.findall(r'<text x="-?\d+" y="(-?\d+)"[^>]*>([^<]*)</text>', fig)]
    rotated = re.findall(r'<text x="0" y="0" [^>]*rotate\(-90\)">([^<]*)</text>', fig)
    legend = re.findall(r'<li><span class="key[^"]*"></span>([^<]*)</li>', fig)
    line = [y for y, t in texts if t.endswith(" days")]
    figures = [y for y, t in texts if t.isdigit() and y < 200]
    gap = min(figures) - 11 - line[0] if line else "-"
    print(re.search(r'viewBox="0 0 \d+ \d+"', svg) is not None, 'width="100%"' in svg,
          "height=" not in svg, "|".join(legend), rotated, max(texts)[1] if texts else "", gap)
PY
}

@test "rso-report: the HTML report scales, names its axes and units, and has a legend" {
	run -0 rso-report monthly --month 2026-06 -f html
	echo "$output" >monthly.html
	grep -q '<meta name="viewport" content="width=device-width, initial-scale=1">' monthly.html
	run -0 svg_facts monthly.html
	# Three charts, each scaling (viewBox, width 100%, no fixed height),
	# each with a legend and axis titles; the x title is the last text.
	assert_line --index 0 "True True True cases ['cases'] month -"
	assert_line --index 1 "True True True opinions ['opinions'] outcome -"
	# The histogram's bins are days; the promise is in the legend and
	# named above the plot, clear of the tallest bar's figure.
	assert_line --index 2 --regexp "^True True True cases\|the 14-day promise \['cases'\] days from ready to delivered, in bins of 2 [0-9]+$"
	[ "${#lines[@]}" = 3 ]
}

@test "rso-report: the HTML report shows amounts in the store's currency and columns by their labels" {
	run -0 rso-report monthly --month 2026-06 -f html
	invoiced=$(q "select sum(total) from invoices where issued >= '2026-06-01' and issued < '2026-07-01'")
	want=$(/usr/bin/python3 -c 'import sys; n = int(sys.argv[1]); print("$%s.%02d" % (format(n // 100, ","), n % 100))' "$invoiced")
	[[ "$want" == *,* ]]
	assert_output --partial "<td class=\"n\" data-label=\"2026-06\">$want</td>"
	# Labels, their dates kept whole.
	assert_output --partial '<th scope="col" class="n">Last year <span class="nw">(2025-06)</span></th>'
	assert_output --partial '<h2>The month&#39;s figures (amounts in USD)</h2>'
	# No raw key as a header in any report.
	for r in $(all_reports); do
		run -0 rso-report $r --month 2026-06 -f html
		[ "$(grep -oE '<th[^>]*>([^<]|<span class="nw">|</span>)*</th>' <<<"$output" | wc -l)" = "$(grep -oE '<th[ >]' <<<"$output" | wc -l)" ]
		[ "$(grep -o '<th[^>]*>.*</th>' <<<"$output" | grep -c _)" = 0 ]
	done
	run -0 rso-report audit --month 2026-06 -f html
	assert_output --partial '<h2>Invoices issued (amounts in USD)</h2>'
	assert_output --partial '<th scope="col" class="n">Total</th>'
	assert_output --regexp '<td class="n" data-label="Total">\$[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}</td>'
	# Another currency: its symbol, or its code where a symbol would be
	# ambiguous; CSV keeps plain numbers and names it in the title row.
	cp -r "$RSO_HOME" home2
	for cur in EUR:€ CAD:'CAD&nbsp;'; do
		jq --arg c "${cur%%:*}" '.currency = $c' "$RSO_HOME/config.json" >home2/config.json
		RSO_HOME=$PWD/home2 run -0 rso-report audit --month 2026-06 -f html
		assert_output --regexp "<td class=\"n\" data-label=\"Total\">${cur#*:}[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}</td>"
		RSO_HOME=$PWD/home2 run -0 rso-report audit --month 2026-06 -f csv
		assert_line "Invoices issued (amounts in ${cur%%:*})"$'\r'
		assert_line $'invoice,case,customer,issued,total,status\r'
		assert_line --regexp '^[^,]+,RSO-[0-9-]+,[^,]+,[^,]+,[0-9]+\.[0-9]{2},'
	done
}

@test "rso-report: the HTML report escapes what the store holds" {
	cp -r "$RSO_HOME" home2
	sqlite3 home2/rso.db "update cases set referral_source = '<img src=x onerror=alert(1)>&amp;\"''' where id = (select min(id) from cases where created >= '2026-06-01')"
	RSO_HOME=$PWD/home2 run -0 rso-report reach --month 2026-06 -f html
	assert_output --partial '<td data-label="Source">&lt;img src=x onerror=alert(1)&gt;&amp;amp;&quot;&#39;</td>'
	# In the chart too: its label and its tooltip.
	assert_output --partial '<title>&lt;img src=x onerror=alert(1)&gt;&amp;amp;&quot;&#39;: 1 cases</title>'
	[[ "$output" != *"<img"* ]]
}

# chrome ARGS...: headless Chromium as a test runs it, with a profile of
# its own; skips the test when it is not installed.
chrome() {
	need chromium
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync --hide-scrollbars \
	    --user-data-dir="$(mktemp -d "$BATS_TEST_TMPDIR/chrome.XXXXXX")" "$@" 2>/dev/null
}

# framed PAGE WIDTH OUT: a page showing PAGE in a frame WIDTH px wide
# (headless Chromium's window is never narrower than 500 px, so a phone
# is a frame) that, once loaded, writes into <pre id="m"> the frame's
# scroll and client widths, the right edge of what shows furthest right,
# how many texts of a chart overlap another or a bar (slanted labels
# aside) and
# how many stick out of their chart.
framed() {
	/usr/bin/python3 - "$@" <<'PY'
import html, sys
page, width, out = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
probe = """
window.onload = function () {
  var d = document.getElementById("f").contentDocument, e = d.documentElement;
  var right = 0, overlaps = 0, cut = 0;
  /* What shows of an element: a clipping ancestor (a visually hidden
     table head) cuts it; a chart's texts are checked against the chart. */
  d.querySelectorAll("body *").forEach(function (x) {
    var r = x.getBoundingClientRect().right, a;
    if (x.closest("svg")) return;
    for (a = x.parentElement; a; a = a.parentElement)
      if (d.defaultView.getComputedStyle(a).overflowX !== "visible")
        r = Math.min(r, a.getBoundingClientRect().right);
    right = Math.max(right, r); });
  d.querySelectorAll("svg").forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    right = Math.max(right, box.right);
    svg.querySelectorAll("text").forEach(function (t) {
      var b = t.getBoundingClientRect();
      if (b.left < box.left - 0.5 || b.right > box.right + 0.5 ||
          b.top < box.top - 0.5 || b.bottom > box.bottom + 0.5) cut++; });
    var r = [].filter.call(svg.querySelectorAll("text"), function (t) {
      return !t.hasAttribute("transform"); }).map(function (t) {
      return t.getBoundingClientRect(); });
    var bars = [].map.call(svg.querySelectorAll("rect"), function (b) {
      return b.getBoundingClientRect(); });
    var over = function (p, q) {
      return Math.min(p.right, q.right) - Math.max(p.left, q.left) > 0.5 &&
        Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > 0.5; };
    for (var i = 0; i < r.length; i++) {
      for (var j = i + 1; j < r.length; j++) overlaps += over(r[i], r[j]);
      for (j = 0; j < bars.length; j++) overlaps += over(r[i], bars[j]);
    }
  });
  document.getElementById("m").textContent = "scroll " + e.scrollWidth +
    " client " + e.clientWidth + " right " + Math.ceil(right) +
    " overlaps " + overlaps + " cut " + cut;
};"""
open(out, "w").write('<!DOCTYPE html><html><head><meta charset="utf-8">'
    '<style>body{margin:0}iframe{border:0;display:block;height:3000px;width:%spx}</style>'
    '</head><body><iframe id="f" srcdoc="%s"></iframe><pre id="m"></pre>'
    '<script>%s</script></body></html>' % (width, html.escape(page), probe))
PY
}

# measured PAGE WIDTH: what framed's probe wrote, from the live DOM.
measured() {
	framed "$1" "$2" "probe-$2.html"
	chrome --window-size=1280,3000 --dump-dom "file://$PWD/probe-$2.html" |
	    sed -n 's/.*<pre id="m">\([^<]*\)<.*/\1/p'
}

# png_size FILE: a PNG's width and height, from its header.
png_size() {
	/usr/bin/python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read(24); assert d[:8] == b"\x89PNG\r\n\x1a\n"; print("%d %d" % struct.unpack(">II", d[16:24]))' "$1"
}

@test "rso-report: the HTML report fits 1280, 375 and 360 px with no sideways scroll and no text on text" {
	# Every report at a small phone's width; three also at 375 and 1280.
	for r in $(all_reports); do
		rso-report $r --month 2026-06 -f html >$r.html
		widths=360
		case $r in monthly | audit | maturity) widths="1280 375 360" ;; esac
		for w in $widths; do
			run -0 measured $r.html $w
			# The frame scrolls no wider than it is and nothing pokes out.
			read -r _ scroll _ client _ right _ overlaps _ cut <<<"$output"
			[ -n "$cut" ]
			[ "$scroll" -le "$w" ]
			[ "$scroll" = "$client" ]
			[ "$right" -le "$w" ]
			[ "$overlaps" = 0 ]
			[ "$cut" = 0 ]
		done
	done
	# The probe sees sideways scrolling: a table made too wide for 360 px.
	sed 's|</style>|table{width:40rem}</style>|' monthly.html >wide.html
	run -0 measured wide.html 360
	[ "$(cut -d' ' -f2 <<<"$output")" -gt 360 ]
	# And text on text: the charts' figures made too big for their bars.
	sed 's|</style>|svg text{font-size:40px}</style>|' monthly.html >big.html
	run -0 measured big.html 1280
	[ "$(cut -d' ' -f8 <<<"$output")" -gt 0 ]
	[ "$(cut -d' ' -f10 <<<"$output")" -gt 0 ]
}

@test "rso-report: screenshots of the HTML report at 1280 and 375 px" {
	rso-report monthly --month 2026-06 -f html >monthly.html
	chrome --window-size=1280,1600 --screenshot="$PWD/monthly-1280.png" "file://$PWD/monthly.html"
	[ "$(png_size monthly-1280.png)" = "1280 1600" ]
	framed monthly.html 375 phone.html
	chrome --window-size=375,3000 --screenshot="$PWD/monthly-375.png" "file://$PWD/phone.html"
	[ "$(png_size monthly-375.png)" = "375 3000" ]
	# Kept for a person to look at when RSO_SHOTS names a folder.
	if [ -n "${RSO_SHOTS:-}" ]; then cp monthly-1280.png monthly-375.png "$RSO_SHOTS"/; fi
}

# pdf_pages PDF: its page count, by pdfinfo when poppler-utils is there.
pdf_pages() {
	if command -v pdfinfo >/dev/null; then
		pdfinfo "$1" | sed -n 's/^Pages: *//p'
	else
		grep -ac '/Type */Page[^s]' "$1"
	fi
}

@test "rso-report: the monthly report prints on one page, A4 or Letter" {
	for month in 2026-06 2026-10; do
		rso-report monthly --month $month -f html >monthly.html
		chrome --no-pdf-header-footer --print-to-pdf="$PWD/monthly.pdf" "file://$PWD/monthly.html"
		[ "$(head -c 5 monthly.pdf)" = %PDF- ]
		[ "$(pdf_pages monthly.pdf)" = 1 ]
		# Letter is Chromium's default paper; A4 as a printer set to it.
		sed 's|@page{|@page{size:A4;|' monthly.html >a4.html
		chrome --no-pdf-header-footer --print-to-pdf="$PWD/a4.pdf" "file://$PWD/a4.html"
		[ "$(pdf_pages a4.pdf)" = 1 ]
	done
	if command -v pdfinfo >/dev/null; then
		pdfinfo monthly.pdf | grep -q '^Page size: .*(letter)$'
		pdfinfo a4.pdf | grep -q '^Page size: .*(A4)$'
	fi
}

@test "rso-report: a long report prints with no heading or table header left at the foot of a page" {
	need pdftotext
	rso-report audit --since 2025-11-01 --until 2026-11-01 -f html >audit.html
	chrome --no-pdf-header-footer --print-to-pdf="$PWD/audit.pdf" "file://$PWD/audit.html"
	[ "$(pdf_pages audit.pdf)" -gt 3 ]
	pdftotext -layout audit.pdf audit.txt
	/usr/bin/python3 - audit.html audit.txt <<'PY'
import html, re, sys
page = open(sys.argv[1]).read()
squash = lambda s: " ".join(s.split())
heads = {squash(html.unescape(h)) for h in re.findall(r"<h2>(.*?)</h2>", page)}
rows = {squash(" ".join(html.unescape(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", tr)))
        for tr in re.findall(r"<thead>(.*?)</thead>", page)}
pages = open(sys.argv[2]).read().split("\f")
assert len(pages) > 3, len(pages)
for n, text in enumerate(pages[:-1], 1):
    lines = [squash(l) for l in text.splitlines() if l.strip()]
    if lines and (lines[-1] in heads or lines[-1] in rows):
        sys.exit("page %d ends with %r" % (n, lines[-1]))
# Each table's header row is repeated on the pages its rows run onto.
assert sum(t.count("Invoice Case Customer") for t in map(squash, pages)) > 1
PY
}

@test "rso-report: bad options and an empty store" {
	run -64 --separate-stderr rso-report
	[ "${stderr_lines[0]}" = "rso-report: which report?" ]
	run -64 --separate-stderr rso-report weekly
	[ "${stderr_lines[0]}" = "rso-report: argument 1: not a report (see --help)" ]
	run -64 --separate-stderr rso-report monthyl --month 2026-10
	[ "$stderr" = 'rso-report: unknown report "monthyl"; did you mean "monthly"?
usage: rso-report [-q] [-H home] report [--month yyyy-mm | --since t [--until t]]
                  [-f json|csv|text|html]
       rso-report --help for the reports' ]
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
	# Amounts stay plain numbers; the title row names the currency, the
	# header rows stay the keys.
	[ "${lines[0]}" = $'"Fees, downstream care, costs and net (amounts in USD)"\r' ]
	[ "${lines[1]}" = $'metric,value\r' ]
	assert_line $'Downstream care by kind (amounts in USD)\r'
	assert_line $'kind,count,revenue\r'
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
	[ "${lines[0]}" = $'Where the program stands (amounts in USD)\r' ]
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
