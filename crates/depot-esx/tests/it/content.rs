//! The contract's `content` view of a generated bundle.

use depot_esx::fixture::BundleBuilder;
use serde_json::json;

use crate::support::parse;

#[test]
fn the_content_view_has_the_contract_shape() {
    let depot = parse(&BundleBuilder::new(4096).build()).expect("parse");
    let content = serde_json::to_value(depot.content()).unwrap();
    let vmw = &content["metadata_bundles"]["vendor-index.xml"][0];
    assert_eq!(vmw["file_name"], "metadata.zip");
    assert_eq!(
        vmw["base_images"],
        json!([{"version": "8.0.3-0.0.1", "display_name": "ESXi", "display_version": "8.0 U3 - fixture"}])
    );
    // Components of the base image and the solution are not independent.
    assert_eq!(
        vmw["independent_components"],
        json!({"foo-driver": {"display_name": "Foo NIC driver",
                              "versions": [{"version": "1.2.0-1", "display_version": "1.2.0-1 (fixture)"}]}})
    );
    assert_eq!(
        vmw["solutions"]["com.vmware.fdm"]["display_name"],
        "vSphere HA"
    );
    assert_eq!(
        vmw["solutions"]["com.vmware.fdm"]["components"]["vmware-fdm"],
        json!({"release_date": "2026-01-01T00:00:00.000Z",
               "version": {"version": "8.0.3-1", "display_version": "8.0.3-1 (fixture)"},
               "vib_informations": {"VMW_bootbank_vmware-fdm_8.0.3-1": {"software_tags": ["driver"]}}})
    );
    assert_eq!(
        vmw["updates"]["esx-base_8.0.3-0.0.1"],
        json!({"summary": "Updates the esx-base component"})
    );
    assert_eq!(vmw["updates"].as_object().unwrap().len(), 4);
    assert!(vmw.get("addons").is_none() && vmw.get("hardware_support").is_none());

    let dell = &content["metadata_bundles"]["dell-vendor-index.xml"][0];
    assert_eq!(dell["file_name"], "dell-metadata.zip");
    assert_eq!(
        dell["addons"],
        json!({"DEL-ESXi": {"display_name": "Dell Addon for ESXi", "vendor": "Dell Inc.",
                            "versions": [{"version": "803.0.0-A00", "display_version": "803.0.0 A00"}]}})
    );
    assert_eq!(
        dell["hardware_support"],
        json!({"dell-hsm": {"display_name": "dell-hsm",
                            "packages": {"dell-fw-pkg": {"versions": [{"version": "1.0"}]}}}})
    );
    assert!(dell.get("independent_components").is_none());
    assert!(dell.get("base_images").is_none());
}
