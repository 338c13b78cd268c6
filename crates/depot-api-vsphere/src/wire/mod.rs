//! Wire DTOs, exactly as in the contract (snake_case).

pub mod content;
pub mod datastore;
pub mod esx;
pub mod message;
pub mod task;
