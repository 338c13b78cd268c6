//! The authentication service: logins, sessions, tokens and users.

use std::sync::Arc;
use std::time::Duration;

use depot_metadata::MetadataStore;
use depot_model::{
    Clock, Role, Session, SessionKind, SystemClock, Timestamp, TokenHash, User, UserName,
};
use tracing::{info, warn};

use crate::cache::{Entry, SessionCache};
use crate::throttle::Throttle;
use crate::{AuthError, Principal, Secret, password, token};

/// The built-in administrator.
pub const ADMIN_USER: &str = "administrator@vsphere.local";

/// Tunables of the authentication service.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// A vSphere session or access token ends after this long unused.
    pub session_idle: Duration,
    /// A refresh token ends after this long unused.
    pub refresh_idle: Duration,
    /// How long a validated session is trusted before the store is asked again.
    pub cache_ttl: Duration,
    /// Where the service reads the time: session times, idle expiry, the cache TTL and
    /// the login throttle's window.
    pub clock: Arc<dyn Clock>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_mins(30),
            refresh_idle: Duration::from_hours(24),
            cache_ttl: Duration::from_secs(5),
            clock: SystemClock::shared(),
        }
    }
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
    throttle: Throttle,
}

impl AuthService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn MetadataStore>, settings: AuthSettings) -> Self {
        Self {
            store,
            settings,
            cache: SessionCache::default(),
            throttle: Throttle::default(),
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

    /// Checks a user name and password, slowing down repeated failures.
    /// `client` identifies the caller's address for throttling.
    pub async fn check_password(
        &self,
        user: &str,
        password: &Secret,
        client: &str,
    ) -> Result<Principal, AuthError> {
        let keys = [
            format!("user:{}", user.to_ascii_lowercase()),
            format!("client:{client}"),
        ];
        let delay = self.throttle.begin(&keys, self.now());
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let checked = self.verify(user, password).await;
        match checked {
            Ok(Some(principal)) => {
                self.throttle.succeeded(&keys);
                Ok(principal)
            }
            Ok(None) => {
                warn!(user, client, "failed login");
                Err(AuthError::BadCredentials)
            }
            Err(e) => {
                self.throttle.abandoned(&keys);
                Err(e)
            }
        }
    }

    /// The user, if `password` is theirs (a decoy hash is checked for unknown users so
    /// both take as long).
    async fn verify(&self, user: &str, password: &Secret) -> Result<Option<Principal>, AuthError> {
        let stored = match UserName::parse(user) {
            Ok(name) => self.store.get_user(&name).await?,
            Err(_) => None,
        };
        let hash = stored.as_ref().map_or_else(
            || password::DECOY_HASH.to_owned(),
            |u| u.password_hash.clone(),
        );
        let matches = password::verify(password.clone(), hash).await?;
        Ok(stored.filter(|_| matches).map(|u| Principal {
            user: u.name,
            role: u.role,
        }))
    }

    /// Checks HTTP Basic credentials of a single call; a success is remembered for the
    /// cache TTL so a client sending Basic on every call is not hashed every time.
    pub async fn basic(
        &self,
        user: &str,
        password: &Secret,
        client: &str,
    ) -> Result<Principal, AuthError> {
        let key = token::hash(&format!("basic\0{user}\0{}", password.expose()));
        if let Some(e) = self.cache.fresh(&key, self.settings.cache_ttl, self.now()) {
            return Ok(e.principal);
        }
        let principal = self.check_password(user, password, client).await?;
        let now = self.now();
        self.cache.put(
            key,
            Entry {
                principal: principal.clone(),
                kind: SessionKind::Access,
                created: now,
                last_accessed: now,
                persisted_access: now,
                validated_at: now,
            },
        );
        Ok(principal)
    }

    /// Opens a vSphere session; returns its id.
    pub async fn open_session(
        &self,
        user: &str,
        password: &Secret,
        client: &str,
    ) -> Result<(Secret, Principal), AuthError> {
        let principal = self.check_password(user, password, client).await?;
        let secret = self.mint_session(&principal, SessionKind::Vsphere).await?;
        Ok((secret, principal))
    }

    /// Issues an access and a refresh token (SDDC Manager `POST /v1/tokens`).
    pub async fn issue_tokens(
        &self,
        user: &str,
        password: &Secret,
        client: &str,
    ) -> Result<NewTokens, AuthError> {
        let principal = self.check_password(user, password, client).await?;
        Ok(NewTokens {
            access: self.mint_session(&principal, SessionKind::Access).await?,
            refresh: self.mint_session(&principal, SessionKind::Refresh).await?,
        })
    }

    /// Mints a new access token from a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Secret, AuthError> {
        let principal = self
            .authenticate(refresh_token, &[SessionKind::Refresh])
            .await?;
        self.mint_session(&principal, SessionKind::Access).await
    }

    /// The caller behind a session secret, if it is one of `kinds` and still valid.
    pub async fn authenticate(
        &self,
        secret: &str,
        kinds: &[SessionKind],
    ) -> Result<Principal, AuthError> {
        let hash = token::hash(secret);
        let now = self.now();
        let entry = match self.cache.fresh(&hash, self.settings.cache_ttl, now) {
            Some(e) => e,
            None => self.load(&hash).await?,
        };
        if !kinds.contains(&entry.kind) {
            return Err(AuthError::InvalidSession);
        }
        if self.expired(&entry, now) {
            self.cache.evict(&hash);
            self.store.delete_session(&hash).await?;
            return Err(AuthError::InvalidSession);
        }
        let stale = now - entry.persisted_access;
        let persist = stale.to_std().unwrap_or_default() >= self.touch_interval();
        if persist {
            self.store.touch_session(&hash, now).await?;
        }
        self.cache.touch(&hash, now, persist);
        Ok(entry.principal)
    }

