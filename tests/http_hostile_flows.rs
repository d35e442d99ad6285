//! Hostile sign-in and sign-out flows: what changes between an AuthnRequest
//! and the login that completes it, flows and handoffs used where they do
//! not belong, answers nobody asked for, and the headers that must never
//! reach a generated URL.

mod common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use common::*;
use signet::admin::{self, AppInput, AppUpdate};
use signet::saml::binding::{self, MessageKind};

const SLS: &str = "https://sp.example.test/saml/sls";
const SP2_AUDIENCE: &str = "https://sp2.example.test/metadata";
const SP2_ACS: &str = "https://sp2.example.test/acs";
const SP2_SLS: &str = "https://sp2.example.test/sls";

fn update(f: &Fixture, slug: &str, change: AppUpdate) {
    admin::update_app(&f.idp.store, slug, change).unwrap();
}

/// A second application, `other`, with an SLS URL.
fn add_other(f: &Fixture) {
    admin::create_app(
        &f.idp.store,
        AppInput {
            slug: "other".into(),
            name: "Other".into(),
            acs_url: SP2_ACS.into(),
            audience: Some(SP2_AUDIENCE.into()),
            sls_url: Some(SP2_SLS.into()),
        },
    )
    .unwrap();
}

/// The refusal contract: a 4xx page, no redirect, nothing posted anywhere.
fn assert_refused(page: &Page, needle: &str) {
    assert!(
        page.status.is_client_error(),
        "expected 4xx, got {}: {}",
        page.status,
        page.body
    );
    assert!(page.location().is_none(), "no redirect on refusal");
    assert!(
        !page.body.contains("SAMLResponse"),
        "nothing is posted: {}",
        page.body
    );
    assert!(
        page.body.contains("<html") || page.body.contains("<!DOCTYPE"),
        "a page, not a bare message: {}",
        page.body
    );
    assert!(
        page.body.to_lowercase().contains(&needle.to_lowercase()),
        "the page should say {needle:?}: {}",
        page.body
    );
}

/// Opens the login page for a fresh AuthnRequest to `chatgpt`, lets
/// `change` happen while it is open, then submits alice's password.
async fn login_across(change: impl FnOnce(&Fixture)) -> Page {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let login = login_page(&svc, &mut browser, &Req::default()).await;
    change(&f);
    submit_login(&svc, &mut browser, &login.body, "alice", PASSWORD).await
}

/// Opens the login page for a fresh AuthnRequest to `chatgpt` in `browser`.
async fn login_page<S, B>(svc: &S, browser: &mut Browser, req: &Req) -> Page
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
    B::Error: std::fmt::Debug,
{
    let query = redirect_query(&req.xml(), Some("rs"));
    let page = visit(
        svc,
        browser,
        TestRequest::get().uri(&sso_redirect_path(&query)),
    )
    .await;
    assert!(page.has_login_form(), "{}", page.body);
    page
}

// ---- The application or the user changes while the login page is open ----

#[actix_web::test]
async fn a_login_completed_after_the_audience_changed_posts_no_assertion() {
    // The request's Issuer was the Audience when it was accepted; now the
    // application names another SP. Its assertion must not be issued for the
    // request that SP never sent.
    let page = login_across(|f| {
        update(
            f,
            "chatgpt",
            AppUpdate {
                audience: Some("https://new-sp.example.test/metadata".into()),
                ..Default::default()
            },
        );
    })
    .await;
    assert_refused(&page, "Issuer");
}

#[actix_web::test]
async fn a_login_completed_after_the_acs_changed_posts_to_neither_acs() {
    let page = login_across(|f| {
        update(
            f,
            "chatgpt",
            AppUpdate {
                acs_url: Some("https://sp.example.test/acs/new".into()),
                ..Default::default()
            },
        );
    })
    .await;
    assert_refused(&page, "registered ACS URL");
}

#[actix_web::test]
async fn a_login_completed_after_the_app_was_disabled_posts_nothing() {
    let page = login_across(|f| {
        update(
            f,
            "chatgpt",
            AppUpdate {
                enabled: Some(false),
                ..Default::default()
            },
        );
    })
    .await;
    assert_refused(&page, "chatgpt");
}

#[actix_web::test]
async fn a_request_accepted_before_the_sp_certificate_was_set_is_not_answered_unsigned() {
    let page = login_across(|f| {
        require_signed_requests(f, "chatgpt");
    })
    .await;
    assert_refused(&page, "signed");
}

