//! ESX lifecycle settings (`com.vmware.esx.settings.*`), as esx-depots.md and the SDK's
//! `com.vmware.esx.settings.depots_client` describe them.

pub mod content;
pub mod offline;
pub mod online;
