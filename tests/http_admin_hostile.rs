//! The administration pages attacked: stale and demoted sessions, method
//! and path tricks, CSRF tokens where they do not belong, markup in every
//! stored value, names that collide with routes, hostile keypair imports,
//! unknown ids, and refused forms that must leave the database untouched.

mod common;

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use common::admin_pages::*;
use common::*;
use openssl::dsa::Dsa;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::symm::Cipher;

use signet::store::UserChanges;

const XSS: &str = "<script>alert(1)</script>";

/// A signed-in admin `$user`'s browser and the CSRF token of its forms.
macro_rules! session_of {
    ($svc:expr, $user:expr) => {{
        let mut browser = Browser::default();
        let _ = log_in!($svc, browser, $user, ADMIN_PASSWORD, "/admin/");
        let page = send!($svc, browser, get("/admin/applications/"));
        assert_eq!(page.status, StatusCode::OK);
        let csrf = field(&page.body, "csrf").expect("the sign-out form's csrf");
        (browser, csrf)
    }};
}

/// The application form for the test SP, with its Audience.
fn app_fields_for_sp<'a>(csrf: &'a str, name: &'a str, acs: &'a str) -> Vec<(&'a str, &'a str)> {
    with(app_fields(csrf, name, acs), "audience", AUDIENCE)
}

fn ec(curve: Nid) -> PKey<Private> {
    PKey::from_ec_key(EcKey::generate(&EcGroup::from_curve_name(curve).unwrap()).unwrap()).unwrap()
}

#[actix_web::test]
async fn a_demoted_or_deactivated_admin_loses_every_admin_page_at_once() {
    let f = fixture();
    add_user(&f, "root", true);
    add_user(&f, "ops", true);
    add_user(&f, "old", true);
    let svc = service!(f);
    let (mut ops, ops_csrf) = session_of!(svc, "ops");
    let (mut old, old_csrf) = session_of!(svc, "old");

    let demote = UserChanges {
        is_admin: Some(false),
        ..Default::default()
    };
    f.idp.store.update_user("ops", &demote).unwrap();
    let deactivate = UserChanges {
        is_active: Some(false),
        ..Default::default()
    };
    f.idp.store.update_user("old", &deactivate).unwrap();

    let page = send!(svc, ops, get("/admin/users/"));
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let fields = with(
        app_fields(&ops_csrf, "Evil", "https://evil.example/acs"),
        "audience",
        AUDIENCE,
    );
    let page = send!(svc, ops, post("/admin/applications/new/", &fields));
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let fields = [("csrf", ops_csrf.as_str()), ("active", "no")];
    let page = send!(svc, ops, post("/admin/users/root/active/", &fields));
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    let page = send!(svc, old, get("/admin/users/"));
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().starts_with("/login/"));
    let fields = [
        ("csrf", old_csrf.as_str()),
        ("email", "root@example.com"),
        ("is-active", "on"),
    ];
    let page = send!(svc, old, post("/admin/users/root/", &fields));
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().starts_with("/login/"));

    assert!(f.idp.store.application("evil").unwrap().is_none());
    let root = f.idp.store.user_by_username("root").unwrap().unwrap();
    assert!(root.is_active && root.is_admin);
}

