//! Hostile input at the HTTP endpoints (issue 5): every case is refused
//! with a 4xx that says why, issues no assertion, redirects nowhere taken
//! from the input, leaves the database as it was, and the service answers on.

mod common;

use actix_web::http::StatusCode;
use actix_web::test::{call_service, read_body, TestRequest};
use base64::Engine as _;
use common::*;
use signet::admin::{self, AppInput, AppUpdate};
use signet::saml::binding::{self, MessageKind};
use std::io::Write;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn zlib(xml: &str) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(xml.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn deflate_bytes(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Sends `req`, asserts the refusal contract, and returns the page.
macro_rules! refused {
    ($f:expr, $svc:expr, $req:expr, $needle:expr) => {{
        let users_before = $f.idp.store.list_users().unwrap().len();
        let apps_before = $f.idp.store.list_applications().unwrap();
        let resp = call_service(&$svc, $req.to_request()).await;
        let status = resp.status();
        assert!(status.is_client_error(), "expected 4xx, got {status}");
        assert!(
            resp.headers().get("location").is_none(),
            "no redirect on refusal"
        );
        let page = String::from_utf8(read_body(resp).await.to_vec()).unwrap();
        assert!(
            !page.contains("name=\"SAMLResponse\""),
            "no assertion: {page}"
        );
        let needle: &str = $needle;
        assert!(
            page.to_lowercase().contains(&needle.to_lowercase()),
            "page should say {needle:?}: {page}"
        );
        assert_eq!($f.idp.store.list_users().unwrap().len(), users_before);
        assert_eq!($f.idp.store.list_applications().unwrap(), apps_before);
        $f.idp.store.integrity_check().unwrap();
        let health = call_service(&$svc, TestRequest::get().uri("/-/health/").to_request()).await;
        assert_eq!(health.status(), StatusCode::OK);
        (status, page)
    }};
}

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

fn sso_query(query: &str) -> TestRequest {
    get(&sso_redirect_path(query))
}

fn sso_xml(xml: &str) -> TestRequest {
    sso_query(&redirect_query(xml, None))
}

fn post_form(path: &str, body: String) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(body)
}

const SSO_POST: &str = "/application/saml/chatgpt/sso/binding/post/";
const SLO_REDIRECT: &str = "/application/saml/chatgpt/slo/binding/redirect/";

// ---- Decoding -------------------------------------------------------------

#[actix_web::test]
async fn refuses_bad_base64() {
    let f = fixture();
    let svc = service!(f);
    refused!(
        f,
        svc,
        sso_query("SAMLRequest=%21%21not-base64%21%21"),
        "base64"
    );
    refused!(
        f,
        svc,
        post_form(SSO_POST, "SAMLRequest=%21%21%21".into()),
        "base64"
    );
}

#[actix_web::test]
async fn refuses_a_payload_that_is_not_raw_deflate() {
    let f = fixture();
    let svc = service!(f);
    let q = format!("SAMLRequest={}", pct(&b64(&zlib(&Req::default().xml()))));
    refused!(f, svc, sso_query(&q), "deflate");
    let q = format!("SAMLRequest={}", pct(&b64(b"plain text, not compressed")));
    refused!(f, svc, sso_query(&q), "deflate");
}

#[actix_web::test]
async fn refuses_a_deflated_post_message_saying_the_binding_does_not_deflate() {
    let f = fixture();
    let svc = service!(f);
    let deflated = b64(&deflate_bytes(Req::default().xml().as_bytes()));
    let body = format!("SAMLRequest={}", pct(&deflated));
    refused!(f, svc, post_form(SSO_POST, body), "not deflated");
}

#[actix_web::test]
async fn refuses_a_deflate_bomb_quickly() {
    let f = fixture();
    let svc = service!(f);
    // 8 MiB of zeros deflates to a few KiB and fits the query limit.
    let bomb = deflate_bytes(&vec![b'<'; 8 << 20]);
    let q = format!("SAMLRequest={}", pct(&b64(&bomb)));
    assert!(q.len() < 16 * 1024, "bomb query is {} bytes", q.len());
    let started = std::time::Instant::now();
    refused!(f, svc, sso_query(&q), "inflates to more than");
    // Not a timing assertion on speed: a bound that only a full inflate
    // of 8 MiB plus parsing could break on any machine.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[actix_web::test]
async fn refuses_a_query_over_16_kib() {
    let f = fixture();
    let svc = service!(f);
    let q = format!("SAMLRequest=AAAA&RelayState={}", "a".repeat(17 * 1024));
    refused!(f, svc, sso_query(&q), "bytes");
}

#[actix_web::test]
async fn refuses_a_body_over_64_kib() {
    let f = fixture();
    let svc = service!(f);
    let body = format!("SAMLRequest={}", "A".repeat(65 * 1024));
    let resp = call_service(&svc, post_form(SSO_POST, body).to_request()).await;
    assert!(resp.status().is_client_error(), "{}", resp.status());
    let health = call_service(&svc, get("/-/health/").to_request()).await;
    assert_eq!(health.status(), StatusCode::OK);
}

#[actix_web::test]
async fn refuses_every_kind_of_doctype() {
    let f = fixture();
    let svc = service!(f);
    let body = Req::default().xml();
    for doctype in [
        "<!DOCTYPE samlp:AuthnRequest>",
        "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
        "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;\">]>",
    ] {
        refused!(f, svc, sso_xml(&format!("{doctype}{body}")), "DOCTYPE");
    }
}

#[actix_web::test]
async fn refuses_processing_instructions() {
    let f = fixture();
    let svc = service!(f);
    let xml = Req::default()
        .xml()
        .replacen("<saml:Issuer>", "<?evil x?><saml:Issuer>", 1);
    refused!(f, svc, sso_xml(&xml), "processing instruction");
}

#[actix_web::test]
async fn refuses_comments_or_cdata_inside_issuer_and_name_id() {
    let f = fixture();
    let svc = service!(f);
    let issuer_comment = Req {
        issuer: None,
        children: String::new(),
        ..Default::default()
    }
    .xml()
    .replacen(
        "<samlp:NameIDPolicy",
        &format!("<saml:Issuer>{AUDIENCE}<!-- x --></saml:Issuer><samlp:NameIDPolicy"),
        1,
    );
    refused!(f, svc, sso_xml(&issuer_comment), "comment");
    let cdata = Req::default()
        .xml()
        .replace(AUDIENCE, &format!("<![CDATA[{AUDIENCE}]]>"));
    refused!(f, svc, sso_xml(&cdata), "CDATA");
    let name_id = logout_request_xml(AUDIENCE, "alice@example.com<!---->.evil", Some("_x"));
    let q = binding::encode_redirect_query_unsigned(MessageKind::Request, &name_id, None);
    refused!(f, svc, get(&format!("{SLO_REDIRECT}?{q}")), "comment");
}

#[actix_web::test]
async fn refuses_a_logout_request_at_sso_and_an_authn_request_at_slo() {
    let f = fixture();
    let svc = service!(f);
    let logout = logout_request_xml(AUDIENCE, "alice@example.com", Some("_x"));
    refused!(f, svc, sso_xml(&logout), "LogoutRequest");
    let q =
        binding::encode_redirect_query_unsigned(MessageKind::Request, &Req::default().xml(), None);
    refused!(f, svc, get(&format!("{SLO_REDIRECT}?{q}")), "AuthnRequest");
}

#[actix_web::test]
async fn refuses_a_root_in_a_foreign_namespace() {
    let f = fixture();
    let svc = service!(f);
    let xml = Req::default().xml().replace(
        "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"",
        "xmlns:samlp=\"urn:evil:protocol\"",
    );
    refused!(f, svc, sso_xml(&xml), "AuthnRequest");
}

#[actix_web::test]
async fn refuses_a_repeated_saml_parameter() {
    let f = fixture();
    let svc = service!(f);
    let one = redirect_query(&Req::default().xml(), Some("a"));
    let twice = format!("{one}&{}", redirect_query(&Req::default().xml(), None));
    refused!(f, svc, sso_query(&twice), "more than once");
    refused!(
        f,
        svc,
        sso_query(&format!("{one}&RelayState=b")),
        "more than once"
    );
    let body = "SAMLRequest=AA&SAMLRequest=BB".to_string();
    refused!(f, svc, post_form(SSO_POST, body), "more than once");
}

#[actix_web::test]
async fn refuses_saml_request_and_saml_response_together() {
    let f = fixture();
    let svc = service!(f);
    let q = format!(
        "{}&SAMLResponse=AAAA",
        redirect_query(&Req::default().xml(), None)
    );
    refused!(f, svc, sso_query(&q), "both");
    refused!(
        f,
        svc,
        post_form(SSO_POST, "SAMLRequest=AA&SAMLResponse=BB".into()),
        "SAMLResponse"
    );
}

#[actix_web::test]
async fn refuses_missing_or_malformed_ids() {
    let f = fixture();
    let svc = service!(f);
    for id in [
        "",
        "12345",
        &format!("_{}", "a".repeat(400)),
        "id with spaces",
    ] {
        let req = Req {
            id: id.to_string(),
            ..Default::default()
        };
        refused!(f, svc, sso_xml(&req.xml()), "ID");
    }
    let no_id = Req::default().xml().replacen(" ID=\"", " XID=\"", 1);
    refused!(f, svc, sso_xml(&no_id), "ID");
}

#[actix_web::test]
async fn refuses_version_other_than_2_0() {
    let f = fixture();
    let svc = service!(f);
    let xml = Req::default()
        .xml()
        .replace("Version=\"2.0\"", "Version=\"1.1\"");
    refused!(f, svc, sso_xml(&xml), "Version");
}

#[actix_web::test]
async fn refuses_a_malformed_issue_instant() {
    let f = fixture();
    let svc = service!(f);
    for instant in ["yesterday", "2026-13-45T99:99:99Z", "2026-01-01T00:00:00"] {
        let req = Req {
            issue_instant: instant.into(),
            ..Default::default()
        };
        refused!(f, svc, sso_xml(&req.xml()), "IssueInstant");
    }
}

// ---- Policy ---------------------------------------------------------------

#[actix_web::test]
async fn refuses_an_unknown_issuer_and_another_applications_issuer() {
    let f = fixture();
    admin::create_app(
        &f.idp.store,
        AppInput {
            slug: "other".into(),
            name: "Other".into(),
            acs_url: "https://other.example.test/acs".into(),
            audience: Some("https://other.example.test".into()),
            sls_url: None,
        },
    )
    .unwrap();
    let svc = service!(f);
    for issuer in ["https://unknown.example.test", "https://other.example.test"] {
        let req = Req {
            issuer: Some(issuer.into()),
            ..Default::default()
        };
        refused!(f, svc, sso_xml(&req.xml()), "Issuer");
    }
}

#[actix_web::test]
async fn refuses_a_disabled_application() {
    let f = fixture();
    admin::update_app(
        &f.idp.store,
        "chatgpt",
        AppUpdate {
            enabled: Some(false),
            ..Default::default()
        },
    )
    .unwrap();
    let svc = service!(f);
    refused!(f, svc, sso_xml(&Req::default().xml()), "disabled");
    refused!(
        f,
        svc,
        get("/application/saml/chatgpt/sso/binding/init/"),
        "disabled"
    );
}

#[actix_web::test]
async fn refuses_every_near_miss_of_the_registered_acs() {
    let f = fixture();
    let svc = service!(f);
    let registered = ACS; // https://sp.example.test/sso/saml/acs/abc?connection=conn_01
    let near_misses = [
        "https://evil.example.test/acs",
        "https://sp.example.test.evil.example/sso/saml/acs/abc?connection=conn_01",
        "https://evil-sp.example.test/sso/saml/acs/abc?connection=conn_01",
        "https://xsp.example.test/sso/saml/acs/abc?connection=conn_01",
        "https://sp.example.test@evil.example/sso/saml/acs/abc?connection=conn_01",
        "https://user:pw@sp.example.test/sso/saml/acs/abc?connection=conn_01",
        "https://sp.example.test/sso/saml/acs/abc/extra?connection=conn_01",
        "https://sp.example.test/sso/saml/acs/abc/?connection=conn_01",
        "https://sp.example.test//sso/saml/acs/abc?connection=conn_01",
        "https://sp.example.test/sso/saml/acs/abc",
        "https://sp.example.test/sso/saml/acs/abc?",
        "https://sp.example.test/sso/saml/acs/abc?connection=conn_02",
        "https://sp.example.test/sso/saml/acs/abc?connection=conn_01&x=1",
        "https://sp.example.test/sso/saml/acs/abc?connection=conn_01#frag",
        "http://sp.example.test/sso/saml/acs/abc?connection=conn_01",
        "HTTPS://sp.example.test/sso/saml/acs/abc?connection=conn_01",
        "https://SP.EXAMPLE.TEST/sso/saml/acs/abc?connection=conn_01",
        "https://sp.example.test/SSO/saml/acs/abc?connection=conn_01",
        "https://sp.example.test:443/sso/saml/acs/abc?connection=conn_01",
        "https://sp.example.test/sso/saml/./acs/abc?connection=conn_01",
        "https://sp.example.test/sso/saml/x/../acs/abc?connection=conn_01",
        "https://sp.example.test/sso/saml/acs/%61bc?connection=conn_01",
        "https://sp.example.test/sso/saml/acs/abc?connection=conn%5F01",
        "https://sp.example.test%2F@evil.example/sso/saml/acs/abc?connection=conn_01",
        "https://sp.example.test\\@evil.example/sso/saml/acs/abc?connection=conn_01",
        " https://sp.example.test/sso/saml/acs/abc?connection=conn_01",
        "https://sp.example.test/sso/saml/acs/abc?connection=conn_01 ",
        "javascript:alert(1)//https://sp.example.test/sso/saml/acs/abc",
    ];
    for acs in near_misses {
        assert_ne!(acs, registered);
        let req = Req {
            acs: Some(acs.into()),
            ..Default::default()
        };
        refused!(f, svc, sso_xml(&req.xml()), "registered ACS URL");
    }
}

#[actix_web::test]
async fn a_validly_signed_request_does_not_make_an_unregistered_acs_acceptable() {
    let f = fixture();
    let (sp_key, _) = require_signed_requests(&f, "chatgpt");
    let svc = service!(f);
    let req = Req {
        acs: Some("https://evil.example.test/acs".into()),
        ..Default::default()
    };
    let q = binding::encode_redirect_query(
        MessageKind::Request,
        &req.xml(),
        None,
        sp_key.signature_algorithm(),
        |o| sp_key.sign(o),
    )
    .unwrap();
    refused!(f, svc, sso_query(&q), "registered ACS URL");
}

#[actix_web::test]
async fn refuses_an_unknown_acs_index() {
    let f = fixture();
    let svc = service!(f);
    let req = Req {
        acs: None,
        extra_attrs: " AssertionConsumerServiceIndex=\"7\"".into(),
        ..Default::default()
    };
    refused!(f, svc, sso_xml(&req.xml()), "AssertionConsumerServiceIndex");
}

#[actix_web::test]
async fn refuses_artifact_and_paos_bindings() {
    let f = fixture();
    let svc = service!(f);
    for b in ["HTTP-Artifact", "PAOS"] {
        let req = Req {
            binding: Some(format!("urn:oasis:names:tc:SAML:2.0:bindings:{b}")),
            ..Default::default()
        };
        refused!(f, svc, sso_xml(&req.xml()), "ProtocolBinding");
    }
}

#[actix_web::test]
async fn refuses_a_destination_naming_another_application_host_or_port() {
    let f = fixture();
    let svc = service!(f);
    for d in [
        format!("{BASE}/application/saml/other/sso/binding/redirect/"),
        "http://evil.example.test/application/saml/chatgpt/sso/binding/redirect/".into(),
        "http://idp.example.test:8443/application/saml/chatgpt/sso/binding/redirect/".into(),
        format!("{BASE}/application/saml/chatgpt/sso/binding/post/"),
    ] {
        let req = Req {
            destination: Some(d),
            ..Default::default()
        };
        refused!(f, svc, sso_xml(&req.xml()), "Destination");
    }
}

#[actix_web::test]
async fn refuses_a_replayed_request_even_by_the_other_binding() {
    let f = fixture();
    let svc = service!(f);
    let req = Req::default();
    let first = call_service(&svc, sso_xml(&req.xml()).to_request()).await;
    assert_eq!(first.status(), StatusCode::OK);
    refused!(f, svc, sso_xml(&req.xml()), "already used");
    let body = format!("SAMLRequest={}", pct(&b64(req.xml().as_bytes())));
    refused!(f, svc, post_form(SSO_POST, body), "already used");
}

#[actix_web::test]
async fn refuses_an_issue_instant_outside_the_skew_window() {
    let f = fixture();
    let svc = service!(f);
    for minutes in [-4i64, 4] {
        let t = time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes);
        let req = Req {
            issue_instant: signet::saml::time::format(t),
            ..Default::default()
        };
        refused!(f, svc, sso_xml(&req.xml()), "clock skew");
    }
}

/// An application that requires signed requests, and the SP's key.
fn signed_fixture() -> (Fixture, signet::saml::signing::SigningKey) {
    let f = fixture();
    let (sp_key, _) = require_signed_requests(&f, "chatgpt");
    (f, sp_key)
}

/// A request as a signing SP sends it: a signed message names its
/// Destination (Bindings 3.4.5.2).
fn signed_req() -> Req {
    Req {
        destination: Some(format!(
            "{BASE}/application/saml/chatgpt/sso/binding/redirect/"
        )),
        ..Default::default()
    }
}

fn signed_query(key: &signet::saml::signing::SigningKey, xml: &str, relay: Option<&str>) -> String {
    binding::encode_redirect_query(
        MessageKind::Request,
        xml,
        relay,
        key.signature_algorithm(),
        |o| key.sign(o),
    )
    .unwrap()
}

#[actix_web::test]
async fn refuses_a_missing_signature_or_sig_alg_when_signing_is_required() {
    let (f, key) = signed_fixture();
    let svc = service!(f);
    let xml = Req::default().xml();
    refused!(f, svc, sso_query(&redirect_query(&xml, None)), "not signed");
    let q = signed_query(&key, &Req::default().xml(), None);
    let without_sigalg: Vec<&str> = q.split('&').filter(|p| !p.starts_with("SigAlg=")).collect();
    refused!(f, svc, sso_query(&without_sigalg.join("&")), "SigAlg");
    let without_sig: Vec<&str> = q
        .split('&')
        .filter(|p| !p.starts_with("Signature="))
        .collect();
    refused!(f, svc, sso_query(&without_sig.join("&")), "Signature");
}

#[actix_web::test]
async fn refuses_a_signed_request_that_names_no_destination() {
    let (f, key) = signed_fixture();
    let svc = service!(f);
    let q = signed_query(&key, &Req::default().xml(), None);
    refused!(f, svc, sso_query(&q), "names no Destination");

    let q = signed_query(&key, &signed_req().xml(), None);
    let resp = call_service(&svc, sso_query(&q).to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = String::from_utf8(read_body(resp).await.to_vec()).unwrap();
    assert!(page.contains("name=\"password\""), "{page}");
}

#[actix_web::test]
async fn refuses_a_signature_by_the_wrong_key() {
    let (f, _) = signed_fixture();
    let svc = service!(f);
    let (other, _, _) = signet::saml::signing::SigningKey::generate_self_signed("x", 1).unwrap();
    refused!(
        f,
        svc,
        sso_query(&signed_query(&other, &Req::default().xml(), None)),
        "signature"
    );
}

#[actix_web::test]
async fn refuses_rsa_sha1_and_unknown_algorithms_unless_insecure_allowed() {
    let f = fixture();
    let (_, sp_key_pem) = require_signed_requests(&f, "chatgpt");
    let pkey = openssl::pkey::PKey::private_key_from_pem(&sp_key_pem).unwrap();
    let sha1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
    let sha1_query = |xml: &str| {
        binding::encode_redirect_query(MessageKind::Request, xml, None, sha1, |o| {
            let mut s =
                openssl::sign::Signer::new(openssl::hash::MessageDigest::sha1(), &pkey).unwrap();
            s.update(o).unwrap();
            s.sign_to_vec()
        })
        .unwrap()
    };
    let svc = service!(f);
    refused!(
        f,
        svc,
        sso_query(&sha1_query(&signed_req().xml())),
        "insecure"
    );
    let unknown = format!(
        "{}&SigAlg={}&Signature=AAAA",
        redirect_query(&Req::default().xml(), None),
        pct("http://example.test/rot13")
    );
    refused!(f, svc, sso_query(&unknown), "not supported");

    // The same SHA-1 signature passes once an administrator says so.
    let mut config = f.idp.config.clone();
    config.insecure_allow_sha1 = true;
    let lenient = Fixture {
        idp: signet::server::prepare(config).unwrap(),
        dir: tempfile::tempdir().unwrap(),
    };
    let svc = service!(lenient);
    let resp = call_service(
        &svc,
        sso_query(&sha1_query(&signed_req().xml())).to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[actix_web::test]
async fn refuses_any_changed_byte_of_saml_request_relay_state_or_sig_alg() {
    let (f, key) = signed_fixture();
    let svc = service!(f);
    let q = signed_query(&key, &Req::default().xml(), Some("state-1"));
    let tampered = [
        q.replacen("SAMLRequest=", "SAMLRequest=A", 1),
        q.replacen("RelayState=state-1", "RelayState=state-2", 1),
        q.replacen("SigAlg=http", "SigAlg=HTTP", 1),
    ];
    for t in tampered {
        assert_ne!(t, q);
        let resp = call_service(&svc, sso_query(&t).to_request()).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{t}");
        let page = String::from_utf8(read_body(resp).await.to_vec()).unwrap();
        assert!(!page.contains("name=\"password\""));
    }
}

#[actix_web::test]
async fn a_signature_over_a_relay_state_with_special_characters_verifies_as_sent() {
    let (f, key) = signed_fixture();
    let svc = service!(f);
    // Encode RelayState the way some SPs do: `~ * '` literal, space as %20,
    // lowercase escapes. The signature covers these exact bytes.
    let xml = signed_req().xml();
    let head = format!(
        "SAMLRequest={}&RelayState=a~b*c'd%20e%2fF&SigAlg={}",
        pct(&deflate_b64(&xml)),
        pct(key.signature_algorithm())
    );
    let signature = key.sign(head.as_bytes()).unwrap();
    let q = format!("{head}&Signature={}", pct(&b64(&signature)));
    let resp = call_service(&svc, sso_query(&q).to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = String::from_utf8(read_body(resp).await.to_vec()).unwrap();
    assert!(page.contains("name=\"password\""), "{page}");
}

#[actix_web::test]
async fn refuses_a_relay_state_over_1_kib() {
    let f = fixture();
    let svc = service!(f);
    let q = redirect_query(&Req::default().xml(), Some(&"r".repeat(1025)));
    refused!(f, svc, sso_query(&q), "RelayState");
    let body = format!(
        "SAMLRequest={}&RelayState={}",
        pct(&b64(Req::default().xml().as_bytes())),
        "r".repeat(1025)
    );
    refused!(f, svc, post_form(SSO_POST, body), "RelayState");
}

#[actix_web::test]
async fn markup_in_relay_state_is_escaped_in_the_form_and_reaches_the_sp_byte_for_byte() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let relay = "\"><script>alert(1)</script>&amp;'x";
    let q = redirect_query(&Req::default().xml(), Some(relay));
    let resp = call_service(&svc, browser.apply(sso_query(&q)).to_request()).await;
    browser.keep(&resp);
    let login = String::from_utf8(read_body(resp).await.to_vec()).unwrap();
    let resp = call_service(
        &svc,
        browser
            .apply(post_form("/login/", login_body(&login, "alice", PASSWORD)))
            .to_request(),
    )
    .await;
    let page = String::from_utf8(read_body(resp).await.to_vec()).unwrap();
    assert!(!page.contains("<script>alert(1)"));
    assert_eq!(
        page.matches("<script>").count(),
        1,
        "only signet's own script"
    );
    assert_eq!(field(&page, "RelayState").as_deref(), Some(relay));
}

// ---- What we emit ---------------------------------------------------------

#[actix_web::test]
async fn user_values_with_markup_come_out_escaped_and_equal_to_the_stored_value() {
    let f = fixture();
    let family = "</saml:AttributeValue><saml:Attribute Name=\"admin\">&x;<!-- -->]]>";
    admin::add_user(
        &f.idp.store,
        admin::UserInput {
            username: "mallory".into(),
            email: "mallory@example.com".into(),
            given_name: Some("<b>Mal</b>".into()),
            family_name: Some(family.into()),
            is_admin: false,
        },
        &signet::password::Password::new(PASSWORD.into()),
    )
    .unwrap();
    let svc = service!(f);
    let mut browser = Browser::default();
    let resp = call_service(
        &svc,
        browser.apply(sso_xml(&Req::default().xml())).to_request(),
    )
    .await;
    browser.keep(&resp);
    let login = String::from_utf8(read_body(resp).await.to_vec()).unwrap();
    let resp = call_service(
        &svc,
        browser
            .apply(post_form(
                "/login/",
                login_body(&login, "mallory", PASSWORD),
            ))
            .to_request(),
    )
    .await;
    let xml = saml_response(std::str::from_utf8(&read_body(resp).await).unwrap());
    assert!(!xml.contains("<!--"));
    assert_eq!(xml.matches("<saml:Assertion ").count(), 1);
    assert_eq!(xml.matches("<saml:NameID ").count(), 1);
    let root = signet::saml::xml_reader::parse(xml.as_bytes()).unwrap();
    assert!(root
        .descendants()
        .all(|e| !(e.local == "Attribute" && e.attr("Name") == Some("admin"))));
    let values: Vec<String> = root
        .descendants()
        .filter(|e| e.local == "AttributeValue")
        .map(|e| e.text_only().unwrap())
        .collect();
    assert!(values.contains(&family.to_string()), "{values:?}");
    assert!(values.contains(&"<b>Mal</b>".to_string()));
}

#[actix_web::test]
async fn control_characters_are_refused_when_the_user_is_saved() {
    let f = fixture();
    for bad in ["a\u{0}b", "a\u{1b}b", "a\u{fffe}b"] {
        let err = admin::add_user(
            &f.idp.store,
            admin::UserInput {
                username: "ctl".into(),
                email: "ctl@example.com".into(),
                given_name: Some(bad.into()),
                family_name: None,
                is_admin: false,
            },
            &signet::password::Password::new(PASSWORD.into()),
        );
        assert!(err.is_err());
    }
    assert!(f.idp.store.user_by_username("ctl").unwrap().is_none());
}

// ---- Sign-in abuse --------------------------------------------------------

/// Fetches a login page and posts `password` for `user`; returns (status, page).
macro_rules! try_login {
    ($svc:expr, $browser:expr, $user:expr, $password:expr, $peer:expr) => {{
        let q = redirect_query(&Req::default().xml(), None);
        let resp = call_service(
            &$svc,
            $browser.apply(sso_query(&q)).peer_addr($peer).to_request(),
        )
        .await;
        $browser.keep(&resp);
        let login = String::from_utf8(read_body(resp).await.to_vec()).unwrap();
        let resp = call_service(
            &$svc,
            $browser
                .apply(post_form("/login/", login_body(&login, $user, $password)))
                .peer_addr($peer)
                .to_request(),
        )
        .await;
        let status = resp.status();
        $browser.keep(&resp);
        (
            status,
            String::from_utf8(read_body(resp).await.to_vec()).unwrap(),
        )
    }};
}

#[actix_web::test]
async fn five_failures_lock_the_pair_without_telling_whether_the_user_exists() {
    let f = fixture();
    let svc = service!(f);
    let attacker: std::net::SocketAddr = "192.0.2.7:4000".parse().unwrap();
    let other: std::net::SocketAddr = "192.0.2.8:4000".parse().unwrap();
    let mut pages = Vec::new();
    for user in ["alice", "nobody"] {
        let mut browser = Browser::default();
        for _ in 0..5 {
            let (status, _) = try_login!(svc, browser, user, "wrong password", attacker);
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        // Locked now, even with the right password.
        let (status, page) = try_login!(svc, browser, user, PASSWORD, attacker);
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(!page.contains("name=\"SAMLResponse\""));
        pages.push(page.contains("Too many failed sign-in attempts"));
    }
    assert_eq!(pages, vec![true, true]);
    // Another address is not locked out by the attacker.
    let mut browser = Browser::default();
    let (status, page) = try_login!(svc, browser, "alice", PASSWORD, other);
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("name=\"SAMLResponse\""));
}

#[actix_web::test]
async fn a_pasted_huge_user_name_is_cut_for_the_lock_and_the_log() {
    let f = fixture();
    let svc = service!(f);
    let peer: std::net::SocketAddr = "192.0.2.10:4000".parse().unwrap();
    let head = "alice".repeat(20);
    let mut browser = Browser::default();
    // Varying what follows the first 64 bytes does not dodge the lock.
    for i in 0..5 {
        let name = format!("{head}{}", "x".repeat(4000 + i));
        let (status, _) = try_login!(svc, browser, &name, "wrong password", peer);
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let name = format!("{head}-last");
    let (status, _) = try_login!(svc, browser, &name, "wrong password", peer);
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    let events = f
        .idp
        .store
        .list_events(&signet::store::events::EventFilter {
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    let failed: Vec<_> = events.iter().filter(|e| e.kind == "login_failed").collect();
    assert_eq!(failed.len(), 5);
    for e in failed {
        assert_eq!(e.username.as_deref(), Some(&head[..64]));
    }
}

#[actix_web::test]
async fn x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let f = fixture();
    let svc = service!(f);
    let peer: std::net::SocketAddr = "192.0.2.9:5000".parse().unwrap();
    // An untrusted peer varies X-Forwarded-For to dodge the lock: no use.
    let mut browser = Browser::default();
    for i in 0..5 {
        let q = redirect_query(&Req::default().xml(), None);
        let resp = call_service(
            &svc,
            browser.apply(sso_query(&q)).peer_addr(peer).to_request(),
        )
        .await;
        browser.keep(&resp);
        let login = String::from_utf8(read_body(resp).await.to_vec()).unwrap();
        let resp = call_service(
            &svc,
            browser
                .apply(post_form(
                    "/login/",
                    login_body(&login, "alice", "wrong password"),
                ))
                .insert_header(("x-forwarded-for", format!("203.0.113.{i}")))
                .peer_addr(peer)
                .to_request(),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let (status, _) = try_login!(svc, browser, "alice", PASSWORD, peer);
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn cookies_set_before_login_are_worthless_and_the_session_id_changes() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let planted = signet::secret::Token::generate().expose().to_owned();
    browser
        .cookies
        .insert("signet_session".into(), planted.clone());
    let peer: std::net::SocketAddr = "192.0.2.10:1".parse().unwrap();
    let (_, page) = try_login!(svc, browser, "alice", PASSWORD, peer);
    assert!(page.contains("name=\"SAMLResponse\""));
    let first = browser.cookies["signet_session"].clone();
    assert_ne!(first, planted, "a planted session id is never adopted");
    assert!(f.idp.session(Some(&planted)).unwrap().is_none());
    // A new login issues a new id.
    let req = Req {
        extra_attrs: " ForceAuthn=\"true\"".into(),
        ..Default::default()
    };
    let q = redirect_query(&req.xml(), None);
    let resp = call_service(&svc, browser.apply(sso_query(&q)).to_request()).await;
    browser.keep(&resp);
    let login = String::from_utf8(read_body(resp).await.to_vec()).unwrap();
    let resp = call_service(
        &svc,
        browser
            .apply(post_form("/login/", login_body(&login, "alice", PASSWORD)))
            .to_request(),
    )
    .await;
    browser.keep(&resp);
    assert_ne!(browser.cookies["signet_session"], first);
    assert!(
        f.idp.session(Some(&first)).unwrap().is_none(),
        "the old session ended"
    );
    assert!(f
        .idp
        .session(Some(&browser.cookies["signet_session"]))
        .unwrap()
        .is_some());
}
