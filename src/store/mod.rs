//! Storage: users, applications, keypairs, sessions and replay cache in SQLite.
//!
//! Every method here blocks; the web layer calls them through
//! `actix_web::web::block` so they never run on an async worker thread.
//! Nothing above this module writes SQL, so a server database for
//! multi-node deployments can replace it behind the same methods.

mod apps;
pub mod events;
mod flows;
mod keypairs;
mod logout;
mod migrations;
mod sessions;
mod throttle;
mod users;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub use apps::{Application, ApplicationChanges, NewApplication, SlsBinding};
pub use flows::{LoginFlow, NewLoginFlow};
pub use keypairs::Keypair;
pub use logout::LogoutFlow;
pub use sessions::{SamlSession, Session};
pub use users::{NewUser, User, UserChanges};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{what} {value:?} already exists")]
    Duplicate { what: &'static str, value: String },
    #[error("{what} {value:?} not found")]
    NotFound { what: &'static str, value: String },
    #[error("database schema version {found} is newer than this signet knows ({known})")]
    TooNew { found: i64, known: i64 },
    #[error("stored value is corrupt: {0}")]
    Corrupt(String),
}

/// How long a connection waits for a lock held by another one.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections kept open for reuse.
const POOL_SIZE: usize = 8;

/// A handle on the database; cheap to clone, shared by all workers.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    target: Target,
    idle: Mutex<Vec<Connection>>,
}

enum Target {
    File(PathBuf),
    /// A named in-memory database shared by this process's connections.
    Memory(String),
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let store = Self::with_target(Target::File(path.to_path_buf()));
        store.migrate()?;
        Ok(store)
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let name = format!(
            "file:signet-{}?mode=memory&cache=shared",
            crate::saml::ids::new_id()
        );
        let store = Self::with_target(Target::Memory(name));
        // The shared in-memory database lives as long as one connection does.
        let keeper = store.connect()?;
        store.migrate()?;
        store.inner.idle.lock().expect("pool lock").push(keeper);
        Ok(store)
    }

    fn with_target(target: Target) -> Self {
        Self {
            inner: Arc::new(Inner {
                target,
                idle: Mutex::new(Vec::new()),
            }),
        }
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let mut conn = match &self.inner.target {
            Target::File(path) => Connection::open(path).map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?,
            Target::Memory(name) => Connection::open_with_flags(
                name,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_URI,
            )?,
        };
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Every transaction here writes. Begun deferred, one that reads first
        // cannot wait for the write lock (SQLite answers SQLITE_BUSY at once to
        // avoid a deadlock); begun immediate, it waits like any other writer.
        conn.set_transaction_behavior(TransactionBehavior::Immediate);
        if matches!(self.inner.target, Target::File(_)) {
            // WAL: readers don't block the writer, and a crash loses no committed row.
            conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
            conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
        }
        conn.execute_batch("PRAGMA foreign_keys = ON;")?;
        Ok(conn)
    }

    /// Runs `f` on a pooled connection. Blocking.
    pub(crate) fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.inner.idle.lock().expect("pool lock").pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        let result = f(&mut conn);
        let mut idle = self.inner.idle.lock().expect("pool lock");
        if idle.len() < POOL_SIZE {
            idle.push(conn);
        }
        result
    }

    fn migrate(&self) -> Result<(), StoreError> {
        self.with_conn(migrations::run)
    }

    /// `PRAGMA integrity_check`; `Ok(())` when SQLite answers `ok`.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let answer: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if answer == "ok" {
                Ok(())
            } else {
                Err(StoreError::Corrupt(answer))
            }
        })
    }

    /// Deletes expired sessions, login flows and replay-cache entries, and
    /// audit events older than `event_retention_seconds`.
    pub fn purge_expired(
        &self,
        now: i64,
        event_retention_seconds: i64,
    ) -> Result<usize, StoreError> {
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            let mut n = tx.execute("DELETE FROM saml_sessions WHERE expires_at <= ?1", [now])?;
            n += tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?;
            n += tx.execute("DELETE FROM login_flows WHERE expires_at <= ?1", [now])?;
            n += tx.execute("DELETE FROM handoffs WHERE expires_at <= ?1", [now])?;
            n += tx.execute("DELETE FROM logout_flows WHERE expires_at <= ?1", [now])?;
            n += tx.execute(
                "DELETE FROM login_failures WHERE at <= ?1",
                [now - throttle::FAILURE_RETENTION_SECONDS],
            )?;
            n += tx.execute("DELETE FROM seen_requests WHERE expires_at <= ?1", [now])?;
            n += tx.execute(
                "DELETE FROM events WHERE at < ?1",
                [now.saturating_sub(event_retention_seconds)],
            )?;
            tx.commit()?;
            Ok(n)
        })
    }
}

/// Maps a UNIQUE constraint failure to [`StoreError::Duplicate`].
fn unique_violation(err: rusqlite::Error, what: &'static str, value: &str) -> StoreError {
    match &err {
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            StoreError::Duplicate {
                what,
                value: value.to_owned(),
            }
        }
        _ => StoreError::Sql(err),
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
