-- The log this database holds: its origin and its public key (note
-- verifier format), written once, by custodia init or custodia migrate,
-- before the first event. Every server checks it against the key in its
-- own data directory, so that a server holding another log's key never
-- writes here, and a second init cannot take over a database in use. The
-- private key is never here: it stays in each server's data directory.
CREATE TABLE log_identity (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	origin     TEXT NOT NULL,
	public_key TEXT NOT NULL
);
