//! Wire DTOs, exactly as in the contract (camelCase).

pub mod message;
pub mod release;
pub mod task;
