//! Envelope signatures (`SHA256(file)= hex` + PEM chain) against CA trust anchors.

use depot_catalog::signature::{DigestAlgorithm, KeyType, SignatureAlgorithm, SignatureForm};
use depot_catalog::{CatalogError, TrustStore, sign_catalog, verify_signature};
use rcgen::{ExtendedKeyUsagePurpose, KeyUsagePurpose};

use crate::fixtures::{Alg, Ca, Leaf, Profile, SEED, chain_pem, envelope, now};

fn verify_err(trust: &TrustStore, catalog: &[u8], sig: &str) -> CatalogError {
    verify_signature(trust, catalog, sig.as_bytes(), now()).expect_err("verification must fail")
}

#[test]
fn envelope_verifies_for_each_key_type() {
    let root = Ca::root("Depot Test Root", Alg::P256);
    for alg in Alg::ALL {
        let leaf = root.leaf("Catalog Signer", alg, &Profile::leaf());
        let sig = envelope(SEED, &leaf, &[]);
        assert!(sig.starts_with("SHA") && sig.contains("(productVersionCatalog.json)= "));
        let verified =
            verify_signature(&root.trust(), SEED, sig.as_bytes(), now()).expect("verifies");
        assert_eq!(verified.signer, "CN=Catalog Signer");
        assert_eq!(
            verified.form,
            SignatureForm::Envelope {
                file_name: "productVersionCatalog.json".to_owned(),
                chain_length: 2
            }
        );
        let expected = match alg {
            Alg::Rsa2048 => SignatureAlgorithm::RsaPkcs1 {
                bits: 2048,
                digest: DigestAlgorithm::Sha256,
            },
            Alg::P256 => SignatureAlgorithm::Ecdsa {
                curve: KeyType::EcdsaP256,
                digest: DigestAlgorithm::Sha256,
            },
            Alg::P384 => SignatureAlgorithm::Ecdsa {
                curve: KeyType::EcdsaP384,
                digest: DigestAlgorithm::Sha384,
            },
            Alg::Ed25519 => SignatureAlgorithm::Ed25519,
            Alg::P521 => unreachable!("P-521 is not in Alg::ALL"),
        };
        assert_eq!(verified.algorithm, expected, "{alg:?}");
    }
}

#[test]
fn rsa_and_other_ca_key_types_with_intermediate() {
    for root_alg in [Alg::Rsa2048, Alg::P384, Alg::Ed25519] {
        let root = Ca::root("Root", root_alg);
        let intermediate = root.subordinate("Intermediate", Alg::P256, &Profile::ca());
        let leaf = intermediate.leaf("Signer", Alg::P384, &Profile::leaf());
        let sig = envelope(SEED, &leaf, &[&intermediate.cert]);
        let verified = verify_signature(&root.trust(), SEED, sig.as_bytes(), now())
            .unwrap_or_else(|err| panic!("{root_alg:?}: {err}"));
        assert!(matches!(
            verified.form,
            SignatureForm::Envelope {
                chain_length: 3,
                ..
            }
        ));
    }
}

#[test]
fn rsa_envelope_with_sha384_and_sha512() {
    let root = Ca::root("Root", Alg::P256);
    let leaf = root.leaf("Signer", Alg::Rsa2048, &Profile::leaf());
    for digest in [DigestAlgorithm::Sha384, DigestAlgorithm::Sha512] {
        let sig = sign_catalog(
            SEED,
            "pvc.json",
            leaf.key.serialize_pem().as_bytes(),
            Some(leaf.cert.pem().as_bytes()),
            Some(digest),
        )
        .expect("sign");
        assert!(sig.starts_with(&format!("{digest}(pvc.json)= ")));
        let verified = verify_signature(&root.trust(), SEED, sig.as_bytes(), now()).expect("ok");
        assert_eq!(
            verified.algorithm,
            SignatureAlgorithm::RsaPkcs1 { bits: 2048, digest }
        );
    }
}

#[test]
fn openssl_3_labels_are_accepted() {
    let root = Ca::root("Root", Alg::P256);
    let leaf = root.leaf("Signer", Alg::Rsa2048, &Profile::leaf());
    let sig = envelope(SEED, &leaf, &[]).replacen("SHA256(", "RSA-SHA2-256(", 1);
    verify_signature(&root.trust(), SEED, sig.as_bytes(), now()).expect("OpenSSL 3 label");
}

