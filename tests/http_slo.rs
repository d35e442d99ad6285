//! Single logout over HTTP in-process: SP-initiated by both bindings, the
//! checks that keep strangers from signing anyone out, propagation to other
//! SPs with checked answers, and signet's own "Sign out".

mod common;

use actix_web::http::StatusCode;
use actix_web::test::{call_service, read_body, TestRequest};
use common::*;
use signet::admin::{self, AppInput, AppUpdate};
use signet::saml::binding::{self, MessageKind};

const SLS: &str = "https://sp.example.test/saml/sls";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

async fn text<B: actix_web::body::MessageBody>(resp: actix_web::dev::ServiceResponse<B>) -> String
where
    B::Error: std::fmt::Debug,
{
    String::from_utf8(read_body(resp).await.to_vec()).unwrap()
}

fn set_sls(f: &Fixture, slug: &str, binding: &str) {
    admin::update_app(
        &f.idp.store,
        slug,
        AppUpdate {
            sls_url: Some(SLS.into()),
            sls_binding: Some(binding.into()),
            ..Default::default()
        },
    )
    .unwrap();
}

/// Signs in to `slug` (logging in if needed) and returns the Response XML.
macro_rules! sign_in_to {
    ($svc:expr, $browser:expr, $slug:expr, $issuer:expr, $acs:expr) => {{
        let req = Req {
            issuer: Some($issuer.to_string()),
            acs: Some($acs.to_string()),
            ..Default::default()
        };
        saml_response(
            &sign_in_as_alice(&$svc, &mut $browser, $slug, &req, None)
                .await
                .body,
        )
    }};
}

/// Whether the browser still has a signet session: a new AuthnRequest is
/// answered without a login page.
macro_rules! signed_in {
    ($svc:expr, $browser:expr) => {{
        let query = redirect_query(&Req::default().xml(), None);
        let resp = call_service(
            &$svc,
            $browser
                .apply(TestRequest::get().uri(&sso_redirect_path(&query)))
                .to_request(),
        )
        .await;
        !text(resp).await.contains("name=\"password\"")
    }};
}

/// Whether the browser's session cookie still names a live session.
fn has_session(f: &Fixture, browser: &Browser) -> bool {
    f.idp
        .session(browser.cookies.get("signet_session").map(String::as_str))
        .unwrap()
        .is_some()
}

fn slo_path(slug: &str, query: &str) -> String {
    format!("/application/saml/{slug}/slo/binding/redirect/?{query}")
}

fn redirect_logout_query(xml: &str, relay: Option<&str>) -> String {
    binding::encode_redirect_query_unsigned(MessageKind::Request, xml, relay)
}

/// Decodes a redirect to the SLS URL and checks its signature with the
/// application's certificate.
fn decode_signed_redirect(f: &Fixture, location: &str) -> (String, Option<String>) {
    let (base, query) = location.split_once('?').unwrap();
    assert_eq!(base, SLS);
    let message = binding::decode_redirect(query).unwrap();
    let signature = message.signature.as_ref().expect("the redirect is signed");
    let (pem, _) = f.idp.signing_certificate("chatgpt").unwrap();
    let key = openssl::x509::X509::from_pem(pem.as_bytes())
        .unwrap()
        .public_key()
        .unwrap();
    binding::verify_redirect_signature(signature, &key, false).unwrap();
    (String::from_utf8(message.xml).unwrap(), message.relay_state)
}

#[actix_web::test]
async fn sp_logout_ends_the_session_and_answers_success_by_signed_redirect() {
    let f = fixture();
    set_sls(&f, "chatgpt", "redirect");
    let svc = service!(f);
    let mut browser = Browser::default();
    let response = sign_in_to!(svc, browser, "chatgpt", AUDIENCE, ACS);
    let index = xml_attr(&response, "SessionIndex").unwrap();

    let request = logout_request_xml(AUDIENCE, "alice@example.com", Some(&index));
    let request_id = xml_attr(&request, "ID").unwrap();
    let query = redirect_logout_query(&request, Some("back to ~home*"));
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::get().uri(&slo_path("chatgpt", &query)))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    browser.keep(&resp);
    let location = resp
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let (xml, relay) = decode_signed_redirect(&f, &location);
    assert!(xml.starts_with("<samlp:LogoutResponse"));
    assert_eq!(xml_attr(&xml, "InResponseTo").unwrap(), request_id);
    assert_eq!(xml_attr(&xml, "Destination").unwrap(), SLS);
    assert!(xml.contains(&format!("Value=\"{SUCCESS}\"")));
    assert!(!xml.contains("PartialLogout"));
    assert_eq!(relay.as_deref(), Some("back to ~home*"));

    assert!(
        !signed_in!(svc, browser),
        "after logout the login page comes back"
    );
}

