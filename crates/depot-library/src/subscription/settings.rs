//! Subscription settings: what a client sends, checked and sealed; creating, changing
//! and probing a subscription.

use depot_metadata::CreateOutcome;
use depot_model::{Library, LibraryAuth, LibraryId, LibraryKind, Secret, SubscriptionSettings};

use super::href::split_subscription_url;
use super::publisher::Publisher;
use crate::library::{BackingSpec, check_name, token};
use crate::{ContentLibrary, LibraryError};

/// The settings field the subscription password is sealed for.
pub const SUBSCRIPTION_PASSWORD_FIELD: &str = "library.subscription.password";

/// Subscription settings as a client sends them; unset fields keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionSpec {
    /// The publisher's `lib.json` URL.
    pub url: Option<String>,
    /// `NONE` or `BASIC`.
    pub authentication: Option<LibraryAuth>,
    /// The Basic user name (`vcsp` when unset).
    pub user_name: Option<String>,
    /// The Basic password.
    pub password: Option<Secret>,
    /// Whether depotd syncs on a schedule.
    pub automatic_sync_enabled: Option<bool>,
    /// Whether only metadata is synced, content on demand.
    pub on_demand: Option<bool>,
    /// The pinned thumbprint of the publisher's certificate.
    pub ssl_thumbprint: Option<String>,
    /// The publisher's certificate, PEM, as the only trust anchor.
    pub ssl_certificate: Option<String>,
}

/// A new subscribed library.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewSubscribedLibrary {
    /// Unique among libraries; 1 to 255 characters.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// The storage backings the client sent.
    pub storage: Vec<BackingSpec>,
    /// The subscription (required, with its URL).
    pub subscription: Option<SubscriptionSpec>,
    /// How it is published to depotd's own subscribers, if at all (depotd's extension:
    /// vCenter publishes local libraries only), so that subscribers can chain.
    pub publish: Option<crate::PublishSpec>,
}

impl ContentLibrary {
    /// The settings after applying `spec` to `current` (`None` for a new library):
    /// the URL checked, the password sealed, Basic only with a password.
    pub(super) fn subscription_settings(
        &self,
        current: Option<&SubscriptionSettings>,
        spec: SubscriptionSpec,
    ) -> Result<SubscriptionSettings, LibraryError> {
        let url = spec.url.or(current.map(|c| c.url.clone())).ok_or_else(|| {
            LibraryError::Invalid("subscription_info.subscription_url is needed".to_owned())
        })?;
        split_subscription_url(&url)?;
        let authentication = spec
            .authentication
            .or(current.map(|c| c.authentication))
            .unwrap_or(LibraryAuth::None);
        let mut password = current.and_then(|c| c.password.clone());
        if let Some(new) = &spec.password {
            if new.expose().is_empty() {
                return Err(LibraryError::Invalid(
                    "subscription_info.password must not be empty".to_owned(),
                ));
            }
            password = Some(self.seal(SUBSCRIPTION_PASSWORD_FIELD, new)?);
        }
        if authentication == LibraryAuth::Basic && password.is_none() {
            return Err(LibraryError::Invalid(
                "subscription_info.password is needed for BASIC authentication".to_owned(),
            ));
        }
        let keep = |new: Option<String>, old: Option<&Option<String>>| {
            new.filter(|s| !s.is_empty()).or(old.cloned().flatten())
        };
        Ok(SubscriptionSettings {
            url,
            authentication,
            user_name: keep(spec.user_name, current.map(|c| &c.user_name)),
            password: (authentication == LibraryAuth::Basic)
                .then_some(password)
                .flatten(),
            automatic_sync_enabled: spec
                .automatic_sync_enabled
                .or(current.map(|c| c.automatic_sync_enabled))
                .unwrap_or(false),
            on_demand: spec
                .on_demand
                .or(current.map(|c| c.on_demand))
                .unwrap_or(false),
            ssl_thumbprint: keep(spec.ssl_thumbprint, current.map(|c| &c.ssl_thumbprint)),
            ssl_certificate: keep(spec.ssl_certificate, current.map(|c| &c.ssl_certificate)),
        })
    }

    /// The publisher of a subscription, its password opened.
    pub fn publisher(&self, settings: &SubscriptionSettings) -> Result<Publisher, LibraryError> {
        let password = settings
            .password
            .as_ref()
            .map(|sealed| self.open(SUBSCRIPTION_PASSWORD_FIELD, sealed))
            .transpose()?;
        let downloads = depot_upstream::DownloadSettings {
            parallel: self.config().parallel_downloads.max(1),
            batch_bytes_per_second: self.config().sync_download_bytes_per_second,
        };
        Ok(Publisher::new(settings, password, self.blobs().clone())?
            .with_downloads(downloads, self.bandwidth().cloned()))
    }

    /// Creates a subscribed library for `user` once its publisher answered with a VCSP
    /// `lib.json` (`ResourceInaccessible` otherwise); with a client token used before by
    /// that user, returns the library created then. Nothing is synced yet.
    pub async fn create_subscribed_library(
        &self,
        user: &str,
        spec: NewSubscribedLibrary,
        client_token: Option<&str>,
    ) -> Result<LibraryId, LibraryError> {
        let name = spec.name.unwrap_or_default();
        check_name("library", &name)?;
        let token = token(user, client_token)?;
        let subscription = spec.subscription.ok_or_else(|| {
            LibraryError::Invalid("subscription_info is needed for a subscribed library".to_owned())
        })?;
        let mut library = Library::new(name, LibraryKind::Subscribed, self.now());
        library.description = spec.description;
        library.storage = crate::library::storage_from(&spec.storage)?;
        library.publish = spec
            .publish
            .map(|p| self.publish_settings(None, &p))
            .transpose()?;
        let settings = self.subscription_settings(None, subscription)?;
        self.publisher(&settings)?.check().await?;
        library.subscription = Some(settings);
        match self
            .store()
            .insert_library(&library, token.as_ref())
            .await?
        {
            CreateOutcome::Created => Ok(library.id),
            CreateOutcome::Existing(id) => Ok(id),
        }
    }

    /// The subscription settings of library `id` after `spec`, checked against the
    /// publisher when the URL, credentials or certificate changed.
    pub async fn changed_subscription(
        &self,
        library: &Library,
        spec: SubscriptionSpec,
    ) -> Result<SubscriptionSettings, LibraryError> {
        if library.kind != LibraryKind::Subscribed {
            return Err(LibraryError::InvalidElementType(format!(
                "library {} is not a subscribed library: it has no subscription_info",
                library.id
            )));
        }
        let reach_changed = spec.url.is_some()
            || spec.password.is_some()
            || spec.authentication.is_some()
            || spec.ssl_thumbprint.is_some()
            || spec.ssl_certificate.is_some();
        let settings = self.subscription_settings(library.subscription.as_ref(), spec)?;
        if reach_changed {
            self.publisher(&settings)?.check().await?;
        }
        Ok(settings)
    }
}
