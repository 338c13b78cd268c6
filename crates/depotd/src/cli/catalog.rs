//! `depotd catalog sign|verify|history`: run an internal catalog, check files, and
//! list the accepted versions.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use depot_catalog::TrustStore;
use depot_catalog::signature::DigestAlgorithm;
use serde::Serialize;

use crate::config::{CatalogTrustFlags, Config, ConfigFlags};

/// `depotd catalog`: the configuration flags and a subcommand.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Where the catalog history is.
    #[command(flatten)]
    pub config: ConfigFlags,
    /// What to do.
    #[command(subcommand)]
    pub command: CatalogCommand,
}

/// The flag layer of `catalog verify`: the common flags and `catalog.trust`.
#[derive(Serialize)]
struct VerifyLayer<'a> {
    #[serde(flatten)]
    config: &'a ConfigFlags,
    catalog: &'a CatalogTrustFlags,
}

impl CatalogArgs {
    /// The configuration with the flags of the subcommand given.
    pub fn load_config(&self) -> anyhow::Result<Config> {
        let file = self.config.config.as_deref();
        match &self.command {
            CatalogCommand::Verify { trust, .. } => Config::load(
                file,
                &VerifyLayer {
                    config: &self.config,
                    catalog: trust,
                },
            ),
            _ => Config::load(file, &self.config),
        }
    }
}

/// Catalog subcommands.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Sign a catalog file: with --cert, an envelope (`SHA256(<file>)= <hex>` and the
    /// certificate chain); without, a bare base64 signature. Writes FILE.sig unless
    /// --out is given (`-` for standard output).
    Sign {
        /// The catalog file.
        file: PathBuf,
        /// PKCS#8 PEM private key (RSA, ECDSA P-256/P-384 or Ed25519).
        #[arg(long)]
        key: PathBuf,
        /// PEM signing certificate, followed by any intermediates.
        #[arg(long)]
        cert: Option<PathBuf>,
        /// SHA256, SHA384 or SHA512 [default: the key's natural digest].
        #[arg(long)]
        digest: Option<DigestAlgorithm>,
        /// Where to write the signature.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify a catalog file against its signature and the trust anchors
    /// (--catalog-trust, or the configuration), then validate it.
    Verify {
        /// The catalog file.
        file: PathBuf,
        /// The signature file [default: FILE.sig].
        #[arg(long)]
        signature: Option<PathBuf>,
        /// The trust anchors [default: catalog.trust of the configuration].
        #[command(flatten)]
        trust: CatalogTrustFlags,
    },
    /// List the accepted catalog versions.
    History,
}

/// Runs a catalog subcommand.
pub async fn run(config: &Config, command: CatalogCommand) -> anyhow::Result<()> {
    match command {
        CatalogCommand::Sign {
            file,
            key,
            cert,
            digest,
            out,
        } => sign(&file, &key, cert.as_deref(), digest, out),
        CatalogCommand::Verify {
            file, signature, ..
        } => verify(config, &file, signature),
        CatalogCommand::History => history(config).await,
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn sign(
    file: &Path,
    key: &Path,
    cert: Option<&Path>,
    digest: Option<DigestAlgorithm>,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let catalog = read(file)?;
    let name = file
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let chain = cert.map(read).transpose()?;
    let signature =
        depot_catalog::sign_catalog(&catalog, &name, &read(key)?, chain.as_deref(), digest)?;
    let out = out.unwrap_or_else(|| sig_path(file));
    if out.as_os_str() == "-" {
        print!("{signature}");
    } else {
        crate::data_dir::write_atomic(&out, signature.as_bytes())?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}

fn verify(config: &Config, file: &Path, signature: Option<PathBuf>) -> anyhow::Result<()> {
    if config.catalog.trust.is_empty() {
        bail!(
            "no trust anchors: give --catalog-trust FILE (or catalog.trust in the configuration)"
        );
    }
    let mut trust = TrustStore::new();
    for path in &config.catalog.trust {
        trust
            .add_pem(&read(path)?)
            .with_context(|| format!("trust file {}", path.display()))?;
    }
    let catalog = read(file)?;
    let signature = read(&signature.unwrap_or_else(|| sig_path(file)))?;
    let verified =
        depot_catalog::verify_signature(&trust, &catalog, &signature, depot_model::now())?;
    let parsed = depot_catalog::parse_catalog(&catalog)?;
    println!(
        "OK: signed by {}; sequence number {}, {} patches",
        verified.signer,
        parsed.sequence_number(),
        parsed.patch_count()
    );
    Ok(())
}

async fn history(config: &Config) -> anyhow::Result<()> {
    let store = super::open_store(config).await?;
    println!("version\tsequence\tchange\taccepted_at\taccepted_by\ttask\tcontent_sha256");
    for v in store.catalog_history().await? {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            v.id,
            v.sequence_number,
            v.change.as_str(),
            depot_http::wire_time::format(v.accepted_at),
            v.accepted_by,
            v.task_id,
            v.content_digest
        );
    }
    Ok(())
}

fn sig_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".sig");
    PathBuf::from(s)
}
