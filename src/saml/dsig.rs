//! Signature checks for received messages: the algorithm rules shared by
//! both bindings, and enveloped XML signatures (XML-DSig 1.1, exclusive
//! canonicalization) of messages received by the HTTP-POST binding.

use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Public};
use openssl::sign::Verifier;

use super::xml_reader::{Element, Node};
use super::{algorithms, NS_DSIG};

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    #[error("signature algorithm {found:?} is not supported")]
    UnsupportedAlgorithm { found: String },
    #[error("algorithm {found:?} uses SHA-1, which is insecure and not allowed for this peer")]
    InsecureAlgorithm { found: String },
    #[error("digest algorithm {found:?} is not supported")]
    UnsupportedDigest { found: String },
    #[error("algorithm {algorithm:?} needs a {expected} key, the configured key is {found}")]
    KeyMismatch {
        algorithm: String,
        expected: &'static str,
        found: String,
    },
    #[error("{field} is not valid base64")]
    Base64 { field: &'static str },
    #[error("signature does not verify with the configured key")]
    Invalid,
    #[error("digest of the signed element does not match its Reference")]
    DigestMismatch,
    #[error("expected exactly one ds:Signature in the document, found {found}")]
    SignatureCount { found: usize },
    #[error("ds:Signature must be a direct child of the root element")]
    SignatureNotChildOfRoot,
    #[error("signed root element has no ID attribute")]
    MissingRootId,
    #[error("expected {expected} in the signature, found {found}")]
    UnexpectedStructure { expected: String, found: String },
    #[error("canonicalization {found:?} is not allowed, expected exclusive c14n")]
    UnsupportedCanonicalization { found: String },
    #[error("expected exactly one Reference, found {found}")]
    ReferenceCount { found: usize },
    #[error("Reference URI {found:?} does not point at the root, expected {expected:?}")]
    ReferenceUri { expected: String, found: String },
    #[error("transforms {found:?} are not enveloped-signature then exclusive c14n")]
    UnsupportedTransforms { found: Vec<String> },
    #[error("exclusive canonicalization failed: {0}")]
    Canonicalization(String),
}

/// How an ECDSA signature value may be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EcdsaEncoding {
    /// `r || s`, each as wide as the curve order (XML-DSig 1.1, 6.4.3).
    RawOnly,
    /// `r || s` or an ASN.1 DER `ECDSA-Sig-Value`, as redirect-binding peers send both.
    RawOrDer,
}

/// What an allowed signature algorithm URI means.
struct Algorithm {
    digest: MessageDigest,
    key: Id,
}

/// Maps a signature algorithm URI to its digest and key type (RFC 6931).
///
/// RSA-SHA1 is refused unless the peer was explicitly configured with it:
/// SHA-1 collisions are practical.
fn signature_algorithm(uri: &str, allow_sha1: bool) -> Result<Algorithm, SignatureError> {
    let (digest, key) = match uri {
        algorithms::RSA_SHA256 => (MessageDigest::sha256(), Id::RSA),
        algorithms::RSA_SHA384 => (MessageDigest::sha384(), Id::RSA),
        algorithms::RSA_SHA512 => (MessageDigest::sha512(), Id::RSA),
        algorithms::ECDSA_SHA256 => (MessageDigest::sha256(), Id::EC),
        algorithms::RSA_SHA1 if allow_sha1 => (MessageDigest::sha1(), Id::RSA),
        algorithms::RSA_SHA1 => {
            return Err(SignatureError::InsecureAlgorithm {
                found: uri.to_owned(),
            })
        }
        _ => {
            return Err(SignatureError::UnsupportedAlgorithm {
                found: uri.chars().take(128).collect(),
            })
        }
    };
    Ok(Algorithm { digest, key })
}

fn key_type_name(id: Id) -> String {
    match id {
        Id::RSA => "RSA".to_owned(),
        Id::EC => "EC".to_owned(),
        other => format!("type {}", other.as_raw()),
    }
}

/// Converts an `r || s` ECDSA signature to DER, when it has the width the
/// key's curve order asks for.
fn ecdsa_raw_to_der(key: &PKey<Public>, sig: &[u8]) -> Option<Vec<u8>> {
    let ec = key.ec_key().ok()?;
    let mut ctx = openssl::bn::BigNumContext::new().ok()?;
    let mut order = BigNum::new().ok()?;
    ec.group().order(&mut order, &mut ctx).ok()?;
    let width = usize::try_from(order.num_bytes()).ok()?;
    if sig.len() != 2 * width {
        return None;
    }
    let (r, s) = sig.split_at(width);
    let r = BigNum::from_slice(r).ok()?;
    let s = BigNum::from_slice(s).ok()?;
    EcdsaSig::from_private_components(r, s).ok()?.to_der().ok()
}

