//! Signing keypairs on disk: generation on first start, loading, checks.
//!
//! A private key lives in a PEM file readable by its owner only (mode 0600);
//! the database holds its name and path. Keys are parsed once and kept in
//! memory: signing is the hot path of every sign-in.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::saml::signing::{KeyError, SigningKey};
use crate::store::{Keypair, Store, StoreError};

/// Name of the keypair made on first start.
pub const DEFAULT_KEYPAIR: &str = "signet-self-signed";
const DEFAULT_COMMON_NAME: &str = "signet Self-signed Certificate";
const DEFAULT_VALID_DAYS: u32 = 3 * 365;
/// Certificates closer than this to expiry are warned about.
pub const EXPIRY_WARNING_DAYS: i64 = 90;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "key file {path} has mode {mode:o}: a private key must be readable by its owner only \
         (chmod 600 {path})"
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("keypair {name:?} ({path}): {source}")]
    Invalid {
        name: String,
        path: PathBuf,
        source: KeyError,
    },
    #[error(
        "{path} is missing while its pair is there: add it, or remove both to have \
         signet generate a new keypair"
    )]
    Missing { path: PathBuf },
    #[error("keypair {0} is not in the database")]
    Unknown(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A keypair row with its parsed key.
#[derive(Debug)]
pub struct LoadedKeypair {
    pub keypair: Keypair,
    pub key: SigningKey,
}

/// Creates the default keypair on first start; later starts reuse it.
///
/// Files already at the default keypair's paths on a first start (an
/// administrator's own key, placed as `certs/README.md` says, or what an
/// interrupted first start wrote) are adopted rather than overwritten; the
/// keyring then checks them like any other. Only one of the two is an error
/// naming the other.
pub fn ensure_default_keypair(store: &Store, data_dir: &Path) -> Result<(), KeyFileError> {
    if !store.list_keypairs()?.is_empty() {
        return Ok(());
    }
    let dir = data_dir.join("keys");
    fs::create_dir_all(&dir).map_err(|source| KeyFileError::Io {
        path: dir.clone(),
        source,
    })?;
    let key_rel = format!("keys/{DEFAULT_KEYPAIR}.key.pem");
    let cert_rel = format!("keys/{DEFAULT_KEYPAIR}.cert.pem");
    let (key_path, cert_path) = (data_dir.join(&key_rel), data_dir.join(&cert_rel));

    match (key_path.exists(), cert_path.exists()) {
        (true, true) => {
            tracing::info!(
                keypair = DEFAULT_KEYPAIR,
                "using the key and certificate found in {}",
                dir.display()
            );
        }
        (false, false) => {
            let (_, key_pem, cert_pem) =
                SigningKey::generate_self_signed(DEFAULT_COMMON_NAME, DEFAULT_VALID_DAYS).map_err(
                    |source| KeyFileError::Invalid {
                        name: DEFAULT_KEYPAIR.into(),
                        path: dir.clone(),
                        source,
                    },
                )?;
            // The certificate first: a key file alone is never left behind
            // looking like a finished pair.
            write_file_atomically(&cert_path, &cert_pem, 0o644)?;
            write_file_atomically(&key_path, &key_pem, 0o600)?;
            tracing::info!(
                keypair = DEFAULT_KEYPAIR,
                "generated a self-signed RSA-2048 signing keypair"
            );
        }
        (true, false) => return Err(KeyFileError::Missing { path: cert_path }),
        (false, true) => return Err(KeyFileError::Missing { path: key_path }),
    }
    store.add_keypair(DEFAULT_KEYPAIR, &key_rel, &cert_rel)?;
    Ok(())
}

/// Writes `path` whole or not at all: a temporary file with `mode` from its
/// creation on, synced, then renamed into place.
fn write_file_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyFileError> {
    let tmp = path.with_extension("pem.tmp");
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let _ = fs::remove_file(&tmp);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

fn resolve(data_dir: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        data_dir.join(p)
    }
}

/// Reads and checks one keypair: the key file is private, the key matches
/// its certificate and is strong enough.
pub fn load_keypair(data_dir: &Path, keypair: &Keypair) -> Result<SigningKey, KeyFileError> {
    let key_path = resolve(data_dir, &keypair.key_file);
    let cert_path = resolve(data_dir, &keypair.cert_file);
    let meta = fs::metadata(&key_path).map_err(|source| KeyFileError::Io {
        path: key_path.clone(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Permissions {
            path: key_path,
            mode,
        });
    }
    let read = |path: &Path| {
        fs::read(path).map_err(|source| KeyFileError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let key_pem = read(&key_path)?;
    let cert_pem = read(&cert_path)?;
    SigningKey::from_pem(&key_pem, &cert_pem).map_err(|source| KeyFileError::Invalid {
        name: keypair.name.clone(),
        path: key_path,
        source,
    })
}

/// The parsed keypairs, loaded at start and on first use after an
/// administrator adds one.
pub struct Keyring {
    store: Store,
    data_dir: PathBuf,
    loaded: RwLock<HashMap<i64, Arc<LoadedKeypair>>>,
}

impl Keyring {
    /// Loads and checks every keypair; any bad one stops the start.
    pub fn load_all(store: Store, data_dir: &Path) -> Result<Self, KeyFileError> {
        let ring = Self {
            store,
            data_dir: data_dir.to_path_buf(),
            loaded: RwLock::new(HashMap::new()),
        };
        let now = time::OffsetDateTime::now_utc();
        for keypair in ring.store.list_keypairs()? {
            let key = load_keypair(&ring.data_dir, &keypair)?;
            warn_about_validity(&keypair.name, &key, now);
            ring.loaded
                .write()
                .expect("keyring lock")
                .insert(keypair.id, Arc::new(LoadedKeypair { keypair, key }));
        }
        Ok(ring)
    }

    /// The keypair `id`, loading it if it was added after start. Blocking.
    pub fn get(&self, id: i64) -> Result<Arc<LoadedKeypair>, KeyFileError> {
        if let Some(k) = self.loaded.read().expect("keyring lock").get(&id) {
            return Ok(k.clone());
        }
        let keypair = self.store.keypair(id)?.ok_or(KeyFileError::Unknown(id))?;
        let key = load_keypair(&self.data_dir, &keypair)?;
        let loaded = Arc::new(LoadedKeypair { keypair, key });
        self.loaded
            .write()
            .expect("keyring lock")
            .insert(id, loaded.clone());
        Ok(loaded)
    }
}

fn warn_about_validity(name: &str, key: &SigningKey, now: time::OffsetDateTime) {
    if let Some(warning) = validity_warning(key, now) {
        tracing::warn!(keypair = name, "{warning}");
    }
}

/// What an administrator should hear about a certificate's dates, if
/// anything: not valid now, or expiring within [`EXPIRY_WARNING_DAYS`].
pub fn validity_warning(key: &SigningKey, now: time::OffsetDateTime) -> Option<String> {
    if let Err(e) = key.check_validity(now) {
        return Some(format!("signing certificate is not valid now: {e}"));
    }
    let days_left = (key.not_after() - now).whole_days();
    (days_left < EXPIRY_WARNING_DAYS).then(|| {
        format!(
            "signing certificate expires in {days_left} days: \
             publish a new one beside it at every SP"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_creates_a_private_keypair_and_later_starts_reuse_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_memory().unwrap();
        ensure_default_keypair(&store, dir.path()).unwrap();
        let kp = store.list_keypairs().unwrap().remove(0);
        let key_path = dir.path().join(&kp.key_file);
        let mode = fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let first = fs::read(&key_path).unwrap();
        ensure_default_keypair(&store, dir.path()).unwrap();
        assert_eq!(store.list_keypairs().unwrap().len(), 1);
        assert_eq!(fs::read(&key_path).unwrap(), first);
        Keyring::load_all(store, dir.path()).unwrap();
    }

    #[test]
    fn a_keypair_placed_before_the_first_start_is_adopted_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        fs::create_dir_all(&keys).unwrap();
        let (_, key_pem, cert_pem) = SigningKey::generate_self_signed("own", 30).unwrap();
        let key_path = keys.join(format!("{DEFAULT_KEYPAIR}.key.pem"));
        let cert_path = keys.join(format!("{DEFAULT_KEYPAIR}.cert.pem"));
        write_file_atomically(&key_path, &key_pem, 0o600).unwrap();

        // Only the key: the start stops, naming the missing certificate.
        let store = Store::open_in_memory().unwrap();
        let err = ensure_default_keypair(&store, dir.path()).unwrap_err();
        assert!(
            err.to_string().contains(&cert_path.display().to_string()),
            "{err}"
        );
        assert!(store.list_keypairs().unwrap().is_empty());

        fs::write(&cert_path, &cert_pem).unwrap();
        ensure_default_keypair(&store, dir.path()).unwrap();
        assert_eq!(fs::read(&key_path).unwrap(), key_pem);
        let ring = Keyring::load_all(store.clone(), dir.path()).unwrap();
        let id = store.list_keypairs().unwrap()[0].id;
        let loaded = ring.get(id).unwrap();
        assert_eq!(loaded.key.certificate_pem().as_bytes(), cert_pem.as_slice());
    }

    #[test]
    fn certificates_expired_or_expiring_within_90_days_are_warned_about() {
        let (key, _, _) = SigningKey::generate_self_signed("t", 365).unwrap();
        let now = time::OffsetDateTime::now_utc();
        assert_eq!(validity_warning(&key, now), None);
        let soon = validity_warning(&key, now + time::Duration::days(300)).unwrap();
        assert!(soon.contains("expires in"), "{soon}");
        let late = validity_warning(&key, now + time::Duration::days(400)).unwrap();
        assert!(late.contains("not valid now"), "{late}");
        let early = validity_warning(&key, now - time::Duration::days(1)).unwrap();
        assert!(early.contains("not valid now"), "{early}");
    }

    #[test]
    fn key_readable_by_others_stops_the_start_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_memory().unwrap();
        ensure_default_keypair(&store, dir.path()).unwrap();
        let kp = store.list_keypairs().unwrap().remove(0);
        let key_path = dir.path().join(&kp.key_file);
        fs::set_permissions(&key_path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = Keyring::load_all(store, dir.path()).err().unwrap();
        assert!(matches!(err, KeyFileError::Permissions { .. }));
        assert!(err.to_string().contains(&key_path.display().to_string()));
    }

    #[test]
    fn key_not_matching_its_certificate_stops_the_start_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_memory().unwrap();
        ensure_default_keypair(&store, dir.path()).unwrap();
        let kp = store.list_keypairs().unwrap().remove(0);
        let (_, other_key, _) = SigningKey::generate_self_signed("other", 1).unwrap();
        let key_path = dir.path().join(&kp.key_file);
        fs::write(&key_path, other_key).unwrap();
        let err = Keyring::load_all(store, dir.path()).err().unwrap();
        assert!(matches!(err, KeyFileError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains(&key_path.display().to_string()));
    }
}
