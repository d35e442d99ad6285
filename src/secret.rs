//! Random bearer secrets (session and flow tokens) whose `Debug` is redacted.

use std::fmt;

use base64::Engine as _;

/// A 256-bit random token as sent to a browser. Only its SHA-256 is stored,
/// so a copy of the database does not let anyone resume a session.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        openssl::rand::rand_bytes(&mut bytes).expect("the system random generator failed");
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Wraps a value received from a browser. Values of the wrong shape are
    /// refused here so they never reach a query.
    pub fn from_client(value: &str) -> Option<Self> {
        let ok = value.len() == 43
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(value.to_owned()))
    }

    /// The value to put in a cookie or form. Handle with care.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value stored in the database.
    pub fn digest(&self) -> Vec<u8> {
        openssl::sha::sha256(self.0.as_bytes()).to_vec()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let t = Token::generate();
        assert!(!format!("{t:?}").contains(t.expose()));
    }

    #[test]
    fn client_values_of_the_wrong_shape_are_refused() {
        let t = Token::generate();
        assert!(Token::from_client(t.expose()).is_some());
        assert!(Token::from_client("short").is_none());
        assert!(Token::from_client(&"'".repeat(43)).is_none());
    }
}
