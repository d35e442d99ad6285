//! Adding users and setting passwords.

use super::{validate, AdminError};
use crate::password::{self, Password};
use crate::store::{NewUser, Store, User};

#[derive(Debug, Clone, Default)]
pub struct UserInput {
    pub username: String,
    pub email: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub is_admin: bool,
}

fn optional_name(field: &'static str, value: &Option<String>) -> Result<(), AdminError> {
    match value {
        Some(v) => validate::text(v, 128).map_err(|m| AdminError::invalid(field, m)),
        None => Ok(()),
    }
}

/// Checks `input`, hashes `password` and stores the user. Blocking.
pub fn add_user(store: &Store, input: UserInput, password: &Password) -> Result<User, AdminError> {
    validate::new_username(&input.username).map_err(|m| AdminError::invalid("username", m))?;
    validate::email(&input.email).map_err(|m| AdminError::invalid("email", m))?;
    optional_name("given-name", &input.given_name)?;
    optional_name("family-name", &input.family_name)?;
    let password_hash = password::hash(password)?;
    Ok(store.create_user(&NewUser {
        username: input.username,
        email: input.email,
        given_name: input.given_name,
        family_name: input.family_name,
        is_admin: input.is_admin,
        password_hash,
    })?)
}

/// Replaces a user's password. Blocking.
pub fn set_password(store: &Store, username: &str, password: &Password) -> Result<(), AdminError> {
    let hash = password::hash(password)?;
    Ok(store.set_password_hash(username, &hash)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_names_xml_cannot_carry_and_saves_nothing() {
        let store = Store::open_in_memory().unwrap();
        let input = UserInput {
            username: "eve".into(),
            email: "eve@example.com".into(),
            family_name: Some("Evil\u{0}".into()),
            ..Default::default()
        };
        let err = add_user(&store, input, &Password::new("long enough".into())).unwrap_err();
        assert!(matches!(
            err,
            AdminError::Invalid {
                field: "family-name",
                ..
            }
        ));
        assert!(store.list_users().unwrap().is_empty());
    }

    #[test]
    fn markup_in_names_is_stored_as_typed() {
        let store = Store::open_in_memory().unwrap();
        let family = "</saml:AttributeValue><x>&x;<!-- -->]]>".to_string();
        let input = UserInput {
            username: "mallory".into(),
            email: "mallory@example.com".into(),
            family_name: Some(family.clone()),
            ..Default::default()
        };
        let user = add_user(&store, input, &Password::new("long enough".into())).unwrap();
        assert_eq!(user.family_name, Some(family));
    }
}
