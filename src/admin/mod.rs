//! Administrative operations with their input checks, shared by the command
//! line and the web admin pages so both refuse exactly the same values.

mod apps;
mod users;
pub mod validate;

pub use apps::{create_app, update_app, AppInput, AppUpdate, DEFAULT_ISSUER, NAME_ID_FORMATS};
pub use users::{add_user, set_password, UserInput};

use crate::password::PasswordError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A value the operation refuses; `field` names the input.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("password: {0}")]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AdminError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}
