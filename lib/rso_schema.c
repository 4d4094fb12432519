/* rso_schema: the store's numbered migrations, applied in order on open. */
/* SPDX-License-Identifier: ISC */
#include "rso_store_priv.h"

/*
 * Never edit a migration that has shipped: add a new one.  Numbers are
 * grouped by module so that work on several modules at once cannot claim
 * the same number: 100s cases and events, 200s specialists and
 * assignments, 300s records, 400s billing, 500s opinions, 600s reports,
 * 700s exports.  They must be listed in increasing order; each is applied
 * once and recorded in schema_migrations.  A new store applies them in
 * that order; an older one applies what it lacks, in that order, after
 * what it has: so a new migration may rely on the lower numbers of its
 * own module and on what shipped before it, never on a higher number of
 * another module.
 */
const struct rso_migration rso_schema_migrations[] = {
	{ 101, "cases, their ids, the event chain, consents",
	"CREATE TABLE cases ("
	"  id TEXT PRIMARY KEY,"
	"  ref TEXT NOT NULL UNIQUE,"
	"  status TEXT NOT NULL,"
	"  held_from TEXT,"		/* the state an on-hold case resumes to */
	"  status_at TEXT NOT NULL,"	/* when it entered its status */
	"  created TEXT NOT NULL,"
	"  updated TEXT NOT NULL,"
	"  received TEXT,"
	"  specialty TEXT NOT NULL,"
	"  urgency TEXT,"
	"  country TEXT,"
	"  region TEXT,"
	"  referral_source TEXT,"
	"  intake TEXT NOT NULL,"	/* the request, canonical JSON */
	"  intake_hash TEXT NOT NULL"	/* SHA-256 of it, for repeated refs */
	");"
	"CREATE INDEX cases_status ON cases(status, status_at);"
	"CREATE INDEX cases_created ON cases(created);"
	"CREATE TABLE case_counters ("
	"  prefix TEXT NOT NULL, year INTEGER NOT NULL, last INTEGER NOT NULL,"
	"  PRIMARY KEY (prefix, year));"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY,"
	"  at TEXT NOT NULL,"
	"  case_id TEXT REFERENCES cases(id),"
	"  type TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  data TEXT NOT NULL,"
	"  prev TEXT NOT NULL,"
	"  hash TEXT NOT NULL UNIQUE);"
	"CREATE INDEX events_case ON events(case_id, seq);"
	"CREATE INDEX events_type ON events(type, at);"
	/* Append-only by construction; tampering must go around the schema. */
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TABLE consents ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  providers TEXT NOT NULL,"	/* JSON array of provider names */
	"  expires TEXT NOT NULL,"
	"  signed_by TEXT,"
	"  signed TEXT,"
	"  recorded TEXT NOT NULL,"
	"  event_seq INTEGER NOT NULL REFERENCES events(seq));"
	"CREATE INDEX consents_case ON consents(case_id);" },
	{ 110, "search keys: patient name, birth date, ref, phone, email",
	/*
	 * Derived from each case's request by rso_search_keys() (rso_search.c)
	 * whenever it is created or amended; verify rederives them from the
	 * events.  Existing cases are indexed here, once.
	 */
	"CREATE TABLE case_keys ("
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  field TEXT NOT NULL,"	/* patient.name ref patient.phone ... */
	"  key TEXT NOT NULL,"		/* folded word, date, reversed digits */
	"  PRIMARY KEY (case_id, field, key)) WITHOUT ROWID;"
	"CREATE INDEX case_keys_key ON case_keys(field, key);"
	"INSERT OR IGNORE INTO case_keys (case_id, field, key)"
	"  SELECT c.id, json_extract(k.value, '$[0]'),"
	"  json_extract(k.value, '$[1]')"
	"  FROM cases c, json_each(rso_search_keys(c.intake)) k;" },
	{ 111, "search keys in one B-tree, ordered by key",
	/*
	 * 110 kept each key twice, in the table (by case) and in its index
	 * (by key): two B-tree inserts a key, eight keys a request, a third
	 * of intake's time.  Searches go by key; the few that need a case's
	 * keys (an amendment) make them again from its old request
	 * (rso_search_index), and verify compares whole sets.  The rows are
	 * carried over as they are, so that verify still judges them.
	 */
	"CREATE TABLE case_keys_111 ("
	"  field TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  PRIMARY KEY (field, key, case_id)) WITHOUT ROWID;"
	"INSERT INTO case_keys_111 (field, key, case_id)"
	"  SELECT field, key, case_id FROM case_keys;"
	"DROP TABLE case_keys;"
	"ALTER TABLE case_keys_111 RENAME TO case_keys;" },
	{ 112, "search keys without a foreign key to cases",
	/*
	 * The key's reference to cases(id) had SQLite look the case up for
	 * every key (eight a request) and keep a statement journal for each
	 * insert of keys, a twentieth of intake's work.  What it guaranteed,
	 * that a key names a case, verify checks whole: the keys equal
	 * those the cases' creating and amending events give (rso_search_
	 * verify), and every case an event names has its row in cases
	 * (rso_event_verify).  The keys are written only beside their case,
	 * in the same transaction, and no program deletes a case.
	 */
	"CREATE TABLE case_keys_112 ("
	"  field TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  case_id TEXT NOT NULL,"
	"  PRIMARY KEY (field, key, case_id)) WITHOUT ROWID;"
	"INSERT INTO case_keys_112 (field, key, case_id)"
	"  SELECT field, key, case_id FROM case_keys;"
	"DROP TABLE case_keys;"
	"ALTER TABLE case_keys_112 RENAME TO case_keys;" },
	{ 120, "open cases by the patient's birth date, for matching studies",
	"CREATE INDEX cases_birth_date"
	"  ON cases(json_extract(intake, '$.patient.birth_date'));" },
	{ 121, "how far along the events each repeated step has got",
	"CREATE TABLE step_marks ("
	"  step TEXT PRIMARY KEY,"
	"  seq INTEGER NOT NULL);" },
	{ 122, "the event chain without a second index on each hash",
	/*
	 * hash was UNIQUE, which kept an index of it: the one B-tree of
	 * those an event is written to whose keys fall at random, a fifth
	 * of intake's time at 100,000 requests and about 100 bytes an event
	 * on disk.  Nothing looks an event up by its hash, and it guarded
	 * nothing the chain does not: an event's hash covers its seq, the
	 * primary key, so two hashes alike are a SHA-256 collision, and
	 * verify recomputes every hash and its link to the one before.
	 */
	"CREATE TABLE events_122 ("
	"  seq INTEGER PRIMARY KEY,"
	"  at TEXT NOT NULL,"
	"  case_id TEXT REFERENCES cases(id),"
	"  type TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  data TEXT NOT NULL,"
	"  prev TEXT NOT NULL,"
	"  hash TEXT NOT NULL);", "events" },
	{ 201, "specialists, panels and assignments",
	"CREATE TABLE specialists ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  email TEXT,"
	"  specialty TEXT NOT NULL,"
	"  subspecialties TEXT NOT NULL,"	/* JSON arrays of strings */
	"  jurisdictions TEXT NOT NULL,"
	"  languages TEXT NOT NULL,"
	"  capacity INTEGER NOT NULL,"
	"  away_from TEXT,"
	"  away_until TEXT,"
	"  payout TEXT,"			/* amount as given, e.g. "600.00" */
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  updated TEXT NOT NULL);"
	"CREATE TABLE panel_roles ("
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  role TEXT NOT NULL,"
	"  specialty TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, role));"
	"CREATE TABLE assignments ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  specialist_id TEXT NOT NULL REFERENCES specialists(id),"
	"  role TEXT NOT NULL,"
	"  status TEXT NOT NULL,"		/* assigned accepted declined done */
	"  assigned TEXT NOT NULL,"
	"  accepted TEXT,"
	"  ended TEXT,"
	"  reason TEXT,"
	"  forced INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX assignments_case ON assignments(case_id, role);"
	"CREATE INDEX assignments_specialist ON assignments(specialist_id, status);"
	/* One open assignment per role: two assigners at once cannot both win. */
	"CREATE UNIQUE INDEX assignments_open ON assignments(case_id, role)"
	"  WHERE status IN ('assigned', 'accepted');" },
	{ 301, "record requests, follow-ups and the records index",
	"CREATE TABLE record_requests ("
	"  token TEXT PRIMARY KEY,"		/* REQ-7K3F9Q, on the fax cover */
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  provider TEXT NOT NULL,"
	"  method TEXT NOT NULL,"		/* fax mail email portal upload */
	"  contact TEXT NOT NULL,"		/* JSON object */
	"  what TEXT NOT NULL,"
	"  studies TEXT,"			/* JSON array of studies asked for */
	"  status TEXT NOT NULL,"		/* open received closed */
	"  created TEXT NOT NULL,"
	"  last_contact TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  received TEXT,"
	"  UNIQUE (case_id, provider, what));"
	"CREATE INDEX record_requests_open ON record_requests(status, last_contact);"
	"CREATE TABLE followups ("
	"  token TEXT NOT NULL REFERENCES record_requests(token),"
	"  attempt INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  sent TEXT NOT NULL,"
	"  PRIMARY KEY (token, attempt, kind));"
	"CREATE TABLE records ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  item INTEGER NOT NULL,"		/* NNNN in records/NNNN-slug.ext */
	"  name TEXT NOT NULL,"		/* the path inside the segment */
	"  segment TEXT NOT NULL,"		/* the segment file that holds it */
	"  type TEXT NOT NULL,"
	"  source TEXT,"
	"  date TEXT,"
	"  sha256 TEXT NOT NULL,"
	"  media_type TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  request_token TEXT REFERENCES record_requests(token),"
	"  study_uid TEXT, series_uid TEXT, sop_uid TEXT,"
	"  modality TEXT, body_part TEXT, study_date TEXT, study_desc TEXT,"
	"  held TEXT,"				/* why it is held back, or NULL */
	"  added TEXT NOT NULL,"
	"  UNIQUE (case_id, item),"
	"  UNIQUE (case_id, sha256));"
	"CREATE UNIQUE INDEX records_sop ON records(case_id, sop_uid)"
	"  WHERE sop_uid IS NOT NULL;"
	"CREATE INDEX records_study ON records(case_id, study_uid);" },
	{ 310, "segments: each segment's size and ciphertext SHA-256, as filed",
	/*
	 * Written with the event that files the segment (whose data carries
	 * the same "segment", "segment_size" and "segment_sha256"), so that
	 * verify can check every segment file without the key, and this
	 * table against the events.
	 */
	"CREATE TABLE segments ("
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  name TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, name));" },
	{ 311, "the patient identifier a filed document carried, for matching",
	/*
	 * The first identifier with a named issuer (system) of the patient a
	 * document names.  Once such a record of an open case is filed and
	 * not held, a later document carrying the same identifier is that
	 * case's, whatever its name is spelt like.
	 */
	"ALTER TABLE records ADD COLUMN pid_system TEXT;"
	"ALTER TABLE records ADD COLUMN pid_value TEXT;"
	"CREATE INDEX records_pid ON records(pid_system, pid_value, case_id)"
	"  WHERE pid_value IS NOT NULL;" },
	{ 401, "the ledger, invoices, payments, refunds, claims, payouts",
	/* Postings: debits positive, credits negative; each tx sums to 0. */
	"CREATE TABLE ledger_tx ("
	"  id INTEGER PRIMARY KEY,"
	"  at TEXT NOT NULL,"
	"  case_id TEXT REFERENCES cases(id),"
	"  kind TEXT NOT NULL,"		/* invoice payment refund claim ... */
	"  ref TEXT NOT NULL,"		/* invoice number, processor id, ... */
	"  currency TEXT NOT NULL);"
	"CREATE TABLE postings ("
	"  id INTEGER PRIMARY KEY,"
	"  tx_id INTEGER NOT NULL REFERENCES ledger_tx(id),"
	"  account TEXT NOT NULL,"
	"  case_id TEXT,"
	"  amount INTEGER NOT NULL);"
	"CREATE INDEX postings_tx ON postings(tx_id);"
	"CREATE INDEX postings_case ON postings(case_id, account);"
	"CREATE INDEX ledger_tx_at ON ledger_tx(at);"
	"CREATE TABLE invoices ("
	"  number TEXT PRIMARY KEY,"
	"  case_id TEXT NOT NULL UNIQUE REFERENCES cases(id),"
	"  currency TEXT NOT NULL,"
	"  total INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"		/* open paid waived covered */
	"  issued TEXT NOT NULL,"
	"  tx_id INTEGER NOT NULL REFERENCES ledger_tx(id));"
	"CREATE TABLE invoice_lines ("
	"  number TEXT NOT NULL REFERENCES invoices(number),"
	"  line INTEGER NOT NULL,"
	"  code TEXT NOT NULL,"
	"  description TEXT NOT NULL,"
	"  amount INTEGER NOT NULL,"
	"  reimbursable INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (number, line));"
	"CREATE TABLE payments ("
	"  processor_id TEXT PRIMARY KEY,"	/* idempotence: once only */
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  invoice TEXT REFERENCES invoices(number),"
	"  amount INTEGER NOT NULL,"
	"  applied INTEGER NOT NULL,"		/* to the receivable */
	"  credit INTEGER NOT NULL,"		/* over-payment held */
	"  method TEXT,"
	"  paid TEXT NOT NULL,"
	"  tx_id INTEGER NOT NULL REFERENCES ledger_tx(id));"
	"CREATE TABLE refunds ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  amount INTEGER NOT NULL,"
	"  from_credit INTEGER NOT NULL,"	/* of amount, what was credit */
	"  reason TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  tx_id INTEGER NOT NULL REFERENCES ledger_tx(id));"
	"CREATE TABLE claims ("
	"  number TEXT PRIMARY KEY,"
	"  case_id TEXT NOT NULL UNIQUE REFERENCES cases(id),"
	"  payer TEXT NOT NULL,"
	"  amount INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"		/* submitted paid denied */
	"  submitted TEXT NOT NULL,"
	"  decided TEXT);"
	"CREATE TABLE payouts ("
	"  specialist_id TEXT NOT NULL REFERENCES specialists(id),"
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  month TEXT NOT NULL,"
	"  amount INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"		/* payable paid */
	"  paid TEXT,"
	"  PRIMARY KEY (specialist_id, case_id));" },
	{ 501, "opinions and their delivery",
	"CREATE TABLE opinions ("
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  role TEXT NOT NULL,"
	"  specialist_id TEXT,"
	"  outcome TEXT NOT NULL,"	/* confirmed diagnosis-changed ... */
	"  impact TEXT NOT NULL,"	/* none minor moderate major */
	"  icd10 TEXT NOT NULL,"		/* JSON array of ICD-10-CM codes */
	"  name TEXT NOT NULL,"		/* opinion/ROLE.EXT in the segment */
	"  segment TEXT NOT NULL,"
	"  media_type TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  recorded TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, role));"
	"CREATE TABLE deliveries ("
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  recipient TEXT NOT NULL,"	/* patient referrer */
	"  delivered TEXT NOT NULL,"
	"  acknowledged TEXT,"
	"  PRIMARY KEY (case_id, recipient));" },
	{ 502, "reminders as events: one of a kind per case, recipient, day;"
	" opt-outs",
	"CREATE TABLE reminders ("
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  kind TEXT NOT NULL,"		/* unread-reminder unread-staff ... */
	"  recipient TEXT NOT NULL,"	/* patient referrer specialist-id */
	"  day TEXT NOT NULL,"		/* YYYY-MM-DD, UTC */
	"  at TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, kind, recipient, day));"
	/* Set by rso-opinion optout: no more reminders to this recipient. */
	"ALTER TABLE deliveries ADD COLUMN opted_out TEXT;" },
	{ 601, "reports: an event of a type for a case, without a scan",
	/*
	 * Reports ask "when did this case first (or last) have an event of
	 * this type": without this index SQLite may walk every event of the
	 * type (events_type) for each case.
	 */
	"CREATE INDEX events_case_type ON events(case_id, type, at);" },
	{ 602, "reports: each period's documents by their date, without a scan",
	/*
	 * A report reads a period's rows; without an index on the date it
	 * names, SQLite reads every row ever written (the audit took 12.8x
	 * the time over 5 times the history).  The tables are billing's and
	 * assignments' (401, 201, shipped before); the indexes serve the
	 * reports only, so they are numbered here.  Downstream care counts
	 * by the day it happened, an expression of its event: a partial
	 * index holds only those events, so that no other append pays.
	 */
	"CREATE INDEX invoices_issued ON invoices(issued);"
	"CREATE INDEX payments_tx ON payments(tx_id);"
	"CREATE INDEX refunds_at ON refunds(at);"
	"CREATE INDEX claims_submitted ON claims(submitted);"
	"CREATE INDEX claims_decided ON claims(decided);"
	"CREATE INDEX payouts_month ON payouts(month);"
	/* Else a specialist's month is sought among all their payouts. */
	"CREATE INDEX payouts_specialist ON payouts(specialist_id, month);"
	"CREATE INDEX payouts_paid ON payouts(paid);"
	"CREATE INDEX assignments_assigned ON assignments(assigned);"
	"CREATE INDEX events_downstream ON events(coalesce(json_extract(data,"
	" '$.date') || 'T00:00:00Z', at)) WHERE type = 'case.downstream';" },
	{ 603, "reports: cases by status, counted as they change",
	/*
	 * The monthly report's "cases by status now" counted every case
	 * ever (count is a walk of the rows, even on an index): after fifty
	 * years, most of the report's time.  Triggers keep the counts in the
	 * same transaction as every change of cases.status, whichever
	 * program makes it; verify recounts them from cases (rso_derived).
	 * A status no case has any more keeps its row, at 0.
	 */
	"CREATE TABLE case_status_counts ("
	"  status TEXT PRIMARY KEY,"
	"  cases INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO case_status_counts (status, cases)"
	"  SELECT status, count(*) FROM cases GROUP BY status;"
	"CREATE TRIGGER cases_count_insert AFTER INSERT ON cases BEGIN"
	"  INSERT INTO case_status_counts (status, cases) VALUES (new.status, 1)"
	"  ON CONFLICT (status) DO UPDATE SET cases = cases + 1; END;"
	"CREATE TRIGGER cases_count_update AFTER UPDATE OF status ON cases"
	"  WHEN old.status IS NOT new.status BEGIN"
	"  UPDATE case_status_counts SET cases = cases - 1"
	"  WHERE status = old.status;"
	"  INSERT INTO case_status_counts (status, cases) VALUES (new.status, 1)"
	"  ON CONFLICT (status) DO UPDATE SET cases = cases + 1; END;"
	"CREATE TRIGGER cases_count_delete AFTER DELETE ON cases BEGIN"
	"  UPDATE case_status_counts SET cases = cases - 1"
	"  WHERE status = old.status; END;" },
	{ 701, "what was exported where, so a re-run writes nothing twice",
	"CREATE TABLE exports ("
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  format TEXT NOT NULL,"
	"  name TEXT NOT NULL,"		/* the file written in the folder */
	"  sha256 TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, format, name));" },
	{ 702, "exports remember their destination folder",
	/*
	 * "Once" is per case, format and folder.  Exports made before this
	 * have dest '': their folder is unknown, so they count as made to
	 * every folder (what rso-export did then).
	 */
	"CREATE TABLE exports_702 ("
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  format TEXT NOT NULL,"
	"  dest TEXT NOT NULL,"		/* the folder's real path */
	"  name TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  at TEXT NOT NULL,"		/* the last time it was written */
	"  sends INTEGER NOT NULL DEFAULT 1,"	/* 1 + each --again */
	"  PRIMARY KEY (case_id, format, dest, name));"
	"INSERT INTO exports_702 (case_id, format, dest, name, sha256, at)"
	"  SELECT case_id, format, '', name, sha256, at FROM exports;"
	"DROP TABLE exports;"
	"ALTER TABLE exports_702 RENAME TO exports;" },
};

const int rso_schema_count =
    (int)(sizeof(rso_schema_migrations) / sizeof(rso_schema_migrations[0]));
