//! `vcf.fleet_lcm.v1.release_versions` / get_release_versions.

use std::sync::Arc;

use axum::extract::State;
use depot_http::{BearerCaller, Json, Problem, QueryPairs};
use depot_model::Privilege;
use depot_sync::DepotService;

use crate::routes::tasks::page_from;
use crate::wire::release::{ComponentReleaseVersions, PageOfReleaseVersion, ReleaseVersion};
use crate::wire::task::PageMetadata;

/// `GET /v1/release-versions?pageNumber=&pageSize=` — the releases of the synced manifest,
/// newest first (an empty page before the first sync).
pub async fn list(
    State(depot): State<Arc<DepotService>>,
    BearerCaller(caller): BearerCaller,
    query: QueryPairs,
) -> Result<Json<PageOfReleaseVersion>, Problem> {
    caller.require(Privilege::SystemRead)?;
    query.only(&["pageNumber", "pageSize"])?;
    let page = page_from(&query)?;
    let all = depot.release_versions().await?;
    let size = page.size as usize;
    let start = (page.number as usize - 1).saturating_mul(size);
    let elements = all
        .iter()
        .skip(start)
        .take(size)
        .map(|r| ReleaseVersion {
            version: r.version.clone(),
            components: r
                .components
                .iter()
                .map(|c| ComponentReleaseVersions {
                    component_type: c.component_type.clone(),
                    public_name: c.public_name.clone(),
                    versions: c.versions.clone(),
                })
                .collect(),
        })
        .collect();
    let total = all.len() as u64;
    Ok(Json(PageOfReleaseVersion {
        elements,
        page_metadata: PageMetadata {
            page_number: page.number,
            page_size: page.size,
            total_elements: total,
            total_pages: total.div_ceil(u64::from(page.size)),
        },
    }))
}
