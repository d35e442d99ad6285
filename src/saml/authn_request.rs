//! Requests a service provider sends to the IdP: `<samlp:AuthnRequest>`
//! (SAML Core 3.4.1), `<samlp:LogoutRequest>` (Core 3.7.1) and the
//! `<samlp:LogoutResponse>` answering one of ours (Core 3.7.2).
//!
//! Parsing is strict: the root must be the expected element, children must
//! come in schema order and at most as often as the schema allows, unknown
//! elements are refused, and features the IdP does not implement are refused
//! with [`RequestError::Unsupported`] rather than ignored. Signatures are not
//! checked here; the parsed root element is returned so the caller can verify
//! an enveloped signature on exactly what was parsed.

use time::OffsetDateTime;

use super::ids::RequestId;
use super::xml_reader::{self, Element, XmlError};
use super::{NS_ASSERTION, NS_DSIG, NS_PROTOCOL};

/// `urn:oasis:names:tc:SAML:2.0:nameid-format:entity` (Core 8.3.6), the only
/// Issuer format SAML Core 2.2.5 allows besides leaving it out.
const NAMEID_FORMAT_ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("expected root element {expected}, found {found}")]
    WrongRoot {
        expected: &'static str,
        found: String,
    },
    #[error("<{element}> lacks the required attribute {attribute}")]
    MissingAttribute {
        element: &'static str,
        attribute: &'static str,
    },
    #[error("<{parent}> lacks the required element {expected}")]
    MissingElement {
        parent: &'static str,
        expected: &'static str,
    },
    #[error("ID {found:?} is not a valid XML ID")]
    InvalidId { found: String },
    #[error("Version is {found:?}, expected 2.0")]
    UnsupportedVersion { found: String },
    #[error("{attribute} is {found:?}, expected an xs:dateTime with a time zone")]
    InvalidInstant {
        attribute: &'static str,
        found: String,
    },
    #[error("{attribute} is {found:?}, expected true, false, 1 or 0")]
    InvalidBoolean {
        attribute: &'static str,
        found: String,
    },
    #[error("AssertionConsumerServiceIndex is {found:?}, expected an integer 0-65535")]
    InvalidIndex { found: String },
    #[error("AssertionConsumerServiceURL and AssertionConsumerServiceIndex are both present")]
    AcsUrlAndIndex,
    #[error("<{parent}> may not contain {found} here")]
    UnexpectedElement { parent: String, found: String },
    #[error("<{element}> contains text where only elements are allowed")]
    UnexpectedText { element: String },
    #[error("<{element}> is empty")]
    EmptyValue { element: &'static str },
    #[error("Issuer Format is {found:?}, expected {expected:?}")]
    IssuerFormat {
        expected: &'static str,
        found: String,
    },
    #[error("Comparison is {found:?}, expected exact, minimum, maximum or better")]
    InvalidComparison { found: String },
    #[error("{0} is not supported")]
    Unsupported(&'static str),
}

/// `<samlp:NameIDPolicy>` (Core 3.4.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameIdPolicy {
    pub format: Option<String>,
    pub allow_create: Option<bool>,
    pub sp_name_qualifier: Option<String>,
}

/// `<samlp:RequestedAuthnContext>` (Core 3.3.2.2.1), class references only.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequestedAuthnContext {
    /// `exact` (the default), `minimum`, `maximum` or `better`.
    pub comparison: String,
    pub class_refs: Vec<String>,
}

/// An `<samlp:AuthnRequest>` (Core 3.4.1), not yet checked against any policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    pub id: RequestId,
    pub issue_instant: OffsetDateTime,
    /// Exactly as sent: the caller compares bytes.
    pub destination: Option<String>,
    /// Exactly as sent: the caller compares bytes.
    pub acs_url: Option<String>,
    pub acs_index: Option<u16>,
    pub protocol_binding: Option<String>,
    pub force_authn: bool,
    pub is_passive: bool,
    /// The Issuer's text with surrounding XML whitespace removed.
    pub issuer: Option<String>,
    pub name_id_policy: Option<NameIdPolicy>,
    pub requested_authn_context: Option<RequestedAuthnContext>,
    /// Whether a `ds:Signature` is a direct child of the root. One inside
    /// `<samlp:Extensions>` or anywhere else is never counted.
    pub has_signature: bool,
}

/// An AuthnRequest with the element tree it was read from.
#[derive(Debug, Clone)]
pub struct ParsedAuthnRequest {
    pub request: AuthnRequest,
    pub root: Element,
}

/// `<saml:NameID>` (Core 2.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameId {
    pub value: String,
    pub format: Option<String>,
    pub sp_name_qualifier: Option<String>,
    pub name_qualifier: Option<String>,
}

/// A `<samlp:LogoutRequest>` (Core 3.7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    pub id: RequestId,
    pub issue_instant: OffsetDateTime,
    pub not_on_or_after: Option<OffsetDateTime>,
    pub destination: Option<String>,
    pub reason: Option<String>,
    /// Required by SAML Profiles 4.4.4.1.
    pub issuer: String,
    pub name_id: NameId,
    /// Every `<samlp:SessionIndex>`, in document order.
    pub session_indexes: Vec<String>,
    pub has_signature: bool,
}

/// A LogoutRequest with the element tree it was read from.
#[derive(Debug, Clone)]
pub struct ParsedLogoutRequest {
    pub request: LogoutRequest,
    pub root: Element,
}

