-- Version 2: the further zones and rule packs of each delivery, and the
-- call starts that call limits count.
--
-- Applied to a version 1 schema in place, in the migration transaction
-- (under its advisory lock) with the version row. ADD COLUMN without a
-- default only changes the catalogue: it rewrites no rows, so it costs
-- the same for any number of deliveries, and rows written before it read
-- as having no other zones and no packs.

-- Both hold the Delivery's slices in their order, and NULL for none,
-- which takes no space in the row: an empty array would take 16 bytes,
-- written again by every update of the delivery.
ALTER TABLE deliveries
    ADD COLUMN other_zones text[],
    ADD COLUMN packs       text[];

-- call_starts has one row per move to dialling, written by the statement
-- that makes the move: the campaign, the number called ('' when the
-- delivery had none) and the move's instant. Limits read it back by
-- number (per-person limits) and by campaign (pace). Like deliveries it
-- has no foreign key; rows older than the longest window a limit may have
-- are pruned from time to time.
CREATE TABLE call_starts (
    campaign_id uuid        NOT NULL,
    phone       text        NOT NULL,
    at          timestamptz NOT NULL
);

CREATE INDEX call_starts_phone_at ON call_starts (phone, at);
CREATE INDEX call_starts_campaign_at ON call_starts (campaign_id, at);