#[actix_web::test]
async fn logout_request_naming_another_session_ends_nothing() {
    let f = fixture();
    set_sls(&f, "chatgpt", "redirect");
    let svc = service!(f);
    let mut browser = Browser::default();
    let response = sign_in_to!(svc, browser, "chatgpt", AUDIENCE, ACS);
    let index = xml_attr(&response, "SessionIndex").unwrap();

    for request in [
        logout_request_xml(AUDIENCE, "alice@example.com", Some("_someone_elses_index")),
        logout_request_xml(AUDIENCE, "mallory@example.com", Some(&index)),
        // Unsigned and without SessionIndex: a guessable NameID alone is not enough.
        logout_request_xml(AUDIENCE, "alice@example.com", None),
    ] {
        let query = redirect_logout_query(&request, None);
        let resp = call_service(
            &svc,
            browser
                .apply(TestRequest::get().uri(&slo_path("chatgpt", &query)))
                .to_request(),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let location = resp
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let (xml, _) = decode_signed_redirect(&f, &location);
        assert!(!xml.contains(&format!("Value=\"{SUCCESS}\"")), "{xml}");
        assert!(xml.contains("UnknownPrincipal"));
        assert!(
            signed_in!(svc, browser),
            "a stranger's request must not sign alice out"
        );
    }
}

#[actix_web::test]
async fn logout_request_from_another_issuer_or_stale_is_refused() {
    let f = fixture();
    set_sls(&f, "chatgpt", "redirect");
    let svc = service!(f);
    let mut browser = Browser::default();
    let response = sign_in_to!(svc, browser, "chatgpt", AUDIENCE, ACS);
    let index = xml_attr(&response, "SessionIndex").unwrap();

    let foreign = logout_request_xml(
        "https://evil.example.test",
        "alice@example.com",
        Some(&index),
    );
    let old =
        signet::saml::time::format(time::OffsetDateTime::now_utc() - time::Duration::hours(1));
    let stale = logout_request_xml(AUDIENCE, "alice@example.com", Some(&index));
    let stale = stale.replacen(
        &format!(
            "IssueInstant=\"{}\"",
            xml_attr(&stale, "IssueInstant").unwrap()
        ),
        &format!("IssueInstant=\"{old}\""),
        1,
    );
    let wrong_root = Req::default().xml();
    for xml in [foreign, stale, wrong_root] {
        let query = redirect_logout_query(&xml, None);
        let resp = call_service(
            &svc,
            browser
                .apply(TestRequest::get().uri(&slo_path("chatgpt", &query)))
                .to_request(),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert!(resp.headers().get("location").is_none());
    }
    assert!(signed_in!(svc, browser));
}

#[actix_web::test]
async fn without_an_sls_url_the_session_ends_and_a_signed_out_page_is_shown() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let response = sign_in_to!(svc, browser, "chatgpt", AUDIENCE, ACS);
    let index = xml_attr(&response, "SessionIndex").unwrap();
    let query = redirect_logout_query(
        &logout_request_xml(AUDIENCE, "alice@example.com", Some(&index)),
        None,
    );
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::get().uri(&slo_path("chatgpt", &query)))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    browser.keep(&resp);
    assert!(text(resp).await.contains("You are signed out"));
    assert!(!signed_in!(svc, browser));
}

