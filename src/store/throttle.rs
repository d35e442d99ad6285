//! Failed logins per (username, client address), for throttling.

use rusqlite::params;

use super::{Store, StoreError};

/// Failed logins are kept this long, then purged.
pub const FAILURE_RETENTION_SECONDS: i64 = 3600;

impl Store {
    pub fn record_login_failure(
        &self,
        username: &str,
        client_addr: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            conn.execute(
                "INSERT INTO login_failures (username, client_addr, at) VALUES (?1, ?2, ?3)",
                params![username, client_addr, now],
            )?;
            Ok(())
        })
    }

    /// How many logins of `username` from `client_addr` failed since `since`.
    pub fn login_failures_since(
        &self,
        username: &str,
        client_addr: &str,
        since: i64,
    ) -> Result<u32, StoreError> {
        self.with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM login_failures
                 WHERE username = ?1 AND client_addr = ?2 AND at > ?3",
                params![username, client_addr, since],
                |r| r.get(0),
            )?)
        })
    }

    /// Forgets the failures of a pair after a good login.
    pub fn clear_login_failures(
        &self,
        username: &str,
        client_addr: &str,
    ) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            conn.execute(
                "DELETE FROM login_failures WHERE username = ?1 AND client_addr = ?2",
                params![username, client_addr],
            )?;
            Ok(())
        })
    }
}