fn verify_der(
    digest: MessageDigest,
    key: &PKey<Public>,
    data: &[u8],
    sig: &[u8],
) -> Result<bool, SignatureError> {
    let mut verifier = Verifier::new(digest, key).map_err(|_| SignatureError::Invalid)?;
    verifier.update(data).map_err(|_| SignatureError::Invalid)?;
    // OpenSSL reports some malformed signatures as errors rather than `false`.
    Ok(verifier.verify(sig).unwrap_or(false))
}

/// Verifies `signature` over `data` with `key` under the algorithm named by `uri`.
pub(crate) fn verify_with_algorithm(
    uri: &str,
    key: &PKey<Public>,
    data: &[u8],
    signature: &[u8],
    allow_sha1: bool,
    ecdsa: EcdsaEncoding,
) -> Result<(), SignatureError> {
    let alg = signature_algorithm(uri, allow_sha1)?;
    if key.id() != alg.key {
        return Err(SignatureError::KeyMismatch {
            algorithm: uri.to_owned(),
            expected: if alg.key == Id::EC { "EC" } else { "RSA" },
            found: key_type_name(key.id()),
        });
    }

    let verified = if alg.key == Id::EC {
        let raw = match ecdsa_raw_to_der(key, signature) {
            Some(der) => verify_der(alg.digest, key, data, &der)?,
            None => false,
        };
        raw || (ecdsa == EcdsaEncoding::RawOrDer && verify_der(alg.digest, key, data, signature)?)
    } else {
        verify_der(alg.digest, key, data, signature)?
    };

    if verified {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}

/// A prefix named in an `ec:InclusiveNamespaces PrefixList` (Exclusive XML
/// Canonicalization 1.0, 3); `None` stands for `#default`.
type InclusivePrefixes = Vec<Option<String>>;

/// Reads the optional `ec:InclusiveNamespaces` child of a transform or
/// canonicalization method; anything else inside it is refused.
fn inclusive_prefixes(method: &Element) -> Result<InclusivePrefixes, SignatureError> {
    let children = exact_children(method, &[], 1)?;
    let Some(child) = children.first() else {
        return Ok(Vec::new());
    };
    if !child.is(algorithms::EXC_C14N, "InclusiveNamespaces") {
        return Err(unexpected("ec:InclusiveNamespaces", child));
    }
    exact_children(child, &[], 0)?;
    let list = child.attr("PrefixList").unwrap_or("");
    Ok(list
        .split([' ', '\t', '\r', '\n'])
        .filter(|t| !t.is_empty())
        .map(|t| (t != "#default").then(|| t.to_owned()))
        .collect())
}

fn unexpected(expected: &str, found: &Element) -> SignatureError {
    SignatureError::UnexpectedStructure {
        expected: expected.to_owned(),
        found: found.expanded_name(),
    }
}

/// The element children of `parent`: first exactly the `required` dsig
/// elements in order, then at most `extra` others, returned for the caller
/// to check. Text other than whitespace is refused.
fn exact_children<'a>(
    parent: &'a Element,
    required: &[&str],
    extra: usize,
) -> Result<Vec<&'a Element>, SignatureError> {
    if parent.has_significant_text() {
        return Err(SignatureError::UnexpectedStructure {
            expected: format!("only elements inside {}", parent.qname()),
            found: "text".to_owned(),
        });
    }
    let mut children = parent.elements();
    for local in required {
        match children.next() {
            Some(child) if child.is(NS_DSIG, local) => {}
            Some(child) => return Err(unexpected(&format!("ds:{local}"), child)),
            None => {
                return Err(SignatureError::UnexpectedStructure {
                    expected: format!("ds:{local}"),
                    found: format!("the end of {}", parent.qname()),
                })
            }
        }
    }
    let rest: Vec<&Element> = children.collect();
    if let Some(too_many) = rest.get(extra) {
        return Err(unexpected(
            &format!("the end of {}", parent.qname()),
            too_many,
        ));
    }
    Ok(parent.elements().skip(required.len()).collect())
}

/// The `Algorithm` attribute of a dsig method element.
fn algorithm(element: &Element) -> Result<&str, SignatureError> {
    element
        .attr("Algorithm")
        .ok_or_else(|| SignatureError::UnexpectedStructure {
            expected: format!("an Algorithm attribute on {}", element.qname()),
            found: "none".to_owned(),
        })
}

