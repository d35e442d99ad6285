//! The SSO endpoints driven over HTTP in-process, against a real SQLite file
//! and real keys: redirect and POST bindings, IdP-initiated sign-in,
//! metadata, and the refusals a serious IdP owes.

mod common;

use actix_web::http::StatusCode;
use actix_web::test::{call_service, read_body, TestRequest};
use common::*;

async fn body_text<B: actix_web::body::MessageBody>(
    resp: actix_web::dev::ServiceResponse<B>,
) -> String
where
    B::Error: std::fmt::Debug,
{
    String::from_utf8(read_body(resp).await.to_vec()).unwrap()
}

/// GET the redirect endpoint with `req`, see the login page, log in as
/// alice; returns the auto-post page's headers and body.
macro_rules! sign_in {
    ($svc:expr, $browser:expr, $req:expr, $relay:expr) => {{
        let query = redirect_query(&$req.xml(), $relay);
        let uri = sso_redirect_path(&query);
        let login = visit(&$svc, &mut $browser, TestRequest::get().uri(&uri)).await;
        assert!(
            login.has_login_form(),
            "expected the login page: {}",
            login.body
        );
        let page = submit_login(&$svc, &mut $browser, &login.body, "alice", PASSWORD).await;
        assert_eq!(page.status, StatusCode::OK);
        (page.headers, page.body)
    }};
}

#[actix_web::test]
async fn redirect_flow_logs_in_and_posts_a_signed_response_to_the_acs() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let req = Req::default();
    let (headers, page) = sign_in!(svc, browser, req, Some("rs-123"));

    assert_eq!(form_action(&page), ACS);
    assert_eq!(field(&page, "RelayState").as_deref(), Some("rs-123"));
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
    let csp = headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'sha256-") && csp.contains("frame-ancestors 'none'"));

    let xml = saml_response(&page);
    assert!(xml.contains(&format!("InResponseTo=\"{}\"", req.id)));
    assert!(xml.contains(&format!("Destination=\"{}\"", ACS.replace('&', "&amp;"))));
    assert!(xml.contains("<saml:Issuer>authentik</saml:Issuer>"));
    assert!(xml.contains(
        "<saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">\
         alice@example.com</saml:NameID>"
    ));
    assert!(xml.contains(&format!("<saml:Audience>{AUDIENCE}</saml:Audience>")));
    assert!(xml.contains("PasswordProtectedTransport"));
    for name in [
        "\"id\"",
        "\"email\"",
        "\"firstName\"",
        "\"lastName\"",
        "claims/givenname",
    ] {
        assert!(xml.contains(name), "attribute {name} missing");
    }
    assert_eq!(xml.matches("<saml:Assertion ").count(), 1);
    assert_eq!(xml.matches("<ds:Signature ").count(), 1);
}

#[actix_web::test]
async fn session_cookie_is_httponly_samesite_lax_and_reused_without_a_login_page() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let query = redirect_query(&Req::default().xml(), None);
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::get().uri(&sso_redirect_path(&query)))
            .to_request(),
    )
    .await;
    browser.keep(&resp);
    let login = body_text(resp).await;
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::post().uri("/login/"))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(login_body(&login, "alice", PASSWORD))
            .to_request(),
    )
    .await;
    let session = resp
        .response()
        .cookies()
        .find(|c| c.name() == "signet_session")
        .expect("login sets the session cookie")
        .into_owned();
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(session.same_site(), Some(actix_web::cookie::SameSite::Lax));
    assert_ne!(
        session.secure(),
        Some(true),
        "http external_url: no Secure flag"
    );
    browser.keep(&resp);

    let second = Req::default();
    let query = redirect_query(&second.xml(), None);
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::get().uri(&sso_redirect_path(&query)))
            .to_request(),
    )
    .await;
    let page = body_text(resp).await;
    assert!(!page.contains("name=\"password\""));
    assert!(saml_response(&page).contains(&format!("InResponseTo=\"{}\"", second.id)));
}

