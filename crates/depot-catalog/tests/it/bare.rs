//! Bare detached signatures (binary, base64, hex) against trusted public keys, trust store
//! rules, and sign → verify round trips.

use base64::Engine as _;
use depot_catalog::signature::{BareEncoding, SignatureForm};
use depot_catalog::{CatalogError, TrustStore, sign_catalog, verify_signature};

use crate::fixtures::{
    Alg, Ca, ED448_PUBLIC_KEY, P521_PUBLIC_KEY, Profile, RSA_1024_PUBLIC_KEY, SEED, envelope, now,
};

/// A bare base64 signature of `catalog` by `key`, and the trust store of its public key.
fn bare(alg: Alg, catalog: &[u8]) -> (String, TrustStore) {
    let key = alg.key();
    let sig = sign_catalog(
        catalog,
        "ignored",
        key.serialize_pem().as_bytes(),
        None,
        None,
    )
    .expect("sign");
    let trust = TrustStore::from_pem([key.public_key_pem().as_bytes()]).expect("trust key");
    (sig, trust)
}

fn decode(sig: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(sig.trim())
        .expect("base64")
}

#[test]
fn bare_signatures_in_every_encoding_verify() {
    for alg in Alg::ALL {
        let (sig, trust) = bare(alg, SEED);
        let binary = decode(&sig);
        let hex_text = format!("{}\n", hex::encode(&binary));
        for (bytes, encoding) in [
            (sig.as_bytes().to_vec(), BareEncoding::Base64),
            (binary.clone(), BareEncoding::Binary),
            (hex_text.into_bytes(), BareEncoding::Hex),
        ] {
            let verified = verify_signature(&trust, SEED, &bytes, now())
                .unwrap_or_else(|err| panic!("{alg:?} {encoding:?}: {err}"));
            assert_eq!(verified.form, SignatureForm::Bare { encoding });
        }
    }
}

#[test]
fn bare_signature_fails_against_an_untrusted_key() {
    for alg in Alg::ALL {
        let (sig, _) = bare(alg, SEED);
        let (_, other_trust) = bare(alg, SEED);
        let err =
            verify_signature(&other_trust, SEED, sig.as_bytes(), now()).expect_err("other key");
        assert_eq!(
            err.code(),
            "PRODUCT_VERSION_CATALOG_SIGNATURE_INVALID",
            "{alg:?}: {err}"
        );
        assert!(matches!(
            err,
            CatalogError::NoTrustedKeyMatches { tried: 1 }
        ));
    }
    // A key of another type cannot have made the signature at all.
    let (sig, _) = bare(Alg::Rsa2048, SEED);
    let (_, ed_trust) = bare(Alg::Ed25519, SEED);
    let err = verify_signature(&ed_trust, SEED, sig.as_bytes(), now()).expect_err("wrong type");
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_SIGNER_UNTRUSTED",
        "{err}"
    );
}

#[test]
fn bare_signature_fails_when_the_catalog_changed() {
    let (sig, trust) = bare(Alg::P384, SEED);
    let mut changed = SEED.to_vec();
    changed.push(b'\n');
    let err = verify_signature(&trust, &changed, sig.as_bytes(), now()).expect_err("changed");
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_SIGNATURE_INVALID",
        "{err}"
    );
}

#[test]
fn one_of_several_trusted_keys_verifies() {
    let signer = Alg::Ed25519.key();
    let sig = sign_catalog(SEED, "x", signer.serialize_pem().as_bytes(), None, None).expect("sign");
    let others = format!(
        "{}{}",
        Alg::Ed25519.key().public_key_pem(),
        Alg::P256.key().public_key_pem()
    );
    let mut trust = TrustStore::from_pem([others.as_bytes()]).expect("trust");
    let err = verify_signature(&trust, SEED, sig.as_bytes(), now()).expect_err("not yet trusted");
    assert!(
        matches!(err, CatalogError::NoTrustedKeyMatches { tried: 1 }),
        "{err:?}"
    );
    trust
        .add_pem(signer.public_key_pem().as_bytes())
        .expect("add");
    assert_eq!(trust.public_key_count(), 3);
    let verified = verify_signature(&trust, SEED, sig.as_bytes(), now()).expect("verifies");
    assert!(
        verified.signer.starts_with("Ed25519 key sha256:"),
        "{}",
        verified.signer
    );
}

