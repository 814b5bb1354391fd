-- Item histories follow each event's prev link instead of an index by item.
-- The events_item index cost every commit one rewritten page per item it
-- touched, scattered over the index; prev is written with the event, at the
-- end of the table, where the event already goes. prev is the event's own
-- prev link for its item column (custody.Event.Prev[item]), NULL when it has
-- none (a seizure, an event of no item); audit checks it against the event.
ALTER TABLE events ADD COLUMN prev INTEGER;
UPDATE events SET prev = (SELECT value FROM json_each(CAST(data AS TEXT), '$.prev') WHERE key = events.item)
	WHERE item <> '' AND json_valid(CAST(data AS TEXT));
DROP INDEX events_item;
