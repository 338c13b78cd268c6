//! Measures importing a generated bundle (default 1 GiB) against `unzip` followed by
//! `openssl dgst -sha256` of the extracted files, on the same file, and reports the
//! import's peak RSS. No assertion: it prints.
//!
//! `cargo run -p depot-esx --features fixture --example import_timing -- [MiB] [work dir]`

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use depot_blobs::FsBlobStore;
use depot_esx::fixture::BundleBuilder;
use depot_esx::{ImportProgress, Limits, import_bundle};

const MIB: u64 = 1 << 20;

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

fn run(what: &str, cmd: &mut Command) -> f64 {
    let start = Instant::now();
    let status = cmd.status().expect(what);
    assert!(status.success(), "{what} failed");
    start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let total_mib: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let work: PathBuf = args
        .next()
        .map_or_else(|| PathBuf::from("target/esx-timing"), PathBuf::from);
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let vib = 4 * MIB;
    let extra = usize::try_from((total_mib * MIB / vib).saturating_sub(7)).expect("count");
    let builder = BundleBuilder::new(vib).extra_components(extra, vib);
    let (vibs, bytes) = builder.payload_totals();
    let bundle = work.join("bundle.zip");
    let start = Instant::now();
    builder
        .write_to(std::fs::File::create(&bundle).expect("bundle file"))
        .expect("write bundle");
    println!(
        "generated {vibs} VIBs, {} MiB of payloads, in {:.2} s",
        bytes / MIB,
        start.elapsed().as_secs_f64()
    );

    // Baseline before and after the import, each step after a `sync`, so neither pays
    // for the other's dirty pages.
    let before = baseline(&bundle, &work.join("unzipped-1"));
    sync();
    let import = time_import(&bundle, &work.join("store")).await;
    let rss = peak_rss_mib();
    sync();
    let after = baseline(&bundle, &work.join("unzipped-2"));
    println!("import (parse + verify + stage + commit): {import:.2} s, peak RSS {rss} MiB");
    for (when, (unzip, dgst)) in [("before", before), ("after", after)] {
        println!(
            "baseline {when}: unzip {unzip:.2} s + openssl dgst -sha256 {dgst:.2} s = {:.2} s (import / baseline {:.2})",
            unzip + dgst,
            import / (unzip + dgst)
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

fn sync() {
    let _ = Command::new("sync").status();
}

/// `unzip` then `openssl dgst -sha256` of every extracted file: (unzip s, dgst s).
fn baseline(bundle: &Path, into: &Path) -> (f64, f64) {
    sync();
    let unzip = run(
        "unzip",
        Command::new("unzip")
            .arg("-q")
            .arg("-o")
            .arg(bundle)
            .arg("-d")
            .arg(into),
    );
    let dgst = run(
        "openssl",
        Command::new("sh").arg("-c").arg(format!(
            "find '{}' -type f -print0 | xargs -0 openssl dgst -sha256 > /dev/null",
            into.display()
        )),
    );
    let _ = std::fs::remove_dir_all(into);
    (unzip, dgst)
}

async fn time_import(bundle: &Path, root: &Path) -> f64 {
    let store = Arc::new(FsBlobStore::open(root).await.expect("store"));
    let start = Instant::now();
    let file = std::fs::File::open(bundle).expect("bundle");
    let imported = import_bundle(file, store, Limits::default(), &ImportProgress::new())
        .await
        .expect("import");
    let committed = imported.payloads.commit().await.expect("commit");
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "imported {} payloads, identity {}",
        committed.len(),
        imported.depot.identity.0
    );
    elapsed
}
