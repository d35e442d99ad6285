//! Adding signing keypairs: generating a self-signed one, or importing a
//! certificate with its private key.
//!
//! Key files go under `<data_dir>/keys/`, created mode 0600 before a byte is
//! written; the database row only names them. Everything is checked before
//! anything is written: the key must belong to the certificate, be RSA of at
//! least 2048 bits or EC P-256 (saml2int), and the certificate must be valid
//! now. The running keyring loads a new keypair on its first use.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{validate, AdminError};
use crate::saml::signing::{KeyError, SigningKey};
use crate::store::{Keypair, Store};

/// Longest validity a generated certificate may have, in days (10 years).
pub const MAX_VALID_DAYS: u32 = 3650;

/// A keypair name: it becomes a file name and the certificate download's
/// name, so letters, digits, `.`, `_` and `-` only.
pub fn keypair_name(value: &str) -> Result<(), String> {
    if value.is_empty() || value.len() > 64 {
        return Err("must be 1 to 64 characters".into());
    }
    if value.starts_with('.')
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err("may contain only letters, digits, . _ and - (not first)".into());
    }
    Ok(())
}

/// Generates an RSA-2048 key with a self-signed certificate `CN=common_name`
/// valid for `valid_days`, and registers it as `name`. Blocking.
pub fn generate_keypair(
    store: &Store,
    data_dir: &Path,
    name: &str,
    common_name: &str,
    valid_days: u32,
) -> Result<Keypair, AdminError> {
    let mut problems = Vec::new();
    if let Err(m) = check_new_name(store, name) {
        problems.push(("name", m));
    }
    if let Err(m) = validate::text(common_name, 64) {
        problems.push(("common-name", m));
    }
    if !(1..=MAX_VALID_DAYS).contains(&valid_days) {
        problems.push(("valid-days", format!("must be 1 to {MAX_VALID_DAYS} days")));
    }
    AdminError::from_fields(problems)?;
    let (_, key_pem, cert_pem) = SigningKey::generate_self_signed(common_name, valid_days)
        .map_err(|e| AdminError::invalid("common-name", e.to_string()))?;
    store_files(store, data_dir, name, &key_pem, &cert_pem)
}

/// Imports a PEM certificate and its PEM private key as `name`, refusing a
/// key that is not the certificate's, too weak, or a certificate that is
/// expired or not yet valid. Blocking.
pub fn import_keypair(
    store: &Store,
    data_dir: &Path,
    name: &str,
    cert_pem: &str,
    key_pem: &str,
) -> Result<Keypair, AdminError> {
    let mut problems = Vec::new();
    if let Err(m) = check_new_name(store, name) {
        problems.push(("name", m));
    }
    let checked = check_pair(cert_pem, key_pem);
    if let Err((field, m)) = &checked {
        problems.push((field, m.clone()));
    }
    AdminError::from_fields(problems)?;
    let key = checked.expect("checked above");
    store_files(
        store,
        data_dir,
        name,
        key_pem.trim().as_bytes(),
        key.certificate_pem().as_bytes(),
    )
}

fn check_new_name(store: &Store, name: &str) -> Result<(), String> {
    keypair_name(name)?;
    let taken = store
        .list_keypairs()
        .map_err(|e| e.to_string())?
        .iter()
        .any(|k| k.name == name);
    if taken {
        return Err(format!("a keypair named {name:?} exists"));
    }
    Ok(())
}

/// Parses and checks a pair, naming the form field a refusal belongs to.
fn check_pair(cert_pem: &str, key_pem: &str) -> Result<SigningKey, (&'static str, String)> {
    if cert_pem.trim().is_empty() {
        return Err(("certificate", "must not be empty".into()));
    }
    if key_pem.trim().is_empty() {
        return Err(("private-key", "must not be empty".into()));
    }
    let key = SigningKey::from_pem(key_pem.as_bytes(), cert_pem.as_bytes()).map_err(|e| {
        let field = match e {
            KeyError::CertificatePem(_) => "certificate",
            _ => "private-key",
        };
        (field, e.to_string())
    })?;
    key.check_validity(time::OffsetDateTime::now_utc())
        .map_err(|e| ("certificate", e.to_string()))?;
    Ok(key)
}

/// Writes both files and the row; on any failure removes what it wrote.
fn store_files(
    store: &Store,
    data_dir: &Path,
    name: &str,
    key_pem: &[u8],
    cert_pem: &[u8],
) -> Result<Keypair, AdminError> {
    let dir = data_dir.join("keys");
    fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
    let key_rel = format!("keys/{name}.key.pem");
    let cert_rel = format!("keys/{name}.cert.pem");
    let key_path = data_dir.join(&key_rel);
    let cert_path = data_dir.join(&cert_rel);

    write_new_file(&key_path, key_pem, 0o600)?;
    let rest = write_new_file(&cert_path, cert_pem, 0o644)
        .and_then(|()| Ok(store.add_keypair(name, &key_rel, &cert_rel)?));
    if rest.is_err() {
        let _ = fs::remove_file(&key_path);
        if !matches!(rest, Err(AdminError::Invalid { field: "name", .. })) {
            let _ = fs::remove_file(&cert_path);
        }
    }
    rest
}

