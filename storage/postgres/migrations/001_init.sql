-- The schema of SQLite's migrations 001 to 008 (storage/sqlite/migrations),
-- as one PostgreSQL migration. Every TEXT column sorts and compares by
-- bytes (COLLATE "C"), as SQLite's do and as audit expects (ORDER BY of a
-- projection table is domain.CompareKeys), whatever the database's default
-- collation. INTEGER is BIGINT throughout, so that values read back as
-- int64, the only integer type of domain.Row.

-- The log's lock: one row, which every write transaction locks (SELECT ...
-- FOR UPDATE) before it reads the log's size, so that writers from any
-- number of servers append one after the other and seqs follow each other
-- with no gap and no repeat. Not a SEQUENCE: a sequence hands out numbers
-- outside transactions, and a rolled-back transaction would leave a gap.
CREATE TABLE log_lock (
	id INTEGER PRIMARY KEY CHECK (id = 1)
);
INSERT INTO log_lock(id) VALUES (1);

-- The log: one row per event, seq from 0 with no gaps. data is the event's
-- canonical bytes; hashes are the tlog stored hashes its append produced.
-- item and case_id are index columns derived from the event; prev is the
-- event's own prev link for its item (NULL when none), case_prev the seq of
-- the previous event of its case (NULL when none). Audit checks them all.
CREATE TABLE events (
	seq       BIGINT PRIMARY KEY CHECK (seq >= 0),
	item      TEXT COLLATE "C" NOT NULL,
	case_id   TEXT COLLATE "C" NOT NULL,
	data      BYTEA NOT NULL,
	hashes    BYTEA NOT NULL,
	prev      BIGINT,
	case_prev BIGINT
);

-- Every checkpoint ever signed. One per size: the log never signs two roots
-- for one size.
CREATE TABLE checkpoints (
	size BIGINT PRIMARY KEY,
	root BYTEA NOT NULL,
	note BYTEA NOT NULL
);

-- Checkpoints with witnesses' cosignatures, one per size (see SQLite's 003).
CREATE TABLE cosigned (
	size BIGINT PRIMARY KEY,
	note BYTEA NOT NULL
);

