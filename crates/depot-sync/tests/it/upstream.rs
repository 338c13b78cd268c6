//! The fake upstream depot: HTTPS on 127.0.0.1 (certificate from a test CA), Basic auth
//! (offline depot) or a download token as the first path segment (online depot), the VCF
//! metadata layout with `ETag` / `Last-Modified` / `If-None-Match`, request counts per
//! path and status, and faults per path that tests change while it runs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::Bytes;
use depot_blobs::Sha256Digest;
use depot_catalog::testkit::CatalogSpec;
use futures_util::StreamExt as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio::sync::Semaphore;

pub const CATALOG: &str = "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.json";
pub const SIGNATURE: &str = "PROD/metadata/productVersionCatalog/v1/productVersionCatalog.sig";
pub const MANIFEST: &str = "PROD/metadata/manifest/v1/vcfManifest.json";
pub const COMPATIBILITY: &str = "PROD/metadata/Compatibility/VmwareCompatibilityData.json";
/// Every file of the depot, in the order the sync fetches them.
pub const FILES: [&str; 4] = [CATALOG, SIGNATURE, MANIFEST, COMPATIBILITY];

pub const USER: &str = "depot-user";
pub const PASSWORD: &str = "pw-Q7x!depot";
pub const TOKEN: &str = "tok-5b0c9e7d41";
/// The sequence number of the catalog a new depot serves.
pub const FIRST_SEQUENCE: u64 = 5;

/// The test certificates: the depot's TLS chain and the catalog signer's.
pub struct Pki {
    /// The CA of the depot's TLS certificate (what the depot settings trust).
    pub tls_ca: String,
    /// A CA that issued nothing here.
    pub other_ca: String,
    server_cert: String,
    server_key: String,
    /// The CA of the catalog signer (the sync's trust store).
    pub catalog_ca: String,
    signer_cert: String,
    signer_key: String,
}

fn certificate_authority(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

fn issue(issuer: &Issuer<'static, KeyPair>, mut params: CertificateParams) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "depot test leaf");
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// The certificates, made once per test binary.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let (tls_ca, tls_issuer) = certificate_authority("Depot TLS Test CA");
        let (other_ca, _) = certificate_authority("Some Other CA");
        let server =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let (server_cert, server_key) = issue(&tls_issuer, server);
        let (catalog_ca, catalog_issuer) = certificate_authority("Catalog Signing Test CA");
        let mut signer = CertificateParams::default();
        signer.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let (signer_cert, signer_key) = issue(&catalog_issuer, signer);
        Pki {
            tls_ca,
            other_ca,
            server_cert,
            server_key,
            catalog_ca,
            signer_cert,
            signer_key,
        }
    })
}

/// A `.sig` envelope of `catalog` by the test signer.
pub fn sign(catalog: &[u8]) -> Vec<u8> {
    let pki = pki();
    depot_catalog::sign_catalog(
        catalog,
        "productVersionCatalog.json",
        pki.signer_key.as_bytes(),
        Some(pki.signer_cert.as_bytes()),
        None,
    )
    .unwrap()
    .into_bytes()
}

/// A catalog with `sequence` and `patches` generated patches (VCENTER has builds
/// `9.0.0.0.100000`, `…100005`, … one per five patches).
pub fn catalog(sequence: u64, patches: usize) -> Vec<u8> {
    CatalogSpec::new(sequence, patches).to_json()
}

/// A release manifest with `sequence` and `releases` (`(version, vcenter build)`).
pub fn manifest(sequence: u64, releases: &[(&str, &str)]) -> Vec<u8> {
    let releases: Vec<_> = releases
        .iter()
        .map(|(version, vcenter)| {
            serde_json::json!({"product": "VCF", "version": version,
                "bom": [{"name": "VCENTER", "version": vcenter, "publicName": "vCenter"}]})
        })
        .collect();
    serde_json::to_vec(
        &serde_json::json!({"version": 1, "sequenceNumber": sequence, "releases": releases}),
    )
    .unwrap()
}

/// The manifest a new depot serves.
pub fn first_manifest() -> Vec<u8> {
    manifest(
        1,
        &[("9.1.0.0", "9.1.0.0.100"), ("9.0.0.0", "9.0.0.0.100000")],
    )
}

/// How the depot authenticates requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// HTTP Basic with this user and password (offline depot).
    Basic(String, String),
    /// This download token as the first path segment (online depot).
    Token(String),
}