#[actix_web::test]
async fn method_and_path_tricks_reach_no_admin_action() {
    let f = fixture();
    add_user(&f, "root", true);
    let svc = service!(f);
    let (mut browser, csrf) = session_of!(svc, "root");
    let c = csrf.as_str();

    // GET and HEAD at POST-only actions, with every field in the query.
    for (path, query) in [
        ("/admin/applications/chatgpt/delete/", format!("csrf={c}")),
        ("/admin/users/alice/active/", format!("csrf={c}&active=no")),
        (
            "/admin/users/alice/password/",
            format!("csrf={c}&password=pwned1234&password-again=pwned1234"),
        ),
        (
            "/admin/certificates/generate/",
            format!("csrf={c}&name=k9&common-name=x&valid-days=30"),
        ),
    ] {
        for method in [Method::GET, Method::HEAD, Method::PUT, Method::DELETE] {
            let req = TestRequest::default()
                .method(method.clone())
                .uri(&format!("{path}?{query}"))
                .peer_addr(PEER.parse().unwrap());
            let page = send!(svc, browser, req);
            // A GET of these two is a page: the one that asks first, the form.
            let asks = method == Method::GET
                && (path.ends_with("/delete/") || path.ends_with("/generate/"));
            assert!(
                page.status.is_client_error() || (asks && page.status == StatusCode::OK),
                "{method} {path}: {}",
                page.status
            );
        }
    }
    assert!(f.idp.store.application("chatgpt").unwrap().is_some());
    assert!(
        f.idp
            .store
            .user_by_username("alice")
            .unwrap()
            .unwrap()
            .is_active
    );
    assert_eq!(f.idp.store.list_keypairs().unwrap().len(), 1);
    let mut alice = Browser::default();
    assert_eq!(log_in!(svc, alice, "alice", PASSWORD, "/"), "/");

    // Paths around the admin pages: no page, or the admin check first.
    let mut anonymous = Browser::default();
    for path in [
        "/admin",
        "/admin/",
        "//admin/",
        "/admin//applications/",
        "/admin/../admin/users/",
        "/admin/%2e%2e/admin/users/",
        "/admin/applications%2Fchatgpt/",
        "/admin/applications/chatgpt%2Fedit/",
        "/admin/applications/chatgpt/certificate/extra",
        "/admin/applications/chatgpt/certificate/extra/",
        "/admin/users/alice/extra/",
        "/ADMIN/users/",
    ] {
        let page = send!(svc, anonymous, get(path));
        assert!(
            page.status == StatusCode::NOT_FOUND
                || (page.status == StatusCode::SEE_OTHER && page.location().starts_with("/login/")),
            "{path}: {} {}",
            page.status,
            page.body
        );
        assert!(!page.body.contains("BEGIN CERTIFICATE"), "{path}");
    }
}

#[actix_web::test]
async fn a_csrf_token_in_the_query_string_or_empty_is_refused() {
    let f = fixture();
    add_user(&f, "root", true);
    let svc = service!(f);
    let (mut browser, csrf) = session_of!(svc, "root");
    let path = format!("/admin/users/alice/active/?csrf={csrf}");
    let page = send!(svc, browser, post(&path, &[("active", "no")]));
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = send!(svc, browser, post(&path, &[("csrf", ""), ("active", "no")]));
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // Two tokens, the good one second: the form's first value counts.
    let page = send!(
        svc,
        browser,
        post(
            "/admin/users/alice/active/",
            &[("csrf", "x"), ("csrf", &csrf), ("active", "no")]
        )
    );
    assert!(page.status.is_client_error(), "{}", page.status);
    assert!(
        f.idp
            .store
            .user_by_username("alice")
            .unwrap()
            .unwrap()
            .is_active
    );
}

