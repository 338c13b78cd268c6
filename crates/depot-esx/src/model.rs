//! The parsed offline depot: what an ESXi offline bundle holds, as the `content` view and
//! the stores above need it. Pure data; built by [`parse_bundle`](crate::parse_bundle).

use std::collections::BTreeMap;

use depot_model::Sha256Digest;

use crate::entry_name::EntryName;

/// A whole offline depot: its vendors (from `index.xml`) and its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsxDepot {
    /// The digest of its metadata content (see [`DepotIdentity`]).
    pub identity: DepotIdentity,
    /// The vendors of `index.xml`, in its order.
    pub vendors: Vec<Vendor>,
}

impl EsxDepot {
    /// Every VIB of every metadata bundle.
    pub fn vibs(&self) -> impl Iterator<Item = &Vib> {
        self.vendors
            .iter()
            .flat_map(|v| &v.metadata)
            .flat_map(|m| &m.vibs)
    }
}

/// What identifies a depot by content: SHA-256 over the metadata documents (see the crate
/// README). The same metadata gives the same identity whatever the zip's file name,
/// compression or entry order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DepotIdentity(pub Sha256Digest);

/// A vendor of `index.xml` and the metadata bundles its vendor index lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    /// Display name (`<name>`).
    pub name: String,
    /// Short code (`<code>`), e.g. `vmw`.
    pub code: String,
    /// The vendor index entry (`<relativePath>` + `<indexfile>`).
    pub index: EntryName,
    /// The metadata bundles of the vendor index, in its order.
    pub metadata: Vec<MetadataBundle>,
}

/// One metadata zip (`<metadata>` of a vendor index) and what it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataBundle {
    /// The metadata zip's entry in the bundle.
    pub path: EntryName,
    /// `<productId>`, e.g. `embeddedEsx`.
    pub product_id: String,
    /// `<version>` (the product version the metadata is for).
    pub version: String,
    /// `<channelName>`s.
    pub channels: Vec<String>,
    /// `bulletins/*.xml`: updates; since 7.0 each is also a component.
    pub bulletins: Vec<Bulletin>,
    /// `vibs/*.xml`.
    pub vibs: Vec<Vib>,
    /// `baseimages/*`.
    pub base_images: Vec<BaseImage>,
    /// `addons/*`.
    pub addons: Vec<Addon>,
    /// `solutions/*`.
    pub solutions: Vec<Solution>,
    /// `manifests/*`: hardware support packages.
    pub hardware_support: Vec<HardwareSupport>,
}

/// A name and how to show it (`nameSpec`, `componentNameSpec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameSpec {
    /// The name (an id).
    pub name: String,
    /// Its display form.
    pub display_name: String,
}

/// A version and how to show it (`versionSpec`, `componentVersionSpec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSpec {
    /// The version.
    pub version: String,
    /// Its display form.
    pub display_version: String,
}

/// A bulletin (`bulletins/<id>.xml`); with a component name and version it is a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bulletin {
    /// `<id>`.
    pub id: String,
    /// `<vendor>`.
    pub vendor: String,
    /// `<summary>`.
    pub summary: String,
    /// `<releaseDate>` as written.
    pub release_date: String,
    /// `<releaseType>`: `patch`, `rollup`, `extension`...
    pub release_type: String,
    /// `<category>`.
    pub category: String,
    /// `<severity>`.
    pub severity: String,
    /// `componentNameSpec` + `componentVersionSpec`, when the bulletin is a component.
    pub component: Option<(NameSpec, VersionSpec)>,
    /// `<vibList><vibID>`s.
    pub vib_ids: Vec<String>,
}

/// How far a VIB is vouched for (`<acceptance-level>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AcceptanceLevel {
    /// `certified` (VMwareCertified).
    Certified,
    /// `accepted` (VMwareAccepted).
    Accepted,
    /// `partner` (PartnerSupported).
    Partner,
    /// `community` (CommunitySupported).
    Community,
}

impl AcceptanceLevel {
    /// The level as the metadata writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Certified => "certified",
            Self::Accepted => "accepted",
            Self::Partner => "partner",
            Self::Community => "community",
        }
    }

    /// Parses the metadata's word (either case).
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Certified,
            Self::Accepted,
            Self::Partner,
            Self::Community,
        ]
        .into_iter()
        .find(|level| level.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// The checksum a VIB's metadata declares for its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredChecksum {
    /// `checksum-type="sha-256"`.
    Sha256(Sha256Digest),
    /// `checksum-type="sha-1"` (older metadata), lowercase hex.
    Sha1(String),
}

/// A VIB (`vibs/*.xml`) and its payload in the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vib {
    /// `<vendor>_<type>_<name>_<version>`, as bulletins' `<vibID>` name it.
    pub id: String,
    /// `<name>`.
    pub name: String,
    /// `<version>`.
    pub version: String,
    /// `<vendor>`.
    pub vendor: String,
    /// `<type>`: `bootbank`, `locker`...
    pub kind: String,
    /// `<summary>`.
    pub summary: String,
    /// `<acceptance-level>`.
    pub acceptance_level: AcceptanceLevel,
    /// `<software-tags><tag>`s.
    pub software_tags: Vec<String>,
    /// The payload's entry: `<relative-path>` resolved against the metadata zip's directory.
    pub payload: EntryName,
    /// `<packed-size>`: the payload's size in bytes.
    pub packed_size: u64,
    /// `<checksum>`: what the metadata declares.
    pub declared: DeclaredChecksum,
    /// The payload's SHA-256, computed while streaming it (equal to a declared SHA-256).
    /// Its blob's name. `None` only in a model fresh from the metadata, before the
    /// payloads were read.
    pub sha256: Option<Sha256Digest>,
}

/// A base image (`baseimages/*`, vLCM era).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseImage {
    /// `releaseID`.
    pub release_id: String,
    /// `nameSpec` (ESXi base images usually have none: `ESXi`).
    pub name: NameSpec,
    /// `versionSpec`.
    pub version: VersionSpec,
    /// `components`: name → version.
    pub components: BTreeMap<String, String>,
}

/// An add-on (`addons/*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addon {
    /// `releaseID`.
    pub release_id: String,
    /// `nameSpec`.
    pub name: NameSpec,
    /// `versionSpec`.
    pub version: VersionSpec,
    /// `vendor`.
    pub vendor: String,
    /// `components`: name → version.
    pub components: BTreeMap<String, String>,
    /// `removedComponents`.
    pub removed_components: Vec<String>,
    /// `supportedBaseImageVersions`.
    pub supported_base_images: Vec<String>,
}

/// A solution (`solutions/*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    /// `releaseID`.
    pub release_id: String,
    /// `nameSpec`.
    pub name: NameSpec,
    /// `versionSpec`.
    pub version: VersionSpec,
    /// The components it constrains, by name (with the versions named, if any).
    pub components: BTreeMap<String, Vec<String>>,
}

/// A hardware support package (`manifests/*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HardwareSupport {
    /// `releaseID`.
    pub release_id: String,
    /// `hardwareSupportInfo.manager.name`: the hardware support manager.
    pub manager: String,
    /// `hardwareSupportInfo.package.name`.
    pub package: String,
    /// `hardwareSupportInfo.package.version`.
    pub package_version: String,
    /// `components`: name → version.
    pub components: BTreeMap<String, String>,
}