/// What goes wrong when a path is requested.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answers this status instead of the file.
    Status(u16),
    /// Sends the headers and half the file, then stalls for this long.
    Slow(Duration),
    /// Announces the whole length, sends half and cuts the connection.
    Truncated,
    /// Answers only once the semaphore is closed.
    Hold(Arc<Semaphore>),
}

struct File {
    body: Bytes,
    etag: String,
    last_modified: String,
}

struct Depot {
    access: Access,
    files: HashMap<String, File>,
    /// Fault and how many more requests it hits (`None`: all).
    faults: HashMap<String, (Fault, Option<u32>)>,
    /// Requests per depot path, counted when they arrive.
    requests: HashMap<String, u32>,
    /// Answers per depot path and status.
    answers: HashMap<(String, u16), u32>,
    /// Bumped by every publish: the next `Last-Modified`.
    revision: i64,
}

type Shared = Arc<Mutex<Depot>>;

fn lock(depot: &Shared) -> MutexGuard<'_, Depot> {
    depot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake depot.
pub struct Upstream {
    pub addr: SocketAddr,
    depot: Shared,
    handle: axum_server::Handle<SocketAddr>,
    server: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Upstream {
    /// A depot serving catalog [`FIRST_SEQUENCE`] (signed), [`first_manifest`] and
    /// compatibility data.
    pub async fn start(access: Access) -> Self {
        let depot = Arc::new(Mutex::new(Depot {
            access,
            files: HashMap::new(),
            faults: HashMap::new(),
            requests: HashMap::new(),
            answers: HashMap::new(),
            revision: 0,
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let pki = pki();
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
            pki.server_cert.clone().into_bytes(),
            pki.server_key.clone().into_bytes(),
        )
        .await
        .unwrap();
        let app = Router::new().fallback(serve).with_state(Arc::clone(&depot));
        let handle = axum_server::Handle::new();
        let server = axum_server::from_tcp_rustls(listener, tls)
            .unwrap()
            .handle(handle.clone());
        let server = tokio::spawn(async move {
            server.serve(app.into_make_service()).await.unwrap();
        });
        let upstream = Self {
            addr,
            depot,
            handle,
            server: Mutex::new(Some(server)),
        };
        upstream.publish_catalog(FIRST_SEQUENCE, 3);
        upstream.publish(MANIFEST, first_manifest());
        upstream.publish(COMPATIBILITY, br#"{"compatibility": []}"#.to_vec());
        upstream
    }

    /// The depot's base URL (`https://127.0.0.1:<port>/`).
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/", self.addr.port())
    }

    /// Serves `body` at `path` from now on (new `ETag` and `Last-Modified`).
    pub fn publish(&self, path: &str, body: impl Into<Bytes>) {
        let body = body.into();
        let mut depot = lock(&self.depot);
        depot.revision += 1;
        let modified = chrono::DateTime::from_timestamp(1_742_550_000 + depot.revision, 0)
            .unwrap()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let etag = format!("\"{}\"", &Sha256Digest::compute(&body).to_string()[..16]);
        let file = File {
            body,
            etag,
            last_modified: modified,
        };
        depot.files.insert(path.to_owned(), file);
    }

    /// Publishes a catalog and its correct signature; returns the catalog.
    pub fn publish_catalog(&self, sequence: u64, patches: usize) -> Vec<u8> {
        let catalog = catalog(sequence, patches);
        self.publish(SIGNATURE, sign(&catalog));
        self.publish(CATALOG, catalog.clone());
        catalog
    }

    /// Stops serving `path` (404).
    pub fn remove(&self, path: &str) {
        lock(&self.depot).files.remove(path);
    }

    /// The content served at `path`.
    pub fn content(&self, path: &str) -> Bytes {
        lock(&self.depot).files[path].body.clone()
    }

    /// The SHA-256 of what is served at `path`.
    pub fn digest(&self, path: &str) -> Sha256Digest {
        Sha256Digest::compute(&self.content(path))
    }

    /// Every request to `path` hits `fault`.
    pub fn fault(&self, path: &str, fault: Fault) {
        lock(&self.depot)
            .faults
            .insert(path.to_owned(), (fault, None));
    }

    /// The next `times` requests to `path` hit `fault`.
    pub fn fault_times(&self, path: &str, fault: Fault, times: u32) {
        lock(&self.depot)
            .faults
            .insert(path.to_owned(), (fault, Some(times)));
    }

    /// Removes every fault.
    pub fn heal(&self) {
        lock(&self.depot).faults.clear();
    }

    /// Changes the credentials the depot accepts.
    pub fn set_access(&self, access: Access) {
        lock(&self.depot).access = access;
    }

    /// Requests that reached `path` (after authentication).
    pub fn requests(&self, path: &str) -> u32 {
        lock(&self.depot).requests.get(path).copied().unwrap_or(0)
    }

    /// Answers with `status` to requests for `path`.
    pub fn answers(&self, path: &str, status: u16) -> u32 {
        let depot = lock(&self.depot);
        depot
            .answers
            .get(&(path.to_owned(), status))
            .copied()
            .unwrap_or(0)
    }

    /// Answers to requests for every file, as `[200s, 304s]` per file of [`FILES`].
    pub fn tally(&self) -> Vec<[u32; 2]> {
        FILES
            .iter()
            .map(|f| [self.answers(f, 200), self.answers(f, 304)])
            .collect()
    }

    /// Stops the server and closes its port: connections are refused from now on.
    pub async fn stop(&self) {
        self.handle.shutdown();
        let server = self
            .server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(server) = server {
            server.await.unwrap();
        }
    }
}

impl Access {
    /// The depot path of a request, or the status refusing it.
    fn check(&self, headers: &HeaderMap, path: &str) -> Result<String, StatusCode> {
        let path = path.trim_start_matches('/');
        match self {
            Access::Basic(user, password) => {
                let expected = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
                );
                let given = headers.get(header::AUTHORIZATION);
                if given.is_some_and(|v| v == expected.as_str()) {
                    Ok(path.to_owned())
                } else {
                    Err(StatusCode::UNAUTHORIZED)
                }
            }
            Access::Token(token) => match path.split_once('/') {
                Some((given, rest)) if given == token => Ok(rest.to_owned()),
                _ => Err(StatusCode::FORBIDDEN),
            },
        }
    }
}

/// Every request: authenticate, count, apply the path's fault, answer.
async fn serve(State(depot): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let (path, fault) = {
        let mut d = lock(&depot);
        let path = match d.access.check(&headers, uri.path()) {
            Ok(path) => path,
            Err(status) => {
                let redacted = format!("refused:{}", status.as_u16());
                *d.answers.entry((redacted, status.as_u16())).or_default() += 1;
                let mut response = status.into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Basic realm=\"depot\""),
                );
                return response;
            }
        };
        *d.requests.entry(path.clone()).or_default() += 1;
        let fault = match d.faults.get_mut(&path) {
            Some((fault, None)) => Some(fault.clone()),
            Some((fault, Some(left))) => {
                let fault = fault.clone();
                *left -= 1;
                if *left == 0 {
                    d.faults.remove(&path);
                }
                Some(fault)
            }
            None => None,
        };
        (path, fault)
    };
    if let Some(Fault::Hold(gate)) = &fault {
        // Closed means released.
        let _ = gate.acquire().await;
    }
    let mut d = lock(&depot);
    let response = answer(&d, &path, fault.as_ref(), &headers);
    *d.answers
        .entry((path, response.status().as_u16()))
        .or_default() += 1;
    response
}