    /// The session behind `secret`.
    pub async fn session_info(&self, secret: &str) -> Result<SessionInfo, AuthError> {
        let principal = self.authenticate(secret, &[SessionKind::Vsphere]).await?;
        let hash = token::hash(secret);
        let entry = match self.cache.fresh(&hash, self.settings.cache_ttl, self.now()) {
            Some(e) => e,
            None => self.load(&hash).await?,
        };
        Ok(SessionInfo {
            user: principal.user,
            created: entry.created,
            last_accessed: entry.last_accessed,
        })
    }

    /// Ends the session behind `secret`.
    pub async fn close_session(&self, secret: &str) -> Result<(), AuthError> {
        let hash = token::hash(secret);
        self.cache.evict(&hash);
        if self.store.delete_session(&hash).await? {
            Ok(())
        } else {
            Err(AuthError::InvalidSession)
        }
    }

    /// Deletes sessions and tokens past their idle time; returns how many.
    pub async fn purge_idle(&self) -> Result<u64, AuthError> {
        let now = self.now();
        let mut removed = 0;
        for kind in [
            SessionKind::Vsphere,
            SessionKind::Access,
            SessionKind::Refresh,
        ] {
            // An idle time reaching before the calendar's start never expires.
            let Some(cut) = now.checked_sub_signed(chrono_duration(self.idle_for(kind))) else {
                continue;
            };
            removed += self.store.delete_idle_sessions(kind, cut).await?;
        }
        Ok(removed)
    }

    /// Creates a user.
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        password: Secret,
    ) -> Result<User, AuthError> {
        let name = UserName::parse(name)?;
        password::check_strength(&password)?;
        let user = User {
            password_hash: password::hash(password).await?,
            name,
            role,
            created: self.now(),
        };
        self.store.insert_user(&user).await.map_err(|e| match e {
            depot_metadata::MetadataError::AlreadyExists { .. } => {
                AuthError::UserExists(user.name.to_string())
            }
            e => AuthError::Store(e),
        })?;
        Ok(user)
    }

    /// Sets a user's password and ends all their sessions and tokens: whoever logged in
    /// with the old password must log in again. What this process cached for the user
    /// is dropped at once; other processes drop it within the session cache TTL.
    pub async fn set_password(&self, name: &str, password: Secret) -> Result<(), AuthError> {
        password::check_strength(&password)?;
        let mut user = self.user(name).await?;
        user.password_hash = password::hash(password).await?;
        if !self.store.update_user(&user).await? {
            return Err(AuthError::NoSuchUser(name.to_owned()));
        }
        self.store.delete_user_sessions(&user.name).await?;
        self.cache.evict_user(&user.name);
        Ok(())
    }

    /// Changes a user's role.
    pub async fn set_role(&self, name: &str, role: Role) -> Result<(), AuthError> {
        let mut user = self.user(name).await?;
        user.role = role;
        if !self.store.update_user(&user).await? {
            return Err(AuthError::NoSuchUser(name.to_owned()));
        }
        self.cache.evict_user(&user.name);
        Ok(())
    }

    /// All users.
    pub async fn list_users(&self) -> Result<Vec<User>, AuthError> {
        Ok(self.store.list_users().await?)
    }

    /// Removes a user and all their sessions.
    pub async fn remove_user(&self, name: &str) -> Result<(), AuthError> {
        let name = UserName::parse(name)?;
        if name.as_str() == ADMIN_USER {
            return Err(AuthError::BuiltInAdmin);
        }
        if !self.store.delete_user(&name).await? {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        self.cache.evict_user(&name);
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<User, AuthError> {
        let parsed = UserName::parse(name)?;
        self.store
            .get_user(&parsed)
            .await?
            .ok_or_else(|| AuthError::NoSuchUser(name.to_owned()))
    }

    async fn mint_session(
        &self,
        principal: &Principal,
        kind: SessionKind,
    ) -> Result<Secret, AuthError> {
        let secret = token::mint()?;
        let now = self.now();
        let session = Session {
            token_hash: token::hash(secret.expose()),
            kind,
            user: principal.user.clone(),
            created: now,
            last_accessed: now,
        };
        self.store.insert_session(&session).await?;
        Ok(secret)
    }

    /// Reads a session and its user from the store and caches the result.
    async fn load(&self, hash: &TokenHash) -> Result<Entry, AuthError> {
        let session = self
            .store
            .get_session(hash)
            .await?
            .ok_or(AuthError::InvalidSession)?;
        let Some(user) = self.store.get_user(&session.user).await? else {
            self.store.delete_session(hash).await?;
            return Err(AuthError::InvalidSession);
        };
        let entry = Entry {
            principal: Principal {
                user: user.name,
                role: user.role,
            },
            kind: session.kind,
            created: session.created,
            last_accessed: session.last_accessed,
            persisted_access: session.last_accessed,
            validated_at: self.now(),
        };
        self.cache.put(hash.clone(), entry.clone());
        Ok(entry)
    }

    /// The current time, from the service's clock.
    fn now(&self) -> Timestamp {
        self.settings.clock.now()
    }

    fn expired(&self, entry: &Entry, now: Timestamp) -> bool {
        let idle = (now - entry.last_accessed).to_std().unwrap_or_default();
        idle >= self.idle_for(entry.kind)
    }

    fn idle_for(&self, kind: SessionKind) -> Duration {
        match kind {
            SessionKind::Refresh => self.settings.refresh_idle,
            SessionKind::Vsphere | SessionKind::Access => self.settings.session_idle,
        }
    }

    /// Uses are written to the store at most this often per session.
    fn touch_interval(&self) -> Duration {
        (self.settings.session_idle / 4).min(Duration::from_mins(1))
    }
}

fn chrono_duration(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}
