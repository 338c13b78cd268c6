//! Libraries: local ones created here (and published over VCSP), and the generic
//! operations on any library.

mod backing;
mod publish;

use depot_metadata::{CreateOutcome, LibraryFilter};
use depot_model::{ClientToken, Library, LibraryId, LibraryKind};

pub(crate) use backing::storage_from;
pub use backing::{BackingSpec, DEPOT_DATASTORE_ID, DEPOT_STORAGE_SCHEME};
pub use publish::{PUBLISH_PASSWORD_FIELD, PublishSpec, VCSP_USER};

use crate::{ContentLibrary, LibraryError};

/// The longest library or item name, in characters.
pub const MAX_NAME_LEN: usize = 255;

/// A new local library.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewLibrary {
    /// Unique among libraries; 1 to 255 characters.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// The storage backings the client sent.
    pub storage: Vec<BackingSpec>,
    /// How it is published, if at all.
    pub publish: Option<PublishSpec>,
}

/// A change of a library: unset fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibraryChange {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// The storage backings; they cannot change, so only the current ones are
    /// accepted.
    pub storage: Option<Vec<BackingSpec>>,
    /// New publish settings (local libraries).
    pub publish: Option<PublishSpec>,
    /// New subscription settings (subscribed libraries; checked against the publisher
    /// when its URL, credentials or certificate change).
    pub subscription: Option<crate::SubscriptionSpec>,
    /// The version the client read: a stale one is `ConcurrentChange`.
    pub version: Option<String>,
}

/// Which libraries a find returns; unset fields match all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibraryQuery {
    /// Exactly this name.
    pub name: Option<String>,
    /// Only this kind.
    pub kind: Option<LibraryKind>,
    /// Only with this backing.
    pub storage: Option<BackingSpec>,
}

/// Checks a library or item name: not empty (or blank), at most 255 characters.
pub fn check_name(what: &str, name: &str) -> Result<(), LibraryError> {
    if name.trim().is_empty() {
        return Err(LibraryError::Invalid(format!(
            "a {what} name must not be empty"
        )));
    }
    let len = name.chars().count();
    if len > MAX_NAME_LEN {
        return Err(LibraryError::Invalid(format!(
            "a {what} name is at most {MAX_NAME_LEN} characters, not {len}"
        )));
    }
    Ok(())
}

/// The token a client sent, scoped to its user.
pub(crate) fn token(user: &str, token: Option<&str>) -> Result<Option<ClientToken>, LibraryError> {
    token
        .map(|t| ClientToken::new(user, t).map_err(|e| LibraryError::Invalid(e.to_string())))
        .transpose()
}

/// Parses a version the client sent back.
fn parse_version(raw: &str) -> Result<i64, LibraryError> {
    raw.parse()
        .map_err(|_| LibraryError::Invalid(format!("version {raw:?} is not a library version")))
}

impl ContentLibrary {
    /// Creates a local library for `user`; with a client token used before by that
    /// user, returns the library created then.
    pub async fn create_local_library(
        &self,
        user: &str,
        spec: NewLibrary,
        client_token: Option<&str>,
    ) -> Result<LibraryId, LibraryError> {
        let name = spec.name.unwrap_or_default();
        check_name("library", &name)?;
        let token = token(user, client_token)?;
        let mut library = Library::new(name, LibraryKind::Local, self.now());
        library.description = spec.description;
        library.storage = backing::storage_from(&spec.storage)?;
        library.publish = spec
            .publish
            .map(|p| self.publish_settings(None, &p))
            .transpose()?;
        match self
            .store()
            .insert_library(&library, token.as_ref())
            .await?
        {
            CreateOutcome::Created => Ok(library.id),
            CreateOutcome::Existing(id) => Ok(id),
        }
    }

    /// The library with `id`.
    pub async fn library(&self, id: LibraryId) -> Result<Library, LibraryError> {
        self.store()
            .get_library(id)
            .await?
            .ok_or_else(|| LibraryError::NotFound {
                what: "library",
                id: id.to_string(),
            })
    }

    /// The library with `id`, which must be of `kind` (`InvalidElementType` if not).
    pub async fn library_of(
        &self,
        id: LibraryId,
        kind: Option<LibraryKind>,
    ) -> Result<Library, LibraryError> {
        let library = self.library(id).await?;
        match kind {
            Some(kind) if library.kind != kind => Err(LibraryError::InvalidElementType(format!(
                "library {id} is a {} library, not a {} one",
                library.kind.as_str().to_ascii_lowercase(),
                kind.as_str().to_ascii_lowercase()
            ))),
            _ => Ok(library),
        }
    }

