//! Pending logins: a sign-in request waiting for the user's password.
//!
//! A flow is bound to one browser (the digest of its browser cookie), carries
//! the CSRF token of its login form, and is consumed by the login that
//! completes it, so a request is answered at most once.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};
use crate::secret::{constant_time_eq, Token};

/// A flow to store. `request_json` is the checked request, serialised by the
/// caller; `None` for a plain login with no sign-in waiting.
#[derive(Debug)]
pub struct NewLoginFlow<'a> {
    pub browser: &'a Token,
    pub app_id: Option<i64>,
    pub request_json: Option<String>,
    pub now: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct LoginFlow {
    pub csrf: String,
    pub app_id: Option<i64>,
    pub request_json: Option<String>,
}

impl Store {
    /// Stores a flow and returns its id and CSRF token.
    pub fn create_login_flow(&self, flow: &NewLoginFlow<'_>) -> Result<(Token, Token), StoreError> {
        let id = Token::generate();
        let csrf = Token::generate();
        self.with_conn(|conn| {
            conn.execute(
                "INSERT INTO login_flows (id_hash, browser_hash, csrf, app_id, request_json,
                     created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id.digest(),
                    flow.browser.digest(),
                    csrf.expose(),
                    flow.app_id,
                    flow.request_json,
                    flow.now,
                    flow.expires_at
                ],
            )?;
            Ok(())
        })?;
        Ok((id, csrf))
    }

    /// The live flow `id` of this `browser`, without consuming it.
    pub fn login_flow(
        &self,
        id: &Token,
        browser: &Token,
        now: i64,
    ) -> Result<Option<LoginFlow>, StoreError> {
        self.with_conn(|conn| {
            let row: Option<(Vec<u8>, LoginFlow)> = conn
                .query_row(
                    "SELECT browser_hash, csrf, app_id, request_json FROM login_flows
                     WHERE id_hash = ?1 AND expires_at > ?2",
                    params![id.digest(), now],
                    |r| {
                        Ok((
                            r.get(0)?,
                            LoginFlow {
                                csrf: r.get(1)?,
                                app_id: r.get(2)?,
                                request_json: r.get(3)?,
                            },
                        ))
                    },
                )
                .optional()?;
            Ok(row
                .filter(|(bound, _)| constant_time_eq(bound, &browser.digest()))
                .map(|(_, flow)| flow))
        })
    }

    /// Deletes flow `id`; `true` if this call removed it. Two logins racing
    /// on one flow: only one gets `true`.
    pub fn consume_login_flow(&self, id: &Token) -> Result<bool, StoreError> {
        self.with_conn(|conn| {
            Ok(conn.execute("DELETE FROM login_flows WHERE id_hash = ?1", [id.digest()])? == 1)
        })
    }
}

impl Store {
    /// Parks a checked request that arrived where the browser's cookies are
    /// not sent (a cross-site POST) until the browser comes back with `GET`.
    pub fn create_handoff(&self, request_json: &str, expires_at: i64) -> Result<Token, StoreError> {
        let id = Token::generate();
        self.with_conn(|conn| {
            conn.execute(
                "INSERT INTO handoffs (id_hash, request_json, expires_at) VALUES (?1, ?2, ?3)",
                params![id.digest(), request_json, expires_at],
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Takes the parked request `id` out of the database: it works once.
    pub fn take_handoff(&self, id: &Token, now: i64) -> Result<Option<String>, StoreError> {
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            let json: Option<String> = tx
                .query_row(
                    "SELECT request_json FROM handoffs WHERE id_hash = ?1 AND expires_at > ?2",
                    params![id.digest(), now],
                    |r| r.get(0),
                )
                .optional()?;
            tx.execute("DELETE FROM handoffs WHERE id_hash = ?1", [id.digest()])?;
            tx.commit()?;
            Ok(json)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_is_bound_to_its_browser_and_used_once() {
        let store = Store::open_in_memory().unwrap();
        let browser = Token::generate();
        let (id, csrf) = store
            .create_login_flow(&NewLoginFlow {
                browser: &browser,
                app_id: None,
                request_json: Some("{}".into()),
                now: 0,
                expires_at: 100,
            })
            .unwrap();
        let flow = store.login_flow(&id, &browser, 1).unwrap().unwrap();
        assert_eq!(flow.csrf, csrf.expose());
        assert!(store
            .login_flow(&id, &Token::generate(), 1)
            .unwrap()
            .is_none());
        assert!(store.login_flow(&id, &browser, 100).unwrap().is_none());
        assert!(store.consume_login_flow(&id).unwrap());
        assert!(!store.consume_login_flow(&id).unwrap());
        assert!(store.login_flow(&id, &browser, 1).unwrap().is_none());
    }
}
