//! Integration tests of depot-esx: generated bundles parsed and imported into a real
//! file-system blob store, and every kind of bad input refused with nothing left behind.

mod bad_archive;
mod bad_metadata;
mod content;
mod import;
mod online;
mod support;
