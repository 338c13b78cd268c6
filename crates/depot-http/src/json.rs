//! A JSON body extractor whose rejections are [`Problem`]s naming the bad field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Problem;

/// A JSON request body (any content type is accepted; empty means `{}` only where
/// the target type allows it) or a JSON response.
#[derive(Debug, Clone, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = if crate::body_rate::is_too_slow(&e) {
                StatusCode::REQUEST_TIMEOUT
            } else {
                e.status()
            };
            Problem::from_status(status, &e.body_text())
        })?;
        parse(&bytes).map(Json)
    }
}

/// Parses a JSON document, naming the path of the first bad field on failure.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            bad_json(format!("Invalid JSON body: {inner}"))
        } else {
            bad_json(format!("Invalid JSON body at {path}: {inner}"))
        }
    })?;
    de.end()
        .map_err(|e| bad_json(format!("Invalid JSON body: {e}")))?;
    Ok(value)
}

fn bad_json(text: String) -> Problem {
    Problem::invalid("INVALID_JSON", text).with_status(StatusCode::BAD_REQUEST)
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be deserialized")]
    struct Spec {
        name: String,
        inner: Inner,
    }

    #[derive(serde::Deserialize, Debug)]
    #[expect(dead_code, reason = "fields exist to be deserialized")]
    struct Inner {
        size: u64,
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse::<Spec>(br#"{"name": "a", "inner": {"size": "big"}}"#).unwrap_err();
        assert!(
            e.message.default.contains("inner.size"),
            "{}",
            e.message.default
        );
        let e = parse::<Spec>(br#"{"name": "a", "inner": {"size": 1}, "extra": 1}"#).unwrap_err();
        assert!(e.message.default.contains("extra"), "{}", e.message.default);
        let e = parse::<Spec>(br#"{"name": "a""#).unwrap_err();
        assert!(
            e.message.default.contains("Invalid JSON"),
            "{}",
            e.message.default
        );
        let e = parse::<Spec>(br#"{"name": "a", "inner": {"size": 1}} trailing"#).unwrap_err();
        assert!(
            e.message.default.contains("trailing"),
            "{}",
            e.message.default
        );
    }
}
