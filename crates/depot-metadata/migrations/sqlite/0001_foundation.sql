-- 0001 foundation (SQLite): tasks, users and sessions.
--
-- Times are Unix milliseconds. JSON-shaped task fields (description, stages, messages,
-- progress, result, error, payload) are TEXT holding serde_json; what filters need is
-- kept beside them in plain columns. owner, lease_until and cancel_requested belong to
-- the store only (claims and leases), never to the domain Task.
--
-- Forward-only: never edit this file once released; add a new numbered one instead.

CREATE TABLE tasks (
    id                  TEXT    NOT NULL PRIMARY KEY,
    name                TEXT    NOT NULL,
    description         TEXT    NOT NULL,
    description_id      TEXT    NOT NULL,
    description_default TEXT    NOT NULL,
    task_type           TEXT    NOT NULL,
    status              TEXT    NOT NULL
        CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED')),
    created_by          TEXT    NOT NULL,
    updated_by          TEXT    NOT NULL,
    resource_id         TEXT,
    resource_type       TEXT,
    create_time         INTEGER NOT NULL,
    start_time          INTEGER,
    update_time         INTEGER NOT NULL,
    end_time            INTEGER,
    correlation_id      TEXT,
    parent_task_id      TEXT,
    retriable           INTEGER NOT NULL CHECK (retriable IN (0, 1)),
    cancellable         INTEGER NOT NULL CHECK (cancellable IN (0, 1)),
    is_system           INTEGER NOT NULL CHECK (is_system IN (0, 1)),
    service             TEXT,
    operation           TEXT,
    stages              TEXT    NOT NULL,
    messages            TEXT    NOT NULL,
    progress            TEXT    NOT NULL,
    result              TEXT,
    error               TEXT,
    payload             TEXT    NOT NULL,
    concurrency_key     TEXT,
    attempts            INTEGER NOT NULL CHECK (attempts >= 0),
    version             INTEGER NOT NULL,
    owner               TEXT,
    lease_until         INTEGER,
    cancel_requested    INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1))
) STRICT;

-- At most one pending or running task per concurrency key.
CREATE UNIQUE INDEX tasks_active_concurrency_key ON tasks (concurrency_key)
    WHERE status IN ('PENDING', 'RUNNING');

-- Listing, newest first.
CREATE INDEX tasks_by_create_time ON tasks (create_time DESC, id DESC);

-- Claiming the oldest pending task; also finds running tasks for leases.
CREATE INDEX tasks_claim ON tasks (status, create_time, id);

CREATE TABLE users (
    name          TEXT    NOT NULL PRIMARY KEY,
    role          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created       INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    token_hash    TEXT    NOT NULL PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('vsphere', 'access', 'refresh')),
    user_name     TEXT    NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created       INTEGER NOT NULL,
    last_accessed INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_by_user ON sessions (user_name);

CREATE INDEX sessions_by_idle ON sessions (kind, last_accessed);
