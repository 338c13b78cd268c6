-- 0010 optional files of subscribed items: whether the publisher marks a file optional,
-- so that an item sync fetches it only with sync_optional_files and `cached` does not
-- wait for it.
--
-- Forward-only: never edit this file once released; add a new numbered one instead.

ALTER TABLE item_files ADD COLUMN optional BOOLEAN NOT NULL DEFAULT FALSE;
