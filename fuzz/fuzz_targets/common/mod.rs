//! Checks shared by the fuzz targets: the keys, and the invariants every
//! parser result must satisfy beyond "did not panic".
//!
//! Each target includes this file with `mod common;` and uses only part of
//! it, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::sync::OnceLock;

use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;

use signet::saml::authn_request::{
    parse_authn_request, parse_logout_request, parse_logout_response, RequestError,
};
use signet::saml::dsig::{verify_enveloped, SignatureError};
use signet::saml::ids::RequestId;
use signet::saml::xml_reader::{self, Element, Node};
use signet::saml::{NS_DSIG, NS_PROTOCOL};

/// The RSA-2048 key pair every run uses, generated once per process: no
/// input can carry a valid signature by it, so nothing may ever verify.
pub fn rsa() -> &'static PKey<Private> {
    static KEY: OnceLock<PKey<Private>> = OnceLock::new();
    KEY.get_or_init(|| PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap())
}

/// A P-256 key pair, for the ECDSA paths and for signing inside a target
/// (an ECDSA signature costs microseconds, an RSA one a millisecond).
pub fn ec() -> &'static PKey<Private> {
    static KEY: OnceLock<PKey<Private>> = OnceLock::new();
    KEY.get_or_init(|| {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
    })
}

pub fn public(key: &PKey<Private>) -> PKey<Public> {
    PKey::public_key_from_der(&key.public_key_to_der().unwrap()).unwrap()
}

pub fn rsa_public() -> &'static PKey<Public> {
    static KEY: OnceLock<PKey<Public>> = OnceLock::new();
    KEY.get_or_init(|| public(rsa()))
}

pub fn ec_public() -> &'static PKey<Public> {
    static KEY: OnceLock<PKey<Public>> = OnceLock::new();
    KEY.get_or_init(|| public(ec()))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What a tree accepted by the strict reader must look like, and what the
/// document it came from cannot have contained.
pub fn check_tree(xml: &[u8], root: &Element) {
    assert!(xml.len() <= xml_reader::MAX_INPUT_BYTES);

    // No DOCTYPE, comment or CDATA got through: all of them start with `<!`,
    // and a literal `<` can appear nowhere else but in markup.
    assert!(!contains(xml, b"<!"), "accepted a <! construct");
    // The only `<?` allowed is the XML declaration opening the document.
    let body = xml.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(xml);
    let pis = body.windows(2).filter(|w| w == b"<?").count();
    assert!(
        pis == 0 || (pis == 1 && body.starts_with(b"<?xml")),
        "accepted a processing instruction"
    );

    // Limits, and the shape the reader promises: adjacent text merged, no
    // empty text nodes, no two attributes with one expanded name.
    let mut count = 0;
    let mut stack = vec![(root, 1usize)];
    while let Some((e, depth)) = stack.pop() {
        count += 1;
        assert!(depth <= xml_reader::MAX_DEPTH);
        assert!(e.attributes.len() + e.ns_decls.len() <= xml_reader::MAX_ATTRIBUTES);
        for (i, a) in e.attributes.iter().enumerate() {
            assert!(
                !e.attributes[..i]
                    .iter()
                    .any(|b| b.ns == a.ns && b.local == a.local),
                "duplicate attribute {}",
                a.qname()
            );
        }
        let mut previous_text = false;
        for child in &e.children {
            match child {
                Node::Text(t) => {
                    assert!(!t.is_empty(), "empty text node");
                    assert!(!previous_text, "adjacent text nodes");
                    previous_text = true;
                }
                Node::Element(c) => {
                    previous_text = false;
                    stack.push((c, depth + 1));
                }
            }
        }
    }
    assert!(count <= xml_reader::MAX_ELEMENTS);
}

fn direct_signature(root: &Element) -> bool {
    root.elements().any(|e| e.is(NS_DSIG, "Signature"))
}

