-- Files tenants uploaded to the built-in media hosting (`POST /v1/media`). The hosted
-- objects themselves are content-addressed and shared; these rows say which tenant uploaded
-- what, so each tenant sees only its own uploads. Times are UTC epoch milliseconds. Keep in
-- step with ../sqlite.

CREATE TABLE media_uploads (
    id                TEXT    NOT NULL PRIMARY KEY,
    tenant_id         TEXT    NOT NULL REFERENCES tenants (id),
    -- The hosted object a post should use (the fixed JPEG when the auto-fix changed it).
    media_id          TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    size              BIGINT  NOT NULL,
    url               TEXT    NOT NULL,
    -- The file as uploaded, always kept.
    original_media_id TEXT    NOT NULL,
    original_url      TEXT    NOT NULL,
    -- JSON list of what the auto-fix changed; [] when nothing.
    changes           TEXT    NOT NULL,
    created_at        BIGINT  NOT NULL
);

CREATE INDEX media_uploads_by_tenant ON media_uploads (tenant_id, created_at, id);