#[actix_web::test]
async fn a_user_deactivated_after_the_session_was_read_gets_no_assertion() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let login = login_page(&svc, &mut browser, &Req::default()).await;
    let page = submit_login(&svc, &mut browser, &login.body, "alice", PASSWORD).await;
    assert!(page.body.contains("SAMLResponse"));

    // A request is accepted and the session read (as a handler does)...
    let cookie = browser.cookies["signet_session"].clone();
    let (token, session) = f.idp.session(Some(&cookie)).unwrap().unwrap();
    let query = redirect_query(&Req::default().xml(), None);
    let accepted = f.idp.accept_redirect("chatgpt", &query).unwrap();
    // ...then an administrator deactivates the user (ending the session)
    // before the assertion is built: nothing may be issued for her.
    f.idp
        .store
        .update_user(
            "alice",
            &signet::store::UserChanges {
                is_active: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    let issued = f.idp.issue(&accepted, &token, &session, None);
    assert!(issued.is_err(), "an assertion for a deactivated user");
}

#[actix_web::test]
async fn a_deactivated_user_cannot_complete_an_open_login_form() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let login = login_page(&svc, &mut browser, &Req::default()).await;
    f.idp
        .store
        .update_user(
            "alice",
            &signet::store::UserChanges {
                is_active: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    let page = submit_login(&svc, &mut browser, &login.body, "alice", PASSWORD).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(!page.body.contains("SAMLResponse"));
    assert!(!browser.cookies.contains_key("signet_session"));
}

// ---- Flows and handoffs where they do not belong --------------------------

#[actix_web::test]
async fn a_login_flow_completes_once() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let login = login_page(&svc, &mut browser, &Req::default()).await;
    let first = submit_login(&svc, &mut browser, &login.body, "alice", PASSWORD).await;
    assert!(first.body.contains("SAMLResponse"));
    let again = submit_login(&svc, &mut browser, &login.body, "alice", PASSWORD).await;
    assert_refused(&again, "expired or was already used");
}

#[actix_web::test]
async fn a_handoff_parked_for_one_application_is_not_continued_at_another() {
    let f = fixture();
    add_other(&f);
    let svc = service!(f);
    let b64 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        Req::default().xml(),
    );
    let mut browser = Browser::default();
    let parked = visit(
        &svc,
        &mut browser,
        form_post(
            "/application/saml/chatgpt/sso/binding/post/",
            format!("SAMLRequest={}", pct(&b64)),
        ),
    )
    .await;
    assert_eq!(parked.status, StatusCode::SEE_OTHER);
    let location = parked.location().unwrap().to_owned();
    let elsewhere = location.replace("/saml/chatgpt/", "/saml/other/");
    assert_ne!(elsewhere, location);
    let page = visit(&svc, &mut browser, TestRequest::get().uri(&elsewhere)).await;
    assert_refused(&page, "another application");
    assert!(!page.has_login_form());
}

#[actix_web::test]
async fn a_parked_logout_request_is_not_continued_as_a_sign_in_or_at_another_application() {
    let f = fixture();
    add_other(&f);
    let svc = service!(f);
    let mut browser = Browser::default();
    for elsewhere in [
        "/application/saml/other/slo/continue/",
        "/application/saml/chatgpt/sso/continue/",
    ] {
        let request = logout_request_xml(AUDIENCE, "alice@example.com", Some("_x"));
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &request);
        let parked = visit(
            &svc,
            &mut browser,
            form_post(
                "/application/saml/chatgpt/slo/binding/post/",
                format!("SAMLRequest={}", pct(&b64)),
            ),
        )
        .await;
        assert_eq!(parked.status, StatusCode::SEE_OTHER, "{}", parked.body);
        let location = parked.location().unwrap().to_owned();
        let handoff = location.split_once("handoff=").unwrap().1;
        let uri = format!("{elsewhere}?handoff={handoff}");
        let page = visit(&svc, &mut browser, TestRequest::get().uri(&uri)).await;
        assert_refused(&page, "");
    }
}

