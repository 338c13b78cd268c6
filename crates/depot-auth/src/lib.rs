#![doc = include_str!("../README.md")]

mod cache;
mod error;
mod hash_gate;
mod password;
mod principal;
mod service;
mod throttle;
mod token;

pub use depot_model::Secret;
pub use error::AuthError;
pub use principal::Principal;
pub use service::{ADMIN_USER, AuthService, AuthSettings, NewTokens, SessionInfo, available_cores};
