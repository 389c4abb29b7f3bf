-- Every row carries its tenant, and every key and index starts with it, so the tables can be
-- distributed by tenant_id (Citus) unchanged. Ids are TEXT and instants UTC TIMESTAMP, the
-- types diesel maps alike on PostgreSQL and SQLite.

CREATE TABLE api_keys (
    tenant_id   TEXT      NOT NULL CHECK (length(tenant_id) BETWEEN 1 AND 64 AND tenant_id NOT GLOB '*[^a-z0-9-]*'),
    id          TEXT      NOT NULL,
    label       TEXT      NOT NULL,
    secret_hash BLOB      NOT NULL CHECK (length(secret_hash) = 32),
    created_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE work_orders (
    tenant_id  TEXT      NOT NULL CHECK (length(tenant_id) BETWEEN 1 AND 64 AND tenant_id NOT GLOB '*[^a-z0-9-]*'),
    id         TEXT      NOT NULL,
    status     TEXT      NOT NULL
        CHECK (status IN ('PLANNED', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED', 'CLOSED', 'CANCELLED')),
    title      TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE photos (
    tenant_id     TEXT      NOT NULL,
    id            TEXT      NOT NULL,
    work_order_id TEXT      NOT NULL,
    object_key    TEXT      NOT NULL,
    cdn_url       TEXT      NOT NULL,
    taken_at      TIMESTAMP NOT NULL,
    step          TEXT,
    created_at    TIMESTAMP NOT NULL,
    api_key_id    TEXT      NOT NULL,
    PRIMARY KEY (tenant_id, id),
    -- A retry is the same key on the same work order: the database, not only the code,
    -- keeps it to one row.
    CONSTRAINT photos_object_key_unique UNIQUE (tenant_id, work_order_id, object_key),
    FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, api_key_id) REFERENCES api_keys (tenant_id, id)
);
