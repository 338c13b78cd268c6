//! Writes a generated offline bundle in the real layout, for the bench and manual tests:
//! the standard seven VIBs plus independent components up to `VIBS` VIB payloads of
//! `VIB_KIB` KiB each (stored, random-looking content).
//!
//! `cargo run -p depot-esx --features fixture --example write_bundle -- OUT VIBS VIB_KIB [SEED]`

use depot_esx::fixture::BundleBuilder;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, name: &str| -> u64 {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("usage: write_bundle OUT VIBS VIB_KIB [SEED] ({name})"))
    };
    let out = args
        .first()
        .expect("usage: write_bundle OUT VIBS VIB_KIB [SEED]");
    let vibs = usize::try_from(number(1, "VIBS")).expect("VIBS");
    let vib_size = number(2, "VIB_KIB") * 1024;
    let seed = args.get(3).map_or(1, |_| number(3, "SEED"));
    let builder = BundleBuilder::new(vib_size)
        .extra_components(vibs.saturating_sub(7), vib_size)
        .seed(seed);
    let file = std::fs::File::create(out).expect("create OUT");
    builder
        .write_to(std::io::BufWriter::new(file))
        .expect("write the bundle");
    let (count, bytes) = builder.payload_totals();
    println!("{out}: {count} VIBs, {bytes} payload bytes");
}
