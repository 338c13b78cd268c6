#![doc = include_str!("../README.md")]

pub mod body_rate;
mod caller;
pub mod content_coding;
pub mod credentials;
mod family;
mod file_error;
pub mod json;
pub mod linger;
pub mod metrics;
mod problem;
mod query;
pub mod request_id;
pub mod routes;
mod services;
mod unknown_route;
pub mod wire_time;

pub use caller::{BearerCaller, SessionCaller};
pub use credentials::{ClientAddr, Credentials};
pub use family::{Family, render, render_errors};
pub use file_error::file_problem;
pub use json::Json;
pub use problem::{Problem, default_status};
pub use query::QueryPairs;
pub use routes::{ApiRoutes, RouteDoc};
pub use services::Services;
pub use unknown_route::unknown_route;
