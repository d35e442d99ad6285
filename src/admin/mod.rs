//! Administrative operations with their input checks, shared by the command
//! line and the web admin pages so both refuse exactly the same values.

mod apps;
pub mod keypairs;
mod users;
pub mod validate;

pub use apps::{
    create_app, create_app_with_provider, reconfigure_app, update_app, AppInput, AppUpdate,
    DEFAULT_ISSUER, NAME_ID_FORMATS,
};
pub use users::{add_user, set_password, UserInput};

use crate::password::PasswordError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A value the operation refuses; `field` names the input.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Several refused values at once, each with the input it belongs to.
    #[error("{}", join_fields(.0))]
    Fields(Vec<(&'static str, String)>),
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

    /// One error for every refused field: `Invalid` for one, `Fields` for more.
    pub(crate) fn from_fields(mut fields: Vec<(&'static str, String)>) -> Result<(), Self> {
        match fields.len() {
            0 => Ok(()),
            1 => {
                let (field, message) = fields.remove(0);
                Err(Self::Invalid { field, message })
            }
            _ => Err(Self::Fields(fields)),
        }
    }

    /// The refused inputs and their messages, for a form to show beside
    /// each field; empty when the error is not about an input.
    pub fn field_messages(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Invalid { field, message } => vec![(*field, message.clone())],
            Self::Fields(fields) => fields.clone(),
            Self::Password(e) => vec![("password", e.to_string())],
            Self::Store(_) => Vec::new(),
        }
    }
}

fn join_fields(fields: &[(&'static str, String)]) -> String {
    let parts: Vec<String> = fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
    parts.join("; ")
}