#[test]
fn one_changed_byte_fails_the_digest() {
    let root = Ca::root("Root", Alg::P256);
    for alg in Alg::ALL {
        let leaf = root.leaf("Signer", alg, &Profile::leaf());
        let sig = envelope(SEED, &leaf, &[]);
        let mut changed = SEED.to_vec();
        changed[100] ^= 0x01;
        let err = verify_err(&root.trust(), &changed, &sig);
        assert_eq!(
            err.code(),
            "PRODUCT_VERSION_CATALOG_SIGNATURE_INVALID",
            "{alg:?}"
        );
        assert!(matches!(err, CatalogError::SignatureMismatch { .. }));
    }
}

#[test]
fn signer_from_another_ca_is_untrusted() {
    let trusted = Ca::root("Trusted Root", Alg::P256);
    let other = Ca::root("Other Root", Alg::P256);
    let leaf = other.leaf("Signer", Alg::P256, &Profile::leaf());
    let sig = envelope(SEED, &leaf, &[&other.cert]);
    let err = verify_err(&trusted.trust(), SEED, &sig);
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_SIGNER_UNTRUSTED",
        "{err}"
    );
    assert!(err.to_string().contains("CN=Other Root"), "{err}");

    // Another CA with the trusted CA's name: the name matches, the key does not.
    let impostor = Ca::root("Trusted Root", Alg::P256);
    let leaf = impostor.leaf("Signer", Alg::P256, &Profile::leaf());
    let err = verify_err(&trusted.trust(), SEED, &envelope(SEED, &leaf, &[]));
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_SIGNER_UNTRUSTED",
        "{err}"
    );
}

#[test]
fn expired_and_not_yet_valid_leaves_fail() {
    let root = Ca::root("Root", Alg::P256);
    let expired = Profile {
        not_before: (2021, 1, 1),
        not_after: (2022, 1, 1),
        ..Profile::leaf()
    };
    let leaf = root.leaf("Old Signer", Alg::P256, &expired);
    let err = verify_err(&root.trust(), SEED, &envelope(SEED, &leaf, &[]));
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_CERTIFICATE_EXPIRED",
        "{err}"
    );
    assert!(
        err.to_string().contains("2022-01-01T00:00:00+00:00"),
        "{err}"
    );

    let future = Profile {
        not_before: (2035, 1, 1),
        ..Profile::leaf()
    };
    let leaf = root.leaf("Future Signer", Alg::P256, &future);
    let err = verify_err(&root.trust(), SEED, &envelope(SEED, &leaf, &[]));
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_CERTIFICATE_NOT_YET_VALID",
        "{err}"
    );
}

#[test]
fn expired_intermediate_fails() {
    let root = Ca::root("Root", Alg::P256);
    let old = Profile {
        not_after: (2025, 1, 1),
        ..Profile::ca()
    };
    let intermediate = root.subordinate("Old Intermediate", Alg::P256, &old);
    let leaf = intermediate.leaf("Signer", Alg::P256, &Profile::leaf());
    let err = verify_err(
        &root.trust(),
        SEED,
        &envelope(SEED, &leaf, &[&intermediate.cert]),
    );
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_CERTIFICATE_EXPIRED",
        "{err}"
    );
    assert!(err.to_string().contains("Old Intermediate"), "{err}");
}

#[test]
fn leaf_without_digital_signature_fails() {
    let root = Ca::root("Root", Alg::P256);
    let profile = Profile {
        key_usages: vec![KeyUsagePurpose::KeyEncipherment],
        ..Profile::leaf()
    };
    let leaf = root.leaf("Encryption Only", Alg::P256, &profile);
    let err = verify_err(&root.trust(), SEED, &envelope(SEED, &leaf, &[]));
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_CERTIFICATE_KEY_USAGE",
        "{err}"
    );
}

#[test]
fn leaf_without_key_usage_extension_is_fine() {
    let root = Ca::root("Root", Alg::P256);
    let profile = Profile {
        key_usages: Vec::new(),
        ..Profile::leaf()
    };
    let leaf = root.leaf("No KU", Alg::P256, &profile);
    verify_signature(
        &root.trust(),
        SEED,
        envelope(SEED, &leaf, &[]).as_bytes(),
        now(),
    )
    .expect("keyUsage is only checked when present");
}

