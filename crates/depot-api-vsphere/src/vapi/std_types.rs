//! The vAPI standard errors. The structures several services share are declared in
//! `wire/` (`LocalizableMessage`, task `Info`).

/// The vAPI standard error ids, by REST `error_type`.
pub const STD_ERRORS: &[&str] = &[
    "ALREADY_EXISTS",
    "ALREADY_IN_DESIRED_STATE",
    "CANCELED",
    "CONCURRENT_CHANGE",
    "ERROR",
    "FEATURE_IN_USE",
    "INTERNAL_SERVER_ERROR",
    "INVALID_ARGUMENT",
    "INVALID_ELEMENT_CONFIGURATION",
    "INVALID_ELEMENT_TYPE",
    "INVALID_REQUEST",
    "NOT_ALLOWED_IN_CURRENT_STATE",
    "NOT_FOUND",
    "OPERATION_NOT_FOUND",
    "RESOURCE_BUSY",
    "RESOURCE_IN_USE",
    "RESOURCE_INACCESSIBLE",
    "SERVICE_UNAVAILABLE",
    "TIMED_OUT",
    "UNABLE_TO_ALLOCATE_RESOURCE",
    "UNAUTHENTICATED",
    "UNAUTHORIZED",
    "UNEXPECTED_INPUT",
    "UNSUPPORTED",
    "UNVERIFIED_PEER",
];

/// `com.vmware.vapi.std.errors.<name>` for a REST `error_type`.
pub fn error_id(error_type: &str) -> String {
    format!(
        "com.vmware.vapi.std.errors.{}",
        error_type.to_ascii_lowercase()
    )
}
