//! Credentials as presented in request headers.

use axum::http::HeaderMap;
use base64::Engine;
use depot_auth::Secret;

/// The vSphere session header.
pub const SESSION_HEADER: &str = "vmware-api-session-id";

/// What a request presents to prove who it is.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// `Authorization: Basic base64(user:password)`.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: Secret,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// `vmware-api-session-id: <id>` (header, or the legacy `/rest` cookie).
    SessionId(Secret),
    /// An `Authorization` header that cannot be read.
    Malformed,
}

impl Credentials {
    /// Reads the `Authorization` header (Basic or Bearer).
    pub fn authorization(headers: &HeaderMap) -> Option<Self> {
        let value = headers.get(axum::http::header::AUTHORIZATION)?;
        let Ok(value) = value.to_str() else {
            return Some(Credentials::Malformed);
        };
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
            return Some(Credentials::Bearer(Secret::new(rest)));
        }
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(decode_basic(rest).unwrap_or(Credentials::Malformed));
        }
        Some(Credentials::Malformed)
    }

    /// Reads the vSphere session header.
    pub fn session_id(headers: &HeaderMap) -> Option<Self> {
        headers
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|v| Credentials::SessionId(Secret::new(v.trim())))
    }

    /// Reads the vSphere session cookie, `Cookie: vmware-api-session-id=<id>`, which
    /// the legacy `/rest` login sets (only the legacy routes read it).
    pub fn session_cookie(headers: &HeaderMap) -> Option<Self> {
        headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name.trim() == SESSION_HEADER).then(|| value.trim().trim_matches('"'))
            })
            .map(|v| Credentials::SessionId(Secret::new(v)))
    }
}

fn decode_basic(encoded: &str) -> Option<Credentials> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some(Credentials::Basic {
        user: user.to_owned(),
        password: Secret::new(password),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn parses_schemes() {
        let basic = base64::engine::general_purpose::STANDARD.encode("admin@x:p:w");
        match Credentials::authorization(&headers("authorization", &format!("Basic {basic}"))) {
            Some(Credentials::Basic { user, password }) => {
                assert_eq!(user, "admin@x");
                assert_eq!(password.expose(), "p:w");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Credentials::authorization(&headers("authorization", "bearer abc")),
            Some(Credentials::Bearer(t)) if t.expose() == "abc"
        ));
        assert!(matches!(
            Credentials::authorization(&headers("authorization", "Basic !!!")),
            Some(Credentials::Malformed)
        ));
        assert!(matches!(
            Credentials::authorization(&headers("authorization", "Digest x")),
            Some(Credentials::Malformed)
        ));
        assert!(Credentials::authorization(&HeaderMap::new()).is_none());
        assert!(matches!(
            Credentials::session_id(&headers("vmware-api-session-id", "s1")),
            Some(Credentials::SessionId(s)) if s.expose() == "s1"
        ));
    }

    #[test]
    fn reads_the_session_cookie_among_others() {
        let mut h = headers("cookie", "a=1; vmware-api-session-id=s2 ; b=2");
        assert!(matches!(
            Credentials::session_cookie(&h),
            Some(Credentials::SessionId(s)) if s.expose() == "s2"
        ));
        h.insert(
            "cookie",
            HeaderValue::from_static("x-vmware-api-session-id=no"),
        );
        assert!(Credentials::session_cookie(&h).is_none());
        h.append(
            "cookie",
            HeaderValue::from_static("vmware-api-session-id=\"s3\""),
        );
        assert!(matches!(
            Credentials::session_cookie(&h),
            Some(Credentials::SessionId(s)) if s.expose() == "s3"
        ));
        assert!(Credentials::session_cookie(&HeaderMap::new()).is_none());
    }
}