    /// The ids of every library (of `kind`), by name.
    pub async fn library_ids(
        &self,
        kind: Option<LibraryKind>,
    ) -> Result<Vec<LibraryId>, LibraryError> {
        Ok(self
            .store()
            .list_libraries(kind)
            .await?
            .into_iter()
            .map(|l| l.id)
            .collect())
    }

    /// The ids of the libraries matching `query`, by name.
    pub async fn find_libraries(
        &self,
        query: &LibraryQuery,
    ) -> Result<Vec<LibraryId>, LibraryError> {
        let Some(storage) = &query.storage else {
            let filter = LibraryFilter {
                name: query.name.clone(),
                kind: query.kind,
            };
            return Ok(self.store().find_libraries(&filter).await?);
        };
        Ok(self
            .store()
            .list_libraries(query.kind)
            .await?
            .into_iter()
            .filter(|l| query.name.as_ref().is_none_or(|n| *n == l.name))
            .filter(|l| backing::matches(&l.storage, storage))
            .map(|l| l.id)
            .collect())
    }

    /// Applies `change` to library `id` (of `kind`, if given); bumps its version.
    pub async fn update_library(
        &self,
        id: LibraryId,
        kind: Option<LibraryKind>,
        change: LibraryChange,
    ) -> Result<(), LibraryError> {
        let mut library = self.library_of(id, kind).await?;
        if let Some(version) = &change.version
            && parse_version(version)? != library.version
        {
            return Err(stale(id));
        }
        if let Some(name) = change.name {
            check_name("library", &name)?;
            library.name = name;
        }
        if let Some(description) = change.description {
            library.description = Some(description);
        }
        if let Some(storage) = &change.storage
            && backing::storage_from(storage)? != library.storage
        {
            return Err(LibraryError::Invalid(
                "the storage backings of a library cannot change".to_owned(),
            ));
        }
        if let Some(publish) = change.publish {
            // Subscribed libraries may be published too: depotd's extension for chains.
            library.publish = Some(self.publish_settings(library.publish.as_ref(), &publish)?);
        }
        if let Some(spec) = change.subscription {
            library.subscription = Some(self.changed_subscription(&library, spec).await?);
        }
        library.last_modified_time = self.now();
        match self.store().update_library(&library).await? {
            Some(_) => Ok(()),
            None => Err(stale(id)),
        }
    }

    /// Deletes library `id` (of `kind`, if given). Refused while an update session of
    /// one of its items is open, unless `force`.
    pub async fn delete_library(
        &self,
        id: LibraryId,
        kind: Option<LibraryKind>,
        force: bool,
    ) -> Result<(), LibraryError> {
        self.library_of(id, kind).await?;
        if self.store().delete_library(id, force).await? {
            Ok(())
        } else {
            Err(LibraryError::NotFound {
                what: "library",
                id: id.to_string(),
            })
        }
    }

    /// Publishes local library `id` to `subscriptions`. depotd has no subscriptions of
    /// its libraries yet, so any subscription named is `NotFound`; with none, this
    /// only checks that the library is local and published.
    pub async fn publish_library(
        &self,
        id: LibraryId,
        subscriptions: &[String],
    ) -> Result<(), LibraryError> {
        let library = self.library_of(id, Some(LibraryKind::Local)).await?;
        if !library.publish.as_ref().is_some_and(|p| p.published) {
            return Err(LibraryError::NotAllowed(format!(
                "library {id} is not published"
            )));
        }
        match subscriptions.first() {
            Some(s) => Err(LibraryError::NotFound {
                what: "subscription",
                id: s.clone(),
            }),
            None => Ok(()),
        }
    }

    /// The URL subscribers use for a published library: `lib.json` under
    /// `/cls/vcsp/lib/<id>/` of `base_url`.
    pub fn publish_url(base_url: &str, id: LibraryId) -> String {
        format!(
            "{}/cls/vcsp/lib/{id}/lib.json",
            base_url.trim_end_matches('/')
        )
    }
}

fn stale(id: LibraryId) -> LibraryError {
    LibraryError::ConcurrentChange(format!(
        "library {id} changed meanwhile: read it again and retry"
    ))
}
