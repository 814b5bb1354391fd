-- An account whose password someone else saw (generated: the first
-- administrator, the demo accounts, a reset, an account created with one)
-- must change it before doing anything else. The flag is logged
-- (account.credential must_change) and, like every projection column, a
-- function of the log that audit checks: set or cleared here by hand, it
-- is reported.
ALTER TABLE accounts ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
