//! The administration pages driven over HTTP in-process, against a real
//! SQLite file and real keys: who may see them, every form's checks and
//! CSRF token, the downloads, and keypair imports that must be refused.

mod common;

use actix_web::http::StatusCode;
use common::admin_pages::*;
use common::*;

use signet::store::events::EventFilter;

fn add_admin(f: &Fixture) {
    add_user(f, "root", true);
}

/// A signed-in admin's browser and the CSRF token of its forms.
macro_rules! admin_session {
    ($svc:expr) => {{
        let mut browser = Browser::default();
        let to = log_in!($svc, browser, "root", ADMIN_PASSWORD, "/admin/");
        assert_eq!(to, "/admin/");
        let page = send!($svc, browser, get("/admin/applications/"));
        assert_eq!(page.status, StatusCode::OK);
        let csrf = field(&page.body, "csrf").expect("the sign-out form's csrf");
        (browser, csrf)
    }};
}

#[actix_web::test]
async fn anonymous_goes_to_the_login_page_and_back() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let mut browser = Browser::default();

    let page = send!(svc, browser, get("/admin/users/?done=x"));
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location(),
        "/login/?next=%2Fadmin%2Fusers%2F%3Fdone%3Dx"
    );

    let to = log_in!(svc, browser, "root", ADMIN_PASSWORD, "/admin/users/?done=x");
    assert_eq!(to, "/admin/users/?done=x");
    let page = send!(svc, browser, get(&to));
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Users</h1>"));

    let page = send!(svc, browser, get("/admin/"));
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/admin/applications/");
}

#[actix_web::test]
async fn login_next_leads_only_to_local_paths() {
    let f = fixture();
    let svc = service!(f);
    for next in [
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
        "javascript:x",
    ] {
        let mut browser = Browser::default();
        let to = log_in!(svc, browser, "alice", PASSWORD, next);
        assert_eq!(to, "/", "next {next:?}");
    }
}

#[actix_web::test]
async fn a_signed_in_user_without_the_admin_flag_gets_403() {
    let f = fixture();
    let svc = service!(f);
    let mut browser = Browser::default();
    let _ = log_in!(svc, browser, "alice", PASSWORD, "/admin/");
    for path in [
        "/admin/",
        "/admin/applications/",
        "/admin/users/",
        "/admin/events/",
        "/admin/applications/chatgpt/certificate/",
    ] {
        let page = send!(svc, browser, get(path));
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    let page = send!(
        svc,
        browser,
        post("/admin/applications/new/", &[("name", "x")])
    );
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn admin_pages_answer_with_a_strict_csp_and_no_cache() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, _) = admin_session!(svc);
    for path in [
        "/admin/applications/",
        "/admin/providers/",
        "/admin/applications/new/",
        "/admin/applications/chatgpt/",
        "/admin/applications/chatgpt/edit/",
        "/admin/applications/chatgpt/delete/",
        "/admin/certificates/",
        "/admin/certificates/generate/",
        "/admin/certificates/import/",
        "/admin/users/",
        "/admin/users/new/",
        "/admin/users/alice/",
        "/admin/events/",
    ] {
        let page = send!(svc, browser, get(path));
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let csp = page.header("content-security-policy");
        assert!(
            csp.contains("script-src 'sha256-") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(page.header("cache-control"), "no-store");
        assert!(
            page.body.contains("action=\"/logout/\""),
            "{path} has a sign-out form"
        );
        assert!(!page.body.contains(" style="), "{path} has inline style");
    }
}

#[actix_web::test]
async fn create_with_provider_refuses_bad_urls_beside_the_field_and_saves_nothing() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, csrf) = admin_session!(svc);

    for (acs, words) in [
        ("javascript:alert(1)", "not javascript:"),
        ("data:text/html,x", "not data:"),
        ("/relative/acs", "absolute"),
        ("http://sp.example.com/acs", "https"),
    ] {
        let fields = app_fields(&csrf, "Example SP", acs);
        let fields = with(fields, "launch-url", "ftp://x.example/");
        let page = send!(svc, browser, post("/admin/applications/new/", &fields));
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{acs}");
        let message = field_error(&page.body, "acs-url").expect("a message beside the ACS URL");
        assert!(message.contains(words), "{acs}: {message}");
        assert!(
            field_error(&page.body, "launch-url").is_some(),
            "every bad field is reported"
        );
        assert!(page.body.contains("Nothing was saved"));
        // The typed values come back.
        assert_eq!(field(&page.body, "name").as_deref(), Some("Example SP"));
        assert_eq!(field(&page.body, "acs-url").as_deref(), Some(acs));
    }
    let apps = f.idp.store.list_applications().unwrap();
    assert_eq!(apps.len(), 1, "only the fixture's application");
}