#[actix_web::test]
async fn passive_and_forced_with_a_session_answers_no_passive_without_asking() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let login = login_page(&svc, &mut browser, &Req::default()).await;
    submit_login(&svc, &mut browser, &login.body, "alice", PASSWORD).await;

    // Passive alone, with a session: answered at once.
    let passive = Req {
        extra_attrs: " IsPassive=\"true\"".into(),
        ..Default::default()
    };
    let query = redirect_query(&passive.xml(), None);
    let page = visit(
        &svc,
        &mut browser,
        TestRequest::get().uri(&sso_redirect_path(&query)),
    )
    .await;
    assert!(!page.has_login_form());
    assert!(saml_response(&page.body).contains("<saml:Assertion"));

    // ForceAuthn and IsPassive: a new login is needed and may not be asked
    // for, so NoPassive, and the existing session is not used.
    let both = Req {
        extra_attrs: " IsPassive=\"true\" ForceAuthn=\"true\"".into(),
        ..Default::default()
    };
    let query = redirect_query(&both.xml(), None);
    let page = visit(
        &svc,
        &mut browser,
        TestRequest::get().uri(&sso_redirect_path(&query)),
    )
    .await;
    assert!(!page.has_login_form());
    assert_eq!(form_action(&page.body), ACS);
    let xml = saml_response(&page.body);
    assert!(xml.contains("urn:oasis:names:tc:SAML:2.0:status:NoPassive"));
    assert!(!xml.contains("<saml:Assertion"));
}

// ---- Nothing from the request ends up in a URL ----------------------------

#[actix_web::test]
async fn host_and_forwarded_headers_never_reach_a_generated_url() {
    let f = fixture();
    set_sls(&f);
    let svc = service!(f);
    let hostile = |req: TestRequest| {
        req.insert_header(("host", "evil.example"))
            .insert_header(("x-forwarded-host", "evil.example"))
            .insert_header(("x-forwarded-proto", "https"))
            .insert_header(("forwarded", "host=evil.example;proto=https"))
            .insert_header(("referer", "https://evil.example/"))
    };
    let mut browser = Browser::default();
    let mut pages = Vec::new();
    let metadata = "/application/saml/chatgpt/metadata/";
    pages.push(
        visit(
            &svc,
            &mut browser,
            hostile(TestRequest::get().uri(metadata)),
        )
        .await,
    );
    let b64 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        Req::default().xml(),
    );
    let post = form_post(
        "/application/saml/chatgpt/sso/binding/post/",
        format!("SAMLRequest={}", pct(&b64)),
    );
    let parked = visit(&svc, &mut browser, hostile(post)).await;
    let location = parked.location().unwrap().to_owned();
    assert!(location.starts_with("/application/saml/chatgpt/sso/continue/"));
    let login = visit(
        &svc,
        &mut browser,
        hostile(TestRequest::get().uri(&location)),
    )
    .await;
    let body = login_body(&login.body, "alice", PASSWORD);
    let signed_in = visit(&svc, &mut browser, hostile(form_post("/login/", body))).await;
    let xml = saml_response(&signed_in.body);
    assert!(!xml.contains("evil"), "{xml}");
    let index = xml_attr(&xml, "SessionIndex").unwrap();
    let logout = logout_request_xml(AUDIENCE, "alice@example.com", Some(&index));
    let query = binding::encode_redirect_query_unsigned(MessageKind::Request, &logout, None);
    let slo = format!("/application/saml/chatgpt/slo/binding/redirect/?{query}");
    let answer = visit(&svc, &mut browser, hostile(TestRequest::get().uri(&slo))).await;
    assert!(answer.location().unwrap().starts_with(SLS));
    let home = visit(&svc, &mut browser, hostile(TestRequest::get().uri("/"))).await;
    let plain = visit(
        &svc,
        &mut browser,
        hostile(TestRequest::get().uri("/login/")),
    )
    .await;
    pages.extend([login, signed_in, answer, home, plain]);
    for page in &pages {
        assert!(!page.body.contains("evil"), "{}", page.body);
        assert!(
            !page.location().unwrap_or_default().contains("evil"),
            "{:?}",
            page.location()
        );
        let decoded = page
            .location()
            .and_then(|l| l.split_once('?'))
            .and_then(|(_, q)| binding::decode_redirect(q).ok());
        if let Some(m) = decoded {
            assert!(!String::from_utf8(m.xml).unwrap().contains("evil"));
        }
    }
}

// ---- Single logout --------------------------------------------------------

fn set_sls(f: &Fixture) {
    update(
        f,
        "chatgpt",
        AppUpdate {
            sls_url: Some(SLS.into()),
            ..Default::default()
        },
    );
}

