-- Projection tables of the system ops (domain/access.go): accounts, case
-- memberships, disclosures to the defence and operation release times. Like
-- every projection table they are a function of the log; audit checks them.
CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT, role TEXT, officer TEXT, disabled INTEGER, seq INTEGER);
CREATE TABLE grants (case_id TEXT, account TEXT, active INTEGER, seq INTEGER, PRIMARY KEY (case_id, account));
CREATE TABLE disclosures (item TEXT, account TEXT, case_id TEXT, seq INTEGER, PRIMARY KEY (item, account));
CREATE TABLE releases (operation TEXT PRIMARY KEY, at TEXT, seq INTEGER);

-- Secrets, OUTSIDE the projection and outside the log: written only by the
-- account code of the server and the CLI. The log records that a credential
-- changed (account.credential), never the secret. Losing this table loses
-- sign-ins, not evidence.
CREATE TABLE credentials (
	account       TEXT PRIMARY KEY,
	password_hash TEXT NOT NULL,  -- argon2id, PHC string format
	totp_secret   TEXT NOT NULL,  -- base32, '' when the role needs none
	updated_at    TEXT NOT NULL
);
CREATE TABLE api_tokens (
	id         TEXT PRIMARY KEY,  -- public id, shown in lists
	hash       BLOB NOT NULL UNIQUE, -- SHA-256 of the 32-byte secret
	account    TEXT NOT NULL,
	scope      TEXT NOT NULL,     -- read | write
	cases      TEXT NOT NULL,     -- JSON list; [] for every case the account is a member of
	expires_at TEXT NOT NULL,
	revoked    INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL
);
