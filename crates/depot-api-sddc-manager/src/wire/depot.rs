//! `DepotSettings`, `DepotAccount`, `DepotConfiguration`, `DepotSyncInfo`,
//! `MachineDetails`.

use depot_sync::{
    AccountInput, AccountView, ConfigurationInput, Secret, SettingsInput, SettingsView, SyncInfo,
};
use serde::{Deserialize, Serialize};

/// `vmware.sddc_manager.model.depot_settings` as sent. Unknown and server-set fields
/// (`status`, `message`) are ignored, so a client can PUT back what it read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepotSettingsIn {
    pub vmware_account: Option<DepotAccountIn>,
    pub offline_account: Option<DepotAccountIn>,
    pub depot_configuration: Option<DepotConfigurationIn>,
}

/// `vmware.sddc_manager.model.depot_account` as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepotAccountIn {
    pub username: Option<String>,
    pub password: Option<String>,
    pub download_token: Option<String>,
    pub download_activation_code: Option<String>,
}

/// `vmware.sddc_manager.model.depot_configuration` as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepotConfigurationIn {
    pub is_offline_depot: Option<bool>,
    pub hostname: Option<String>,
    pub port: Option<i64>,
    pub url: Option<String>,
    pub trusted_certificates: Option<Vec<String>>,
}

impl From<DepotSettingsIn> for SettingsInput {
    fn from(body: DepotSettingsIn) -> Self {
        let account = |a: DepotAccountIn| AccountInput {
            username: a.username,
            password: a.password.map(Secret::new),
            download_token: a.download_token.map(Secret::new),
            activation_code: a.download_activation_code.map(Secret::new),
        };
        SettingsInput {
            vmware_account: body.vmware_account.map(account),
            offline_account: body.offline_account.map(account),
            configuration: body.depot_configuration.map(|c| ConfigurationInput {
                is_offline_depot: c.is_offline_depot,
                hostname: c.hostname,
                port: c.port,
                url: c.url,
                trusted_certificates: c.trusted_certificates,
            }),
        }
    }
}

/// `DepotSettings` as shown: never a password or token.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepotSettingsOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vmware_account: Option<DepotAccountOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline_account: Option<DepotAccountOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depot_configuration: Option<DepotConfigurationOut>,
}

/// `DepotAccount` as shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepotAccountOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `DepotConfiguration` as shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepotConfigurationOut {
    pub is_offline_depot: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trusted_certificates: Vec<String>,
}

impl From<SettingsView> for DepotSettingsOut {
    fn from(v: SettingsView) -> Self {
        let account = |a: AccountView| DepotAccountOut {
            username: a.username,
            status: a.status,
            message: a.message,
        };
        Self {
            vmware_account: v.vmware_account.map(account),
            offline_account: v.offline_account.map(account),
            depot_configuration: v.configuration.map(|c| DepotConfigurationOut {
                is_offline_depot: c.is_offline_depot,
                hostname: c.hostname,
                port: c.port,
                url: c.url,
                trusted_certificates: c.trusted_certificates,
            }),
        }
    }
}

/// `vmware.sddc_manager.model.depot_sync_info`. `syncStatus` is one of
/// `SYNC_NOT_STARTED`, `SYNC_IN_PROGRESS`, `SYNC_SUCCEEDED`, `SYNC_FAILED`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepotSyncInfoOut {
    pub sync_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sync_completion_timestamp: Option<String>,
}

impl From<SyncInfo> for DepotSyncInfoOut {
    fn from(info: SyncInfo) -> Self {
        Self {
            sync_status: info.state.as_str(),
            error_message: info.error_message,
            last_sync_completion_timestamp: info.last_completion.map(depot_http::wire_time::format),
        }
    }
}

/// `vmware.sddc_manager.model.machine_details`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineDetailsOut {
    pub machine_id: String,
}
