-- 0012 ESX online depots (sqlite): depots synced from a URL
-- (com.vmware.esx.settings.depots.online), the content of each one's last good sync and
-- the VIB payloads it holds.
--
-- Times are Unix milliseconds. The payloads are blobs held by the blob reference owner
-- `online-depot:<id>`, rewritten with the payload rows and dropped with the depot.
--
-- Forward-only: never edit this file once released; add a new numbered one instead.

CREATE TABLE online_depots (
    id          TEXT    NOT NULL PRIMARY KEY,
    description TEXT    NOT NULL,
    location    TEXT    NOT NULL UNIQUE,
    enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    owner       TEXT,
    ownerdata   TEXT,
    created     INTEGER NOT NULL,
    -- The last good sync (all NULL before one): the content view (JSON), the identity.
    content     TEXT,
    identity    TEXT,
    synced      INTEGER,
    -- The last sync attempt: when it ended, and its error when it failed.
    attempted   INTEGER,
    last_error  TEXT
) STRICT;

CREATE TABLE online_depot_payloads (
    depot_id TEXT    NOT NULL REFERENCES online_depots (id) ON DELETE CASCADE,
    path     TEXT    NOT NULL,
    digest   TEXT    NOT NULL,
    size     INTEGER NOT NULL CHECK (size >= 0),
    PRIMARY KEY (depot_id, path)
) STRICT;
