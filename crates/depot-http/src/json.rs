//! JSON body extractors whose rejections are [`Problem`]s naming the bad field.
//!
//! A body with content must say it is JSON (`application/json`, or any
//! `application/*+json`): anything else is refused with 415, as a form post from
//! `curl -d` would otherwise be read as JSON by accident.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Problem;

/// A JSON request body (empty means `{}` only where the target type allows it) or a
/// JSON response.
#[derive(Debug, Clone, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        JsonBody::from_request(req, state).await?.parse().map(Json)
    }
}

/// A JSON request body read (within the body limit) but not yet parsed: a handler
/// checks the caller's privilege first, so a caller without it learns nothing from
/// the parser's hints.
#[derive(Debug, Clone)]
pub struct JsonBody {
    bytes: Bytes,
    declared_json: bool,
}

impl JsonBody {
    /// A body as read, with the request's headers.
    pub fn new(bytes: Bytes, headers: &HeaderMap) -> Self {
        Self {
            bytes,
            declared_json: is_json(headers),
        }
    }

    /// The body parsed as `T`: 415 when it has content but no JSON content type, 400
    /// naming the bad field when it does not parse.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        self.check_type()?;
        parse(&self.bytes)
    }

    /// 415 when the body has content but no JSON content type.
    pub fn check_type(&self) -> Result<(), Problem> {
        if self.declared_json || self.bytes.iter().all(u8::is_ascii_whitespace) {
            Ok(())
        } else {
            Err(not_json())
        }
    }

    /// The raw bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let declared_json = is_json(req.headers());
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = if crate::body_rate::is_too_slow(&e) {
                StatusCode::REQUEST_TIMEOUT
            } else {
                e.status()
            };
            Problem::from_status(status, &e.body_text())
        })?;
        Ok(Self {
            bytes,
            declared_json,
        })
    }
}

/// Whether `Content-Type` names JSON: `application/json` or `application/*+json`,
/// any case, with or without parameters.
pub fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json")
            || sub.len() > 5 && sub[sub.len() - 5..].eq_ignore_ascii_case("+json"))
}

fn not_json() -> Problem {
    Problem::invalid(
        "UNSUPPORTED_MEDIA_TYPE",
        "The request body must be JSON, sent with Content-Type: application/json",
    )
    .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
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
    use axum::http::HeaderValue;

    #[test]
    fn json_content_types() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(v));
            h
        };
        for yes in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.api+json",
        ] {
            assert!(is_json(&with(yes)), "{yes}");
        }
        for no in [
            "application/x-www-form-urlencoded",
            "text/json",
            "application/jsonx",
            "application/+json",
            "multipart/form-data; boundary=x",
        ] {
            assert!(!is_json(&with(no)), "{no}");
        }
        assert!(!is_json(&HeaderMap::new()));

        let form = JsonBody::new(Bytes::from_static(b"{}"), &with("text/plain"));
        assert_eq!(
            form.parse::<serde_json::Value>().unwrap_err().status,
            Some(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        );
        // An empty body needs no type.
        let empty = JsonBody::new(Bytes::from_static(b" "), &HeaderMap::new());
        assert!(empty.parse::<serde_json::Value>().is_ok());
    }

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