#[actix_web::test]
async fn create_with_provider_derives_the_slug_and_records_the_change() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, csrf) = admin_session!(svc);

    let fields = app_fields(&csrf, "Acme Wiki", "https://temp.temp");
    let fields = with(fields, "sign-response", "on");
    let page = send!(svc, browser, post("/admin/applications/new/", &fields));
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        page.location(),
        "/admin/applications/acme-wiki/?done=created"
    );
    let app = f.idp.store.application("acme-wiki").unwrap().unwrap();
    assert_eq!(app.acs_url, "https://temp.temp");
    assert!(app.sign_assertion && app.sign_response);
    assert_eq!(app.issuer, "authentik");

    // The same name again: the derived slug is taken, said beside the slug.
    let page = send!(svc, browser, post("/admin/applications/new/", &fields));
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(field_error(&page.body, "slug").unwrap().contains("exists"));

    let events = f
        .idp
        .store
        .list_events(&EventFilter {
            app_slug: Some("acme-wiki"),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(events[0].kind, "app_created");
    assert_eq!(events[0].username.as_deref(), Some("root"));
    assert_eq!(events[0].client_addr.as_deref(), Some("192.0.2.7"));
}

#[actix_web::test]
async fn every_form_refuses_a_missing_or_wrong_csrf_token() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, csrf) = admin_session!(svc);
    let app = app_fields("", "Other", "https://other.example/acs");
    let forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/admin/applications/new/", app.clone()),
        ("/admin/applications/chatgpt/edit/", app.clone()),
        ("/admin/applications/chatgpt/delete/", vec![]),
        (
            "/admin/certificates/generate/",
            vec![("name", "k2"), ("common-name", "x"), ("valid-days", "30")],
        ),
        ("/admin/certificates/import/", vec![("name", "k3")]),
        (
            "/admin/users/new/",
            vec![("username", "eve"), ("email", "eve@example.com")],
        ),
        ("/admin/users/alice/", vec![("email", "new@example.com")]),
        (
            "/admin/users/alice/password/",
            vec![
                ("password", "new password 1"),
                ("password-again", "new password 1"),
            ],
        ),
        ("/admin/users/alice/active/", vec![("active", "no")]),
    ];
    let wrong = format!("{}x", &csrf[..csrf.len() - 1]);
    for (path, fields) in forms {
        let fields: Vec<_> = fields.into_iter().filter(|(n, _)| *n != "csrf").collect();
        let page = send!(svc, browser, post(path, &fields));
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} without a token");
        let mut with_wrong = fields.clone();
        with_wrong.push(("csrf", &wrong));
        let page = send!(svc, browser, post(path, &with_wrong));
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{path} with a wrong token"
        );
        assert!(page.body.contains("security token"));
    }
    // Nothing changed.
    assert_eq!(f.idp.store.list_applications().unwrap().len(), 1);
    assert_eq!(f.idp.store.list_keypairs().unwrap().len(), 1);
    let alice = f.idp.store.user_by_username("alice").unwrap().unwrap();
    assert!(alice.is_active && alice.email == "alice@example.com");
    assert!(f.idp.store.user_by_username("eve").unwrap().is_none());

    // Another session's token is wrong too.
    let (_, other_csrf) = admin_session!(svc);
    assert_ne!(other_csrf, csrf);
    let fields = [("csrf", other_csrf.as_str()), ("active", "no")];
    let page = send!(svc, browser, post("/admin/users/alice/active/", &fields));
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn reconfigure_provider_reaches_the_sso_endpoint_on_the_next_request() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, csrf) = admin_session!(svc);
    let new_acs = "https://chatgpt.example/sso/saml/acs/xyz?connection=c1";
    let new_audience = "https://chatgpt.example/saml/sp";

    // A bad field: nothing changes, the message is beside the field.
    let fields = app_fields(&csrf, "ChatGPT", new_acs);
    let bad = with(
        with(fields.clone(), "sls-url", "http://sp.example.com/slo"),
        "audience",
        new_audience,
    );
    let page = send!(
        svc,
        browser,
        post("/admin/applications/chatgpt/edit/", &bad)
    );
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(field_error(&page.body, "sls-url")
        .unwrap()
        .contains("https"));
    assert_eq!(field(&page.body, "acs-url").as_deref(), Some(new_acs));
    assert_eq!(
        f.idp.store.application("chatgpt").unwrap().unwrap().acs_url,
        ACS
    );

    let good = with(fields, "audience", new_audience);
    let page = send!(
        svc,
        browser,
        post("/admin/applications/chatgpt/edit/", &good)
    );
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/admin/applications/chatgpt/?done=updated");
    let page = send!(svc, browser, get(page.location()));
    assert!(page.body.contains("The provider was updated"));
    assert!(page.body.contains(&new_acs.replace('&', "&#38;")) || page.body.contains(new_acs));

    // The next AuthnRequest from the new SP is accepted; the old one is not.
    let req = Req {
        acs: Some(new_acs.into()),
        issuer: Some(new_audience.into()),
        ..Default::default()
    };
    let mut sp_browser = Browser::default();
    let query = redirect_query(&req.xml(), None);
    let page = send!(svc, sp_browser, get(&sso_redirect_path(&query)));
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("name=\"password\""));
    let old = Req::default();
    let query = redirect_query(&old.xml(), None);
    let page = send!(svc, sp_browser, get(&sso_redirect_path(&query)));
    assert_eq!(page.status, StatusCode::BAD_REQUEST);

    let events = f
        .idp
        .store
        .list_events(&EventFilter {
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(events[0].kind, "app_updated");
    assert!(events[0].detail.as_deref().unwrap().contains(new_acs));
}

#[actix_web::test]
async fn provider_page_shows_the_wizard_values_and_an_attribute_preview() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, _) = admin_session!(svc);
    let page = send!(svc, browser, get("/admin/applications/chatgpt/?user=alice"));
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    assert!(
        b.contains("<code id=\"entity-id\" aria-labelledby=\"entity-id-label\">authentik</code>")
    );
    assert!(b.contains(&format!(
        "{BASE}/application/saml/chatgpt/sso/binding/redirect/"
    )));
    assert!(b.contains(&format!(
        "{BASE}/application/saml/chatgpt/slo/binding/redirect/"
    )));
    assert_eq!(b.matches("data-copy=").count(), 3);
    assert!(b.contains(">Download signing certificate</a>"));
    assert!(b.contains(">Download metadata</a>"));
    // The preview: NameID = email, WorkOS's names and the claim URIs.
    assert!(b.contains("<td>alice@example.com</td>"));
    for name in ["firstName", "lastName", "claims/givenname"] {
        assert!(b.contains(name), "{name}");
    }
    assert!(b.contains("<td>Alice</td>"));
}

