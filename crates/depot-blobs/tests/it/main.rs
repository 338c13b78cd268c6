//! Integration tests of depot-blobs against real files (one test binary, see STYLE.md §9).

mod backends;
mod capacity;
mod conformance;
mod crash;
mod disk;
mod failures;
mod fault_proxy;
mod faults;
mod fixture;
mod gc;
mod memory;
mod s3;
mod staged;
