//! The store traits, split by capability and joined by [`MetadataStore`].

use async_trait::async_trait;
use depot_model::{
    CatalogVersion, DepotFile, Session, SessionKind, Sha256Digest, StoredDepotSettings, SyncRecord,
    Task, TaskId, TaskStatus, Timestamp, TokenHash, User, UserName,
};

use crate::{
    DownloadSessionStore, LibraryItemStore, LibraryStore, Page, PageRequest, Result, TaskFilter,
    UpdateSessionStore,
};

/// What happened to an inserted task.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertOutcome {
    /// The task was stored.
    Inserted,
    /// Another pending or running task holds the same concurrency key; it is returned
    /// and nothing was stored.
    Existing(Box<Task>),
}

/// Persistent tasks.
///
/// Besides the domain fields, a stored task has an `owner` (the node running it), a
/// `lease_until` instant (renewed while it runs) and a `cancel_requested` flag. These
/// are changed only by the dedicated methods below; `update_task` never touches them.
#[async_trait]
pub trait TaskStore: Send + Sync {
    /// The writes of other processes sharing the database, for caches that must start
    /// over when one is announced (finished tasks, validated sessions). A store only
    /// this process writes keeps the default, a mark that never moves.
    fn remote_writes(&self) -> crate::RemoteWrites {
        crate::RemoteWrites::none()
    }

    /// Stores a new task. At most one task in `PENDING` or `RUNNING` may hold a given
    /// `concurrency_key`: if one does, it is returned instead.
    async fn insert_task(&self, task: &Task) -> Result<InsertOutcome>;

    /// The task with `id`.
    async fn get_task(&self, id: TaskId) -> Result<Option<Task>>;

    /// Tasks matching `filter`, newest first (by create time, then id).
    async fn list_tasks(&self, filter: &TaskFilter, page: PageRequest) -> Result<Page<Task>>;

    /// Writes every domain field of `task`, only if the stored version still equals
    /// `task.version`. Returns the new version, or `None` when the stored task changed
    /// (or is gone) meanwhile. Fails with `Conflict` when the change would give a
    /// second active task the same concurrency key.
    async fn update_task(&self, task: &Task) -> Result<Option<i64>>;

    /// Claims the oldest `PENDING` task whose name is in `names`: sets it `RUNNING`,
    /// owned by `owner` until `lease_until`, increments `attempts`, sets `start_time`
    /// if unset, clears `cancel_requested`, bumps the version; returns it as stored.
    async fn claim_next(
        &self,
        names: &[String],
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<Task>>;

    /// Extends the lease of every `RUNNING` task owned by `owner`.
    async fn renew_leases(&self, owner: &str, lease_until: Timestamp) -> Result<()>;

    /// `RUNNING` tasks whose owner is `owner` (after a restart of that node) or whose
    /// lease ended before `now` (their node died).
    async fn orphaned_tasks(&self, owner: &str, now: Timestamp) -> Result<Vec<Task>>;

    /// Raises the cancel flag of a task. Returns false when there is no such task.
    async fn request_cancel(&self, id: TaskId) -> Result<bool>;

    /// Whether cancellation was requested since the task was last claimed.
    async fn cancel_requested(&self, id: TaskId) -> Result<bool>;

    /// Deletes terminal tasks that ended before `ended_before`; returns how many.
    async fn prune_tasks(&self, ended_before: Timestamp) -> Result<u64>;

    /// How many tasks are in each status (statuses with none may be left out).
    async fn count_tasks_by_status(&self) -> Result<Vec<(TaskStatus, u64)>>;
}

/// Users.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Stores a new user; `AlreadyExists` when the name is taken.
    async fn insert_user(&self, user: &User) -> Result<()>;

    /// The user called `name`.
    async fn get_user(&self, name: &UserName) -> Result<Option<User>>;

    /// All users, by name.
    async fn list_users(&self) -> Result<Vec<User>>;

    /// Writes role and password hash; false when there is no such user.
    async fn update_user(&self, user: &User) -> Result<bool>;

    /// Deletes the user and, in the same transaction, all their sessions; false when
    /// there is no such user.
    async fn delete_user(&self, name: &UserName) -> Result<bool>;
}

/// Sessions and tokens.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    async fn insert_session(&self, session: &Session) -> Result<()>;

    /// The session whose secret hashes to `hash`.
    async fn get_session(&self, hash: &TokenHash) -> Result<Option<Session>>;

    /// Records a use of the session.
    async fn touch_session(&self, hash: &TokenHash, at: Timestamp) -> Result<()>;

    /// Ends a session; false when there was none.
    async fn delete_session(&self, hash: &TokenHash) -> Result<bool>;

    /// Ends a refresh token and every access token of its family (issued with it or
    /// minted from it), in one change; returns how many rows went. A hash that is not
    /// a refresh token's ends nothing (a vSphere session, an access token).
    async fn delete_refresh_family(&self, refresh: &TokenHash) -> Result<u64>;

    /// Deletes sessions of `kind` not used since `idle_before` or created before
    /// `created_before`; returns how many.
    async fn delete_expired_sessions(
        &self,
        kind: SessionKind,
        idle_before: Timestamp,
        created_before: Timestamp,
    ) -> Result<u64>;

    /// Deletes every session and token of `user` (after a password change); returns
    /// how many.
    async fn delete_user_sessions(&self, user: &UserName) -> Result<u64>;
}

