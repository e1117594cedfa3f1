-- Outbound webhooks: the endpoints tenants register, the events igpub announces, one
-- delivery per (endpoint, event) with every attempt logged, and the dispatcher's bookmarks.
-- Times are UTC epoch milliseconds. Keep in step with ../sqlite.

CREATE TABLE webhook_endpoints (
    id          TEXT    NOT NULL PRIMARY KEY,
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    url         TEXT    NOT NULL,
    description TEXT    NOT NULL,
    -- JSON array of the event types delivered, e.g. ["post.published","post.failed"].
    events      TEXT    NOT NULL,
    -- The signing secret as a vault envelope bound to (tenant, endpoint); shown once.
    secret      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    -- Deleted endpoints stay so their delivery log keeps its reference; nothing is sent.
    deleted_at  BIGINT
);

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
    created_at BIGINT  NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               TEXT    NOT NULL PRIMARY KEY,
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id),
    endpoint_id      TEXT    NOT NULL REFERENCES webhook_endpoints (id),
    event_id         TEXT    NOT NULL REFERENCES outbound_events (id),
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         BIGINT  NOT NULL,
    next_attempt_at  BIGINT,
    -- A dispatcher working on it, until when (several processes may dispatch).
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    last_status      BIGINT,
    last_error       TEXT,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    delivered_at     BIGINT,
    UNIQUE (endpoint_id, event_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_delivery_attempts (
    delivery_id TEXT    NOT NULL REFERENCES webhook_deliveries (id),
    attempt     BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    -- The receiver's HTTP status, when it answered.
    status      BIGINT,
    -- Why it failed, in our words (never the receiver's body).
    error       TEXT,
    duration_ms BIGINT  NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE TABLE outbound_cursors (
    name     TEXT    NOT NULL PRIMARY KEY,
    position BIGINT  NOT NULL
);

-- The status each integration was last announced with, so that a change to
-- needs_reconnect is announced once however often the row is touched.
CREATE TABLE integration_status_announced (
    integration_id TEXT    NOT NULL PRIMARY KEY REFERENCES integrations (id),
    status         TEXT    NOT NULL,
    updated_at     BIGINT  NOT NULL
);
