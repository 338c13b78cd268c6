//! Certificate chain validation for signature envelopes, on rustls-webpki.
//!
//! webpki builds the path (leaf → intermediates from the `.sig` file → a trusted CA
//! certificate) and checks the leaf and intermediates: validity period, CA flag and
//! pathLenConstraint of issuers, critical extensions, and every signature. Its `verify_path`
//! hook runs what it leaves out ([`check_path`]): the key policy of [`super::keys`], the
//! trust anchor itself (webpki keeps only its name and key), keyUsage (webpki ignores it) and
//! extensions x509-parser found malformed. Extended key usage is not checked (code-signing
//! certificates vary too much). webpki's errors name no certificate: [`diagnose`] finds it.
//! Two cases stay by hand, because webpki cannot serve them: a trusted leaf and a v1 leaf.

use std::cell::RefCell;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, UnixTime};
use webpki::{ALL_VERIFICATION_ALGS, EndEntityCert, Error as PathError, KeyPurposeIdIter};

use crate::error::CatalogError;

use super::certificate::Certificate;

/// Accepts any extended key usage (a malformed extension is still refused).
struct AnyPurpose;

impl webpki::ExtendedKeyUsageValidator for AnyPurpose {
    fn validate(&self, mut purposes: KeyPurposeIdIter<'_, '_>) -> Result<(), PathError> {
        purposes.try_for_each(|purpose| purpose.map(drop))
    }
}

