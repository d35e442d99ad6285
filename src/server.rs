//! Starting the service: data directory, database, keys, HTTP server.

use std::fs;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpServer};

use crate::config::{Config, ConfigError};
use crate::idp::Idp;
use crate::keys::{self, KeyFileError, Keyring};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keys(#[from] KeyFileError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("server stopped: {0}")]
    Server(std::io::Error),
}

/// Opens everything the service needs: the data directory (created mode
/// 0700), the database (migrated), and the signing keys (generated on the
/// first start, checked on every start).
pub fn prepare(config: Config) -> Result<Arc<Idp>, StartError> {
    let dir = &config.data_dir;
    let io = |source| StartError::DataDir {
        path: dir.display().to_string(),
        source,
    };
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(io)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    let db = config.database_path();
    if !db.exists() {
        // The database holds password hashes: owner-only from its creation.
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&db)
            .map_err(io)?;
    }
    let store = Store::open(&db)?;
    keys::ensure_default_keypair(&store, dir)?;
    let keyring = Keyring::load_all(store.clone(), dir)?;
    Ok(Idp::new(store, keyring, config))
}

/// Runs the HTTP server until the process is stopped.
pub fn serve(idp: Arc<Idp>) -> Result<(), StartError> {
    let addr = idp.config.listen_addr()?;
    let workers = match idp.config.workers {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    actix_web::rt::System::new().block_on(async move {
        let purger = idp.clone();
        actix_web::rt::spawn(async move { purge_loop(purger).await });

        let app_idp = idp.clone();
        let server = HttpServer::new(move || crate::web::app(app_idp.clone()))
            .workers(workers)
            .bind(addr)
            .map_err(|source| StartError::Bind {
                addr: addr.to_string(),
                source,
            })?;
        tracing::info!(
            listen = %addr,
            external_url = %idp.config.external_url,
            data_dir = %idp.config.data_dir.display(),
            "signet is serving"
        );
        server.run().await.map_err(StartError::Server)
    })
}

/// Deletes expired sessions, flows, replay-cache entries and old audit
/// events every minute.
async fn purge_loop(idp: Arc<Idp>) {
    let mut tick = actix_web::rt::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let store = idp.store.clone();
        let retention = idp.config.event_retention_seconds();
        match web::block(move || store.purge_expired(crate::store::unix_now(), retention)).await {
            Ok(Ok(n)) if n > 0 => tracing::debug!(rows = n, "purged expired rows"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!("purging expired rows failed: {e}"),
            Err(e) => tracing::warn!("purge task failed: {e}"),
        }
    }
}
