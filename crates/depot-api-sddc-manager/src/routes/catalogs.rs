//! `vmware.sddc_manager.v1.product_version_catalogs` (+ `.upload_tasks`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use depot_catalog_service::{Encoding, UploadMode};
use depot_file_server::{FileMeta, FileSource, serve};
use depot_http::content_coding::negotiate;
use depot_http::{BearerCaller, Json, JsonBody, Problem, file_problem};
use depot_model::{Privilege, Sha256Digest, Task, TaskStatus};

use crate::SddcState;
use crate::error::SddcFamily;
use crate::wire::catalog::{
    ProductVersionCatalogUploadTask, ProductVersionCatalogWithSignatureSpec,
};

/// `GET /v1/product-version-catalogs` — get_product_version_catalog_content. Served
/// compressed when the client accepts it (the catalog is large and compresses well):
/// zstd, else gzip; each coding is its own representation, with its own strong ETag.
pub async fn get(
    State(state): State<SddcState>,
    BearerCaller(caller): BearerCaller,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    caller.require(Privilege::SystemRead)?;
    let (encoding, token) = match negotiate(&headers, &["zstd", "gzip"]) {
        Some(0) => (Encoding::Zstd, Some("zstd")),
        Some(_) => (Encoding::Gzip, Some("gzip")),
        None => (Encoding::Identity, None),
    };
    let (bytes, digest) = state.catalogs.current(encoding).await?;
    let meta = catalog_meta(bytes.len() as u64, &digest, token)?;
    Ok(serve(&method, &headers, &meta, FileSource::Bytes(bytes))
        .await
        .unwrap_or_else(file_problem))
}

/// The catalog in one coding: the content digest plus the coding is a strong
/// validator, so unchanged catalogs answer 304 and ranges resume safely.
fn catalog_meta(
    length: u64,
    digest: &Sha256Digest,
    coding: Option<&str>,
) -> Result<FileMeta, Problem> {
    let tag = match coding {
        Some(coding) => format!("{digest}-{coding}"),
        None => digest.to_string(),
    };
    let mut meta = FileMeta::new(length, &tag, "application/json")
        .map_err(|e| Problem::internal(&e))?
        .header(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(coding) = coding.and_then(|c| HeaderValue::from_str(c).ok()) {
        meta = meta.content_header(header::CONTENT_ENCODING, coding);
    }
    Ok(meta)
}

/// `POST /v1/product-version-catalogs` — upload_product_version_catalog_with_signature.
pub async fn upload(
    state: State<SddcState>,
    caller: BearerCaller,
    spec: JsonBody,
) -> Result<(StatusCode, Json<ProductVersionCatalogUploadTask>), Problem> {
    submit(state, caller, spec, UploadMode::Replace).await
}

/// `PATCH /v1/product-version-catalogs` — update_product_version_catalog_patches.
pub async fn update(
    state: State<SddcState>,
    caller: BearerCaller,
    spec: JsonBody,
) -> Result<(StatusCode, Json<ProductVersionCatalogUploadTask>), Problem> {
    submit(state, caller, spec, UploadMode::Merge).await
}

async fn submit(
    State(state): State<SddcState>,
    BearerCaller(caller): BearerCaller,
    body: JsonBody,
    mode: UploadMode,
) -> Result<(StatusCode, Json<ProductVersionCatalogUploadTask>), Problem> {
    // The privilege first: a caller without it gets 403, never the parser's hints.
    caller.require(Privilege::CatalogUpdate)?;
    let spec: ProductVersionCatalogWithSignatureSpec = body.parse()?;
    let task = state
        .catalogs
        .submit(
            mode,
            spec.product_version_catalog_file_path,
            spec.signature_file_path,
            caller.user.as_str(),
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(upload_task(&task))))
}

/// `GET /v1/product-version-catalogs/upload-tasks/{taskId}` — get_product_version_catalog_upload_task.
pub async fn get_upload_task(
    State(state): State<SddcState>,
    BearerCaller(caller): BearerCaller,
    Path(task_id): Path<String>,
) -> Result<Json<ProductVersionCatalogUploadTask>, Problem> {
    caller.require(Privilege::SystemRead)?;
    let task = state.catalogs.upload_task(&task_id).await?;
    Ok(Json(upload_task(&task)))
}

fn upload_task(t: &Task) -> ProductVersionCatalogUploadTask {
    let status = match t.status {
        TaskStatus::Pending | TaskStatus::Running => "IN_PROGRESS",
        TaskStatus::Succeeded => "SUCCEEDED",
        TaskStatus::Failed | TaskStatus::Canceled => "FAILED",
    };
    let error_response = t.error.as_ref().filter(|_| status == "FAILED").map(|e| {
        let mut p = Problem::new(e.kind, e.code.clone(), e.message.clone());
        p.resolution.clone_from(&e.resolution);
        <SddcFamily as depot_http::Family>::body(&p, StatusCode::OK, &t.id.to_string())
    });
    ProductVersionCatalogUploadTask {
        task_id: t.id.to_string(),
        description: t.description.default.clone(),
        status,
        error_response,
    }
}
