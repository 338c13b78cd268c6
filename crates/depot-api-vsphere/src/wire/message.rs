//! `com.vmware.vapi.std.localizable_message`: positional string arguments.

use depot_model::Message;

crate::vapi_struct! {
    #[vapi("com.vmware.vapi.std.localizable_message")]
    /// A vAPI localizable message (the fields depotd fills).
    pub struct LocalizableMessage {
        /// Message id.
        pub id: String,
        /// The English text.
        pub default_message: String,
        /// Positional arguments.
        pub args: Vec<String>,
        /// The localized text; depotd sends none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub localized: Option<String>,
    }
}

impl From<&Message> for LocalizableMessage {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.clone(),
            default_message: m.default.clone(),
            args: m.positional_args(),
            localized: None,
        }
    }
}