#[actix_web::test]
async fn logout_propagates_to_the_other_sp_then_answers_the_first() {
    let f = fixture();
    set_sls(&f, "chatgpt", "redirect");
    admin::create_app(
        &f.idp.store,
        AppInput {
            slug: "other".into(),
            name: "Other".into(),
            acs_url: "https://sp2.example.test/acs".into(),
            audience: Some("https://sp2.example.test/metadata".into()),
            sls_url: Some("https://sp2.example.test/sls".into()),
        },
    )
    .unwrap();
    let svc = service!(f);
    let mut browser = Browser::default();
    let first = sign_in_to!(svc, browser, "chatgpt", AUDIENCE, ACS);
    let second = sign_in_to!(
        svc,
        browser,
        "other",
        "https://sp2.example.test/metadata",
        "https://sp2.example.test/acs"
    );
    let index = xml_attr(&first, "SessionIndex").unwrap();
    let other_index = xml_attr(&second, "SessionIndex").unwrap();

    for (sp2_status, partial) in [
        (SUCCESS, false),
        ("urn:oasis:names:tc:SAML:2.0:status:Responder", true),
    ] {
        if partial {
            // Sign in again to both for the second round.
            sign_in_to!(svc, browser, "chatgpt", AUDIENCE, ACS);
            sign_in_to!(
                svc,
                browser,
                "other",
                "https://sp2.example.test/metadata",
                "https://sp2.example.test/acs"
            );
        }
        // This session's indexes at each SP, as the store recorded them.
        let chatgpt_id = f.idp.store.application("chatgpt").unwrap().unwrap().id;
        let token = signet::secret::Token::from_client(&browser.cookies["signet_session"]).unwrap();
        let sessions = f.idp.store.saml_sessions(&token).unwrap();
        let index_at = |mine: bool| {
            sessions
                .iter()
                .find(|s| (s.app_id == chatgpt_id) == mine)
                .map(|s| s.session_index.clone())
                .unwrap()
        };
        let (chatgpt_index, other_index_now) = (index_at(true), index_at(false));
        if !partial {
            assert_eq!(chatgpt_index, index);
            assert_eq!(other_index_now, other_index);
        }

        let request = logout_request_xml(AUDIENCE, "alice@example.com", Some(&chatgpt_index));
        let query = redirect_logout_query(&request, Some("rs"));
        let resp = call_service(
            &svc,
            browser
                .apply(TestRequest::get().uri(&slo_path("chatgpt", &query)))
                .to_request(),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        browser.keep(&resp);
        let location = resp
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            location.starts_with("https://sp2.example.test/sls?SAMLRequest="),
            "{location}"
        );
        let message = binding::decode_redirect(location.split_once('?').unwrap().1).unwrap();
        let to_sp2 = String::from_utf8(message.xml).unwrap();
        assert!(to_sp2.contains(&format!(
            "<samlp:SessionIndex>{other_index_now}</samlp:SessionIndex>"
        )));
        assert!(to_sp2.contains(">alice@example.com</saml:NameID>"));
        assert!(
            !signed_in!(svc, browser),
            "the session ended before propagation"
        );

        // SP2 answers at signet's endpoint.
        let answer = logout_response_xml(
            "https://sp2.example.test/metadata",
            &xml_attr(&to_sp2, "ID").unwrap(),
            sp2_status,
        );
        let query = binding::encode_redirect_query_unsigned(MessageKind::Response, &answer, None);
        let resp = call_service(
            &svc,
            TestRequest::get()
                .uri(&slo_path("other", &query))
                .to_request(),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let location = resp
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let (xml, relay) = decode_signed_redirect(&f, &location);
        assert!(xml.contains(&format!("Value=\"{SUCCESS}\"")));
        assert_eq!(xml.contains("PartialLogout"), partial, "{xml}");
        assert_eq!(relay.as_deref(), Some("rs"));

        // The same answer again is not accepted: the flow is over.
        let again = binding::encode_redirect_query_unsigned(MessageKind::Response, &answer, None);
        let resp = call_service(
            &svc,
            TestRequest::get()
                .uri(&slo_path("other", &again))
                .to_request(),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    }
}

#[actix_web::test]
async fn post_binding_logout_request_is_resumed_with_the_cookie_and_answered_by_post() {
    let f = fixture();
    set_sls(&f, "chatgpt", "post");
    let svc = service!(f);
    let mut browser = Browser::default();
    let response = sign_in_to!(svc, browser, "chatgpt", AUDIENCE, ACS);
    let index = xml_attr(&response, "SessionIndex").unwrap();
    let request = logout_request_xml(AUDIENCE, "alice@example.com", Some(&index));
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &request);
    let resp = call_service(
        &svc,
        TestRequest::post()
            .uri("/application/saml/chatgpt/slo/binding/post/")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(format!("SAMLRequest={}&RelayState=r", pct(&b64)))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(location.starts_with("/application/saml/chatgpt/slo/continue/?handoff="));
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::get().uri(&location))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    browser.keep(&resp);
    let page = text(resp).await;
    assert_eq!(form_action(&page), SLS);
    assert_eq!(field(&page, "RelayState").as_deref(), Some("r"));
    let b64 = field(&page, "SAMLResponse").unwrap();
    let xml = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap();
    let parsed = signet::saml::authn_request::parse_logout_response(&xml).unwrap();
    let (pem, _) = f.idp.signing_certificate("chatgpt").unwrap();
    let key = openssl::x509::X509::from_pem(pem.as_bytes())
        .unwrap()
        .public_key()
        .unwrap();
    signet::saml::dsig::verify_enveloped(&parsed.root, &key, false).unwrap();
    assert_eq!(parsed.response.status.code, SUCCESS);
    assert!(!signed_in!(svc, browser));
}

#[actix_web::test]
async fn sp_with_a_certificate_must_sign_its_logout_requests() {
    let f = fixture();
    set_sls(&f, "chatgpt", "redirect");
    let (sp_key, _) = require_signed_requests(&f, "chatgpt");
    let svc = service!(f);
    let mut browser = Browser::default();
    // Requests must now be signed: sign the AuthnRequest too.
    let req = Req {
        destination: Some(format!(
            "{BASE}/application/saml/chatgpt/sso/binding/redirect/"
        )),
        ..Default::default()
    };
    let query = binding::encode_redirect_query(
        MessageKind::Request,
        &req.xml(),
        None,
        sp_key.signature_algorithm(),
        |o| sp_key.sign(o),
    )
    .unwrap();
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::get().uri(&sso_redirect_path(&query)))
            .to_request(),
    )
    .await;
    browser.keep(&resp);
    let login = text(resp).await;
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::post().uri("/login/"))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(login_body(&login, "alice", PASSWORD))
            .to_request(),
    )
    .await;
    browser.keep(&resp);
    let index = xml_attr(&saml_response(&text(resp).await), "SessionIndex").unwrap();

    let sign = |xml: &str| {
        binding::encode_redirect_query(
            MessageKind::Request,
            xml,
            None,
            sp_key.signature_algorithm(),
            |o| sp_key.sign(o),
        )
        .unwrap()
    };
    // Signed, but for no named recipient: it could have been meant for
    // another IdP (Bindings 3.4.5.2).
    let undirected = logout_request_xml(AUDIENCE, "alice@example.com", Some(&index));
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::get().uri(&slo_path("chatgpt", &sign(&undirected))))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(text(resp).await.contains("names no Destination"));
    assert!(has_session(&f, &browser));

    let request = undirected.replacen(
        " Version=",
        &format!(" Destination=\"{BASE}/application/saml/chatgpt/slo/binding/redirect/\" Version="),
        1,
    );
    let unsigned = redirect_logout_query(&request, None);
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::get().uri(&slo_path("chatgpt", &unsigned)))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(has_session(&f, &browser));

    let signed = sign(&request);
    let tampered = signed.replacen("SAMLRequest=", "SAMLRequest=A", 1);
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::get().uri(&slo_path("chatgpt", &tampered)))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(has_session(&f, &browser));

    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::get().uri(&slo_path("chatgpt", &signed)))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    browser.keep(&resp);
    assert!(!has_session(&f, &browser));
}

