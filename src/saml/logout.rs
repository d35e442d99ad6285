//! Emitting single-logout messages (SAML Core 3.7): the LogoutRequests
//! signet sends to service providers and the LogoutResponse it answers with.
//!
//! Like responses, they are written in exclusive canonical form. For the
//! HTTP-POST binding they carry an enveloped signature; for HTTP-Redirect
//! they go unsigned and the query string is signed instead (Bindings 3.4.4.1).

use time::OffsetDateTime;

use super::ids::new_id;
use super::signing::{enveloped_signature, SigningKey};
use super::time as saml_time;
use super::xml_writer::{CanonicalWriter, EmitError, Ns};

/// A message and its `ID`.
#[derive(Debug, Clone)]
pub struct BuiltMessage {
    pub xml: String,
    pub id: String,
}

/// What a LogoutRequest to one service provider says.
#[derive(Debug, Clone)]
pub struct LogoutRequestContent<'a> {
    pub issuer: &'a str,
    /// The SP's SLS URL.
    pub destination: &'a str,
    pub name_id: &'a str,
    pub name_id_format: &'a str,
    /// Every session of this subject at this SP (Core 3.7.1: one or more).
    pub session_indexes: &'a [&'a str],
    pub issue_instant: OffsetDateTime,
    pub not_on_or_after: OffsetDateTime,
}

/// Builds a LogoutRequest (Core 3.7.1); with `key`, enveloped-signed.
pub fn build_logout_request(
    c: &LogoutRequestContent<'_>,
    key: Option<&SigningKey>,
) -> Result<BuiltMessage, EmitError> {
    let id = new_id();
    let issue_instant = saml_time::format(c.issue_instant);
    let not_on_or_after = saml_time::format(c.not_on_or_after);
    let mut w = CanonicalWriter::with_capacity(2048);
    w.start(
        Ns::Samlp,
        "LogoutRequest",
        &[
            ("Destination", c.destination),
            ("ID", &id),
            ("IssueInstant", &issue_instant),
            ("NotOnOrAfter", &not_on_or_after),
            ("Version", "2.0"),
        ],
    )?;
    w.element_with_text(Ns::Saml, "Issuer", &[], c.issuer)?;
    let signature_at = w.offset();
    w.element_with_text(
        Ns::Saml,
        "NameID",
        &[("Format", c.name_id_format)],
        c.name_id,
    )?;
    for index in c.session_indexes {
        w.element_with_text(Ns::Samlp, "SessionIndex", &[], index)?;
    }
    w.end(Ns::Samlp, "LogoutRequest");
    finish(w, signature_at, id, key)
}

/// Builds a LogoutResponse (Core 3.7.2); with `key`, enveloped-signed.
pub fn build_logout_response(
    issuer: &str,
    destination: &str,
    in_response_to: &str,
    issue_instant: OffsetDateTime,
    status: &str,
    sub_status: Option<&str>,
    key: Option<&SigningKey>,
) -> Result<BuiltMessage, EmitError> {
    let id = new_id();
    let issue_instant = saml_time::format(issue_instant);
    let mut w = CanonicalWriter::with_capacity(2048);
    w.start(
        Ns::Samlp,
        "LogoutResponse",
        &[
            ("Destination", destination),
            ("ID", &id),
            ("InResponseTo", in_response_to),
            ("IssueInstant", &issue_instant),
            ("Version", "2.0"),
        ],
    )?;
    w.element_with_text(Ns::Saml, "Issuer", &[], issuer)?;
    let signature_at = w.offset();
    w.start(Ns::Samlp, "Status", &[])?;
    w.start(Ns::Samlp, "StatusCode", &[("Value", status)])?;
    if let Some(sub) = sub_status {
        w.empty_element(Ns::Samlp, "StatusCode", &[("Value", sub)])?;
    }
    w.end(Ns::Samlp, "StatusCode");
    w.end(Ns::Samlp, "Status");
    w.end(Ns::Samlp, "LogoutResponse");
    finish(w, signature_at, id, key)
}

/// Inserts the enveloped signature over the whole (root) element.
fn finish(
    mut w: CanonicalWriter,
    signature_at: usize,
    id: String,
    key: Option<&SigningKey>,
) -> Result<BuiltMessage, EmitError> {
    if let Some(key) = key {
        let signature = enveloped_signature(key, &id, w.as_str())?;
        w.insert_fragment(signature_at, &signature, Ns::Ds);
    }
    Ok(BuiltMessage {
        xml: w.finish(),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::authn_request::{parse_logout_request, parse_logout_response};
    use crate::saml::{dsig, status};

    fn key() -> SigningKey {
        SigningKey::generate_self_signed("test", 1).unwrap().0
    }

    fn public(key: &SigningKey) -> openssl::pkey::PKey<openssl::pkey::Public> {
        key.certificate().public_key().unwrap()
    }

    #[test]
    fn signed_logout_request_parses_and_verifies_with_our_own_strict_checks() {
        let key = key();
        let now = OffsetDateTime::now_utc();
        let built = build_logout_request(
            &LogoutRequestContent {
                issuer: "authentik",
                destination: "https://sp.example.com/sls?a=1&b=2",
                name_id: "o'neil&co@example.com",
                name_id_format: crate::saml::name_id_formats::EMAIL,
                session_indexes: &["_abc", "_def"],
                issue_instant: now,
                not_on_or_after: now + time::Duration::minutes(5),
            },
            Some(&key),
        )
        .unwrap();
        let parsed = parse_logout_request(built.xml.as_bytes()).unwrap();
        assert_eq!(parsed.request.name_id.value, "o'neil&co@example.com");
        assert_eq!(
            parsed.request.session_indexes,
            vec!["_abc".to_string(), "_def".into()]
        );
        assert_eq!(parsed.request.id.as_str(), built.id);
        dsig::verify_enveloped(&parsed.root, &public(&key), false).unwrap();
    }

    #[test]
    fn tampered_logout_response_fails_verification() {
        let key = key();
        let built = build_logout_response(
            "authentik",
            "https://sp.example.com/sls",
            "_req",
            OffsetDateTime::now_utc(),
            status::SUCCESS,
            None,
            Some(&key),
        )
        .unwrap();
        let parsed = parse_logout_response(built.xml.as_bytes()).unwrap();
        assert_eq!(parsed.response.status.code, status::SUCCESS);
        dsig::verify_enveloped(&parsed.root, &public(&key), false).unwrap();
        let tampered = built.xml.replace(status::SUCCESS, status::PARTIAL_LOGOUT);
        let parsed = parse_logout_response(tampered.as_bytes()).unwrap();
        assert!(dsig::verify_enveloped(&parsed.root, &public(&key), false).is_err());
    }

    #[test]
    fn unsigned_messages_carry_no_signature() {
        let built = build_logout_response(
            "authentik",
            "https://sp.example.com/sls",
            "_req",
            OffsetDateTime::now_utc(),
            status::RESPONDER,
            Some(status::PARTIAL_LOGOUT),
            None,
        )
        .unwrap();
        assert!(!built.xml.contains("Signature"));
        let parsed = parse_logout_response(built.xml.as_bytes()).unwrap();
        assert_eq!(
            parsed.response.status.sub_codes,
            vec![status::PARTIAL_LOGOUT.to_string()]
        );
    }
}