/// The n-th dsig child of an element already checked by [`exact_children`].
fn dsig_child<'a>(parent: &'a Element, local: &str) -> Result<&'a Element, SignatureError> {
    parent
        .elements()
        .find(|e| e.is(NS_DSIG, local))
        .ok_or_else(|| SignatureError::UnexpectedStructure {
            expected: format!("ds:{local}"),
            found: "nothing".to_owned(),
        })
}

fn base64_value(element: &Element, field: &'static str) -> Result<Vec<u8>, SignatureError> {
    use base64::Engine;
    let text = element
        .text_only()
        .map_err(|_| SignatureError::Base64 { field })?;
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| SignatureError::Base64 { field })
}

/// The digest a `DigestMethod` names (RFC 6931): SHA-256, -384 or -512,
/// and SHA-1 only when allowed.
fn digest_algorithm(uri: &str, allow_sha1: bool) -> Result<MessageDigest, SignatureError> {
    match uri {
        algorithms::SHA256 => Ok(MessageDigest::sha256()),
        algorithms::SHA384 => Ok(MessageDigest::sha384()),
        algorithms::SHA512 => Ok(MessageDigest::sha512()),
        algorithms::SHA1 if allow_sha1 => Ok(MessageDigest::sha1()),
        algorithms::SHA1 => Err(SignatureError::InsecureAlgorithm {
            found: uri.to_owned(),
        }),
        _ => Err(SignatureError::UnsupportedDigest {
            found: uri.chars().take(128).collect(),
        }),
    }
}

/// What the checked structure of an enveloped signature yields.
struct CheckedSignature<'a> {
    signature: &'a Element,
    signed_info: &'a Element,
    signed_info_prefixes: InclusivePrefixes,
    signature_method: &'a str,
    reference_prefixes: InclusivePrefixes,
    digest: MessageDigest,
    digest_value: Vec<u8>,
    signature_value: Vec<u8>,
}

/// Checks the shape of the one signature the profile allows (SAML Core 5.4,
/// XML-DSig 4): these checks are what defeats signature wrapping, so they
/// come before any cryptography.
fn check_structure(
    root: &Element,
    allow_sha1: bool,
) -> Result<CheckedSignature<'_>, SignatureError> {
    let count = root
        .descendants()
        .filter(|e| e.is(NS_DSIG, "Signature"))
        .count();
    if count != 1 {
        return Err(SignatureError::SignatureCount { found: count });
    }
    let signature = root
        .elements()
        .find(|e| e.is(NS_DSIG, "Signature"))
        .ok_or(SignatureError::SignatureNotChildOfRoot)?;
    let id = root.attr("ID").ok_or(SignatureError::MissingRootId)?;

    // KeyInfo is allowed and ignored: the key comes from configuration, never
    // from the message. ds:Object could carry what a Reference points at.
    let extra = exact_children(signature, &["SignedInfo", "SignatureValue"], 1)?;
    if let Some(other) = extra.first().filter(|e| !e.is(NS_DSIG, "KeyInfo")) {
        return Err(unexpected("ds:KeyInfo or the end of ds:Signature", other));
    }
    let signed_info = dsig_child(signature, "SignedInfo")?;
    let signature_value = base64_value(dsig_child(signature, "SignatureValue")?, "SignatureValue")?;

    let references = signed_info
        .elements()
        .filter(|e| e.is(NS_DSIG, "Reference"))
        .count();
    if references != 1 {
        return Err(SignatureError::ReferenceCount { found: references });
    }
    exact_children(
        signed_info,
        &["CanonicalizationMethod", "SignatureMethod", "Reference"],
        0,
    )?;
    let c14n_method = dsig_child(signed_info, "CanonicalizationMethod")?;
    let c14n = algorithm(c14n_method)?;
    if c14n != algorithms::EXC_C14N {
        return Err(SignatureError::UnsupportedCanonicalization {
            found: c14n.chars().take(128).collect(),
        });
    }
    let signed_info_prefixes = inclusive_prefixes(c14n_method)?;
    let method = dsig_child(signed_info, "SignatureMethod")?;
    exact_children(method, &[], 0)?;
    let signature_method = algorithm(method)?;

    let reference = dsig_child(signed_info, "Reference")?;
    let expected_uri = format!("#{id}");
    let uri = reference.attr("URI").unwrap_or("");
    if uri != expected_uri {
        return Err(SignatureError::ReferenceUri {
            expected: expected_uri,
            found: uri.chars().take(128).collect(),
        });
    }
    exact_children(reference, &["Transforms", "DigestMethod", "DigestValue"], 0)?;

    let transforms = dsig_child(reference, "Transforms")?;
    let listed: Vec<&Element> = exact_children(transforms, &[], usize::MAX)?;
    let names: Vec<String> = listed
        .iter()
        .map(
            |t| match (t.is(NS_DSIG, "Transform"), t.attr("Algorithm")) {
                (true, Some(alg)) => alg.chars().take(128).collect(),
                _ => t.expanded_name(),
            },
        )
        .collect();
    let [enveloped, exc] = listed.as_slice() else {
        return Err(SignatureError::UnsupportedTransforms { found: names });
    };
    if names.first().map(String::as_str) != Some(algorithms::ENVELOPED)
        || names.get(1).map(String::as_str) != Some(algorithms::EXC_C14N)
        || !enveloped.is(NS_DSIG, "Transform")
        || !exc.is(NS_DSIG, "Transform")
    {
        return Err(SignatureError::UnsupportedTransforms { found: names });
    }
    exact_children(enveloped, &[], 0)?;
    let reference_prefixes = inclusive_prefixes(exc)?;

    let digest_method = dsig_child(reference, "DigestMethod")?;
    exact_children(digest_method, &[], 0)?;
    let digest = digest_algorithm(algorithm(digest_method)?, allow_sha1)?;
    let digest_value = base64_value(dsig_child(reference, "DigestValue")?, "DigestValue")?;

    Ok(CheckedSignature {
        signature,
        signed_info,
        signed_info_prefixes,
        signature_method,
        reference_prefixes,
        digest,
        digest_value,
        signature_value,
    })
}

