//! [`PullLocation`]: a `PULL` depot's `location`, checked before any task starts.
//! `https:` and `http:` URLs are downloaded; a `file:` URL must name a file under the
//! configured import directory, after resolving `..` and symlinks.

use std::path::{Path, PathBuf};

use crate::EsxDepotError;

/// Where a `PULL` import reads its bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullLocation {
    /// An `https:` or `http:` URL (`secure` false: plain HTTP, allowed with a warning).
    Http {
        /// The URL, as given.
        url: String,
        /// The depot's origin (`scheme://authority/`), the download client's base URL.
        origin: String,
        /// Whether it is `https:`.
        secure: bool,
    },
    /// A file under the import directory (canonical path).
    File(PathBuf),
}

impl PullLocation {
    /// Checks `location` against the scheme rules; `import_dir` is where `file:` URLs
    /// may point (none: `file:` is refused).
    pub fn parse(location: &str, import_dir: Option<&Path>) -> Result<Self, EsxDepotError> {
        let invalid = |why: &str| EsxDepotError::Invalid(format!("location {location:?}: {why}"));
        let location = location.trim();
        let Some((scheme, rest)) = location.split_once(':') else {
            return Err(invalid("not a URL"));
        };
        match scheme.to_ascii_lowercase().as_str() {
            s @ ("https" | "http") => {
                let Some(after) = rest.strip_prefix("//") else {
                    return Err(invalid("not an absolute URL"));
                };
                let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
                if authority.is_empty() || authority.contains('@') {
                    return Err(invalid("the URL needs a host and no user information"));
                }
                Ok(Self::Http {
                    url: location.to_owned(),
                    origin: format!("{s}://{authority}/"),
                    secure: s == "https",
                })
            }
            "file" => {
                let dir = import_dir.ok_or_else(|| {
                    invalid("file URLs are not accepted: no import directory is configured ([esx] import_dir)")
                })?;
                Self::file(rest, dir).map_err(|why| invalid(&why))
            }
            _ => Err(invalid("the scheme must be https, http or file")),
        }
    }

    /// `rest` of a `file:` URL (`///abs/path` or `/abs/path`), resolved under `dir`.
    fn file(rest: &str, dir: &Path) -> Result<Self, String> {
        let path = rest
            .strip_prefix("//localhost")
            .or_else(|| rest.strip_prefix("//"))
            .unwrap_or(rest);
        if !path.starts_with('/') {
            return Err("a file URL must name an absolute path".to_owned());
        }
        let path = percent_decode(path)?;
        let dir = dir
            .canonicalize()
            .map_err(|e| format!("the import directory cannot be read: {e}"))?;
        let file = Path::new(&path)
            .canonicalize()
            .map_err(|_| "no such file".to_owned())?;
        if !file.starts_with(&dir) {
            return Err("the file is not under the import directory".to_owned());
        }
        if !file.is_file() {
            return Err("not a regular file".to_owned());
        }
        Ok(Self::File(file))
    }
}

/// Decodes `%XX` escapes; a path must stay UTF-8 and hold no NUL.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "a bad %-escape in the file URL".to_owned())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    if out.contains(&0) {
        return Err("a NUL in the file URL".to_owned());
    }
    String::from_utf8(out).map_err(|_| "the file URL is not UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_urls_keep_their_origin() {
        let l = PullLocation::parse("https://depot.example.com:8443/esx/a.zip?x=1", None).unwrap();
        assert_eq!(
            l,
            PullLocation::Http {
                url: "https://depot.example.com:8443/esx/a.zip?x=1".to_owned(),
                origin: "https://depot.example.com:8443/".to_owned(),
                secure: true,
            }
        );
        assert!(matches!(
            PullLocation::parse("HTTP://h/a.zip", None).unwrap(),
            PullLocation::Http { secure: false, .. }
        ));
        for bad in [
            "ftp://h/a.zip",
            "h/a.zip",
            "https:h",
            "https:///a.zip",
            "https://u:p@h/a.zip",
        ] {
            assert!(PullLocation::parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_urls_stay_under_the_import_dir() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("import");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("a b.zip"), b"zip").unwrap();
        std::fs::write(root.path().join("outside.zip"), b"zip").unwrap();
        std::os::unix::fs::symlink(root.path().join("outside.zip"), dir.join("link.zip")).unwrap();
        let url = |p: &Path| format!("file://{}", p.display()).replace(' ', "%20");
        let ok = PullLocation::parse(&url(&dir.join("a b.zip")), Some(&dir)).unwrap();
        assert_eq!(
            ok,
            PullLocation::File(dir.canonicalize().unwrap().join("a b.zip"))
        );
        for escape in [
            dir.join("../outside.zip"),
            dir.join("link.zip"),
            root.path().join("outside.zip"),
            dir.join("missing.zip"),
            dir.clone(),
        ] {
            assert!(
                PullLocation::parse(&url(&escape), Some(&dir)).is_err(),
                "{}",
                escape.display()
            );
        }
        assert!(PullLocation::parse(&url(&dir.join("a b.zip")), None).is_err());
        assert!(PullLocation::parse("file:relative.zip", Some(&dir)).is_err());
    }
}
