//! Where blobs are stored: the data dir (default) or an S3-compatible bucket
//! (`blob_store = "s3://BUCKET/PREFIX"` with the `[s3]` section).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use serde::{Deserialize, Serialize};

use super::values;

/// `[s3]`: how to reach the bucket of `blob_store = "s3://…"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Section {
    /// The endpoint URL (`https://minio.example.com:9000`); empty: AWS S3. Requests are
    /// path-style (`ENDPOINT/BUCKET/KEY`).
    #[serde(with = "values::optional")]
    pub endpoint: Option<String>,
    /// The region requests are signed for.
    pub region: String,
    /// A file with the credentials (see [`read_credentials`]); empty: the
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` environment variables.
    #[serde(with = "values::optional")]
    pub credentials_file: Option<PathBuf>,
    /// Allow a plain `http://` endpoint that is not on the loopback interface.
    pub allow_http: bool,
}

impl Default for S3Section {
    fn default() -> Self {
        Self {
            endpoint: None,
            region: "us-east-1".to_owned(),
            credentials_file: None,
            allow_http: false,
        }
    }
}

/// The flags of the blob store (global: `depotd blobs gc --now` needs them too).
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct S3Flags {
    /// Object-storage endpoint URL for --blob-store s3://… [default: AWS S3].
    #[arg(
        long = "s3-endpoint",
        value_name = "URL",
        env = "DEPOTD_S3_ENDPOINT",
        global = true
    )]
    #[serde(skip_serializing_if = "values::blank")]
    pub endpoint: Option<String>,
    /// Region to sign object-storage requests for [default: us-east-1].
    #[arg(
        long = "s3-region",
        value_name = "REGION",
        env = "DEPOTD_S3_REGION",
        global = true
    )]
    #[serde(skip_serializing_if = "values::blank")]
    pub region: Option<String>,
    /// File with `access_key_id = "…"` and `secret_access_key = "…"` (TOML)
    /// [default: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment].
    #[arg(
        long = "s3-credentials-file",
        value_name = "PATH",
        env = "DEPOTD_S3_CREDENTIALS_FILE",
        global = true
    )]
    #[serde(skip_serializing_if = "values::blank")]
    pub credentials_file: Option<PathBuf>,
    /// Allow a plain http:// endpoint off the loopback interface.
    #[arg(
        long = "s3-allow-http",
        env = "DEPOTD_S3_ALLOW_HTTP",
        num_args = 0..=1,
        default_missing_value = "true",
        global = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_http: Option<bool>,
}

/// The blob store a configuration selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobStoreChoice {
    /// `<data dir>/blobs`.
    Local,
    /// A bucket and a key prefix in it.
    S3 {
        /// The bucket.
        bucket: String,
        /// The prefix (may be empty).
        prefix: String,
    },
}

/// Reads `s3://BUCKET/PREFIX` (the prefix is optional); empty: the local store.
pub fn parse_blob_store(value: Option<&str>) -> anyhow::Result<BlobStoreChoice> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(BlobStoreChoice::Local);
    };
    let Some(rest) = value.strip_prefix("s3://") else {
        bail!("blob_store must be s3://BUCKET/PREFIX (or empty for the data dir), not {value:?}");
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        bail!("blob_store {value:?} names no bucket");
    }
    Ok(BlobStoreChoice::S3 {
        bucket: bucket.to_owned(),
        prefix: prefix.trim_matches('/').to_owned(),
    })
}

impl S3Section {
    /// Checks the endpoint: a URL, and plain HTTP only on loopback or when allowed.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        let Some(endpoint) = &self.endpoint else {
            return Ok(());
        };
        let (scheme, host) = split_url(endpoint)
            .with_context(|| format!("s3.endpoint {endpoint:?} is not a URL"))?;
        match scheme {
            "https" => Ok(()),
            "http" if self.allow_http || is_loopback(host) => Ok(()),
            "http" => bail!(
                "s3.endpoint {endpoint:?} is plain http off the loopback interface: set s3.allow_http (--s3-allow-http) to allow it"
            ),
            other => bail!("s3.endpoint {endpoint:?} has scheme {other:?}, not http or https"),
        }
    }

    /// Whether requests may go over plain HTTP.
    pub fn http_allowed(&self) -> bool {
        self.allow_http
            || self
                .endpoint
                .as_deref()
                .and_then(split_url)
                .is_some_and(|(_, host)| is_loopback(host))
    }
}

/// A URL's scheme and host (without port, user or brackets).
fn split_url(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split_once(']')?.0
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then_some((scheme, host))
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Reads a credentials file: TOML with `access_key_id` and `secret_access_key`.
pub fn read_credentials(path: &Path) -> anyhow::Result<depot_blobs::S3Credentials> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        access_key_id: String,
        secret_access_key: String,
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the S3 credentials file {}", path.display()))?;
    let file: File =
        toml::from_str(&text).with_context(|| format!("S3 credentials file {}", path.display()))?;
    Ok(depot_blobs::S3Credentials {
        access_key_id: file.access_key_id,
        secret_access_key: file.secret_access_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_store_urls() {
        assert_eq!(parse_blob_store(None).unwrap(), BlobStoreChoice::Local);
        assert_eq!(parse_blob_store(Some("")).unwrap(), BlobStoreChoice::Local);
        assert_eq!(
            parse_blob_store(Some("s3://b/site/a/")).unwrap(),
            BlobStoreChoice::S3 {
                bucket: "b".to_owned(),
                prefix: "site/a".to_owned()
            }
        );
        assert_eq!(
            parse_blob_store(Some("s3://b")).unwrap(),
            BlobStoreChoice::S3 {
                bucket: "b".to_owned(),
                prefix: String::new()
            }
        );
        assert!(parse_blob_store(Some("s3:///x")).is_err());
        assert!(parse_blob_store(Some("/var/blobs")).is_err());
    }

    #[test]
    fn plain_http_only_on_loopback_or_when_allowed() {
        let section = |endpoint: &str, allow_http| S3Section {
            endpoint: Some(endpoint.to_owned()),
            allow_http,
            ..S3Section::default()
        };
        assert!(section("http://127.0.0.1:9000", false).check().is_ok());
        assert!(section("http://localhost:9000", false).check().is_ok());
        assert!(section("https://s3.example.com", false).check().is_ok());
        assert!(section("http://s3.example.com", false).check().is_err());
        assert!(section("http://s3.example.com", true).check().is_ok());
        assert!(section("http://[::1]:9000/", false).check().is_ok());
        assert!(section("ftp://s3.example.com", true).check().is_err());
        assert!(section("not a url", true).check().is_err());
    }
}
