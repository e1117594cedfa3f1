-- The container processing times a worker has learned, per kind ('image' or 'video'), so a
-- restarted worker (or a new one) reads its first containers at the learned time instead of
-- probing: recent samples in milliseconds as a JSON array, oldest first.
-- Keep in step with ../sqlite and ../postgres.
CREATE TABLE processing_times (
    kind TEXT PRIMARY KEY,
    samples_ms TEXT NOT NULL,
    saved_at BIGINT NOT NULL
);
