-- Blob references: which record (owner) keeps which content-addressed blob alive.
-- Garbage collection removes only blobs that no row here names.
CREATE TABLE blob_refs (
    digest TEXT NOT NULL,
    owner  TEXT NOT NULL,
    PRIMARY KEY (owner, digest)
);
CREATE INDEX blob_refs_digest ON blob_refs (digest);
