-- 0011 ESX offline depots (sqlite): bundles imported by PUSH (an uploaded file) or PULL
-- (a URL), their content view and their files.
--
-- Times are Unix milliseconds. `identity` is the digest of the depot's metadata
-- content: one depot per content. `source_digest` is the SHA-256 of the bundle file
-- it came from (a second create with the same file is refused up front). `content` is
-- the JSON of the depot's `content` view, read back as one value. Each file (path in
-- the bundle → blob) is a row of offline_depot_files; the blobs are held by the blob
-- reference owner `offline-depot:<id>`, written and dropped with the depot's rows.
--
-- Forward-only: never edit this file once released; add a new numbered one instead.

CREATE TABLE offline_depots (
    id            TEXT    NOT NULL PRIMARY KEY,
    identity      TEXT    NOT NULL UNIQUE,
    source_digest TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    source_type   TEXT    NOT NULL CHECK (source_type IN ('PULL', 'PUSH')),
    location      TEXT,
    file_id       TEXT,
    ownerdata     TEXT,
    owner         TEXT    NOT NULL,
    create_time   INTEGER NOT NULL,
    content       TEXT    NOT NULL
) STRICT;

CREATE INDEX offline_depots_by_source_digest ON offline_depots (source_digest);

CREATE TABLE offline_depot_files (
    depot_id TEXT    NOT NULL,
    path     TEXT    NOT NULL,
    digest   TEXT    NOT NULL,
    size     INTEGER NOT NULL CHECK (size >= 0),
    PRIMARY KEY (depot_id, path)
) STRICT;