#[actix_web::test]
async fn post_binding_parks_the_request_and_signs_in_after_a_same_site_get() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let req = Req::default();
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, req.xml());
    let body = format!("SAMLRequest={}&RelayState=post-state", pct(&b64));
    let resp = call_service(
        &svc,
        TestRequest::post()
            .uri("/application/saml/chatgpt/sso/binding/post/")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body)
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
    assert!(location.starts_with("/application/saml/chatgpt/sso/continue/?handoff="));

    let resp = call_service(&svc, TestRequest::get().uri(&location).to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    browser.keep(&resp);
    let login = body_text(resp).await;
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::post().uri("/login/"))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(login_body(&login, "alice", PASSWORD))
            .to_request(),
    )
    .await;
    let page = body_text(resp).await;
    assert_eq!(field(&page, "RelayState").as_deref(), Some("post-state"));
    assert!(saml_response(&page).contains(&format!("InResponseTo=\"{}\"", req.id)));

    // The handoff works once.
    let resp = call_service(&svc, TestRequest::get().uri(&location).to_request()).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn idp_initiated_sign_in_has_no_in_response_to() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let (_, _) = sign_in!(svc, browser, Req::default(), None);
    let resp = call_service(
        &svc,
        browser
            .apply(TestRequest::get().uri("/application/saml/chatgpt/sso/binding/init/"))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let xml = saml_response(&body_text(resp).await);
    assert!(!xml.contains("InResponseTo"));
    assert!(xml.contains("alice@example.com"));
}

