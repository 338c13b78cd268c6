#![doc = include_str!("../README.md")]

pub mod app;
pub mod blob_usage;
pub mod cli;
pub mod cls_transfer;
pub mod commit_fence;
pub mod config;
pub mod data_dir;
pub mod downstream;
pub mod jobs;
pub mod logging;
pub mod openapi;
pub mod ops;
pub mod server;
pub mod tls;
pub mod vcsp;
