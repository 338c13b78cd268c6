//! Publish settings of a local library: the `vcsp` user, the sealed password and the
//! rule that changing a password needs the current one.

use depot_model::{LibraryAuth, PublishSettings, Secret};

use crate::{ContentLibrary, LibraryError};

/// The only Basic user name VCSP subscribers use (as in vCenter).
pub const VCSP_USER: &str = "vcsp";

/// The settings field the publish password is sealed for.
pub const PUBLISH_PASSWORD_FIELD: &str = "library.publish.password";

/// Publish settings as a client sends them; unset fields keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishSpec {
    /// Whether the library is served over VCSP.
    pub published: Option<bool>,
    /// How subscribers authenticate.
    pub authentication: Option<LibraryAuth>,
    /// Must be `vcsp` when given.
    pub user_name: Option<String>,
    /// The new password.
    pub password: Option<Secret>,
    /// The password now set, needed to change it.
    pub current_password: Option<Secret>,
    /// Whether VCSP JSON files are also written to storage.
    pub persist_json_enabled: Option<bool>,
}

impl ContentLibrary {
    /// The settings after applying `spec` to `current` (`None` for a library not yet
    /// published): checks the user name, seals a new password, and requires (and
    /// checks) `current_password` to replace a password already set.
    pub(crate) fn publish_settings(
        &self,
        current: Option<&PublishSettings>,
        spec: &PublishSpec,
    ) -> Result<PublishSettings, LibraryError> {
        if let Some(user) = &spec.user_name
            && user != VCSP_USER
        {
            return Err(LibraryError::Invalid(format!(
                "publish_info.user_name must be {VCSP_USER}, not {user:?}"
            )));
        }
        let authentication = spec
            .authentication
            .or(current.map(|c| c.authentication))
            .unwrap_or(LibraryAuth::None);
        let mut password = current.and_then(|c| c.password.clone());
        if let Some(new) = &spec.password {
            if new.expose().is_empty() {
                return Err(LibraryError::Invalid(
                    "publish_info.password must not be empty".to_owned(),
                ));
            }
            if let Some(sealed) = &password {
                let now = self.open(PUBLISH_PASSWORD_FIELD, sealed)?;
                match &spec.current_password {
                    None => {
                        return Err(LibraryError::Invalid(
                            "publish_info.current_password is needed to change the password"
                                .to_owned(),
                        ));
                    }
                    Some(given) if given.expose() != now.expose() => {
                        return Err(LibraryError::Invalid(
                            "publish_info.current_password is not the current password".to_owned(),
                        ));
                    }
                    Some(_) => {}
                }
            }
            password = Some(self.seal(PUBLISH_PASSWORD_FIELD, new)?);
        }
        if authentication == LibraryAuth::Basic && password.is_none() {
            return Err(LibraryError::Invalid(
                "publish_info.password is needed for BASIC authentication".to_owned(),
            ));
        }
        Ok(PublishSettings {
            published: spec
                .published
                .or(current.map(|c| c.published))
                .unwrap_or(false),
            authentication,
            user_name: Some(VCSP_USER.to_owned()),
            password,
            persist_json_enabled: spec
                .persist_json_enabled
                .or(current.map(|c| c.persist_json_enabled))
                .unwrap_or(false),
        })
    }
}
