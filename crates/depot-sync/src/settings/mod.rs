//! Depot settings: what a caller gives ([`SettingsInput`]), what is stored (a JSON
//! document with sealed secrets) and what is shown ([`SettingsView`], never a secret), and
//! how they become an upstream client's [`DepotSettings`].

use depot_upstream::{DepotAuth, DepotSettings, Secret};
use serde::{Deserialize, Serialize};

use crate::SyncError;
use crate::config::SyncConfig;
use depot_secrets::SecretBox;

/// The online depot used when its settings give no URL.
pub const DEFAULT_ONLINE_URL: &str = "https://dl.broadcom.com/";

/// One depot account as given by a caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountInput {
    /// User name.
    pub username: Option<String>,
    /// Password.
    pub password: Option<Secret>,
    /// Download token (online depot).
    pub download_token: Option<Secret>,
    /// Download activation code (online depot; sent like a download token).
    pub activation_code: Option<Secret>,
}

/// Where the depot is, as given by a caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigurationInput {
    /// An offline depot.
    pub is_offline_depot: Option<bool>,
    /// Host name (with `port`), when no `url` is given.
    pub hostname: Option<String>,
    /// Port of `hostname`.
    pub port: Option<i64>,
    /// The depot URL.
    pub url: Option<String>,
    /// PEM certificates trusted for the depot's TLS certificate.
    pub trusted_certificates: Option<Vec<String>>,
}

/// The depot settings as given by a caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsInput {
    /// The online depot account.
    pub vmware_account: Option<AccountInput>,
    /// The offline depot account.
    pub offline_account: Option<AccountInput>,
    /// Where the depot is.
    pub configuration: Option<ConfigurationInput>,
}

/// An account as shown: never a secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountView {
    /// User name.
    pub username: Option<String>,
    /// `DEPOT_…` status of the last connection check.
    pub status: Option<String>,
    /// What the status means.
    pub message: Option<String>,
}

/// The depot location as shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigurationView {
    /// An offline depot.
    pub is_offline_depot: bool,
    /// Host name.
    pub hostname: Option<String>,
    /// Port.
    pub port: Option<i64>,
    /// URL.
    pub url: Option<String>,
    /// Trusted PEM certificates.
    pub trusted_certificates: Vec<String>,
}

/// The depot settings as shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsView {
    /// The online depot account.
    pub vmware_account: Option<AccountView>,
    /// The offline depot account.
    pub offline_account: Option<AccountView>,
    /// Where the depot is.
    pub configuration: Option<ConfigurationView>,
}

/// The stored form of one account: secrets sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredAccount {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) download_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) activation_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
}

/// The stored settings document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Document {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) vmware_account: Option<StoredAccount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) offline_account: Option<StoredAccount>,
    #[serde(default)]
    pub(crate) is_offline_depot: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) port: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) url: Option<String>,
    #[serde(default)]
    pub(crate) trusted_certificates: Vec<String>,
}

/// Which account a delete removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepotType {
    /// The online (VMware/Broadcom) depot account.
    Vmware,
    /// The offline depot account.
    Offline,
}

impl DepotType {
    /// Parses `VMWARE` / `OFFLINE` (any case; `ONLINE` is read as `VMWARE`).
    pub fn parse(text: &str) -> Result<Self, SyncError> {
        match text.to_ascii_uppercase().as_str() {
            "VMWARE" | "ONLINE" => Ok(Self::Vmware),
            "OFFLINE" => Ok(Self::Offline),
            _ => Err(SyncError::UnknownDepotType(text.to_owned())),
        }
    }
}

impl StoredAccount {
    /// The stored form of an account given as `field`; an omitted secret is kept from
    /// `kept` when the user name is the same.
    fn from_input(
        given: Option<AccountInput>,
        kept: Option<&StoredAccount>,
        field: &str,
        sealer: &SecretBox,
    ) -> Result<Option<Self>, SyncError> {
        let Some(given) = given else {
            return Ok(None);
        };
        let username = given.username.filter(|u| !u.trim().is_empty());
        let same_user = kept.filter(|k| k.username == username);
        let seal = |name: &str, value: Option<Secret>, kept: Option<&String>| match value
            .filter(|v| !v.expose().is_empty())
        {
            Some(v) => sealer.seal(&format!("{field}.{name}"), &v).map(Some),
            None => Ok(kept.cloned()),
        };
        let stored = Self {
            password: seal(
                "password",
                given.password,
                same_user.and_then(|k| k.password.as_ref()),
            )?,
            download_token: seal(
                "downloadToken",
                given.download_token,
                same_user.and_then(|k| k.download_token.as_ref()),
            )?,
            activation_code: seal(
                "downloadActivationCode",
                given.activation_code,
                same_user.and_then(|k| k.activation_code.as_ref()),
            )?,
            username,
            status: None,
            message: None,
        };
        if stored.password.is_some() && stored.username.is_none() {
            return Err(SyncError::InvalidSettings {
                field: format!("{field}.username"),
                reason: "a password needs its user name".to_owned(),
            });
        }
        Ok(Some(stored))
    }
}

