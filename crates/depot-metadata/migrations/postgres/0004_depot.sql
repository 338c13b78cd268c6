-- The upstream depot: its settings, the metadata files synced from it (their content
-- is a blob referenced by owner `depot-files`), the record of the last finished sync
-- and the last schedule slot a replica claimed. Times are Unix milliseconds.
CREATE TABLE depot_settings (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    document   TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE depot_files (
    path                   TEXT NOT NULL PRIMARY KEY,
    digest                 TEXT NOT NULL,
    size                   BIGINT NOT NULL CHECK (size >= 0),
    modified_at            BIGINT NOT NULL,
    upstream_etag          TEXT,
    upstream_last_modified TEXT
);

-- No row: no sync has finished yet.
CREATE TABLE depot_sync (
    singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
    task_id         TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('SUCCEEDED', 'FAILED')),
    error_message   TEXT,
    completed_at    BIGINT NOT NULL,
    last_success_at BIGINT
);

-- Separate from depot_sync so that claiming a slot is one guarded statement.
-- No row: no slot was claimed yet.
CREATE TABLE depot_sync_slot (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    slot      BIGINT NOT NULL
);
