//! `com.vmware.vapi.std.localizable_message`: positional string arguments.

use depot_model::Message;
use serde::Serialize;

/// A vAPI localizable message.
#[derive(Debug, Serialize)]
pub struct LocalizableMessage {
    pub id: String,
    pub default_message: String,
    pub args: Vec<String>,
}

impl From<&Message> for LocalizableMessage {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.clone(),
            default_message: m.default.clone(),
            args: m.positional_args(),
        }
    }
}
