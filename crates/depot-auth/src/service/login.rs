//! Checking passwords: vSphere logins, token pairs and HTTP Basic.
//!
//! Work is done in order of cost, and only as far as the attempt earns it: the user
//! name is parsed (an invalid one is refused as wrong credentials before it reaches
//! the throttle, the store or the log, which sees its length only), an over-long
//! password is refused without hashing, the throttle decides whether and how long the
//! attempt waits (waiting holds a timer only), then the hash gate bounds how many
//! hashes run at once. Refusals that cost nothing are logged at debug level only, so
//! a flood of them does not fill the log; checked failures are warnings.

use depot_model::{SessionKind, UserName};
use tracing::{debug, warn};

use super::{AuthService, NewTokens};
use crate::cache::Entry;
use crate::password::{self, DECOY_HASH};
use crate::throttle::Refused;
use crate::{AuthError, Principal, Secret, token};

impl AuthService {
    /// Checks a user name and password, slowing down repeated failures.
    /// `client` identifies the caller's address for throttling.
    pub async fn check_password(
        &self,
        user: &str,
        password: &Secret,
        client: &str,
    ) -> Result<Principal, AuthError> {
        let name = login_name(user, client)?;
        if password::too_long(password) {
            debug!(user = %name, client, "failed login (password too long)");
            return Err(AuthError::BadCredentials);
        }
        let attempt = self.throttle.attempt(name.as_str(), client);
        let wait = self
            .throttle
            .begin(&attempt, self.now())
            .map_err(|Refused(retry_after)| {
                debug!(user = %name, client, "login refused: too many failures");
                AuthError::Throttled { retry_after }
            })?;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        match self.verify(&name, password).await {
            Ok(Some(principal)) => {
                self.throttle.succeeded(&attempt, self.now());
                Ok(principal)
            }
            Ok(None) => {
                warn!(user = %name, client, "failed login");
                Err(AuthError::BadCredentials)
            }
            Err(e) => {
                self.throttle.abandoned(&attempt);
                if matches!(e, AuthError::Busy) {
                    debug!(user = %name, client, "login refused: too many hashes waiting");
                }
                Err(e)
            }
        }
    }

    /// Checks a secret that belongs to no user — a published library's VCSP password —
    /// slowed down like a login: the throttle first decides whether and how long the
    /// attempt waits (or refuses it, [`AuthError::Throttled`]); then `check` runs, and an
    /// outcome `is_wrong` calls a failure of `realm` at `client`. Any other outcome
    /// (a match, or a check that could not be made) is no failure. `realm` names what is
    /// guessed (e.g. one library's publish password); it is counted apart from every
    /// user name. Returns `check`'s outcome.
    pub async fn check_secret<T, E>(
        &self,
        realm: &str,
        client: &str,
        check: impl FnOnce() -> Result<T, E>,
        is_wrong: impl FnOnce(&E) -> bool,
    ) -> Result<Result<T, E>, AuthError> {
        let realm = format!("\0{realm}");
        let attempt = self.throttle.attempt(&realm, client);
        let wait = self
            .throttle
            .begin(&attempt, self.now())
            .map_err(|Refused(retry_after)| {
                debug!(
                    realm = &realm[1..],
                    client, "secret check refused: too many failures"
                );
                AuthError::Throttled { retry_after }
            })?;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let outcome = check();
        match &outcome {
            Ok(_) => self.throttle.succeeded(&attempt, self.now()),
            Err(e) if is_wrong(e) => warn!(realm = &realm[1..], client, "wrong secret"),
            Err(_) => self.throttle.abandoned(&attempt),
        }
        Ok(outcome)
    }

    /// The user, if `password` is theirs (a decoy hash is checked for unknown users so
    /// both take as long).
    async fn verify(
        &self,
        name: &UserName,
        password: &Secret,
    ) -> Result<Option<Principal>, AuthError> {
        let stored = self.store.get_user(name).await?;
        let hash = stored
            .as_ref()
            .map_or_else(|| DECOY_HASH.to_owned(), |u| u.password_hash.clone());
        let password = password.clone();
        let matches = self
            .hashes
            .run(move || password::verify(&password, &hash))
            .await?;
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
        let name = login_name(user, client)?;
        if password::too_long(password) {
            return self.check_password(user, password, client).await;
        }
        let key = token::hash(&format!("basic\0{name}\0{}", password.expose()));
        if let Some(e) = self.cached(&key, self.now()) {
            return Ok(e.principal);
        }
        let read_mark = self.remote_writes.mark();
        let principal = self.check_password(user, password, client).await?;
        let now = self.now();
        self.cache.put(
            key,
            Entry {
                principal: principal.clone(),
                kind: SessionKind::Access,
                refresh: None,
                created: now,
                last_accessed: now,
                persisted_access: now,
                validated_at: now,
                read_mark,
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
        let (secret, _) = self
            .mint_session(&principal, SessionKind::Vsphere, None)
            .await?;
        Ok((secret, principal))
    }

    /// Issues an access and a refresh token (SDDC Manager `POST /v1/tokens`). The
    /// access token belongs to the refresh token's family: it ends when that is revoked.
    pub async fn issue_tokens(
        &self,
        user: &str,
        password: &Secret,
        client: &str,
    ) -> Result<NewTokens, AuthError> {
        let principal = self.check_password(user, password, client).await?;
        let (refresh, family) = self
            .mint_session(&principal, SessionKind::Refresh, None)
            .await?;
        let (access, _) = self
            .mint_session(&principal, SessionKind::Access, Some(family))
            .await?;
        Ok(NewTokens { access, refresh })
    }

    /// Mints a new access token from a refresh token, in that token's family.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Secret, AuthError> {
        let principal = self
            .authenticate(refresh_token, &[SessionKind::Refresh])
            .await?;
        let family = token::hash(refresh_token);
        let (access, _) = self
            .mint_session(&principal, SessionKind::Access, Some(family))
            .await?;
        Ok(access)
    }

    /// Revokes a refresh token and ends every access token of its family (SDDC
    /// Manager `DELETE /v1/tokens/refresh-token`). Only a refresh token can be revoked
    /// here: any other secret (a vSphere session id, an access token) is refused as
    /// unknown and stays valid.
    pub async fn revoke_refresh(&self, refresh_token: &str) -> Result<(), AuthError> {
        let family = token::hash(refresh_token);
        let ended = self.store.delete_refresh_family(&family).await?;
        self.cache.evict_family(&family);
        if ended == 0 {
            return Err(AuthError::InvalidSession);
        }
        Ok(())
    }
}

/// The user name of a login; an invalid one is refused as wrong credentials (a login
/// reveals nothing more), logged by its length only.
fn login_name(user: &str, client: &str) -> Result<UserName, AuthError> {
    UserName::parse(user).map_err(|_| {
        debug!(
            name_bytes = user.len(),
            client, "failed login (invalid user name)"
        );
        AuthError::BadCredentials
    })
}