#[actix_web::test]
async fn sign_out_button_needs_its_csrf_token_and_tells_every_sp() {
    let f = fixture();
    set_sls(&f, "chatgpt", "redirect");
    let svc = service!(f);
    let mut browser = Browser::default();
    let response = sign_in_to!(svc, browser, "chatgpt", AUDIENCE, ACS);
    let index = xml_attr(&response, "SessionIndex").unwrap();

    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::post().uri("/logout/"))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload("csrf=forged")
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(signed_in!(svc, browser));

    let token = signet::secret::Token::from_client(&browser.cookies["signet_session"]).unwrap();
    let csrf = f.idp.session_csrf(&token);
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::post().uri("/logout/"))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(format!("csrf={csrf}"))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    browser.keep(&resp);
    let location = resp
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let (xml, _) = decode_signed_redirect(&f, &location);
    assert!(xml.starts_with("<samlp:LogoutRequest"));
    assert!(xml.contains(&format!("<samlp:SessionIndex>{index}</samlp:SessionIndex>")));
    assert_eq!(xml.matches("<samlp:LogoutRequest").count(), 1);
    assert!(!signed_in!(svc, browser));

    // The SP confirms; signet shows its signed-out page.
    let answer = logout_response_xml(AUDIENCE, &xml_attr(&xml, "ID").unwrap(), SUCCESS);
    let query = binding::encode_redirect_query_unsigned(MessageKind::Response, &answer, None);
    let resp = call_service(
        &svc,
        TestRequest::get()
            .uri(&slo_path("chatgpt", &query))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(text(resp).await.contains("You are signed out"));
}

#[actix_web::test]
async fn saml_sessions_survive_a_restart() {
    let f = fixture();
    set_sls(&f, "chatgpt", "redirect");
    let mut browser = Browser::default();
    let index = {
        let svc = service!(f);
        let response = sign_in_to!(svc, browser, "chatgpt", AUDIENCE, ACS);
        xml_attr(&response, "SessionIndex").unwrap()
    };
    // A second process on the same data directory.
    let restarted = Fixture {
        idp: signet::server::prepare(f.idp.config.clone()).unwrap(),
        dir: tempfile::tempdir().unwrap(),
    };
    let svc = service!(restarted);
    let query = redirect_logout_query(
        &logout_request_xml(AUDIENCE, "alice@example.com", Some(&index)),
        None,
    );
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::get().uri(&slo_path("chatgpt", &query)))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let (xml, _) = decode_signed_redirect(&restarted, &location);
    assert!(xml.contains(&format!("Value=\"{SUCCESS}\"")));
}
