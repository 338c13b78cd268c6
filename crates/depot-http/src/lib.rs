#![doc = include_str!("../README.md")]

pub mod body_rate;
mod caller;
pub mod client_addr;
pub mod content_coding;
pub mod credentials;
mod family;
mod file_error;
pub mod json;
pub mod linger;
pub mod metrics;
mod problem;
mod public_url;
mod query;
pub mod request_id;
pub mod routes;
mod services;
mod unknown_route;
pub mod upload_body;
pub mod wire_time;

pub use caller::{BearerCaller, SessionCaller};
pub use client_addr::{ClientAddr, IpNet, TrustedProxies};
pub use credentials::Credentials;
pub use family::{Family, render, render_errors};
pub use file_error::file_problem;
pub use json::{Json, JsonBody};
pub use problem::{Problem, default_status};
pub use public_url::{InvalidPublicUrl, PublicBase};
pub use query::QueryPairs;
pub use routes::{ApiRoutes, RouteDoc};
pub use services::Services;
pub use unknown_route::unknown_route;