#[actix_web::test]
async fn downloads_are_attachments_and_no_page_shows_a_private_key() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, _) = admin_session!(svc);

    let page = send!(
        svc,
        browser,
        get("/admin/applications/chatgpt/certificate/")
    );
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-type"), "application/x-pem-file");
    assert_eq!(
        page.header("content-disposition"),
        "attachment; filename=\"signet-self-signed_certificate.pem\""
    );
    let (pem, _) = f.idp.signing_certificate("chatgpt").unwrap();
    assert_eq!(page.body, pem);
    assert!(page.body.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(!page.body.contains("PRIVATE KEY"));

    let page = send!(svc, browser, get("/admin/applications/chatgpt/metadata/"));
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .header("content-type")
        .starts_with("application/samlmetadata+xml"));
    assert_eq!(
        page.header("content-disposition"),
        "attachment; filename=\"chatgpt_metadata.xml\""
    );
    assert!(page.body.contains("entityID=\"authentik\""));

    // Anonymous: no certificate, the login page instead.
    let page = send!(
        svc,
        Browser::default(),
        get("/admin/applications/chatgpt/certificate/")
    );
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    let keypair = f.idp.store.list_keypairs().unwrap().remove(0);
    let key_pem =
        std::fs::read_to_string(f.dir.path().join("data").join(&keypair.key_file)).unwrap();
    // A line of the private part (the PKCS#8 key also holds the public modulus,
    // which the certificate shows).
    let lines: Vec<&str> = key_pem.lines().collect();
    let key_line = lines[lines.len() - 2];
    for path in [
        "/admin/applications/",
        "/admin/applications/chatgpt/",
        "/admin/applications/chatgpt/edit/",
        "/admin/applications/chatgpt/certificate/",
        "/admin/applications/chatgpt/metadata/",
        "/admin/certificates/",
        "/admin/events/",
    ] {
        let page = send!(svc, browser, get(path));
        assert!(
            !page.body.contains(key_line),
            "{path} shows the private key"
        );
        assert!(!page.body.contains("PRIVATE KEY"), "{path}");
    }
}