#[test]
fn intermediate_that_is_not_a_ca_fails() {
    let root = Ca::root("Root", Alg::P256);
    let not_ca = root.subordinate("Not A CA", Alg::P256, &Profile::leaf());
    let leaf = not_ca.leaf("Signer", Alg::P256, &Profile::leaf());
    let err = verify_err(&root.trust(), SEED, &envelope(SEED, &leaf, &[&not_ca.cert]));
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_CERTIFICATE_NOT_CA",
        "{err}"
    );
}

#[test]
fn chain_not_reaching_the_anchor_fails() {
    let root = Ca::root("Root", Alg::P256);
    let intermediate = root.subordinate("Intermediate", Alg::P256, &Profile::ca());
    let leaf = intermediate.leaf("Signer", Alg::P256, &Profile::leaf());
    let err = verify_err(&root.trust(), SEED, &envelope(SEED, &leaf, &[]));
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_CERTIFICATE_CHAIN_INCOMPLETE",
        "{err}"
    );
    assert!(err.to_string().contains("CN=Intermediate"), "{err}");
}

#[test]
fn leaf_trusted_directly_verifies() {
    let root = Ca::root("Root", Alg::P256);
    let leaf = root.leaf("Pinned Signer", Alg::Ed25519, &Profile::leaf());
    let trust = TrustStore::from_pem([leaf.cert.pem().as_bytes()]).expect("trust");
    let sig = envelope(SEED, &leaf, &[]);
    let verified = verify_signature(&trust, SEED, sig.as_bytes(), now()).expect("pinned");
    assert!(matches!(
        verified.form,
        SignatureForm::Envelope {
            chain_length: 1,
            ..
        }
    ));
}

#[test]
fn truncated_and_garbled_sig_files_are_malformed() {
    let root = Ca::root("Root", Alg::P256);
    let leaf = root.leaf("Signer", Alg::Rsa2048, &Profile::leaf());
    let sig = envelope(SEED, &leaf, &[]);
    let first_line_end = sig.find('\n').expect("first line");
    let mut garbled_pem = sig.clone();
    garbled_pem.replace_range(first_line_end + 40..first_line_end + 48, "!!!!!!!!");
    let mut garbled_der = sig.clone();
    garbled_der.replace_range(first_line_end + 40..first_line_end + 48, "AAAAAAAA");
    let cases = [
        ("truncated in the PEM", sig[..sig.len() - 100].to_owned()),
        (
            "truncated in the first line",
            sig[..first_line_end / 2].to_owned(),
        ),
        ("first line only", sig[..=first_line_end].to_owned()),
        ("signature lengthened", sig.replacen("= ", "= 00", 1)),
        ("garbled PEM", garbled_pem),
        ("garbled DER", garbled_der),
        (
            "PEM without first line",
            sig[first_line_end + 1..].to_owned(),
        ),
        ("noise", "hello, world! this is no signature".to_owned()),
    ];
    for (what, bad) in cases {
        let err = verify_err(&root.trust(), SEED, &bad);
        assert_eq!(
            err.code(),
            "PRODUCT_VERSION_CATALOG_SIGNATURE_MALFORMED",
            "{what}: {err}"
        );
    }
}

#[test]
fn weak_or_unknown_digests_are_unsupported() {
    let root = Ca::root("Root", Alg::P256);
    let leaf = root.leaf("Signer", Alg::Ed25519, &Profile::leaf());
    let sig = envelope(SEED, &leaf, &[]);
    assert!(sig.starts_with("SHA512("), "Ed25519 envelopes name SHA512");
    for label in ["SHA256(", "SHA1(", "MD5("] {
        let bad = sig.replacen("SHA512(", label, 1);
        let err = verify_err(&root.trust(), SEED, &bad);
        assert_eq!(
            err.code(),
            "PRODUCT_VERSION_CATALOG_SIGNATURE_ALGORITHM_UNSUPPORTED",
            "{label}: {err}"
        );
    }
}

#[test]
fn empty_trust_store_trusts_no_envelope() {
    let root = Ca::root("Root", Alg::P256);
    let leaf = root.leaf("Signer", Alg::P256, &Profile::leaf());
    let err = verify_err(&TrustStore::new(), SEED, &envelope(SEED, &leaf, &[]));
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_SIGNER_UNTRUSTED",
        "{err}"
    );
}

