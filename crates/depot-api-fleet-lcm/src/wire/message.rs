//! `LocalizableMessage` of this family: named arguments as an object.

use std::collections::BTreeMap;

use depot_model::Message;
use serde::Serialize;

/// `vcf.fleet_lcm.model.localizable_message`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalizableMessage {
    /// Message key.
    pub id: String,
    /// English text.
    pub default_message: String,
    /// Text in the caller's locale (English only).
    pub localized_message: String,
    /// Named arguments.
    pub args: BTreeMap<String, String>,
}

impl From<&Message> for LocalizableMessage {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.clone(),
            default_message: m.default.clone(),
            localized_message: m.default.clone(),
            args: m.args.iter().cloned().collect(),
        }
    }
}
