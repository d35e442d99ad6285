//! Password hashing with Argon2id at OWASP's recommended parameters.

use std::fmt;
use std::sync::{Condvar, Mutex, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};

/// A password as typed; `Debug` never shows it.
pub struct Password(String);

impl Password {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is empty")]
    Empty,
    #[error("the password is longer than {max} bytes")]
    TooLong { max: usize },
    #[error("the password is shorter than {min} characters")]
    TooShort { min: usize },
    #[error("hashing failed: {0}")]
    Hash(String),
}

/// Passwords longer than this are refused before hashing, so a login form
/// cannot be used to make the server hash megabytes.
pub const MAX_LEN: usize = 1024;
/// The shortest password `user add` and `user passwd` accept.
pub const MIN_LEN: usize = 8;

/// Argon2id, m = 19 MiB, t = 2, p = 1 (OWASP Password Storage Cheat Sheet).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a new password's length and hashes it into a PHC string.
pub fn hash(password: &Password) -> Result<String, PasswordError> {
    let p = password.expose();
    if p.is_empty() {
        return Err(PasswordError::Empty);
    }
    if p.chars().count() < MIN_LEN {
        return Err(PasswordError::TooShort { min: MIN_LEN });
    }
    if p.len() > MAX_LEN {
        return Err(PasswordError::TooLong { max: MAX_LEN });
    }
    let mut salt_bytes = [0u8; 16];
    openssl::rand::rand_bytes(&mut salt_bytes).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| PasswordError::Hash(e.to_string()))?;
    with_slot(|| {
        hasher()
            .hash_password(p.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    })
}

/// At most this many hashes run at once: each takes 19 MiB and a core, so
/// a burst of logins queues here instead of exhausting memory.
fn hash_slots() -> &'static Slots {
    static SLOTS: OnceLock<Slots> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Slots {
            free: Mutex::new(cores * 2),
            freed: Condvar::new(),
        }
    })
}

struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// Runs `f` holding one hashing slot. Blocking.
fn with_slot<T>(f: impl FnOnce() -> T) -> T {
    let slots = hash_slots();
    {
        let mut free = slots.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = slots.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
    }
    let result = f();
    *slots.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    slots.freed.notify_one();
    result
}

/// Whether `password` matches `stored`. With no stored hash (unknown user, or
/// a user without a password) a dummy hash is checked instead, so both cases
/// take as long as a wrong password for a real user.
pub fn verify(password: &Password, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        hash(&Password::new("dummy password for timing".into())).expect("hashing a constant")
    });
    let p = password.expose();
    let too_long = p.len() > MAX_LEN;
    let candidate = if too_long { "" } else { p };
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let ok = with_slot(|| {
        hasher()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok()
    });
    ok && real && !too_long
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_with_owasp_parameters_and_verifies() {
        let h = hash(&Password::new("correct horse".into())).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&Password::new("correct horse".into()), Some(&h)));
        assert!(!verify(&Password::new("wrong horse!".into()), Some(&h)));
    }

    #[test]
    fn unknown_user_never_verifies() {
        assert!(!verify(
            &Password::new("dummy password for timing".into()),
            None
        ));
    }

    #[test]
    fn short_and_oversized_passwords_are_refused() {
        assert!(matches!(
            hash(&Password::new("short".into())),
            Err(PasswordError::TooShort { .. })
        ));
        let long = Password::new("x".repeat(MAX_LEN + 1));
        assert!(matches!(hash(&long), Err(PasswordError::TooLong { .. })));
    }

    #[test]
    fn debug_never_shows_the_password() {
        assert!(!format!("{:?}", Password::new("hunter22".into())).contains("hunter22"));
    }
}
