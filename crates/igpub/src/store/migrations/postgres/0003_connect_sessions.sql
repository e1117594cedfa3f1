-- Facebook Login sessions that found several Instagram accounts and wait for the person to
-- pick one. Short-lived (about 30 minutes). Times are UTC epoch milliseconds. Keep in step
-- with ../sqlite.

CREATE TABLE connect_sessions (
    id                    TEXT    NOT NULL PRIMARY KEY,
    tenant_id             TEXT    NOT NULL REFERENCES tenants (id),
    -- The Meta app the user token belongs to (the service's, or the tenant's own).
    meta_app_id           TEXT    NOT NULL,
    -- The long-lived user token as a vault envelope bound to (tenant, session id).
    user_token            TEXT    NOT NULL,
    user_token_expires_at BIGINT,
    -- JSON list of the accounts found, for the picker; never a token.
    choices               TEXT    NOT NULL,
    -- Where the person's browser goes back to, if the connect asked for it.
    return_to             TEXT,
    created_at            BIGINT  NOT NULL,
    expires_at            BIGINT  NOT NULL
);

CREATE INDEX connect_sessions_by_expiry ON connect_sessions (expires_at);
CREATE INDEX connect_sessions_by_tenant ON connect_sessions (tenant_id);
