-- A case's events follow each event's case_prev link instead of an index
-- by case, as item histories follow prev (005): the events_case index cost
-- every event an index insert, and an import of a million events 6% of its
-- time. case_prev is the seq of the previous event whose case_id is the
-- same, NULL for a case's first event and for events of no case; audit
-- checks it.
ALTER TABLE events ADD COLUMN case_prev INTEGER;
UPDATE events SET case_prev = (SELECT max(e.seq) FROM events e WHERE e.case_id = events.case_id AND e.seq < events.seq)
	WHERE case_id <> '';
DROP INDEX events_case;
