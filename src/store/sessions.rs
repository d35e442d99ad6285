//! Signet sessions (one per signed-in browser) and the SAML sessions each
//! one opened at service providers (SAML Core 2.7.2 `SessionIndex`).

use rusqlite::{params, OptionalExtension};

use super::users::User;
use super::{Store, StoreError};
use crate::secret::Token;

/// Most SAML sessions one signet session keeps at one service provider.
pub const MAX_SAML_SESSIONS_PER_APP: i64 = 16;

/// A live signet session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub authn_instant: i64,
    pub expires_at: i64,
}

/// An assertion's session at one service provider.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SamlSession {
    pub app_id: i64,
    pub user_id: String,
    pub name_id: String,
    pub name_id_format: String,
    pub session_index: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl Store {
    /// Starts a session for `user_id` and returns the token for its cookie.
    pub fn create_session(
        &self,
        user_id: &str,
        authn_instant: i64,
        expires_at: i64,
        client_addr: Option<&str>,
    ) -> Result<Token, StoreError> {
        let token = Token::generate();
        self.with_conn(|conn| {
            conn.execute(
                "INSERT INTO sessions (id_hash, user_id, authn_instant, created_at,
                     expires_at, client_addr)
                 VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
                params![
                    token.digest(),
                    user_id,
                    authn_instant,
                    expires_at,
                    client_addr
                ],
            )?;
            Ok(())
        })?;
        Ok(token)
    }

    /// The session behind `token`, if it is live and its user still active.
    pub fn session(&self, token: &Token, now: i64) -> Result<Option<Session>, StoreError> {
        self.with_conn(|conn| {
            Ok(conn
                .query_row(
                    "SELECT u.id, u.username, u.email, u.given_name, u.family_name,
                            u.is_admin, u.is_active, s.authn_instant, s.expires_at
                     FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.id_hash = ?1 AND s.expires_at > ?2 AND u.is_active = 1",
                    params![token.digest(), now],
                    |r| {
                        Ok(Session {
                            user: User {
                                id: r.get(0)?,
                                username: r.get(1)?,
                                email: r.get(2)?,
                                given_name: r.get(3)?,
                                family_name: r.get(4)?,
                                is_admin: r.get(5)?,
                                is_active: r.get(6)?,
                            },
                            authn_instant: r.get(7)?,
                            expires_at: r.get(8)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    /// Ends the session behind `token` and forgets its SAML sessions.
    pub fn delete_session(&self, token: &Token) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "DELETE FROM saml_sessions WHERE session_hash = ?1",
                [token.digest()],
            )?;
            tx.execute("DELETE FROM sessions WHERE id_hash = ?1", [token.digest()])?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Ends session `old` in favour of `new` (a fresh login in the same
    /// browser). With `same_user`, the SAML sessions opened under `old` move
    /// to `new`, so a later logout still reaches those SPs.
    pub fn supersede_session(
        &self,
        old: &Token,
        new: &Token,
        same_user: bool,
    ) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            if same_user {
                tx.execute(
                    "UPDATE saml_sessions SET session_hash = ?2 WHERE session_hash = ?1",
                    params![old.digest(), new.digest()],
                )?;
            }
            tx.execute(
                "DELETE FROM saml_sessions WHERE session_hash = ?1",
                [old.digest()],
            )?;
            tx.execute("DELETE FROM sessions WHERE id_hash = ?1", [old.digest()])?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Records that an assertion opened `saml` within the session of `token`
    /// and returns the SessionIndex to send. A later assertion to the same
    /// SP for the same NameID in the same session keeps its SessionIndex
    /// (Core 2.7.2: it names the session, not the assertion), and an SP
    /// keeps at most [`MAX_SAML_SESSIONS_PER_APP`] of them, the newest, so a
    /// signed-in user cannot grow the table by signing in again and again.
    pub fn open_saml_session(
        &self,
        token: &Token,
        saml: &SamlSession,
    ) -> Result<String, StoreError> {
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            let existing: Option<String> = tx
                .query_row(
                    "SELECT session_index FROM saml_sessions
                     WHERE session_hash = ?1 AND app_id = ?2 AND name_id = ?3
                       AND name_id_format = ?4
                     ORDER BY id DESC LIMIT 1",
                    params![
                        token.digest(),
                        saml.app_id,
                        saml.name_id,
                        saml.name_id_format
                    ],
                    |r| r.get(0),
                )
                .optional()?;
            let index = match existing {
                Some(index) => {
                    tx.execute(
                        "UPDATE saml_sessions SET issued_at = ?3, expires_at = ?4
                         WHERE session_hash = ?1 AND session_index = ?2",
                        params![token.digest(), index, saml.issued_at, saml.expires_at],
                    )?;
                    index
                }
                None => {
                    tx.execute(
                        "INSERT INTO saml_sessions (session_hash, app_id, user_id, name_id,
                             name_id_format, session_index, issued_at, expires_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        params![
                            token.digest(),
                            saml.app_id,
                            saml.user_id,
                            saml.name_id,
                            saml.name_id_format,
                            saml.session_index,
                            saml.issued_at,
                            saml.expires_at
                        ],
                    )?;
                    tx.execute(
                        "DELETE FROM saml_sessions
                         WHERE session_hash = ?1 AND app_id = ?2 AND id NOT IN (
                             SELECT id FROM saml_sessions
                             WHERE session_hash = ?1 AND app_id = ?2
                             ORDER BY id DESC LIMIT ?3)",
                        params![token.digest(), saml.app_id, MAX_SAML_SESSIONS_PER_APP],
                    )?;
                    saml.session_index.clone()
                }
            };
            tx.commit()?;
            Ok(index)
        })
    }

    /// The SAML sessions opened within the session of `token`, oldest first.
    pub fn saml_sessions(&self, token: &Token) -> Result<Vec<SamlSession>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare(
                "SELECT app_id, user_id, name_id, name_id_format, session_index,
                        issued_at, expires_at
                 FROM saml_sessions WHERE session_hash = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([token.digest()], |r| {
                Ok(SamlSession {
                    app_id: r.get(0)?,
                    user_id: r.get(1)?,
                    name_id: r.get(2)?,
                    name_id_format: r.get(3)?,
                    session_index: r.get(4)?,
                    issued_at: r.get(5)?,
                    expires_at: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Remembers a request id from `issuer` until `expires_at`. Returns
    /// `false` when it was already seen: the request is a replay.
    pub fn remember_request_id(
        &self,
        issuer: &str,
        request_id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "DELETE FROM seen_requests WHERE issuer = ?1 AND request_id = ?2
                     AND expires_at <= ?3",
                params![issuer, request_id, now],
            )?;
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO seen_requests (issuer, request_id, expires_at)
                 VALUES (?1, ?2, ?3)",
                params![issuer, request_id, expires_at],
            )?;
            tx.commit()?;
            Ok(inserted == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewUser;

    fn store_with_user() -> (Store, User) {
        let store = Store::open_in_memory().unwrap();
        let user = add_bob(&store);
        (store, user)
    }

    fn add_bob(store: &Store) -> User {
        store
            .create_user(&NewUser {
                username: "bob".into(),
                email: "bob@example.com".into(),
                given_name: None,
                family_name: None,
                is_admin: false,
                password_hash: "h".into(),
            })
            .unwrap()
    }

    fn add_app(store: &Store) -> crate::store::Application {
        let kp = store.add_keypair("k", "k.key", "k.crt").unwrap();
        store
            .create_application(&crate::store::NewApplication::for_tests("app", kp.id))
            .unwrap()
    }

    #[test]
    fn expired_sessions_are_not_returned() {
        let (store, user) = store_with_user();
        let token = store.create_session(&user.id, 100, 200, None).unwrap();
        assert!(store.session(&token, 150).unwrap().is_some());
        assert!(store.session(&token, 200).unwrap().is_none());
        assert!(store.session(&Token::generate(), 150).unwrap().is_none());
    }

    #[test]
    fn replayed_request_id_is_detected_until_it_expires() {
        let (store, _) = store_with_user();
        assert!(store.remember_request_id("sp", "_a", 0, 100).unwrap());
        assert!(!store.remember_request_id("sp", "_a", 50, 150).unwrap());
        assert!(store
            .remember_request_id("other-sp", "_a", 50, 150)
            .unwrap());
        assert!(store.remember_request_id("sp", "_a", 100, 200).unwrap());
    }

    /// A store with a user, a session of theirs and an application.
    fn session_and_app() -> (Store, User, Token, crate::store::Application) {
        let (store, user) = store_with_user();
        let token = store.create_session(&user.id, 0, 1000, None).unwrap();
        let app = add_app(&store);
        (store, user, token, app)
    }

    #[test]
    fn deleting_a_session_forgets_its_saml_sessions() {
        let (store, user, token, app) = session_and_app();
        let saml = SamlSession {
            app_id: app.id,
            user_id: user.id.clone(),
            name_id: "bob@example.com".into(),
            name_id_format: "f".into(),
            session_index: "_s".into(),
            issued_at: 0,
            expires_at: 1000,
        };
        assert_eq!(store.open_saml_session(&token, &saml).unwrap(), "_s");
        assert_eq!(store.saml_sessions(&token).unwrap(), vec![saml]);
        store.delete_session(&token).unwrap();
        assert!(store.saml_sessions(&token).unwrap().is_empty());
    }

    /// Transactions that read before they write must wait for the write lock
    /// like any other writer: a deferred one fails at once with "database is
    /// locked" when another connection wrote in between (found by the load
    /// test: one 500 in 200 concurrent sign-ins).
    #[test]
    fn concurrent_read_then_write_transactions_wait_instead_of_failing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        let user = add_bob(&store);
        let app = add_app(&store);

        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (store, user_id) = (store.clone(), user.id.clone());
                std::thread::spawn(move || {
                    for i in 0..40 {
                        let token = store.create_session(&user_id, 0, 1000, None)?;
                        let saml = SamlSession {
                            app_id: app.id,
                            user_id: user_id.clone(),
                            name_id: "bob@example.com".into(),
                            name_id_format: "f".into(),
                            session_index: format!("_{t}_{i}"),
                            issued_at: 0,
                            expires_at: 1000,
                        };
                        store.open_saml_session(&token, &saml)?;
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap().unwrap();
        }
    }

    #[test]
    fn signing_in_again_to_an_sp_keeps_the_session_index_and_bounds_the_rows() {
        let (store, user, token, app) = session_and_app();
        let saml = |name_id: &str, index: &str, at: i64| SamlSession {
            app_id: app.id,
            user_id: user.id.clone(),
            name_id: name_id.into(),
            name_id_format: "f".into(),
            session_index: index.into(),
            issued_at: at,
            expires_at: 1000,
        };

        assert_eq!(
            store
                .open_saml_session(&token, &saml("bob", "_1", 1))
                .unwrap(),
            "_1"
        );
        assert_eq!(
            store
                .open_saml_session(&token, &saml("bob", "_2", 2))
                .unwrap(),
            "_1"
        );
        let rows = store.saml_sessions(&token).unwrap();
        assert_eq!(rows, vec![saml("bob", "_1", 2)]);

        // A new NameID (transient ones are) opens a new SAML session; only
        // the newest few are kept.
        let many = MAX_SAML_SESSIONS_PER_APP + 5;
        for i in 0..many {
            let index = format!("_t{i}");
            let opened = store
                .open_saml_session(&token, &saml(&format!("t{i}"), &index, 3))
                .unwrap();
            assert_eq!(opened, index);
        }
        let rows = store.saml_sessions(&token).unwrap();
        assert_eq!(rows.len() as i64, MAX_SAML_SESSIONS_PER_APP);
        assert_eq!(
            rows.last().unwrap().session_index,
            format!("_t{}", many - 1)
        );
        assert!(rows.iter().all(|r| r.session_index != "_1"));
    }
}
