//! TLS material: a given certificate and key, or a self-signed pair generated on first
//! start and kept in the data dir.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use base64::Engine;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tracing::info;

use crate::data_dir::write_atomic;

/// Paths of the PEM certificate chain and key to serve.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

/// The configured pair, or the data dir's self-signed pair (generated if missing).
pub fn resolve(
    data_dir: &Path,
    cert: Option<&Path>,
    key: Option<&Path>,
) -> anyhow::Result<TlsFiles> {
    if let (Some(cert), Some(key)) = (cert, key) {
        return Ok(TlsFiles {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
        });
    }
    let dir = data_dir.join("tls");
    let files = TlsFiles {
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
    };
    if !files.cert.exists() || !files.key.exists() {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        generate(&files)?;
        info!(cert = %files.cert.display(), "generated a self-signed TLS certificate");
    }
    Ok(files)
}

/// The SHA-256 thumbprint of the first certificate in a PEM file, as `AA:BB:…`.
pub fn thumbprint(cert: &Path) -> anyhow::Result<String> {
    let pem = std::fs::read(cert).with_context(|| format!("cannot read {}", cert.display()))?;
    let der =
        first_der(&pem).with_context(|| format!("{} holds no PEM certificate", cert.display()))?;
    let digest = Sha256::digest(&der);
    Ok(digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":"))
}

fn first_der(pem: &[u8]) -> anyhow::Result<Vec<u8>> {
    let text = std::str::from_utf8(pem)?;
    let begin = "-----BEGIN CERTIFICATE-----";
    let start = text.find(begin).context("no BEGIN CERTIFICATE")? + begin.len();
    let end = text[start..]
        .find("-----END CERTIFICATE-----")
        .context("no END CERTIFICATE")?
        + start;
    let b64: String = text[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Ok(base64::engine::general_purpose::STANDARD.decode(b64)?)
}

fn generate(files: &TlsFiles) -> anyhow::Result<()> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if let Ok(host) = std::fs::read_to_string("/etc/hostname") {
        let host = host.trim();
        if !host.is_empty() && !names.iter().any(|n| n == host) {
            names.push(host.to_owned());
        }
    }
    let certified =
        rcgen::generate_simple_self_signed(names).context("cannot generate a TLS certificate")?;
    let key_pem = certified.signing_key.serialize_pem();
    write_atomic(&files.key, key_pem.as_bytes())?;
    restrict(&files.key)?;
    write_atomic(&files.cert, certified.cert.pem().as_bytes())?;
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot restrict {}", path.display()))
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// The server's TLS configuration for the pair: TLS 1.2 and 1.3 on aws-lc-rs, ALPN `h2`
/// then `http/1.1`; a clear error when the files do not parse.
pub fn server_config(files: &TlsFiles) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    if !files.cert.is_file() {
        bail!("TLS certificate {} does not exist", files.cert.display());
    }
    load(files).with_context(|| {
        format!(
            "cannot load TLS certificate {} and key {}",
            files.cert.display(),
            files.key.display()
        )
    })
}

fn load(files: &TlsFiles) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let chain = CertificateDer::pem_file_iter(&files.cert)?.collect::<Result<Vec<_>, _>>()?;
    if chain.is_empty() {
        bail!("no certificate in {}", files.cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pair_is_kept_and_has_a_thumbprint() {
        let dir = tempfile::tempdir().unwrap();
        let files = resolve(dir.path(), None, None).unwrap();
        let first = thumbprint(&files.cert).unwrap();
        assert_eq!(first.len(), 32 * 3 - 1);
        let again = resolve(dir.path(), None, None).unwrap();
        assert_eq!(thumbprint(&again.cert).unwrap(), first);
    }
}
