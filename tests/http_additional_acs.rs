//! Applications with more than one ACS URL, over HTTP in-process: a request
//! naming an additional URL is answered there and nowhere else, the near
//! misses of an additional URL are refused like those of the default, and a
//! URL removed while the login page is open gets nothing.

mod common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use common::*;
use signet::admin::{self, AppUpdate};

/// A second registered ACS URL of the fixture's `chatgpt` (staging), with
/// a query of two parameters so that `&` must be escaped on the way out.
const STAGING: &str = "https://staging.sp.example.test/sso/saml/acs/abc?connection=conn_02&env=s";
const OTHER: &str = "https://eu.sp.example.test/acs";

fn set_additional(f: &Fixture, urls: &[&str]) {
    admin::update_app(
        &f.idp.store,
        "chatgpt",
        AppUpdate {
            additional_acs_urls: Some(urls.iter().map(|u| (*u).to_owned()).collect()),
            ..Default::default()
        },
    )
    .unwrap();
}

fn fixture_with_staging() -> Fixture {
    let f = fixture();
    set_additional(&f, &[OTHER, STAGING]);
    f
}

fn naming(acs: &str) -> Req {
    Req {
        acs: Some(acs.into()),
        ..Default::default()
    }
}

/// The Response's Destination, its SubjectConfirmationData Recipient and
/// the auto-post form's action, each unescaped.
fn where_it_goes(page: &Page) -> (String, String, String) {
    let xml = saml_response(&page.body);
    let unescape = |v: String| v.replace("&amp;", "&");
    (
        unescape(xml_attr(&xml, "Destination").expect("a Destination")),
        unescape(xml_attr(&xml, "Recipient").expect("a Recipient")),
        form_action(&page.body),
    )
}

/// The refusal contract of the ACS check: a 400 page naming the registered
/// URLs, no redirect, nothing posted.
fn assert_acs_refused(page: &Page, requested: &str) {
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{requested:?}");
    assert!(page.location().is_none(), "{requested:?}: no redirect");
    assert!(
        !page.body.contains("SAMLResponse"),
        "{requested:?}: nothing is posted"
    );
    let text = html_unescape(&page.body);
    assert!(
        text.contains("registered ACS URLs are"),
        "{requested:?}: {text}"
    );
    for registered in [ACS, OTHER, STAGING] {
        assert!(text.contains(registered), "{registered} not named: {text}");
    }
}

#[actix_web::test]
async fn a_request_naming_an_additional_acs_url_is_answered_at_that_url() {
    let f = fixture_with_staging();
    let svc = service!(f);
    let mut browser = Browser::default();
    let page = sign_in_as_alice(&svc, &mut browser, "chatgpt", &naming(STAGING), None).await;
    let (destination, recipient, action) = where_it_goes(&page);
    assert_eq!(destination, STAGING);
    assert_eq!(recipient, STAGING);
    assert_eq!(action, STAGING);
    // The escaped form in the XML: the query's `&` is `&amp;`, nothing else changed.
    let xml = saml_response(&page.body);
    assert!(xml.contains(&format!(
        "Destination=\"{}\"",
        STAGING.replace('&', "&amp;")
    )));

    // The same session, a request naming the other additional URL.
    let page = sign_in_as_alice(&svc, &mut browser, "chatgpt", &naming(OTHER), None).await;
    assert_eq!(
        where_it_goes(&page),
        (OTHER.into(), OTHER.into(), OTHER.into())
    );
}

#[actix_web::test]
async fn the_default_acs_url_answers_requests_naming_it_or_none_and_idp_initiated_sign_in() {
    let f = fixture_with_staging();
    let svc = service!(f);
    let mut browser = Browser::default();
    let page = sign_in_as_alice(&svc, &mut browser, "chatgpt", &naming(ACS), None).await;
    assert_eq!(where_it_goes(&page), (ACS.into(), ACS.into(), ACS.into()));
    let none = Req {
        acs: None,
        ..Default::default()
    };
    let page = sign_in_as_alice(&svc, &mut browser, "chatgpt", &none, None).await;
    assert_eq!(where_it_goes(&page), (ACS.into(), ACS.into(), ACS.into()));
    let init = TestRequest::get().uri("/application/saml/chatgpt/sso/binding/init/");
    let page = visit(&svc, &mut browser, init).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(where_it_goes(&page), (ACS.into(), ACS.into(), ACS.into()));
}

#[actix_web::test]
async fn a_post_binding_request_naming_an_additional_url_keeps_it_across_the_handoff() {
    let f = fixture_with_staging();
    let svc = service!(f);
    let mut browser = Browser::default();
    let b64 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        naming(STAGING).xml(),
    );
    let post = form_post(
        "/application/saml/chatgpt/sso/binding/post/",
        format!("SAMLRequest={}", pct(&b64)),
    );
    let parked = visit(&svc, &mut browser, post).await;
    assert_eq!(parked.status, StatusCode::SEE_OTHER, "{}", parked.body);
    let next = parked.location().unwrap().to_owned();
    let login = visit(&svc, &mut browser, TestRequest::get().uri(&next)).await;
    assert!(login.has_login_form(), "{}", login.body);
    let page = submit_login(&svc, &mut browser, &login.body, "alice", PASSWORD).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        where_it_goes(&page),
        (STAGING.into(), STAGING.into(), STAGING.into())
    );
}

