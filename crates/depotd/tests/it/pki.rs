//! A small PKI for catalog signatures, made with rcgen.

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};

/// A CA that can issue signing certificates.
pub struct Ca {
    pub cert: Certificate,
    issuer: Issuer<'static, KeyPair>,
}

/// A signing certificate and its key.
pub struct Signer {
    pub cert: Certificate,
    pub key: KeyPair,
}

fn params(name: &str, from: i32, to: i32, ca: bool) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, name);
    p.not_before = date_time_ymd(from, 1, 1);
    p.not_after = date_time_ymd(to, 1, 1);
    if ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    } else {
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    }
    p
}

impl Ca {
    /// A root valid 2020–2040.
    pub fn new(name: &str) -> Self {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let p = params(name, 2020, 2040, true);
        let cert = p.self_signed(&key).unwrap();
        Self {
            cert,
            issuer: Issuer::new(p, key),
        }
    }

    /// A signing certificate valid from `from` to `to` (years).
    pub fn signer(&self, name: &str, from: i32, to: i32) -> Signer {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = params(name, from, to, false)
            .signed_by(&key, &self.issuer)
            .unwrap();
        Signer { cert, key }
    }
}

impl Signer {
    /// An envelope `.sig` for `catalog`.
    pub fn sign(&self, catalog: &[u8]) -> String {
        depot_catalog::sign_catalog(
            catalog,
            "productVersionCatalog.json",
            self.key.serialize_pem().as_bytes(),
            Some(self.cert.pem().as_bytes()),
            None,
        )
        .unwrap()
    }
}
