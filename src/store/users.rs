//! The `users` table.

use rusqlite::{params, OptionalExtension, Row};

use super::{unique_violation, unix_now, Store, StoreError};

/// A person who can sign in. `id` is stable and opaque: it is the `id`
/// attribute service providers key accounts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub is_admin: bool,
    pub is_active: bool,
}

impl User {
    /// "Given Family", or the username when neither is known.
    pub fn display_name(&self) -> String {
        let parts: Vec<&str> = [self.given_name.as_deref(), self.family_name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if parts.is_empty() {
            self.username.clone()
        } else {
            parts.join(" ")
        }
    }
}

/// A user to insert; values are already validated by `crate::admin`.
#[derive(Debug)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub is_admin: bool,
    pub password_hash: String,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct UserChanges {
    pub email: Option<String>,
    pub given_name: Option<Option<String>>,
    pub family_name: Option<Option<String>>,
    pub is_admin: Option<bool>,
    pub is_active: Option<bool>,
}

const COLUMNS: &str = "id, username, email, given_name, family_name, is_admin, is_active";

fn from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        email: r.get(2)?,
        given_name: r.get(3)?,
        family_name: r.get(4)?,
        is_admin: r.get(5)?,
        is_active: r.get(6)?,
    })
}

fn map_unique(err: rusqlite::Error, username: &str, email: &str) -> StoreError {
    let text = err.to_string();
    if text.contains("users.email") {
        unique_violation(err, "email", email)
    } else {
        unique_violation(err, "username", username)
    }
}

impl Store {
    pub fn create_user(&self, user: &NewUser) -> Result<User, StoreError> {
        let id = uuid_like();
        let now = unix_now();
        self.with_conn(|conn| {
            conn.execute(
                "INSERT INTO users (id, username, email, given_name, family_name,
                     password_hash, is_admin, is_active, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8)",
                params![
                    id,
                    user.username,
                    user.email,
                    user.given_name,
                    user.family_name,
                    user.password_hash,
                    user.is_admin,
                    now
                ],
            )
            .map_err(|e| map_unique(e, &user.username, &user.email))?;
            Ok(())
        })?;
        self.user_by_username(&user.username)?
            .ok_or_else(|| StoreError::Corrupt("inserted user vanished".into()))
    }

    pub fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.with_conn(|conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM users WHERE username = ?1"),
                    [username],
                    from_row,
                )
                .optional()?)
        })
    }

    pub fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.with_conn(|conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
                    [id],
                    from_row,
                )
                .optional()?)
        })
    }

    /// The user and their password hash, for checking a login.
    pub fn user_credentials(
        &self,
        username: &str,
    ) -> Result<Option<(User, Option<String>)>, StoreError> {
        self.with_conn(|conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {COLUMNS}, password_hash FROM users WHERE username = ?1"),
                    [username],
                    |r| Ok((from_row(r)?, r.get(7)?)),
                )
                .optional()?)
        })
    }

    pub fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt =
                conn.prepare(&format!("SELECT {COLUMNS} FROM users ORDER BY username"))?;
            let rows = stmt.query_map([], from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    pub fn set_password_hash(&self, username: &str, hash: &str) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let n = conn.execute(
                "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE username = ?1",
                params![username, hash, unix_now()],
            )?;
            not_found_if_zero(n, username)
        })
    }

    pub fn update_user(&self, username: &str, changes: &UserChanges) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            let exists: bool = tx
                .query_row(
                    "SELECT 1 FROM users WHERE username = ?1",
                    [username],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !exists {
                return not_found_if_zero(0, username);
            }
            let now = unix_now();
            if let Some(email) = &changes.email {
                tx.execute(
                    "UPDATE users SET email = ?2, updated_at = ?3 WHERE username = ?1",
                    params![username, email, now],
                )
                .map_err(|e| map_unique(e, username, email))?;
            }
            if let Some(v) = &changes.given_name {
                tx.execute(
                    "UPDATE users SET given_name = ?2, updated_at = ?3 WHERE username = ?1",
                    params![username, v, now],
                )?;
            }
            if let Some(v) = &changes.family_name {
                tx.execute(
                    "UPDATE users SET family_name = ?2, updated_at = ?3 WHERE username = ?1",
                    params![username, v, now],
                )?;
            }
            if let Some(v) = changes.is_admin {
                tx.execute(
                    "UPDATE users SET is_admin = ?2, updated_at = ?3 WHERE username = ?1",
                    params![username, v, now],
                )?;
            }
            if let Some(v) = changes.is_active {
                tx.execute(
                    "UPDATE users SET is_active = ?2, updated_at = ?3 WHERE username = ?1",
                    params![username, v, now],
                )?;
                if !v {
                    // A deactivated user loses every open session at once.
                    tx.execute(
                        "DELETE FROM sessions WHERE user_id =
                             (SELECT id FROM users WHERE username = ?1)",
                        [username],
                    )?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    pub fn remove_user(&self, username: &str) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let n = conn.execute("DELETE FROM users WHERE username = ?1", [username])?;
            not_found_if_zero(n, username)
        })
    }
}

fn not_found_if_zero(n: usize, username: &str) -> Result<(), StoreError> {
    if n == 0 {
        Err(StoreError::NotFound {
            what: "user",
            value: username.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// A random RFC 4122 version-4 UUID string.
fn uuid_like() -> String {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).expect("the system random generator failed");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> NewUser {
        NewUser {
            username: "alice".into(),
            email: "alice@example.com".into(),
            given_name: Some("Alice".into()),
            family_name: None,
            is_admin: false,
            password_hash: "h".into(),
        }
    }

    #[test]
    fn duplicate_username_or_email_is_refused() {
        let store = Store::open_in_memory().unwrap();
        store.create_user(&alice()).unwrap();
        let mut same_email = alice();
        same_email.username = "alice2".into();
        same_email.email = "ALICE@example.com".into();
        assert!(matches!(
            store.create_user(&same_email),
            Err(StoreError::Duplicate { what: "email", .. })
        ));
        let mut same_name = alice();
        same_name.email = "other@example.com".into();
        assert!(matches!(
            store.create_user(&same_name),
            Err(StoreError::Duplicate {
                what: "username",
                ..
            })
        ));
        assert_eq!(store.list_users().unwrap().len(), 1);
    }

    #[test]
    fn deactivating_a_user_ends_their_sessions() {
        let store = Store::open_in_memory().unwrap();
        let user = store.create_user(&alice()).unwrap();
        let token = store.create_session(&user.id, 0, 10_000, None).unwrap();
        assert!(store.session(&token, 1).unwrap().is_some());
        let changes = UserChanges {
            is_active: Some(false),
            ..Default::default()
        };
        store.update_user("alice", &changes).unwrap();
        assert!(store.session(&token, 1).unwrap().is_none());
    }

    #[test]
    fn uuids_have_version_4_shape() {
        let u = uuid_like();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