#[actix_web::test]
async fn metadata_lists_both_bindings_and_the_signing_certificate() {
    let f = fixture();
    let svc = service!(f);
    let resp = call_service(
        &svc,
        TestRequest::get()
            .uri("/application/saml/chatgpt/metadata/")
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let xml = body_text(resp).await;
    let (pem, _) = f.idp.signing_certificate("chatgpt").unwrap();
    let der_b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(xml.contains("entityID=\"authentik\""));
    assert!(xml.contains(&der_b64));
    for path in [
        "sso/binding/redirect/",
        "sso/binding/post/",
        "slo/binding/redirect/",
    ] {
        assert!(
            xml.contains(&format!("{BASE}/application/saml/chatgpt/{path}")),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn refuses_acs_url_not_registered_naming_both_and_posting_nothing() {
    let f = fixture();
    let svc = service!(f);
    let req = Req {
        acs: Some("https://evil.example.test/acs".into()),
        ..Default::default()
    };
    let query = redirect_query(&req.xml(), None);
    let resp = call_service(
        &svc,
        TestRequest::get()
            .uri(&sso_redirect_path(&query))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let page = body_text(resp).await;
    assert!(page.contains("evil.example.test/acs"));
    assert!(page.contains("sp.example.test/sso/saml/acs/abc"));
    assert!(!page.contains("SAMLResponse"));
    assert!(!page.contains("<form"));
}

#[actix_web::test]
async fn refuses_near_misses_of_the_registered_acs() {
    let f = fixture();
    let svc = service!(f);
    for near in [
        "https://sp.example.test/sso/saml/acs/abc",
        "https://sp.example.test/sso/saml/acs/abc?connection=conn_02",
        "https://SP.example.test/sso/saml/acs/abc?connection=conn_01",
        "http://sp.example.test/sso/saml/acs/abc?connection=conn_01",
        "https://sp.example.test/sso/saml/acs/abc/?connection=conn_01",
        "https://sp.example.test.evil.example/sso/saml/acs/abc?connection=conn_01",
        "https://user@sp.example.test/sso/saml/acs/abc?connection=conn_01",
        "https://sp.example.test/sso/saml/acs/x/../abc?connection=conn_01",
        "https://sp.example.test/sso/saml/acs/%61bc?connection=conn_01",
        "https://sp.example.test/sso/saml/acs/abc?connection=conn_01#x",
    ] {
        let req = Req {
            acs: Some(near.into()),
            ..Default::default()
        };
        let query = redirect_query(&req.xml(), None);
        let resp = call_service(
            &svc,
            TestRequest::get()
                .uri(&sso_redirect_path(&query))
                .to_request(),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{near}");
    }
}

#[actix_web::test]
async fn absent_acs_url_means_the_registered_one() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let req = Req {
        acs: None,
        ..Default::default()
    };
    let (_, page) = sign_in!(svc, browser, req, None);
    assert_eq!(form_action(&page), ACS);
}

#[actix_web::test]
async fn unknown_slug_gets_a_404_page() {
    let f = fixture();
    let svc = service!(f);
    let query = redirect_query(&Req::default().xml(), None);
    for uri in [
        format!("/application/saml/nope/sso/binding/redirect/?{query}"),
        "/application/saml/nope/metadata/".to_string(),
        "/application/saml/nope/sso/binding/init/".to_string(),
        "/no/such/page".to_string(),
    ] {
        let resp = call_service(&svc, TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{uri}");
        let page = body_text(resp).await;
        assert!(page.contains("Not found"), "{uri}: {page}");
    }
}

#[actix_web::test]
async fn undecodable_payloads_get_a_400_page_saying_why() {
    let f = fixture();
    let svc = service!(f);
    let not_deflate = pct(&base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        b"this is not deflate at all",
    ));
    let zlib = {
        use std::io::Write;
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(Req::default().xml().as_bytes()).unwrap();
        pct(&base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            e.finish().unwrap(),
        ))
    };
    for query in [
        "SAMLRequest=%%%".to_string(),
        "SAMLRequest=not*base64!".to_string(),
        format!("SAMLRequest={not_deflate}"),
        format!("SAMLRequest={zlib}"),
        format!("SAMLRequest={}", pct(&deflate_b64("<notxml"))),
        format!(
            "SAMLRequest={}",
            pct(&deflate_b64("<!DOCTYPE x [<!ENTITY a \"b\">]><x/>"))
        ),
        String::new(),
        "RelayState=only".to_string(),
    ] {
        let resp = call_service(
            &svc,
            TestRequest::get()
                .uri(&sso_redirect_path(&query))
                .to_request(),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{query}");
        let page = body_text(resp).await;
        assert!(page.contains("Request refused"), "{query}: {page}");
        assert!(!page.contains("name=\"SAMLResponse\""));
    }
}

async fn expect_refused(f: &Fixture, req: Req, needle: &str) {
    let svc = service!(f);
    let query = redirect_query(&req.xml(), None);
    let resp = call_service(
        &svc,
        TestRequest::get()
            .uri(&sso_redirect_path(&query))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let page = body_text(resp).await;
    assert!(page.contains(needle), "expected {needle:?} in {page}");
}

#[actix_web::test]
async fn refuses_an_issuer_other_than_the_audience() {
    let f = fixture();
    let req = Req {
        issuer: Some("https://other-sp.example.test".into()),
        ..Default::default()
    };
    expect_refused(&f, req, "Issuer").await;
    let req = Req {
        issuer: None,
        ..Default::default()
    };
    expect_refused(&f, req, "Issuer").await;
}

#[actix_web::test]
async fn refuses_a_destination_other_than_this_endpoint() {
    let f = fixture();
    let req = Req {
        destination: Some(format!(
            "{BASE}/application/saml/other/sso/binding/redirect/"
        )),
        ..Default::default()
    };
    expect_refused(&f, req, "Destination").await;
    let req = Req {
        destination: Some(format!(
            "{BASE}/application/saml/chatgpt/sso/binding/redirect/"
        )),
        ..Default::default()
    };
    let svc = service!(f);
    let query = redirect_query(&req.xml(), None);
    let resp = call_service(
        &svc,
        TestRequest::get()
            .uri(&sso_redirect_path(&query))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[actix_web::test]
async fn refuses_bindings_other_than_http_post() {
    let f = fixture();
    for b in [
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact",
        "urn:oasis:names:tc:SAML:2.0:bindings:PAOS",
    ] {
        let req = Req {
            binding: Some(b.into()),
            ..Default::default()
        };
        expect_refused(&f, req, "ProtocolBinding").await;
    }
}

#[actix_web::test]
async fn refuses_a_replayed_request_id() {
    let f = fixture();
    let svc = service!(f);
    let req = Req::default();
    let query = redirect_query(&req.xml(), None);
    let first = call_service(
        &svc,
        TestRequest::get()
            .uri(&sso_redirect_path(&query))
            .to_request(),
    )
    .await;
    assert_eq!(first.status(), StatusCode::OK);
    let again = call_service(
        &svc,
        TestRequest::get()
            .uri(&sso_redirect_path(&query))
            .to_request(),
    )
    .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(body_text(again).await.contains("already used"));
}

#[actix_web::test]
async fn refuses_an_issue_instant_outside_the_clock_skew() {
    let f = fixture();
    let old = time::OffsetDateTime::now_utc() - time::Duration::minutes(10);
    let req = Req {
        issue_instant: signet::saml::time::format(old),
        ..Default::default()
    };
    expect_refused(&f, req, "clock skew").await;
    let future = time::OffsetDateTime::now_utc() + time::Duration::minutes(10);
    let req = Req {
        issue_instant: signet::saml::time::format(future),
        ..Default::default()
    };
    expect_refused(&f, req, "clock skew").await;
}

#[actix_web::test]
async fn passive_request_without_session_answers_no_passive_instead_of_a_login_page() {
    let f = fixture();
    let svc = service!(f);
    let req = Req {
        extra_attrs: " IsPassive=\"true\"".into(),
        ..Default::default()
    };
    let query = redirect_query(&req.xml(), Some("p"));
    let resp = call_service(
        &svc,
        TestRequest::get()
            .uri(&sso_redirect_path(&query))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = body_text(resp).await;
    assert!(!page.contains("name=\"password\""));
    assert_eq!(form_action(&page), ACS);
    let xml = saml_response(&page);
    assert!(xml.contains("urn:oasis:names:tc:SAML:2.0:status:NoPassive"));
    assert!(!xml.contains("<saml:Assertion"));
    assert!(xml.contains(&format!("InResponseTo=\"{}\"", req.id)));
}

#[actix_web::test]
async fn force_authn_asks_for_the_password_despite_a_session() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let (_, _) = sign_in!(svc, browser, Req::default(), None);
    let req = Req {
        extra_attrs: " ForceAuthn=\"true\"".into(),
        ..Default::default()
    };
    let (_, page) = sign_in!(svc, browser, req, None);
    assert!(saml_response(&page).contains(&format!("InResponseTo=\"{}\"", req.id)));
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let f = fixture();
    let svc = service!(f);
    let mut answers = Vec::new();
    for (user, password) in [("alice", "wrong password"), ("nobody", "wrong password")] {
        let mut browser = Browser::default();
        let query = redirect_query(&Req::default().xml(), None);
        let resp = call_service(
            &svc,
            browser
                .apply(TestRequest::get().uri(&sso_redirect_path(&query)))
                .to_request(),
        )
        .await;
        browser.keep(&resp);
        let login = body_text(resp).await;
        let resp = call_service(
            &svc,
            browser
                .apply(TestRequest::post().uri("/login/"))
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .set_payload(login_body(&login, user, password))
                .to_request(),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert!(resp
            .response()
            .cookies()
            .all(|c| c.name() != "signet_session"));
        let page = body_text(resp).await;
        assert!(!page.contains("SAMLResponse"));
        answers.push(page.contains("Wrong username or password."));
    }
    assert_eq!(answers, vec![true, true]);
}

#[actix_web::test]
async fn login_form_from_another_browser_or_with_a_bad_csrf_token_is_refused() {
    let f = fixture();
    let svc = service!(f);
    let mut victim = Browser::default();
    let query = redirect_query(&Req::default().xml(), None);
    let resp = call_service(
        &svc,
        victim
            .apply(TestRequest::get().uri(&sso_redirect_path(&query)))
            .to_request(),
    )
    .await;
    victim.keep(&resp);
    let login = body_text(resp).await;

    // Another browser replays the form: its cookie does not match the flow.
    let mut attacker = Browser::default();
    attacker.cookies.insert(
        "signet_browser".into(),
        signet::secret::Token::generate().expose().into(),
    );
    let resp = call_service(
        &svc,
        attacker
            .apply(TestRequest::post().uri("/login/"))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(login_body(&login, "alice", PASSWORD))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // The right browser with a forged CSRF token.
    let forged = login.replace(&field(&login, "csrf").unwrap(), "forged");
    let resp = call_service(
        &svc,
        victim
            .apply(TestRequest::post().uri("/login/"))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(login_body(&forged, "alice", PASSWORD))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp
        .response()
        .cookies()
        .all(|c| c.name() != "signet_session"));
}

#[actix_web::test]
async fn acs_change_applies_on_the_next_request_without_restart() {
    let f = fixture();
    let svc = service!(f);
    let new_acs = "https://sp.example.test/sso/saml/acs/new";
    signet::admin::update_app(
        &f.idp.store,
        "chatgpt",
        signet::admin::AppUpdate {
            acs_url: Some(new_acs.into()),
            ..Default::default()
        },
    )
    .unwrap();
    expect_refused(&f, Req::default(), "registered ACS URL").await;
    let mut browser = Browser::default();
    let req = Req {
        acs: Some(new_acs.into()),
        ..Default::default()
    };
    let (_, page) = sign_in!(svc, browser, req, None);
    assert_eq!(form_action(&page), new_acs);
}

#[actix_web::test]
async fn signed_response_option_signs_the_response_after_the_assertion() {
    let f = fixture();
    let svc = service!(f);
    signet::admin::update_app(
        &f.idp.store,
        "chatgpt",
        signet::admin::AppUpdate {
            sign_response: Some(true),
            ..Default::default()
        },
    )
    .unwrap();
    let mut browser = Browser::default();
    let (_, page) = sign_in!(svc, browser, Req::default(), None);
    let xml = saml_response(&page);
    assert_eq!(xml.matches("<ds:Signature ").count(), 2);
    let response_sig = xml.find("<ds:Signature ").unwrap();
    let assertion = xml.find("<saml:Assertion ").unwrap();
    assert!(
        response_sig < assertion,
        "Response signature follows the Response Issuer"
    );
}

fn with_authn_context(comparison: &str, class: &str) -> Req {
    Req {
        children: format!(
            "<samlp:RequestedAuthnContext Comparison=\"{comparison}\">\
             <saml:AuthnContextClassRef>{class}</saml:AuthnContextClassRef>\
             </samlp:RequestedAuthnContext>"
        ),
        ..Default::default()
    }
}

const MFA: &str = "https://refeds.org/profile/mfa";

#[actix_web::test]
async fn unmet_authn_context_answers_no_authn_context_instead_of_a_login_page() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let req = with_authn_context("exact", MFA);
    let page = visit(
        &svc,
        &mut browser,
        TestRequest::get().uri(&sso_redirect_path(&redirect_query(&req.xml(), Some("r")))),
    )
    .await;

    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.has_login_form(), "a password would not be enough");
    assert_eq!(form_action(&page.body), ACS);
    assert_eq!(field(&page.body, "RelayState").as_deref(), Some("r"));
    let xml = saml_response(&page.body);
    assert!(xml.contains("urn:oasis:names:tc:SAML:2.0:status:Requester"));
    assert!(xml.contains("urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"));
    assert!(xml.contains(&format!("InResponseTo=\"{}\"", req.id)));
    assert!(!xml.contains("Assertion"));
}

#[actix_web::test]
async fn unmet_authn_context_gets_no_assertion_even_with_a_session() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let (_, first) = sign_in!(svc, browser, Req::default(), None);
    assert!(saml_response(&first).contains("<saml:Assertion "));

    let req = with_authn_context("minimum", MFA);
    let page = sign_in_as_alice(&svc, &mut browser, "chatgpt", &req, None).await;
    let xml = saml_response(&page.body);
    assert!(xml.contains("NoAuthnContext"));
    assert!(!xml.contains("Assertion"));
}

#[actix_web::test]
async fn authn_contexts_a_password_meets_sign_in_as_usual() {
    let f = fixture();
    let svc = service!(f);
    let ppt = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
    let password = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password";
    for (req, stated) in [
        (with_authn_context("exact", ppt), ppt),
        (with_authn_context("exact", password), password),
        (with_authn_context("minimum", password), ppt),
        (with_authn_context("better", password), ppt),
        (with_authn_context("maximum", MFA), ppt),
        (with_authn_context("maximum", password), password),
    ] {
        let mut browser = Browser::default();
        let (_, page) = sign_in!(svc, browser, req, None);
        let xml = saml_response(&page);
        assert!(xml.contains("status:Success"), "{}", req.children);
        assert!(
            xml.contains(&format!("<saml:AuthnContextClassRef>{stated}</")),
            "{} should state {stated}",
            req.children
        );
    }
}