/// Which records reference which blobs, so garbage collection keeps them.
///
/// An owner is any stable record key (`catalog:42`, `library-item:<id>`). A record
/// that stops needing its blobs removes its references in the same change.
#[async_trait]
pub trait BlobRefStore: Send + Sync {
    /// Records that `owner` references the blob with SHA-256 `digest` (idempotent).
    async fn add_blob_ref(&self, digest: &Sha256Digest, owner: &str) -> Result<()>;

    /// Drops every reference held by `owner`; returns how many.
    async fn remove_blob_refs(&self, owner: &str) -> Result<u64>;

    /// Every digest referenced by at least one owner, each once, in order.
    async fn blob_references(&self) -> Result<Vec<Sha256Digest>>;
}

/// Accepted product version catalogs: the current one and the history.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// The current catalog version, if any was accepted.
    async fn current_catalog(&self) -> Result<Option<CatalogVersion>>;

    /// In one transaction: only if the current version's id is still `previous`
    /// (`None`: no catalog yet), stores `version` as the next in the history, makes it
    /// current and records that it references its content blob (owner
    /// `catalog:<id>`). Returns the stored version (with its id), or `None` when another
    /// writer changed the current version first.
    async fn accept_catalog(
        &self,
        version: &CatalogVersion,
        previous: Option<i64>,
    ) -> Result<Option<CatalogVersion>>;

    /// Every accepted version, oldest first.
    async fn catalog_history(&self) -> Result<Vec<CatalogVersion>>;
}

/// A synced set of depot metadata to make current in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepotSyncApply {
    /// A catalog version to accept along with the files, and the id of the current
    /// version it was checked against (`None`: no catalog yet) — the same rule as
    /// [`CatalogStore::accept_catalog`]. `None`: the catalog stays as it is.
    pub catalog: Option<(CatalogVersion, Option<i64>)>,
    /// The complete new set of depot files (it replaces the stored set).
    pub files: Vec<DepotFile>,
    /// The record of this sync.
    pub record: SyncRecord,
}

/// What [`DepotStore::apply_depot_sync`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepotSyncApplied {
    /// Everything was written; carries the accepted catalog version (with its id) when
    /// one was given.
    Applied(Option<CatalogVersion>),
    /// The current catalog changed since it was checked: nothing was written.
    CatalogChanged,
}

/// The upstream depot: settings, the synced metadata files, the sync record and the
/// schedule's last slot.
#[async_trait]
pub trait DepotStore: Send + Sync {
    /// The stored depot settings, if any.
    async fn depot_settings(&self) -> Result<Option<StoredDepotSettings>>;

    /// Stores the depot settings (`None` deletes them).
    async fn put_depot_settings(&self, settings: Option<&StoredDepotSettings>) -> Result<()>;

    /// Replaces the document of the settings written at `version` (their
    /// `updated_at`), if they still are, keeping the version: a compare-and-set. Returns
    /// whether it did.
    async fn update_depot_settings_document(
        &self,
        version: Timestamp,
        document: &str,
    ) -> Result<bool>;

    /// Every synced file, by path.
    async fn depot_files(&self) -> Result<Vec<DepotFile>>;

    /// The synced file at `path`.
    async fn depot_file(&self, path: &str) -> Result<Option<DepotFile>>;

    /// In one transaction: accepts `apply.catalog` (if given, and only if the current
    /// catalog is still the one it was checked against), replaces the file set with
    /// `apply.files` — the blob references owned by `depot-files` now name exactly their
    /// digests — and stores `apply.record`. When the catalog check fails nothing is written.
    async fn apply_depot_sync(&self, apply: &DepotSyncApply) -> Result<DepotSyncApplied>;

    /// The record of the last finished sync.
    async fn sync_record(&self) -> Result<Option<SyncRecord>>;

    /// Stores the record of a finished sync that changed no metadata (e.g. a failure).
    async fn put_sync_record(&self, record: &SyncRecord) -> Result<()>;

    /// The last schedule slot a replica claimed.
    async fn last_sync_slot(&self) -> Result<Option<Timestamp>>;

    /// Claims schedule slot `slot`, only if the last claimed slot is still `previous`
    /// (compare-and-set across replicas). True when this caller won.
    async fn claim_sync_slot(&self, previous: Option<Timestamp>, slot: Timestamp) -> Result<bool>;
}

/// Everything depotd keeps in its database.
#[async_trait]
pub trait MetadataStore:
    TaskStore
    + UserStore
    + SessionStore
    + BlobRefStore
    + CatalogStore
    + DepotStore
    + LibraryStore
    + LibraryItemStore
    + UpdateSessionStore
    + DownloadSessionStore
    + crate::UploadStore
    + crate::OnlineDepotStore
    + crate::OfflineDepotStore
{
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> Result<()>;

    /// `sqlite` or `postgres`, for logs and metrics.
    fn backend(&self) -> &'static str;

    /// Locks keyed by digest shared with every other process on this database
    /// (PostgreSQL); `None` where one process owns the database (SQLite, whose data dir
    /// one server locks).
    fn digest_locks(&self) -> Option<crate::DigestLocks> {
        None
    }
}
