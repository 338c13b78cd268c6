//! What the file server refuses, as a [`Problem`] every family renders.

use axum::response::{IntoResponse, Response};
use depot_file_server::FileError;
use depot_model::{ErrorKind, Message};

use crate::Problem;

impl From<FileError> for Problem {
    fn from(e: FileError) -> Self {
        let code = match &e {
            FileError::PreconditionFailed => "PRECONDITION_FAILED",
            FileError::RangeNotSatisfiable { .. } => "RANGE_NOT_SATISFIABLE",
            FileError::Blob { .. }
            | FileError::SizeMismatch { .. }
            | FileError::InvalidEntityTag { .. } => return Problem::internal(&e),
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
pub fn file_problem(error: FileError) -> Response {
    let headers = error.headers();
    let mut response = Problem::from(error).into_response();
    response.headers_mut().extend(headers);
    response
}