#[actix_web::test]
async fn markup_in_every_stored_value_is_shown_as_text_on_every_page() {
    let f = fixture();
    add_user(&f, "root", true);
    let svc = service!(f);
    let (mut browser, csrf) = session_of!(svc, "root");

    let fields = app_fields_for_sp(&csrf, XSS, ACS);
    let fields = with(fields, "default-relay-state", XSS);
    let fields = with(fields, "issuer", "urn:\"><script>alert(1)</script>");
    let fields = with(
        fields,
        "launch-url",
        "https://sp.example.test/?a=\"><script>alert(1)</script>",
    );
    let page = send!(
        svc,
        browser,
        post("/admin/applications/chatgpt/edit/", &fields)
    );
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let user = [
        ("csrf", csrf.as_str()),
        ("email", "alice@example.com"),
        ("given-name", XSS),
        ("family-name", "\"><img src=x onerror=alert(1)>"),
        ("is-active", "on"),
    ];
    let page = send!(svc, browser, post("/admin/users/alice/", &user));
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let key = rsa(2048);
    let cert = cert_pem(&key, XSS, 0, 365);
    let import = [
        ("csrf", csrf.as_str()),
        ("name", "hostile"),
        ("certificate", cert.as_str()),
        ("private-key", &key_pem(&key)),
    ];
    let page = send!(svc, browser, post("/admin/certificates/import/", &import));
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    // A login attempt with markup as the user name lands in the event log.
    let mut stranger = Browser::default();
    let login = send!(svc, stranger, get("/login/"));
    let body = login_body(&login.body, XSS, "wrong password");
    let req = TestRequest::post()
        .uri("/login/")
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(body);
    let page = send!(svc, stranger, req);
    assert!(!page.body.contains(XSS));

    for path in [
        "/admin/applications/",
        "/admin/providers/",
        "/admin/applications/chatgpt/",
        "/admin/applications/chatgpt/?user=alice",
        "/admin/applications/chatgpt/?user=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/admin/applications/chatgpt/edit/",
        "/admin/applications/chatgpt/delete/",
        "/admin/certificates/",
        "/admin/users/",
        "/admin/users/alice/",
        "/admin/events/",
        "/admin/events/?user=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/",
    ] {
        let page = send!(svc, browser, get(path));
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains("<script>alert"), "{path}");
        assert!(!page.body.contains("<img"), "{path}");
    }
    let page = send!(svc, browser, get("/admin/certificates/"));
    assert!(page.body.contains("CN=&#60;script&#62;") || page.body.contains("CN=&lt;script"));

    // The login page names the application being signed in to.
    let query = redirect_query(&Req::default().xml(), None);
    let page = send!(svc, Browser::default(), get(&sso_redirect_path(&query)));
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("to continue to"));
    assert!(!page.body.contains("<script>alert"));
}

#[actix_web::test]
async fn an_application_slug_that_names_an_admin_route_is_refused() {
    let f = fixture();
    add_user(&f, "root", true);
    let svc = service!(f);
    let (mut browser, csrf) = session_of!(svc, "root");
    for (name, slug) in [("Something", "new"), ("New", ""), ("Other", "NEW")] {
        let fields = with(
            app_fields_for_sp(&csrf, name, "https://sp.example.test/acs"),
            "slug",
            slug,
        );
        let page = send!(svc, browser, post("/admin/applications/new/", &fields));
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{name} {slug}");
        assert!(field_error(&page.body, "slug").is_some(), "{}", page.body);
    }
    let slugs: Vec<_> = f
        .idp
        .store
        .list_applications()
        .unwrap()
        .into_iter()
        .map(|a| a.slug)
        .collect();
    assert_eq!(slugs, ["chatgpt"]);
}

#[actix_web::test]
async fn an_application_slug_differing_only_by_case_is_refused() {
    let f = fixture();
    add_user(&f, "root", true);
    let svc = service!(f);
    let (mut browser, csrf) = session_of!(svc, "root");
    let fields = with(
        app_fields_for_sp(&csrf, "Lookalike", "https://evil.example/acs"),
        "slug",
        "ChatGPT",
    );
    let page = send!(svc, browser, post("/admin/applications/new/", &fields));
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(field_error(&page.body, "slug").unwrap().contains("chatgpt"));
    assert!(f.idp.store.application("ChatGPT").unwrap().is_none());
}

#[actix_web::test]
async fn a_username_that_names_an_admin_route_or_a_dot_segment_is_refused() {
    let f = fixture();
    add_user(&f, "root", true);
    let svc = service!(f);
    let (mut browser, csrf) = session_of!(svc, "root");
    for name in ["new", ".", ".."] {
        let fields = [
            ("csrf", csrf.as_str()),
            ("username", name),
            ("email", "x@example.com"),
            ("password", "long enough 1"),
            ("password-again", "long enough 1"),
        ];
        let page = send!(svc, browser, post("/admin/users/new/", &fields));
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(field_error(&page.body, "username").is_some(), "{name}");
        assert!(f.idp.store.user_by_username(name).unwrap().is_none());
    }
}

