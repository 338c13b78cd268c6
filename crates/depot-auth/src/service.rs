//! The authentication service: logins, sessions, tokens and users.

mod login;
mod sessions;
mod users;

use std::sync::Arc;
use std::time::Duration;

use depot_metadata::{MetadataStore, RemoteWrites};
use depot_model::{Clock, Role, SystemClock, Timestamp, UserName};
use tracing::info;

use crate::cache::SessionCache;
use crate::hash_gate::HashGate;
use crate::throttle::Throttle;
use crate::{AuthError, Secret, token};

/// The built-in administrator.
pub const ADMIN_USER: &str = "administrator@vsphere.local";

/// Tunables of the authentication service.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// A vSphere session or access token ends after this long unused.
    pub session_idle: Duration,
    /// A refresh token ends after this long unused.
    pub refresh_idle: Duration,
    /// A vSphere session or access token ends this long after it was opened, however
    /// much it is used.
    pub session_max_lifetime: Duration,
    /// A refresh token ends this long after it was issued, however much it is used.
    pub refresh_max_lifetime: Duration,
    /// How long a validated session is trusted before the store is asked again.
    pub cache_ttl: Duration,
    /// Password hashes computed at once (each takes its memory cost, 19 MiB, and a
    /// core while it runs); at least one.
    pub hash_concurrency: usize,
    /// Password checks that may wait for a hash slot; more are refused at once.
    pub hash_queue: usize,
    /// Where the service reads the time: session times, expiry, the cache TTL and the
    /// login throttle.
    pub clock: Arc<dyn Clock>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_mins(30),
            refresh_idle: Duration::from_hours(24),
            session_max_lifetime: Duration::from_hours(12),
            refresh_max_lifetime: Duration::from_hours(7 * 24),
            cache_ttl: Duration::from_secs(5),
            hash_concurrency: available_cores(),
            hash_queue: 64,
            clock: SystemClock::shared(),
        }
    }
}

/// The number of cores this process may use (one when that cannot be told).
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// A fresh access/refresh token pair.
#[derive(Debug, Clone)]
pub struct NewTokens {
    /// Short-lived bearer token.
    pub access: Secret,
    /// Long-lived token that mints new access tokens.
    pub refresh: Secret,
}

/// What a client may learn about its own session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Whose session it is.
    pub user: UserName,
    /// When it was opened.
    pub created: Timestamp,
    /// When it was last used.
    pub last_accessed: Timestamp,
}

/// Logins, sessions, tokens and users, over any metadata store.
pub struct AuthService {
    store: Arc<dyn MetadataStore>,
    settings: AuthSettings,
    cache: SessionCache,
    /// Other replicas' writes, which make cached sessions stale.
    remote_writes: RemoteWrites,
    throttle: Throttle,
    hashes: HashGate,
}

impl AuthService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn MetadataStore>, settings: AuthSettings) -> Self {
        let hashes = HashGate::new(settings.hash_concurrency, settings.hash_queue);
        Self {
            remote_writes: store.remote_writes(),
            store,
            settings,
            cache: SessionCache::default(),
            throttle: Throttle::default(),
            hashes,
        }
    }

    /// Creates the built-in administrator if missing, with `password` or, when none is
    /// given, a generated one, which is returned so the caller can show it once.
    pub async fn ensure_admin(
        &self,
        password: Option<Secret>,
    ) -> Result<Option<Secret>, AuthError> {
        let name = UserName::parse(ADMIN_USER)?;
        if self.store.get_user(&name).await?.is_some() {
            return Ok(None);
        }
        let (password, generated) = match password {
            Some(p) => (p, false),
            None => (token::mint()?, true),
        };
        match self
            .add_user(ADMIN_USER, Role::Admin, password.clone())
            .await
        {
            Ok(_) => {
                info!(user = ADMIN_USER, "created the built-in administrator");
                Ok(generated.then_some(password))
            }
            // Another replica created it first.
            Err(AuthError::UserExists(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The current time, from the service's clock.
    fn now(&self) -> Timestamp {
        self.settings.clock.now()
    }
}