#[actix_web::test]
async fn keypair_import_refuses_mismatched_weak_and_expired_pairs() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, csrf) = admin_session!(svc);
    let good = rsa(2048);
    let weak = rsa(1024);
    let cases = [
        (
            "mismatch",
            cert_pem(&good, "imported test", -1, 365),
            key_pem(&rsa(2048)),
            "private-key",
            "does not belong",
        ),
        (
            "rsa1024",
            cert_pem(&weak, "imported test", -1, 365),
            key_pem(&weak),
            "private-key",
            "1024 bits",
        ),
        (
            "expired",
            cert_pem(&good, "imported test", -400, -1),
            key_pem(&good),
            "certificate",
            "expired",
        ),
    ];
    for (name, cert, key, field_name, words) in &cases {
        let fields = [
            ("csrf", csrf.as_str()),
            ("name", name),
            ("certificate", cert),
            ("private-key", key),
        ];
        let page = send!(svc, browser, post("/admin/certificates/import/", &fields));
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{name}");
        let message =
            field_error(&page.body, field_name).unwrap_or_else(|| panic!("{name}: {}", page.body));
        assert!(message.contains(words), "{name}: {message}");
        // The key is never sent back, even to its owner.
        assert!(!page.body.contains("PRIVATE KEY"), "{name}");
        assert_eq!(field(&page.body, "name").as_deref(), Some(*name));
    }
    assert_eq!(f.idp.store.list_keypairs().unwrap().len(), 1);
    assert!(!f.dir.path().join("data/keys/mismatch.key.pem").exists());

    let cert = cert_pem(&good, "imported test", -1, 30);
    let key = key_pem(&good);
    let fields = [
        ("csrf", csrf.as_str()),
        ("name", "imported-2026"),
        ("certificate", &cert),
        ("private-key", &key),
    ];
    let page = send!(svc, browser, post("/admin/certificates/import/", &fields));
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = send!(svc, browser, get("/admin/certificates/"));
    assert!(page.body.contains("imported-2026"));
    assert!(page.body.contains("CN=imported test"));
    assert!(page.body.contains("expires in 29 days") || page.body.contains("expires in 30 days"));
    assert!(!page.body.contains("PRIVATE KEY"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(f.dir.path().join("data/keys/imported-2026.key.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // The new keypair signs for an application at once.
    let fields = with(
        app_fields(&csrf, "ChatGPT", ACS),
        "keypair",
        "imported-2026",
    );
    let fields = with(fields, "audience", AUDIENCE);
    let page = send!(
        svc,
        browser,
        post("/admin/applications/chatgpt/edit/", &fields)
    );
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = send!(
        svc,
        browser,
        get("/admin/applications/chatgpt/certificate/")
    );
    assert_eq!(
        page.header("content-disposition"),
        "attachment; filename=\"imported-2026_certificate.pem\""
    );
    assert_eq!(page.body, cert);
}

#[actix_web::test]
async fn generating_a_keypair_checks_its_fields() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, csrf) = admin_session!(svc);
    let bad = [
        ("csrf", csrf.as_str()),
        ("name", "../etc"),
        ("common-name", "x"),
        ("valid-days", "99999"),
    ];
    let page = send!(svc, browser, post("/admin/certificates/generate/", &bad));
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(field_error(&page.body, "name").is_some());
    assert!(field_error(&page.body, "valid-days").is_some());
    let ok = [
        ("csrf", csrf.as_str()),
        ("name", "rollover"),
        ("common-name", "signet 2"),
        ("valid-days", "60"),
    ];
    let page = send!(svc, browser, post("/admin/certificates/generate/", &ok));
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = send!(svc, browser, get("/admin/certificates/"));
    assert!(page.body.contains("CN=signet 2"));
    assert!(
        page.body.contains("badge-warn"),
        "60 days is under the 90-day warning"
    );
}

#[actix_web::test]
async fn users_are_created_edited_given_passwords_and_deactivated() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, csrf) = admin_session!(svc);
    let c = csrf.as_str();

    let bad = [
        ("csrf", c),
        ("username", "bob smith"),
        ("email", "bob"),
        ("password", "short"),
        ("password-again", "other"),
    ];
    let page = send!(svc, browser, post("/admin/users/new/", &bad));
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    for field_name in ["username", "email", "password-again"] {
        assert!(
            field_error(&page.body, field_name).is_some(),
            "{field_name}"
        );
    }
    assert!(
        !page.body.contains("value=\"short\""),
        "passwords are never sent back"
    );
    assert!(f.idp.store.user_by_username("bob smith").unwrap().is_none());

    let short = [
        ("csrf", c),
        ("username", "bob"),
        ("email", "bob@example.com"),
        ("password", "short"),
        ("password-again", "short"),
    ];
    let page = send!(svc, browser, post("/admin/users/new/", &short));
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(field_error(&page.body, "password")
        .unwrap()
        .contains("shorter"));

    let good = [
        ("csrf", c),
        ("username", "bob"),
        ("email", "bob@example.com"),
        ("given-name", "Bob"),
        ("password", "bob's password"),
        ("password-again", "bob's password"),
    ];
    let page = send!(svc, browser, post("/admin/users/new/", &good));
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let dup = [
        ("csrf", c),
        ("username", "bob2"),
        ("email", "BOB@example.com"),
        ("password", "bob's password"),
        ("password-again", "bob's password"),
    ];
    let page = send!(svc, browser, post("/admin/users/new/", &dup));
    assert!(field_error(&page.body, "email").unwrap().contains("taken"));

    let edit = [
        ("csrf", c),
        ("email", "not an email"),
        ("given-name", "Robert"),
        ("is-active", "on"),
    ];
    let page = send!(svc, browser, post("/admin/users/bob/", &edit));
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        f.idp
            .store
            .user_by_username("bob")
            .unwrap()
            .unwrap()
            .given_name
            .as_deref(),
        Some("Bob")
    );
    let edit = [
        ("csrf", c),
        ("email", "robert@example.com"),
        ("given-name", "Robert"),
        ("is-admin", "on"),
        ("is-active", "on"),
    ];
    let page = send!(svc, browser, post("/admin/users/bob/", &edit));
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let bob = f.idp.store.user_by_username("bob").unwrap().unwrap();
    assert_eq!(
        (bob.email.as_str(), bob.given_name.as_deref(), bob.is_admin),
        ("robert@example.com", Some("Robert"), true)
    );

    let pw = [
        ("csrf", c),
        ("password", "a new password"),
        ("password-again", "a new password"),
    ];
    let page = send!(svc, browser, post("/admin/users/bob/password/", &pw));
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let mut bob_browser = Browser::default();
    assert_eq!(log_in!(svc, bob_browser, "bob", "a new password", "/"), "/");

    // Deactivating ends bob's session at once.
    let page = send!(
        svc,
        browser,
        post("/admin/users/bob/active/", &[("csrf", c), ("active", "no")])
    );
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = send!(svc, bob_browser, get("/"));
    assert_eq!(page.status, StatusCode::SEE_OTHER, "bob's session is gone");
    assert!(
        !f.idp
            .store
            .user_by_username("bob")
            .unwrap()
            .unwrap()
            .is_active
    );

    // An admin cannot lock themselves out.
    let page = send!(
        svc,
        browser,
        post(
            "/admin/users/root/active/",
            &[("csrf", c), ("active", "no")],
        )
    );
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let me = [
        ("csrf", c),
        ("email", "root@example.com"),
        ("is-active", "on"),
    ];
    let page = send!(svc, browser, post("/admin/users/root/", &me));
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(field_error(&page.body, "is-admin").is_some());
    assert!(
        f.idp
            .store
            .user_by_username("root")
            .unwrap()
            .unwrap()
            .is_admin
    );
}

