-- When a post can be leased: when it is due, or, while a worker holds it past that, just after
-- its lease expires. The lease query and the next wake-up read this index as a range instead of
-- visiting every post being worked (they all stay due while leased). The expression must match
-- `available_at!()` in src/store/queue.rs exactly, or the planner ignores the index.
-- Keep in step with ../sqlite and ../postgres.
CREATE INDEX posts_available ON posts (
    (CASE WHEN lease_expires_at >= next_attempt_at THEN lease_expires_at + 1 ELSE next_attempt_at END)
) WHERE next_attempt_at IS NOT NULL;

-- Held posts, which every worker looks for each second to resume those whose account was
-- reconnected: without it that look reads the whole posts table.
CREATE INDEX posts_held ON posts (integration_id) WHERE state = 'held';

-- A worker's leases, renewed by its heartbeat and given back when it stops.
CREATE INDEX posts_leased ON posts (lease_owner) WHERE lease_owner IS NOT NULL;