/// Verifies the enveloped signature of a message received by the HTTP-POST
/// binding (SAML Core 5.4, Bindings 3.5.5.2) with the configured `key`.
///
/// The document must hold exactly one `ds:Signature`, a direct child of the
/// root, with one Reference to the root's `ID`, the enveloped-signature and
/// exclusive c14n transforms only, and a SHA-256 digest (SHA-1 only when
/// `allow_sha1`). `root` is the element the caller parsed and will act on,
/// so what is verified is what is used.
pub fn verify_enveloped(
    root: &Element,
    key: &PKey<Public>,
    allow_sha1: bool,
) -> Result<(), SignatureError> {
    let checked = check_structure(root, allow_sha1)?;

    // SignedInfo is canonicalized as a document subset: its ancestors'
    // namespace bindings are in scope (XML-DSig 4.4.3).
    let signed_info = canonicalize(
        checked.signed_info,
        &[root, checked.signature],
        &checked.signed_info_prefixes,
        None,
    )?;
    verify_with_algorithm(
        checked.signature_method,
        key,
        signed_info.as_bytes(),
        &checked.signature_value,
        allow_sha1,
        EcdsaEncoding::RawOnly,
    )?;

    let referenced = canonicalize(
        root,
        &[],
        &checked.reference_prefixes,
        Some(checked.signature),
    )?;
    let digest = openssl::hash::hash(checked.digest, referenced.as_bytes())
        .map_err(|e| SignatureError::Canonicalization(e.to_string()))?;
    if digest.len() != checked.digest_value.len()
        || !openssl::memcmp::eq(&digest, &checked.digest_value)
    {
        return Err(SignatureError::DigestMismatch);
    }
    Ok(())
}

/// Exclusive XML Canonicalization 1.0 without comments
/// (<https://www.w3.org/TR/xml-exc-c14n/>) of the subtree at `apex`.
///
/// `ancestors` are the apex's ancestors from the root down, whose namespace
/// declarations are in scope but not output. `exclude`, when given, is left
/// out with its subtree: the enveloped-signature transform (XML-DSig 6.6.4).
pub fn canonicalize(
    apex: &Element,
    ancestors: &[&Element],
    inclusive: &[Option<String>],
    exclude: Option<&Element>,
) -> Result<String, SignatureError> {
    let mut c = Canonicalizer {
        out: String::new(),
        scope: Vec::new(),
        rendered: Vec::new(),
        inclusive,
        exclude,
    };
    for ancestor in ancestors {
        c.scope.extend(
            ancestor
                .ns_decls
                .iter()
                .map(|(p, u)| (p.as_deref(), u.as_str())),
        );
    }
    c.element(apex, 0)?;
    Ok(c.out)
}

