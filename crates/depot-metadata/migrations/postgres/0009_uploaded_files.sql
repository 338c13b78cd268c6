-- 0009 uploaded files (PostgreSQL): content uploaded to /vum-fileupload, waiting to be
-- imported as an ESX offline depot (source_type PUSH, by file_id).
--
-- Times are Unix milliseconds. The content is a blob held by the blob reference owner
-- `uploaded-file:<id>`, written and dropped with the row. A file no depot used
-- (used_by NULL) is removed with its reference once `expires` has passed.
--
-- Forward-only: never edit this file once released; add a new numbered one instead.

CREATE TABLE uploaded_files (
    id        TEXT    NOT NULL PRIMARY KEY,
    digest    TEXT    NOT NULL,
    size      BIGINT  NOT NULL CHECK (size >= 0),
    file_name TEXT,
    owner     TEXT    NOT NULL,
    created   BIGINT  NOT NULL,
    expires   BIGINT  NOT NULL,
    used_by   TEXT
);

CREATE INDEX uploaded_files_by_expiry ON uploaded_files (expires) WHERE used_by IS NULL;
