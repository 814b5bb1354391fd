-- The log: one row per event, seq from 0 with no gaps. data is the event's
-- canonical bytes; hashes are the tlog stored hashes its append produced.
-- op, item and case_id are index columns derived from the event; audit
-- checks them.
CREATE TABLE events (
	seq     INTEGER PRIMARY KEY,
	op      TEXT NOT NULL,
	item    TEXT NOT NULL,
	case_id TEXT NOT NULL,
	data    BLOB NOT NULL,
	hashes  BLOB NOT NULL
);
CREATE INDEX events_item ON events(item, seq) WHERE item <> '';
CREATE INDEX events_case ON events(case_id, seq) WHERE case_id <> '';

-- Every checkpoint ever signed. One per size: the log never signs two roots
-- for one size.
CREATE TABLE checkpoints (
	size INTEGER PRIMARY KEY,
	root BLOB NOT NULL,
	note BLOB NOT NULL
);

-- The projection: tables that are a function of the log (domain.Tables).
CREATE TABLE agencies (id TEXT PRIMARY KEY, name TEXT, kind TEXT, seq INTEGER);
CREATE TABLE officers (id TEXT PRIMARY KEY, name TEXT, agency TEXT, role TEXT, seq INTEGER);
CREATE TABLE cases (id TEXT PRIMARY KEY, title TEXT, opened_at TEXT, opened_by TEXT, summary TEXT, seq INTEGER);
CREATE TABLE persons (id TEXT PRIMARY KEY, case_id TEXT, name TEXT, roles TEXT, reserved INTEGER, institution TEXT, position TEXT, seq INTEGER);
CREATE TABLE organizations (id TEXT PRIMARY KEY, case_id TEXT, name TEXT, kind TEXT, jurisdiction TEXT, seq INTEGER);
CREATE TABLE links (id TEXT PRIMARY KEY, case_id TEXT, from_id TEXT, to_id TEXT, kind TEXT, at TEXT, source TEXT, note TEXT, seq INTEGER);
CREATE TABLE statements (id TEXT PRIMARY KEY, case_id TEXT, at TEXT, source TEXT, text TEXT, speaker TEXT, seq INTEGER);
CREATE TABLE operations (id TEXT PRIMARY KEY, case_id TEXT, name TEXT, h_hour TEXT, personnel INTEGER, agencies TEXT, planned_at TEXT, planned_by TEXT, seq INTEGER);
CREATE TABLE sites (id TEXT PRIMARY KEY, operation TEXT, province TEXT, city TEXT, kind TEXT, lead TEXT, address TEXT, warrant TEXT, team TEXT, status TEXT, seq INTEGER);
CREATE TABLE site_statuses (seq INTEGER PRIMARY KEY, site TEXT, status TEXT, at TEXT, by_officer TEXT, note TEXT);
CREATE TABLE detentions (id TEXT PRIMARY KEY, case_id TEXT, person TEXT, basis TEXT, arrested_at TEXT, arrested_by TEXT, operation TEXT, site TEXT, place TEXT, charge TEXT, rights_notified_at TEXT, hearing_at TEXT, released_at TEXT, note TEXT, seq INTEGER, updates TEXT);
CREATE TABLE items (id TEXT PRIMARY KEY, case_id TEXT, type TEXT, parent TEXT, description TEXT, quantity INTEGER, digital INTEGER, site TEXT, place TEXT, created_at TEXT, created_by TEXT, initial_seal TEXT, sha256 TEXT, size INTEGER, tool TEXT, holder TEXT, seal TEXT, disposed INTEGER, last_at TEXT, last_seq INTEGER, events INTEGER, origin_seq INTEGER);
CREATE TABLE anomalies (seq INTEGER, kind TEXT, item TEXT, at TEXT, PRIMARY KEY (seq, kind));
CREATE TABLE attachments (seq INTEGER PRIMARY KEY, item TEXT, name TEXT, sha256 TEXT, size INTEGER, at TEXT, by_officer TEXT, media_type TEXT);
