-- Projection of blob.check (domain/blobcheck.go): the latest integrity check
-- of each evidence file of an item. A function of the log, checked by audit.
CREATE TABLE blob_checks (item TEXT, sha256 TEXT, result TEXT, got_sha256 TEXT, got_size INTEGER, seq INTEGER, PRIMARY KEY (item, sha256));
