-- The outbox, the feed and webhooks. Every row carries its tenant; every key starts with it.

-- An event is written in the transaction that records its photo, with no position; the relay
-- gives it the next position of its tenant's feed once that transaction has committed, one
-- relay at a time, so a feed read by position never skips an event that commits late.
-- A photo.attached event's data is its photo's row (photos never change), so the event does
-- not copy it and cannot disagree with it.
CREATE TABLE events (
    tenant_id   TEXT      NOT NULL,
    id          TEXT      NOT NULL,
    event_type  TEXT      NOT NULL CHECK (event_type IN ('photo.attached')),
    occurred_at TIMESTAMP NOT NULL,
    photo_id    TEXT      NOT NULL,
    position    BIGINT    CHECK (position > 0),
    PRIMARY KEY (tenant_id, id),
    -- Also the feed's index: a tenant's events by position.
    CONSTRAINT events_position_unique UNIQUE (tenant_id, position),
    FOREIGN KEY (tenant_id, photo_id) REFERENCES photos (tenant_id, id)
);
-- What the relay looks for: events not yet published.
CREATE INDEX events_unpublished ON events (tenant_id, id) WHERE position IS NULL;

-- A signing secret is stored only encrypted (nonce and AEAD ciphertext), never in clear.
CREATE TABLE webhook_subscriptions (
    tenant_id         TEXT      NOT NULL CHECK (tenant_id ~ '^[a-z0-9-]{1,64}$'),
    id                TEXT      NOT NULL,
    url               TEXT      NOT NULL,
    secret_ciphertext BYTEA     NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    deleted_at        TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);

-- One row per event and subscription, made by the relay as it publishes the event. A worker
-- claims a due row by moving next_attempt_at past its lease, so another worker (another
-- server) skips it until the lease ends: a crash retries after the lease.
CREATE TABLE webhook_deliveries (
    tenant_id       TEXT      NOT NULL,
    subscription_id TEXT      NOT NULL,
    event_id        TEXT      NOT NULL,
    state           TEXT      NOT NULL CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED')),
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT,
    finished_at     TIMESTAMP,
    PRIMARY KEY (tenant_id, subscription_id, event_id),
    FOREIGN KEY (tenant_id, subscription_id) REFERENCES webhook_subscriptions (tenant_id, id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id)
);
-- The workers' scan is across tenants, by due time: the one index whose tenant is not first.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, tenant_id) WHERE state = 'PENDING';
