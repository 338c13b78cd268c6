-- 0006 content libraries (SQLite): libraries, items and their files, update sessions
-- and their files, download sessions and their prepared files.
--
-- Times are Unix milliseconds. storage, publish and subscription are serde_json of the
-- domain types (opaque to the store; secrets in them are sealed by the service).
-- client_token_user/client_token make creates idempotent: one object per user and
-- token, for as long as the object exists. Blob references: an item's files are held by
-- owner `library-item:<id>`, a session's uploaded files by `update-session:<id>`, a
-- download session's prepared files by `download-session:<id>`.
--
-- Forward-only: never edit this file once released; add a new numbered one instead.

CREATE TABLE libraries (
    id                 TEXT    NOT NULL PRIMARY KEY,
    name               TEXT    NOT NULL UNIQUE,
    description        TEXT,
    kind               TEXT    NOT NULL CHECK (kind IN ('LOCAL', 'SUBSCRIBED')),
    storage            TEXT    NOT NULL,
    publish            TEXT,
    subscription       TEXT,
    version            INTEGER NOT NULL,
    content_version    INTEGER NOT NULL,
    creation_time      INTEGER NOT NULL,
    last_modified_time INTEGER NOT NULL,
    last_sync_time     INTEGER,
    client_token_user  TEXT,
    client_token       TEXT
) STRICT;

CREATE UNIQUE INDEX libraries_client_token ON libraries (client_token_user, client_token)
    WHERE client_token IS NOT NULL;

CREATE TABLE library_items (
    id                 TEXT    NOT NULL PRIMARY KEY,
    library_id         TEXT    NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    description        TEXT,
    item_type          TEXT,
    version            INTEGER NOT NULL,
    content_version    INTEGER NOT NULL,
    metadata_version   INTEGER NOT NULL,
    creation_time      INTEGER NOT NULL,
    last_modified_time INTEGER NOT NULL,
    last_sync_time     INTEGER,
    source_id          TEXT,
    size               INTEGER NOT NULL CHECK (size >= 0),
    cached             INTEGER NOT NULL CHECK (cached IN (0, 1)),
    client_token_user  TEXT,
    client_token       TEXT,
    UNIQUE (library_id, name)
) STRICT;

CREATE UNIQUE INDEX library_items_client_token
    ON library_items (client_token_user, client_token) WHERE client_token IS NOT NULL;

CREATE INDEX library_items_by_source ON library_items (source_id) WHERE source_id IS NOT NULL;

CREATE TABLE item_files (
    item_id     TEXT    NOT NULL REFERENCES library_items (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    size        INTEGER NOT NULL CHECK (size >= 0),
    digest      TEXT,
    version     INTEGER NOT NULL,
    source_href TEXT,
    source_etag TEXT,
    PRIMARY KEY (item_id, name)
) STRICT;

CREATE TABLE update_sessions (
    id                       TEXT    NOT NULL PRIMARY KEY,
    item_id                  TEXT    NOT NULL REFERENCES library_items (id) ON DELETE CASCADE,
    expected_content_version INTEGER,
    state                    TEXT    NOT NULL
        CHECK (state IN ('ACTIVE', 'DONE', 'ERROR', 'CANCELED')),
    client_progress          INTEGER NOT NULL CHECK (client_progress BETWEEN 0 AND 100),
    error_message            TEXT,
    expiration_time          INTEGER NOT NULL,
    creation_time            INTEGER NOT NULL,
    owner                    TEXT    NOT NULL,
    version                  INTEGER NOT NULL,
    client_token_user        TEXT,
    client_token             TEXT
) STRICT;

-- At most one active update session per item, whichever replica opens it.
CREATE UNIQUE INDEX update_sessions_one_active ON update_sessions (item_id)
    WHERE state = 'ACTIVE';

CREATE UNIQUE INDEX update_sessions_client_token
    ON update_sessions (client_token_user, client_token) WHERE client_token IS NOT NULL;

CREATE INDEX update_sessions_by_item ON update_sessions (item_id, creation_time);

CREATE INDEX update_sessions_by_expiry ON update_sessions (expiration_time)
    WHERE state = 'ACTIVE';

CREATE TABLE session_files (
    session_id        TEXT    NOT NULL REFERENCES update_sessions (id) ON DELETE CASCADE,
    name              TEXT    NOT NULL,
    source_type       TEXT    NOT NULL CHECK (source_type IN ('NONE', 'PUSH', 'PULL')),
    declared_size     INTEGER CHECK (declared_size >= 0),
    checksum_algorithm TEXT   CHECK (checksum_algorithm IN ('MD5', 'SHA1', 'SHA256', 'SHA512')),
    checksum          TEXT,
    pull_uri          TEXT,
    pull_thumbprint   TEXT,
    pull_certificate  TEXT,
    upload_token      TEXT    NOT NULL UNIQUE,
    status            TEXT    NOT NULL CHECK (status IN
        ('WAITING_FOR_TRANSFER', 'TRANSFERRING', 'READY', 'VALIDATING', 'ERROR')),
    bytes_transferred INTEGER NOT NULL CHECK (bytes_transferred >= 0),
    digest            TEXT,
    stored_size       INTEGER CHECK (stored_size >= 0),
    error_message     TEXT,
    PRIMARY KEY (session_id, name),
    CHECK ((digest IS NULL) = (stored_size IS NULL))
) STRICT;

CREATE TABLE download_sessions (
    id                TEXT    NOT NULL PRIMARY KEY,
    item_id           TEXT    NOT NULL REFERENCES library_items (id) ON DELETE CASCADE,
    content_version   INTEGER NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('ACTIVE', 'CANCELED', 'ERROR')),
    client_progress   INTEGER NOT NULL CHECK (client_progress BETWEEN 0 AND 100),
    error_message     TEXT,
    expiration_time   INTEGER NOT NULL,
    creation_time     INTEGER NOT NULL,
    owner             TEXT    NOT NULL,
    version           INTEGER NOT NULL,
    client_token_user TEXT,
    client_token      TEXT
) STRICT;

CREATE UNIQUE INDEX download_sessions_client_token
    ON download_sessions (client_token_user, client_token) WHERE client_token IS NOT NULL;

CREATE INDEX download_sessions_by_item ON download_sessions (item_id, creation_time);

CREATE TABLE download_files (
    session_id     TEXT    NOT NULL REFERENCES download_sessions (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN
        ('UNPREPARED', 'PREPARE_REQUESTED', 'PREPARING', 'PREPARED', 'ERROR')),
    size           INTEGER NOT NULL CHECK (size >= 0),
    digest         TEXT,
    download_token TEXT    NOT NULL UNIQUE,
    error_message  TEXT,
    PRIMARY KEY (session_id, name)
) STRICT;
