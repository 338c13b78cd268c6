//! The server's public base URL (`https://depot.example.com:8443`), for the absolute
//! URLs depotd hands out: upload and download endpoints, a library's publish URL.
//!
//! It is the configured `public_url` when one is set (a deployment behind a proxy or a
//! load balancer names itself), else the scheme depotd serves and the request's `Host`
//! — which clients set to the name they reached the server by. A `Host` that is not a
//! plain host name or address (with an optional port) is not echoed into URLs: the
//! listen address stands in for it.

use axum::http::{HeaderMap, header};

/// How the base URL of a request is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBase {
    configured: Option<String>,
    scheme: &'static str,
    fallback_host: String,
}

/// A configured public URL that cannot be one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("public_url {0:?} must be http:// or https:// and a host with an optional port, no path")]
pub struct InvalidPublicUrl(String);

impl PublicBase {
    /// From the configured `public_url` (checked), whether the server serves TLS, and the
    /// address it listens on.
    pub fn new(
        configured: Option<&str>,
        tls: bool,
        listen: &str,
    ) -> Result<Self, InvalidPublicUrl> {
        let configured = configured
            .map(|url| {
                let url = url.trim_end_matches('/');
                let host = url
                    .strip_prefix("https://")
                    .or_else(|| url.strip_prefix("http://"));
                match host {
                    Some(host) if is_host(host) => Ok(url.to_owned()),
                    _ => Err(InvalidPublicUrl(url.to_owned())),
                }
            })
            .transpose()?;
        Ok(Self {
            configured,
            scheme: if tls { "https" } else { "http" },
            fallback_host: listen.to_owned(),
        })
    }

    /// The base URL for a request with `headers`, without a trailing `/`.
    pub fn for_request(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.configured {
            return url.clone();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| is_host(h))
            .unwrap_or(&self.fallback_host);
        format!("{}://{host}", self.scheme)
    }
}

/// `name[:port]` or `[v6 address][:port]`: letters, digits, `.`, `-`, `_`; at most 255
/// characters.
fn is_host(text: &str) -> bool {
    if text.is_empty() || text.len() > 255 {
        return false;
    }
    let (name, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        if inside.is_empty()
            || !inside
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return false;
        }
        match after {
            "" => return true,
            _ => ("v6", after.strip_prefix(':')),
        }
    } else {
        match text.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (text, None),
        }
    };
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok());
    name_ok && port_ok
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn host(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn the_request_host_is_used_when_it_is_a_host() {
        let base = PublicBase::new(None, true, "127.0.0.1:8443").unwrap();
        assert_eq!(
            base.for_request(&host("depot.example.com:8443")),
            "https://depot.example.com:8443"
        );
        assert_eq!(base.for_request(&host("[::1]:8443")), "https://[::1]:8443");
        assert_eq!(base.for_request(&host("depot")), "https://depot");
        for bad in [
            "evil.com/x?",
            "a b",
            "host:port",
            "[::1",
            "x:99999",
            "user@host",
        ] {
            let headers = {
                let mut h = HeaderMap::new();
                h.insert(header::HOST, HeaderValue::from_str(bad).unwrap());
                h
            };
            assert_eq!(
                base.for_request(&headers),
                "https://127.0.0.1:8443",
                "{bad}"
            );
        }
        assert_eq!(
            base.for_request(&HeaderMap::new()),
            "https://127.0.0.1:8443"
        );
        let plain = PublicBase::new(None, false, "0.0.0.0:80").unwrap();
        assert_eq!(
            plain.for_request(&host("proxy.local")),
            "http://proxy.local"
        );
    }

    #[test]
    fn a_configured_url_wins_and_is_checked() {
        let base = PublicBase::new(Some("https://depot.example.com/"), false, "x").unwrap();
        assert_eq!(
            base.for_request(&host("other")),
            "https://depot.example.com"
        );
        for bad in ["ftp://x", "https://x/path", "depot.example.com", "https://"] {
            assert!(PublicBase::new(Some(bad), true, "x").is_err(), "{bad}");
        }
    }
}
