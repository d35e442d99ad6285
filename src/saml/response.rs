//! Emitting signed `samlp:Response` messages (SAML Core 3.3.3, 2.3-2.7).
//!
//! The response is written in exclusive canonical form by
//! [`CanonicalWriter`], so the signed bytes are the sent bytes. The assertion
//! is written and signed first, on its own; the response is written around
//! it and, when asked, signed over everything except its own signature.

use time::OffsetDateTime;

use super::ids::new_id;
use super::signing::{enveloped_signature, SigningKey};
use super::xml_writer::{CanonicalWriter, Ns};
use super::{status, time as saml_time, CM_BEARER};

pub use super::xml_writer::EmitError;

/// One `saml:Attribute` of the `AttributeStatement` (SAML Core 2.7.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    /// One of the `ATTRNAME_FORMAT_*` constants.
    pub name_format: &'static str,
    pub friendly_name: Option<String>,
    /// Emitted as one `saml:AttributeValue` each; an attribute without
    /// values is left out.
    pub values: Vec<String>,
}

/// What the assertion says about the signed-in user, and for whom.
#[derive(Debug, Clone)]
pub struct AssertionContent<'a> {
    pub issuer: &'a str,
    /// The ACS URL: `Response@Destination` and `SubjectConfirmationData@Recipient`.
    pub destination: &'a str,
    /// The `AuthnRequest`'s ID; `None` for IdP-initiated sign-in, and then no
    /// `InResponseTo` attribute is written anywhere.
    pub in_response_to: Option<&'a str>,
    /// `None`: no `AudienceRestriction` (`Conditions` is still written).
    pub audience: Option<&'a str>,
    pub name_id: &'a str,
    pub name_id_format: &'a str,
    pub sp_name_qualifier: Option<&'a str>,
    pub issue_instant: OffsetDateTime,
    pub not_before: OffsetDateTime,
    pub not_on_or_after: OffsetDateTime,
    pub authn_instant: OffsetDateTime,
    pub session_index: &'a str,
    pub session_not_on_or_after: OffsetDateTime,
    pub authn_context_class_ref: &'a str,
    /// Attributes with no values are omitted; if none remain there is no
    /// `AttributeStatement`, since an empty one fails the schema.
    pub attributes: &'a [Attribute],
}

/// Which elements to sign. At least one must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signing {
    pub sign_assertion: bool,
    pub sign_response: bool,
}

/// A finished response, ready for the POST binding.
#[derive(Debug, Clone)]
pub struct BuiltResponse {
    pub xml: String,
    pub response_id: String,
    /// Empty for a status-only response, which carries no assertion.
    pub assertion_id: String,
}

/// Builds a successful response carrying one signed assertion.
///
/// Layout per SAML Core 3.3.3 and 2.3.3, as the Web Browser SSO profile
/// (SAML Profiles 4.1.4.2) requires: one assertion with a bearer
/// `SubjectConfirmation` whose data carries `Recipient`, `NotOnOrAfter` and
/// `InResponseTo` but no `NotBefore` (Core 2.4.1.2), an `AudienceRestriction`
/// and one `AuthnStatement`. Each signature is placed right after its
/// element's `Issuer`, as the schema requires.
pub fn build_response(
    content: &AssertionContent,
    signing: Signing,
    key: &SigningKey,
) -> Result<BuiltResponse, EmitError> {
    if !signing.sign_assertion && !signing.sign_response {
        return Err(EmitError::Unsigned);
    }
    let response_id = new_id();
    let assertion_id = new_id();

    let assertion = write_assertion(content, &assertion_id, signing.sign_assertion, key)?;

    let issue_instant = saml_time::format(content.issue_instant);
    let mut w = CanonicalWriter::with_capacity(assertion.as_str().len() + 4096);
    let mut attrs = Vec::with_capacity(5);
    attrs.push(("Destination", content.destination));
    attrs.push(("ID", &response_id));
    if let Some(request_id) = content.in_response_to {
        attrs.push(("InResponseTo", request_id));
    }
    attrs.push(("IssueInstant", &issue_instant));
    attrs.push(("Version", "2.0"));
    w.start(Ns::Samlp, "Response", &attrs)?;
    w.element_with_text(Ns::Saml, "Issuer", &[], content.issuer)?;
    let signature_at = w.offset();
    w.start(Ns::Samlp, "Status", &[])?;
    w.empty_element(Ns::Samlp, "StatusCode", &[("Value", status::SUCCESS)])?;
    w.end(Ns::Samlp, "Status");
    w.append_subtree(assertion);
    w.end(Ns::Samlp, "Response");

    if signing.sign_response {
        sign_at(&mut w, signature_at, &response_id, key)?;
    }
    Ok(BuiltResponse {
        xml: w.finish(),
        response_id,
        assertion_id,
    })
}

