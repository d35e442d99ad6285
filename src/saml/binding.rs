//! The HTTP-Redirect (SAML Bindings 3.4) and HTTP-POST (SAML Bindings 3.5)
//! bindings: turning what arrived over HTTP into message bytes, and back.
//!
//! Every value here comes straight from a browser, so sizes are checked
//! before decoding and decompression output is capped while it is produced.

use std::io::Read;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use openssl::pkey::{PKey, Public};

pub use super::dsig::SignatureError;
use super::dsig::{verify_with_algorithm, EcdsaEncoding};

/// Longest redirect query string accepted, in bytes as received.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// Longest RelayState accepted after decoding. Bindings 3.4.3 says 80 bytes,
/// real service providers send more.
pub const MAX_RELAY_STATE_BYTES: usize = 1024;
/// Largest decoded message accepted by either binding.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Longest POST form value accepted before base64 decoding: room for the
/// largest message plus line breaks.
const MAX_POST_ENCODED_BYTES: usize = MAX_MESSAGE_BYTES / 3 * 4 * 2;

/// Base64 as SAML peers send it: the standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a message could not be taken from the binding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BindingError {
    #[error("query string is {found} bytes, more than the {limit} accepted")]
    QueryTooLong { limit: usize, found: usize },
    #[error("parameter {name} appears more than once")]
    RepeatedParameter { name: &'static str },
    #[error("both SAMLRequest and SAMLResponse are present")]
    RequestAndResponse,
    #[error("neither SAMLRequest nor SAMLResponse is present")]
    NoMessage,
    #[error("Signature is present without SigAlg")]
    SignatureWithoutSigAlg,
    #[error("SigAlg is present without Signature")]
    SigAlgWithoutSignature,
    #[error("RelayState is {found} bytes, more than the {limit} accepted")]
    RelayStateTooLong { limit: usize, found: usize },
    #[error("parameter {parameter} has a malformed percent escape")]
    PercentEncoding { parameter: String },
    #[error("parameter {parameter} is not UTF-8")]
    NotUtf8 { parameter: &'static str },
    #[error("parameter {parameter} is not valid base64")]
    Base64 { parameter: &'static str },
    #[error("message is not a valid raw DEFLATE stream: {0}")]
    Deflate(String),
    #[error("message inflates to more than {limit} bytes")]
    InflatedTooLarge { limit: usize },
    #[error("POST value is {found} bytes, more than the {limit} accepted")]
    PostTooLarge { limit: usize, found: usize },
    #[error(
        "the POST message is not XML: the HTTP-POST binding carries it base64-encoded \
         but not deflated"
    )]
    PostNotXml,
}

/// Which protocol message a binding carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// `SAMLRequest`: an AuthnRequest or LogoutRequest.
    Request,
    /// `SAMLResponse`: a LogoutResponse, for an IdP.
    Response,
}

impl MessageKind {
    /// The parameter or form field name (Bindings 3.4.4, 3.5.4).
    pub fn parameter(self) -> &'static str {
        match self {
            MessageKind::Request => "SAMLRequest",
            MessageKind::Response => "SAMLResponse",
        }
    }
}

/// A message received by the HTTP-Redirect binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectMessage {
    pub kind: MessageKind,
    /// The inflated message, not yet parsed.
    pub xml: Vec<u8>,
    /// The decoded RelayState; `None` when absent or empty.
    pub relay_state: Option<String>,
    pub signature: Option<RedirectSignature>,
}

/// A redirect-binding signature, not yet verified (Bindings 3.4.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectSignature {
    /// The decoded `SigAlg` URI.
    pub sig_alg: String,
    /// The decoded `Signature` bytes.
    pub signature: Vec<u8>,
    /// The octets the signature covers, built from the values as received.
    pub signed_octets: String,
}

