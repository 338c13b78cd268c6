-- 0007 subscribed libraries: the publisher's versions at the last sync, so that a sync
-- stops at lib.json while its version has not grown and reads item.json only for
-- items whose version grew; and where an item's item.json is (its selfHref).
--
-- Forward-only: never edit this file once released; add a new numbered one instead.

ALTER TABLE libraries ADD COLUMN source_version TEXT;
ALTER TABLE library_items ADD COLUMN source_version TEXT;
ALTER TABLE library_items ADD COLUMN source_href TEXT;