/// Builds a signed response that reports a failure and carries no assertion
/// (SAML Core 3.2.2.1-3.2.2.3), e.g. `Responder` with sub-status `NoPassive`.
#[allow(clippy::too_many_arguments)]
pub fn build_status_response(
    issuer: &str,
    destination: &str,
    in_response_to: Option<&str>,
    issue_instant: OffsetDateTime,
    status: &str,
    sub_status: Option<&str>,
    message: Option<&str>,
    key: &SigningKey,
) -> Result<BuiltResponse, EmitError> {
    let response_id = new_id();
    let issue_instant = saml_time::format(issue_instant);

    let mut w = CanonicalWriter::new();
    let mut attrs = Vec::with_capacity(5);
    attrs.push(("Destination", destination));
    attrs.push(("ID", &response_id));
    if let Some(request_id) = in_response_to {
        attrs.push(("InResponseTo", request_id));
    }
    attrs.push(("IssueInstant", &issue_instant));
    attrs.push(("Version", "2.0"));
    w.start(Ns::Samlp, "Response", &attrs)?;
    w.element_with_text(Ns::Saml, "Issuer", &[], issuer)?;
    let signature_at = w.offset();
    w.start(Ns::Samlp, "Status", &[])?;
    w.start(Ns::Samlp, "StatusCode", &[("Value", status)])?;
    if let Some(sub_status) = sub_status {
        w.empty_element(Ns::Samlp, "StatusCode", &[("Value", sub_status)])?;
    }
    w.end(Ns::Samlp, "StatusCode");
    if let Some(message) = message {
        w.element_with_text(Ns::Samlp, "StatusMessage", &[], message)?;
    }
    w.end(Ns::Samlp, "Status");
    w.end(Ns::Samlp, "Response");

    sign_at(&mut w, signature_at, &response_id, key)?;
    Ok(BuiltResponse {
        xml: w.finish(),
        response_id,
        assertion_id: String::new(),
    })
}

/// Writes the assertion as a standalone canonical subtree, signed if asked.
fn write_assertion(
    c: &AssertionContent,
    assertion_id: &str,
    sign: bool,
    key: &SigningKey,
) -> Result<CanonicalWriter, EmitError> {
    let issue_instant = saml_time::format(c.issue_instant);
    let not_before = saml_time::format(c.not_before);
    let not_on_or_after = saml_time::format(c.not_on_or_after);
    let authn_instant = saml_time::format(c.authn_instant);
    let session_not_on_or_after = saml_time::format(c.session_not_on_or_after);

    let mut w = CanonicalWriter::with_capacity(4096);
    w.start(
        Ns::Saml,
        "Assertion",
        &[
            ("ID", assertion_id),
            ("IssueInstant", &issue_instant),
            ("Version", "2.0"),
        ],
    )?;
    w.element_with_text(Ns::Saml, "Issuer", &[], c.issuer)?;
    let signature_at = w.offset();

    w.start(Ns::Saml, "Subject", &[])?;
    let mut name_id_attrs = vec![("Format", c.name_id_format)];
    if let Some(qualifier) = c.sp_name_qualifier {
        name_id_attrs.push(("SPNameQualifier", qualifier));
    }
    w.element_with_text(Ns::Saml, "NameID", &name_id_attrs, c.name_id)?;
    w.start(Ns::Saml, "SubjectConfirmation", &[("Method", CM_BEARER)])?;
    let mut data_attrs = Vec::with_capacity(3);
    if let Some(request_id) = c.in_response_to {
        data_attrs.push(("InResponseTo", request_id));
    }
    data_attrs.push(("NotOnOrAfter", &not_on_or_after));
    data_attrs.push(("Recipient", c.destination));
    w.empty_element(Ns::Saml, "SubjectConfirmationData", &data_attrs)?;
    w.end(Ns::Saml, "SubjectConfirmation");
    w.end(Ns::Saml, "Subject");

    w.start(
        Ns::Saml,
        "Conditions",
        &[
            ("NotBefore", &not_before),
            ("NotOnOrAfter", &not_on_or_after),
        ],
    )?;
    if let Some(audience) = c.audience {
        w.start(Ns::Saml, "AudienceRestriction", &[])?;
        w.element_with_text(Ns::Saml, "Audience", &[], audience)?;
        w.end(Ns::Saml, "AudienceRestriction");
    }
    w.end(Ns::Saml, "Conditions");

    w.start(
        Ns::Saml,
        "AuthnStatement",
        &[
            ("AuthnInstant", &authn_instant),
            ("SessionIndex", c.session_index),
            ("SessionNotOnOrAfter", &session_not_on_or_after),
        ],
    )?;
    w.start(Ns::Saml, "AuthnContext", &[])?;
    w.element_with_text(
        Ns::Saml,
        "AuthnContextClassRef",
        &[],
        c.authn_context_class_ref,
    )?;
    w.end(Ns::Saml, "AuthnContext");
    w.end(Ns::Saml, "AuthnStatement");

    write_attribute_statement(&mut w, c.attributes)?;
    w.end(Ns::Saml, "Assertion");

    if sign {
        sign_at(&mut w, signature_at, assertion_id, key)?;
    }
    Ok(w)
}

