//! Message identifiers (SAML Core 1.3.4).

use std::fmt;

/// A fresh `ID` for a message or assertion: `_` then 128 random bits in hex.
///
/// The leading underscore keeps it an XML `NCName` (it must not start with a
/// digit); 128 bits is the lower bound SAML Core 1.3.4 asks for.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    openssl::rand::rand_bytes(&mut bytes).expect("the system random generator failed");
    let mut id = String::with_capacity(33);
    id.push('_');
    for b in bytes {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

/// Whether `value` is an XML `NCName` that SAML accepts as an `ID`.
///
/// Only the ASCII subset is accepted; real SPs send hex, base64url or UUID
/// ids behind a letter or underscore. Length is capped so that a request id
/// cannot bloat the replay cache.
pub fn is_valid_id(value: &str) -> bool {
    const MAX_LEN: usize = 256;
    let mut chars = value.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    value.len() <= MAX_LEN
        && (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The `ID` of a request a service provider sent, checked by [`is_valid_id`].
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct RequestId(String);

impl RequestId {
    pub fn parse(value: &str) -> Option<Self> {
        is_valid_id(value).then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_ncnames_with_128_random_bits() {
        let a = new_id();
        let b = new_id();
        assert_eq!(a.len(), 33);
        assert!(a.starts_with('_'));
        assert!(is_valid_id(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn rejects_ids_that_are_not_ncnames() {
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("123abc"));
        assert!(!is_valid_id("id with space"));
        assert!(!is_valid_id("id<x"));
        assert!(!is_valid_id(&format!("_{}", "a".repeat(300))));
        assert!(is_valid_id(
            "ONELOGIN_4fee3b046395c4e751011e97f8900b5273d56685"
        ));
        assert!(is_valid_id("id-6e1c8f0c-7a33-4a1b-9f2e-1d2c3b4a5f60"));
    }
}
