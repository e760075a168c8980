-- Version 1: campaigns, deliveries and the lease-token sequence.
--
-- Every name is unqualified, so the objects are created in the current
-- schema (the first schema of search_path that exists).

CREATE TABLE campaigns (
    id              uuid PRIMARY KEY,
    state           text NOT NULL,
    -- definition is json.Marshal(*signedcall.Campaign), kept verbatim;
    -- state and updated_at mirror its State and UpdatedAt for queries.
    definition      json NOT NULL,
    -- materialized_at is set, in the same transaction, when the
    -- campaign's deliveries are written.
    materialized_at timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- campaign_id has no foreign key: Materialize, the only insert path, holds
-- the campaign's row lock while it writes, and the store deletes nothing.
-- The key's check would cost a third of a large Materialize.
CREATE TABLE deliveries (
    campaign_id   uuid NOT NULL,
    -- C collation: user order is byte order whatever the database's
    -- default collation.
    user_id       text COLLATE "C" NOT NULL,
    phone         text NOT NULL,
    time_zone     text NOT NULL,
    zone_source   text NOT NULL,
    status        text NOT NULL,
    due_at        timestamptz NOT NULL,
    attempt       integer NOT NULL,
    -- The lease is all NULL when nobody holds the delivery.
    lease_owner   text,
    lease_token   bigint,
    lease_expires timestamptz,
    reason        text NOT NULL,
    updated_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    -- At most one delivery per (campaign, user), on every insert path.
    PRIMARY KEY (campaign_id, user_id)
);

-- Claims read pending deliveries in (due_at, user_id) order...
CREATE INDEX deliveries_pending_due ON deliveries (campaign_id, due_at, user_id)
    WHERE status = 'pending';

-- ...and leases that ran out, which NextDue also reads.
CREATE INDEX deliveries_lease_expires ON deliveries (campaign_id, lease_expires)
    WHERE status IN ('claimed', 'dialling');

-- Lease tokens: strictly increasing across the whole store.
CREATE SEQUENCE signedcall_lease_token AS bigint;
