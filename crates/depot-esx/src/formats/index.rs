//! `index.xml`: the depot's list of vendors, each pointing at its vendor index.
//!
//! ```xml
//! <vendorList>
//!   <vendor>
//!     <name>VMware, Inc.</name> <code>vmw</code>
//!     <indexfile>vendor-index.xml</indexfile> <relativePath></relativePath>
//!     <content><name>VMware ESX</name><type>http://www.vmware.com/depotmanagement/esx</type></content>
//!   </vendor>
//! </vendorList>
//! ```

use serde::Deserialize;

use super::required;
use crate::entry_name::EntryName;
use crate::error::EsxError;

#[derive(Deserialize)]
struct VendorList {
    #[serde(rename = "vendor", default)]
    vendors: Vec<VendorXml>,
}

#[derive(Deserialize)]
struct VendorXml {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    indexfile: String,
    #[serde(rename = "relativePath", default)]
    relative_path: String,
}

/// A vendor as `index.xml` lists it.
pub(crate) struct IndexVendor {
    pub name: String,
    pub code: String,
    pub index: EntryName,
}

/// Parses `index.xml` (at the archive root).
pub(crate) fn parse(document: &str, bytes: &[u8]) -> Result<Vec<IndexVendor>, EsxError> {
    let list: VendorList = crate::document::from_xml(document, bytes)?;
    if list.vendors.is_empty() {
        return Err(EsxError::invalid(document, "it lists no vendor"));
    }
    list.vendors
        .into_iter()
        .map(|v| {
            let indexfile = required(document, "indexfile", &v.indexfile)?;
            let dir = v.relative_path.trim().trim_end_matches('/');
            let index = EntryName::resolve(None, &join(dir, &indexfile), document)?;
            Ok(IndexVendor {
                name: required(document, "name", &v.name)?,
                code: required(document, "code", &v.code)?,
                index,
            })
        })
        .collect()
}

fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_owned()
    } else {
        format!("{dir}/{file}")
    }
}