/// Validates the chain of `leaf` at `now` (Unix seconds), using `pool` (the other
/// certificates of the `.sig` file) and the trusted `anchors`. Returns the path length,
/// anchor included.
pub(crate) fn validate(
    leaf: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    now: i64,
) -> Result<usize, CatalogError> {
    // A trusted leaf: webpki has no such notion (`anchor_from_trusted_cert` must not make an
    // end entity its own anchor; a pinned leaf issued by a CA fails with `UnknownIssuer`, as
    // no anchor has its issuer's name), so only the leaf's own checks apply.
    if anchors.iter().any(|anchor| anchor.der == leaf.der) {
        check_path(&[leaf], now)?;
        return Ok(1);
    }
    let leaf_der = der_of(leaf);
    let end_entity = match EndEntityCert::try_from(&leaf_der) {
        Ok(end_entity) => end_entity,
        Err(PathError::UnsupportedCertVersion) => return v1_leaf(leaf, pool, anchors, now),
        Err(err) => return Err(invalid(leaf, &err.to_string())),
    };
    let anchor_ders: Vec<_> = anchors.iter().map(der_of).collect();
    let trusted = (anchor_ders.iter().zip(anchors))
        .map(|(der, cert)| {
            webpki::anchor_from_trusted_cert(der).map_err(|err| invalid(cert, &err.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let intermediates: Vec<_> = pool.iter().map(der_of).collect();
    // Our checks reject a path webpki accepted; it then tries the next one.
    let refused = RefCell::new(None);
    let our_checks = |path: &webpki::VerifiedPath<'_>| {
        let mut certs = vec![leaf];
        for cert in path.intermediate_certificates() {
            certs.extend(pool.iter().find(|c| c.der == cert.der().as_ref()));
        }
        let anchor = trusted.iter().position(|t| std::ptr::eq(t, path.anchor()));
        certs.extend(anchor.map(|index| &anchors[index]));
        check_path(&certs, now).map_err(|err| {
            refused.replace(Some(err));
            PathError::UnknownIssuer
        })
    };
    let time = UnixTime::since_unix_epoch(Duration::from_secs(now.try_into().unwrap_or(0)));
    match end_entity.verify_for_usage(
        ALL_VERIFICATION_ALGS,
        &trusted,
        &intermediates,
        time,
        AnyPurpose,
        None,
        Some(&our_checks),
    ) {
        Ok(path) => Ok(path.intermediate_certificates().count() + 2),
        Err(err) => Err(refused
            .take()
            .unwrap_or_else(|| diagnose(&err, leaf, pool, anchors, now))),
    }
}

/// An X.509 v1 leaf (`openssl x509 -req` without extensions makes one), which must be
/// issued directly by a trusted CA.
///
/// By hand because webpki refuses v1 certificates other than trust anchors
/// (`EndEntityCert::try_from` fails with `UnsupportedCertVersion`). Intermediates are not
/// accepted here: webpki would have to take the first of them as the end entity, which it
/// refuses for a CA (`CaUsedAsEndEntity`).
fn v1_leaf(
    leaf: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    now: i64,
) -> Result<usize, CatalogError> {
    let (path, anchor, looped) = walk(leaf, pool, anchors);
    let Some(anchor) = anchor else {
        return Err(dead_end(path[path.len() - 1], looped));
    };
    if path.len() > 1 {
        return Err(invalid(
            leaf,
            "an X.509 v1 signing certificate must be issued directly by a trusted CA",
        ));
    }
    // The first trusted CA of the issuer's name whose key made the leaf's signature.
    let signed = |anchor: &&Certificate| {
        let der = der_of(anchor);
        EndEntityCert::try_from(&der).is_ok_and(|issuer| {
            ALL_VERIFICATION_ALGS.iter().any(|algorithm| {
                algorithm.signature_alg_id().as_ref() == leaf.signature_algorithm
                    && (issuer.verify_signature(*algorithm, &leaf.tbs, &leaf.signature)).is_ok()
            })
        })
    };
    let mut named = anchors
        .iter()
        .filter(|c| c.subject_raw == anchor.subject_raw);
    let anchor = named.find(signed).ok_or_else(|| unsigned(leaf))?;
    check_path(&[leaf, anchor], now)?;
    Ok(2)
}

/// Explains why webpki found no valid path, naming the certificate at fault: the path is
/// walked again by names as webpki builds it (trusted certificates first, then the `.sig`
/// file's), then checked in the documented order: where it ends, [`check_path`], and last
/// what webpki found.
fn diagnose(
    err: &PathError,
    leaf: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    now: i64,
) -> CatalogError {
    let (mut path, anchor, looped) = walk(leaf, pool, anchors);
    let last = path[path.len() - 1];
    let Some(anchor) = anchor else {
        return dead_end(last, looped);
    };
    path.push(anchor);
    if let Err(found) = check_path(&path, now) {
        return found;
    }
    match err {
        PathError::InvalidSignatureForPublicKey => unsigned(last),
        PathError::UnsupportedSignatureAlgorithmContext(_)
        | PathError::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            CatalogError::UnsupportedAlgorithm {
                reason: format!(
                    "a certificate of the chain of {:?} is signed with an algorithm other than \
                     RSA, ECDSA P-256/P-384 or Ed25519 with SHA-2",
                    leaf.subject
                ),
            }
        }
        PathError::MaximumPathDepthExceeded => CatalogError::PathLengthExceeded {
            subject: leaf.subject.clone(),
            reason: "more than 6 intermediate certificates".to_owned(),
        },
        PathError::CaUsedAsEndEntity => invalid(
            leaf,
            "it is a CA certificate (basicConstraints cA): sign with an end-entity certificate",
        ),
        other => invalid(leaf, &format!("its certificate chain is refused: {other}")),
    }
}

/// The path by names from `leaf`, up to where a trusted CA has the issuer's name; that CA
/// (or none); whether the walk stopped on a loop.
fn walk<'a>(
    leaf: &'a Certificate,
    pool: &'a [Certificate],
    anchors: &'a [Certificate],
) -> (Vec<&'a Certificate>, Option<&'a Certificate>, bool) {
    let mut path = vec![leaf];
    loop {
        let current = path[path.len() - 1];
        let issued_by = |c: &&Certificate| c.subject_raw == current.issuer_raw;
        if let Some(anchor) = anchors.iter().find(issued_by) {
            return (path, Some(anchor), false);
        }
        let mut named = pool.iter().filter(issued_by).peekable();
        let looped = named.peek().is_some();
        match named.find(|c| !path.iter().any(|on| on.der == c.der)) {
            Some(next) => path.push(next),
            None => return (path, None, looped),
        }
    }
}

/// The error for a path that cannot be continued from `current`.
fn dead_end(current: &Certificate, looped: bool) -> CatalogError {
    if looped || current.self_issued() {
        CatalogError::SignerUntrusted {
            reason: format!(
                "the certificate chain ends at {:?}, which is not a trusted CA",
                current.subject
            ),
        }
    } else {
        CatalogError::ChainIncomplete {
            subject: current.subject.clone(),
            issuer: current.issuer.clone(),
        }
    }
}

/// The error for a certificate its named issuer did not sign.
fn unsigned(cert: &Certificate) -> CatalogError {
    CatalogError::SignerUntrusted {
        reason: format!(
            "certificate {:?} names {:?} as its issuer, but no certificate of that name, \
             trusted or in the .sig file, signed it",
            cert.subject, cert.issuer
        ),
    }
}

fn invalid(cert: &Certificate, reason: &str) -> CatalogError {
    CatalogError::CertificateInvalid {
        subject: cert.subject.clone(),
        reason: reason.to_owned(),
    }
}

fn der_of(cert: &Certificate) -> CertificateDer<'_> {
    CertificateDer::from(cert.der.as_slice())
}