#[actix_web::test]
async fn a_logout_response_from_another_sp_or_nobody_asked_for_is_refused() {
    let f = fixture();
    set_sls(&f);
    add_other(&f);
    let svc = service!(f);
    let mut browser = Browser::default();
    let chatgpt = sign_in_as_alice(&svc, &mut browser, "chatgpt", &Req::default(), None).await;
    let index = xml_attr(&saml_response(&chatgpt.body), "SessionIndex").unwrap();
    let to_other = Req {
        issuer: Some(SP2_AUDIENCE.into()),
        acs: Some(SP2_ACS.into()),
        ..Default::default()
    };
    sign_in_as_alice(&svc, &mut browser, "other", &to_other, None).await;

    // ChatGPT starts the logout; signet asks the other SP.
    let request = logout_request_xml(AUDIENCE, "alice@example.com", Some(&index));
    let query = binding::encode_redirect_query_unsigned(MessageKind::Request, &request, None);
    let uri = format!("/application/saml/chatgpt/slo/binding/redirect/?{query}");
    let step = visit(&svc, &mut browser, TestRequest::get().uri(&uri)).await;
    let location = step.location().unwrap().to_owned();
    assert!(location.starts_with(SP2_SLS), "{location}");
    let sent = binding::decode_redirect(location.split_once('?').unwrap().1).unwrap();
    let sent_id = xml_attr(&String::from_utf8(sent.xml).unwrap(), "ID").unwrap();
    let success = "urn:oasis:names:tc:SAML:2.0:status:Success";

    let answer = |slug: &str, issuer: &str, in_response_to: &str| {
        let xml = logout_response_xml(issuer, in_response_to, success);
        let query = binding::encode_redirect_query_unsigned(MessageKind::Response, &xml, None);
        TestRequest::get().uri(&format!(
            "/application/saml/{slug}/slo/binding/redirect/?{query}"
        ))
    };
    let mut stranger = Browser::default();
    // ChatGPT answers the request that went to the other SP.
    let page = visit(&svc, &mut stranger, answer("chatgpt", AUDIENCE, &sent_id)).await;
    assert_refused(&page, "no logout in progress");
    // The right SP answering a request that was never sent.
    let page = visit(
        &svc,
        &mut stranger,
        answer("other", SP2_AUDIENCE, "_never_sent"),
    )
    .await;
    assert_refused(&page, "no logout in progress");
    // An answer with no InResponseTo at all.
    let unsolicited =
        logout_response_xml(SP2_AUDIENCE, "_x", success).replace(" InResponseTo=\"_x\"", "");
    let query = binding::encode_redirect_query_unsigned(MessageKind::Response, &unsolicited, None);
    let page = visit(
        &svc,
        &mut stranger,
        TestRequest::get().uri(&format!(
            "/application/saml/other/slo/binding/redirect/?{query}"
        )),
    )
    .await;
    assert_refused(&page, "no logout in progress");

    // The real answer still completes the logout, once.
    let page = visit(&svc, &mut stranger, answer("other", SP2_AUDIENCE, &sent_id)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().unwrap().starts_with(SLS));
    let page = visit(&svc, &mut stranger, answer("other", SP2_AUDIENCE, &sent_id)).await;
    assert_refused(&page, "no logout in progress");
}

