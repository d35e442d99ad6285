//! The IdP's SAML metadata document (SAML Metadata 2.3-2.4).
//!
//! Service providers import this to learn the entity id, the endpoints and
//! the certificates that verify our signatures. It is written by the same
//! canonical writer as responses, so every value is checked and escaped.

use super::bindings;
use super::xml_writer::{CanonicalWriter, Ns};
use super::NS_PROTOCOL;

pub use super::xml_writer::EmitError;

/// What the metadata says about this IdP.
#[derive(Debug, Clone)]
pub struct IdpMetadata<'a> {
    pub entity_id: &'a str,
    /// DER base64 of each signing certificate. During a rollover the old and
    /// the new certificate are published side by side.
    pub signing_certificates: &'a [&'a str],
    pub sso_redirect_url: &'a str,
    pub sso_post_url: &'a str,
    pub slo_redirect_url: &'a str,
    pub slo_post_url: &'a str,
    pub name_id_formats: &'a [&'a str],
    pub want_authn_requests_signed: bool,
}

/// Builds an `md:EntityDescriptor` with one `md:IDPSSODescriptor`.
///
/// Children follow the order of `IDPSSODescriptorType` and its bases in
/// saml-schema-metadata-2.0.xsd: `KeyDescriptor*` (RoleDescriptorType),
/// `SingleLogoutService*`, `NameIDFormat*` (SSODescriptorType),
/// `SingleSignOnService+` (IDPSSODescriptorType). The document is unsigned;
/// SPs fetch it over HTTPS or have it pasted by an administrator.
pub fn build_idp_metadata(m: &IdpMetadata) -> Result<String, EmitError> {
    require("entityID", m.entity_id)?;
    if m.signing_certificates.is_empty() {
        return Err(EmitError::Missing {
            field: "KeyDescriptor",
        });
    }
    require("SingleSignOnService", m.sso_redirect_url)?;
    require("SingleSignOnService", m.sso_post_url)?;

    let mut w = CanonicalWriter::with_capacity(4096);
    w.start(Ns::Md, "EntityDescriptor", &[("entityID", m.entity_id)])?;
    let want_signed = if m.want_authn_requests_signed {
        "true"
    } else {
        "false"
    };
    w.start(
        Ns::Md,
        "IDPSSODescriptor",
        &[
            ("WantAuthnRequestsSigned", want_signed),
            ("protocolSupportEnumeration", NS_PROTOCOL),
        ],
    )?;

    for certificate in m.signing_certificates {
        w.start(Ns::Md, "KeyDescriptor", &[("use", "signing")])?;
        w.start(Ns::Ds, "KeyInfo", &[])?;
        w.start(Ns::Ds, "X509Data", &[])?;
        w.element_with_text(Ns::Ds, "X509Certificate", &[], certificate)?;
        w.end(Ns::Ds, "X509Data");
        w.end(Ns::Ds, "KeyInfo");
        w.end(Ns::Md, "KeyDescriptor");
    }

    endpoint(
        &mut w,
        "SingleLogoutService",
        bindings::HTTP_REDIRECT,
        m.slo_redirect_url,
    )?;
    endpoint(
        &mut w,
        "SingleLogoutService",
        bindings::HTTP_POST,
        m.slo_post_url,
    )?;
    for format in m.name_id_formats {
        w.element_with_text(Ns::Md, "NameIDFormat", &[], format)?;
    }
    endpoint(
        &mut w,
        "SingleSignOnService",
        bindings::HTTP_REDIRECT,
        m.sso_redirect_url,
    )?;
    endpoint(
        &mut w,
        "SingleSignOnService",
        bindings::HTTP_POST,
        m.sso_post_url,
    )?;

    w.end(Ns::Md, "IDPSSODescriptor");
    w.end(Ns::Md, "EntityDescriptor");
    Ok(w.finish())
}

fn require(field: &'static str, value: &str) -> Result<(), EmitError> {
    if value.is_empty() {
        return Err(EmitError::Missing { field });
    }
    Ok(())
}

/// Writes an `EndpointType` element; an empty location means the endpoint is
/// not offered and is left out (`SingleLogoutService` is optional).
fn endpoint(
    w: &mut CanonicalWriter,
    element: &'static str,
    binding: &str,
    location: &str,
) -> Result<(), EmitError> {
    if location.is_empty() {
        return Ok(());
    }
    w.empty_element(
        Ns::Md,
        element,
        &[("Binding", binding), ("Location", location)],
    )
}

#[cfg(test)]
mod tests {
    use quick_xml::events::Event;
    use quick_xml::Reader;

    use super::*;
    use crate::saml::name_id_formats;

    const FORMATS: &[&str] = &[name_id_formats::EMAIL, name_id_formats::PERSISTENT];

