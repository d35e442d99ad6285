//! Hostile enveloped signatures on HTTP-POST requests: wrapping, keys taken
//! from the message, foreign transforms and canonicalization tricks. Every
//! signature here is real: made over signet's exclusive canonical form with
//! a generated SP key, as an SP's xmlsec would make it.

mod common;

use actix_web::http::StatusCode;
use actix_web::test::{call_service, read_body, TestRequest};
use base64::Engine as _;
use common::*;
use signet::saml::dsig::canonicalize;
use signet::saml::signing::{enveloped_signature, SigningKey};
use signet::saml::xml_reader::{self, Element};

const SSO_POST: &str = "/application/saml/chatgpt/sso/binding/post/";
const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// An application that requires signed requests, and the SP's key.
fn signed_fixture() -> (Fixture, SigningKey) {
    let f = fixture();
    let (sp_key, _) = require_signed_requests(&f, "chatgpt");
    (f, sp_key)
}

/// A POST request as a signing SP sends it: it names its Destination.
fn post_req() -> Req {
    Req {
        destination: Some(format!("{BASE}{SSO_POST}")),
        ..Default::default()
    }
}

/// `xml` with an enveloped signature by `key` inserted after the Issuer.
fn sign(key: &SigningKey, xml: &str) -> String {
    let root = xml_reader::parse(xml.as_bytes()).unwrap();
    let id = root.attr("ID").unwrap().to_owned();
    let canonical = canonicalize(&root, &[], &[], None).unwrap();
    let signature = enveloped_signature(key, &id, &canonical).unwrap();
    xml.replacen("</saml:Issuer>", &format!("</saml:Issuer>{signature}"), 1)
}

fn signature_of(root: &Element) -> &Element {
    root.elements()
        .find(|e| e.is(NS_DSIG, "Signature"))
        .unwrap()
}

/// Signs a document whose `ds:Signature` is written out with `DIGEST` and
/// `SIGNATURE` placeholders, as xmlsec signs a template: the digest over the
/// root without its signature, then the signature over SignedInfo.
fn sign_template(key: &SigningKey, template: &str) -> String {
    let root = xml_reader::parse(template.as_bytes()).unwrap();
    let without = canonicalize(&root, &[], &[], Some(signature_of(&root))).unwrap();
    let digest = openssl::hash::hash(openssl::hash::MessageDigest::sha256(), without.as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD;
    let xml = template.replacen("DIGEST", &b64.encode(digest.unwrap()), 1);
    let root = xml_reader::parse(xml.as_bytes()).unwrap();
    let signature = signature_of(&root);
    let signed_info = signature.elements().next().unwrap();
    let octets = canonicalize(signed_info, &[&root, signature], &[], None).unwrap();
    xml.replacen(
        "SIGNATURE",
        &b64.encode(key.sign(octets.as_bytes()).unwrap()),
        1,
    )
}

/// A `ds:Signature` template over `id` with the given transforms.
fn signature_template(key: &SigningKey, id: &str, transforms: &str) -> String {
    let alg = key.signature_algorithm();
    format!(
        concat!(
            r#"<ds:Signature xmlns:ds="{}"><ds:SignedInfo>"#,
            r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
            r#"<ds:SignatureMethod Algorithm="{}"/><ds:Reference URI="{}">"#,
            r#"<ds:Transforms>{}</ds:Transforms>"#,
            r#"<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>"#,
            r#"<ds:DigestValue>DIGEST</ds:DigestValue></ds:Reference></ds:SignedInfo>"#,
            r#"<ds:SignatureValue>SIGNATURE</ds:SignatureValue></ds:Signature>"#
        ),
        NS_DSIG,
        alg,
        format_args!("#{id}"),
        transforms
    )
}

fn post(xml: &str) -> TestRequest {
    let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
    TestRequest::post()
        .uri(SSO_POST)
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(format!("SAMLRequest={}", pct(&b64)))
}

/// Posts `xml` and expects it to be parked for the sign-in (accepted).
macro_rules! accepted {
    ($svc:expr, $xml:expr) => {{
        let resp = call_service(&$svc, post(&$xml).to_request()).await;
        let status = resp.status();
        let page = String::from_utf8(read_body(resp).await.to_vec()).unwrap();
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}\n{}", $xml);
    }};
}

/// Posts `xml` and expects a 400 whose page contains `needle`.
macro_rules! refused {
    ($svc:expr, $xml:expr, $needle:expr) => {{
        let resp = call_service(&$svc, post(&$xml).to_request()).await;
        let status = resp.status();
        assert!(resp.headers().get("location").is_none(), "{}", $xml);
        let page = String::from_utf8(read_body(resp).await.to_vec()).unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{page}\n{}", $xml);
        let needle: &str = $needle;
        assert!(
            page.to_lowercase().contains(&needle.to_lowercase()),
            "page should say {needle:?}: {page}"
        );
    }};
}

#[actix_web::test]
async fn a_post_request_with_a_genuine_enveloped_signature_is_accepted() {
    let (f, key) = signed_fixture();
    let svc = service!(f);
    accepted!(svc, sign(&key, &post_req().xml()));
    // The same signature made from a template (as xmlsec signs) verifies too.
    let req = post_req();
    let transforms = concat!(
        r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#,
        r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#
    );
    let template = req.xml().replacen(
        "</saml:Issuer>",
        &format!(
            "</saml:Issuer>{}",
            signature_template(&key, &req.id, transforms)
        ),
        1,
    );
    accepted!(svc, sign_template(&key, &template));
}