/// Decodes `application/x-www-form-urlencoded` bytes: `+` is a space, `%XX`
/// is a byte, and a `%` not followed by two hex digits is an error.
fn form_decode(raw: &str) -> Option<Vec<u8>> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Inflates a raw DEFLATE stream (RFC 1951), refusing output over `limit`.
///
/// At most `limit + 1` bytes are ever produced, so a small stream that would
/// expand to gigabytes is refused after a bounded amount of work.
fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, BindingError> {
    let mut decoder = flate2::bufread::DeflateDecoder::new(data);
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    (&mut decoder)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| BindingError::Deflate(e.to_string()))?;
    if out.len() > limit {
        return Err(BindingError::InflatedTooLarge { limit });
    }
    // Bytes after the final block would be outside what was decoded, and
    // an empty input is not a stream at all.
    if decoder.total_in() != data.len() as u64 || data.is_empty() {
        return Err(BindingError::Deflate(
            "data after the end of the stream".into(),
        ));
    }
    Ok(out)
}

/// One recognised parameter: its value as received, and decoded.
struct RawParam<'q> {
    raw: &'q str,
    decoded: Vec<u8>,
}

fn set_once<'q>(
    slot: &mut Option<RawParam<'q>>,
    name: &'static str,
    raw: &'q str,
) -> Result<(), BindingError> {
    if slot.is_some() {
        return Err(BindingError::RepeatedParameter { name });
    }
    let decoded = form_decode(raw).ok_or_else(|| BindingError::PercentEncoding {
        parameter: name.to_owned(),
    })?;
    *slot = Some(RawParam { raw, decoded });
    Ok(())
}

fn utf8(bytes: Vec<u8>, parameter: &'static str) -> Result<String, BindingError> {
    String::from_utf8(bytes).map_err(|_| BindingError::NotUtf8 { parameter })
}

/// Decodes a message received by the HTTP-Redirect binding (Bindings 3.4.4).
///
/// `raw_query` is the query string exactly as received, still percent-encoded:
/// the signature, if any, covers those bytes and not a re-encoding of them.
pub fn decode_redirect(raw_query: &str) -> Result<RedirectMessage, BindingError> {
    if raw_query.len() > MAX_QUERY_BYTES {
        return Err(BindingError::QueryTooLong {
            limit: MAX_QUERY_BYTES,
            found: raw_query.len(),
        });
    }

    let (mut request, mut response, mut relay, mut sig_alg, mut signature) =
        (None, None, None, None, None);
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = form_decode(raw_name).ok_or_else(|| BindingError::PercentEncoding {
            parameter: raw_name.chars().take(64).collect(),
        })?;
        match name.as_slice() {
            b"SAMLRequest" => set_once(&mut request, "SAMLRequest", raw_value)?,
            b"SAMLResponse" => set_once(&mut response, "SAMLResponse", raw_value)?,
            b"RelayState" => set_once(&mut relay, "RelayState", raw_value)?,
            b"SigAlg" => set_once(&mut sig_alg, "SigAlg", raw_value)?,
            b"Signature" => set_once(&mut signature, "Signature", raw_value)?,
            _ => {}
        }
    }

    let (kind, message) = match (request, response) {
        (Some(_), Some(_)) => return Err(BindingError::RequestAndResponse),
        (None, None) => return Err(BindingError::NoMessage),
        (Some(m), None) => (MessageKind::Request, m),
        (None, Some(m)) => (MessageKind::Response, m),
    };

    let relay_state = match &relay {
        Some(p) if p.decoded.len() > MAX_RELAY_STATE_BYTES => {
            return Err(BindingError::RelayStateTooLong {
                limit: MAX_RELAY_STATE_BYTES,
                found: p.decoded.len(),
            })
        }
        Some(p) if !p.decoded.is_empty() => Some(utf8(p.decoded.clone(), "RelayState")?),
        _ => None,
    };

    let signature = match (sig_alg, signature) {
        (None, None) => None,
        (Some(_), None) => return Err(BindingError::SigAlgWithoutSignature),
        (None, Some(_)) => return Err(BindingError::SignatureWithoutSigAlg),
        (Some(alg), Some(sig)) => {
            // Bindings 3.4.4.1: the signed octets are the parameters as they
            // were received, in this order, whatever order they came in.
            let mut signed_octets = format!("{}={}", kind.parameter(), message.raw);
            if let Some(r) = &relay {
                signed_octets.push_str("&RelayState=");
                signed_octets.push_str(r.raw);
            }
            signed_octets.push_str("&SigAlg=");
            signed_octets.push_str(alg.raw);
            Some(RedirectSignature {
                sig_alg: utf8(alg.decoded, "SigAlg")?,
                signature: BASE64
                    .decode(without_line_breaks(&sig.decoded))
                    .map_err(|_| BindingError::Base64 {
                        parameter: "Signature",
                    })?,
                signed_octets,
            })
        }
    };

    // Some encoders wrap base64 in MIME lines (RFC 2045), which arrive as
    // %0D%0A; the line breaks carry nothing.
    let deflated = BASE64
        .decode(without_line_breaks(&message.decoded))
        .map_err(|_| BindingError::Base64 {
            parameter: kind.parameter(),
        })?;
    let xml = inflate(&deflated, MAX_MESSAGE_BYTES)?;

    Ok(RedirectMessage {
        kind,
        xml,
        relay_state,
        signature,
    })
}

