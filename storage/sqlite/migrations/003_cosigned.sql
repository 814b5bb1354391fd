-- Checkpoints with witnesses' cosignatures: the log's own signed note with
-- the cosignature lines the witnesses returned appended. One per size, for
-- the sizes that reached witnesses; bundles carry these.
CREATE TABLE cosigned (
	size INTEGER PRIMARY KEY,
	note BLOB NOT NULL
);
