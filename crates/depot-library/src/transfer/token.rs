//! Unguessable transfer tokens: the capability in upload and download URLs.

use base64::Engine as _;

use crate::LibraryError;

/// Random bytes per token: 192 bits.
const TOKEN_BYTES: usize = 24;

/// A new token: 192 random bits from the OS, URL-safe base64 without padding.
pub(crate) fn new_token() -> Result<String, LibraryError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| LibraryError::TransferFailed(format!("no random bytes for a token: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_url_safe_and_differ() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
