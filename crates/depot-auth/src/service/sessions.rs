//! Sessions and tokens: minting, validating, idle and lifetime expiry.

use std::time::Duration;

use depot_model::{Session, SessionKind, Timestamp, TokenHash};

use super::{AuthService, SessionInfo};
use crate::cache::Entry;
use crate::{AuthError, Principal, Secret, token};

impl AuthService {
    /// The caller behind a session secret, if it is one of `kinds` and still valid:
    /// neither idle past its idle time nor older than its maximum lifetime.
    pub async fn authenticate(
        &self,
        secret: &str,
        kinds: &[SessionKind],
    ) -> Result<Principal, AuthError> {
        let hash = token::hash(secret);
        let now = self.now();
        let entry = match self.cached(&hash, now) {
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
        let entry = match self.cached(&hash, self.now()) {
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

    /// Deletes sessions and tokens past their idle time or their maximum lifetime;
    /// returns how many.
    pub async fn purge_expired(&self) -> Result<u64, AuthError> {
        let now = self.now();
        let mut removed = 0;
        for kind in [
            SessionKind::Vsphere,
            SessionKind::Access,
            SessionKind::Refresh,
        ] {
            // A time reaching before the calendar's start never expires anything.
            let idle_cut = cut(now, self.idle_for(kind));
            let age_cut = cut(now, self.lifetime_of(kind));
            if idle_cut.is_none() && age_cut.is_none() {
                continue;
            }
            removed += self
                .store
                .delete_expired_sessions(
                    kind,
                    idle_cut.unwrap_or(Timestamp::MIN_UTC),
                    age_cut.unwrap_or(Timestamp::MIN_UTC),
                )
                .await?;
        }
        Ok(removed)
    }

    /// Stores a new session of `kind` (in the family of `refresh`, for an access
    /// token); returns its secret and the stored hash.
    pub(super) async fn mint_session(
        &self,
        principal: &Principal,
        kind: SessionKind,
        refresh: Option<TokenHash>,
    ) -> Result<(Secret, TokenHash), AuthError> {
        let secret = token::mint()?;
        let now = self.now();
        let session = Session {
            token_hash: token::hash(secret.expose()),
            kind,
            user: principal.user.clone(),
            created: now,
            last_accessed: now,
            refresh,
        };
        self.store.insert_session(&session).await?;
        Ok((secret, session.token_hash))
    }

    /// The cached entry for `hash`, if it may still be trusted at `now`.
    pub(super) fn cached(&self, hash: &TokenHash, now: Timestamp) -> Option<Entry> {
        let mark = self.remote_writes.mark();
        self.cache.fresh(hash, self.settings.cache_ttl, now, mark)
    }

    /// Reads a session and its user from the store and caches the result.
    async fn load(&self, hash: &TokenHash) -> Result<Entry, AuthError> {
        let read_mark = self.remote_writes.mark();
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
            refresh: session.refresh,
            created: session.created,
            last_accessed: session.last_accessed,
            persisted_access: session.last_accessed,
            validated_at: self.now(),
            read_mark,
        };
        self.cache.put(hash.clone(), entry.clone());
        Ok(entry)
    }

    fn expired(&self, entry: &Entry, now: Timestamp) -> bool {
        let idle = (now - entry.last_accessed).to_std().unwrap_or_default();
        let age = (now - entry.created).to_std().unwrap_or_default();
        idle >= self.idle_for(entry.kind) || age >= self.lifetime_of(entry.kind)
    }

    fn idle_for(&self, kind: SessionKind) -> Duration {
        match kind {
            SessionKind::Refresh => self.settings.refresh_idle,
            SessionKind::Vsphere | SessionKind::Access => self.settings.session_idle,
        }
    }

    fn lifetime_of(&self, kind: SessionKind) -> Duration {
        match kind {
            SessionKind::Refresh => self.settings.refresh_max_lifetime,
            SessionKind::Vsphere | SessionKind::Access => self.settings.session_max_lifetime,
        }
    }

    /// Uses are written to the store at most this often per session.
    fn touch_interval(&self) -> Duration {
        (self.settings.session_idle / 4).min(Duration::from_mins(1))
    }
}

/// `span` before `now`, if the calendar reaches that far back.
fn cut(now: Timestamp, span: Duration) -> Option<Timestamp> {
    now.checked_sub_signed(chrono::TimeDelta::from_std(span).ok()?)
}
