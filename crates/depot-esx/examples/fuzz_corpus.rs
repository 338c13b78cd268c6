//! Writes the seed corpus of the `bundle` fuzz target: small generated bundles, sound
//! and broken. `cargo run -p depot-esx --features fixture --example fuzz_corpus -- DIR`
//! (the committed seeds are in `crates/depot-esx/fuzz/corpus/bundle/`).

use depot_esx::fixture::BundleBuilder;

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "crates/depot-esx/fuzz/corpus/bundle".to_owned());
    std::fs::create_dir_all(&dir)?;
    let small = || BundleBuilder::new(512);
    let seeds = [
        ("standard.zip", small().build()),
        ("deflated.zip", small().deflate_payloads().build()),
        ("sha1.zip", small().declare_sha1("dell-nic").build()),
        ("tampered.zip", small().tamper_payload("foo-driver").build()),
        ("missing-vib.zip", {
            let b = small();
            let path = b.payload_path("esx-update").expect("a payload");
            b.without_entry(&path).build()
        }),
        (
            "one-vendor-index-missing.zip",
            small().without_entry("dell-vendor-index.xml").build(),
        ),
        (
            "duplicate-index.zip",
            small()
                .with_duplicate_entry("index.xml", "<vendorList/>")
                .build(),
        ),
        (
            "directory-overstates.zip",
            small().declare_entry_size("index.xml", 50_000).build(),
        ),
    ];
    for (name, bytes) in seeds {
        std::fs::write(format!("{dir}/{name}"), bytes)?;
    }
    Ok(())
}