#[actix_web::test]
async fn refuses_a_post_request_signed_by_the_key_in_its_own_key_info() {
    let (f, _) = signed_fixture();
    let svc = service!(f);
    // The attacker's own key and certificate: the certificate travels in
    // KeyInfo, and the configured SP certificate is what counts.
    let (attacker, _, _) = SigningKey::generate_self_signed("sp", 1).unwrap();
    let xml = sign(&attacker, &post_req().xml());
    assert!(xml.contains("<ds:X509Certificate>"));
    refused!(svc, xml, "does not verify with the configured key");
}

#[actix_web::test]
async fn refuses_a_forged_root_with_the_same_id_carrying_the_genuine_signature() {
    let (f, key) = signed_fixture();
    let svc = service!(f);
    let genuine = post_req();
    let signed = sign(&key, &genuine.xml());
    let start = signed.find("<ds:Signature").unwrap();
    let end = signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let signature = &signed[start..end];
    // XSW: the genuine signature stays a direct child of a forged root with
    // the same ID; the signed request, without its signature, hides in
    // Extensions where a verifier resolving the ID by search would find it.
    let forged = Req {
        id: genuine.id.clone(),
        extra_attrs: r#" ForceAuthn="false" IsPassive="true""#.into(),
        children: format!("<samlp:Extensions>{}</samlp:Extensions>", genuine.xml()),
        ..post_req()
    }
    .xml()
    .replacen("</saml:Issuer>", &format!("</saml:Issuer>{signature}"), 1);
    // NameIDPolicy sits before Extensions in the helper; move Extensions up.
    let policy_start = forged.find("<samlp:NameIDPolicy").unwrap();
    let policy_end = forged.find("<samlp:Extensions>").unwrap();
    let policy = forged[policy_start..policy_end].to_owned();
    let forged = forged.replacen(&policy, "", 1).replacen(
        "</samlp:Extensions>",
        &format!("</samlp:Extensions>{policy}"),
        1,
    );
    refused!(svc, forged, "digest");
}

#[actix_web::test]
async fn refuses_xpath_xslt_and_inclusive_transforms_even_when_genuinely_signed() {
    let (f, key) = signed_fixture();
    let svc = service!(f);
    let enveloped =
        r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#;
    let exc = r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;
    let xpath = concat!(
        r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116">"#,
        r#"<ds:XPath>not(ancestor-or-self::samlp:Extensions)</ds:XPath></ds:Transform>"#
    );
    let xslt = concat!(
        r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116">"#,
        r#"<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" "#,
        r#"version="1.0"/></ds:Transform>"#
    );
    let inclusive =
        r#"<ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>"#;
    for transforms in [
        format!("{enveloped}{xpath}{exc}"),
        format!("{xpath}{exc}"),
        format!("{enveloped}{xslt}"),
        format!("{enveloped}{inclusive}"),
        format!("{exc}{enveloped}"),
    ] {
        let req = post_req();
        let template = req.xml().replacen(
            "</saml:Issuer>",
            &format!(
                "</saml:Issuer>{}",
                signature_template(&key, &req.id, &transforms)
            ),
            1,
        );
        refused!(svc, sign_template(&key, &template), "transforms");
    }
}

#[actix_web::test]
async fn canonical_rewrites_keep_a_signed_request_and_namespace_tricks_break_it() {
    let (f, key) = signed_fixture();
    let svc = service!(f);
    let saml = r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#;
    let issuer_b = format!("<saml:Issuer>{AUDIENCE}</saml:Issuer>");

    // Rewrites that exclusive c14n undoes: the same request, still accepted.
    let equivalent: [fn(&str, &str) -> String; 3] = [
        // The saml prefix declared where it is used instead of on the root.
        |xml, saml| {
            xml.replacen(&format!(" {saml}"), "", 1).replacen(
                "<saml:Issuer>",
                &format!("<saml:Issuer {saml}>"),
                1,
            )
        },
        // Character references for characters of the Issuer and the ACS.
        |xml, _| {
            xml.replacen("<saml:Issuer>https:", "<saml:Issuer>&#104;ttps&#x3A;", 1)
                .replacen(
                    r#"AssertionConsumerServiceURL="https:"#,
                    r#"AssertionConsumerServiceURL="&#x68;ttps:"#,
                    1,
                )
        },
        // Single quotes, and an unused namespace declaration.
        |xml, _| xml.replacen(r#"Version="2.0""#, "Version='2.0' xmlns:unused='urn:x'", 1),
    ];
    for rewrite in equivalent {
        let signed = sign(&key, &post_req().xml());
        accepted!(svc, rewrite(&signed, saml));
    }

    // Rewrites that change what the request says: refused.
    let changed: [fn(&str, &str) -> String; 4] = [
        // The Issuer in the default namespace: same text, another rendering.
        |xml, issuer_b| {
            let issuer = issuer_b
                .replace(
                    "<saml:Issuer>",
                    r#"<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">"#,
                )
                .replace("</saml:Issuer>", "</Issuer>");
            xml.replacen(issuer_b, &issuer, 1)
        },
        // A literal tab in an attribute is a space; a &#9; stays a tab.
        |xml, _| {
            xml.replacen(
                r#"Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified""#,
                "Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\t\"",
                1,
            )
        },
        // CR LF between elements is a line feed that the signer did not sign.
        |xml, _| xml.replacen("</saml:Issuer>", "</saml:Issuer>\r\n", 1),
        // xml:space on the Issuer is an attribute like any other.
        |xml, _| xml.replacen("<saml:Issuer>", r#"<saml:Issuer xml:space="preserve">"#, 1),
    ];
    for rewrite in changed {
        let signed = sign(&key, &post_req().xml());
        refused!(svc, rewrite(&signed, &issuer_b), "digest");
    }
}
