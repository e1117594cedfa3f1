-- Signed-in dashboard sessions. The cookie holds a random secret; only its SHA-256 is kept
-- here, so a copy of the database signs nobody in. A session lives only while the API key it
-- was opened with is not revoked. Times are UTC epoch milliseconds. Keep in step with
-- ../postgres.

CREATE TABLE dashboard_sessions (
    id         TEXT    NOT NULL PRIMARY KEY,
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id),
    api_key_id TEXT    NOT NULL REFERENCES api_keys (id),
    -- Lower-case hex SHA-256 of the cookie's secret.
    token_hash TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions (expires_at);
