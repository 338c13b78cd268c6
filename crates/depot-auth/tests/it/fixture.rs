//! A fresh SQLite database per test and services over it.

use std::sync::Arc;
use std::time::Duration;

use depot_auth::{ADMIN_USER, AuthError, AuthService, AuthSettings, Secret};
use depot_metadata::{MetadataStore, SqliteStore};
use depot_model::{ErrorKind, ManualClock, TokenHash};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// The administrator's password in tests.
pub const ADMIN_PASSWORD: &str = "correct horse battery";
/// The client address tests log in from.
pub const CLIENT: &str = "192.0.2.10";

/// A database file in a temporary directory, deleted with it.
pub struct TestDb {
    dir: TempDir,
    /// A store over the file.
    pub store: Arc<SqliteStore>,
}

impl TestDb {
    /// A new, migrated database.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(open(&dir).await);
        Self { dir, store }
    }

    /// A second, independent store over the same file, as another process (the CLI,
    /// another replica) has.
    pub async fn reopen(&self) -> Arc<SqliteStore> {
        Arc::new(open(&self.dir).await)
    }

    /// A service over the store with `settings`.
    pub fn service(&self, settings: AuthSettings) -> AuthService {
        AuthService::new(Arc::clone(&self.store) as Arc<dyn MetadataStore>, settings)
    }

    /// A service with default settings and the administrator created.
    pub async fn with_admin(&self) -> AuthService {
        let auth = self.service(AuthSettings::default());
        assert!(
            auth.ensure_admin(Some(secret(ADMIN_PASSWORD)))
                .await
                .unwrap()
                .is_none()
        );
        auth
    }
}

async fn open(dir: &TempDir) -> SqliteStore {
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    SqliteStore::connect(&url)
        .await
        .expect("open the test database")
}

/// Settings with a session idle time and cache TTL; other values default.
pub fn settings(session_idle: Duration, cache_ttl: Duration) -> AuthSettings {
    AuthSettings {
        session_idle,
        cache_ttl,
        ..AuthSettings::default()
    }
}

/// `settings` on a manual clock starting now, and that clock: tests move it forward
/// instead of waiting for the wall clock.
pub fn on_manual_clock(mut settings: AuthSettings) -> (AuthSettings, Arc<ManualClock>) {
    let clock = ManualClock::starting_now();
    settings.clock = clock.clone();
    (settings, clock)
}

/// A secret from a literal.
pub fn secret(s: &str) -> Secret {
    Secret::new(s)
}

/// The stored form of a session secret: its SHA-256, hex encoded.
pub fn stored_hash(secret: &Secret) -> TokenHash {
    TokenHash(hex::encode(Sha256::digest(secret.expose().as_bytes())))
}

/// Opens a vSphere session as the administrator.
pub async fn admin_session(auth: &AuthService) -> Secret {
    auth.open_session(ADMIN_USER, &secret(ADMIN_PASSWORD), CLIENT)
        .await
        .expect("admin login")
        .0
}

/// Asserts `result` is an `InvalidSession` refusal.
#[track_caller]
pub fn assert_invalid_session<T: std::fmt::Debug>(result: Result<T, AuthError>) {
    match result {
        Err(e @ AuthError::InvalidSession) => assert_eq!(e.kind(), ErrorKind::Unauthenticated),
        other => panic!("expected InvalidSession, got {other:?}"),
    }
}

/// Asserts `result` is a `BadCredentials` refusal.
#[track_caller]
pub fn assert_bad_credentials<T: std::fmt::Debug>(result: Result<T, AuthError>) {
    match result {
        Err(e @ AuthError::BadCredentials) => assert_eq!(e.kind(), ErrorKind::Unauthenticated),
        other => panic!("expected BadCredentials, got {other:?}"),
    }
}
