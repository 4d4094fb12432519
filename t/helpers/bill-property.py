"""bill-property: 10,000 random billing operations through rso-bill, with
every expected balance computed here, independently of rso, from the fee
schedule and the operations themselves.  Synthetic cases only.

usage: bill-property.py SEED CASES   (RSO_HOME etc. in the environment)
Exits 1 with the first disagreement; prints a summary line otherwise.
"""
import json
import random
import subprocess
import sys

seed, ncases = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
FEES = {"base": {"oncology": 95000, "cardiology": 85000, "neurology": 75000},
        "addons": {"imaging_second_read": 35000, "pathology_read": 40000},
        "rush": 25000, "intl": 15000, "cap": 250000}
ops = 0


def run(args, stdin=None, ok=(0,)):
    global ops
    p = subprocess.run(["rso-bill"] + args, input=stdin, capture_output=True,
                       text=True)
    if p.returncode not in ok:
        sys.exit("rso-bill %s: exit %d: %s" % (" ".join(args[:2]),
                                                p.returncode, p.stderr[:300]))
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()], p


def cents(s):
    neg = s.startswith("-")
    w, _, f = s.lstrip("-").partition(".")
    v = int(w) * 100 + int((f + "00")[:2])
    return -v if neg else v


def text(v):
    return "%s%d.%02d" % ("-" if v < 0 else "", abs(v) // 100, abs(v) % 100)


# Cases: specialty, add-ons, urgency, country, chosen at random.
cases = {}
lines = []
for i in range(1, ncases + 1):
    spec = rng.choice(list(FEES["base"]))
    addons = rng.sample(list(FEES["addons"]), rng.randint(0, 2))
    urgent = rng.random() < 0.2
    abroad = rng.random() < 0.15
    req = {"ref": "p-%d" % i, "received": "2026-09-30T09:00:00Z",
           "patient": {"name": "Test Patient %d" % i,
                       "birth_date": "1970-01-01",
                       "country": "MX" if abroad else "US"},
           "requester": {"kind": "patient"}, "specialty": spec,
           "urgency": "urgent" if urgent else "routine",
           "questions": ["Q?"], "addons": addons}
    lines.append(json.dumps(req))
    total = FEES["base"][spec] + sum(FEES["addons"][a] for a in addons) \
        + (FEES["rush"] if urgent else 0) + (FEES["intl"] if abroad else 0)
    reimb = sum(FEES["addons"][a] for a in addons)
    cases["RSO-2026-%06d" % i] = {"total": min(total, FEES["cap"]),
                                  "reimb": reimb, "applied": 0, "credit": 0,
                                  "refunded": 0, "claim": None}
p = subprocess.run(["rso-intake"], input="\n".join(lines) + "\n",
                   capture_output=True, text=True)
if p.returncode != 0:
    sys.exit("rso-intake: " + p.stderr[:300])

# Invoices, with a discount for some.
ids = sorted(cases)
disc = [c for c in ids if rng.random() < 0.1]
for c in disc:
    cases[c]["total"] -= (cases[c]["total"] * 10 + 50) // 100
out, _ = run(["invoice", "--discount", "10%"] + disc)
out2, _ = run(["invoice"], stdin="".join(json.dumps({"case": c}) + "\n"
                                        for c in ids if c not in disc))
ops += len(ids)
for inv in out + out2:
    if cents(inv["total"]) != cases[inv["case"]]["total"]:
        sys.exit("%s: invoice %s, expected %s" % (inv["case"], inv["total"],
                                                 text(cases[inv["case"]]["total"])))

# Claims for half the cases with reimbursable add-ons, before payments.
claimable = [c for c in ids if cases[c]["reimb"] and rng.random() < 0.5]
run(["claim", "--payer", "Test Plan"] + claimable)
for c in claimable:
    cases[c]["claim"] = "submitted"
ops += len(claimable)
paid = [c for c in claimable if rng.random() < 0.6]
denied = [c for c in claimable if c not in paid]
if paid:
    run(["claim", "--paid"] + paid)
if denied:
    run(["claim", "--denied"] + denied)
for c in paid:
    cases[c]["claim"] = "paid"
for c in denied:
    cases[c]["claim"] = "denied"
ops += len(claimable)


def owing(k):
    claimed = k["reimb"] if k["claim"] in ("submitted", "paid") else 0
    return k["total"] - k["applied"] - claimed


# Payments: partial, exact and over-payments, and repeats of earlier ids.
pays, seen = [], []
npay = 10000 - ops - 1200
for n in range(npay):
    if seen and rng.random() < 0.05:
        pays.append(rng.choice(seen))		# a repeat: must change nothing
        continue
    c = rng.choice(ids)
    amount = rng.randint(1, 60000)
    line = {"id": "ch_%d_%d" % (seed, n), "case": c, "amount": text(amount)}
    if rng.random() < 0.3:
        line["amount"] = amount / 100 if amount % 100 else amount // 100
    pays.append(line)
    seen.append(line)
    k = cases[c]
    applied = min(amount, max(owing(k), 0))
    k["applied"] += applied
    k["credit"] += amount - applied
out, _ = run(["pay"], stdin="".join(json.dumps(l) + "\n" for l in pays))
ops += len(pays)
if sum(1 for o in out if o.get("existing")) != len(pays) - len(seen):
    sys.exit("repeated payments were not all recognised")

# Refunds: some within what was paid, some over it (refused, exit 65).
cash_refunds = 0
for n in range(1200):
    c = rng.choice(ids)
    k = cases[c]
    left = k["applied"] + k["credit"] - k["refunded"]
    if left > 0 and rng.random() < 0.85:
        amount = rng.randint(1, left)
        out, _ = run(["refund", c, "--amount", text(amount), "--reason", "t"])
        k["refunded"] += amount
        k["credit_refunded"] = k.get("credit_refunded", 0) + \
            min(amount, k["credit"] - k.get("credit_refunded", 0))
        cash_refunds += amount
    else:
        run(["refund", c, "--amount", text(left + rng.randint(1, 5000)),
             "--reason", "t"], ok=(65,))
    ops += 1

# Every case's balance, and every account, as computed here.
bal, _ = run(["balance"] + ids)
for b in bal:
    k = cases[b["case"]]
    want = {"balance": owing(k), "paid": k["applied"] + k["credit"],
            "refunded": k["refunded"],
            "credit": k["credit"] - k.get("credit_refunded", 0)}
    got = {f: cents(b[f]) for f in want}
    if got != want:
        sys.exit("%s: %s, expected %s" % (b["case"], got, want))
acct, _ = run(["balance"])
acct = {a["account"]: cents(a["balance"]) for a in acct}
cash = sum(k["applied"] + k["credit"] for k in cases.values()) \
    - cash_refunds + sum(k["reimb"] for k in cases.values()
                         if k["claim"] == "paid")
recv = sum(owing(k) for k in cases.values())
if acct.get("cash", 0) != cash or acct.get("receivable", 0) != recv:
    sys.exit("accounts: cash %s receivable %s, expected %s and %s" % (
        acct.get("cash"), acct.get("receivable"), cash, recv))
if sum(acct.values()) != 0:
    sys.exit("accounts do not sum to zero")
chk, _ = run(["check"])
if not chk[0]["balanced"]:
    sys.exit("check: not balanced")
print("%d operations over %d cases: %d transactions, balanced" % (
    ops, ncases, chk[0]["transactions"]))
