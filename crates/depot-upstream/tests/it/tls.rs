//! HTTPS: trusted certificates as PEM are the only anchors; others are rejected.

use depot_upstream::{
    ConnectionCode, DepotClient, DepotSettings, DownloadSettings, Downloader, Thumbprint,
    ThumbprintAlgorithm,
};

use crate::download::{at, one};

use crate::upstream::{SMALL_BODY, Upstream};
use crate::{fetch, fetched, settings, store};

/// A self-signed certificate for localhost and 127.0.0.1: (cert PEM, key PEM).
fn self_signed() -> (String, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

#[tokio::test]
async fn trusted_certificate_is_accepted() {
    let (cert, key) = self_signed();
    let upstream = Upstream::https(&cert, &key).await;
    let (store, _dir) = store().await;
    for host in ["localhost", "127.0.0.1"] {
        let mut settings = settings(&format!("https://{host}:{}/", upstream.addr.port()));
        settings.trusted_certificates = vec![cert.clone()];
        let client = DepotClient::new(&settings).unwrap();

        let got = fetched(fetch(&client, &store, "files/small.json").await.unwrap());
        assert_eq!(got.blob.size, SMALL_BODY.len() as u64);
        let status = client.test_connection().await;
        assert_eq!(status.code, ConnectionCode::Successful, "{status:?}");
    }
}

#[tokio::test]
async fn other_certificates_are_untrusted() {
    let (cert, key) = self_signed();
    let (other, _) = self_signed();
    let upstream = Upstream::https(&cert, &key).await;
    let (store, _dir) = store().await;
    let base = format!("https://localhost:{}/", upstream.addr.port());

    // Only the given anchor is trusted; and with none given, the platform roots do not
    // know a self-signed certificate either.
    for trusted in [vec![other], vec![]] {
        let mut settings = settings(&base);
        settings.trusted_certificates = trusted;
        let client = DepotClient::new(&settings).unwrap();

        let err = fetch(&client, &store, "files/small.json")
            .await
            .unwrap_err();
        assert_eq!(err.code(), "DEPOT_UNTRUSTED_CERTIFICATE", "{err}");
        assert!(err.to_string().contains("localhost"), "{err}");
        let status = client.test_connection().await;
        assert_eq!(
            status.code,
            ConnectionCode::UntrustedCertificate,
            "{status:?}"
        );
    }
    assert_eq!(upstream.hits.get("/files/small.json"), 0);
}

#[tokio::test]
async fn garbage_certificate_is_a_bad_certificate() {
    let (cert, _) = self_signed();
    let mut settings = settings("https://localhost/");
    settings.trusted_certificates = vec![cert, "MIIB... not a PEM".to_owned()];

    let err = DepotClient::new(&settings).unwrap_err();

    assert_eq!(err.code(), "DEPOT_BAD_CERTIFICATE", "{err}");
    assert!(err.to_string().contains("#2"), "{err}");
}

/// The DER of a PEM certificate.
fn der(pem: &str) -> Vec<u8> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn a_pinned_thumbprint_trusts_that_certificate_and_no_other() {
    let certified = rcgen::generate_simple_self_signed(vec!["depot.example".to_owned()]).unwrap();
    let (cert, key) = (certified.cert.pem(), certified.signing_key.serialize_pem());
    let (other, _) = self_signed();
    let upstream = Upstream::https(&cert, &key).await;
    let (store, _dir) = store().await;
    // The pin, not the name, decides: the certificate is for depot.example only.
    let base = format!("https://127.0.0.1:{}/", upstream.addr.port());
    for algorithm in [ThumbprintAlgorithm::Sha1, ThumbprintAlgorithm::Sha256] {
        let pin = Thumbprint::of(algorithm, &der(&cert));
        let mut settings = settings(&base);
        // A pin replaces the anchors: another CA listed there changes nothing.
        settings.trusted_certificates = vec![other.clone()];
        settings.pinned_thumbprint = Some(pin.to_string().parse().unwrap());
        let client = DepotClient::new(&settings).unwrap();
        let got = fetched(fetch(&client, &store, "files/small.json").await.unwrap());
        assert_eq!(got.blob.size, SMALL_BODY.len() as u64);

        let wrong = Thumbprint::of(algorithm, &der(&other));
        settings.pinned_thumbprint = Some(wrong.clone());
        let client = DepotClient::new(&settings).unwrap();
        let err = fetch(&client, &store, "files/small.json")
            .await
            .unwrap_err();
        assert_eq!(err.code(), "DEPOT_UNTRUSTED_CERTIFICATE", "{err}");
        let text = err.to_string();
        assert!(
            text.contains(&pin.to_string()) && text.contains(&wrong.to_string()),
            "names both thumbprints: {text}"
        );
    }
    assert_eq!(upstream.hits.get("/files/small.json"), 2);
}

#[tokio::test]
async fn the_downloader_keeps_to_the_pinned_thumbprint() {
    let (cert, key) = self_signed();
    let (other, _) = self_signed();
    let upstream = Upstream::https(&cert, &key).await;
    let (store, _dir) = store().await;
    let mut settings = settings(&format!("https://127.0.0.1:{}/", upstream.addr.port()));
    settings.pinned_thumbprint = Some(Thumbprint::of(ThumbprintAlgorithm::Sha256, &der(&cert)));
    let downloader = |settings: &DepotSettings| {
        Downloader::new(
            DepotClient::new(settings).unwrap(),
            DownloadSettings::default(),
        )
    };

    let done = one(&downloader(&settings), &store, at("big/1/file"))
        .await
        .unwrap();
    assert_eq!(done.blob.size, 1 << 20);

    settings.pinned_thumbprint = Some(Thumbprint::of(ThumbprintAlgorithm::Sha256, &der(&other)));
    let err = one(&downloader(&settings), &store, at("big/2/file"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "DEPOT_UNTRUSTED_CERTIFICATE", "{err}");
    assert_eq!(upstream.hits.get("/big/2/file"), 0);
}