fn without_line_breaks(encoded: &[u8]) -> Vec<u8> {
    encoded
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\r' | b'\n'))
        .collect()
}

/// Verifies a redirect-binding signature over its signed octets
/// (Bindings 3.4.4.1). RSA-SHA1 is accepted only when `allow_sha1`.
pub fn verify_redirect_signature(
    sig: &RedirectSignature,
    key: &PKey<Public>,
    allow_sha1: bool,
) -> Result<(), SignatureError> {
    verify_with_algorithm(
        &sig.sig_alg,
        key,
        sig.signed_octets.as_bytes(),
        &sig.signature,
        allow_sha1,
        EcdsaEncoding::RawOrDer,
    )
}

/// Decodes the `SAMLRequest` or `SAMLResponse` form field of the HTTP-POST
/// binding (Bindings 3.5.4): base64, line breaks tolerated, not deflated.
pub fn decode_post(value: &str) -> Result<Vec<u8>, BindingError> {
    if value.len() > MAX_POST_ENCODED_BYTES {
        return Err(BindingError::PostTooLarge {
            limit: MAX_POST_ENCODED_BYTES,
            found: value.len(),
        });
    }
    let compact: Vec<u8> = value.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let decoded = BASE64.decode(&compact).map_err(|_| BindingError::Base64 {
        parameter: "POST message",
    })?;
    if decoded.len() > MAX_MESSAGE_BYTES {
        return Err(BindingError::PostTooLarge {
            limit: MAX_MESSAGE_BYTES,
            found: decoded.len(),
        });
    }
    // A message starts with markup, after an optional byte order mark and
    // whitespace; anything else is most often a deflated message sent by
    // the redirect binding's rules, which deserves its own explanation.
    let body = decoded
        .strip_prefix("\u{FEFF}".as_bytes())
        .unwrap_or(&decoded);
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'<') {
        return Err(BindingError::PostNotXml);
    }
    Ok(decoded)
}

/// Deflates (RFC 1951), base64-encodes and percent-encodes a message.
fn encode_message(xml: &str) -> String {
    use std::io::Write;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail; an error here would be a flate2 bug.
    let deflated = encoder
        .write_all(xml.as_bytes())
        .and_then(|()| encoder.finish())
        .expect("deflating into memory cannot fail");
    percent_encode(&STANDARD.encode(deflated))
}

/// The query string of an unsigned HTTP-Redirect message (Bindings 3.4.4).
pub fn encode_redirect_query_unsigned(
    kind: MessageKind,
    xml: &str,
    relay_state: Option<&str>,
) -> String {
    let mut query = format!("{}={}", kind.parameter(), encode_message(xml));
    if let Some(relay) = relay_state {
        query.push_str("&RelayState=");
        query.push_str(&percent_encode(relay));
    }
    query
}

