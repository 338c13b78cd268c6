//! [`DepotClient`]: settings parsed once into an HTTP client for one upstream depot.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Certificate, Client, Proxy, RequestBuilder, redirect};

use crate::dns::SystemResolver;
use crate::error::UpstreamError;
use crate::location::{DepotPath, Locator, PathTemplate, parse_http_url};
use crate::settings::{DepotAuth, DepotSettings, RetryPolicy, Timeouts};
use depot_model::Secret;

/// Redirects followed per request (a depot may send downloads to a CDN).
const MAX_REDIRECTS: usize = 5;

/// A client for one upstream depot: fetches files into a blob store
/// ([`fetch`](Self::fetch)) and checks the settings ([`test_connection`](Self::test_connection)).
///
/// Cheap to clone; clones share the connection pool. `Debug` shows no secrets (and not the
/// proxy URL, which may hold a password).
#[derive(Clone)]
pub struct DepotClient {
    pub(crate) http: Client,
    pub(crate) locator: Arc<Locator>,
    pub(crate) basic: Option<(String, Secret)>,
    pub(crate) header: Option<(reqwest::header::HeaderName, Secret)>,
    pub(crate) timeouts: Timeouts,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_file_size: u64,
    pub(crate) probe_path: DepotPath,
}

impl DepotClient {
    /// Parses `settings` and builds the client. Fails with `DEPOT_BAD_URL`,
    /// `DEPOT_BAD_CERTIFICATE` or `DEPOT_INVALID_CREDENTIAL` (unusable token) naming what
    /// to fix; nothing is sent yet.
    pub fn new(settings: &DepotSettings) -> Result<Self, UpstreamError> {
        let header = match &settings.auth {
            DepotAuth::Header { name, value } => Some(credential_header(name, value)?),
            _ => None,
        };
        let (basic, token) = match &settings.auth {
            DepotAuth::None | DepotAuth::Header { .. } => (None, None),
            DepotAuth::Basic { username, password } => {
                (Some((username.clone(), password.clone())), None)
            }
            DepotAuth::DownloadToken {
                token,
                path_template,
            } => (
                None,
                Some((token.clone(), PathTemplate::parse(path_template)?)),
            ),
        };
        let locator = Locator::new(&settings.base_url, token)?;
        let probe_path = DepotPath::parse(&settings.probe_path)?;
        let http = build_http(settings)?;
        Ok(Self {
            http,
            locator: Arc::new(locator),
            basic,
            header,
            timeouts: settings.timeouts,
            retry: settings.retry,
            max_file_size: settings.max_file_size,
            probe_path,
        })
    }

    /// A GET of `url` with authentication, and the request timeout if one is set.
    pub(crate) fn get(&self, url: reqwest::Url) -> RequestBuilder {
        self.get_as(url, true)
    }

    /// A GET of `url`, with the depot's credentials only when `authenticated` (never for a
    /// URL on another host: they are the depot's, not that host's).
    pub(crate) fn get_as(&self, url: reqwest::Url, authenticated: bool) -> RequestBuilder {
        let mut request = self.http.get(url);
        if let Some((username, password)) = self.basic.as_ref().filter(|_| authenticated) {
            request = request.basic_auth(username, Some(password.expose()));
        }
        if let Some((name, value)) = self.header.as_ref().filter(|_| authenticated) {
            request = request.header(name, value.expose());
        }
        if let Some(total) = self.timeouts.request {
            request = request.timeout(total);
        }
        request
    }
}

/// The credential header `name: value`, both checked to be sendable.
fn credential_header(
    name: &str,
    value: &Secret,
) -> Result<(reqwest::header::HeaderName, Secret), UpstreamError> {
    let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        UpstreamError::BadToken {
            reason: "the authentication header name is not a valid HTTP header name",
        }
    })?;
    if reqwest::header::HeaderValue::from_str(value.expose()).is_err() {
        return Err(UpstreamError::BadToken {
            reason: "the authentication header value holds characters a header cannot carry",
        });
    }
    Ok((name, value.clone()))
}

impl fmt::Debug for DepotClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DepotClient")
            .field("host", &self.locator.host())
            .field("basic_user", &self.basic.as_ref().map(|(user, _)| user))
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("max_file_size", &self.max_file_size)
            .field("probe_path", &self.probe_path)
            .finish_non_exhaustive()
    }
}

