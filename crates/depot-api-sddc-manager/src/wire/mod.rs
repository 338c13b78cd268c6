//! Wire DTOs, exactly as in the contract (camelCase).

pub mod catalog;
pub mod depot;
pub mod token;
