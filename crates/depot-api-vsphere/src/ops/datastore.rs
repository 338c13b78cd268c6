//! `com.vmware.vcenter.datastore`: list, get — the depot's blob store, shown as the
//! one datastore clients written for vCenter can name as a content library's backing.
//!
//! Its id and name are constants, not the host's name: replicas sharing a database
//! must show the same datastore, and a library created through one names a datastore
//! every other one knows.

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_blobs::{BlobStore, Capacity};
use depot_http::{Problem, Services};
// The depot's datastore id: the one library storage backings name.
use depot_library::DEPOT_DATASTORE_ID as DATASTORE_ID;
use depot_model::{ErrorKind, Message, Privilege};

use crate::vapi::registry::{Auth, Ctx, Operation};
use crate::wire::datastore::{DatastoreType, FilterSpec, Info, Summary};

const SERVICE: &str = "com.vmware.vcenter.datastore";
/// The depot's datastore name.
pub const DATASTORE_NAME: &str = "depot-blobs";
/// Its type (see [`DatastoreType`] for why `OTHER`).
const DATASTORE_TYPE: DatastoreType = DatastoreType::Other;

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// list's input.
    pub struct ListInput {
        /// Which datastores.
        pub filter: Option<FilterSpec>,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// get's input.
    pub struct GetInput {
        /// The datastore id.
        pub datastore: String,
    }
}

/// list (the depot's datastore, if the filter matches it) and get.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
    Arc<dyn BlobStore>: FromRef<S>,
{
    vec![
        Operation::new(SERVICE, "list", Auth::Session, list::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, "/vcenter/datastore", StatusCode::OK),
        Operation::new(SERVICE, "get", Auth::Session, get::<S>)
            .privilege(Privilege::SystemRead)
            .rest(
                Method::GET,
                "/vcenter/datastore/{datastore}",
                StatusCode::OK,
            ),
    ]
}

async fn list<S>(ctx: Ctx<S>, input: ListInput) -> Result<Vec<Summary>, Problem>
where
    Arc<dyn BlobStore>: FromRef<S>,
{
    if !matches(&input.filter.unwrap_or_default()) {
        return Ok(Vec::new());
    }
    let capacity = capacity(&ctx.get()).await;
    Ok(vec![Summary {
        datastore: DATASTORE_ID.to_owned(),
        name: DATASTORE_NAME.to_owned(),
        r#type: DATASTORE_TYPE,
        free_space: capacity.flatten().map(|c| c.free),
        capacity: capacity.flatten().map(|c| c.total),
    }])
}

async fn get<S>(ctx: Ctx<S>, input: GetInput) -> Result<Info, Problem>
where
    Arc<dyn BlobStore>: FromRef<S>,
{
    if input.datastore != DATASTORE_ID {
        return Err(not_found(&input.datastore));
    }
    let capacity = capacity(&ctx.get()).await;
    Ok(Info {
        name: DATASTORE_NAME.to_owned(),
        r#type: DATASTORE_TYPE,
        accessible: capacity.is_some(),
        free_space: capacity.flatten().map(|c| c.free),
        // One server writes its own blob store.
        multiple_host_access: false,
        // A blob is written whole; nothing is allocated lazily.
        thin_provisioning_supported: false,
    })
}

/// The store's capacity: `None` when it cannot be read (the datastore is then not
/// accessible, as vCenter reports a datastore it cannot reach), `Some(None)` when the
/// backend does not know it.
async fn capacity(blobs: &Arc<dyn BlobStore>) -> Option<Option<Capacity>> {
    match blobs.capacity().await {
        Ok(capacity) => Some(capacity),
        Err(error) => {
            tracing::warn!(%error, "cannot read the blob store's capacity");
            None
        }
    }
}

/// Whether the depot's datastore passes `filter`: every set, non-empty field must
/// name it; it lies in no folder and no datacenter.
fn matches(filter: &FilterSpec) -> bool {
    fn admits<T: PartialEq>(field: Option<&Vec<T>>, ours: &T) -> bool {
        field.is_none_or(|values| values.is_empty() || values.contains(ours))
    }
    let unset = |field: Option<&Vec<String>>| field.is_none_or(Vec::is_empty);
    admits(filter.datastores.as_ref(), &DATASTORE_ID.to_owned())
        && admits(filter.names.as_ref(), &DATASTORE_NAME.to_owned())
        && admits(filter.types.as_ref(), &DATASTORE_TYPE)
        && unset(filter.folders.as_ref())
        && unset(filter.datacenters.as_ref())
}

fn not_found(id: &str) -> Problem {
    Problem::new(
        ErrorKind::NotFound,
        "DATASTORE_NOT_FOUND",
        Message::new(
            "com.vmware.depotd.datastore.not_found",
            format!("Datastore {id} not found"),
        )
        .arg("datastore", id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(json: serde_json::Value) -> FilterSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn filters_name_the_depot_datastore_or_leave_it_out() {
        for (spec, expected) in [
            (serde_json::json!({}), true),
            (serde_json::json!({"datastores": []}), true),
            (serde_json::json!({"datastores": ["datastore-depot"]}), true),
            (serde_json::json!({"datastores": ["datastore-1"]}), false),
            (serde_json::json!({"names": ["depot-blobs", "x"]}), true),
            (serde_json::json!({"names": ["x"]}), false),
            (serde_json::json!({"types": ["OTHER"]}), true),
            (serde_json::json!({"types": ["VMFS", "NFS"]}), false),
            (serde_json::json!({"folders": ["group-s1"]}), false),
            (serde_json::json!({"datacenters": ["datacenter-1"]}), false),
            (serde_json::json!({"folders": [], "datacenters": []}), true),
            (
                serde_json::json!({"names": ["depot-blobs"], "datastores": ["other"]}),
                false,
            ),
        ] {
            assert_eq!(matches(&filter(spec.clone())), expected, "{spec}");
        }
    }
}
