//! The content view of an ESX depot (`com.vmware.esx.settings.depots.metadata_info` and
//! the summaries it holds), and `offline.content.info` / `online.content.info`. Built from the JSON of
//! `depot_esx::DepotContent`, whose serde names are these.

use std::collections::BTreeMap;

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.update_summary")]
    /// An update (bulletin).
    pub struct UpdateSummary {
        /// Its summary.
        pub summary: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.base_image_version")]
    /// A base image.
    pub struct BaseImageVersion {
        /// The version.
        pub version: String,
        /// Its display name.
        pub display_name: String,
        /// Its display version.
        pub display_version: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.addon_version")]
    /// A version of an add-on.
    pub struct AddonVersion {
        /// The version.
        pub version: String,
        /// Its display form.
        pub display_version: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.addon_summary")]
    /// An add-on.
    pub struct AddonSummary {
        /// Its display name.
        pub display_name: String,
        /// Its vendor.
        pub vendor: String,
        /// Its versions.
        pub versions: Vec<AddonVersion>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.hardware_support_package_version")]
    /// A version of a hardware support package.
    pub struct HardwareSupportPackageVersion {
        /// The version.
        pub version: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.hardware_support_package_summary")]
    /// A hardware support package.
    pub struct HardwareSupportPackageSummary {
        /// Its versions.
        pub versions: Vec<HardwareSupportPackageVersion>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.hardware_support_manager_summary")]
    /// A hardware support manager.
    pub struct HardwareSupportManagerSummary {
        /// Its display name.
        pub display_name: String,
        /// Its packages.
        pub packages: BTreeMap<String, HardwareSupportPackageSummary>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.component_version")]
    /// A version of a component.
    pub struct ComponentVersion {
        /// The version.
        pub version: String,
        /// Its display form.
        pub display_version: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.component_summary")]
    /// A component.
    pub struct ComponentSummary {
        /// Its display name.
        pub display_name: String,
        /// Its versions.
        pub versions: Vec<ComponentVersion>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.vib_info")]
    /// A VIB of a solution component.
    pub struct VibInfo {
        /// Its software tags.
        pub software_tags: Vec<String>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.solution_component_summary")]
    /// A component of a solution.
    pub struct SolutionComponentSummary {
        /// Its release date (as the metadata writes it).
        pub release_date: String,
        /// Its version.
        pub version: ComponentVersion,
        /// Its VIBs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub vib_informations: Option<BTreeMap<String, VibInfo>>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.solution_version")]
    /// A version of a solution.
    pub struct SolutionVersion {
        /// The version.
        pub version: String,
        /// Its display form.
        pub display_version: String,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.solution_summary")]
    /// A solution.
    pub struct SolutionSummary {
        /// Its display name.
        pub display_name: String,
        /// Its versions.
        pub versions: Vec<SolutionVersion>,
        /// Its components.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub components: Option<BTreeMap<String, SolutionComponentSummary>>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.metadata_info")]
    /// One metadata zip's content.
    pub struct MetadataInfo {
        /// The metadata zip's file name.
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
        /// Hardware support packages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub hardware_support: Option<BTreeMap<String, HardwareSupportManagerSummary>>,
        /// Components no release unit lists.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub independent_components: Option<BTreeMap<String, ComponentSummary>>,
        /// Updates.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub updates: Option<BTreeMap<String, UpdateSummary>>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.online.content.info")]
    /// An online depot's content.
    pub struct OnlineContentInfo {
        /// The metadata zips, by vendor index.
        pub metadata_bundles: BTreeMap<String, Vec<MetadataInfo>>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.esx.settings.depots.offline.content.info")]
    /// An offline depot's content.
    pub struct DepotContentInfo {
        /// The metadata zips, by vendor index.
        pub metadata_bundles: BTreeMap<String, Vec<MetadataInfo>>,
    }
}
