//! The root `index.xml` of an online depot serving several imported depots side by
//! side, each under its own directory: every vendor of every depot, its
//! `relativePath` moved under that directory. Clients (ESXi's esxcli, vSphere
//! Lifecycle Manager, UMDS) walk it to each depot's own vendor index and metadata
//! zips, which are served unchanged.

use std::fmt::Write as _;

use quick_xml::escape::escape;

use crate::entry_name::EntryName;
use crate::error::EsxError;
use crate::formats::index;
use crate::model::Vendor;

/// A vendor as an `index.xml` lists it: its name, code and the path of its vendor
/// index inside the depot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedVendor {
    /// `<name>`.
    pub name: String,
    /// `<code>`.
    pub code: String,
    /// `<relativePath>` joined with `<indexfile>`, checked to stay inside the depot.
    pub index: EntryName,
}

impl From<&Vendor> for IndexedVendor {
    fn from(vendor: &Vendor) -> Self {
        Self {
            name: vendor.name.clone(),
            code: vendor.code.clone(),
            index: vendor.index.clone(),
        }
    }
}

/// Reads the vendors of an `index.xml` (with the parser's checks: well-formed, no
/// DOCTYPE, paths inside the depot, at least one vendor).
pub fn index_vendors(bytes: &[u8]) -> Result<Vec<IndexedVendor>, EsxError> {
    Ok(index::parse("index.xml", bytes)?
        .into_iter()
        .map(|v| IndexedVendor {
            name: v.name,
            code: v.code,
            index: v.index,
        })
        .collect())
}

/// The `index.xml` listing the vendors of every depot, each depot's under the
/// directory paired with it (a relative path, no leading or trailing `/`; empty for
/// the root). Depots are listed in the order given.
pub fn online_index_xml<'a, I>(depots: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a [IndexedVendor])>,
{
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<vendorList>\n");
    for (dir, vendors) in depots {
        for vendor in vendors {
            let mut relative = dir.trim_matches('/').to_owned();
            if let Some(parent) = vendor.index.parent() {
                if !relative.is_empty() {
                    relative.push('/');
                }
                relative.push_str(parent);
            }
            if !relative.is_empty() {
                relative.push('/');
            }
            let _ = write!(
                xml,
                "  <vendor>\n    <name>{}</name>\n    <code>{}</code>\n    \
                 <indexfile>{}</indexfile>\n    <relativePath>{}</relativePath>\n    \
                 <content>\n      <name>VMware ESX</name>\n      \
                 <type>http://www.vmware.com/depotmanagement/esx</type>\n    </content>\n  \
                 </vendor>\n",
                escape(vendor.name.as_str()),
                escape(vendor.code.as_str()),
                escape(vendor.index.file_name()),
                escape(relative.as_str()),
            );
        }
    }
    xml.push_str("</vendorList>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor(name: &str, code: &str, index: &str) -> IndexedVendor {
        IndexedVendor {
            name: name.to_owned(),
            code: code.to_owned(),
            index: EntryName::resolve(None, index, "test").unwrap(),
        }
    }

    #[test]
    fn vendors_move_under_their_depot_directory_and_read_back() {
        let first = [vendor("VMware, Inc.", "vmw", "vmw/vendor-index.xml")];
        let second = [
            vendor("Dell & Co <x>", "dell", "vendor-index.xml"),
            vendor("HPE", "hpe", "hpe/a/hpe-index.xml"),
        ];
        let xml = online_index_xml([("d-1", &first[..]), ("d-2", &second[..])]);
        assert!(xml.contains("Dell &amp; Co &lt;x&gt;"), "{xml}");
        let read = index_vendors(xml.as_bytes()).unwrap();
        let paths: Vec<_> = read.iter().map(|v| v.index.as_str().to_owned()).collect();
        assert_eq!(
            paths,
            [
                "d-1/vmw/vendor-index.xml",
                "d-2/vendor-index.xml",
                "d-2/hpe/a/hpe-index.xml"
            ]
        );
        assert_eq!(read[1].name, "Dell & Co <x>");
        assert_eq!(read[2].code, "hpe");
    }

    #[test]
    fn a_depot_at_the_root_keeps_its_paths() {
        let vendors = [vendor("VMware, Inc.", "vmw", "vendor-index.xml")];
        let xml = online_index_xml([("", &vendors[..])]);
        assert_eq!(index_vendors(xml.as_bytes()).unwrap(), vendors);
    }

    #[test]
    fn no_depot_gives_an_empty_list() {
        let xml = online_index_xml(std::iter::empty());
        assert!(xml.contains("<vendorList>\n</vendorList>"), "{xml}");
    }
}
