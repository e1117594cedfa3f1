-- Outbound webhooks: the endpoints tenants register, the events igpub announces, one
-- delivery per (endpoint, event) with every attempt logged, and the dispatcher's bookmarks.
-- Times are UTC epoch milliseconds. Keep in step with ../postgres.

CREATE TABLE webhook_endpoints (
    id          TEXT    NOT NULL PRIMARY KEY,
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    url         TEXT    NOT NULL,
    description TEXT    NOT NULL,
    -- JSON array of the event types delivered, e.g. ["post.published","post.failed"].
    events      TEXT    NOT NULL,
    -- The signing secret as a vault envelope bound to (tenant, endpoint); shown once.
    secret      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    -- Deleted endpoints stay so their delivery log keeps its reference; nothing is sent.
    deleted_at  INTEGER
) STRICT;

CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id, created_at);

CREATE TABLE outbound_events (
    id         TEXT    NOT NULL PRIMARY KEY,
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id),
    event_type TEXT    NOT NULL,
    -- What the event was made from (`post_event:<id>`, `integration:<id>:<updated_at>`):
    -- announcing the same source twice is a no-op, so the dispatcher may re-read safely.
    source     TEXT    NOT NULL UNIQUE,
    -- The JSON body sent, byte for byte (it is what the signature covers).
    payload    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE webhook_deliveries (
    id               TEXT    NOT NULL PRIMARY KEY,
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id),
    endpoint_id      TEXT    NOT NULL REFERENCES webhook_endpoints (id),
    event_id         TEXT    NOT NULL REFERENCES outbound_events (id),
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER,
    -- A dispatcher working on it, until when (several processes may dispatch).
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    last_status      INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    delivered_at     INTEGER,
    UNIQUE (endpoint_id, event_id)
) STRICT;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_delivery_attempts (
    delivery_id TEXT    NOT NULL REFERENCES webhook_deliveries (id),
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    -- The receiver's HTTP status, when it answered.
    status      INTEGER,
    -- Why it failed, in our words (never the receiver's body).
    error       TEXT,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
) STRICT;

CREATE TABLE outbound_cursors (
    name     TEXT    NOT NULL PRIMARY KEY,
    position INTEGER NOT NULL
) STRICT;

-- The status each integration was last announced with, so that a change to
-- needs_reconnect is announced once however often the row is touched.
CREATE TABLE integration_status_announced (
    integration_id TEXT    NOT NULL PRIMARY KEY REFERENCES integrations (id),
    status         TEXT    NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;
