//! Which session file names are accepted: one path segment, nothing a file system or
//! a URL would read as more.

use crate::LibraryError;

/// The longest file name, in bytes.
pub const MAX_NAME_LEN: usize = 255;

/// Refuses empty, over-long, `.`/`..`, names with `/`, `\`, NUL or other control
/// characters.
pub(crate) fn check_file_name(name: &str) -> Result<(), LibraryError> {
    let bad = |why: &str| {
        Err(LibraryError::Invalid(format!(
            "file name {name:?} {why}; a file name is 1 to {MAX_NAME_LEN} bytes, one path segment without '/', '\\\\' or control characters"
        )))
    };
    if name.is_empty() {
        return bad("is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return bad("is too long");
    }
    if name == "." || name == ".." {
        return bad("is a relative path");
    }
    if name
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        return bad("has a forbidden character");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_separators_are_refused() {
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\0b", "a\nb"] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_file_name(&"x".repeat(256)).is_err());
        for good in [
            "disk-1.vmdk",
            "VMware-ESXi-9.0.0.iso",
            "a..b",
            "x".repeat(255).as_str(),
        ] {
            check_file_name(good).unwrap();
        }
    }
}
