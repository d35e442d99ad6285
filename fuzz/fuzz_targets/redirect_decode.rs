//! The HTTP-Redirect decoder (Bindings 3.4.4) on arbitrary query strings,
//! then the request parsers on whatever it inflates.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use signet::saml::binding::{
    decode_redirect, encode_redirect_query_unsigned, BindingError,
    MAX_MESSAGE_BYTES, MAX_QUERY_BYTES, MAX_RELAY_STATE_BYTES,
};

mod common;

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(value: &[u8]) -> String {
    value
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let decoded = decode_redirect(&query);

    if query.len() > MAX_QUERY_BYTES {
        assert!(matches!(decoded, Err(BindingError::QueryTooLong { .. })));
        return;
    }
    let Ok(message) = decoded else {
        return;
    };

    assert!(message.xml.len() <= MAX_MESSAGE_BYTES, "inflated past the cap");
    if let Some(relay) = &message.relay_state {
        assert!(!relay.is_empty() && relay.len() <= MAX_RELAY_STATE_BYTES);
    }

    if let Some(sig) = &message.signature {
        // The signed octets are made of what was received, never more.
        assert!(sig.signed_octets.len() <= query.len() + "SAMLResponse=&SigAlg=".len());
        assert!(sig.signed_octets.starts_with(message.kind.parameter()));

        // What a signature covers must decode to exactly the message that is
        // used: the signed octets plus the signature, and nothing else, give
        // the same kind, XML, RelayState and SigAlg.
        let resent = format!(
            "{}&Signature={}",
            sig.signed_octets,
            percent_encode(STANDARD.encode(&sig.signature).as_bytes())
        );
        if resent.len() <= MAX_QUERY_BYTES {
            assert_eq!(
                decode_redirect(&resent).as_ref(),
                Ok(&message),
                "signed octets decode to another message"
            );
        }
    }

    // Re-encoding what was decoded decodes to the same message.
    if let Ok(xml) = std::str::from_utf8(&message.xml) {
        let again =
            encode_redirect_query_unsigned(message.kind, xml, message.relay_state.as_deref());
        if again.len() <= MAX_QUERY_BYTES {
            let round = decode_redirect(&again).expect("our own encoding decodes");
            assert_eq!(round.kind, message.kind);
            assert_eq!(round.xml, message.xml);
            assert_eq!(round.relay_state, message.relay_state);
        }
    }

    common::check_parsers(&message.xml);
});