/// `<samlp:Status>` (Core 3.2.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The top-level StatusCode Value (Core 3.2.2.2).
    pub code: String,
    /// Values of nested StatusCode elements, outermost first.
    pub sub_codes: Vec<String>,
    pub message: Option<String>,
}

/// A `<samlp:LogoutResponse>` (Core 3.7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutResponse {
    pub id: RequestId,
    pub in_response_to: Option<RequestId>,
    pub issue_instant: OffsetDateTime,
    pub destination: Option<String>,
    /// Required by SAML Profiles 4.4.4.2.
    pub issuer: String,
    pub status: Status,
    pub has_signature: bool,
}

/// A LogoutResponse with the element tree it was read from.
#[derive(Debug, Clone)]
pub struct ParsedLogoutResponse {
    pub response: LogoutResponse,
    pub root: Element,
}

/// A child element the schema allows at some position.
struct Slot {
    ns: &'static str,
    local: &'static str,
    repeatable: bool,
}

const fn slot(ns: &'static str, local: &'static str) -> Slot {
    Slot {
        ns,
        local,
        repeatable: false,
    }
}

/// The element children of `parent`, each tagged with its slot, after
/// checking that they follow the slots' order and appear at most once
/// unless repeatable. Text other than whitespace is refused.
fn ordered_children<'a>(
    parent: &'a Element,
    slots: &[Slot],
) -> Result<Vec<(usize, &'a Element)>, RequestError> {
    if parent.has_significant_text() {
        return Err(RequestError::UnexpectedText {
            element: parent.qname(),
        });
    }
    let mut out = Vec::new();
    let mut last: Option<usize> = None;
    for child in parent.elements() {
        let position = slots
            .iter()
            .position(|s| child.is(s.ns, s.local))
            .filter(|&i| match last {
                None => true,
                Some(l) => i > l || (i == l && slots.get(i).is_some_and(|s| s.repeatable)),
            })
            .ok_or_else(|| RequestError::UnexpectedElement {
                parent: parent.qname(),
                found: child.expanded_name(),
            })?;
        last = Some(position);
        out.push((position, child));
    }
    Ok(out)
}

/// The text of an element that must hold text only.
fn text_of(element: &Element) -> Result<String, RequestError> {
    element.text_only().map_err(|e| match e {
        XmlError::NotTextOnly { element, found } => RequestError::UnexpectedElement {
            parent: element,
            found,
        },
        other => RequestError::Xml(other),
    })
}

/// Text content with surrounding XML whitespace removed, refused if empty.
fn trimmed_text(element: &Element, name: &'static str) -> Result<String, RequestError> {
    let text = text_of(element)?;
    let trimmed = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
    if trimmed.is_empty() {
        return Err(RequestError::EmptyValue { element: name });
    }
    Ok(trimmed.to_owned())
}

/// An `xs:boolean` attribute (XML Schema 2, 3.2.2).
fn boolean(element: &Element, attribute: &'static str) -> Result<Option<bool>, RequestError> {
    match element.attr(attribute) {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(other) => Err(RequestError::InvalidBoolean {
            attribute,
            found: shorten(other),
        }),
    }
}

fn instant(value: &str, attribute: &'static str) -> Result<OffsetDateTime, RequestError> {
    super::time::parse(value).ok_or_else(|| RequestError::InvalidInstant {
        attribute,
        found: shorten(value),
    })
}

