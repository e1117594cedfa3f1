-- Insights: pulled account and media metrics, each metric's last Meta error, the pull
-- schedule, and Meta's webhook events. Times are UTC epoch milliseconds. Upserts are keyed so
-- that a pull run twice gives the same rows. Keep in step with ../postgres.

CREATE TABLE account_metrics (
    tenant_id      TEXT    NOT NULL REFERENCES tenants (id),
    integration_id TEXT    NOT NULL REFERENCES integrations (id),
    -- The series asked for (a report column, e.g. `views`).
    metric         TEXT    NOT NULL,
    -- The Graph metric that produced the value (`impressions` on v21 before 2025-04-21).
    served_by      TEXT    NOT NULL,
    period         TEXT    NOT NULL,
    -- Meta's end_time: the end of the day reported.
    end_time       INTEGER NOT NULL,
    -- '' for the total; `media_product_type=REEL` for one breakdown result.
    breakdown_key  TEXT    NOT NULL,
    -- {"dimension_keys":[…],"dimension_values":[…]} for a breakdown result.
    breakdown      TEXT,
    -- NULL when the value is not a count (kept whole in raw).
    value          INTEGER,
    fetched_at     INTEGER NOT NULL,
    -- The metric object exactly as Meta answered it, for audit.
    raw            TEXT    NOT NULL,
    PRIMARY KEY (integration_id, metric, served_by, period, end_time, breakdown_key)
) STRICT;

CREATE INDEX account_metrics_by_day ON account_metrics (integration_id, end_time);

CREATE TABLE media_metrics (
    tenant_id      TEXT    NOT NULL REFERENCES tenants (id),
    integration_id TEXT    NOT NULL REFERENCES integrations (id),
    media_id       TEXT    NOT NULL,
    -- FEED, CAROUSEL_ALBUM, REELS or STORY.
    media_kind     TEXT    NOT NULL,
    published_at   INTEGER,
    metric         TEXT    NOT NULL,
    served_by      TEXT    NOT NULL,
    breakdown_key  TEXT    NOT NULL,
    breakdown      TEXT,
    value          INTEGER,
    -- `api` (a pull) or `webhook` (story_insights).
    source         TEXT    NOT NULL CHECK (source IN ('api', 'webhook')),
    fetched_at     INTEGER NOT NULL,
    raw            TEXT    NOT NULL,
    PRIMARY KEY (integration_id, media_id, metric, served_by, breakdown_key)
) STRICT;

CREATE TABLE metric_failures (
    tenant_id      TEXT    NOT NULL REFERENCES tenants (id),
    integration_id TEXT    NOT NULL REFERENCES integrations (id),
    -- The IG user id for account metrics, the media id for media metrics.
    object_id      TEXT    NOT NULL,
    object_kind    TEXT    NOT NULL CHECK (object_kind IN ('account', 'media')),
    metric         TEXT    NOT NULL,
    code           INTEGER,
    subcode        INTEGER,
    -- Meta's message (never a token: the Graph client scrubs them).
    message        TEXT    NOT NULL,
    failed_at      INTEGER NOT NULL,
    PRIMARY KEY (integration_id, object_id, metric)
) STRICT;

CREATE TABLE insights_pulls (
    integration_id TEXT    NOT NULL REFERENCES integrations (id),
    -- `account`, `media` or `stories`.
    kind           TEXT    NOT NULL,
    next_run_at    INTEGER NOT NULL,
    last_run_at    INTEGER,
    PRIMARY KEY (integration_id, kind)
) STRICT;

CREATE TABLE webhook_events (
    -- SHA-256 of entry id, time, field and canonical value: a repeated delivery collides here.
    dedupe_key   TEXT    NOT NULL PRIMARY KEY,
    object       TEXT    NOT NULL,
    field        TEXT    NOT NULL,
    entry_id     TEXT    NOT NULL,
    entry_time   INTEGER NOT NULL,
    -- The change's value as Meta sent it.
    payload      TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    deliveries   INTEGER NOT NULL,
    processed_at INTEGER,
    process_error TEXT
) STRICT;

CREATE INDEX webhook_events_unprocessed ON webhook_events (received_at)
    WHERE processed_at IS NULL;
