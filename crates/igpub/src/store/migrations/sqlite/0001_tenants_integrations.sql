-- Tenants, their API keys, their Instagram integrations and pending Facebook Login states.
-- Times are UTC epoch milliseconds; ids are UUID v7 text; secrets are vault envelopes
-- (v1.<key id>.<nonce>.<ciphertext>), never plaintext. Keep in step with ../postgres.

CREATE TABLE tenants (
    id                TEXT    NOT NULL PRIMARY KEY,
    name              TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    -- A tenant's own Meta app, used instead of the service's; the secret is an envelope.
    meta_app_id       TEXT,
    meta_app_secret   TEXT,
    meta_redirect_url TEXT,
    CHECK ((meta_app_id IS NULL) = (meta_app_secret IS NULL))
) STRICT;

CREATE TABLE api_keys (
    id           TEXT    NOT NULL PRIMARY KEY,
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    -- The key's first characters, to find candidates and to show which key is which.
    prefix       TEXT    NOT NULL,
    -- Lower-case hex SHA-256 of the whole key; the key itself is never stored.
    key_hash     TEXT    NOT NULL UNIQUE,
    label        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;

CREATE INDEX api_keys_by_prefix ON api_keys (prefix);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id);

CREATE TABLE integrations (
    id               TEXT    NOT NULL PRIMARY KEY,
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id),
    provider         TEXT    NOT NULL CHECK (provider IN ('instagram')),
    -- The encrypted Page access token; NULL once disconnected.
    api_key          TEXT,
    -- {"igUserId","igUsername","facebookPageId","tokenExpiresAt"} with no secret inside.
    metadata         TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('active', 'needs_reconnect', 'disconnected')),
    last_verified_at INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    -- Copies of metadata fields, written in the same statement, for lookups and listings.
    ig_user_id       TEXT    NOT NULL,
    token_expires_at INTEGER,
    UNIQUE (tenant_id, provider, ig_user_id),
    CHECK ((status = 'disconnected') = (api_key IS NULL))
) STRICT;

CREATE INDEX integrations_by_token_expiry ON integrations (token_expires_at)
    WHERE token_expires_at IS NOT NULL;

CREATE TABLE oauth_states (
    -- Lower-case hex SHA-256 of the state; the state itself is never stored.
    state_hash  TEXT    NOT NULL PRIMARY KEY,
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    -- JSON the connect flow needs again at the callback (redirect URI, return address).
    extra       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER
) STRICT;

CREATE INDEX oauth_states_by_expiry ON oauth_states (expires_at);