/// The query string of a signed HTTP-Redirect message (Bindings 3.4.4.1).
///
/// `sign` receives the octets to sign and returns the raw signature; its
/// error is passed through.
pub fn encode_redirect_query<E>(
    kind: MessageKind,
    xml: &str,
    relay_state: Option<&str>,
    sig_alg: &str,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<String, E> {
    let mut query = encode_redirect_query_unsigned(kind, xml, relay_state);
    query.push_str("&SigAlg=");
    query.push_str(&percent_encode(sig_alg));
    let signature = sign(query.as_bytes())?;
    query.push_str("&Signature=");
    query.push_str(&percent_encode(&STANDARD.encode(signature)));
    Ok(query)
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    use openssl::ec::{EcGroup, EcKey};
    use openssl::ecdsa::EcdsaSig;
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::Private;
    use openssl::rsa::Rsa;
    use openssl::sign::Signer;

    use super::*;
    use crate::saml::algorithms;

    const XML: &str = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
        ID="_1" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"/>"#;

    fn rsa() -> &'static PKey<Private> {
        static KEY: OnceLock<PKey<Private>> = OnceLock::new();
        KEY.get_or_init(|| PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap())
    }

    fn other_rsa() -> &'static PKey<Private> {
        static KEY: OnceLock<PKey<Private>> = OnceLock::new();
        KEY.get_or_init(|| PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap())
    }

    fn ec() -> &'static PKey<Private> {
        static KEY: OnceLock<PKey<Private>> = OnceLock::new();
        KEY.get_or_init(|| {
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
            PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
        })
    }

    fn public(key: &PKey<Private>) -> PKey<Public> {
        PKey::public_key_from_der(&key.public_key_to_der().unwrap()).unwrap()
    }

    fn sign(key: &PKey<Private>, md: MessageDigest, data: &[u8]) -> Vec<u8> {
        let mut signer = Signer::new(md, key).unwrap();
        signer.update(data).unwrap();
        signer.sign_to_vec().unwrap()
    }

    /// Signs a query built by hand and appends `&Signature=`.
    fn signed_query(unsigned: &str, key: &PKey<Private>, md: MessageDigest) -> String {
        let sig = sign(key, md, unsigned.as_bytes());
        format!(
            "{unsigned}&Signature={}",
            percent_encode(&STANDARD.encode(sig))
        )
    }

    fn message_param() -> String {
        encode_redirect_query_unsigned(MessageKind::Request, XML, None)
    }

    fn refused(query: &str) -> BindingError {
        decode_redirect(query).expect_err("query should be refused")
    }

    #[test]
    fn decodes_unsigned_request_and_relay_state() {
        let q = encode_redirect_query_unsigned(MessageKind::Request, XML, Some("a b&c=é"));
        let m = decode_redirect(&q).unwrap();
        assert_eq!(m.kind, MessageKind::Request);
        assert_eq!(m.xml, XML.as_bytes());
        assert_eq!(m.relay_state.as_deref(), Some("a b&c=é"));
        assert!(m.signature.is_none());

        let q = encode_redirect_query_unsigned(MessageKind::Response, XML, None);
        assert_eq!(decode_redirect(&q).unwrap().kind, MessageKind::Response);
    }

    #[test]
    fn ignores_unknown_parameters_and_matches_names_after_decoding() {
        let q = format!("foo=%zz&{}&Relay%53tate=x", message_param());
        // The unknown parameter's value is never decoded; the encoded name is recognised.
        let m = decode_redirect(&q).unwrap();
        assert_eq!(m.relay_state.as_deref(), Some("x"));
        let q = format!("{}&SAML%52equest=x", message_param());
        assert_eq!(
            refused(&q),
            BindingError::RepeatedParameter {
                name: "SAMLRequest"
            }
        );
    }

    #[test]
    fn refuses_query_over_16_kib() {
        let q = format!("{}&pad={}", message_param(), "a".repeat(MAX_QUERY_BYTES));
        assert!(matches!(refused(&q), BindingError::QueryTooLong { .. }));
    }

    #[test]
    fn refuses_each_repeated_parameter() {
        let base = message_param();
        let alg = percent_encode(algorithms::RSA_SHA256);
        for (extra, name) in [
            (base.clone(), "SAMLRequest"),
            ("RelayState=a&RelayState=b".to_owned(), "RelayState"),
            (format!("SigAlg={alg}&SigAlg={alg}&Signature=AA"), "SigAlg"),
            (
                format!("SigAlg={alg}&Signature=AA&Signature=AA"),
                "Signature",
            ),
        ] {
            let q = format!("{base}&{extra}");
            assert_eq!(refused(&q), BindingError::RepeatedParameter { name }, "{q}");
        }
        let resp = encode_redirect_query_unsigned(MessageKind::Response, XML, None);
        assert_eq!(
            refused(&format!("{resp}&{resp}")),
            BindingError::RepeatedParameter {
                name: "SAMLResponse"
            }
        );
    }

    #[test]
    fn refuses_request_and_response_together() {
        let resp = encode_redirect_query_unsigned(MessageKind::Response, XML, None);
        let q = format!("{}&{resp}", message_param());
        assert_eq!(refused(&q), BindingError::RequestAndResponse);
    }

    #[test]
    fn refuses_query_without_message() {
        assert_eq!(refused("RelayState=x"), BindingError::NoMessage);
        assert_eq!(refused(""), BindingError::NoMessage);
    }

    #[test]
    fn refuses_signature_without_sigalg_and_the_reverse() {
        let q = format!("{}&Signature=AAAA", message_param());
        assert_eq!(refused(&q), BindingError::SignatureWithoutSigAlg);
        let q = format!(
            "{}&SigAlg={}",
            message_param(),
            percent_encode(algorithms::RSA_SHA256)
        );
        assert_eq!(refused(&q), BindingError::SigAlgWithoutSignature);
    }

    #[test]
    fn refuses_relay_state_over_1_kib() {
        let long = "r".repeat(MAX_RELAY_STATE_BYTES + 1);
        let q = encode_redirect_query_unsigned(MessageKind::Request, XML, Some(&long));
        assert!(matches!(
            refused(&q),
            BindingError::RelayStateTooLong { .. }
        ));
        let exact = "r".repeat(MAX_RELAY_STATE_BYTES);
        let q = encode_redirect_query_unsigned(MessageKind::Request, XML, Some(&exact));
        assert!(decode_redirect(&q).is_ok());
    }

    #[test]
    fn refuses_malformed_percent_escapes() {
        for bad in ["%", "%4", "%zz", "%+1"] {
            let q = format!("{}&RelayState=a{bad}", message_param());
            assert!(
                matches!(refused(&q), BindingError::PercentEncoding { .. }),
                "{bad}"
            );
        }
    }

    #[test]
    fn refuses_bad_base64() {
        assert!(matches!(
            refused("SAMLRequest=%21%21%21"),
            BindingError::Base64 { .. }
        ));
        // URL-safe alphabet and embedded whitespace are not what the binding sends.
        assert!(matches!(
            refused("SAMLRequest=ab-_"),
            BindingError::Base64 { .. }
        ));
        assert!(matches!(
            refused("SAMLRequest=ab+cd"),
            BindingError::Base64 { .. }
        ));
    }

    #[test]
    fn accepts_base64_without_padding() {
        let q = message_param();
        let q = q.trim_end_matches("%3D");
        assert_eq!(decode_redirect(q).unwrap().xml, XML.as_bytes());
    }

    #[test]
    fn accepts_base64_in_mime_lines_and_signs_the_lines_as_sent() {
        let key = rsa();
        let mut deflated = flate2::write::DeflateEncoder::new(Vec::new(), Default::default());
        std::io::Write::write_all(&mut deflated, XML.as_bytes()).unwrap();
        let b64 = STANDARD.encode(deflated.finish().unwrap());
        let lines: Vec<String> = b64
            .as_bytes()
            .chunks(76)
            .map(|c| percent_encode(std::str::from_utf8(c).unwrap()))
            .collect();
        let unsigned = format!(
            "SAMLRequest={}&SigAlg={}",
            lines.join("%0D%0A"),
            percent_encode(algorithms::RSA_SHA256)
        );
        let m = decode_redirect(&signed_query(&unsigned, key, MessageDigest::sha256())).unwrap();
        assert_eq!(m.xml, XML.as_bytes());
        let sig = m.signature.unwrap();
        assert!(sig.signed_octets.contains("%0D%0A"));
        verify_redirect_signature(&sig, &public(key), false).unwrap();

        // Only line breaks are forgiven: a space (`+` in a query) is not.
        let spaced = format!("SAMLRequest={}", lines.join("+"));
        assert!(matches!(refused(&spaced), BindingError::Base64 { .. }));
    }

    #[test]
    fn refuses_zlib_instead_of_raw_deflate() {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(XML.as_bytes()).unwrap();
        let q = format!(
            "SAMLRequest={}",
            percent_encode(&STANDARD.encode(z.finish().unwrap()))
        );
        assert!(matches!(refused(&q), BindingError::Deflate(_)));
    }

    #[test]
    fn refuses_data_that_is_not_deflate() {
        let q = format!("SAMLRequest={}", percent_encode(&STANDARD.encode(XML)));
        assert!(matches!(refused(&q), BindingError::Deflate(_)));
        assert!(matches!(refused("SAMLRequest="), BindingError::Deflate(_)));
    }

    #[test]
    fn refuses_truncated_or_trailing_deflate_data() {
        use std::io::Write;
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        d.write_all(XML.as_bytes()).unwrap();
        let full = d.finish().unwrap();
        let truncated = &full[..full.len() - 3];
        let q = format!(
            "SAMLRequest={}",
            percent_encode(&STANDARD.encode(truncated))
        );
        assert!(matches!(refused(&q), BindingError::Deflate(_)));
        let mut trailing = full.clone();
        trailing.extend_from_slice(b"junk");
        let q = format!("SAMLRequest={}", percent_encode(&STANDARD.encode(trailing)));
        assert!(matches!(refused(&q), BindingError::Deflate(_)));
    }

    #[test]
    fn refuses_deflate_bomb_quickly() {
        use std::io::Write;
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        d.write_all(&vec![0u8; 10 * 1024 * 1024]).unwrap();
        let bomb = d.finish().unwrap();
        let q = format!("SAMLRequest={}", percent_encode(&STANDARD.encode(bomb)));
        assert!(q.len() <= MAX_QUERY_BYTES);
        let start = Instant::now();
        assert_eq!(
            refused(&q),
            BindingError::InflatedTooLarge {
                limit: MAX_MESSAGE_BYTES
            }
        );
        assert!(start.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn signature_covers_relay_state_exactly_as_sent() {
        // `~`, `*`, `'` unescaped, `%20` for space and lowercase escapes: a
        // re-encoding verifier would change these bytes and fail.
        let unsigned = format!(
            "{}&RelayState=a~b*c'd%20e%2fF%2Bg&SigAlg={}",
            message_param(),
            percent_encode(algorithms::RSA_SHA256)
        );
        let q = signed_query(&unsigned, rsa(), MessageDigest::sha256());
        let m = decode_redirect(&q).unwrap();
        assert_eq!(m.relay_state.as_deref(), Some("a~b*c'd e/F+g"));
        let sig = m.signature.unwrap();
        assert_eq!(sig.signed_octets, unsigned);
        verify_redirect_signature(&sig, &public(rsa()), false).unwrap();
    }

    #[test]
    fn signed_octets_follow_spec_order_not_received_order() {
        let alg = percent_encode(algorithms::RSA_SHA256);
        let msg = message_param();
        let ordered = format!("{msg}&RelayState=xyz&SigAlg={alg}");
        let sig = percent_encode(&STANDARD.encode(sign(
            rsa(),
            MessageDigest::sha256(),
            ordered.as_bytes(),
        )));
        let q = format!("Signature={sig}&SigAlg={alg}&other=1&RelayState=xyz&{msg}");
        let m = decode_redirect(&q).unwrap();
        let s = m.signature.unwrap();
        assert_eq!(s.signed_octets, ordered);
        verify_redirect_signature(&s, &public(rsa()), false).unwrap();
    }

    #[test]
    fn any_changed_byte_of_signed_octets_fails() {
        let unsigned = format!(
            "{}&RelayState=state&SigAlg={}",
            message_param(),
            percent_encode(algorithms::RSA_SHA256)
        );
        let q = signed_query(&unsigned, rsa(), MessageDigest::sha256());
        let sig = decode_redirect(&q).unwrap().signature.unwrap();
        let key = public(rsa());
        for i in 0..sig.signed_octets.len() {
            let mut bytes = sig.signed_octets.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = RedirectSignature {
                signed_octets: String::from_utf8(bytes).unwrap(),
                ..sig.clone()
            };
            assert_eq!(
                verify_redirect_signature(&tampered, &key, false),
                Err(SignatureError::Invalid),
                "byte {i}"
            );
        }
    }

    #[test]
    fn changed_query_parameters_fail_verification() {
        let alg = percent_encode(algorithms::RSA_SHA256);
        let msg = message_param();
        let unsigned = format!("{msg}&RelayState=state&SigAlg={alg}");
        let q = signed_query(&unsigned, rsa(), MessageDigest::sha256());
        let key = public(rsa());

        // Same decoded message, different escape case: the signature covers the bytes.
        let recased = q
            .replacen("%2B", "%2b", 1)
            .replacen("%2F", "%2f", 1)
            .replacen("%3D", "%3d", 1);
        assert_ne!(recased, q);
        let s = decode_redirect(&recased).unwrap().signature.unwrap();
        assert_eq!(
            verify_redirect_signature(&s, &key, false),
            Err(SignatureError::Invalid)
        );

        let s = decode_redirect(&q.replace("RelayState=state", "RelayState=statf"))
            .unwrap()
            .signature
            .unwrap();
        assert_eq!(
            verify_redirect_signature(&s, &key, false),
            Err(SignatureError::Invalid)
        );

        // Dropping the RelayState changes the signed octets too.
        let s = decode_redirect(&q.replace("&RelayState=state", ""))
            .unwrap()
            .signature
            .unwrap();
        assert_eq!(
            verify_redirect_signature(&s, &key, false),
            Err(SignatureError::Invalid)
        );

        let other = percent_encode(algorithms::RSA_SHA512);
        let s = decode_redirect(&q.replace(&alg, &other))
            .unwrap()
            .signature
            .unwrap();
        assert_eq!(
            verify_redirect_signature(&s, &key, false),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn verifies_rsa_sha384_and_sha512() {
        for (alg, md) in [
            (algorithms::RSA_SHA384, MessageDigest::sha384()),
            (algorithms::RSA_SHA512, MessageDigest::sha512()),
        ] {
            let unsigned = format!("{}&SigAlg={}", message_param(), percent_encode(alg));
            let q = signed_query(&unsigned, rsa(), md);
            let s = decode_redirect(&q).unwrap().signature.unwrap();
            verify_redirect_signature(&s, &public(rsa()), false).unwrap();
        }
    }

    #[test]
    fn verifies_ecdsa_in_der_and_raw_form() {
        let unsigned = format!(
            "{}&SigAlg={}",
            message_param(),
            percent_encode(algorithms::ECDSA_SHA256)
        );
        let der = sign(ec(), MessageDigest::sha256(), unsigned.as_bytes());
        let parsed = EcdsaSig::from_der(&der).unwrap();
        let mut raw = parsed.r().to_vec_padded(32).unwrap();
        raw.extend(parsed.s().to_vec_padded(32).unwrap());
        for sig in [der, raw] {
            let q = format!(
                "{unsigned}&Signature={}",
                percent_encode(&STANDARD.encode(sig))
            );
            let s = decode_redirect(&q).unwrap().signature.unwrap();
            verify_redirect_signature(&s, &public(ec()), false).unwrap();
        }
    }

    #[test]
    fn refuses_sha1_unless_allowed() {
        let unsigned = format!(
            "{}&SigAlg={}",
            message_param(),
            percent_encode(algorithms::RSA_SHA1)
        );
        let q = signed_query(&unsigned, rsa(), MessageDigest::sha1());
        let s = decode_redirect(&q).unwrap().signature.unwrap();
        assert!(matches!(
            verify_redirect_signature(&s, &public(rsa()), false),
            Err(SignatureError::InsecureAlgorithm { .. })
        ));
        verify_redirect_signature(&s, &public(rsa()), true).unwrap();
    }

    #[test]
    fn refuses_unknown_algorithm() {
        let alg = "http://www.w3.org/2000/09/xmldsig#dsa-sha1";
        let unsigned = format!("{}&SigAlg={}", message_param(), percent_encode(alg));
        let q = signed_query(&unsigned, rsa(), MessageDigest::sha256());
        let s = decode_redirect(&q).unwrap().signature.unwrap();
        assert_eq!(
            verify_redirect_signature(&s, &public(rsa()), true),
            Err(SignatureError::UnsupportedAlgorithm {
                found: alg.to_owned()
            })
        );
    }

    #[test]
    fn refuses_wrong_key_and_wrong_key_type() {
        let unsigned = format!(
            "{}&SigAlg={}",
            message_param(),
            percent_encode(algorithms::RSA_SHA256)
        );
        let q = signed_query(&unsigned, rsa(), MessageDigest::sha256());
        let s = decode_redirect(&q).unwrap().signature.unwrap();
        assert_eq!(
            verify_redirect_signature(&s, &public(other_rsa()), false),
            Err(SignatureError::Invalid)
        );
        assert!(matches!(
            verify_redirect_signature(&s, &public(ec()), false),
            Err(SignatureError::KeyMismatch { .. })
        ));
    }

    #[test]
    fn signed_encoder_output_verifies() {
        let q = encode_redirect_query(
            MessageKind::Response,
            XML,
            Some("rs ~*'"),
            algorithms::RSA_SHA256,
            |data| -> Result<Vec<u8>, ()> { Ok(sign(rsa(), MessageDigest::sha256(), data)) },
        )
        .unwrap();
        let m = decode_redirect(&q).unwrap();
        assert_eq!(m.kind, MessageKind::Response);
        assert_eq!(m.relay_state.as_deref(), Some("rs ~*'"));
        verify_redirect_signature(&m.signature.unwrap(), &public(rsa()), false).unwrap();
    }

    #[test]
    fn decodes_post_with_line_breaks() {
        let encoded = STANDARD.encode(XML);
        let wrapped: String = encoded
            .as_bytes()
            .chunks(76)
            .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
            .collect();
        assert_eq!(decode_post(&wrapped).unwrap(), XML.as_bytes());
    }

    #[test]
    fn refuses_post_too_large_or_not_base64() {
        let huge = "A".repeat(MAX_POST_ENCODED_BYTES + 1);
        assert!(matches!(
            decode_post(&huge),
            Err(BindingError::PostTooLarge { .. })
        ));
        let big = STANDARD.encode(vec![b'x'; MAX_MESSAGE_BYTES + 1]);
        assert!(matches!(
            decode_post(&big),
            Err(BindingError::PostTooLarge { .. })
        ));
        assert!(matches!(
            decode_post("!!!!"),
            Err(BindingError::Base64 { .. })
        ));
    }

    #[test]
    fn a_deflated_post_message_is_told_apart() {
        let mut deflated = flate2::write::DeflateEncoder::new(Vec::new(), Default::default());
        std::io::Write::write_all(&mut deflated, XML.as_bytes()).unwrap();
        let value = STANDARD.encode(deflated.finish().unwrap());
        assert_eq!(decode_post(&value), Err(BindingError::PostNotXml));
        assert_eq!(decode_post(""), Err(BindingError::PostNotXml));

        let with_bom = STANDARD.encode(format!("\u{FEFF}\n {XML}"));
        assert!(decode_post(&with_bom).is_ok());
    }
}