/// Creates a file that must not exist yet, with `mode` from its creation on.
fn write_new_file(path: &PathBuf, bytes: &[u8], mode: u32) -> Result<(), AdminError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    let mut bytes = bytes.to_vec();
    if !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    file.write_all(&bytes).map_err(|e| io_error(path, e))?;
    file.sync_all().map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, e: std::io::Error) -> AdminError {
    if e.kind() == std::io::ErrorKind::AlreadyExists {
        return AdminError::invalid(
            "name",
            format!("the file {} exists already", path.display()),
        );
    }
    AdminError::Store(crate::store::StoreError::Corrupt(format!(
        "{}: {e}",
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::{PKey, Private};
    use openssl::rsa::Rsa;
    use openssl::x509::{X509Builder, X509NameBuilder};
    use std::os::unix::fs::PermissionsExt;

    /// A certificate for `key` valid from `from` to `to` days from now.
    pub(crate) fn cert_for(key: &PKey<Private>, from: i64, to: i64) -> String {
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_nid(Nid::COMMONNAME, "imported")
            .unwrap();
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(&BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap())
            .unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        b.set_not_before(&Asn1Time::from_unix(now + from * 86_400).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::from_unix(now + to * 86_400).unwrap())
            .unwrap();
        b.set_pubkey(key).unwrap();
        b.sign(key, MessageDigest::sha256()).unwrap();
        String::from_utf8(b.build().to_pem().unwrap()).unwrap()
    }

    fn rsa(bits: u32) -> PKey<Private> {
        PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap()
    }

    fn pem(key: &PKey<Private>) -> String {
        String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap()
    }

    fn field_of(err: AdminError) -> &'static str {
        err.field_messages()[0].0
    }

    #[test]
    fn imports_a_good_pair_with_a_private_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_memory().unwrap();
        let key = PKey::from_ec_key(
            EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
        )
        .unwrap();
        let kp = import_keypair(
            &store,
            dir.path(),
            "ec-1",
            &cert_for(&key, -1, 30),
            &pem(&key),
        )
        .unwrap();
        let mode = fs::metadata(dir.path().join(&kp.key_file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        crate::keys::load_keypair(dir.path(), &kp).unwrap();
    }

    #[test]
    fn refuses_mismatched_weak_expired_and_future_pairs_writing_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_memory().unwrap();
        let good = rsa(2048);
        let other = rsa(2048);
        let weak = rsa(1024);
        let cases = [
            (
                cert_for(&good, -1, 30),
                pem(&other),
                "private-key",
                "does not belong",
            ),
            (
                cert_for(&weak, -1, 30),
                pem(&weak),
                "private-key",
                "1024 bits",
            ),
            (
                cert_for(&good, -30, -1),
                pem(&good),
                "certificate",
                "expired",
            ),
            (
                cert_for(&good, 2, 30),
                pem(&good),
                "certificate",
                "not valid before",
            ),
            ("junk".into(), pem(&good), "certificate", "not a readable"),
        ];
        for (cert, key, field, words) in cases {
            let err = import_keypair(&store, dir.path(), "new", &cert, &key).unwrap_err();
            assert!(err.to_string().contains(words), "{err}");
            assert_eq!(field_of(err), field);
        }
        assert!(store.list_keypairs().unwrap().is_empty());
        assert!(!dir.path().join("keys/new.key.pem").exists());
    }

    #[test]
    fn generates_and_refuses_duplicate_or_unsafe_names() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_memory().unwrap();
        let kp = generate_keypair(&store, dir.path(), "rollover-2026", "signet", 365).unwrap();
        crate::keys::load_keypair(dir.path(), &kp).unwrap();
        let again = generate_keypair(&store, dir.path(), "rollover-2026", "signet", 365);
        assert_eq!(field_of(again.unwrap_err()), "name");
        for bad in ["../x", "a/b", ".hidden", "", "a b"] {
            let err = generate_keypair(&store, dir.path(), bad, "signet", 365).unwrap_err();
            assert_eq!(field_of(err), "name", "{bad}");
        }
        let err = generate_keypair(&store, dir.path(), "long", "signet", 20_000).unwrap_err();
        assert_eq!(field_of(err), "valid-days");
        assert_eq!(store.list_keypairs().unwrap().len(), 1);
    }
}
