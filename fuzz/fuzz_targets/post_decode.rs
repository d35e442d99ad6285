//! The HTTP-POST decoder (Bindings 3.5.4), then the request parsers and
//! enveloped-signature verification on what it decodes.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use signet::saml::binding::{decode_post, BindingError, MAX_MESSAGE_BYTES};

mod common;

fuzz_target!(|data: &[u8]| {
    let value = String::from_utf8_lossy(data);
    let decoded = match decode_post(&value) {
        Ok(decoded) => decoded,
        Err(
            BindingError::PostTooLarge { .. }
            | BindingError::Base64 { .. }
            | BindingError::PostNotXml,
        ) => return,
        Err(other) => panic!("unexpected POST error {other:?}"),
    };

    assert!(decoded.len() <= MAX_MESSAGE_BYTES, "decoded past the cap");
    let significant = value.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    assert!(decoded.len() <= significant / 4 * 3 + 3);
    // Whitespace is all the decoder forgives: the canonical encoding of the
    // result is the input without it, padding aside.
    let canonical = STANDARD.encode(&decoded);
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    assert_eq!(canonical.trim_end_matches('='), compact.trim_end_matches('='));

    let body = decoded.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(&decoded);
    assert_eq!(body.iter().find(|b| !b.is_ascii_whitespace()), Some(&b'<'));
    common::check_parsers(&decoded);
});
