//! Certificate chain validation for signature envelopes.
//!
//! The path is built by names and signatures only (leaf → intermediates from the `.sig`
//! file → a trusted CA certificate); then every certificate on it is checked: validity
//! period, defects, CA flag and keyUsage of issuers, pathLenConstraint, keyUsage of the
//! leaf. Extended key usage is not checked (code-signing certificates vary too much).

use crate::error::CatalogError;

use super::certificate::Certificate;

/// Most certificates above the leaf that a path may have.
const MAX_ISSUERS: usize = 8;

/// Validates the chain of `leaf` at `now` (Unix seconds), using `pool` (the other
/// certificates of the `.sig` file) and the trusted `anchors`. Returns the path length,
/// anchor included.
pub(crate) fn validate(
    leaf: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    now: i64,
) -> Result<usize, CatalogError> {
    let path = build_path(leaf, pool, anchors)?;
    for cert in &path {
        check_validity(cert, now)?;
    }
    for cert in &path {
        if let Some(defect) = &cert.defect {
            return Err(CatalogError::CertificateInvalid {
                subject: cert.subject.clone(),
                reason: defect.clone(),
            });
        }
    }
    check_roles(&path)?;
    Ok(path.len())
}

/// Finds a path from `leaf` to a trust anchor: `[leaf, intermediates…, anchor]`, or just
/// `[anchor]` when the leaf itself is trusted.
fn build_path<'a>(
    leaf: &'a Certificate,
    pool: &'a [Certificate],
    anchors: &'a [Certificate],
) -> Result<Vec<&'a Certificate>, CatalogError> {
    if let Some(anchor) = anchors.iter().find(|anchor| anchor.der == leaf.der) {
        return Ok(vec![anchor]);
    }
    let mut path = vec![leaf];
    let mut used = vec![false; pool.len()];
    let mut current = leaf;
    loop {
        let mut name_matched = false;
        let mut unsupported = None;
        for anchor in anchors
            .iter()
            .filter(|a| a.subject_raw == current.issuer_raw)
        {
            name_matched = true;
            if current.signed_by(anchor) {
                path.push(anchor);
                return Ok(path);
            }
            unsupported = unsupported.or_else(|| unsupported_link(current, anchor));
        }
        if path.len() > MAX_ISSUERS {
            return Err(CatalogError::PathLengthExceeded {
                subject: current.subject.clone(),
                reason: format!("no trusted CA within {MAX_ISSUERS} issuers"),
            });
        }
        let mut next = None;
        for (index, candidate) in pool.iter().enumerate() {
            if used[index]
                || candidate.der == current.der
                || candidate.subject_raw != current.issuer_raw
            {
                continue;
            }
            name_matched = true;
            if current.signed_by(candidate) {
                next = Some(index);
                break;
            }
            unsupported = unsupported.or_else(|| unsupported_link(current, candidate));
        }
        let Some(index) = next else {
            return Err(match unsupported {
                Some(reason) => CatalogError::UnsupportedAlgorithm { reason },
                None => dead_end(current, name_matched),
            });
        };
        used[index] = true;
        current = &pool[index];
        path.push(current);
    }
}

/// Why `issuer` cannot be checked as the signer of `child`, if an algorithm is the cause.
fn unsupported_link(child: &Certificate, issuer: &Certificate) -> Option<String> {
    if let Err(reason) = &child.scheme {
        return Some(format!(
            "certificate {:?} is signed with {reason}",
            child.subject
        ));
    }
    issuer
        .key
        .as_ref()
        .err()
        .map(|problem| format!("issuer {:?}: {problem}", issuer.subject))
}

/// The error for a path that cannot be continued from `current`.
fn dead_end(current: &Certificate, name_matched: bool) -> CatalogError {
    if name_matched {
        CatalogError::SignerUntrusted {
            reason: format!(
                "certificate {:?} names {:?} as its issuer, but no certificate of that name, \
                 trusted or in the .sig file, signed it",
                current.subject, current.issuer
            ),
        }
    } else if current.self_issued() {
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
