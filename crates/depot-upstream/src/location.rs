//! Where a file lives on the depot: [`DepotPath`] (a checked relative path),
//! [`PathTemplate`] (where a download token goes) and the URL built from both, with a
//! redacted form for messages and logs.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;

use crate::error::UpstreamError;
use depot_model::Secret;

/// Longest accepted relative path or template, in bytes.
const MAX_PATH_LEN: usize = 2048;

/// What the token is replaced with wherever a URL is shown.
const REDACTED: &str = "***";

/// A file path relative to the depot's base URL, e.g.
/// `PROD/metadata/productVersionCatalog/v1/productVersionCatalog.json`.
///
/// Segments are separated by `/` and are non-empty, never `.` or `..`, and free of `\` and
/// control characters; there is no leading or trailing `/`. Segments are percent-encoded
/// when the URL is built, so `?`, `#`, `%` and spaces are sent literally.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DepotPath(String);

impl DepotPath {
    /// Checks and wraps a relative path.
    pub fn parse(input: &str) -> Result<Self, UpstreamError> {
        let bad = |reason| UpstreamError::BadPath {
            path: input.chars().take(200).collect(),
            reason,
        };
        if input.is_empty() {
            return Err(bad("the path is empty"));
        }
        if input.len() > MAX_PATH_LEN {
            return Err(bad("the path is longer than 2048 bytes"));
        }
        if input.starts_with('/') {
            return Err(bad(
                "the path must be relative to the depot URL (no leading /)",
            ));
        }
        for segment in input.split('/') {
            if let Some(reason) = segment_problem(segment) {
                return Err(bad(reason));
            }
        }
        Ok(Self(input.to_owned()))
    }

    /// The path as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl FromStr for DepotPath {
    type Err = UpstreamError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

impl fmt::Display for DepotPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why `segment` cannot be a path segment, if it cannot.
fn segment_problem(segment: &str) -> Option<&'static str> {
    if segment.is_empty() {
        Some("the path has an empty segment (`//` or a trailing /)")
    } else if segment == "." || segment == ".." {
        Some("the path has a `.` or `..` segment")
    } else if segment.contains('\\') {
        Some("the path contains a backslash")
    } else if segment.chars().any(char::is_control) {
        Some("the path contains a control character")
    } else {
        None
    }
}

/// One piece of a [`PathTemplate`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Token,
    Path,
}

/// Where the download token and the relative path go in the request path, relative to the
/// base URL's path: `/`-separated segments, exactly one of which is `{token}` and exactly
/// one `{path}` (which expands to all segments of the [`DepotPath`]); the others are
/// literal. Examples: `{token}/{path}`, `/{token}/PROD/{path}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate(Vec<Part>);

impl PathTemplate {
    /// Parses a template; a leading `/` is ignored.
    pub fn parse(input: &str) -> Result<Self, UpstreamError> {
        let bad = |reason| UpstreamError::BadPathTemplate {
            template: input.chars().take(200).collect(),
            reason,
        };
        if input.len() > MAX_PATH_LEN {
            return Err(bad("the template is longer than 2048 bytes"));
        }
        let mut parts = Vec::new();
        for segment in input.strip_prefix('/').unwrap_or(input).split('/') {
            let part = match segment {
                "{token}" => Part::Token,
                "{path}" => Part::Path,
                _ if segment.contains(['{', '}']) => {
                    return Err(bad(
                        "only whole segments `{token}` and `{path}` are placeholders",
                    ));
                }
                _ => {
                    if let Some(reason) = segment_problem(segment) {
                        return Err(bad(reason));
                    }
                    Part::Literal(segment.to_owned())
                }
            };
            parts.push(part);
        }
        let count = |wanted: &Part| parts.iter().filter(|part| *part == wanted).count();
        if count(&Part::Token) != 1 {
            return Err(bad("the template needs exactly one `{token}` segment"));
        }
        if count(&Part::Path) != 1 {
            return Err(bad("the template needs exactly one `{path}` segment"));
        }
        Ok(Self(parts))
    }

