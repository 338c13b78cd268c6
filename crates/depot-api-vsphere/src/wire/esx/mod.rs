//! ESX settings wire types (`com.vmware.esx.settings.depots*`).

pub mod depot_content;
pub mod offline;