struct Canonicalizer<'a> {
    out: String,
    /// Namespace bindings in scope, innermost last.
    scope: Vec<(Option<&'a str>, &'a str)>,
    /// Declarations rendered by output ancestors, innermost last.
    rendered: Vec<(Option<&'a str>, &'a str)>,
    inclusive: &'a [Option<String>],
    exclude: Option<&'a Element>,
}

fn lookup<'a>(bindings: &[(Option<&'a str>, &'a str)], prefix: Option<&str>) -> Option<&'a str> {
    bindings
        .iter()
        .rev()
        .find(|(p, _)| *p == prefix)
        .map(|(_, uri)| *uri)
}

impl<'a> Canonicalizer<'a> {
    fn element(&mut self, e: &'a Element, depth: usize) -> Result<(), SignatureError> {
        // The reader bounds depth; this guards trees built some other way.
        if depth > super::xml_reader::MAX_DEPTH {
            return Err(SignatureError::Canonicalization("tree too deep".into()));
        }
        let scope_len = self.scope.len();
        let rendered_len = self.rendered.len();
        self.scope
            .extend(e.ns_decls.iter().map(|(p, u)| (p.as_deref(), u.as_str())));

        // Exc-c14n 3: a namespace is output where it is visibly utilized (by
        // the element's name or an attribute's), or named in the PrefixList,
        // unless the nearest output ancestor already rendered it the same.
        let mut wanted: Vec<Option<&'a str>> = vec![e.prefix.as_deref()];
        wanted.extend(
            e.attributes
                .iter()
                .filter_map(|a| a.prefix.as_deref().map(Some)),
        );
        wanted.extend(self.inclusive.iter().map(|p| p.as_deref()));
        wanted.sort();
        wanted.dedup();

        let mut declarations: Vec<(Option<&'a str>, &'a str)> = Vec::new();
        for prefix in wanted {
            if prefix == Some("xml") {
                continue;
            }
            let (key, uri) = match lookup(&self.scope, prefix) {
                Some(uri) => (prefix, uri),
                // An unbound default namespace is the empty one; an unbound
                // prefix can only come from the PrefixList and is skipped.
                None if prefix.is_none() => (None, ""),
                None => continue,
            };
            let previous = lookup(&self.rendered, key);
            let differs = match key {
                None => previous.unwrap_or("") != uri,
                Some(_) => previous != Some(uri),
            };
            if differs {
                declarations.push((key, uri));
            }
        }
        // Sorted by prefix, the default namespace first: `None` sorts first.
        declarations.sort();
        self.rendered.extend(declarations.iter().copied());

        let name = e.qname();
        self.out.push('<');
        self.out.push_str(&name);
        for (prefix, uri) in &declarations {
            match prefix {
                Some(p) => {
                    self.out.push_str(" xmlns:");
                    self.out.push_str(p);
                }
                None => self.out.push_str(" xmlns"),
            }
            self.out.push_str("=\"");
            escape_attribute(&mut self.out, uri);
            self.out.push('"');
        }
        let mut attributes: Vec<_> = e.attributes.iter().collect();
        attributes.sort_by(|a, b| {
            (a.ns.as_deref().unwrap_or(""), a.local.as_str())
                .cmp(&(b.ns.as_deref().unwrap_or(""), b.local.as_str()))
        });
        for a in attributes {
            self.out.push(' ');
            self.out.push_str(&a.qname());
            self.out.push_str("=\"");
            escape_attribute(&mut self.out, &a.value);
            self.out.push('"');
        }
        self.out.push('>');

        for child in &e.children {
            match child {
                Node::Text(t) => escape_text(&mut self.out, t),
                Node::Element(c) if self.exclude.is_some_and(|x| std::ptr::eq(x, c)) => {}
                Node::Element(c) => self.element(c, depth + 1)?,
            }
        }

        self.out.push_str("</");
        self.out.push_str(&name);
        self.out.push('>');
        self.scope.truncate(scope_len);
        self.rendered.truncate(rendered_len);
        Ok(())
    }
}

