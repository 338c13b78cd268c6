//! OVF descriptors: which files their `References` name, read with a small scanner
//! (no DTDs, no entities: a descriptor that declares any is refused).

use std::collections::BTreeSet;

use depot_model::{SessionFile, TransferStatus, UpdateSession};

use crate::{ContentLibrary, LibraryError};

/// The largest descriptor read.
const MAX_DESCRIPTOR_BYTES: u64 = 4 << 20;

impl ContentLibrary {
    /// The files the session's (or else the item's) `.ovf` descriptor names that
    /// neither the session nor the item has. Empty when there is no descriptor.
    pub(crate) async fn missing_ovf_files(
        &self,
        session: &UpdateSession,
        files: &[SessionFile],
    ) -> Result<Vec<String>, LibraryError> {
        let item_files = self.store().item_files(session.item_id).await?;
        let descriptor = files
            .iter()
            .filter(|f| is_descriptor(&f.name) && f.transfer.status == TransferStatus::Ready)
            .find_map(|f| f.transfer.stored.map(|b| b.digest))
            .or_else(|| {
                item_files
                    .iter()
                    .filter(|f| is_descriptor(&f.name))
                    .find_map(|f| f.digest)
            });
        let Some(digest) = descriptor else {
            return Ok(Vec::new());
        };
        let bytes = self.blobs().read_all(&digest, MAX_DESCRIPTOR_BYTES).await?;
        let text = String::from_utf8_lossy(&bytes);
        let referenced = referenced_files(&text).map_err(LibraryError::Invalid)?;
        let present: BTreeSet<&str> = files
            .iter()
            .map(|f| f.name.as_str())
            .chain(item_files.iter().map(|f| f.name.as_str()))
            .collect();
        Ok(referenced
            .into_iter()
            .filter(|r| !present.contains(r.as_str()))
            .collect())
    }
}

fn is_descriptor(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".ovf")
}

/// The `href` of every `File` element inside `References`, in order, without
/// duplicates.
pub(crate) fn referenced_files(descriptor: &str) -> Result<Vec<String>, String> {
    if descriptor.contains("<!DOCTYPE") || descriptor.contains("<!ENTITY") {
        return Err("the OVF descriptor declares a DTD or entities, which are not accepted".into());
    }
    let Some(start) = find_tag(descriptor, "References") else {
        return Ok(Vec::new());
    };
    let section = &descriptor[start..];
    // The section runs from its opening tag to its closing tag.
    let open_end = section.find('>').map_or(section.len(), |e| e + 1);
    let end = section[open_end..]
        .find("References>")
        .map_or(section.len(), |e| open_end + e);
    let section = &section[open_end..end];
    let mut out: Vec<String> = Vec::new();
    let mut rest = section;
    while let Some(at) = find_tag(rest, "File") {
        let tag = &rest[at..];
        let close = tag.find('>').unwrap_or(tag.len());
        if let Some(href) = attribute(&tag[..close], "href")
            && !out.contains(&href)
        {
            out.push(href);
        }
        rest = &tag[close..];
    }
    Ok(out)
}

/// Where the element `name` (with or without a namespace prefix) opens.
fn find_tag(text: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(lt) = text[from..].find('<') {
        let at = from + lt;
        let after = &text[at + 1..];
        let tag_name: &str = after
            .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .next()
            .unwrap_or("");
        let local = tag_name.rsplit(':').next().unwrap_or(tag_name);
        if local == name && !tag_name.starts_with('/') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The value of attribute `name` (any namespace prefix) in an opening tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim_end();
        let key = key
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or(key);
        let local = key.rsplit(':').next().unwrap_or(key);
        let value_part = rest[eq + 1..].trim_start();
        let quote = value_part.chars().next()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        let body = &value_part[1..];
        let end = body.find(quote)?;
        if local == name {
            return Some(unescape(&body[..end]));
        }
        rest = &body[end + 1..];
    }
    None
}

/// The five predefined XML entities.
fn unescape(value: &str) -> String {
    value
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OVF: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References>
    <File ovf:href="disk-0.vmdk" ovf:id="file1" ovf:size="1024"/>
    <ovf:File ovf:id="file2" ovf:href='disk-1.vmdk'/>
    <File ovf:href="a&amp;b.iso" ovf:id="file3"></File>
  </References>
  <DiskSection><Disk ovf:fileRef="file1"/></DiskSection>
  <VirtualSystem><File ovf:href="not-a-reference.vmdk"/></VirtualSystem>
</Envelope>"#;

    #[test]
    fn references_are_read_and_nothing_else() {
        assert_eq!(
            referenced_files(OVF).unwrap(),
            vec!["disk-0.vmdk", "disk-1.vmdk", "a&b.iso"]
        );
    }

    #[test]
    fn no_references_names_nothing() {
        assert!(referenced_files("<Envelope/>").unwrap().is_empty());
    }

    #[test]
    fn dtds_are_refused() {
        let evil = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Envelope/>";
        assert!(referenced_files(evil).is_err());
    }
}