-- The projection: tables that are a function of the log (domain.Tables),
-- with exactly its columns. Open checks them against domain.Tables.
CREATE TABLE agencies (id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C", kind TEXT COLLATE "C", seq BIGINT);
CREATE TABLE officers (id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C", agency TEXT COLLATE "C", role TEXT COLLATE "C", seq BIGINT);
CREATE TABLE cases (id TEXT COLLATE "C" PRIMARY KEY, title TEXT COLLATE "C", opened_at TEXT COLLATE "C", opened_by TEXT COLLATE "C", summary TEXT COLLATE "C", seq BIGINT);
CREATE TABLE persons (id TEXT COLLATE "C" PRIMARY KEY, case_id TEXT COLLATE "C", name TEXT COLLATE "C", roles TEXT COLLATE "C", reserved BIGINT, institution TEXT COLLATE "C", position TEXT COLLATE "C", seq BIGINT);
CREATE TABLE organizations (id TEXT COLLATE "C" PRIMARY KEY, case_id TEXT COLLATE "C", name TEXT COLLATE "C", kind TEXT COLLATE "C", jurisdiction TEXT COLLATE "C", seq BIGINT);
CREATE TABLE links (id TEXT COLLATE "C" PRIMARY KEY, case_id TEXT COLLATE "C", from_id TEXT COLLATE "C", to_id TEXT COLLATE "C", kind TEXT COLLATE "C", at TEXT COLLATE "C", source TEXT COLLATE "C", note TEXT COLLATE "C", seq BIGINT);
CREATE TABLE statements (id TEXT COLLATE "C" PRIMARY KEY, case_id TEXT COLLATE "C", at TEXT COLLATE "C", source TEXT COLLATE "C", text TEXT COLLATE "C", speaker TEXT COLLATE "C", seq BIGINT);
CREATE TABLE operations (id TEXT COLLATE "C" PRIMARY KEY, case_id TEXT COLLATE "C", name TEXT COLLATE "C", h_hour TEXT COLLATE "C", personnel BIGINT, agencies TEXT COLLATE "C", planned_at TEXT COLLATE "C", planned_by TEXT COLLATE "C", seq BIGINT);
CREATE TABLE sites (id TEXT COLLATE "C" PRIMARY KEY, operation TEXT COLLATE "C", province TEXT COLLATE "C", city TEXT COLLATE "C", kind TEXT COLLATE "C", lead TEXT COLLATE "C", address TEXT COLLATE "C", warrant TEXT COLLATE "C", team TEXT COLLATE "C", status TEXT COLLATE "C", seq BIGINT);
CREATE TABLE site_statuses (seq BIGINT PRIMARY KEY, site TEXT COLLATE "C", status TEXT COLLATE "C", at TEXT COLLATE "C", by_officer TEXT COLLATE "C", note TEXT COLLATE "C");
CREATE TABLE detentions (id TEXT COLLATE "C" PRIMARY KEY, case_id TEXT COLLATE "C", person TEXT COLLATE "C", basis TEXT COLLATE "C", arrested_at TEXT COLLATE "C", arrested_by TEXT COLLATE "C", operation TEXT COLLATE "C", site TEXT COLLATE "C", place TEXT COLLATE "C", charge TEXT COLLATE "C", rights_notified_at TEXT COLLATE "C", hearing_at TEXT COLLATE "C", released_at TEXT COLLATE "C", note TEXT COLLATE "C", seq BIGINT, updates TEXT COLLATE "C");
CREATE TABLE items (id TEXT COLLATE "C" PRIMARY KEY, case_id TEXT COLLATE "C", type TEXT COLLATE "C", parent TEXT COLLATE "C", description TEXT COLLATE "C", quantity BIGINT, digital BIGINT, site TEXT COLLATE "C", place TEXT COLLATE "C", created_at TEXT COLLATE "C", created_by TEXT COLLATE "C", initial_seal TEXT COLLATE "C", sha256 TEXT COLLATE "C", size BIGINT, tool TEXT COLLATE "C", holder TEXT COLLATE "C", seal TEXT COLLATE "C", disposed BIGINT, last_at TEXT COLLATE "C", last_seq BIGINT, events BIGINT, origin_seq BIGINT);
CREATE TABLE anomalies (seq BIGINT, kind TEXT COLLATE "C", item TEXT COLLATE "C", at TEXT COLLATE "C", PRIMARY KEY (seq, kind));
CREATE TABLE attachments (seq BIGINT PRIMARY KEY, item TEXT COLLATE "C", name TEXT COLLATE "C", sha256 TEXT COLLATE "C", size BIGINT, at TEXT COLLATE "C", by_officer TEXT COLLATE "C", media_type TEXT COLLATE "C");
CREATE TABLE accounts (id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C", role TEXT COLLATE "C", officer TEXT COLLATE "C", disabled BIGINT, seq BIGINT, must_change_password BIGINT NOT NULL DEFAULT 0);
CREATE TABLE grants (case_id TEXT COLLATE "C", account TEXT COLLATE "C", active BIGINT, seq BIGINT, PRIMARY KEY (case_id, account));
CREATE TABLE disclosures (item TEXT COLLATE "C", account TEXT COLLATE "C", case_id TEXT COLLATE "C", seq BIGINT, PRIMARY KEY (item, account));
CREATE TABLE releases (operation TEXT COLLATE "C" PRIMARY KEY, at TEXT COLLATE "C", seq BIGINT);
CREATE TABLE blob_checks (item TEXT COLLATE "C", sha256 TEXT COLLATE "C", result TEXT COLLATE "C", got_sha256 TEXT COLLATE "C", got_size BIGINT, seq BIGINT, PRIMARY KEY (item, sha256));

-- Secrets, OUTSIDE the projection and outside the log, as in SQLite's 001:
-- written only by the account code of the server and the CLI. The log
-- records that a credential changed (account.credential), never the secret.
-- In the database every server shares, so that a sign-in works on any.
CREATE TABLE credentials (
	account       TEXT COLLATE "C" PRIMARY KEY,
	password_hash TEXT NOT NULL,  -- argon2id, PHC string format
	totp_secret   TEXT NOT NULL,  -- base32, '' when the role needs none
	updated_at    TEXT NOT NULL
);
CREATE TABLE api_tokens (
	id         TEXT COLLATE "C" PRIMARY KEY, -- public id, shown in lists
	hash       BYTEA NOT NULL UNIQUE,        -- SHA-256 of the 32-byte secret
	account    TEXT COLLATE "C" NOT NULL,
	scope      TEXT NOT NULL,                -- read | write
	cases      TEXT NOT NULL,                -- JSON list; [] for every case the account is a member of
	expires_at TEXT NOT NULL,
	revoked    BOOLEAN NOT NULL DEFAULT false,
	created_at TEXT COLLATE "C" NOT NULL
);