/// Canonical XML 1.0, 2.3: text node escaping.
fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Canonical XML 1.0, 2.3: attribute value escaping.
fn escape_attribute(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use openssl::x509::X509;

    use super::*;
    use crate::saml::authn_request::{parse_authn_request, parse_logout_request};
    use crate::saml::xml_reader;

    const RSA_REQUEST: &str = include_str!("../../tests/fixtures/dsig/authn_request_rsa.xml");
    const RSA_SHA1_REQUEST: &str =
        include_str!("../../tests/fixtures/dsig/authn_request_rsa_sha1.xml");
    const RSA_SHA512_REQUEST: &str =
        include_str!("../../tests/fixtures/dsig/authn_request_rsa_sha512.xml");
    const EC_REQUEST: &str = include_str!("../../tests/fixtures/dsig/authn_request_ecdsa.xml");
    const RSA_LOGOUT: &str = include_str!("../../tests/fixtures/dsig/logout_request_rsa.xml");
    const INCLUSIVE_DEFAULT: &str = include_str!("../../tests/fixtures/dsig/inclusive_default.xml");
    const RSA_CERT: &[u8] = include_bytes!("../../tests/fixtures/dsig/rsa-cert.pem");
    const EC_CERT: &[u8] = include_bytes!("../../tests/fixtures/dsig/ec-cert.pem");

    fn key(cert: &[u8]) -> PKey<Public> {
        X509::from_pem(cert).unwrap().public_key().unwrap()
    }

    fn verify(xml: &str, cert: &[u8], allow_sha1: bool) -> Result<(), SignatureError> {
        let root = xml_reader::parse(xml.as_bytes()).map_err(|e| {
            SignatureError::Canonicalization(format!("test document did not parse: {e}"))
        })?;
        verify_enveloped(&root, &key(cert), allow_sha1)
    }

    fn c14n(xml: &str) -> String {
        canonicalize(&xml_reader::parse(xml.as_bytes()).unwrap(), &[], &[], None).unwrap()
    }

    #[test]
    fn xmlsec1_signed_fixtures_verify() {
        verify(RSA_REQUEST, RSA_CERT, false).unwrap();
        verify(EC_REQUEST, EC_CERT, false).unwrap();
        verify(RSA_LOGOUT, RSA_CERT, false).unwrap();
        verify(RSA_SHA1_REQUEST, RSA_CERT, true).unwrap();
        verify(RSA_SHA512_REQUEST, RSA_CERT, false).unwrap();
    }

    #[test]
    fn sha512_digest_is_checked_like_sha256() {
        let xml = RSA_SHA512_REQUEST.replace("newline and", "newline or");
        assert_eq!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::DigestMismatch)
        );
    }

    /// The shape the c14n fuzz target first stumbled on (its own size guard,
    /// not this code): exclusive c14n re-declares an inherited default
    /// namespace on every child, and the result canonicalizes to itself.
    #[test]
    fn many_children_inheriting_a_default_namespace_reach_a_fixed_point() {
        let xml = format!(
            r#"<a:r xmlns:a="urn:a" xmlns:b="urn:b" xmlns="urn:d" b:x="1" y=";">{}</a:r>"#,
            "<x/>".repeat(656)
        );
        let once = c14n(&xml);
        // As lxml renders it: attributes without a namespace first.
        assert!(once.starts_with(r#"<a:r xmlns:a="urn:a" xmlns:b="urn:b" y=";" b:x="1">"#));
        assert_eq!(once.matches(r#"<x xmlns="urn:d"></x>"#).count(), 656);
        assert_eq!(c14n(&once), once);
    }

    #[test]
    fn prefix_list_default_signs_an_unused_default_namespace() {
        verify(INCLUSIVE_DEFAULT, RSA_CERT, false).unwrap();
        let xml = INCLUSIVE_DEFAULT.replace(r#"xmlns="urn:d""#, r#"xmlns="urn:e""#);
        assert_eq!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::DigestMismatch)
        );
    }

    #[test]
    fn signed_fixtures_parse_as_signed_requests() {
        let parsed = parse_authn_request(RSA_REQUEST.as_bytes()).unwrap();
        assert!(parsed.request.has_signature);
        assert_eq!(
            parsed.request.acs_url.as_deref(),
            Some("https://sp.example.com/acs?a=1&b=\"two\"&c=<3>")
        );
        verify_enveloped(&parsed.root, &key(RSA_CERT), false).unwrap();
        let logout = parse_logout_request(RSA_LOGOUT.as_bytes()).unwrap();
        assert!(logout.request.has_signature);
        assert_eq!(logout.request.session_indexes, ["_sess1", "_sess2"]);
        verify_enveloped(&logout.root, &key(RSA_CERT), false).unwrap();
    }

    #[test]
    fn any_changed_byte_of_signed_content_fails() {
        // KeyInfo is not signed (and never used), and exclusive c14n leaves an
        // unused namespace declaration out of what is signed.
        let skip = |i: usize| {
            let in_range = |start: &str, end: &str| {
                let s = RSA_REQUEST.find(start).unwrap();
                let e = RSA_REQUEST.find(end).unwrap() + end.len();
                (s..e).contains(&i)
            };
            in_range("<ds:KeyInfo>", "</ds:KeyInfo>")
                || in_range(" xmlns:unused=", "urn:example:unused\"")
        };
        let key = key(RSA_CERT);
        for i in (0..RSA_REQUEST.len()).filter(|&i| !skip(i)) {
            let mut bytes = RSA_REQUEST.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let verdict = xml_reader::parse(&bytes)
                .map_err(|_| ())
                .and_then(|root| verify_enveloped(&root, &key, false).map_err(|_| ()));
            assert!(verdict.is_err(), "changing byte {i} still verified");
        }
    }

    #[test]
    fn changed_text_or_attribute_fails_digest() {
        let xml = RSA_REQUEST.replace("https://sp.example.com/metadata", "https://evil.example/");
        assert_eq!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::DigestMismatch)
        );
        let xml = RSA_REQUEST.replace("a=1&amp;b", "a=2&amp;b");
        assert_eq!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::DigestMismatch)
        );
        // Whitespace between elements is signed content too.
        let xml = RSA_REQUEST.replacen("    <saml:Issuer>", "   <saml:Issuer>", 1);
        assert_eq!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::DigestMismatch)
        );
    }

    fn signature_block() -> &'static str {
        let start = RSA_REQUEST.find("<ds:Signature ").unwrap();
        let end = RSA_REQUEST.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        &RSA_REQUEST[start..end]
    }

    #[test]
    fn second_signature_in_extensions_fails_structurally() {
        let xml = RSA_REQUEST.replace(
            "<samlp:Extensions>",
            &format!("<samlp:Extensions>{}", signature_block()),
        );
        assert_eq!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::SignatureCount { found: 2 })
        );
    }

    #[test]
    fn signature_moved_below_root_fails_structurally() {
        let xml = RSA_REQUEST.replace(signature_block(), "").replace(
            "<samlp:Extensions>",
            &format!("<samlp:Extensions>{}", signature_block()),
        );
        assert_eq!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::SignatureNotChildOfRoot)
        );
    }

    #[test]
    fn wrapped_genuine_request_under_forged_root_fails() {
        // The classic wrapping attack: a forged request with the same ID
        // carrying the genuinely signed one inside its Extensions.
        let genuine = RSA_REQUEST.trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let forged = format!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
                ID="_8e8dc5f69a98cc4c1ff3427e5ce34606fd672f91e6" Version="2.0"
                IssueInstant="2024-05-01T12:00:00Z"
                AssertionConsumerServiceURL="https://evil.example/acs"
                ><samlp:Extensions>{genuine}</samlp:Extensions></samlp:AuthnRequest>"#
        );
        assert!(matches!(
            verify(&forged, RSA_CERT, false),
            Err(SignatureError::SignatureNotChildOfRoot)
        ));
    }

    #[test]
    fn reference_to_another_id_fails() {
        let xml = RSA_REQUEST.replace(
            r##"URI="#_8e8dc5f69a98cc4c1ff3427e5ce34606fd672f91e6""##,
            r##"URI="#_other""##,
        );
        assert!(matches!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::ReferenceUri { .. })
        ));
        let xml = RSA_REQUEST.replacen(
            r#"ID="_8e8dc5f69a98cc4c1ff3427e5ce34606fd672f91e6""#,
            r#"ID="_other""#,
            1,
        );
        assert!(matches!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::ReferenceUri { .. })
        ));
        let xml =
            RSA_REQUEST.replacen(r#"ID="_8e8dc5f69a98cc4c1ff3427e5ce34606fd672f91e6""#, "", 1);
        assert_eq!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::MissingRootId)
        );
    }

    #[test]
    fn extra_or_reordered_transforms_fail() {
        let enveloped =
            r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#;
        let extra = format!(
            r#"{enveloped}<ds:Transform
                Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>"#
        );
        let xml = RSA_REQUEST.replace(enveloped, &extra);
        assert!(matches!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::UnsupportedTransforms { .. })
        ));
        let xml = RSA_REQUEST.replace(enveloped, "");
        assert!(matches!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::UnsupportedTransforms { .. })
        ));
    }

    #[test]
    fn other_canonicalization_or_digest_fails() {
        let xml = RSA_REQUEST.replace(
            r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
            r#"<ds:CanonicalizationMethod
                Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"/>"#,
        );
        assert!(matches!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::UnsupportedCanonicalization { .. })
        ));
        let xml = RSA_REQUEST.replace(
            "http://www.w3.org/2001/04/xmlenc#sha256",
            "http://www.w3.org/2001/04/xmldsig-more#md5",
        );
        assert!(matches!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::UnsupportedDigest { .. })
        ));
    }

    #[test]
    fn object_or_second_reference_is_refused() {
        let xml = RSA_REQUEST.replace("</ds:KeyInfo>", "</ds:KeyInfo><ds:Object/>");
        assert!(matches!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::UnexpectedStructure { .. })
        ));
        let start = RSA_REQUEST.find("<ds:Reference ").unwrap();
        let end = RSA_REQUEST.find("</ds:Reference>").unwrap() + "</ds:Reference>".len();
        let reference = &RSA_REQUEST[start..end];
        let xml = RSA_REQUEST.replace(reference, &format!("{reference}{reference}"));
        assert!(matches!(
            verify(&xml, RSA_CERT, false),
            Err(SignatureError::ReferenceCount { found: 2 })
        ));
    }

    #[test]
    fn wrong_key_fails() {
        assert!(matches!(
            verify(RSA_REQUEST, EC_CERT, false),
            Err(SignatureError::KeyMismatch { .. })
        ));
        let other = openssl::rsa::Rsa::generate(2048).unwrap();
        let other = PKey::public_key_from_der(&other.public_key_to_der().unwrap()).unwrap();
        let root = xml_reader::parse(RSA_REQUEST.as_bytes()).unwrap();
        assert_eq!(
            verify_enveloped(&root, &other, false),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn sha1_is_refused_unless_allowed() {
        assert!(matches!(
            verify(RSA_SHA1_REQUEST, RSA_CERT, false),
            Err(SignatureError::InsecureAlgorithm { .. })
        ));
        verify(RSA_SHA1_REQUEST, RSA_CERT, true).unwrap();
    }

    #[test]
    fn unsigned_document_has_no_signature() {
        let root = xml_reader::parse(b"<a ID='_x'/>").unwrap();
        assert_eq!(
            verify_enveloped(&root, &key(RSA_CERT), false),
            Err(SignatureError::SignatureCount { found: 0 })
        );
    }

    #[test]
    fn c14n_sorts_namespaces_and_attributes_and_renders_used_namespaces_only() {
        assert_eq!(
            c14n(
                r#"<a:r xmlns:b="urn:b" xmlns:a="urn:a" xmlns="urn:d" xmlns:u="urn:u"
                    z="1" b:y="2" a:x="3"><c/></a:r>"#
            ),
            concat!(
                r#"<a:r xmlns:a="urn:a" xmlns:b="urn:b" z="1" a:x="3" b:y="2">"#,
                r#"<c xmlns="urn:d"></c></a:r>"#
            )
        );
    }

    #[test]
    fn c14n_undeclares_default_namespace_only_when_rendered() {
        assert_eq!(
            c14n(r#"<r xmlns="urn:d"><c xmlns=""/></r>"#),
            r#"<r xmlns="urn:d"><c xmlns=""></c></r>"#
        );
        assert_eq!(c14n(r#"<r><c xmlns=""/></r>"#), "<r><c></c></r>");
        assert_eq!(
            c14n(r#"<p:r xmlns:p="urn:p" xmlns="urn:d"><c xmlns=""/></p:r>"#),
            r#"<p:r xmlns:p="urn:p"><c></c></p:r>"#
        );
    }

    #[test]
    fn c14n_escapes_text_and_attributes() {
        assert_eq!(
            c14n("<r a=\"&quot;&amp;&lt;>&#9;&#10;&#13;'\">&amp;&lt;&gt;&#13;\"'\r\n</r>"),
            "<r a=\"&quot;&amp;&lt;>&#x9;&#xA;&#xD;'\">&amp;&lt;&gt;&#xD;\"'\n</r>"
        );
    }

    #[test]
    fn c14n_renders_signed_info_with_inherited_namespace() {
        let root = xml_reader::parse(RSA_REQUEST.as_bytes()).unwrap();
        let signature = root
            .elements()
            .find(|e| e.is(NS_DSIG, "Signature"))
            .unwrap();
        let signed_info = signature.elements().next().unwrap();
        let out = canonicalize(signed_info, &[&root, signature], &[], None).unwrap();
        assert!(
            out.starts_with(
                r#"<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Canon"#
            ) || out
                .starts_with("<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n")
        );
    }
}
