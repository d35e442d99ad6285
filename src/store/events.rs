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

/// An event as stored, for the administration's event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub kind: String,
    pub username: Option<String>,
    pub app_slug: Option<String>,
    pub client_addr: Option<String>,
    pub detail: Option<String>,
}

/// Which events to list; every set field must match.
#[derive(Debug, Clone, Default)]
pub struct EventFilter<'a> {
    pub username: Option<&'a str>,
    pub app_slug: Option<&'a str>,
    /// Only events older than this id (the next page).
    pub before_id: Option<i64>,
    pub limit: usize,
}

impl Store {
    /// Events newest first, filtered by user and application.
    pub fn list_events(&self, filter: &EventFilter<'_>) -> Result<Vec<StoredEvent>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, at, kind, username, app_slug, client_addr, detail FROM events
                 WHERE (?1 IS NULL OR username = ?1)
                   AND (?2 IS NULL OR app_slug = ?2)
                   AND (?3 IS NULL OR id < ?3)
                 ORDER BY id DESC LIMIT ?4",
            )?;
            let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
            let rows = stmt.query_map(
                params![filter.username, filter.app_slug, filter.before_id, limit],
                |r| {
                    Ok(StoredEvent {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        kind: r.get(2)?,
                        username: r.get(3)?,
                        app_slug: r.get(4)?,
                        client_addr: r.get(5)?,
                        detail: r.get(6)?,
                    })
                },
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(store: &Store, kind: &str, username: Option<&str>, app_slug: Option<&str>) {
        let event = Event {
            kind,
            username,
            app_slug,
            ..Default::default()
        };
        store.record_event(&event).unwrap();
    }

    #[test]
    fn lists_newest_first_filtered_by_user_and_application() {
        let store = Store::open_in_memory().unwrap();
        record(&store, "login", Some("alice"), None);
        record(&store, "sign_in", Some("alice"), Some("chatgpt"));
        record(&store, "sign_in", Some("bob"), Some("chatgpt"));
        record(&store, "app_updated", Some("root"), Some("other"));

        let all = store
            .list_events(&EventFilter {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        let kinds: Vec<_> = all.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["app_updated", "sign_in", "sign_in", "login"]);

        let alice = EventFilter {
            username: Some("alice"),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(store.list_events(&alice).unwrap().len(), 2);
        let both = EventFilter {
            app_slug: Some("chatgpt"),
            ..alice.clone()
        };
        let found = store.list_events(&both).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, "sign_in");

        let page = EventFilter {
            before_id: Some(all[1].id),
            limit: 1,
            ..Default::default()
        };
        assert_eq!(store.list_events(&page).unwrap(), vec![all[2].clone()]);
    }

    #[test]
    fn events_past_their_retention_are_purged_and_newer_ones_kept() {
        let store = Store::open_in_memory().unwrap();
        record(&store, "login", Some("alice"), None);
        let now = unix_now();
        let all = EventFilter {
            limit: 10,
            ..Default::default()
        };
        store.purge_expired(now, 60).unwrap();
        assert_eq!(store.list_events(&all).unwrap().len(), 1);
        store.purge_expired(now + 61, 60).unwrap();
        assert!(store.list_events(&all).unwrap().is_empty());
    }
}