    /// The segments for `path` with `token` in its place.
    fn expand<'a>(&'a self, token: &'a str, path: &'a DepotPath) -> Vec<&'a str> {
        let mut out = Vec::new();
        for part in &self.0 {
            match part {
                Part::Literal(text) => out.push(text.as_str()),
                Part::Token => out.push(token),
                Part::Path => out.extend(path.segments()),
            }
        }
        out
    }
}

impl FromStr for PathTemplate {
    type Err = UpstreamError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

/// A URL to request and the same URL with the token redacted, for messages and logs.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The URL to request (may hold the token).
    pub(crate) url: Url,
    /// The URL with the token replaced by `***`.
    pub(crate) shown: String,
}

/// Turns relative paths into URLs.
#[derive(Debug, Clone)]
pub(crate) struct Locator {
    base: Url,
    token: Option<(Secret, PathTemplate)>,
}

impl Locator {
    /// Checks `base_url`: http(s), a host, no credentials, query or fragment.
    pub(crate) fn new(
        base_url: &str,
        token: Option<(Secret, PathTemplate)>,
    ) -> Result<Self, UpstreamError> {
        let base = parse_http_url("base URL", base_url, false)?;
        if base.query().is_some() || base.fragment().is_some() {
            return Err(UpstreamError::BadUrl {
                what: "base URL",
                shown: base.to_string(),
                reason: "the URL must not have a query or fragment".to_owned(),
            });
        }
        if let Some((secret, _)) = &token {
            let value = secret.expose();
            if value.is_empty() || value.contains('/') || value.chars().any(char::is_whitespace) {
                return Err(UpstreamError::BadToken {
                    reason: "the download token is empty or contains `/` or whitespace",
                });
            }
        }
        Ok(Self { base, token })
    }

    /// The base URL.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// The host name (or address) of the base URL, for messages.
    pub(crate) fn host(&self) -> String {
        self.base.host_str().unwrap_or_default().to_owned()
    }

    /// The URL of `path`, and its redacted form.
    pub(crate) fn target(&self, path: &DepotPath) -> Target {
        match &self.token {
            None => {
                let url = self.join(path.segments());
                let shown = url.to_string();
                Target { url, shown }
            }
            Some((token, template)) => Target {
                url: self.join(template.expand(token.expose(), path)),
                shown: self.join(template.expand(REDACTED, path)).to_string(),
            },
        }
    }

    /// The target of an absolute URL (a file a depot's index names by URL), and whether it
    /// is on the depot's own origin (scheme, host and port), where its credentials may go.
    pub(crate) fn absolute(&self, input: &str) -> Result<(Target, bool), UpstreamError> {
        let url = parse_http_url("file URL", input, false)?;
        let same_origin = url.origin() == self.base.origin();
        let shown = url.to_string();
        Ok((Target { url, shown }, same_origin))
    }

    fn join<'a>(&self, segments: impl IntoIterator<Item = &'a str>) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("an http(s) URL with a host always has path segments")
            .pop_if_empty()
            .extend(segments);
        url
    }
}

/// Parses an http(s) URL with a host; `what` names it in errors. Credentials are rejected
/// unless `allow_credentials`; errors never echo them.
pub(crate) fn parse_http_url(
    what: &'static str,
    input: &str,
    allow_credentials: bool,
) -> Result<Url, UpstreamError> {
    let url = Url::parse(input.trim()).map_err(|err| UpstreamError::BadUrl {
        what,
        shown: String::new(),
        reason: err.to_string(),
    })?;
    let mut shown = url.clone();
    // Clearing credentials only fails for URLs without a host, which are rejected below.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    let bad = |reason: &str| UpstreamError::BadUrl {
        what,
        shown: shown.to_string(),
        reason: reason.to_owned(),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be https or http"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("the URL has no host"));
    }
    if !allow_credentials && (!url.username().is_empty() || url.password().is_some()) {
        return Err(bad(
            "the URL must not contain credentials: set them in the depot account instead",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests;
