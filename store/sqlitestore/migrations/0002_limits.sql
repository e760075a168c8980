-- Version 2: the zones and rule packs of each delivery, and the call
-- starts that call limits count.
--
-- Applied to a version 1 file in place, in one transaction with its
-- schema_version row: ADD COLUMN rewrites no rows, so it costs the same
-- for any number of deliveries, and rows written before it read as
-- having no other zones and no packs.

-- other_zones and packs are '' for none, or a JSON array of strings, in
-- the order given: ["Europe/Guernsey","Europe/Isle_of_Man"], ["GB","GB-ENG"].
-- JSON quotes every element, so no zone or pack ID, whatever it holds, can
-- be read back as two or as part of another.
ALTER TABLE deliveries ADD COLUMN other_zones TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN packs TEXT NOT NULL DEFAULT '';

-- call_starts has one row per move to dialling, written in the same
-- transaction as the move: the campaign, the number called ('' if the
-- delivery had none) and the move's instant. Limits read it back by
-- number (per-person limits) and by campaign (pace). Rows a day older
-- than the longest window a limit may have are pruned from time to time.
CREATE TABLE call_starts (
    campaign_id TEXT NOT NULL,
    phone       TEXT NOT NULL,
    at          INTEGER NOT NULL
);

CREATE INDEX call_starts_phone ON call_starts (phone, at);
CREATE INDEX call_starts_campaign ON call_starts (campaign_id, at);
