-- The op column repeated what every event's own bytes say, and nothing read
-- it but audit, which checked it against them: each event paid for writing
-- it, and each audit for reading it (3-5% of audit's CPU). An op is read
-- from the event itself (its "op" member).
ALTER TABLE events DROP COLUMN op;