#[actix_web::test]
async fn events_list_changes_and_sign_ins_newest_first_with_filters() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, csrf) = admin_session!(svc);
    let mut alice = Browser::default();
    let _ = log_in!(svc, alice, "alice", PASSWORD, "/");
    let fields = with(
        app_fields(&csrf, "ChatGPT", "https://temp.temp"),
        "audience",
        AUDIENCE,
    );
    send!(
        svc,
        browser,
        post("/admin/applications/chatgpt/edit/", &fields)
    );

    let page = send!(svc, browser, get("/admin/events/"));
    let b = &page.body;
    let updated = b.find("<code>app_updated</code>").unwrap();
    let login = b.find("<code>login</code>").unwrap();
    assert!(updated < login, "newest first");

    let page = send!(svc, browser, get("/admin/events/?user=alice"));
    assert!(page.body.contains("<code>login</code>"));
    assert!(!page.body.contains("app_updated"));
    let page = send!(svc, browser, get("/admin/events/?app=chatgpt"));
    assert!(page.body.contains("app_updated"));
    assert!(!page.body.contains("<code>login</code>"));
}

#[actix_web::test]
async fn deleting_an_application_asks_first() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, csrf) = admin_session!(svc);
    let page = send!(svc, browser, get("/admin/applications/chatgpt/delete/"));
    assert!(page.body.contains("cannot be undone"));
    assert!(f.idp.store.application("chatgpt").unwrap().is_some());
    let page = send!(
        svc,
        browser,
        post("/admin/applications/chatgpt/delete/", &[("csrf", &csrf)])
    );
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(f.idp.store.application("chatgpt").unwrap().is_none());
    let page = send!(svc, browser, get("/admin/applications/chatgpt/"));
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn home_page_lists_launch_links() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, csrf) = admin_session!(svc);
    let mut alice = Browser::default();
    let _ = log_in!(svc, alice, "alice", PASSWORD, "/");
    let page = send!(svc, alice, get("/"));
    assert!(page.body.contains(&format!(
        "{BASE}/application/saml/chatgpt/sso/binding/init/"
    )));

    let launch = "https://chatgpt.com/auth/login?sso=1";
    let fields = with(app_fields(&csrf, "ChatGPT", ACS), "launch-url", launch);
    let fields = with(fields, "audience", AUDIENCE);
    let page = send!(
        svc,
        browser,
        post("/admin/applications/chatgpt/edit/", &fields)
    );
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = send!(svc, alice, get("/"));
    assert!(page.body.contains(&launch.replace('&', "&#38;")) || page.body.contains(launch));
}