impl Document {
    /// Decodes a stored document.
    pub(crate) fn decode(text: &str) -> Result<Self, SyncError> {
        serde_json::from_str(text).map_err(|e| SyncError::CorruptSettings(e.to_string()))
    }

    /// The stored text.
    pub(crate) fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The document for `input`: shape checks here, secrets sealed; an account given
    /// without a secret keeps the secrets `previous` holds for the same user name (a GET
    /// never shows them, so a PUT of what was read must not erase them).
    pub(crate) fn from_input(
        input: SettingsInput,
        previous: Option<&Document>,
        sealer: &SecretBox,
    ) -> Result<Self, SyncError> {
        let configuration = input.configuration.unwrap_or_default();
        let is_offline_depot = configuration.is_offline_depot.unwrap_or(false);
        let invalid = |field: &str, reason: &str| SyncError::InvalidSettings {
            field: field.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(port) = configuration.port
            && !(1..=65_535).contains(&port)
        {
            return Err(invalid(
                "depotConfiguration.port",
                "the port must be between 1 and 65535",
            ));
        }
        if configuration.url.as_ref().is_some_and(|u| u.len() > 2048) {
            return Err(invalid(
                "depotConfiguration.url",
                "the URL is longer than 2048 characters",
            ));
        }
        let hostname = configuration.hostname.filter(|h| !h.trim().is_empty());
        let url = configuration.url.filter(|u| !u.trim().is_empty());
        if is_offline_depot && hostname.is_none() && url.is_none() {
            return Err(invalid(
                "depotConfiguration.url",
                "an offline depot needs its url (or hostname and port)",
            ));
        }
        let trusted_certificates = configuration.trusted_certificates.unwrap_or_default();
        for (i, pem) in trusted_certificates.iter().enumerate() {
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                return Err(invalid(
                    &format!("depotConfiguration.trustedCertificates[{i}]"),
                    "not a PEM certificate (-----BEGIN CERTIFICATE----- ...)",
                ));
            }
        }
        let vmware_account = StoredAccount::from_input(
            input.vmware_account,
            previous.and_then(|p| p.vmware_account.as_ref()),
            "vmwareAccount",
            sealer,
        )?;
        let offline_account = StoredAccount::from_input(
            input.offline_account,
            previous.and_then(|p| p.offline_account.as_ref()),
            "offlineAccount",
            sealer,
        )?;
        if !is_offline_depot
            && let Some(a) = &vmware_account
            && a.download_token.is_none()
            && a.activation_code.is_none()
            && a.password.is_none()
        {
            return Err(invalid(
                "vmwareAccount",
                "the online depot needs a downloadToken, a downloadActivationCode or a username and password",
            ));
        }
        if !is_offline_depot && vmware_account.is_none() {
            return Err(invalid(
                "vmwareAccount",
                "the online depot (isOfflineDepot false) needs vmwareAccount",
            ));
        }
        Ok(Self {
            vmware_account,
            offline_account,
            is_offline_depot,
            hostname,
            port: configuration.port,
            url,
            trusted_certificates,
        })
    }

