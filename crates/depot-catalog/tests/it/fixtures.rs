//! Shared fixtures: the seed catalog and a small PKI built with rcgen.

use base64::Engine as _;
use chrono::{TimeZone as _, Utc};
use depot_catalog::{CatalogError, TrustStore};
use depot_model::Timestamp;
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SignatureAlgorithm, SigningKey as _, date_time_ymd,
};
use serde_json::Value;

/// The catalog of seed 001 (the SDDC Manager documentation example), byte for byte.
pub const SEED: &[u8] = include_bytes!("../fixtures/pvc_seed.json");

/// The seed with `change` applied (re-serialized compactly).
pub fn seed_with(change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(SEED).expect("seed is JSON");
    change(&mut value);
    serde_json::to_vec(&value).expect("value serializes")
}

/// The error of parsing `bytes`, which must fail.
pub fn parse_error(bytes: &[u8]) -> CatalogError {
    depot_catalog::parse_catalog(bytes).expect_err("catalog must be refused")
}

/// "Now" for signature tests: inside the default validity 2020–2040.
pub fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// An RSA-1024 public key (too weak to be trusted).
pub const RSA_1024_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQD4E+vLut0AB08YGx73G+wcYpAH
Z1sqtOp+lzdzXk2NpG5O04eHSiuL5J7qrAYgx0FrJ64jNtHxIRaMTMoetuqpDSV3
2dBWHzxHbM03EA+F0xGKF6avpv26oURuqys0Fh3M0g0LQWeDGonSdFJOlSE+ZleV
M6KYuUtVObF51hpj9QIDAQAB
-----END PUBLIC KEY-----
";

/// An ECDSA P-521 public key (unsupported curve).
pub const P521_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQAFi7nDuP/laJonC7geYIt8ZjTNmoN
SYpkgQ8KnnEA5FCzTNwp7bUVc/L3MJW8QChCaOmmNDaXTwhHtPY9L1ue5woBEH8t
VdrUVSOp9St8fmKKoZPFeae3d3HyIrOPztz2FWwyUwYbgQ22GaciP8BywXcc9nfj
v2F0VOOolC513xeegcw=
-----END PUBLIC KEY-----
";

/// An Ed448 public key (unsupported algorithm).
pub const ED448_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MEMwBQYDK2VxAzoAUYENv9/mXnyBNTGxL8FG/3HacXReMADkuaAiRmRTtuyrFzh3
ZKiAvBW+Y1T/THLbEDgDkl63SKKA
-----END PUBLIC KEY-----
";

/// Key algorithms the tests sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rsa2048,
    P256,
    P384,
    Ed25519,
    /// Not supported by depot-catalog; for refusal tests.
    P521,
}

impl Alg {
    pub const ALL: [Alg; 4] = [Alg::Rsa2048, Alg::P256, Alg::P384, Alg::Ed25519];

    fn rcgen(self) -> &'static SignatureAlgorithm {
        match self {
            Alg::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
            Alg::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Alg::P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            Alg::Ed25519 => &rcgen::PKCS_ED25519,
            Alg::P521 => &rcgen::PKCS_ECDSA_P521_SHA512,
        }
    }

    /// A fresh key pair.
    pub fn key(self) -> KeyPair {
        KeyPair::generate_for(self.rcgen()).expect("key generation")
    }
}

/// A certificate authority (root or intermediate).
pub struct Ca {
    pub cert: Certificate,
    issuer: Issuer<'static, KeyPair>,
}

/// A signing certificate with its key.
pub struct Leaf {
    pub cert: Certificate,
    pub key: KeyPair,
}

/// Validity and key usage of a generated certificate.
#[derive(Clone)]
pub struct Profile {
    pub not_before: (i32, u8, u8),
    pub not_after: (i32, u8, u8),
    pub key_usages: Vec<KeyUsagePurpose>,
    pub extended_key_usages: Vec<ExtendedKeyUsagePurpose>,
    pub is_ca: bool,
    /// pathLenConstraint of a CA.
    pub path_len: Option<u8>,
}

impl Profile {
    /// A code-signing leaf valid 2020–2040.
    pub fn leaf() -> Self {
        Self {
            not_before: (2020, 1, 1),
            not_after: (2040, 1, 1),
            key_usages: vec![KeyUsagePurpose::DigitalSignature],
            extended_key_usages: Vec::new(),
            is_ca: false,
            path_len: None,
        }
    }

