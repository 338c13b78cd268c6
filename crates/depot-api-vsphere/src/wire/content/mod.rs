//! Content-library DTOs (`com.vmware.content.*`), as in the contract.

pub mod item;
pub mod library;
