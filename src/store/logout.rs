//! Logout propagation in progress (SAML Profiles 4.4.3.4): which service
//! providers still have to be told, and which LogoutRequest is out now.

use rusqlite::{params, OptionalExtension, Row};

use super::sessions::SamlSession;
use super::{Store, StoreError};

/// One logout being propagated through the browser, SP after SP.
#[derive(Debug, Clone)]
pub struct LogoutFlow {
    pub id: i64,
    /// The SP whose LogoutRequest started it; `None` when signet's own
    /// "Sign out" did.
    pub initiator_app_id: Option<i64>,
    pub initiator_request_id: Option<String>,
    pub relay_state: Option<String>,
    /// SAML sessions still to end, in order.
    pub pending: Vec<SamlSession>,
    /// ID of the LogoutRequest sent and not yet answered.
    pub outstanding_id: Option<String>,
    pub outstanding_app_id: Option<i64>,
    /// Some SP did not confirm: the initiator gets PartialLogout.
    pub partial: bool,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<(LogoutFlow, String)> {
    Ok((
        LogoutFlow {
            id: r.get(0)?,
            initiator_app_id: r.get(1)?,
            initiator_request_id: r.get(2)?,
            relay_state: r.get(3)?,
            pending: Vec::new(),
            outstanding_id: r.get(5)?,
            outstanding_app_id: r.get(6)?,
            partial: r.get(7)?,
        },
        r.get(4)?,
    ))
}

const COLUMNS: &str = "id, initiator_app_id, initiator_request_id, relay_state, pending_json,
    outstanding_id, outstanding_app_id, partial";

fn decode((mut flow, json): (LogoutFlow, String)) -> Result<LogoutFlow, StoreError> {
    flow.pending = serde_json::from_str(&json)
        .map_err(|e| StoreError::Corrupt(format!("logout flow {}: {e}", flow.id)))?;
    Ok(flow)
}

impl Store {
    /// Stores a new flow; its `id` is assigned here.
    pub fn create_logout_flow(
        &self,
        flow: &LogoutFlow,
        expires_at: i64,
    ) -> Result<LogoutFlow, StoreError> {
        let json =
            serde_json::to_string(&flow.pending).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.with_conn(|conn| {
            conn.execute(
                "INSERT INTO logout_flows (initiator_app_id, initiator_request_id, relay_state,
                     pending_json, outstanding_id, outstanding_app_id, partial, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    flow.initiator_app_id,
                    flow.initiator_request_id,
                    flow.relay_state,
                    json,
                    flow.outstanding_id,
                    flow.outstanding_app_id,
                    flow.partial,
                    expires_at
                ],
            )?;
            let mut stored = flow.clone();
            stored.id = conn.last_insert_rowid();
            Ok(stored)
        })
    }

    /// Saves the flow's progress.
    pub fn save_logout_flow(&self, flow: &LogoutFlow) -> Result<(), StoreError> {
        let json =
            serde_json::to_string(&flow.pending).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.with_conn(|conn| {
            conn.execute(
                "UPDATE logout_flows SET pending_json = ?2, outstanding_id = ?3,
                     outstanding_app_id = ?4, partial = ?5 WHERE id = ?1",
                params![
                    flow.id,
                    json,
                    flow.outstanding_id,
                    flow.outstanding_app_id,
                    flow.partial
                ],
            )?;
            Ok(())
        })
    }

    /// The live flow waiting for the answer to LogoutRequest `request_id`.
    pub fn logout_flow_awaiting(
        &self,
        request_id: &str,
        now: i64,
    ) -> Result<Option<LogoutFlow>, StoreError> {
        let row = self.with_conn(|conn| {
            Ok(conn
                .query_row(
                    &format!(
                        "SELECT {COLUMNS} FROM logout_flows
                         WHERE outstanding_id = ?1 AND expires_at > ?2"
                    ),
                    params![request_id, now],
                    from_row,
                )
                .optional()?)
        })?;
        row.map(decode).transpose()
    }

    /// Takes the answer to LogoutRequest `request_id` of flow `id`: `true`
    /// only for the one call that still finds it outstanding, so two
    /// answers racing for one request cannot both move the flow on.
    pub fn claim_logout_answer(&self, id: i64, request_id: &str) -> Result<bool, StoreError> {
        self.with_conn(|conn| {
            let n = conn.execute(
                "UPDATE logout_flows SET outstanding_id = NULL, outstanding_app_id = NULL
                 WHERE id = ?1 AND outstanding_id = ?2",
                params![id, request_id],
            )?;
            Ok(n == 1)
        })
    }

    pub fn delete_logout_flow(&self, id: i64) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            conn.execute("DELETE FROM logout_flows WHERE id = ?1", [id])?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outstanding_answer_is_claimed_once() {
        let store = Store::open_in_memory().unwrap();
        let flow = LogoutFlow {
            id: 0,
            initiator_app_id: None,
            initiator_request_id: None,
            relay_state: None,
            pending: Vec::new(),
            outstanding_id: Some("_sent".into()),
            outstanding_app_id: None,
            partial: false,
        };
        let flow = store.create_logout_flow(&flow, i64::MAX).unwrap();
        assert!(store.logout_flow_awaiting("_sent", 0).unwrap().is_some());
        assert!(!store.claim_logout_answer(flow.id, "_other").unwrap());
        assert!(store.claim_logout_answer(flow.id, "_sent").unwrap());
        assert!(!store.claim_logout_answer(flow.id, "_sent").unwrap());
        assert!(store.logout_flow_awaiting("_sent", 0).unwrap().is_none());
    }
}
