//! The `events` table: an audit trail of sign-ins, sign-outs and admin changes.

use rusqlite::params;

use super::{unix_now, Store, StoreError};

/// One audit event.
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    pub kind: &'a str,
    pub username: Option<&'a str>,
    pub app_slug: Option<&'a str>,
    pub client_addr: Option<&'a str>,
    pub detail: Option<&'a str>,
}

impl Store {
    pub fn record_event(&self, event: &Event<'_>) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            conn.execute(
                "INSERT INTO events (at, kind, username, app_slug, client_addr, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    unix_now(),
                    event.kind,
                    event.username,
                    event.app_slug,
                    event.client_addr,
                    event.detail
                ],
            )?;
            Ok(())
        })
    }
}