    /// Whether `other` names the same depot with the same user names and secrets
    /// (statuses aside; sealed values differ each time, so secrets are compared opened).
    pub(crate) fn same_depot(&self, other: &Document, sealer: &SecretBox) -> bool {
        let open = |field: &str, name: &str, v: Option<&String>| {
            v.map(|s| {
                sealer
                    .open(&format!("{field}.{name}"), s)
                    .ok()
                    .map(|s| s.expose().to_owned())
            })
        };
        let account = |field: &str, a: Option<&StoredAccount>| {
            a.map(|a| {
                (
                    a.username.clone(),
                    open(field, "password", a.password.as_ref()),
                    open(field, "downloadToken", a.download_token.as_ref()),
                    open(field, "downloadActivationCode", a.activation_code.as_ref()),
                )
            })
        };
        account("vmwareAccount", self.vmware_account.as_ref())
            == account("vmwareAccount", other.vmware_account.as_ref())
            && account("offlineAccount", self.offline_account.as_ref())
                == account("offlineAccount", other.offline_account.as_ref())
            && self.is_offline_depot == other.is_offline_depot
            && self.hostname == other.hostname
            && self.port == other.port
            && self.url == other.url
            && self.trusted_certificates == other.trusted_certificates
    }

    /// What a GET shows.
    pub(crate) fn view(&self) -> SettingsView {
        let account = |a: &StoredAccount| AccountView {
            username: a.username.clone(),
            status: a.status.clone(),
            message: a.message.clone(),
        };
        SettingsView {
            vmware_account: self.vmware_account.as_ref().map(account),
            offline_account: self.offline_account.as_ref().map(account),
            configuration: Some(ConfigurationView {
                is_offline_depot: self.is_offline_depot,
                hostname: self.hostname.clone(),
                port: self.port,
                url: self.url.clone(),
                trusted_certificates: self.trusted_certificates.clone(),
            }),
        }
    }

    /// The account in use: the offline one for an offline depot, else the online one.
    pub(crate) fn active_account_mut(&mut self) -> Option<&mut StoredAccount> {
        if self.is_offline_depot {
            self.offline_account.as_mut()
        } else {
            self.vmware_account.as_mut()
        }
    }

    /// The account in use.
    fn active_account(&self) -> Option<&StoredAccount> {
        if self.is_offline_depot {
            self.offline_account.as_ref()
        } else {
            self.vmware_account.as_ref()
        }
    }

    /// Records the outcome of a connection check on the account in use.
    pub(crate) fn set_status(&mut self, code: &str, message: &str) {
        if let Some(account) = self.active_account_mut() {
            account.status = Some(code.to_owned());
            account.message = Some(message.to_owned());
        }
    }

    /// The base URL of the depot: the configured URL (with a trailing `/PROD` removed:
    /// the depot paths start with `PROD/`), else `https://hostname:port/`, else the
    /// public online depot.
    pub(crate) fn base_url(&self) -> String {
        if let Some(url) = &self.url {
            let trimmed = url.trim().trim_end_matches('/');
            let root = trimmed.strip_suffix("/PROD").unwrap_or(trimmed);
            return format!("{root}/");
        }
        if let Some(host) = &self.hostname {
            let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
            return format!("https://{host}{port}/");
        }
        DEFAULT_ONLINE_URL.to_owned()
    }

    /// The upstream client settings, with secrets opened.
    pub(crate) fn client_settings(
        &self,
        config: &SyncConfig,
        sealer: &SecretBox,
    ) -> Result<DepotSettings, SyncError> {
        let mut settings = DepotSettings::new(self.base_url());
        settings
            .trusted_certificates
            .clone_from(&self.trusted_certificates);
        settings.proxy_url.clone_from(&config.proxy);
        settings.probe_path.clone_from(&config.paths.catalog);
        settings.timeouts = config.timeouts;
        settings.retry = config.retry;
        let field = if self.is_offline_depot {
            "offlineAccount"
        } else {
            "vmwareAccount"
        };
        settings.auth = match self.active_account() {
            None => DepotAuth::None,
            Some(a) => {
                let open =
                    |name: &str, sealed: &String| sealer.open(&format!("{field}.{name}"), sealed);
                if let (false, Some(token)) = (
                    self.is_offline_depot,
                    a.download_token.as_ref().map(|t| ("downloadToken", t)).or(a
                        .activation_code
                        .as_ref()
                        .map(|c| ("downloadActivationCode", c))),
                ) {
                    DepotAuth::DownloadToken {
                        token: open(token.0, token.1)?,
                        path_template: config.paths.token_template.clone(),
                    }
                } else if let (Some(user), Some(pw)) = (&a.username, &a.password) {
                    DepotAuth::Basic {
                        username: user.clone(),
                        password: open("password", pw)?,
                    }
                } else {
                    DepotAuth::None
                }
            }
        };
        Ok(settings)
    }
}

#[cfg(test)]
mod tests;