/// Writes `AttributeStatement` unless no attribute has a value
/// (SAML Core 2.7.3 requires at least one `Attribute` in it).
fn write_attribute_statement(
    w: &mut CanonicalWriter,
    attributes: &[Attribute],
) -> Result<(), EmitError> {
    let mut with_values = attributes
        .iter()
        .filter(|a| !a.values.is_empty())
        .peekable();
    if with_values.peek().is_none() {
        return Ok(());
    }

    w.start(Ns::Saml, "AttributeStatement", &[])?;
    for attribute in with_values {
        let mut attrs = Vec::with_capacity(3);
        if let Some(friendly) = &attribute.friendly_name {
            attrs.push(("FriendlyName", friendly.as_str()));
        }
        attrs.push(("Name", &attribute.name));
        attrs.push(("NameFormat", attribute.name_format));
        w.start(Ns::Saml, "Attribute", &attrs)?;
        for value in &attribute.values {
            w.element_with_text(Ns::Saml, "AttributeValue", &[], value)?;
        }
        w.end(Ns::Saml, "Attribute");
    }
    w.end(Ns::Saml, "AttributeStatement");
    Ok(())
}

/// Signs the finished element in `w` and inserts the signature at `offset`.
///
/// The writer holds exactly the element's canonical form at this point, so
/// that is what gets digested. Neither `samlp:Response` nor `saml:Assertion`
/// declares `ds`, so the signature's own `xmlns:ds` is canonical where it goes.
fn sign_at(
    w: &mut CanonicalWriter,
    offset: usize,
    id: &str,
    key: &SigningKey,
) -> Result<(), EmitError> {
    let signature = enveloped_signature(key, id, w.as_str())?;
    w.insert_fragment(offset, &signature, Ns::Ds);
    Ok(())
}

#[cfg(test)]
mod tests {
    use quick_xml::events::Event;
    use quick_xml::Reader;

    use super::*;
    use crate::saml::signing::test_support::{ec_key, rsa_key, verify_enveloped};
    use crate::saml::{
        name_id_formats, AC_PASSWORD_PROTECTED_TRANSPORT, ATTRNAME_FORMAT_BASIC,
        ATTRNAME_FORMAT_URI,
    };

    const HOSTILE: &[&str] = &[
        r#"</saml:AttributeValue><saml:Attribute Name="admin">"#,
        "victim&x;@example.com",
        "<!-- -->",
        "]]>",
        r#"say "hi" & 'bye'"#,
        "tab\tline\nreturn\r end",
        "&amp; &#x41; &lt;",
    ];

    fn attribute(name: &str, values: &[&str]) -> Attribute {
        Attribute {
            name: name.to_owned(),
            name_format: ATTRNAME_FORMAT_BASIC,
            friendly_name: None,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn content(attributes: &[Attribute]) -> AssertionContent<'_> {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        AssertionContent {
            issuer: "https://idp.example.com",
            destination: "https://auth.openai.com/sso/saml/acs/conn_1?x=1&y=2",
            in_response_to: Some("_request1"),
            audience: Some("https://auth.openai.com/sso/saml/aud"),
            name_id: "alice@example.com",
            name_id_format: name_id_formats::EMAIL,
            sp_name_qualifier: None,
            issue_instant: now,
            not_before: now - time::Duration::minutes(5),
            not_on_or_after: now + time::Duration::minutes(5),
            authn_instant: now,
            session_index: "_session1",
            session_not_on_or_after: now + time::Duration::hours(8),
            authn_context_class_ref: AC_PASSWORD_PROTECTED_TRANSPORT,
            attributes,
        }
    }

