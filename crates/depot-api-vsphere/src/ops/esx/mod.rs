//! ESX lifecycle settings operations (`com.vmware.esx.settings.*`).

pub mod offline_depots;