#[actix_web::test]
async fn an_encrypted_private_key_is_refused_as_encrypted_without_asking_for_a_passphrase() {
    let f = fixture();
    add_user(&f, "root", true);
    let svc = service!(f);
    let (mut browser, csrf) = session_of!(svc, "root");
    let key = rsa(2048);
    let cert = cert_pem(&key, "encrypted", 0, 365);
    let pkcs8 = key
        .private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), b"secret")
        .unwrap();
    let traditional = key
        .rsa()
        .unwrap()
        .private_key_to_pem_passphrase(Cipher::aes_128_cbc(), b"secret")
        .unwrap();
    let empty_pass = key
        .private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), b"")
        .unwrap();
    for (i, pem) in [pkcs8, traditional, empty_pass].iter().enumerate() {
        let name = format!("enc{i}");
        let pem = String::from_utf8(pem.clone()).unwrap();
        let fields = [
            ("csrf", csrf.as_str()),
            ("name", &name),
            ("certificate", &cert),
            ("private-key", &pem),
        ];
        let page = send!(svc, browser, post("/admin/certificates/import/", &fields));
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{name}");
        let message = field_error(&page.body, "private-key").expect("a message beside the key");
        assert!(message.contains("encrypted"), "{name}: {message}");
        assert!(!page.body.contains("PRIVATE KEY"));
        let key_file = f.dir.path().join(format!("data/keys/{name}.key.pem"));
        assert!(!key_file.exists());
    }
    assert_eq!(f.idp.store.list_keypairs().unwrap().len(), 1);
}

#[actix_web::test]
async fn unsupported_keys_and_odd_certificates_are_refused_writing_nothing() {
    let f = fixture();
    add_user(&f, "root", true);
    let svc = service!(f);
    let (mut browser, csrf) = session_of!(svc, "root");
    let dsa = PKey::from_dsa(Dsa::generate(2048).unwrap()).unwrap();
    let p384 = ec(Nid::SECP384R1);
    let good = rsa(2048);
    let good_cert = cert_pem(&good, "good", 0, 365);
    let two_certs = format!("{}{}", cert_pem(&rsa(2048), "first", 0, 365), good_cert);
    let cases = [
        (
            "dsa",
            cert_pem(&dsa, "dsa", 0, 365),
            key_pem(&dsa),
            "private-key",
        ),
        (
            "p384",
            cert_pem(&p384, "p384", 0, 365),
            key_pem(&p384),
            "private-key",
        ),
        ("garbage", "garbage".into(), key_pem(&good), "certificate"),
        (
            "garbage-key",
            good_cert.clone(),
            "garbage".into(),
            "private-key",
        ),
        // The key belongs to the second certificate, not the first one read.
        ("chain", two_certs, key_pem(&good), "private-key"),
        // A certificate pasted as the key.
        (
            "swapped",
            good_cert.clone(),
            good_cert.clone(),
            "private-key",
        ),
    ];
    for (name, cert, key, field_name) in &cases {
        let fields = [
            ("csrf", csrf.as_str()),
            ("name", name),
            ("certificate", cert),
            ("private-key", key),
        ];
        let page = send!(svc, browser, post("/admin/certificates/import/", &fields));
        assert_eq!(
            page.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            page.body
        );
        assert!(
            field_error(&page.body, field_name).is_some(),
            "{name}: {}",
            page.body
        );
        assert!(!page.body.contains("PRIVATE KEY"), "{name}");
        let key_file = f.dir.path().join(format!("data/keys/{name}.key.pem"));
        assert!(!key_file.exists(), "{name}");
    }
    assert_eq!(f.idp.store.list_keypairs().unwrap().len(), 1);
}

