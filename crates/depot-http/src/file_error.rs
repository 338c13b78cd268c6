//! What the file server refuses, as a [`Problem`] every family renders.

use axum::response::{IntoResponse, Response};
use depot_file_server::FileError;
use depot_model::{ErrorKind, Message};

use crate::Problem;

/// The problem for a file error: 412 and 416 keep their statuses (the service-error
/// conversion of [`DomainError`](depot_model::DomainError) has none to give).
fn problem(e: &FileError) -> Problem {
    {
        let code = match e {
            FileError::PreconditionFailed => "PRECONDITION_FAILED",
            FileError::RangeNotSatisfiable { .. } => "RANGE_NOT_SATISFIABLE",
            FileError::Blob { .. }
            | FileError::SizeMismatch { .. }
            | FileError::InvalidEntityTag { .. } => return Problem::internal(e),
        };
        let message = Message::new(
            format!("com.vmware.depotd.file.{}", code.to_ascii_lowercase()),
            e.to_string(),
        );
        Problem::new(ErrorKind::Invalid, code, message).with_status(e.status())
    }
}

/// A file error as a problem response that keeps the headers its status requires
/// (`Content-Range` with a 416); the family layer renders the body and keeps them.
#[expect(
    clippy::needless_pass_by_value,
    reason = "it is the error arm of a Result: `.unwrap_or_else(file_problem)`"
)]
pub fn file_problem(error: FileError) -> Response {
    let headers = error.headers();
    let mut response = problem(&error).into_response();
    response.headers_mut().extend(headers);
    response
}
