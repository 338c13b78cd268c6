//! Integration tests of depot-catalog: parsing, replace and merge rules, signatures.

mod bare;
mod envelope;
mod fixtures;
mod merge;
mod parse;
mod performance;
mod replace;