#[actix_web::test]
async fn unknown_or_malformed_ids_answer_4xx_never_500() {
    let f = fixture();
    add_user(&f, "root", true);
    let svc = service!(f);
    let (mut browser, csrf) = session_of!(svc, "root");
    let c = csrf.as_str();
    for path in [
        "/admin/applications/nope/",
        "/admin/applications/nope/edit/",
        "/admin/applications/nope/delete/",
        "/admin/applications/nope/certificate/",
        "/admin/applications/nope/metadata/",
        "/admin/applications/%FF/",
        "/admin/applications/%00/",
        "/admin/applications/chatgpt/?user=nobody",
        "/admin/users/nobody/",
        "/admin/users/%FF%FE/",
        "/admin/events/?before=abc",
        "/admin/events/?before=-1",
        "/admin/events/?before=99999999999999999999999",
        "/admin/events/?user=%FF",
    ] {
        let page = send!(svc, browser, get(path));
        assert!(
            page.status.is_client_error() || page.status == StatusCode::OK,
            "{path}: {}",
            page.status
        );
    }
    let app = app_fields_for_sp(c, "X", "https://x.example/acs");
    for (path, fields) in [
        ("/admin/applications/nope/edit/", app.clone()),
        ("/admin/applications/nope/delete/", vec![("csrf", c)]),
        (
            "/admin/users/nobody/",
            vec![("csrf", c), ("email", "n@example.com")],
        ),
        (
            "/admin/users/nobody/password/",
            vec![
                ("csrf", c),
                ("password", "long enough 1"),
                ("password-again", "long enough 1"),
            ],
        ),
        (
            "/admin/users/nobody/active/",
            vec![("csrf", c), ("active", "no")],
        ),
        (
            "/admin/users/alice/active/",
            vec![("csrf", c), ("active", "maybe")],
        ),
    ] {
        let page = send!(svc, browser, post(path, &fields));
        assert!(
            page.status.is_client_error(),
            "{path}: {} {}",
            page.status,
            page.body
        );
    }
    assert_eq!(f.idp.store.list_applications().unwrap().len(), 1);
}

#[actix_web::test]
async fn refused_forms_leave_every_field_as_it_was() {
    let f = fixture();
    add_user(&f, "root", true);
    let svc = service!(f);
    let (mut browser, csrf) = session_of!(svc, "root");
    let app_before = f.idp.store.application("chatgpt").unwrap().unwrap();
    let alice_before = f.idp.store.user_by_username("alice").unwrap().unwrap();

    // Every field changed, one of them refused.
    let fields = app_fields_for_sp(&csrf, "Renamed", "https://new.example/acs");
    let fields = with(fields, "audience", "https://new.example/sp");
    let fields = with(fields, "issuer", "other-issuer");
    let fields = with(fields, "sign-response", "on");
    let fields = with(fields, "default-relay-state", "/somewhere");
    let fields = with(fields, "sls-binding", "post");
    let fields = with(fields, "sls-url", "https://new.example/slo");
    let fields = with(fields, "enabled", "");
    let fields: Vec<_> = fields
        .into_iter()
        .filter(|(n, _)| *n != "enabled")
        .collect();
    let bad = with(fields, "launch-url", "https://new.example/\u{7}");
    let page = send!(
        svc,
        browser,
        post("/admin/applications/chatgpt/edit/", &bad)
    );
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(field_error(&page.body, "launch-url").is_some());
    assert_eq!(
        f.idp.store.application("chatgpt").unwrap().unwrap(),
        app_before
    );

    let user = [
        ("csrf", csrf.as_str()),
        ("email", "root@example.com"),
        ("given-name", "New"),
        ("family-name", "Name"),
        ("is-admin", "on"),
    ];
    let page = send!(svc, browser, post("/admin/users/alice/", &user));
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(field_error(&page.body, "email").unwrap().contains("taken"));
    assert_eq!(
        f.idp.store.user_by_username("alice").unwrap().unwrap(),
        alice_before
    );
}