#[test]
fn signing_refuses_a_certificate_of_another_key() {
    let root = Ca::root("Root", Alg::P256);
    let leaf = root.leaf("Signer", Alg::P256, &Profile::leaf());
    let other_key = Alg::P256.key();
    let err = sign_catalog(
        SEED,
        "pvc.json",
        other_key.serialize_pem().as_bytes(),
        Some(chain_pem(&[&leaf.cert]).as_bytes()),
        None,
    )
    .expect_err("mismatch");
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_SIGNING_CERTIFICATE_INVALID",
        "{err}"
    );
}

#[test]
fn unsupported_key_on_the_chain_is_reported() {
    let root = Ca::root("Root", Alg::P256);
    let intermediate = root.subordinate("P-521 Intermediate", Alg::P521, &Profile::ca());
    let leaf = intermediate.leaf("Signer", Alg::P256, &Profile::leaf());
    let err = verify_err(
        &root.trust(),
        SEED,
        &envelope(SEED, &leaf, &[&intermediate.cert]),
    );
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_SIGNATURE_ALGORITHM_UNSUPPORTED",
        "{err}"
    );
    assert!(err.to_string().contains("P-521 Intermediate"), "{err}");

    let leaf = root.leaf("P-521 Signer", Alg::P521, &Profile::leaf());
    let key = leaf.key.serialize_pem();
    let err = sign_catalog(
        SEED,
        "x",
        key.as_bytes(),
        Some(leaf.cert.pem().as_bytes()),
        None,
    )
    .expect_err("P-521 signing key");
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_SIGNING_KEY_INVALID",
        "{err}"
    );
}

#[test]
fn leading_blank_lines_before_an_envelope_are_ignored() {
    let root = Ca::root("Root", Alg::P256);
    let leaf = root.leaf("Signer", Alg::P256, &Profile::leaf());
    let sig = format!("\r\n\n{}", envelope(SEED, &leaf, &[]).replace('\n', "\r\n"));
    verify_signature(&root.trust(), SEED, sig.as_bytes(), now()).expect("CRLF envelope");
}

/// An envelope signed by `leaf`'s key carrying `certificates_pem` (signing certificate
/// first).
fn envelope_with(leaf: &Leaf, certificates_pem: &str) -> String {
    sign_catalog(
        SEED,
        "productVersionCatalog.json",
        leaf.key.serialize_pem().as_bytes(),
        Some(certificates_pem.as_bytes()),
        None,
    )
    .expect("signing succeeds")
}

#[test]
fn v1_leaf_issued_by_a_trusted_ca_verifies() {
    let root = Ca::root("Root", Alg::P256);
    let leaf = root.leaf("V1 Signer", Alg::Rsa2048, &Profile::leaf());
    let v1 = root.v1_of(&leaf.cert);
    let verified = verify_signature(
        &root.trust(),
        SEED,
        envelope_with(&leaf, &v1).as_bytes(),
        now(),
    )
    .expect("v1 leaf under a trusted CA");
    assert!(matches!(
        verified.form,
        SignatureForm::Envelope {
            chain_length: 2,
            ..
        }
    ));

    // The same v1 leaf signed by another CA of the trusted CA's name.
    let impostor = Ca::root("Root", Alg::P256);
    let forged = impostor.v1_of(&leaf.cert);
    let err = verify_err(&root.trust(), SEED, &envelope_with(&leaf, &forged));
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_SIGNER_UNTRUSTED",
        "{err}"
    );

    // Expired, the v1 leaf is refused like a v3 one.
    let old = Profile {
        not_before: (2021, 1, 1),
        not_after: (2022, 1, 1),
        ..Profile::leaf()
    };
    let leaf = root.leaf("Old V1 Signer", Alg::P256, &old);
    let v1 = root.v1_of(&leaf.cert);
    let err = verify_err(&root.trust(), SEED, &envelope_with(&leaf, &v1));
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_CERTIFICATE_EXPIRED",
        "{err}"
    );
}

#[test]
fn v1_leaf_under_an_intermediate_is_refused() {
    let root = Ca::root("Root", Alg::P256);
    let intermediate = root.subordinate("Intermediate", Alg::P256, &Profile::ca());
    let leaf = intermediate.leaf("V1 Signer", Alg::P256, &Profile::leaf());
    let pem = format!(
        "{}{}",
        intermediate.v1_of(&leaf.cert),
        intermediate.cert.pem()
    );
    let err = verify_err(&root.trust(), SEED, &envelope_with(&leaf, &pem));
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_CERTIFICATE_INVALID",
        "{err}"
    );
    assert!(
        err.to_string().contains("directly by a trusted CA"),
        "{err}"
    );
}

