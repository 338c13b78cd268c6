//! Hrefs of a publisher's documents, resolved against the library's root (the
//! directory of its `lib.json`) and refused when they would leave it.

use depot_upstream::DepotPath;

use crate::LibraryError;

/// The root and the document name of a subscription URL:
/// `https://h/p/lib.json` → (`https://h/p/`, `lib.json`).
pub fn split_subscription_url(url: &str) -> Result<(String, String), LibraryError> {
    let bad = |why: &str| {
        LibraryError::Invalid(format!(
            "subscription_url {url:?} is not the http(s) URL of a lib.json: {why}"
        ))
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("the scheme must be https or http"))?;
    if url.contains(['?', '#']) || url.chars().any(char::is_whitespace) {
        return Err(bad("it has a query, fragment or whitespace"));
    }
    let slash = rest.find('/').ok_or_else(|| bad("it names no file"))?;
    if rest[..slash].is_empty() || rest[..slash].contains('@') {
        return Err(bad("no host, or credentials in the URL"));
    }
    let last = url.rfind('/').unwrap_or(0);
    let (root, name) = url.split_at(last + 1);
    if name.is_empty() || last < url.len() - rest.len() + slash {
        return Err(bad("it names no file"));
    }
    Ok((root.to_owned(), name.to_owned()))
}

/// The path below the library root that `href` names. Relative hrefs are taken as
/// they are; an absolute URL only when it is below `root`. Percent-escapes are
/// decoded per segment; `.`/`..` segments, encoded `/`, queries, fragments, absolute
/// paths and other hosts or schemes are refused.
pub fn resolve(root: &str, href: &str) -> Result<DepotPath, LibraryError> {
    let refuse = |why: &str| {
        LibraryError::SyncFailed(format!(
            "the publisher's href {:?} is refused: {why}",
            href.chars().take(200).collect::<String>()
        ))
    };
    let relative = if href.contains("://") {
        href.strip_prefix(root)
            .ok_or_else(|| refuse("it points outside the subscribed library"))?
    } else {
        href
    };
    if relative.starts_with('/') || relative.contains(['?', '#', '\\']) {
        return Err(refuse(
            "only relative paths inside the library are followed",
        ));
    }
    let mut segments = Vec::new();
    for raw in relative.split('/') {
        let segment = decode(raw).ok_or_else(|| refuse("a bad percent-escape"))?;
        if segment.is_empty() || segment == "." || segment == ".." || segment.contains('/') {
            return Err(refuse("it leaves the library or has an empty segment"));
        }
        segments.push(segment);
    }
    DepotPath::parse(&segments.join("/")).map_err(|e| refuse(&e.to_string()))
}

/// `raw` with its `%XX` escapes decoded; `None` when one is bad or the result is not
/// UTF-8.
fn decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "https://pub.example.com/cls/vcsp/lib/1/";

    #[test]
    fn subscription_urls_split_into_root_and_document() {
        assert_eq!(
            split_subscription_url("https://pub.example.com/cls/vcsp/lib/1/lib.json").unwrap(),
            (ROOT.to_owned(), "lib.json".to_owned())
        );
        for bad in [
            "ftp://h/lib.json",
            "https://h",
            "https://h/",
            "https://h/dir/",
            "https://h/lib.json?x=1",
            "https://u:p@h/lib.json",
            "https:///lib.json",
        ] {
            assert!(split_subscription_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hrefs_stay_inside_the_library() {
        assert_eq!(
            resolve(ROOT, "a/item.json").unwrap().as_str(),
            "a/item.json"
        );
        assert_eq!(
            resolve(ROOT, "a/disk%201.vmdk").unwrap().as_str(),
            "a/disk 1.vmdk"
        );
        assert_eq!(
            resolve(ROOT, &format!("{ROOT}a/x.iso")).unwrap().as_str(),
            "a/x.iso"
        );
        for bad in [
            "../other/lib.json",
            "a/../../x",
            "a/%2e%2e/x",
            "a%2F..%2F..%2Fx",
            "/etc/passwd",
            "https://evil.example.com/x",
            "https://pub.example.com/cls/vcsp/lib/2/x",
            "file:///etc/passwd",
            "a//b",
            "a/x?y",
            "a/%zz",
            "",
        ] {
            assert!(resolve(ROOT, bad).is_err(), "{bad}");
        }
    }
}