fn answer(depot: &Depot, path: &str, fault: Option<&Fault>, headers: &HeaderMap) -> Response {
    if let Some(Fault::Status(status)) = fault {
        return StatusCode::from_u16(*status).unwrap().into_response();
    }
    let Some(file) = depot.files.get(path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let validators = [
        (header::ETAG, file.etag.clone()),
        (header::LAST_MODIFIED, file.last_modified.clone()),
    ];
    let not_modified = match headers.get(header::IF_NONE_MATCH) {
        Some(tag) => tag == file.etag.as_str(),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .is_some_and(|since| since == file.last_modified.as_str()),
    };
    let body = file.body.clone();
    let half = body.slice(..body.len() / 2);
    let rest = body.slice(body.len() / 2..);
    let length = [(header::CONTENT_LENGTH, body.len().to_string())];
    match fault {
        Some(Fault::Slow(stall)) => {
            let stall = *stall;
            let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(half)]).chain(
                futures_util::stream::once(async move {
                    tokio::time::sleep(stall).await;
                    Ok(rest)
                }),
            );
            (validators, length, Body::from_stream(stream)).into_response()
        }
        Some(Fault::Truncated) => {
            // The pause lets hyper flush the headers and the first half before the error
            // makes it drop the connection.
            let stream =
                futures_util::stream::iter([Ok(half)]).chain(futures_util::stream::once(async {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Err(std::io::Error::other("connection cut by the test"))
                }));
            (validators, length, Body::from_stream(stream)).into_response()
        }
        _ if not_modified => (StatusCode::NOT_MODIFIED, validators).into_response(),
        _ => (validators, body).into_response(),
    }
}