    const ASSERTION_ONLY: Signing = Signing {
        sign_assertion: true,
        sign_response: false,
    };
    const BOTH: Signing = Signing {
        sign_assertion: true,
        sign_response: true,
    };

    /// An element as a parser sees it: name, unescaped attributes, text.
    #[derive(Debug)]
    struct Node {
        name: String,
        attrs: Vec<(String, String)>,
        text: String,
    }

    impl Node {
        fn attr(&self, name: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }
    }

    /// Parses `xml` with quick-xml into elements in document order.
    fn parse(xml: &str) -> Vec<Node> {
        let mut reader = Reader::from_str(xml);
        let mut nodes: Vec<Node> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        loop {
            match reader.read_event().expect("well-formed output") {
                Event::Start(e) => {
                    let attrs = e
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                            (key, a.unescape_value().unwrap().into_owned())
                        })
                        .collect();
                    stack.push(nodes.len());
                    nodes.push(Node {
                        name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                        attrs,
                        text: String::new(),
                    });
                }
                Event::End(_) => {
                    stack.pop();
                }
                Event::Text(t) => {
                    nodes[*stack.last().unwrap()]
                        .text
                        .push_str(&t.decode().unwrap());
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref().unwrap() {
                        Some(c) => c.to_string(),
                        None => {
                            let name = r.decode().unwrap();
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .unwrap_or_else(|| panic!("undeclared entity &{name};"))
                                .to_owned()
                        }
                    };
                    nodes[*stack.last().unwrap()].text.push_str(&resolved);
                }
                Event::Eof => return nodes,
                other => panic!("unexpected event in canonical output: {other:?}"),
            }
        }
    }

    fn named<'n>(nodes: &'n [Node], name: &str) -> Vec<&'n Node> {
        nodes.iter().filter(|n| n.name == name).collect()
    }

    fn assertion_of(xml: &str) -> &str {
        let start = xml.find("<saml:Assertion ").unwrap();
        let end = xml.rfind("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        &xml[start..end]
    }

    #[test]
    fn markup_and_entities_in_every_value_come_back_exactly() {
        for hostile in HOSTILE {
            let attrs = [Attribute {
                name: hostile.to_string(),
                name_format: ATTRNAME_FORMAT_URI,
                friendly_name: Some(hostile.to_string()),
                values: vec![hostile.to_string(), "plain".to_owned()],
            }];
            let c = AssertionContent {
                issuer: hostile,
                destination: hostile,
                in_response_to: Some(hostile),
                audience: Some(hostile),
                name_id: hostile,
                name_id_format: hostile,
                sp_name_qualifier: Some(hostile),
                session_index: hostile,
                authn_context_class_ref: hostile,
                ..content(&attrs)
            };
            let built = build_response(&c, BOTH, rsa_key()).unwrap();
            let nodes = parse(&built.xml);

            for issuer in named(&nodes, "saml:Issuer") {
                assert_eq!(issuer.text, *hostile);
            }
            for element in ["saml:Audience", "saml:NameID", "saml:AuthnContextClassRef"] {
                assert_eq!(named(&nodes, element)[0].text, *hostile, "{element}");
            }
            let values: Vec<&str> = named(&nodes, "saml:AttributeValue")
                .iter()
                .map(|n| n.text.as_str())
                .collect();
            assert_eq!(values, [*hostile, "plain"]);

            let response = &named(&nodes, "samlp:Response")[0];
            assert_eq!(response.attr("Destination"), Some(*hostile));
            assert_eq!(response.attr("InResponseTo"), Some(*hostile));
            let data = &named(&nodes, "saml:SubjectConfirmationData")[0];
            assert_eq!(data.attr("Recipient"), Some(*hostile));
            assert_eq!(data.attr("InResponseTo"), Some(*hostile));
            let name_id = &named(&nodes, "saml:NameID")[0];
            assert_eq!(name_id.attr("Format"), Some(*hostile));
            assert_eq!(name_id.attr("SPNameQualifier"), Some(*hostile));
            let statement = &named(&nodes, "saml:AuthnStatement")[0];
            assert_eq!(statement.attr("SessionIndex"), Some(*hostile));
            let attribute = named(&nodes, "saml:Attribute");
            assert_eq!(attribute.len(), 1, "markup must not add an attribute");
            assert_eq!(attribute[0].attr("Name"), Some(*hostile));
            assert_eq!(attribute[0].attr("FriendlyName"), Some(*hostile));

            assert!(verify_enveloped(&built.xml, rsa_key().certificate()).is_ok());
            assert!(verify_enveloped(assertion_of(&built.xml), rsa_key().certificate()).is_ok());
        }
    }

    #[test]
    fn attribute_values_carry_no_literal_whitespace_a_parser_would_normalize() {
        let c = AssertionContent {
            destination: "a\tb\nc\rd",
            ..content(&[])
        };
        let xml = build_response(&c, ASSERTION_ONLY, rsa_key()).unwrap().xml;
        assert!(xml.contains(r#"Destination="a&#x9;b&#xA;c&#xD;d""#));
        assert!(!xml.contains(['\t', '\n', '\r']));
    }

    #[test]
    fn control_characters_are_refused_naming_the_field() {
        let attrs = [attribute("email", &["a\u{0}b"])];
        let err = build_response(&content(&attrs), ASSERTION_ONLY, rsa_key()).unwrap_err();
        assert!(matches!(
            err,
            EmitError::InvalidCharacter {
                field: "AttributeValue",
                ch: '\u{0}',
                index: 1
            }
        ));

        let c = AssertionContent {
            name_id: "bob\u{1B}@example.com",
            ..content(&[])
        };
        let err = build_response(&c, ASSERTION_ONLY, rsa_key()).unwrap_err();
        assert!(matches!(
            err,
            EmitError::InvalidCharacter {
                field: "NameID",
                ..
            }
        ));

        let c = AssertionContent {
            in_response_to: Some("_id\u{FFFE}"),
            ..content(&[])
        };
        let err = build_response(&c, ASSERTION_ONLY, rsa_key()).unwrap_err();
        assert!(matches!(
            err,
            EmitError::InvalidCharacter {
                field: "InResponseTo",
                ..
            }
        ));
    }

    #[test]
    fn attributes_without_values_are_omitted() {
        let attrs = [
            attribute("email", &["alice@example.com"]),
            attribute("firstName", &[]),
            attribute("groups", &["a", "b"]),
        ];
        let nodes = parse(
            &build_response(&content(&attrs), ASSERTION_ONLY, rsa_key())
                .unwrap()
                .xml,
        );
        let names: Vec<_> = named(&nodes, "saml:Attribute")
            .iter()
            .map(|n| n.attr("Name").unwrap())
            .collect();
        assert_eq!(names, ["email", "groups"]);
        assert_eq!(named(&nodes, "saml:AttributeValue").len(), 3);
    }

    #[test]
    fn no_attribute_statement_when_no_attribute_has_values() {
        for attrs in [
            vec![],
            vec![attribute("firstName", &[]), attribute("lastName", &[])],
        ] {
            let xml = build_response(&content(&attrs), ASSERTION_ONLY, rsa_key())
                .unwrap()
                .xml;
            assert!(!xml.contains("AttributeStatement"), "{xml}");
        }
    }

    #[test]
    fn idp_initiated_response_has_no_in_response_to() {
        let c = AssertionContent {
            in_response_to: None,
            ..content(&[])
        };
        let xml = build_response(&c, BOTH, rsa_key()).unwrap().xml;
        assert!(!xml.contains("InResponseTo"));
        assert!(verify_enveloped(&xml, rsa_key().certificate()).is_ok());
    }

    #[test]
    fn in_response_to_goes_on_response_and_subject_confirmation_data() {
        let nodes = parse(
            &build_response(&content(&[]), ASSERTION_ONLY, rsa_key())
                .unwrap()
                .xml,
        );
        let carrying: Vec<_> = nodes
            .iter()
            .filter(|n| n.attr("InResponseTo") == Some("_request1"))
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(carrying, ["samlp:Response", "saml:SubjectConfirmationData"]);
    }

    #[test]
    fn response_has_exactly_one_assertion_and_one_name_id() {
        let attrs = [attribute("email", &["alice@example.com"])];
        for signing in [ASSERTION_ONLY, BOTH] {
            let built = build_response(&content(&attrs), signing, rsa_key()).unwrap();
            let nodes = parse(&built.xml);
            assert_eq!(named(&nodes, "saml:Assertion").len(), 1);
            assert_eq!(named(&nodes, "saml:NameID").len(), 1);
            assert_eq!(named(&nodes, "saml:AuthnStatement").len(), 1);
            assert_eq!(
                named(&nodes, "saml:Assertion")[0].attr("ID"),
                Some(built.assertion_id.as_str())
            );
            assert_eq!(
                named(&nodes, "samlp:Response")[0].attr("ID"),
                Some(built.response_id.as_str())
            );
            assert_ne!(built.response_id, built.assertion_id);
        }
    }

    #[test]
    fn elements_follow_the_schema_order() {
        let attrs = [attribute("email", &["alice@example.com"])];
        let xml = build_response(&content(&attrs), BOTH, rsa_key())
            .unwrap()
            .xml;
        let nodes = parse(&xml);
        let order: Vec<&str> = nodes
            .iter()
            .map(|n| n.name.as_str())
            .filter(|n| !n.starts_with("ds:") || *n == "ds:Signature")
            .collect();
        assert_eq!(
            order,
            [
                "samlp:Response",
                "saml:Issuer",
                "ds:Signature",
                "samlp:Status",
                "samlp:StatusCode",
                "saml:Assertion",
                "saml:Issuer",
                "ds:Signature",
                "saml:Subject",
                "saml:NameID",
                "saml:SubjectConfirmation",
                "saml:SubjectConfirmationData",
                "saml:Conditions",
                "saml:AudienceRestriction",
                "saml:Audience",
                "saml:AuthnStatement",
                "saml:AuthnContext",
                "saml:AuthnContextClassRef",
                "saml:AttributeStatement",
                "saml:Attribute",
                "saml:AttributeValue",
            ]
        );
        let data = &named(&nodes, "saml:SubjectConfirmationData")[0];
        assert_eq!(data.attr("NotBefore"), None, "bearer data has no NotBefore");
        assert_eq!(data.attr("NotOnOrAfter"), Some("2023-11-14T22:18:20Z"));
        let conditions = &named(&nodes, "saml:Conditions")[0];
        assert_eq!(conditions.attr("NotBefore"), Some("2023-11-14T22:08:20Z"));
        assert_eq!(
            named(&nodes, "saml:SubjectConfirmation")[0].attr("Method"),
            Some(CM_BEARER)
        );
        assert_eq!(
            named(&nodes, "samlp:StatusCode")[0].attr("Value"),
            Some(status::SUCCESS)
        );
    }

    #[test]
    fn output_uses_canonical_syntax() {
        let attrs = [attribute("email", &["alice@example.com"])];
        let xml = build_response(&content(&attrs), BOTH, rsa_key())
            .unwrap()
            .xml;
        assert!(xml.starts_with(concat!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" "#,
            r#"Destination="#
        )));
        assert!(!xml.contains("/>"), "no self-closing tags");
        assert!(!xml.contains("<?xml"), "no declaration");
        assert!(!xml.contains(">\n") && !xml.contains("> <"));
        assert!(xml.contains(concat!(
            r#"<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">"#,
            "https://idp.example.com</saml:Issuer>"
        )));
        assert!(xml.contains(
            r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID=""#
        ));
        assert_eq!(xml.matches("xmlns:ds=").count(), 2, "once per Signature");
        assert_eq!(xml.matches("xmlns:samlp=").count(), 1);
    }

    #[test]
    fn no_audience_restriction_when_audience_is_none() {
        let c = AssertionContent {
            audience: None,
            ..content(&[])
        };
        let xml = build_response(&c, ASSERTION_ONLY, rsa_key()).unwrap().xml;
        assert!(!xml.contains("AudienceRestriction"));
        assert!(xml.contains("<saml:Conditions NotBefore="));
    }

    #[test]
    fn refuses_to_emit_an_unsigned_assertion() {
        let none = Signing {
            sign_assertion: false,
            sign_response: false,
        };
        assert!(matches!(
            build_response(&content(&[]), none, rsa_key()),
            Err(EmitError::Unsigned)
        ));
    }

    #[test]
    fn assertion_signature_verifies_with_rsa_and_ec_with_and_without_response_signature() {
        let attrs = [attribute("email", &["alice@example.com"])];
        for key in [rsa_key(), ec_key()] {
            for signing in [ASSERTION_ONLY, BOTH] {
                let built = build_response(&content(&attrs), signing, key).unwrap();
                let assertion = assertion_of(&built.xml);
                let verified = verify_enveloped(assertion, key.certificate()).unwrap();
                assert_eq!(verified.reference_uri, format!("#{}", built.assertion_id));
                assert_eq!(verified.certificate_base64, key.certificate_base64());

                let issuer_end = assertion.find("</saml:Issuer>").unwrap();
                assert!(assertion[issuer_end..].starts_with("</saml:Issuer><ds:Signature "));
                let signatures = built.xml.matches("<ds:Signature ").count();
                assert_eq!(signatures, if signing.sign_response { 2 } else { 1 });
            }
        }
    }

    #[test]
    fn response_signature_verifies_with_rsa_and_ec_and_alone() {
        let response_only = Signing {
            sign_assertion: false,
            sign_response: true,
        };
        for key in [rsa_key(), ec_key()] {
            for signing in [BOTH, response_only] {
                let built = build_response(&content(&[]), signing, key).unwrap();
                let verified = verify_enveloped(&built.xml, key.certificate()).unwrap();
                assert_eq!(verified.reference_uri, format!("#{}", built.response_id));
                let issuer_end = built.xml.find("</saml:Issuer>").unwrap();
                assert!(built.xml[issuer_end..].starts_with("</saml:Issuer><ds:Signature "));
            }
        }
    }

    #[test]
    fn response_digest_covers_the_signed_assertion() {
        let built = build_response(&content(&[]), BOTH, rsa_key()).unwrap();
        let cert = rsa_key().certificate();
        assert!(verify_enveloped(&built.xml, cert).is_ok());

        let swapped_name = built
            .xml
            .replace(">alice@example.com<", ">mallory@example.com<");
        assert!(verify_enveloped(&swapped_name, cert).is_err());

        let assertion = assertion_of(&built.xml);
        let sig_value_at = assertion.find("<ds:SignatureValue>").unwrap() + 19;
        let mut tampered_sig = assertion.to_owned();
        let flipped = if &tampered_sig[sig_value_at..=sig_value_at] == "A" {
            "B"
        } else {
            "A"
        };
        tampered_sig.replace_range(sig_value_at..=sig_value_at, flipped);
        let tampered = built.xml.replace(assertion, &tampered_sig);
        assert!(
            verify_enveloped(&tampered, cert).is_err(),
            "assertion signature is covered"
        );
    }

    #[test]
    fn status_response_is_signed_and_has_no_assertion() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let built = build_status_response(
            "https://idp.example.com",
            "https://sp.example.com/acs",
            Some("_req"),
            now,
            status::RESPONDER,
            Some(status::NO_PASSIVE),
            Some("<b>no session</b> & no prompt"),
            ec_key(),
        )
        .unwrap();
        assert!(!built.xml.contains("Assertion"));
        let verified = verify_enveloped(&built.xml, ec_key().certificate()).unwrap();
        assert_eq!(verified.reference_uri, format!("#{}", built.response_id));

        let nodes = parse(&built.xml);
        let codes: Vec<_> = named(&nodes, "samlp:StatusCode")
            .iter()
            .map(|n| n.attr("Value").unwrap())
            .collect();
        assert_eq!(codes, [status::RESPONDER, status::NO_PASSIVE]);
        assert_eq!(
            named(&nodes, "samlp:StatusMessage")[0].text,
            "<b>no session</b> & no prompt"
        );
        assert_eq!(
            named(&nodes, "samlp:Response")[0].attr("InResponseTo"),
            Some("_req")
        );
    }

    #[test]
    fn status_response_without_sub_status_or_request() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let built = build_status_response(
            "idp",
            "https://sp.example.com/acs",
            None,
            now,
            status::REQUESTER,
            None,
            None,
            rsa_key(),
        )
        .unwrap();
        assert!(!built.xml.contains("InResponseTo"));
        assert!(!built.xml.contains("StatusMessage"));
        assert_eq!(built.xml.matches("<samlp:StatusCode ").count(), 1);
        assert!(verify_enveloped(&built.xml, rsa_key().certificate()).is_ok());
    }
}
