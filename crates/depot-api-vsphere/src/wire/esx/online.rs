//! `com.vmware.esx.settings.depots.online` (`Online.*` of `depots_client`) and
//! `com.vmware.esx.settings.depots.sync_spec`.

use depot_model::OnlineDepot;

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.online.create_spec")]
    /// A new online depot.
    pub struct CreateSpec {
        /// Free text.
        #[serde(default)]
        pub description: Option<String>,
        /// The URL of the depot's index document (or directory).
        pub location: String,
        /// Whether syncs include it (default true).
        #[serde(default)]
        pub enabled: Option<bool>,
        /// The creating solution's data.
        #[serde(default)]
        pub ownerdata: Option<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.online.info")]
    /// One online depot (`get`).
    pub struct Info {
        /// The description (empty when none was given).
        pub description: String,
        /// The URL of its index document.
        pub location: String,
        /// Whether syncs include it.
        pub enabled: bool,
        /// Whether the system created it (never, here).
        pub system_defined: bool,
        /// Who created it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub owner: Option<String>,
        /// The creating solution's data.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ownerdata: Option<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.online.summary")]
    /// One online depot in `list`.
    pub struct Summary {
        /// The description.
        pub description: String,
        /// The URL of its index document.
        pub location: String,
        /// Whether syncs include it.
        pub enabled: bool,
        /// Whether the system created it.
        pub system_defined: bool,
        /// Who created it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub owner: Option<String>,
        /// The creating solution's data.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ownerdata: Option<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.online.update_spec")]
    /// What `update` changes.
    pub struct UpdateSpec {
        /// Whether syncs include it.
        #[serde(default)]
        pub enabled: Option<bool>,
        /// The description.
        #[serde(default)]
        pub description: Option<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.online.delete_spec")]
    /// How `delete` removes a depot.
    pub struct DeleteSpec {
        /// Remove the content even when in use.
        #[serde(default)]
        pub force: Option<bool>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.sync_spec")]
    /// How `sync$task` syncs the online depots.
    pub struct SyncSpec {
        /// Drop the content the depots no longer hold.
        #[serde(default)]
        pub cleanup: Option<bool>,
    }
}

impl From<OnlineDepot> for Info {
    fn from(d: OnlineDepot) -> Self {
        Self {
            description: d.description,
            location: d.location,
            enabled: d.enabled,
            system_defined: false,
            owner: d.owner.map(|o| o.as_str().to_owned()),
            ownerdata: d.ownerdata,
        }
    }
}

impl From<OnlineDepot> for Summary {
    fn from(d: OnlineDepot) -> Self {
        let Info {
            description,
            location,
            enabled,
            system_defined,
            owner,
            ownerdata,
        } = d.into();
        Self {
            description,
            location,
            enabled,
            system_defined,
            owner,
            ownerdata,
        }
    }
}
