//! `com.vmware.content.library_model` and its parts.

use crate::vapi::typed::{DateTime, SecretString};

crate::vapi_enum! {
    #[vapi("com.vmware.content.library_model.library_type")]
    /// Local or subscribed.
    pub enum LibraryType {
        /// Content is created here.
        Local = "LOCAL",
        /// Content mirrors a publisher.
        Subscribed = "SUBSCRIBED",
    }
}

crate::vapi_enum! {
    #[vapi("com.vmware.content.library.storage_backing.type")]
    /// The kind of a storage backing.
    pub enum BackingType {
        /// A datastore.
        Datastore = "DATASTORE",
        /// A storage URI.
        Other = "OTHER",
    }
}

crate::vapi_enum! {
    #[vapi("com.vmware.content.library.publish_info.authentication_method")]
    /// How VCSP requests authenticate.
    pub enum AuthenticationMethod {
        /// HTTP Basic.
        Basic = "BASIC",
        /// None.
        None = "NONE",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.storage_backing")]
    /// Where a library's content is kept.
    pub struct StorageBacking {
        /// `DATASTORE` or `OTHER`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub r#type: Option<BackingType>,
        /// The datastore (`DATASTORE`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub datastore_id: Option<String>,
        /// The storage URI (`OTHER`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub storage_uri: Option<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.publish_info")]
    /// How a local library is published.
    #[derive(Default)]
    pub struct PublishInfo {
        /// `BASIC` or `NONE`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub authentication_method: Option<AuthenticationMethod>,
        /// Whether it is published.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub published: Option<bool>,
        /// The `lib.json` URL (read only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub publish_url: Option<String>,
        /// Always `vcsp`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub user_name: Option<String>,
        /// The password (write only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub password: Option<SecretString>,
        /// The password now set, to change it (write only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub current_password: Option<SecretString>,
        /// Whether VCSP JSON files are written to storage.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub persist_json_enabled: Option<bool>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.source_info")]
    /// The source of a subscription.
    pub struct SourceInfo {
        /// The publisher's library.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source_library: Option<String>,
        /// The subscription.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub subscription: Option<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.subscription_info")]
    /// Where a subscribed library syncs from.
    pub struct SubscriptionInfo {
        /// `BASIC` or `NONE`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub authentication_method: Option<AuthenticationMethod>,
        /// Whether it syncs on a schedule.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub automatic_sync_enabled: Option<bool>,
        /// Whether content is synced on demand.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub on_demand: Option<bool>,
        /// The password (write only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub password: Option<SecretString>,
        /// SHA-1 thumbprint of the publisher's certificate.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ssl_thumbprint: Option<String>,
        /// The publisher's `lib.json` URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub subscription_url: Option<String>,
        /// The user name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub user_name: Option<String>,
        /// The subscription's source.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source_info: Option<SourceInfo>,
        /// The publisher's certificate, PEM.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ssl_certificate: Option<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.optimization_info")]
    /// Publishing optimisation (accepted, not used by depotd).
    pub struct OptimizationInfo {
        /// Optimise for remote subscribers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub optimize_remote_publishing: Option<bool>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.state_info")]
    /// A library's state: depotd's are always `ACTIVE`.
    pub struct StateInfo {
        /// `ACTIVE` or `IN_MAINTENANCE`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub state: Option<String>,
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub message: Option<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.configuration_info")]
    /// Library configuration (accepted, not used by depotd).
    pub struct ConfigurationInfo {
        /// Apply the library's usage to its items.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub apply_library_usage_to_items: Option<bool>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library_model")]
    /// A library, as read, created and updated.
    #[derive(Default)]
    pub struct LibraryModel {
        /// Its id (read only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// When it was created.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub creation_time: Option<DateTime>,
        /// Free text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// When it last changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_modified_time: Option<DateTime>,
        /// When it last synced (subscribed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_sync_time: Option<DateTime>,
        /// Unique name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        /// Where its content is kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub storage_backings: Option<Vec<StorageBacking>>,
        /// Local or subscribed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub r#type: Option<LibraryType>,
        /// Publishing optimisation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub optimization_info: Option<OptimizationInfo>,
        /// Its change version.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub version: Option<String>,
        /// Publishing (local).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub publish_info: Option<PublishInfo>,
        /// Subscription (subscribed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub subscription_info: Option<SubscriptionInfo>,
        /// The server's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub server_guid: Option<String>,
        /// Security policy (not supported).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub security_policy_id: Option<String>,
        /// Unset the security policy (update only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub unset_security_policy_id: Option<bool>,
        /// Its state.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub state_info: Option<StateInfo>,
        /// Configuration.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub configuration_info: Option<ConfigurationInfo>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.library.find_spec")]
    /// Which libraries a find returns.
    #[derive(Default)]
    pub struct FindSpec {
        /// Exactly this name.
        #[serde(default)]
        pub name: Option<String>,
        /// Only this type.
        #[serde(default)]
        pub r#type: Option<LibraryType>,
        /// Only with this storage backing.
        #[serde(default)]
        pub storage_backing: Option<StorageBacking>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.content.local_library.destination_spec")]
    /// A subscription to publish to.
    pub struct DestinationSpec {
        /// The subscription id.
        pub subscription: String,
    }
}