    fn metadata<'a>(certs: &'a [&'a str]) -> IdpMetadata<'a> {
        IdpMetadata {
            entity_id: "https://idp.example.com/application/saml/chatgpt/metadata/",
            signing_certificates: certs,
            sso_redirect_url: "https://idp.example.com/sso/binding/redirect/",
            sso_post_url: "https://idp.example.com/sso/binding/post/",
            slo_redirect_url: "https://idp.example.com/slo/binding/redirect/",
            slo_post_url: "https://idp.example.com/slo/binding/post/",
            name_id_formats: FORMATS,
            want_authn_requests_signed: false,
        }
    }

    /// `(element name, Binding or text)` in document order.
    fn outline(xml: &str) -> Vec<(String, String)> {
        let mut reader = Reader::from_str(xml);
        let mut out: Vec<(String, String)> = Vec::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) => {
                    let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                    let binding = e
                        .try_get_attribute("Binding")
                        .unwrap()
                        .map(|a| a.unescape_value().unwrap().into_owned())
                        .unwrap_or_default();
                    out.push((name, binding));
                }
                Event::Text(t) => {
                    let last = out.last_mut().unwrap();
                    last.1.push_str(&t.decode().unwrap());
                }
                Event::Eof => return out,
                _ => {}
            }
        }
    }

    #[test]
    fn children_follow_the_schema_order() {
        let xml = build_idp_metadata(&metadata(&["MIIBold", "MIIBnew"])).unwrap();
        let names: Vec<(String, String)> = outline(&xml)
            .into_iter()
            .filter(|(n, _)| !n.starts_with("ds:") || n == "ds:X509Certificate")
            .collect();
        let expected = [
            ("md:EntityDescriptor", ""),
            ("md:IDPSSODescriptor", ""),
            ("md:KeyDescriptor", ""),
            ("ds:X509Certificate", "MIIBold"),
            ("md:KeyDescriptor", ""),
            ("ds:X509Certificate", "MIIBnew"),
            ("md:SingleLogoutService", bindings::HTTP_REDIRECT),
            ("md:SingleLogoutService", bindings::HTTP_POST),
            ("md:NameIDFormat", name_id_formats::EMAIL),
            ("md:NameIDFormat", name_id_formats::PERSISTENT),
            ("md:SingleSignOnService", bindings::HTTP_REDIRECT),
            ("md:SingleSignOnService", bindings::HTTP_POST),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn descriptor_states_protocol_and_request_signing_policy() {
        let xml = build_idp_metadata(&metadata(&["MIIB"])).unwrap();
        assert!(xml.starts_with(concat!(
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" "#,
            r#"entityID="https://idp.example.com/application/saml/chatgpt/metadata/">"#,
            r#"<md:IDPSSODescriptor WantAuthnRequestsSigned="false" "#,
            r#"protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">"#,
            r#"<md:KeyDescriptor use="signing"><ds:KeyInfo "#,
            r#"xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>"#
        )));

        let signed = IdpMetadata {
            want_authn_requests_signed: true,
            ..metadata(&["MIIB"])
        };
        assert!(build_idp_metadata(&signed)
            .unwrap()
            .contains(r#"WantAuthnRequestsSigned="true""#));
    }

    #[test]
    fn locations_and_entity_id_are_escaped() {
        let m = IdpMetadata {
            entity_id: r#"https://idp/?a=1&b="2"<"#,
            sso_post_url: "https://idp/sso?x=<y>&z",
            ..metadata(&["MIIB"])
        };
        let xml = build_idp_metadata(&m).unwrap();
        assert!(xml.contains(r#"entityID="https://idp/?a=1&amp;b=&quot;2&quot;&lt;""#));
        assert!(xml.contains(r#"Location="https://idp/sso?x=&lt;y>&amp;z""#));
    }

    #[test]
    fn refuses_metadata_without_certificate_or_entity_id() {
        assert!(matches!(
            build_idp_metadata(&metadata(&[])),
            Err(EmitError::Missing {
                field: "KeyDescriptor"
            })
        ));
        let m = IdpMetadata {
            entity_id: "",
            ..metadata(&["MIIB"])
        };
        assert!(matches!(
            build_idp_metadata(&m),
            Err(EmitError::Missing { field: "entityID" })
        ));
    }

    #[test]
    fn omits_single_logout_endpoints_not_offered() {
        let m = IdpMetadata {
            slo_redirect_url: "",
            slo_post_url: "",
            ..metadata(&["MIIB"])
        };
        assert!(!build_idp_metadata(&m)
            .unwrap()
            .contains("SingleLogoutService"));
    }

    #[test]
    fn refuses_control_characters() {
        let m = IdpMetadata {
            sso_redirect_url: "https://idp/\u{8}",
            ..metadata(&["MIIB"])
        };
        assert!(matches!(
            build_idp_metadata(&m),
            Err(EmitError::InvalidCharacter {
                field: "Location",
                ..
            })
        ));
    }
}
