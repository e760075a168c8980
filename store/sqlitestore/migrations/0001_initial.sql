-- Version 1: campaigns, deliveries, their counts and the lease counter.
--
-- Times are integer Unix nanoseconds, UTC. A NULL time, or in due_at the
-- smallest int64, is the zero time.Time. Text compares byte by byte (the
-- BINARY collation), which is the user order the Store promises.

CREATE TABLE schema_version (
    version    INTEGER PRIMARY KEY,
    applied_at INTEGER NOT NULL
);

CREATE TABLE campaigns (
    id              TEXT PRIMARY KEY,
    state           TEXT NOT NULL,
    -- definition is the json.Marshal form of the *signedcall.Campaign,
    -- state and updated time included.
    definition      TEXT NOT NULL,
    materialized    INTEGER NOT NULL DEFAULT 0 CHECK (materialized IN (0, 1)),
    materialized_at INTEGER,
    created_at      INTEGER,
    updated_at      INTEGER
) WITHOUT ROWID;

CREATE TABLE deliveries (
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id),
    user_id       TEXT NOT NULL,
    phone         TEXT NOT NULL,
    time_zone     TEXT NOT NULL,
    zone_source   TEXT NOT NULL,
    status        TEXT NOT NULL,
    due_at        INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,
    -- A delivery holds a lease exactly when lease_expires is not NULL,
    -- which is when it is claimed or dialling.
    lease_owner   TEXT NOT NULL DEFAULT '',
    lease_token   INTEGER NOT NULL DEFAULT 0,
    lease_expires INTEGER,
    reason        TEXT NOT NULL,
    updated_at    INTEGER,
    finished_at   INTEGER,
    -- One delivery per (campaign, user), whatever writes it.
    PRIMARY KEY (campaign_id, user_id)
) WITHOUT ROWID;

-- Claims take pending deliveries in (due_at, user_id) order. Only pending
-- rows are indexed, so final ones cost the claim path nothing.
CREATE INDEX deliveries_due ON deliveries (campaign_id, due_at, user_id)
    WHERE status = 'pending';

-- Rescues and NextDue find leases by expiry.
CREATE INDEX deliveries_lease ON deliveries (campaign_id, lease_expires)
    WHERE lease_expires IS NOT NULL;

-- delivery_counts keeps Counts constant-time: every transaction that
-- changes statuses adds what it moved, in the same transaction.
CREATE TABLE delivery_counts (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    status      TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, status)
) WITHOUT ROWID;

-- lease_tokens holds the last lease token issued. Every claim takes the
-- next ones inside its write transaction, so tokens increase across the
-- whole file, whichever process claims.
CREATE TABLE lease_tokens (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
);
INSERT INTO lease_tokens (id, last) VALUES (1, 0);
