//! `com.vmware.esx.settings.depots.metadata_info` and what it holds: the `content`
//! view of a depot, as the bindings declare it. Read back from the stored JSON, which
//! `depot_esx::DepotContent` writes with the same field names.

use std::collections::BTreeMap;

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.offline.content.info")]
    /// A depot's content.
    pub struct DepotContentInfo {
        /// Vendor index → its metadata zips.
        pub metadata_bundles: BTreeMap<String, Vec<MetadataInfo>>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.metadata_info")]
    /// One metadata zip.
    pub struct MetadataInfo {
        /// Its file name.
        pub file_name: String,
        /// Base images.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub base_images: Option<Vec<BaseImageVersion>>,
        /// Add-ons.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub addons: Option<BTreeMap<String, AddonSummary>>,
        /// Solutions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub solutions: Option<BTreeMap<String, SolutionSummary>>,
        /// Hardware support managers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub hardware_support: Option<BTreeMap<String, HardwareSupportManagerSummary>>,
        /// Independent components.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub independent_components: Option<BTreeMap<String, ComponentSummary>>,
        /// Bulletins.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub updates: Option<BTreeMap<String, UpdateSummary>>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.base_image_version")]
    /// A base image version.
    pub struct BaseImageVersion {
        /// Version.
        pub version: String,
        /// Display name.
        pub display_name: String,
        /// Display version.
        pub display_version: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.addon_version")]
    /// An add-on version.
    pub struct AddonVersion {
        /// Version.
        pub version: String,
        /// Display version.
        pub display_version: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.addon_summary")]
    /// An add-on.
    pub struct AddonSummary {
        /// Display name.
        pub display_name: String,
        /// Vendor.
        pub vendor: String,
        /// Versions.
        pub versions: Vec<AddonVersion>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.component_version")]
    /// A component version.
    pub struct ComponentVersion {
        /// Version.
        pub version: String,
        /// Display version.
        pub display_version: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.component_summary")]
    /// A component.
    pub struct ComponentSummary {
        /// Display name.
        pub display_name: String,
        /// Versions.
        pub versions: Vec<ComponentVersion>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.solution_version")]
    /// A solution version.
    pub struct SolutionVersion {
        /// Version.
        pub version: String,
        /// Display version.
        pub display_version: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.vib_info")]
    /// A VIB of a solution component.
    pub struct VibInfo {
        /// Software tags.
        pub software_tags: Vec<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.solution_component_summary")]
    /// A component of a solution.
    pub struct SolutionComponentSummary {
        /// Release date (as the metadata gives it).
        pub release_date: String,
        /// Version.
        pub version: ComponentVersion,
        /// VIBs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub vib_informations: Option<BTreeMap<String, VibInfo>>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.solution_summary")]
    /// A solution.
    pub struct SolutionSummary {
        /// Display name.
        pub display_name: String,
        /// Versions.
        pub versions: Vec<SolutionVersion>,
        /// Components.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub components: Option<BTreeMap<String, SolutionComponentSummary>>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.hardware_support_package_version")]
    /// A hardware support package version.
    pub struct HardwareSupportPackageVersion {
        /// Version.
        pub version: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.hardware_support_package_summary")]
    /// A hardware support package.
    pub struct HardwareSupportPackageSummary {
        /// Versions.
        pub versions: Vec<HardwareSupportPackageVersion>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.hardware_support_manager_summary")]
    /// A hardware support manager.
    pub struct HardwareSupportManagerSummary {
        /// Display name.
        pub display_name: String,
        /// Packages.
        pub packages: BTreeMap<String, HardwareSupportPackageSummary>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.update_summary")]
    /// A bulletin.
    pub struct UpdateSummary {
        /// Summary.
        pub summary: String,
    }
}
