//! The vSphere operations this crate defines, one file per service.

pub mod session;
pub mod tasks;

use crate::vapi::registry::Operation;

/// The CIS operations: sessions and tasks.
pub fn all() -> Vec<&'static Operation> {
    vec![
        &session::CREATE,
        &session::GET,
        &session::DELETE,
        &tasks::GET,
        &tasks::LIST,
        &tasks::CANCEL,
    ]
}
