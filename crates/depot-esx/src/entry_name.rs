//! [`EntryName`]: a zip entry name or a path a document names, checked to stay inside
//! the archive: relative, `/`-separated, no `.`/`..`/empty components, no backslash,
//! drive letter or control character. Raw names never reach a lookup without it.

use std::fmt;

use crate::error::EsxError;

/// The longest name accepted, in bytes.
const MAX_LEN: usize = 1024;

/// A checked, normalized path inside an archive (no leading or trailing `/`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryName(String);

impl EntryName {
    /// Checks a name as found in a zip directory. A trailing `/` (a directory entry) is
    /// dropped.
    pub fn parse(raw: &[u8]) -> Result<Self, EsxError> {
        let lossy = || String::from_utf8_lossy(raw).into_owned();
        let refuse = |reason| EsxError::UnsafeName {
            name: lossy(),
            reason,
        };
        let text = std::str::from_utf8(raw).map_err(|_| refuse("not UTF-8"))?;
        Self::check(text).map_err(refuse)
    }

    /// Resolves `relative` (a path a document names) against the directory `base` (an
    /// entry's directory, `None` for the archive root), with the same checks.
    pub fn resolve(base: Option<&str>, relative: &str, document: &str) -> Result<Self, EsxError> {
        let relative = relative.trim();
        if relative.contains("://") {
            return Err(EsxError::invalid(
                document,
                format!("{relative:?} is a URL; an offline depot names files inside itself"),
            ));
        }
        let joined = match base {
            Some(dir) if !dir.is_empty() => format!("{dir}/{relative}"),
            _ => relative.to_owned(),
        };
        Self::check(&joined).map_err(|reason| {
            EsxError::invalid(
                document,
                format!("the path {relative:?} is not allowed: {reason}"),
            )
        })
    }

    fn check(text: &str) -> Result<Self, &'static str> {
        if text.is_empty() || text == "/" {
            return Err("empty");
        }
        if text.len() > MAX_LEN {
            return Err("too long");
        }
        if text.contains('\\') {
            return Err("contains a backslash");
        }
        if text.chars().any(char::is_control) {
            return Err("contains a control character");
        }
        if text.starts_with('/') {
            return Err("absolute path");
        }
        let bytes = text.as_bytes();
        if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
            return Err("starts with a drive letter");
        }
        let trimmed = text.strip_suffix('/').unwrap_or(text);
        for part in trimmed.split('/') {
            match part {
                "" => return Err("has an empty path component"),
                "." | ".." => return Err("has a '.' or '..' path component"),
                _ => {}
            }
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The directory holding this entry (`None` at the archive root).
    pub fn parent(&self) -> Option<&str> {
        self.0.rsplit_once('/').map(|(dir, _)| dir)
    }

    /// The last component.
    pub fn file_name(&self) -> &str {
        self.0.rsplit_once('/').map_or(&self.0, |(_, name)| name)
    }
}

impl fmt::Display for EntryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_directories_lose_their_slash() {
        assert_eq!(
            EntryName::parse(b"vib20/a/b.vib").unwrap().as_str(),
            "vib20/a/b.vib"
        );
        assert_eq!(EntryName::parse(b"vib20/").unwrap().as_str(), "vib20");
        let name = EntryName::parse(b"vib20/a/b.vib").unwrap();
        assert_eq!(
            (name.parent(), name.file_name()),
            (Some("vib20/a"), "b.vib")
        );
    }

    #[test]
    fn escaping_names_are_refused() {
        for bad in [
            &b"../x"[..],
            b"a/../../x",
            b"/etc/passwd",
            b"a\\b",
            b"C:/x",
            b"a//b",
            b"./a",
            b"",
            b"a\nb",
            b"\xff\xfe",
        ] {
            assert!(EntryName::parse(bad).is_err(), "{bad:?} passed");
        }
    }

    #[test]
    fn resolve_joins_and_refuses_urls_and_escapes() {
        let base = Some("depot");
        assert_eq!(
            EntryName::resolve(base, "vib20/x.vib", "d")
                .unwrap()
                .as_str(),
            "depot/vib20/x.vib"
        );
        assert_eq!(
            EntryName::resolve(None, "x.vib", "d").unwrap().as_str(),
            "x.vib"
        );
        assert!(EntryName::resolve(base, "../x.vib", "d").is_err());
        assert!(EntryName::resolve(None, "https://h/x.vib", "d").is_err());
    }
}
