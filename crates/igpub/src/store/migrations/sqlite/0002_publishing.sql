-- Posts (the queue), their timeline, and rate-limit pauses every worker honours.
-- Times are UTC epoch milliseconds. Keep in step with ../postgres.

CREATE TABLE posts (
    id                  TEXT    NOT NULL PRIMARY KEY,
    tenant_id           TEXT    NOT NULL REFERENCES tenants (id),
    integration_id      TEXT    NOT NULL REFERENCES integrations (id),
    -- Copied from the integration so quota and pauses are looked up per account.
    ig_user_id          TEXT    NOT NULL,
    kind                TEXT    NOT NULL,
    state               TEXT    NOT NULL,
    -- The post as PostInput JSON, and the "now" it was parsed with (re-parsed with the same).
    input               TEXT    NOT NULL,
    input_now           INTEGER NOT NULL,
    caption_fingerprint TEXT    NOT NULL,
    run_at              INTEGER NOT NULL,
    time_zone           TEXT,
    -- When a worker should look at the post next; NULL when nothing is to be done.
    next_attempt_at     INTEGER,
    -- Container ids, attempt counters and follow-ups (JSON), saved at every step.
    progress            TEXT    NOT NULL,
    media_id            TEXT,
    permalink           TEXT,
    failure             TEXT,
    idempotency_key     TEXT,
    request_hash        TEXT    NOT NULL,
    lease_owner         TEXT,
    lease_expires_at    INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    published_at        INTEGER,
    UNIQUE (tenant_id, idempotency_key)
) STRICT;

CREATE INDEX posts_due ON posts (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX posts_by_tenant_run_at ON posts (tenant_id, run_at, id);
CREATE INDEX posts_by_integration_state ON posts (integration_id, state);
CREATE INDEX posts_published_by_account ON posts (ig_user_id, published_at)
    WHERE published_at IS NOT NULL;

CREATE TABLE post_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id    TEXT    NOT NULL REFERENCES posts (id),
    at         INTEGER NOT NULL,
    from_state TEXT,
    to_state   TEXT    NOT NULL,
    detail     TEXT    NOT NULL
) STRICT;

CREATE INDEX post_events_by_post ON post_events (post_id, id);

CREATE TABLE account_pauses (
    -- 'app' for the whole app, or 'account:<ig user id>'.
    scope        TEXT    NOT NULL PRIMARY KEY,
    paused_until INTEGER NOT NULL,
    reason       TEXT    NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;