/// Our checks of a path `[leaf, intermediates…, anchor]` (or a trusted leaf alone): issuer
/// keys, validity, x509-parser's defects, then the roles.
fn check_path(path: &[&Certificate], now: i64) -> Result<(), CatalogError> {
    for issuer in path.iter().skip(1) {
        if let Err(problem) = &issuer.key {
            return Err(CatalogError::UnsupportedAlgorithm {
                reason: format!("issuer {:?}: {problem}", issuer.subject),
            });
        }
    }
    for cert in path {
        check_validity(cert, now)?;
    }
    if let Some((cert, defect)) = path.iter().find_map(|c| Some((c, c.defect.as_ref()?))) {
        return Err(invalid(cert, defect));
    }
    check_roles(path)
}

fn check_validity(cert: &Certificate, now: i64) -> Result<(), CatalogError> {
    if now < cert.not_before {
        return Err(CatalogError::CertificateNotYetValid {
            subject: cert.subject.clone(),
            not_before: cert.not_before_text(),
        });
    }
    if now > cert.not_after {
        return Err(CatalogError::CertificateExpired {
            subject: cert.subject.clone(),
            not_after: cert.not_after_text(),
        });
    }
    Ok(())
}

/// Leaf may sign data; every issuer is a CA that may sign certificates, within its
/// pathLenConstraint.
fn check_roles(path: &[&Certificate]) -> Result<(), CatalogError> {
    let Some((leaf, issuers)) = path.split_first() else {
        return Ok(());
    };
    if matches!(leaf.key_usage, Some((false, _))) {
        return Err(CatalogError::KeyUsageNotAllowed {
            subject: leaf.subject.clone(),
            usage: "sign data (digitalSignature)",
        });
    }
    for (position, issuer) in issuers.iter().enumerate() {
        if !issuer.is_ca() {
            return Err(CatalogError::CertificateNotCa {
                subject: issuer.subject.clone(),
            });
        }
        if matches!(issuer.key_usage, Some((_, false))) {
            return Err(CatalogError::KeyUsageNotAllowed {
                subject: issuer.subject.clone(),
                usage: "sign certificates (keyCertSign)",
            });
        }
        // `position` = number of intermediate CAs between this issuer and the leaf.
        if let Some((_, Some(limit))) = issuer.basic_constraints
            && position > usize::try_from(limit).unwrap_or(usize::MAX)
        {
            return Err(CatalogError::PathLengthExceeded {
                subject: issuer.subject.clone(),
                reason: format!(
                    "pathLenConstraint {limit} allows {limit} intermediate CA(s), the chain has {position}"
                ),
            });
        }
    }
    Ok(())
}