#[test]
fn truncated_bare_signatures_are_malformed() {
    for alg in Alg::ALL {
        let (sig, trust) = bare(alg, SEED);
        let binary = decode(&sig);
        let truncated = &binary[..binary.len() - 9];
        let err = verify_signature(&trust, SEED, truncated, now()).expect_err("truncated");
        assert_eq!(
            err.code(),
            "PRODUCT_VERSION_CATALOG_SIGNATURE_MALFORMED",
            "{alg:?}: {err}"
        );
        let text = &sig.trim()[..sig.trim().len() - 7];
        let err = verify_signature(&trust, SEED, text.as_bytes(), now()).expect_err("truncated");
        assert_eq!(
            err.code(),
            "PRODUCT_VERSION_CATALOG_SIGNATURE_MALFORMED",
            "{alg:?}: {err}"
        );
    }
}

#[test]
fn weak_and_unsupported_trust_keys_are_refused() {
    for (pem, needle) in [
        (RSA_1024_PUBLIC_KEY, "RSA key of 1024 bits"),
        (P521_PUBLIC_KEY, "EC curve"),
        (ED448_PUBLIC_KEY, "unsupported key type"),
    ] {
        let err = TrustStore::from_pem([pem.as_bytes()]).expect_err("refused");
        assert_eq!(
            err.code(),
            "PRODUCT_VERSION_CATALOG_TRUST_ANCHOR_KEY_REJECTED",
            "{err}"
        );
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[test]
fn malformed_trust_pem_is_refused() {
    let key = Alg::P256.key();
    let cases = [
        ("empty", String::new()),
        ("private key", key.serialize_pem()),
        (
            "garbled",
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".to_owned(),
        ),
        (
            "not a certificate",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_owned(),
        ),
        (
            "pkcs1 public key",
            "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n".to_owned(),
        ),
    ];
    for (what, pem) in cases {
        let err = TrustStore::from_pem([pem.as_bytes()]).expect_err(what);
        assert_eq!(
            err.code(),
            "PRODUCT_VERSION_CATALOG_TRUST_ANCHOR_INVALID",
            "{what}: {err}"
        );
    }
    let ok = key.public_key_pem();
    let err = TrustStore::from_pem([ok.as_bytes(), b"junk"]).expect_err("second blob");
    assert!(
        matches!(
            err,
            CatalogError::TrustAnchorInvalid {
                source_index: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn sign_verify_round_trip_for_each_key_type() {
    let root = Ca::root("Round Trip Root", Alg::Rsa2048);
    for alg in Alg::ALL {
        let leaf = root.leaf("Round Trip Signer", alg, &Profile::leaf());
        let with_cert = envelope(SEED, &leaf, &[]);
        verify_signature(&root.trust(), SEED, with_cert.as_bytes(), now())
            .unwrap_or_else(|err| panic!("{alg:?} envelope: {err}"));
        let without =
            sign_catalog(SEED, "x", leaf.key.serialize_pem().as_bytes(), None, None).expect("bare");
        let trust = TrustStore::from_pem([leaf.key.public_key_pem().as_bytes()]).expect("trust");
        verify_signature(&trust, SEED, without.as_bytes(), now())
            .unwrap_or_else(|err| panic!("{alg:?} bare: {err}"));
        // Certificates do not verify bare signatures, nor keys envelopes.
        assert!(verify_signature(&root.trust(), SEED, without.as_bytes(), now()).is_err());
        assert!(verify_signature(&trust, SEED, with_cert.as_bytes(), now()).is_err());
    }
}

#[test]
fn signing_rejects_bad_keys_and_digests() {
    use depot_catalog::signature::DigestAlgorithm;
    let err = sign_catalog(SEED, "x", b"not a key", None, None).expect_err("no key");
    assert_eq!(err.code(), "PRODUCT_VERSION_CATALOG_SIGNING_KEY_INVALID");
    let ed = Alg::Ed25519.key().serialize_pem();
    let err = sign_catalog(
        SEED,
        "x",
        ed.as_bytes(),
        None,
        Some(DigestAlgorithm::Sha256),
    )
    .expect_err("Ed25519 with SHA-256");
    assert_eq!(err.code(), "PRODUCT_VERSION_CATALOG_SIGNING_INPUT_INVALID");
    let rsa = Alg::Rsa2048.key().serialize_pem();
    let err = sign_catalog(
        SEED,
        "x",
        rsa.as_bytes(),
        None,
        Some(DigestAlgorithm::Sha512),
    )
    .expect_err("bare RSA with SHA-512");
    assert_eq!(err.code(), "PRODUCT_VERSION_CATALOG_SIGNING_INPUT_INVALID");
}