/// The `reqwest` client: trust anchors, proxy, timeouts, user agent, our DNS resolver.
fn build_http(settings: &DepotSettings) -> Result<Client, UpstreamError> {
    let mut builder = Client::builder()
        .user_agent(settings.user_agent.as_str())
        .connect_timeout(settings.timeouts.connect)
        .read_timeout(settings.timeouts.read)
        .redirect(redirect::Policy::limited(MAX_REDIRECTS))
        .dns_resolver(SystemResolver)
        .pool_idle_timeout(Duration::from_mins(1));
    if let Some(pin) = &settings.pinned_thumbprint {
        builder = builder.tls_backend_preconfigured(crate::pin::pinned_tls(pin));
    } else {
        let anchors = trust_anchors(&settings.trusted_certificates)?;
        if !anchors.is_empty() {
            builder = builder.tls_certs_only(anchors);
        }
    }
    builder = match &settings.proxy_url {
        None => builder.no_proxy(),
        Some(proxy) => {
            let url = parse_http_url("proxy URL", proxy, true)?;
            let proxy = Proxy::all(url).map_err(|source| UpstreamError::ClientSetup {
                source: source.without_url(),
            })?;
            builder.proxy(proxy)
        }
    };
    builder
        .build()
        .map_err(|source| UpstreamError::ClientSetup { source })
}

/// Parses the trusted certificates (each a PEM string, possibly a chain) and checks that
/// each certificate can be a trust anchor.
fn trust_anchors(pems: &[String]) -> Result<Vec<Certificate>, UpstreamError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;

    let mut anchors = Vec::new();
    for (index, pem) in pems.iter().enumerate() {
        let bad = |reason: String| UpstreamError::BadCertificate {
            number: index + 1,
            reason,
        };
        let ders = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| bad(format!("invalid PEM: {err}")))?;
        if ders.is_empty() {
            return Err(bad(
                "no `-----BEGIN CERTIFICATE-----` block found".to_owned()
            ));
        }
        for der in ders {
            let mut store = rustls::RootCertStore::empty();
            store
                .add(der.clone())
                .map_err(|err| bad(format!("not a usable X.509 certificate: {err}")))?;
            let cert = Certificate::from_der(der.as_ref()).map_err(|err| bad(err.to_string()))?;
            anchors.push(cert);
        }
    }
    Ok(anchors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_pem_certificates() {
        for (pem, fragment) in [
            ("hello", "no `-----BEGIN CERTIFICATE-----`"),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "not a usable X.509",
            ),
            ("-----BEGIN CERTIFICATE-----\n!!!!\n", "invalid PEM"),
        ] {
            let err = trust_anchors(&[pem.to_owned()]).expect_err(pem);
            assert_eq!(err.code(), "DEPOT_BAD_CERTIFICATE");
            assert!(err.to_string().contains(fragment), "{err}");
            assert!(err.to_string().contains("#1"), "{err}");
        }
    }

    #[test]
    fn rejects_bad_settings_with_codes() {
        let cases = [
            ("ftp://depot.example.com/", "DEPOT_BAD_URL"),
            ("https://user:pw@depot.example.com/", "DEPOT_BAD_URL"),
            ("https://depot.example.com/?a=b", "DEPOT_BAD_URL"),
            ("not a url", "DEPOT_BAD_URL"),
        ];
        for (url, code) in cases {
            let err = DepotClient::new(&DepotSettings::new(url)).expect_err(url);
            assert_eq!(err.code(), code, "{url}");
            assert!(!err.to_string().contains("pw"), "{err}");
        }
        let mut settings = DepotSettings::new("https://depot.example.com/");
        settings.proxy_url = Some("socks5://proxy:1080".to_owned());
        assert_eq!(
            DepotClient::new(&settings).expect_err("socks").code(),
            "DEPOT_BAD_URL"
        );
        settings.proxy_url = Some("http://u:proxy-pw@proxy:3128".to_owned());
        let client = DepotClient::new(&settings).expect("proxy with credentials");
        assert!(!format!("{client:?}").contains("proxy-pw"), "{client:?}");
        settings.auth = DepotAuth::DownloadToken {
            token: Secret::new("a/b"),
            path_template: "{token}/{path}".to_owned(),
        };
        let err = DepotClient::new(&settings).expect_err("bad token");
        assert_eq!(err.code(), "DEPOT_INVALID_CREDENTIAL");
        assert!(!err.to_string().contains("a/b"), "{err}");
    }
}