#[actix_web::test]
async fn logout_relay_state_is_capped_and_escaped_in_the_posted_answer() {
    let f = fixture();
    update(
        &f,
        "chatgpt",
        AppUpdate {
            sls_url: Some(SLS.into()),
            sls_binding: Some("post".into()),
            ..Default::default()
        },
    );
    let svc = service!(f);
    let mut browser = Browser::default();
    let page = sign_in_as_alice(&svc, &mut browser, "chatgpt", &Req::default(), None).await;
    let index = xml_attr(&saml_response(&page.body), "SessionIndex").unwrap();

    let long = "r".repeat(1025);
    let request = logout_request_xml(AUDIENCE, "alice@example.com", Some(&index));
    let query =
        binding::encode_redirect_query_unsigned(MessageKind::Request, &request, Some(&long));
    let uri = format!("/application/saml/chatgpt/slo/binding/redirect/?{query}");
    let page = visit(&svc, &mut browser, TestRequest::get().uri(&uri)).await;
    assert_refused(&page, "RelayState");

    let markup = "\"><script>alert(1)</script>";
    let request = logout_request_xml(AUDIENCE, "alice@example.com", Some(&index));
    let query =
        binding::encode_redirect_query_unsigned(MessageKind::Request, &request, Some(markup));
    let uri = format!("/application/saml/chatgpt/slo/binding/redirect/?{query}");
    let page = visit(&svc, &mut browser, TestRequest::get().uri(&uri)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(form_action(&page.body), SLS);
    assert!(!page.body.contains("<script>alert"));
    assert_eq!(page.body.matches("<script>").count(), 1);
    assert_eq!(field(&page.body, "RelayState").as_deref(), Some(markup));
}

#[actix_web::test]
async fn the_sign_out_button_refuses_the_token_of_another_session_or_none() {
    let f = fixture();
    let svc = service!(f);
    let mut mallory = Browser::default();
    sign_in_as_alice(&svc, &mut mallory, "chatgpt", &Req::default(), None).await;
    let mut victim = Browser::default();
    sign_in_as_alice(&svc, &mut victim, "chatgpt", &Req::default(), None).await;
    let token = signet::secret::Token::from_client(&mallory.cookies["signet_session"]).unwrap();
    let theirs = f.idp.session_csrf(&token);
    for body in [format!("csrf={theirs}"), String::new(), "csrf=".into()] {
        let page = visit(&svc, &mut victim, form_post("/logout/", body.clone())).await;
        assert!(page.status.is_client_error(), "{body}: {}", page.status);
        assert!(
            f.idp
                .session(Some(&victim.cookies["signet_session"]))
                .unwrap()
                .is_some(),
            "{body}: the victim is still signed in"
        );
    }
}

// ---- Malformed forms are refused with a page, never a 500 -----------------

#[actix_web::test]
async fn missing_duplicated_or_malformed_form_fields_get_a_4xx_page() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let login = login_page(&svc, &mut browser, &Req::default()).await;
    let good = login_body(&login.body, "alice", PASSWORD);
    let csrf = field(&login.body, "csrf").unwrap();
    let flow = field(&login.body, "flow").unwrap();
    let bodies = [
        String::new(),
        format!("flow={flow}&username=alice&password=x"),
        format!("{good}&csrf={csrf}"),
        format!("{good}&flow={flow}"),
        format!("flow=short&csrf={csrf}&username=alice&password=x"),
        "%ff%fe=%ff".into(),
    ];
    for body in bodies {
        let page = visit(&svc, &mut browser, form_post("/login/", body.clone())).await;
        assert!(page.status.is_client_error(), "{body}: {}", page.status);
        assert!(page.body.contains("<html"), "{body}: a page: {}", page.body);
        assert!(!page.body.contains("SAMLResponse"));
    }
    for uri in [
        "/application/saml/chatgpt/sso/continue/",
        "/application/saml/chatgpt/slo/continue/",
        "/application/saml/chatgpt/sso/continue/?handoff=%ff",
        "/application/saml/chatgpt/slo/continue/?handoff=x&handoff=y",
        "/login/?flow=%ff&next=%0d%0a",
    ] {
        let page = visit(&svc, &mut browser, TestRequest::get().uri(uri)).await;
        assert!(
            page.status.is_client_error() || page.has_login_form(),
            "{uri}: {}",
            page.status
        );
        assert!(page.body.contains("<html"), "{uri}: a page: {}", page.body);
    }
    let page = visit(
        &svc,
        &mut browser,
        TestRequest::post().uri("/logout/").set_payload("csrf=x"),
    )
    .await;
    assert!(page.status.is_client_error());
    assert!(page.body.contains("<html"), "a page: {}", page.body);
}

#[actix_web::test]
async fn a_wrong_method_gets_a_405_page_with_the_usual_headers() {
    let f = fixture();
    let svc = service!(f);
    for req in [
        TestRequest::get().uri("/logout/"),
        TestRequest::get().uri("/application/saml/chatgpt/sso/binding/post/"),
        TestRequest::post().uri("/application/saml/chatgpt/metadata/"),
        TestRequest::delete().uri("/login/"),
        TestRequest::get().uri("/admin/users/alice/active/"),
        TestRequest::put().uri("/admin/applications/chatgpt/edit/"),
    ] {
        let res = actix_web::test::call_service(&svc, req.to_request()).await;
        let what = format!("{} {}", res.request().method(), res.request().path());
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{what}");
        let nosniff = res.headers().get("x-content-type-options");
        assert_eq!(nosniff.unwrap(), "nosniff", "{what}");
        let body = actix_web::test::read_body(res).await;
        let body = String::from_utf8_lossy(&body);
        assert!(
            body.contains("<html") && body.contains("is not accepted"),
            "{what}: {body}"
        );
    }
}
