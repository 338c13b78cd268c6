//! `TokenCreationSpec`, `TokenPair` and `RefreshToken`.

use serde::{Deserialize, Serialize};

/// `POST /v1/tokens` body. Only user name and password are accepted here: depotd has
/// no API keys or identity-provider tokens.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenCreationSpec {
    pub username: Option<String>,
    pub password: Option<String>,
    pub api_key: Option<String>,
    pub id_token: Option<String>,
}

/// `TokenPair`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: RefreshToken,
}

/// `RefreshToken`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RefreshToken {
    pub id: String,
}

/// A refresh token as sent to the refresh and revoke operations: the bare id as a
/// JSON string, or the `RefreshToken` object.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RefreshTokenInput {
    Bare(String),
    Object(RefreshToken),
}

impl RefreshTokenInput {
    /// The token id.
    pub fn id(&self) -> &str {
        match self {
            RefreshTokenInput::Bare(s) => s,
            RefreshTokenInput::Object(o) => &o.id,
        }
    }
}
