//! The identity provider's flows: checking sign-in requests, logging people
//! in, and issuing signed responses.
//!
//! This layer knows SAML and storage but not HTTP: the web layer passes in
//! what arrived (a raw query, a form value, a cookie token) and gets back
//! typed results and the fields of the form to post.

mod checks;
pub mod login;
pub mod metadata;
pub mod slo;
pub mod sso;

use std::sync::Arc;

use crate::config::Config;
use crate::keys::{KeyFileError, Keyring};
use crate::store::{Store, StoreError};

/// Everything a flow needs; one per process, shared by all workers.
pub struct Idp {
    pub store: Store,
    pub keyring: Keyring,
    pub config: Config,
}

impl Idp {
    pub fn new(store: Store, keyring: Keyring, config: Config) -> Arc<Self> {
        Arc::new(Self {
            store,
            keyring,
            config,
        })
    }

    /// `external_url` joined with `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url(), path)
    }

    /// The URL of an application's endpoint, e.g. `sso/binding/redirect/`.
    pub fn app_url(&self, slug: &str, endpoint: &str) -> String {
        self.url(&format!("/application/saml/{slug}/{endpoint}"))
    }
}

/// A failure inside signet, not the peer's fault: a 500 for the browser.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyFileError),
    #[error("emitting a message: {0}")]
    Emit(#[from] crate::saml::xml_writer::EmitError),
    #[error("{0}")]
    Other(String),
}

/// Current Unix time in seconds.
pub fn now() -> i64 {
    crate::store::unix_now()
}