    /// A CA valid 2020–2040.
    pub fn ca() -> Self {
        Self {
            key_usages: vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign],
            is_ca: true,
            ..Self::leaf()
        }
    }

    fn params(&self, name: &str) -> CertificateParams {
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.not_before = date_time_ymd(self.not_before.0, self.not_before.1, self.not_before.2);
        params.not_after = date_time_ymd(self.not_after.0, self.not_after.1, self.not_after.2);
        params.key_usages.clone_from(&self.key_usages);
        params
            .extended_key_usages
            .clone_from(&self.extended_key_usages);
        params.is_ca = match (self.is_ca, self.path_len) {
            (false, _) => IsCa::NoCa,
            (true, None) => IsCa::Ca(BasicConstraints::Unconstrained),
            (true, Some(limit)) => IsCa::Ca(BasicConstraints::Constrained(limit)),
        };
        params
    }
}

impl Ca {
    /// A self-signed root.
    pub fn root(name: &str, alg: Alg) -> Self {
        Self::root_with(name, alg, &Profile::ca())
    }

    /// A self-signed root with `profile` (which should be a CA's).
    pub fn root_with(name: &str, alg: Alg, profile: &Profile) -> Self {
        let params = profile.params(name);
        let key = alg.key();
        let cert = params.self_signed(&key).expect("self-signed root");
        Self {
            cert,
            issuer: Issuer::new(params, key),
        }
    }

    /// A certificate issued by this CA that can itself issue (whatever its profile says).
    pub fn subordinate(&self, name: &str, alg: Alg, profile: &Profile) -> Ca {
        let params = profile.params(name);
        let key = alg.key();
        let cert = params.signed_by(&key, &self.issuer).expect("issued");
        Ca {
            cert,
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf issued by this CA.
    pub fn leaf(&self, name: &str, alg: Alg, profile: &Profile) -> Leaf {
        let key = alg.key();
        let cert = profile
            .params(name)
            .signed_by(&key, &self.issuer)
            .expect("issued");
        Leaf { cert, key }
    }

    /// `cert` as an X.509 v1 certificate (no version field, no extensions), signed again by
    /// this CA; PEM. (rcgen only makes v3 certificates.)
    pub fn v1_of(&self, cert: &Certificate) -> String {
        use x509_parser::asn1_rs::{Any, FromDer as _};
        let (_, outer) = Any::from_der(cert.der()).expect("certificate");
        let (rest, tbs) = Any::from_der(outer.data).expect("tbsCertificate");
        let (_, algorithm) = Any::from_der(rest).expect("signatureAlgorithm");
        let mut fields = Vec::new();
        let mut input = tbs.data;
        while !input.is_empty() {
            let (rest, _) = Any::from_der(input).expect("tbsCertificate field");
            let field = &input[..input.len() - rest.len()];
            // [0] version and [3] extensions are v3 only.
            if !matches!(field[0], 0xa0 | 0xa3) {
                fields.extend_from_slice(field);
            }
            input = rest;
        }
        let tbs = der(0x30, &fields);
        let mut bits = vec![0];
        bits.extend(self.issuer.key().sign(&tbs).expect("sign"));
        let body = [tbs, der(0x30, algorithm.data), der(0x03, &bits)].concat();
        let certificate = der(0x30, &body);
        let (_, parsed) = x509_parser::parse_x509_certificate(&certificate).expect("parses");
        assert_eq!(parsed.version(), x509_parser::x509::X509Version::V1);
        let encoded = base64::engine::general_purpose::STANDARD.encode(certificate);
        let lines: Vec<&str> = encoded
            .as_bytes()
            .chunks(64)
            .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }

    /// A trust store holding this CA's certificate.
    pub fn trust(&self) -> TrustStore {
        TrustStore::from_pem([self.cert.pem().as_bytes()]).expect("CA certificate is trusted")
    }
}

/// A DER element: `tag`, length, `content`.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match u8::try_from(content.len()) {
        Ok(len @ 0..0x80) => out.push(len),
        Ok(len) => out.extend([0x81, len]),
        Err(_) => {
            let len = u16::try_from(content.len()).expect("shorter than 64 KiB");
            out.push(0x82);
            out.extend(len.to_be_bytes());
        }
    }
    out.extend_from_slice(content);
    out
}

/// Concatenated PEM of `certs`.
pub fn chain_pem(certs: &[&Certificate]) -> String {
    certs.iter().map(|cert| cert.pem()).collect()
}

/// Signs `catalog` with `leaf` as an envelope carrying `chain` after the leaf.
pub fn envelope(catalog: &[u8], leaf: &Leaf, chain: &[&Certificate]) -> String {
    let mut certs = vec![&leaf.cert];
    certs.extend_from_slice(chain);
    depot_catalog::sign_catalog(
        catalog,
        "productVersionCatalog.json",
        leaf.key.serialize_pem().as_bytes(),
        Some(chain_pem(&certs).as_bytes()),
        None,
    )
    .expect("signing succeeds")
}
