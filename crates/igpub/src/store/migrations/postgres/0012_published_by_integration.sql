-- posts_by_integration_state moved on every state change of every post (three a post), yet its
-- one reader, the insights pull's list of an account's recent media, asks for published posts
-- by publication time. This index holds only published posts and moves once, when a post is
-- published. Keep in step with ../sqlite and ../postgres.
DROP INDEX posts_by_integration_state;
CREATE INDEX posts_published_by_integration ON posts (integration_id, published_at)
    WHERE published_at IS NOT NULL;
