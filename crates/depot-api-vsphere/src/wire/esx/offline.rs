//! `com.vmware.esx.settings.depots.offline` types.

use std::collections::BTreeMap;

use depot_model::{OfflineDepot, OfflineDepotSource};

use crate::vapi::typed::DateTime;

crate::vapi_enum! {
    #[vapi("com.vmware.esx.settings.depots.offline.source_type")]
    /// Where the depot's bundle comes from.
    pub enum SourceType {
        /// Downloaded by the server from `location`.
        Pull = "PULL",
        /// Uploaded, by `file_id`.
        Push = "PUSH",
    }
}

crate::vapi_enum! {
    #[vapi("com.vmware.esx.settings.depots.offline.authentication_spec.authentication_method")]
    /// How the download authenticates.
    pub enum AuthenticationMethod {
        /// One request header.
        HeaderAuth = "HEADER_AUTH",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.offline.authentication_spec")]
    /// `HEADER_AUTH`: the header added to the download.
    pub struct AuthenticationSpec {
        /// The method.
        pub method: AuthenticationMethod,
        /// The header's name.
        #[serde(default)]
        pub authentication_key: Option<String>,
        /// The header's value.
        #[serde(default)]
        pub authentication_value: Option<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.offline.create_spec")]
    /// What to import.
    pub struct CreateSpec {
        /// Description.
        #[serde(default)]
        pub description: Option<String>,
        /// `PULL` or `PUSH`.
        pub source_type: SourceType,
        /// The URL (`PULL`).
        #[serde(default)]
        pub location: Option<String>,
        /// The uploaded file (`PUSH`).
        #[serde(default)]
        pub file_id: Option<String>,
        /// Opaque data of the owning solution.
        #[serde(default)]
        pub ownerdata: Option<String>,
        /// The same, as some clients spell it (`ownerdata` wins when both are given).
        #[serde(default)]
        pub owner_data: Option<String>,
        /// The header for the download (`PULL`).
        #[serde(default)]
        pub authentication_spec: Option<AuthenticationSpec>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.offline.info")]
    /// A depot.
    pub struct Info {
        /// Description (empty if none was given).
        pub description: String,
        /// Where it came from.
        pub source_type: SourceType,
        /// The URL (`PULL`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub location: Option<String>,
        /// The uploaded file (`PUSH`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub file_id: Option<String>,
        /// When it was created.
        pub create_time: DateTime,
        /// Who created it.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub owner: Option<String>,
        /// Opaque data of the owning solution.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub ownerdata: Option<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.offline.summary")]
    /// A depot, in a list.
    pub struct Summary {
        /// Description.
        pub description: String,
        /// Where it came from.
        pub source_type: SourceType,
        /// The URL (`PULL`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub location: Option<String>,
        /// The uploaded file (`PUSH`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub file_id: Option<String>,
        /// Who created it.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub owner: Option<String>,
        /// Opaque data of the owning solution.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub ownerdata: Option<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.offline.create_result")]
    /// The create task's result.
    pub struct CreateResult {
        /// The new depot.
        pub depot: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.offline.delete_spec")]
    /// How to delete.
    pub struct DeleteSpec {
        /// Remove the content even while it is in use.
        #[serde(default)]
        pub force: Option<bool>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.notifications")]
    /// Notifications of an operation (none are given here: `info`, `warnings` and
    /// `errors` are all left out).
    pub struct Notifications {}
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.offline.delete_result")]
    /// The delete task's result.
    pub struct DeleteResult {
        /// Notifications.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub notifications: Option<Notifications>,
    }
}

fn parts(source: &OfflineDepotSource) -> (SourceType, Option<String>, Option<String>) {
    match source {
        OfflineDepotSource::Pull { location } => (SourceType::Pull, Some(location.clone()), None),
        OfflineDepotSource::Push { file_id } => (SourceType::Push, None, Some(file_id.to_string())),
    }
}

impl From<&OfflineDepot> for Info {
    fn from(d: &OfflineDepot) -> Self {
        let (source_type, location, file_id) = parts(&d.source);
        Self {
            description: d.description.clone(),
            source_type,
            location,
            file_id,
            create_time: DateTime(d.create_time),
            owner: Some(d.owner.to_string()),
            ownerdata: d.ownerdata.clone(),
        }
    }
}

impl From<&OfflineDepot> for Summary {
    fn from(d: &OfflineDepot) -> Self {
        let (source_type, location, file_id) = parts(&d.source);
        Self {
            description: d.description.clone(),
            source_type,
            location,
            file_id,
            owner: Some(d.owner.to_string()),
            ownerdata: d.ownerdata.clone(),
        }
    }
}

/// The list answer: depot id → summary.
pub fn summaries(depots: &[OfflineDepot]) -> BTreeMap<String, Summary> {
    depots
        .iter()
        .map(|d| (d.id.to_string(), Summary::from(d)))
        .collect()
}
