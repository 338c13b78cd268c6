//! `ProductVersionCatalogWithSignatureSpec` and `ProductVersionCatalogUploadTask`.

use serde::{Deserialize, Serialize};

/// `POST`/`PATCH /v1/product-version-catalogs` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductVersionCatalogWithSignatureSpec {
    pub product_version_catalog_file_path: Option<String>,
    pub signature_file_path: Option<String>,
}

/// `vmware.sddc_manager.model.product_version_catalog_upload_task`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductVersionCatalogUploadTask {
    pub task_id: String,
    pub description: String,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_response: Option<serde_json::Value>,
}
