//! `create$task`: the checks made before any task exists, and the task they give.

use depot_model::{FileId, Message, Secret, UserName};
use depot_tasks::NewTask;
use serde::{Deserialize, Serialize};

use crate::import_job::IMPORT_JOB;
use crate::location::PullLocation;
use crate::{EsxDepotError, EsxDepots, SERVICE};

/// `source_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// The server downloads `location`.
    Pull,
    /// An uploaded file, by `file_id`.
    Push,
}

/// `authentication_spec` `HEADER_AUTH`: a header added to the download.
#[derive(Debug, Clone)]
pub struct AuthHeader {
    /// Header name.
    pub name: String,
    /// Header value.
    pub value: Secret,
}

/// What a create asks for (the `CreateSpec`).
#[derive(Debug, Clone)]
pub struct CreateRequest {
    /// `PULL` or `PUSH`.
    pub source: SourceKind,
    /// Description (empty when not given).
    pub description: Option<String>,
    /// The URL (`PULL`).
    pub location: Option<String>,
    /// The uploaded file (`PUSH`).
    pub file_id: Option<String>,
    /// Opaque data of the owning solution.
    pub ownerdata: Option<String>,
    /// A header for the download (`PULL` only).
    pub auth_header: Option<AuthHeader>,
}

/// The import task's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ImportRequest {
    pub(crate) source: ImportSource,
    pub(crate) description: String,
    pub(crate) ownerdata: Option<String>,
    pub(crate) owner: String,
}

/// Where the import task reads the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ImportSource {
    /// An uploaded file.
    Push { file_id: FileId },
    /// A URL; the header's value sealed (field `offline-depot-header`).
    Pull {
        location: String,
        header: Option<(String, String)>,
    },
}

/// The sealing field of a `HEADER_AUTH` value in a task payload.
pub(crate) const HEADER_FIELD: &str = "offline-depot-header";

impl EsxDepots {
    /// Checks a create by `user` and answers the import task to submit: `InvalidArgument`
    /// for a missing or unusable `file_id` or `location`, `AlreadyExists` (with the
    /// depot) for an uploaded file a depot was imported from already.
    #[tracing::instrument(skip_all, fields(user = %user))]
    pub async fn prepare_create(
        &self,
        user: &UserName,
        request: CreateRequest,
    ) -> Result<NewTask, EsxDepotError> {
        let source = match request.source {
            SourceKind::Push => self.push_source(user, &request).await?,
            SourceKind::Pull => self.pull_source(&request)?,
        };
        let payload = ImportRequest {
            source,
            description: request.description.unwrap_or_default(),
            ownerdata: request.ownerdata,
            owner: user.to_string(),
        };
        let mut task = NewTask::new(
            IMPORT_JOB,
            Message::new(format!("{SERVICE}.create"), "Import offline depot"),
            user.as_str(),
        );
        "esx-depot".clone_into(&mut task.task_type);
        task.service_operation = Some((SERVICE.to_owned(), "create".to_owned()));
        task.payload =
            serde_json::to_value(&payload).map_err(|e| EsxDepotError::Internal(e.to_string()))?;
        Ok(task)
    }

    async fn push_source(
        &self,
        user: &UserName,
        request: &CreateRequest,
    ) -> Result<ImportSource, EsxDepotError> {
        if request.auth_header.is_some() || request.location.is_some() {
            return Err(EsxDepotError::Invalid(
                "a PUSH depot takes a file_id, not a location or an authentication_spec".to_owned(),
            ));
        }
        let file_id = request
            .file_id
            .as_deref()
            .filter(|f| !f.trim().is_empty())
            .ok_or_else(|| EsxDepotError::Invalid("file_id is required for PUSH".to_owned()))?;
        let file = self
            .inner
            .uploads
            .take_upload(file_id, user)
            .await?
            .ok_or_else(|| {
                EsxDepotError::Invalid(format!(
                    "file_id {file_id:?} names no uploaded file that is waiting for an import"
                ))
            })?;
        if let Some(depot) = self
            .inner
            .store
            .offline_depot_by_source(&file.digest)
            .await?
        {
            return Err(EsxDepotError::AlreadyExists { depot });
        }
        Ok(ImportSource::Push { file_id: file.id })
    }

    fn pull_source(&self, request: &CreateRequest) -> Result<ImportSource, EsxDepotError> {
        if request.file_id.is_some() {
            return Err(EsxDepotError::Invalid(
                "a PULL depot takes a location, not a file_id".to_owned(),
            ));
        }
        let location = request
            .location
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| EsxDepotError::Invalid("location is required for PULL".to_owned()))?;
        let parsed = PullLocation::parse(location, self.inner.settings.import_dir.as_deref())?;
        let header = match (&request.auth_header, &parsed) {
            (None, _) => None,
            (Some(_), PullLocation::File(_)) => {
                return Err(EsxDepotError::Invalid(
                    "an authentication_spec needs an http or https location".to_owned(),
                ));
            }
            (Some(h), PullLocation::Http { .. }) => {
                if h.name.trim().is_empty() {
                    return Err(EsxDepotError::Invalid(
                        "authentication_spec.authentication_key is empty".to_owned(),
                    ));
                }
                let sealed = self
                    .inner
                    .sealer
                    .seal(HEADER_FIELD, &h.value)
                    .map_err(|e| EsxDepotError::Internal(e.to_string()))?;
                Some((h.name.clone(), sealed))
            }
        };
        Ok(ImportSource::Pull {
            location: location.trim().to_owned(),
            header,
        })
    }
}