/// Peer-supplied text cut to a length fit for an error message.
fn shorten(value: &str) -> String {
    const MAX: usize = 80;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let mut s: String = value.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

/// The attributes every request and response carries (Core 3.2.1, 3.2.2).
struct Header {
    id: RequestId,
    issue_instant: OffsetDateTime,
    destination: Option<String>,
}

fn header(root: &Element, element: &'static str) -> Result<Header, RequestError> {
    let required = |attribute| {
        root.attr(attribute)
            .ok_or(RequestError::MissingAttribute { element, attribute })
    };

    let version = required("Version")?;
    if version != "2.0" {
        return Err(RequestError::UnsupportedVersion {
            found: shorten(version),
        });
    }
    let raw_id = required("ID")?;
    let id = RequestId::parse(raw_id).ok_or_else(|| RequestError::InvalidId {
        found: shorten(raw_id),
    })?;
    let issue_instant = instant(required("IssueInstant")?, "IssueInstant")?;

    Ok(Header {
        id,
        issue_instant,
        destination: root.attr("Destination").map(str::to_owned),
    })
}

fn check_root(
    root: &Element,
    local: &'static str,
    expected: &'static str,
) -> Result<(), RequestError> {
    if !root.is(NS_PROTOCOL, local) {
        return Err(RequestError::WrongRoot {
            expected,
            found: root.expanded_name(),
        });
    }
    Ok(())
}

/// `<saml:Issuer>` of a protocol message (Core 2.2.5, 3.2.1): text only, and
/// if a Format is given it must be the entity format.
fn issuer(element: &Element) -> Result<String, RequestError> {
    if let Some(format) = element.attr("Format") {
        if format != NAMEID_FORMAT_ENTITY {
            return Err(RequestError::IssuerFormat {
                expected: NAMEID_FORMAT_ENTITY,
                found: shorten(format),
            });
        }
    }
    trimmed_text(element, "saml:Issuer")
}

/// `<samlp:NameIDPolicy>` (Core 3.4.1.1): attributes only.
fn name_id_policy(element: &Element) -> Result<NameIdPolicy, RequestError> {
    ordered_children(element, &[])?;
    Ok(NameIdPolicy {
        format: element.attr("Format").map(str::to_owned),
        allow_create: boolean(element, "AllowCreate")?,
        sp_name_qualifier: element.attr("SPNameQualifier").map(str::to_owned),
    })
}

/// `<samlp:RequestedAuthnContext>` (Core 3.3.2.2.1). Declaration references
/// are refused: the IdP only knows authentication context classes.
fn requested_authn_context(element: &Element) -> Result<RequestedAuthnContext, RequestError> {
    let comparison = element.attr("Comparison").unwrap_or("exact");
    if !matches!(comparison, "exact" | "minimum" | "maximum" | "better") {
        return Err(RequestError::InvalidComparison {
            found: shorten(comparison),
        });
    }
    let slots = [
        Slot {
            ns: NS_ASSERTION,
            local: "AuthnContextClassRef",
            repeatable: true,
        },
        slot(NS_ASSERTION, "AuthnContextDeclRef"),
    ];
    let mut class_refs = Vec::new();
    for (position, child) in ordered_children(element, &slots)? {
        if position == 1 {
            return Err(RequestError::Unsupported("AuthnContextDeclRef"));
        }
        class_refs.push(trimmed_text(child, "saml:AuthnContextClassRef")?);
    }
    if class_refs.is_empty() {
        return Err(RequestError::MissingElement {
            parent: "samlp:RequestedAuthnContext",
            expected: "saml:AuthnContextClassRef",
        });
    }
    Ok(RequestedAuthnContext {
        comparison: comparison.to_owned(),
        class_refs,
    })
}

/// `AssertionConsumerServiceIndex`, an `xs:unsignedShort`.
fn acs_index(root: &Element) -> Result<Option<u16>, RequestError> {
    let Some(raw) = root.attr("AssertionConsumerServiceIndex") else {
        return Ok(None);
    };
    let digits_only = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    raw.parse::<u16>()
        .ok()
        .filter(|_| digits_only)
        .map(Some)
        .ok_or_else(|| RequestError::InvalidIndex {
            found: shorten(raw),
        })
}

/// Parses an `<samlp:AuthnRequest>` (SAML Core 3.4.1).
pub fn parse_authn_request(xml: &[u8]) -> Result<ParsedAuthnRequest, RequestError> {
    let root = xml_reader::parse(xml)?;
    check_root(&root, "AuthnRequest", "samlp:AuthnRequest")?;
    let head = header(&root, "samlp:AuthnRequest")?;

    let acs_url = root.attr("AssertionConsumerServiceURL").map(str::to_owned);
    let acs_index = acs_index(&root)?;
    // Core 3.4.1: the two ways of naming the ACS are mutually exclusive.
    if acs_url.is_some() && acs_index.is_some() {
        return Err(RequestError::AcsUrlAndIndex);
    }

    let slots = [
        slot(NS_ASSERTION, "Issuer"),
        slot(NS_DSIG, "Signature"),
        slot(NS_PROTOCOL, "Extensions"),
        slot(NS_ASSERTION, "Subject"),
        slot(NS_PROTOCOL, "NameIDPolicy"),
        slot(NS_ASSERTION, "Conditions"),
        slot(NS_PROTOCOL, "RequestedAuthnContext"),
        slot(NS_PROTOCOL, "Scoping"),
    ];
    let mut request_issuer = None;
    let mut has_signature = false;
    let mut policy = None;
    let mut context = None;
    for (position, child) in ordered_children(&root, &slots)? {
        match position {
            0 => request_issuer = Some(issuer(child)?),
            1 => has_signature = true,
            // Extensions, Conditions and Scoping carry nothing this IdP acts on.
            2 | 5 | 7 => {}
            3 => return Err(RequestError::Unsupported("Subject in an AuthnRequest")),
            4 => policy = Some(name_id_policy(child)?),
            _ => context = Some(requested_authn_context(child)?),
        }
    }

    let request = AuthnRequest {
        id: head.id,
        issue_instant: head.issue_instant,
        destination: head.destination,
        acs_url,
        acs_index,
        protocol_binding: root.attr("ProtocolBinding").map(str::to_owned),
        force_authn: boolean(&root, "ForceAuthn")?.unwrap_or(false),
        is_passive: boolean(&root, "IsPassive")?.unwrap_or(false),
        issuer: request_issuer,
        name_id_policy: policy,
        requested_authn_context: context,
        has_signature,
    };
    Ok(ParsedAuthnRequest { request, root })
}

/// `<saml:NameID>` (Core 2.2.3): text only.
fn name_id(element: &Element) -> Result<NameId, RequestError> {
    Ok(NameId {
        value: trimmed_text(element, "saml:NameID")?,
        format: element.attr("Format").map(str::to_owned),
        sp_name_qualifier: element.attr("SPNameQualifier").map(str::to_owned),
        name_qualifier: element.attr("NameQualifier").map(str::to_owned),
    })
}

/// Parses a `<samlp:LogoutRequest>` (SAML Core 3.7.1).
pub fn parse_logout_request(xml: &[u8]) -> Result<ParsedLogoutRequest, RequestError> {
    let root = xml_reader::parse(xml)?;
    check_root(&root, "LogoutRequest", "samlp:LogoutRequest")?;
    let head = header(&root, "samlp:LogoutRequest")?;
    let not_on_or_after = root
        .attr("NotOnOrAfter")
        .map(|v| instant(v, "NotOnOrAfter"))
        .transpose()?;

    let slots = [
        slot(NS_ASSERTION, "Issuer"),
        slot(NS_DSIG, "Signature"),
        slot(NS_PROTOCOL, "Extensions"),
        slot(NS_ASSERTION, "BaseID"),
        slot(NS_ASSERTION, "NameID"),
        slot(NS_ASSERTION, "EncryptedID"),
        Slot {
            ns: NS_PROTOCOL,
            local: "SessionIndex",
            repeatable: true,
        },
    ];
    let mut request_issuer = None;
    let mut has_signature = false;
    let mut subject = None;
    let mut session_indexes = Vec::new();
    for (position, child) in ordered_children(&root, &slots)? {
        match position {
            0 => request_issuer = Some(issuer(child)?),
            1 => has_signature = true,
            2 => {}
            3 => return Err(RequestError::Unsupported("BaseID in a LogoutRequest")),
            4 => subject = Some(name_id(child)?),
            5 => return Err(RequestError::Unsupported("EncryptedID in a LogoutRequest")),
            _ => session_indexes.push(trimmed_text(child, "samlp:SessionIndex")?),
        }
    }

    let request = LogoutRequest {
        id: head.id,
        issue_instant: head.issue_instant,
        not_on_or_after,
        destination: head.destination,
        reason: root.attr("Reason").map(str::to_owned),
        issuer: request_issuer.ok_or(RequestError::MissingElement {
            parent: "samlp:LogoutRequest",
            expected: "saml:Issuer",
        })?,
        name_id: subject.ok_or(RequestError::MissingElement {
            parent: "samlp:LogoutRequest",
            expected: "saml:NameID",
        })?,
        session_indexes,
        has_signature,
    };
    Ok(ParsedLogoutRequest { request, root })
}

/// `<samlp:StatusCode>` with its nested codes (Core 3.2.2.2), read without recursion.
fn status_code(element: &Element) -> Result<(String, Vec<String>), RequestError> {
    let value_of = |e: &Element| {
        e.attr("Value")
            .map(str::to_owned)
            .ok_or(RequestError::MissingAttribute {
                element: "samlp:StatusCode",
                attribute: "Value",
            })
    };
    let nested = [slot(NS_PROTOCOL, "StatusCode")];
    let code = value_of(element)?;
    let mut sub_codes = Vec::new();
    let mut current = element;
    while let Some((_, child)) = ordered_children(current, &nested)?.into_iter().next() {
        sub_codes.push(value_of(child)?);
        current = child;
    }
    Ok((code, sub_codes))
}

/// `<samlp:Status>` (Core 3.2.2.1). StatusDetail is accepted and ignored.
fn status(element: &Element) -> Result<Status, RequestError> {
    let slots = [
        slot(NS_PROTOCOL, "StatusCode"),
        slot(NS_PROTOCOL, "StatusMessage"),
        slot(NS_PROTOCOL, "StatusDetail"),
    ];
    let mut code = None;
    let mut message = None;
    for (position, child) in ordered_children(element, &slots)? {
        match position {
            0 => code = Some(status_code(child)?),
            1 => message = Some(text_of(child)?),
            _ => {}
        }
    }
    let (code, sub_codes) = code.ok_or(RequestError::MissingElement {
        parent: "samlp:Status",
        expected: "samlp:StatusCode",
    })?;
    Ok(Status {
        code,
        sub_codes,
        message,
    })
}

/// Parses a `<samlp:LogoutResponse>` (SAML Core 3.7.2, a StatusResponseType
/// per Core 3.2.2).
pub fn parse_logout_response(xml: &[u8]) -> Result<ParsedLogoutResponse, RequestError> {
    let root = xml_reader::parse(xml)?;
    check_root(&root, "LogoutResponse", "samlp:LogoutResponse")?;
    let head = header(&root, "samlp:LogoutResponse")?;
    let in_response_to = root
        .attr("InResponseTo")
        .map(|v| RequestId::parse(v).ok_or_else(|| RequestError::InvalidId { found: shorten(v) }))
        .transpose()?;

    let slots = [
        slot(NS_ASSERTION, "Issuer"),
        slot(NS_DSIG, "Signature"),
        slot(NS_PROTOCOL, "Extensions"),
        slot(NS_PROTOCOL, "Status"),
    ];
    let mut response_issuer = None;
    let mut has_signature = false;
    let mut response_status = None;
    for (position, child) in ordered_children(&root, &slots)? {
        match position {
            0 => response_issuer = Some(issuer(child)?),
            1 => has_signature = true,
            2 => {}
            _ => response_status = Some(status(child)?),
        }
    }

    let response = LogoutResponse {
        id: head.id,
        in_response_to,
        issue_instant: head.issue_instant,
        destination: head.destination,
        issuer: response_issuer.ok_or(RequestError::MissingElement {
            parent: "samlp:LogoutResponse",
            expected: "saml:Issuer",
        })?,
        status: response_status.ok_or(RequestError::MissingElement {
            parent: "samlp:LogoutResponse",
            expected: "samlp:Status",
        })?,
        has_signature,
    };
    Ok(ParsedLogoutResponse { response, root })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As python3-saml (OneLogin) builds it: samlp and saml prefixes,
    /// NameIDPolicy and a RequestedAuthnContext, indented.
    const ONELOGIN: &str = r#"<samlp:AuthnRequest
    xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
    xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"
    ID="ONELOGIN_809707f0030a5d00620c9d9df97f627afe9dcc24"
    Version="2.0"
    ProviderName="SP test"
    IssueInstant="2014-07-16T23:52:45Z"
    Destination="https://idp.example.com/application/saml/app/sso/binding/redirect/"
    ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    AssertionConsumerServiceURL="https://sp.example.com/demo1/index.php?acs">
    <saml:Issuer>https://sp.example.com/demo1/metadata.php</saml:Issuer>
    <samlp:NameIDPolicy
        Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
        AllowCreate="true" />
    <samlp:RequestedAuthnContext Comparison="exact">
        <saml:AuthnContextClassRef>
            urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport
        </saml:AuthnContextClassRef>
    </samlp:RequestedAuthnContext>
</samlp:AuthnRequest>"#;

    /// In the style WorkOS sends for ChatGPT: one line, fractional seconds,
    /// an ACS URL carrying a query string, numeric booleans.
    const WORKOS: &str = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" "#,
        r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" "#,
        r#"ID="_6f9b7c0e-3c1d-4a8e-9d2b-5e4f3a2b1c0d" Version="2.0" "#,
        r#"IssueInstant="2025-05-01T12:00:00.123Z" "#,
        r#"Destination="https://idp.example.com/application/saml/chatgpt/sso/binding/redirect/" "#,
        r#"AssertionConsumerServiceURL="https://auth.workos.com/sso/saml/acs/"#,
        r#"conn_01HX?tenant=a&amp;x=%2F" "#,
        r#"ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" "#,
        r#"ForceAuthn="1" IsPassive="0">"#,
        r#"<saml:Issuer>https://auth.workos.com/AbC123</saml:Issuer>"#,
        r#"<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" "#,
        r#"AllowCreate="0" SPNameQualifier="https://auth.workos.com/AbC123"/>"#,
        r#"</samlp:AuthnRequest>"#
    );

    /// With the protocol namespace as default namespace, as Shibboleth-style SPs write it.
    const DEFAULT_NS: &str = r#"<AuthnRequest xmlns="urn:oasis:names:tc:SAML:2.0:protocol"
 ID="id-1a2b3c" Version="2.0" IssueInstant="2024-03-01T10:00:00+00:00"
 AssertionConsumerServiceIndex="2">
  <Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion"
    Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">
      https://sp.example.org/shibboleth
  </Issuer>
  <NameIDPolicy AllowCreate="1"/>
</AuthnRequest>"#;

    fn authn(attrs: &str, body: &str) -> String {
        format!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
                xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"
                xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
                {attrs}>{body}</samlp:AuthnRequest>"#
        )
    }

    fn ok_attrs() -> &'static str {
        r#"ID="_abc" Version="2.0" IssueInstant="2024-01-01T00:00:00Z""#
    }

    fn refused(xml: &str) -> RequestError {
        parse_authn_request(xml.as_bytes()).expect_err("request should be refused")
    }

    #[test]
    fn parses_onelogin_style_request() {
        let r = parse_authn_request(ONELOGIN.as_bytes()).unwrap().request;
        assert_eq!(
            r.id.as_str(),
            "ONELOGIN_809707f0030a5d00620c9d9df97f627afe9dcc24"
        );
        assert_eq!(r.issue_instant.unix_timestamp(), 1_405_554_765);
        assert_eq!(
            r.acs_url.as_deref(),
            Some("https://sp.example.com/demo1/index.php?acs")
        );
        assert_eq!(
            r.issuer.as_deref(),
            Some("https://sp.example.com/demo1/metadata.php")
        );
        assert_eq!(
            r.protocol_binding.as_deref(),
            Some(crate::saml::bindings::HTTP_POST)
        );
        let policy = r.name_id_policy.unwrap();
        assert_eq!(
            policy.format.as_deref(),
            Some(crate::saml::name_id_formats::EMAIL)
        );
        assert_eq!(policy.allow_create, Some(true));
        let ctx = r.requested_authn_context.unwrap();
        assert_eq!(ctx.comparison, "exact");
        assert_eq!(
            ctx.class_refs,
            [crate::saml::AC_PASSWORD_PROTECTED_TRANSPORT]
        );
        assert!(!r.force_authn && !r.is_passive && !r.has_signature);
    }

    #[test]
    fn parses_workos_style_request_keeping_acs_query_string() {
        let r = parse_authn_request(WORKOS.as_bytes()).unwrap().request;
        assert_eq!(
            r.acs_url.as_deref(),
            Some("https://auth.workos.com/sso/saml/acs/conn_01HX?tenant=a&x=%2F")
        );
        assert_eq!(
            r.destination.as_deref(),
            Some("https://idp.example.com/application/saml/chatgpt/sso/binding/redirect/")
        );
        assert!(r.force_authn);
        assert!(!r.is_passive);
        let policy = r.name_id_policy.unwrap();
        assert_eq!(policy.allow_create, Some(false));
        assert_eq!(
            policy.sp_name_qualifier.as_deref(),
            Some("https://auth.workos.com/AbC123")
        );
        assert!(r.requested_authn_context.is_none());
    }

    #[test]
    fn parses_request_in_default_namespace() {
        let r = parse_authn_request(DEFAULT_NS.as_bytes()).unwrap().request;
        assert_eq!(r.acs_index, Some(2));
        assert_eq!(r.acs_url, None);
        assert_eq!(
            r.issuer.as_deref(),
            Some("https://sp.example.org/shibboleth")
        );
        assert_eq!(r.name_id_policy.unwrap().format, None);
    }

    #[test]
    fn refuses_logout_request_at_authn_parser() {
        let xml = r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
            ID="_a" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"/>"#;
        let RequestError::WrongRoot { found, .. } = refused(xml) else {
            panic!("expected WrongRoot");
        };
        assert!(found.ends_with("}LogoutRequest"), "{found}");
    }

    #[test]
    fn refuses_authn_request_in_foreign_namespace() {
        let xml = r#"<AuthnRequest xmlns="urn:evil"
            ID="_a" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"/>"#;
        assert!(matches!(refused(xml), RequestError::WrongRoot { .. }));
        let xml = r#"<AuthnRequest ID="_a" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"/>"#;
        assert!(matches!(refused(xml), RequestError::WrongRoot { .. }));
    }

    #[test]
    fn refuses_missing_numeric_or_very_long_id() {
        let missing = authn(r#"Version="2.0" IssueInstant="2024-01-01T00:00:00Z""#, "");
        assert_eq!(
            refused(&missing),
            RequestError::MissingAttribute {
                element: "samlp:AuthnRequest",
                attribute: "ID"
            }
        );
        for id in [
            "123".to_owned(),
            format!("_{}", "a".repeat(300)),
            String::new(),
        ] {
            let xml = authn(
                &format!(r#"ID="{id}" Version="2.0" IssueInstant="2024-01-01T00:00:00Z""#),
                "",
            );
            assert!(
                matches!(refused(&xml), RequestError::InvalidId { .. }),
                "{id}"
            );
        }
    }

    #[test]
    fn refuses_version_other_than_2_0() {
        let xml = authn(
            r#"ID="_a" Version="1.1" IssueInstant="2024-01-01T00:00:00Z""#,
            "",
        );
        assert_eq!(
            refused(&xml),
            RequestError::UnsupportedVersion {
                found: "1.1".into()
            }
        );
        let xml = authn(r#"ID="_a" IssueInstant="2024-01-01T00:00:00Z""#, "");
        assert!(matches!(
            refused(&xml),
            RequestError::MissingAttribute { .. }
        ));
    }

    #[test]
    fn refuses_bad_or_missing_issue_instant() {
        for instant in ["2024-01-01T00:00:00", "yesterday", "2024-13-01T00:00:00Z"] {
            let xml = authn(
                &format!(r#"ID="_a" Version="2.0" IssueInstant="{instant}""#),
                "",
            );
            assert!(
                matches!(refused(&xml), RequestError::InvalidInstant { .. }),
                "{instant}"
            );
        }
        let xml = authn(r#"ID="_a" Version="2.0""#, "");
        assert!(matches!(
            refused(&xml),
            RequestError::MissingAttribute { .. }
        ));
    }

    #[test]
    fn refuses_booleans_outside_xs_boolean() {
        for attr in [
            r#"ForceAuthn="yes""#,
            r#"IsPassive="True""#,
            r#"ForceAuthn=" true""#,
        ] {
            let xml = authn(&format!("{} {attr}", ok_attrs()), "");
            assert!(
                matches!(refused(&xml), RequestError::InvalidBoolean { .. }),
                "{attr}"
            );
        }
        let xml = authn(ok_attrs(), r#"<samlp:NameIDPolicy AllowCreate="on"/>"#);
        assert!(matches!(refused(&xml), RequestError::InvalidBoolean { .. }));
    }

    #[test]
    fn refuses_acs_url_together_with_index() {
        let xml = authn(
            &format!(
                r#"{} AssertionConsumerServiceURL="https://sp/acs"
                    AssertionConsumerServiceIndex="0""#,
                ok_attrs()
            ),
            "",
        );
        assert_eq!(refused(&xml), RequestError::AcsUrlAndIndex);
    }

    #[test]
    fn refuses_acs_index_outside_unsigned_short() {
        for index in ["65536", "-1", "+1", "", "1.0"] {
            let xml = authn(
                &format!(r#"{} AssertionConsumerServiceIndex="{index}""#, ok_attrs()),
                "",
            );
            assert!(
                matches!(refused(&xml), RequestError::InvalidIndex { .. }),
                "{index}"
            );
        }
    }

    #[test]
    fn refuses_comment_in_issuer() {
        let xml = authn(
            ok_attrs(),
            "<saml:Issuer>https://sp<!---->.evil</saml:Issuer>",
        );
        assert_eq!(refused(&xml), RequestError::Xml(XmlError::Comment));
    }

    #[test]
    fn refuses_cdata_in_issuer() {
        let xml = authn(
            ok_attrs(),
            "<saml:Issuer><![CDATA[https://sp]]></saml:Issuer>",
        );
        assert_eq!(refused(&xml), RequestError::Xml(XmlError::CData));
    }

    #[test]
    fn refuses_doctype_and_processing_instructions() {
        let bomb = format!(
            r#"<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>{}"#,
            authn(ok_attrs(), "<saml:Issuer>&b;</saml:Issuer>")
        );
        assert_eq!(refused(&bomb), RequestError::Xml(XmlError::DocType));
        let pi = authn(ok_attrs(), "<?evil x?>");
        assert!(matches!(
            refused(&pi),
            RequestError::Xml(XmlError::ProcessingInstruction { .. })
        ));
    }

    #[test]
    fn refuses_elements_inside_issuer() {
        let xml = authn(ok_attrs(), "<saml:Issuer>https://sp<b/></saml:Issuer>");
        assert!(matches!(
            refused(&xml),
            RequestError::UnexpectedElement { .. }
        ));
    }

    #[test]
    fn refuses_issuer_format_other_than_entity() {
        let xml = authn(
            ok_attrs(),
            &format!(
                r#"<saml:Issuer Format="{}">https://sp</saml:Issuer>"#,
                crate::saml::name_id_formats::EMAIL
            ),
        );
        assert!(matches!(refused(&xml), RequestError::IssuerFormat { .. }));
        let xml = authn(ok_attrs(), "<saml:Issuer>  </saml:Issuer>");
        assert!(matches!(refused(&xml), RequestError::EmptyValue { .. }));
    }

    #[test]
    fn refuses_subject_as_unsupported() {
        let xml = authn(
            ok_attrs(),
            "<saml:Subject><saml:NameID>alice</saml:NameID></saml:Subject>",
        );
        assert!(matches!(refused(&xml), RequestError::Unsupported(_)));
    }

    #[test]
    fn refuses_unknown_repeated_or_misordered_children() {
        for body in [
            "<samlp:Bogus/>",
            "<saml:Issuer>a</saml:Issuer><saml:Issuer>b</saml:Issuer>",
            "<samlp:NameIDPolicy/><saml:Issuer>a</saml:Issuer>",
            "<samlp:Extensions/><ds:Signature/>",
            "<samlp:NameIDPolicy/><samlp:NameIDPolicy/>",
            // Right local name, wrong namespace.
            "<samlp:Issuer>a</samlp:Issuer>",
        ] {
            let xml = authn(ok_attrs(), body);
            assert!(
                matches!(refused(&xml), RequestError::UnexpectedElement { .. }),
                "{body}"
            );
        }
    }

    #[test]
    fn refuses_text_directly_under_root() {
        let xml = authn(ok_attrs(), "<saml:Issuer>a</saml:Issuer>junk");
        assert!(matches!(refused(&xml), RequestError::UnexpectedText { .. }));
    }

    #[test]
    fn counts_only_a_signature_that_is_a_direct_child() {
        let inside = authn(
            ok_attrs(),
            "<saml:Issuer>a</saml:Issuer><samlp:Extensions><ds:Signature/></samlp:Extensions>",
        );
        let r = parse_authn_request(inside.as_bytes()).unwrap();
        assert!(!r.request.has_signature);
        let direct = authn(ok_attrs(), "<saml:Issuer>a</saml:Issuer><ds:Signature/>");
        assert!(
            parse_authn_request(direct.as_bytes())
                .unwrap()
                .request
                .has_signature
        );
    }

    #[test]
    fn refuses_decl_refs_empty_or_bad_comparison_in_authn_context() {
        let decl = authn(
            ok_attrs(),
            "<samlp:RequestedAuthnContext><saml:AuthnContextDeclRef>x</saml:AuthnContextDeclRef>\
             </samlp:RequestedAuthnContext>",
        );
        assert!(matches!(refused(&decl), RequestError::Unsupported(_)));
        let empty = authn(ok_attrs(), "<samlp:RequestedAuthnContext/>");
        assert!(matches!(
            refused(&empty),
            RequestError::MissingElement { .. }
        ));
        let bad = authn(
            ok_attrs(),
            r#"<samlp:RequestedAuthnContext Comparison="most">
                <saml:AuthnContextClassRef>x</saml:AuthnContextClassRef>
            </samlp:RequestedAuthnContext>"#,
        );
        assert!(matches!(
            refused(&bad),
            RequestError::InvalidComparison { .. }
        ));
    }

    #[test]
    fn ignores_conditions_scoping_and_extensions_content() {
        let xml = authn(
            ok_attrs(),
            r#"<samlp:Extensions><x:y xmlns:x="urn:x"/></samlp:Extensions>
            <saml:Conditions/><samlp:Scoping ProxyCount="1"/>"#,
        );
        assert!(parse_authn_request(xml.as_bytes()).is_ok());
    }

    const LOGOUT: &str = r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
    xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"
    ID="ONELOGIN_21df91a89767879fc0f7df6a1490c6000c81644d" Version="2.0"
    IssueInstant="2014-07-18T01:13:06Z" NotOnOrAfter="2014-07-18T01:18:06Z"
    Destination="https://idp.example.com/slo" Reason="urn:oasis:names:tc:SAML:2.0:logout:user">
    <saml:Issuer>https://sp.example.com/metadata</saml:Issuer>
    <saml:NameID SPNameQualifier="https://sp.example.com/metadata"
        Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
        >alice@example.com</saml:NameID>
    <samlp:SessionIndex>_s1</samlp:SessionIndex>
    <samlp:SessionIndex>_s2</samlp:SessionIndex>
</samlp:LogoutRequest>"#;

    fn logout(body: &str) -> String {
        format!(
            r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
                xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"
                xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
                ID="_l" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"
                >{body}</samlp:LogoutRequest>"#
        )
    }

    fn logout_refused(xml: &str) -> RequestError {
        parse_logout_request(xml.as_bytes()).expect_err("logout request should be refused")
    }

    #[test]
    fn parses_logout_request_with_every_session_index() {
        let r = parse_logout_request(LOGOUT.as_bytes()).unwrap().request;
        assert_eq!(
            r.id.as_str(),
            "ONELOGIN_21df91a89767879fc0f7df6a1490c6000c81644d"
        );
        assert_eq!(r.issuer, "https://sp.example.com/metadata");
        assert_eq!(r.name_id.value, "alice@example.com");
        assert_eq!(
            r.name_id.format.as_deref(),
            Some(crate::saml::name_id_formats::EMAIL)
        );
        assert_eq!(
            r.name_id.sp_name_qualifier.as_deref(),
            Some("https://sp.example.com/metadata")
        );
        assert_eq!(r.session_indexes, ["_s1", "_s2"]);
        assert_eq!(r.not_on_or_after.unwrap().unix_timestamp(), 1_405_646_286);
        assert_eq!(
            r.reason.as_deref(),
            Some("urn:oasis:names:tc:SAML:2.0:logout:user")
        );
        assert_eq!(
            r.destination.as_deref(),
            Some("https://idp.example.com/slo")
        );
        assert!(!r.has_signature);
    }

    #[test]
    fn refuses_authn_request_at_logout_parser() {
        let RequestError::WrongRoot { found, .. } = logout_refused(ONELOGIN) else {
            panic!("expected WrongRoot");
        };
        assert!(found.ends_with("}AuthnRequest"), "{found}");
        assert!(matches!(
            parse_logout_response(LOGOUT.as_bytes()),
            Err(RequestError::WrongRoot { .. })
        ));
    }

    #[test]
    fn refuses_logout_request_without_issuer_or_name_id() {
        let xml = logout("<saml:NameID>a</saml:NameID>");
        assert!(matches!(
            logout_refused(&xml),
            RequestError::MissingElement { .. }
        ));
        let xml = logout("<saml:Issuer>sp</saml:Issuer>");
        assert!(matches!(
            logout_refused(&xml),
            RequestError::MissingElement { .. }
        ));
    }

    #[test]
    fn refuses_base_id_and_encrypted_id_as_unsupported() {
        for id in ["<saml:BaseID/>", "<saml:EncryptedID/>"] {
            let xml = logout(&format!("<saml:Issuer>sp</saml:Issuer>{id}"));
            assert!(
                matches!(logout_refused(&xml), RequestError::Unsupported(_)),
                "{id}"
            );
        }
    }

    #[test]
    fn refuses_misordered_or_repeated_logout_children() {
        for body in [
            "<saml:Issuer>sp</saml:Issuer><saml:NameID>a</saml:NameID><saml:NameID>b</saml:NameID>",
            "<saml:Issuer>sp</saml:Issuer><samlp:SessionIndex>s</samlp:SessionIndex>\
             <saml:NameID>a</saml:NameID>",
            "<saml:NameID>a</saml:NameID><saml:Issuer>sp</saml:Issuer>",
            "<saml:Issuer>sp</saml:Issuer><saml:NameID>a</saml:NameID><ds:Signature/>",
        ] {
            assert!(
                matches!(
                    logout_refused(&logout(body)),
                    RequestError::UnexpectedElement { .. }
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn refuses_bad_logout_not_on_or_after_and_version() {
        let xml = LOGOUT.replace(
            "NotOnOrAfter=\"2014-07-18T01:18:06Z\"",
            "NotOnOrAfter=\"soon\"",
        );
        assert!(matches!(
            logout_refused(&xml),
            RequestError::InvalidInstant { .. }
        ));
        let xml = LOGOUT.replace("Version=\"2.0\"", "Version=\"1.1\"");
        assert!(matches!(
            logout_refused(&xml),
            RequestError::UnsupportedVersion { .. }
        ));
    }

    #[test]
    fn logout_request_counts_direct_signature_only() {
        let xml = logout(
            "<saml:Issuer>sp</saml:Issuer><ds:Signature/><samlp:Extensions><ds:Signature/>\
             </samlp:Extensions><saml:NameID>a</saml:NameID>",
        );
        assert!(
            parse_logout_request(xml.as_bytes())
                .unwrap()
                .request
                .has_signature
        );
    }

    const LOGOUT_RESPONSE: &str = r#"<samlp:LogoutResponse
  xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
  xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0"
  IssueInstant="2024-01-01T00:00:00Z" Destination="https://idp.example.com/slo"
  InResponseTo="_req1">
  <saml:Issuer>https://sp.example.com/metadata</saml:Issuer>
  <samlp:Status>
    <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder">
      <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:PartialLogout"/>
    </samlp:StatusCode>
    <samlp:StatusMessage>some sessions remain</samlp:StatusMessage>
  </samlp:Status>
</samlp:LogoutResponse>"#;

    #[test]
    fn parses_logout_response_with_nested_status() {
        let r = parse_logout_response(LOGOUT_RESPONSE.as_bytes())
            .unwrap()
            .response;
        assert_eq!(r.id.as_str(), "_r1");
        assert_eq!(r.in_response_to.unwrap().as_str(), "_req1");
        assert_eq!(r.issuer, "https://sp.example.com/metadata");
        assert_eq!(r.status.code, crate::saml::status::RESPONDER);
        assert_eq!(r.status.sub_codes, [crate::saml::status::PARTIAL_LOGOUT]);
        assert_eq!(r.status.message.as_deref(), Some("some sessions remain"));
        assert_eq!(
            r.destination.as_deref(),
            Some("https://idp.example.com/slo")
        );
    }

    #[test]
    fn refuses_logout_response_without_status_code_or_value() {
        let no_status = LOGOUT_RESPONSE
            .split("<samlp:Status>")
            .next()
            .map(|head| format!("{head}</samlp:LogoutResponse>"))
            .unwrap();
        assert!(matches!(
            parse_logout_response(no_status.as_bytes()),
            Err(RequestError::MissingElement { .. })
        ));
        let no_value = LOGOUT_RESPONSE.replace(
            r#"Value="urn:oasis:names:tc:SAML:2.0:status:PartialLogout""#,
            "",
        );
        assert!(matches!(
            parse_logout_response(no_value.as_bytes()),
            Err(RequestError::MissingAttribute { .. })
        ));
        let bad_irt = LOGOUT_RESPONSE.replace("_req1", "1req");
        assert!(matches!(
            parse_logout_response(bad_irt.as_bytes()),
            Err(RequestError::InvalidId { .. })
        ));
    }
}