/// The contents of the page's `<textarea name="{name}">`, unescaped.
fn textarea(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("<textarea id=\"{name}\" name=\"{name}\""))?;
    let open = start + html[start..].find('>')? + 1;
    let close = open + html[open..].find("</textarea>")?;
    Some(html_unescape(&html[open..close]))
}

#[actix_web::test]
async fn additional_acs_urls_refuse_a_bad_line_beside_the_field_and_save_nothing() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, csrf) = admin_session!(svc);
    let before = f.idp.store.application("chatgpt").unwrap().unwrap();

    for (lines, words) in [
        (
            "https://staging.example/acs\njavascript:alert(1)",
            "not javascript:",
        ),
        (
            "https://staging.example/acs\r\ndata:text/html,x",
            "not data:",
        ),
        ("https://staging.example/acs\n/relative", "absolute"),
        ("http://sp.example.com/acs", "https"),
        (ACS, "already the ACS URL"),
        (
            "https://staging.example/acs\nhttps://staging.example/acs",
            "listed twice",
        ),
    ] {
        // Creating: nothing is created.
        let fields = app_fields(&csrf, "Example SP", "https://sp.example.com/acs");
        let fields = with(fields, "additional-acs-urls", lines);
        let fields = if words == "already the ACS URL" {
            with(fields, "acs-url", ACS)
        } else {
            fields
        };
        let page = send!(svc, browser, post("/admin/applications/new/", &fields));
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{lines}");
        let message = field_error(&page.body, "additional-acs-urls")
            .unwrap_or_else(|| panic!("no message beside the field for {lines:?}"));
        assert!(message.contains(words), "{lines}: {message}");
        assert!(page.body.contains("Nothing was saved"));
        assert!(page.body.contains("aria-invalid=\"true\""));
        assert_eq!(
            textarea(&page.body, "additional-acs-urls").as_deref(),
            Some(lines),
            "the typed lines come back"
        );
        assert!(f.idp.store.application("example-sp").unwrap().is_none());

        // Reconfiguring: nothing changes, not even the other fields.
        let fields = app_fields(&csrf, "Renamed", ACS);
        let fields = with(fields, "additional-acs-urls", lines);
        let page = send!(
            svc,
            browser,
            post("/admin/applications/chatgpt/edit/", &fields)
        );
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{lines}");
        assert!(field_error(&page.body, "additional-acs-urls")
            .unwrap()
            .contains(words));
        assert_eq!(f.idp.store.application("chatgpt").unwrap().unwrap(), before);
    }
    assert_eq!(f.idp.store.list_applications().unwrap().len(), 1);
}

