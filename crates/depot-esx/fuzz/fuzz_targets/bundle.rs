//! Fuzzes the offline bundle parser: any bytes must give a depot or an `EsxError`, never
//! a panic, a hang or an allocation beyond the limits; a parsed depot has every VIB
//! hashed and yields its content view.
#![no_main]

use std::io::Cursor;

use depot_esx::{DiscardPayloads, Limits, parse_bundle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small caps: the fuzzer's inputs are small, and a bomb must be caught early.
    let limits = Limits {
        max_entries: 1000,
        max_entry_size: 4 << 20,
        max_total_size: 16 << 20,
        max_metadata_zip_size: 1 << 20,
        max_document_size: 256 << 10,
        max_metadata_total: 4 << 20,
        ..Limits::default()
    };
    if let Ok(depot) = parse_bundle(Cursor::new(data), &limits, &mut DiscardPayloads) {
        assert!(depot.vibs().all(|vib| vib.sha256.is_some()));
        let _ = depot.content();
    }
});
