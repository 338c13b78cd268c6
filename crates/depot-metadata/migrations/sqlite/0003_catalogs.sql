-- Product version catalogs: every accepted version (the history) and which one is
-- current. The catalog content itself is a blob referenced as `catalog:<id>`.
CREATE TABLE catalog_versions (
    id              INTEGER PRIMARY KEY,
    sequence_number INTEGER NOT NULL,
    content_digest  TEXT NOT NULL,
    content_size    INTEGER NOT NULL,
    file_digest     TEXT NOT NULL,
    change          TEXT NOT NULL,
    accepted_by     TEXT NOT NULL,
    accepted_at     INTEGER NOT NULL,
    task_id         TEXT NOT NULL
) STRICT;

CREATE TABLE catalog_current (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    version_id INTEGER NOT NULL REFERENCES catalog_versions (id)
) STRICT;