#[actix_web::test]
async fn additional_acs_urls_are_saved_one_a_line_shown_and_accepted_by_sso() {
    let f = fixture();
    add_admin(&f);
    let svc = service!(f);
    let (mut browser, csrf) = admin_session!(svc);
    let staging = "https://staging.sp.example.test/acs?connection=c&env=staging";
    let eu = "https://eu.sp.example.test/acs";

    // Blank lines, CRLF and surrounding spaces are not URLs.
    let lines = format!("\r\n  {staging}  \r\n\r\n{eu}\r\n");
    let fields = app_fields(&csrf, "ChatGPT", ACS);
    let fields = with(fields, "audience", AUDIENCE);
    let fields = with(fields, "additional-acs-urls", &lines);
    let page = send!(
        svc,
        browser,
        post("/admin/applications/chatgpt/edit/", &fields)
    );
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let app = f.idp.store.application("chatgpt").unwrap().unwrap();
    assert_eq!(app.acs_url, ACS);
    assert_eq!(app.additional_acs_urls, [staging, eu]);

    // The provider page lists them; the edit form shows them one a line.
    let page = send!(svc, browser, get("/admin/applications/chatgpt/"));
    let start = page.body.find("<dt>Additional ACS URLs</dt>").unwrap();
    let end = start + page.body[start..].find("</dd>").unwrap();
    let text = html_unescape(&page.body[start..end]);
    assert!(
        text.contains(&format!("<li><code>{staging}</code></li>")),
        "{text}"
    );
    assert!(text.contains(&format!("<li><code>{eu}</code></li>")));
    let page = send!(svc, browser, get("/admin/applications/chatgpt/edit/"));
    assert_eq!(
        textarea(&page.body, "additional-acs-urls").unwrap(),
        format!("{staging}\n{eu}")
    );

    let events = f
        .idp
        .store
        .list_events(&EventFilter {
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert!(events[0].detail.as_deref().unwrap().contains(staging));

    // The next request naming one of them gets the login page.
    let req = Req {
        acs: Some(staging.into()),
        ..Default::default()
    };
    let mut sp_browser = Browser::default();
    let page = send!(
        svc,
        sp_browser,
        get(&sso_redirect_path(&redirect_query(&req.xml(), None)))
    );
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("name=\"password\""));

    // An empty box clears them.
    let fields = with(fields, "additional-acs-urls", "");
    let page = send!(
        svc,
        browser,
        post("/admin/applications/chatgpt/edit/", &fields)
    );
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let app = f.idp.store.application("chatgpt").unwrap().unwrap();
    assert!(app.additional_acs_urls.is_empty());

    // Created with them.
    let fields = app_fields(&csrf, "Wiki", "https://wiki.example/acs");
    let fields = with(fields, "additional-acs-urls", eu);
    let page = send!(svc, browser, post("/admin/applications/new/", &fields));
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let app = f.idp.store.application("wiki").unwrap().unwrap();
    assert_eq!(app.additional_acs_urls, [eu]);
}
