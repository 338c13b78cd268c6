-- 0005 token families and session lifetimes (PostgreSQL).
--
-- An access token records the refresh token it was issued with or minted from, so
-- revoking that refresh token ends it too (one DELETE over the family). Sessions also
-- end a fixed time after they were created: the index by creation time serves the
-- purge of those.
--
-- Forward-only: never edit this file once released; add a new numbered one instead.

ALTER TABLE sessions ADD COLUMN refresh_hash TEXT;

CREATE INDEX sessions_by_refresh ON sessions (refresh_hash) WHERE refresh_hash IS NOT NULL;

CREATE INDEX sessions_by_age ON sessions (kind, created);
