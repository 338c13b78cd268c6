//! [`DepotLocation`]: an online depot's `location`, checked once: the http(s) URL of its
//! index document (`…/index.xml`, `…/vmw-depot-index.xml`) or of its directory (then
//! `index.xml`). The directory is the depot root every other path is below.

use depot_esx::EntryName;

use crate::OnlineDepotError;

/// The index document of a depot given by its directory.
const DEFAULT_INDEX: &str = "index.xml";

/// A checked depot location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepotLocation {
    /// The depot root, ending in `/`.
    pub root: String,
    /// The index document, below the root.
    pub index: EntryName,
}

impl DepotLocation {
    /// Checks `location`: `http` or `https`, a host, no credentials, query or fragment.
    pub fn parse(location: &str) -> Result<Self, OnlineDepotError> {
        let bad = |why: &str| {
            OnlineDepotError::Invalid(format!(
                "location {:?} is not the http(s) URL of an online depot: {why}",
                location.chars().take(200).collect::<String>()
            ))
        };
        let rest = location
            .strip_prefix("https://")
            .or_else(|| location.strip_prefix("http://"))
            .ok_or_else(|| bad("the scheme must be https or http"))?;
        if location.contains(['?', '#', '\\']) || location.chars().any(char::is_whitespace) {
            return Err(bad("it has a query, fragment, backslash or whitespace"));
        }
        let host_end = rest.find('/').unwrap_or(rest.len());
        let host = &rest[..host_end];
        if host.is_empty() || host.contains('@') {
            return Err(bad("no host, or credentials in the URL"));
        }
        let scheme_len = location.len() - rest.len();
        let path = &rest[host_end..];
        let (dir, file) = match path.rsplit_once('/') {
            Some((dir, file)) if file.to_ascii_lowercase().ends_with(".xml") => {
                (format!("{dir}/"), file)
            }
            _ if path.is_empty() || path.ends_with('/') => (path.to_owned(), DEFAULT_INDEX),
            _ => (format!("{path}/"), DEFAULT_INDEX),
        };
        let dir = if dir.is_empty() { "/".to_owned() } else { dir };
        if dir.split('/').any(|s| s == "." || s == "..") {
            return Err(bad("it has a '.' or '..' segment"));
        }
        let index = EntryName::resolve(None, file, "location")
            .map_err(|_| bad("the index document's name is not allowed"))?;
        Ok(Self {
            root: format!("{}{host}{dir}", &location[..scheme_len]),
            index,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(location: &str) -> (String, String) {
        let l = DepotLocation::parse(location).unwrap();
        (l.root, l.index.to_string())
    }

    #[test]
    fn index_documents_and_directories_are_accepted() {
        assert_eq!(
            split("https://hostupdate.vmware.com/software/VUM/PRODUCTION/main/vmw-depot-index.xml"),
            (
                "https://hostupdate.vmware.com/software/VUM/PRODUCTION/main/".to_owned(),
                "vmw-depot-index.xml".to_owned()
            )
        );
        assert_eq!(
            split("http://127.0.0.1:8080/depot/esx/"),
            (
                "http://127.0.0.1:8080/depot/esx/".to_owned(),
                "index.xml".to_owned()
            )
        );
        assert_eq!(
            split("http://h/depot"),
            ("http://h/depot/".to_owned(), "index.xml".to_owned())
        );
        assert_eq!(
            split("https://h"),
            ("https://h/".to_owned(), "index.xml".to_owned())
        );
        assert_eq!(
            split("https://h/index.xml"),
            ("https://h/".to_owned(), "index.xml".to_owned())
        );
    }

    #[test]
    fn other_schemes_and_odd_urls_are_refused() {
        for bad in [
            "ftp://h/index.xml",
            "file:///srv/depot/index.xml",
            "h/index.xml",
            "https:///index.xml",
            "https://u:p@h/index.xml",
            "https://h/index.xml?x=1",
            "https://h/a/../index.xml",
            "https://h/a b/index.xml",
            "",
        ] {
            assert!(DepotLocation::parse(bad).is_err(), "{bad} passed");
        }
    }
}
