//! The documents of an offline depot, each read into a private format struct and turned
//! into the model ([`crate::model`]). Serde names here follow the files; the model's
//! names follow ours.

pub(crate) mod bulletin;
pub(crate) mod index;
pub(crate) mod release_unit;
pub(crate) mod vendor_index;
pub(crate) mod vib;

/// A required text field must not be blank.
pub(crate) fn required(
    document: &str,
    field: &str,
    value: &str,
) -> Result<String, crate::EsxError> {
    let value = value.trim().to_owned();
    if value.is_empty() {
        return Err(crate::EsxError::invalid(
            document,
            format!("<{field}> is missing or empty"),
        ));
    }
    Ok(value)
}