fn check_header(root: &Element, local: &str, id: &RequestId) {
    assert!(root.is(NS_PROTOCOL, local));
    assert_eq!(root.attr("Version"), Some("2.0"));
    assert_eq!(root.attr("ID"), Some(id.as_str()));
    assert!(RequestId::parse(id.as_str()).is_some());
    let instant = root.attr("IssueInstant").expect("IssueInstant");
    assert!(signet::saml::time::parse(instant).is_some());
}

fn check_entity(value: &str) {
    assert!(!value.is_empty());
    assert_eq!(
        value,
        value.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
    );
}

fn wrong_root(result: Result<impl Sized, RequestError>) {
    assert!(
        matches!(result, Err(RequestError::WrongRoot { .. })),
        "one document accepted as two kinds of message"
    );
}

/// Runs the reader and all three request parsers on `xml`, checks every
/// success against the document, and that no tree verifies as signed.
pub fn check_parsers(xml: &[u8]) {
    let tree = xml_reader::parse(xml);
    if let Ok(root) = &tree {
        check_tree(xml, root);
        check_no_signature_verifies(root);
    }

    let authn = parse_authn_request(xml);
    let logout = parse_logout_request(xml);
    let logout_response = parse_logout_response(xml);

    // The message parsers accept nothing the reader refuses, and refuse with
    // the reader's own error.
    if let Err(e) = &tree {
        for err in [&authn.as_ref().err(), &logout.as_ref().err()] {
            assert_eq!(*err, Some(&RequestError::Xml(e.clone())));
        }
        assert_eq!(
            logout_response.as_ref().err(),
            Some(&RequestError::Xml(e.clone()))
        );
    }

    if let Ok(parsed) = &authn {
        let r = &parsed.request;
        check_header(&parsed.root, "AuthnRequest", &r.id);
        assert_eq!(tree.as_ref().ok(), Some(&parsed.root));
        assert!(!(r.acs_url.is_some() && r.acs_index.is_some()));
        assert_eq!(r.acs_url.as_deref(), parsed.root.attr("AssertionConsumerServiceURL"));
        assert_eq!(r.destination.as_deref(), parsed.root.attr("Destination"));
        if let Some(issuer) = &r.issuer {
            check_entity(issuer);
        }
        if let Some(ctx) = &r.requested_authn_context {
            assert!(!ctx.class_refs.is_empty());
        }
        assert_eq!(r.has_signature, direct_signature(&parsed.root));
        wrong_root(parse_logout_request(xml));
        wrong_root(parse_logout_response(xml));
    }

    if let Ok(parsed) = &logout {
        let r = &parsed.request;
        check_header(&parsed.root, "LogoutRequest", &r.id);
        check_entity(&r.issuer);
        check_entity(&r.name_id.value);
        let indexes = parsed
            .root
            .elements()
            .filter(|e| e.is(NS_PROTOCOL, "SessionIndex"))
            .count();
        assert_eq!(r.session_indexes.len(), indexes);
        assert!(r.session_indexes.iter().all(|s| !s.is_empty()));
        assert_eq!(r.has_signature, direct_signature(&parsed.root));
        wrong_root(parse_authn_request(xml));
    }

    if let Ok(parsed) = &logout_response {
        let r = &parsed.response;
        check_header(&parsed.root, "LogoutResponse", &r.id);
        check_entity(&r.issuer);
        assert_eq!(
            r.in_response_to.as_ref().map(RequestId::as_str),
            parsed.root.attr("InResponseTo")
        );
        assert_eq!(r.has_signature, direct_signature(&parsed.root));
        wrong_root(parse_authn_request(xml));
    }
}

/// `verify_enveloped` on any tree, with keys no input can have signed for,
/// refuses; and SHA-1 never gets further when it is not allowed.
pub fn check_no_signature_verifies(root: &Element) {
    for key in [rsa_public(), ec_public()] {
        for allow_sha1 in [false, true] {
            let result = verify_enveloped(root, key, allow_sha1);
            assert!(result.is_err(), "an enveloped signature verified");
            if let Err(SignatureError::InsecureAlgorithm { .. }) = result {
                assert!(!allow_sha1);
            }
        }
    }
}