/// Near misses of `url`: what a lenient comparison (case, escapes, default
/// port, dot segments, slashes, the query, spaces) would take for it.
fn near_misses_of(url: &str) -> Vec<String> {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (host, path_query) = rest.split_at(rest.find('/').unwrap());
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_query, None),
    };
    let q = |query: Option<&str>| query.map(|q| format!("?{q}")).unwrap_or_default();
    let with_path = |p: &str| format!("{scheme}://{host}{p}{}", q(query));
    let last_slash = path.rfind('/').unwrap();
    let mut misses = vec![
        format!("{}://{host}{path_query}", scheme.to_uppercase()),
        format!("http://{host}{path_query}"),
        format!("{scheme}://{}{path_query}", host.to_uppercase()),
        format!("{scheme}://{host}:443{path_query}"),
        format!("{scheme}://x{host}{path_query}"),
        format!("{scheme}://{host}.evil.example{path_query}"),
        format!("{scheme}://{host}@evil.example{path_query}"),
        format!("{scheme}://user:pw@{host}{path_query}"),
        with_path(&format!("{path}/")),
        with_path(&format!("/{path}")),
        with_path(&format!("{path}/extra")),
        with_path(&path.to_uppercase()),
        with_path(&format!("{}/.{}", &path[..last_slash], &path[last_slash..])),
        with_path(&format!(
            "{}/x/..{}",
            &path[..last_slash],
            &path[last_slash..]
        )),
        with_path(&format!(
            "{}%{:02X}{}",
            &path[..last_slash + 1],
            path.as_bytes()[last_slash + 1],
            &path[last_slash + 2..]
        )),
        format!("{scheme}://{host}{path}?"),
        format!("{url}&x=1"),
        format!("{url}#frag"),
        format!(" {url}"),
        format!("{url} "),
        format!("javascript:alert(1)//{url}"),
    ];
    if let Some(query) = query {
        misses.push(format!("{scheme}://{host}{path}"));
        misses.push(format!(
            "{scheme}://{host}{path}?{}",
            query.replace('_', "%5F")
        ));
        misses.push(format!(
            "{scheme}://{host}{path}?{}",
            &query[..query.len() - 1]
        ));
    }
    misses
}

#[actix_web::test]
async fn refuses_every_near_miss_of_an_additional_acs_url_like_those_of_the_default() {
    let f = fixture_with_staging();
    let svc = service!(f);
    for registered in [ACS, STAGING, OTHER] {
        let misses = near_misses_of(registered);
        assert!(misses.len() >= 20);
        for miss in misses {
            assert!(![ACS, STAGING, OTHER].contains(&miss.as_str()), "{miss}");
            let mut browser = Browser::default();
            let query = redirect_query(&naming(&miss).xml(), None);
            let page = visit(
                &svc,
                &mut browser,
                TestRequest::get().uri(&sso_redirect_path(&query)),
            )
            .await;
            assert_acs_refused(&page, &miss);
        }
    }
    // The registered ones themselves are accepted (the login page).
    for registered in [ACS, STAGING, OTHER] {
        let mut browser = Browser::default();
        let query = redirect_query(&naming(registered).xml(), None);
        let page = visit(
            &svc,
            &mut browser,
            TestRequest::get().uri(&sso_redirect_path(&query)),
        )
        .await;
        assert!(page.has_login_form(), "{registered}: {}", page.body);
    }
}

/// Opens the login page for a request naming `acs`, lets `change` happen
/// while it is open, then submits alice's password.
async fn login_across(acs: &str, change: impl FnOnce(&Fixture)) -> Page {
    let f = fixture_with_staging();
    let svc = service!(f);
    let mut browser = Browser::default();
    let query = redirect_query(&naming(acs).xml(), None);
    let login = visit(
        &svc,
        &mut browser,
        TestRequest::get().uri(&sso_redirect_path(&query)),
    )
    .await;
    assert!(login.has_login_form(), "{}", login.body);
    change(&f);
    submit_login(&svc, &mut browser, &login.body, "alice", PASSWORD).await
}

#[actix_web::test]
async fn an_acs_url_removed_while_the_login_page_is_open_gets_nothing() {
    let page = login_across(STAGING, |f| set_additional(f, &[OTHER])).await;
    assert!(
        page.status.is_client_error(),
        "{}: {}",
        page.status,
        page.body
    );
    assert!(page.location().is_none());
    assert!(!page.body.contains("SAMLResponse"), "{}", page.body);
    assert!(
        html_unescape(&page.body).contains("registered ACS URL"),
        "{}",
        page.body
    );

    // Cleared altogether: the same.
    let page = login_across(STAGING, |f| set_additional(f, &[])).await;
    assert!(page.status.is_client_error(), "{}", page.status);
    assert!(!page.body.contains("SAMLResponse"));
}

#[actix_web::test]
async fn an_acs_url_kept_or_made_the_default_while_the_login_page_is_open_is_answered() {
    // Another URL removed: the one the request named is still registered.
    let page = login_across(STAGING, |f| set_additional(f, &[STAGING])).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(form_action(&page.body), STAGING);

    // Promoted to the default: still registered.
    let page = login_across(STAGING, |f| {
        admin::update_app(
            &f.idp.store,
            "chatgpt",
            AppUpdate {
                acs_url: Some(STAGING.into()),
                additional_acs_urls: Some(vec![ACS.into()]),
                ..Default::default()
            },
        )
        .unwrap();
    })
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(form_action(&page.body), STAGING);
}