#[test]
fn expired_trust_anchor_fails() {
    let old = Profile {
        not_after: (2025, 1, 1),
        ..Profile::ca()
    };
    let root = Ca::root_with("Old Root", Alg::P256, &old);
    let leaf = root.leaf("Signer", Alg::P256, &Profile::leaf());
    let err = verify_err(&root.trust(), SEED, &envelope(SEED, &leaf, &[]));
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_CERTIFICATE_EXPIRED",
        "{err}"
    );
    assert!(err.to_string().contains("Old Root"), "{err}");
}

#[test]
fn path_length_constraints_are_enforced() {
    let no_sub_ca = Profile {
        path_len: Some(0),
        ..Profile::ca()
    };
    // On the trust anchor.
    let root = Ca::root_with("Constrained Root", Alg::P256, &no_sub_ca);
    let intermediate = root.subordinate("Intermediate", Alg::P256, &Profile::ca());
    let leaf = intermediate.leaf("Signer", Alg::P256, &Profile::leaf());
    let err = verify_err(
        &root.trust(),
        SEED,
        &envelope(SEED, &leaf, &[&intermediate.cert]),
    );
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_CERTIFICATE_PATH_LENGTH_EXCEEDED",
        "{err}"
    );
    assert!(err.to_string().contains("Constrained Root"), "{err}");
    let direct = root.leaf("Direct Signer", Alg::P256, &Profile::leaf());
    verify_signature(
        &root.trust(),
        SEED,
        envelope(SEED, &direct, &[]).as_bytes(),
        now(),
    )
    .expect("no intermediate CA: within pathLenConstraint 0");

    // On an intermediate.
    let root = Ca::root("Root", Alg::P256);
    let constrained = root.subordinate("Constrained Intermediate", Alg::P256, &no_sub_ca);
    let sub = constrained.subordinate("Sub Intermediate", Alg::P256, &Profile::ca());
    let leaf = sub.leaf("Signer", Alg::P256, &Profile::leaf());
    let err = verify_err(
        &root.trust(),
        SEED,
        &envelope(SEED, &leaf, &[&sub.cert, &constrained.cert]),
    );
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_CERTIFICATE_PATH_LENGTH_EXCEEDED",
        "{err}"
    );
    assert!(
        err.to_string().contains("Constrained Intermediate"),
        "{err}"
    );
}

#[test]
fn intermediates_are_found_in_any_order() {
    let root = Ca::root("Root", Alg::P384);
    let upper = root.subordinate("Upper", Alg::P256, &Profile::ca());
    let lower = upper.subordinate("Lower", Alg::Ed25519, &Profile::ca());
    let leaf = lower.leaf("Signer", Alg::Rsa2048, &Profile::leaf());
    let stranger = Ca::root("Stranger", Alg::P256);
    let sig = envelope(SEED, &leaf, &[&stranger.cert, &upper.cert, &lower.cert]);
    let verified = verify_signature(&root.trust(), SEED, sig.as_bytes(), now()).expect("verifies");
    assert!(matches!(
        verified.form,
        SignatureForm::Envelope {
            chain_length: 4,
            ..
        }
    ));
}

#[test]
fn extended_key_usage_is_not_checked() {
    let root = Ca::root("Root", Alg::P256);
    for usage in [
        ExtendedKeyUsagePurpose::CodeSigning,
        ExtendedKeyUsagePurpose::ServerAuth,
    ] {
        let profile = Profile {
            extended_key_usages: vec![usage.clone()],
            ..Profile::leaf()
        };
        let leaf = root.leaf("Signer", Alg::P256, &profile);
        verify_signature(
            &root.trust(),
            SEED,
            envelope(SEED, &leaf, &[]).as_bytes(),
            now(),
        )
        .unwrap_or_else(|err| panic!("{usage:?}: {err}"));
    }
}

#[test]
fn ca_certificate_as_signer_is_refused() {
    let root = Ca::root("Root", Alg::P256);
    let profile = Profile {
        key_usages: vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
        ],
        ..Profile::ca()
    };
    let leaf = root.leaf("CA Signer", Alg::P256, &profile);
    let err = verify_err(&root.trust(), SEED, &envelope(SEED, &leaf, &[]));
    assert_eq!(
        err.code(),
        "PRODUCT_VERSION_CATALOG_CERTIFICATE_INVALID",
        "{err}"
    );
    assert!(err.to_string().contains("CA certificate"), "{err}");
}
