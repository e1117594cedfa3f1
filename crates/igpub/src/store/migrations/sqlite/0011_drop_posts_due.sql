-- posts_due served the lease and the next wake-up until posts_available (0009) replaced it;
-- its last reader, the queue-lag figure of /metrics, now reads posts_available too. Every step
-- of every post moved an entry of it: one index fewer to keep up on the worker's hottest write.
-- Keep in step with ../sqlite and ../postgres.
DROP INDEX posts_due;
