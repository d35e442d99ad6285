//! Helpers for the admin-page tests: a page with its headers, requests from
//! a fixed client address, the application form's fields, and keys and
//! certificates to import.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::test::{read_body, TestRequest};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509Builder, X509NameBuilder};

use signet::admin::{self, UserInput};
use signet::password::Password;

use super::{html_unescape, Browser, Fixture};

/// Every test user's password.
pub const ADMIN_PASSWORD: &str = "admin password 123";
/// Where the test's requests come from, as the event log shows it.
pub const PEER: &str = "192.0.2.7:50000";

pub struct AdminPage {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl AdminPage {
    pub fn location(&self) -> &str {
        self.header("location")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name}"))
            .to_str()
            .unwrap()
    }
}

pub async fn page_of<B>(resp: ServiceResponse<B>, browser: &mut Browser) -> AdminPage
where
    B: MessageBody,
    B::Error: std::fmt::Debug,
{
    browser.keep(&resp);
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = String::from_utf8_lossy(&read_body(resp).await).into_owned();
    AdminPage {
        status,
        headers,
        body,
    }
}

/// Sends `req` with the browser's cookies and keeps the ones it gets.
#[macro_export]
macro_rules! send {
    ($svc:expr, $browser:expr, $req:expr) => {{
        let resp = actix_web::test::call_service(&$svc, $browser.apply($req).to_request()).await;
        $crate::common::admin_pages::page_of(resp, &mut $browser).await
    }};
}

/// Logs in through `/login/?next=...`; evaluates to where the browser was sent.
#[macro_export]
macro_rules! log_in {
    ($svc:expr, $browser:expr, $user:expr, $password:expr, $next:expr) => {{
        use $crate::common::admin_pages::get;
        let next: String = url::form_urlencoded::byte_serialize($next.as_bytes()).collect();
        let page = $crate::send!($svc, $browser, get(&format!("/login/?next={next}")));
        assert_eq!(page.status, actix_web::http::StatusCode::OK);
        let body = $crate::common::login_body(&page.body, $user, $password);
        let req = actix_web::test::TestRequest::post()
            .uri("/login/")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body);
        let resp = $crate::send!($svc, $browser, req);
        assert_eq!(
            resp.status,
            actix_web::http::StatusCode::SEE_OTHER,
            "{}",
            resp.body
        );
        resp.location().to_owned()
    }};
}

pub fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri).peer_addr(PEER.parse().unwrap())
}

pub fn post(uri: &str, fields: &[(&str, &str)]) -> TestRequest {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    TestRequest::post()
        .uri(uri)
        .peer_addr(PEER.parse().unwrap())
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(body)
}

/// Adds `username` (email `username@example.com`) with [`ADMIN_PASSWORD`].
pub fn add_user(f: &Fixture, username: &str, is_admin: bool) {
    admin::add_user(
        &f.idp.store,
        UserInput {
            username: username.into(),
            email: format!("{username}@example.com"),
            is_admin,
            ..Default::default()
        },
        &Password::new(ADMIN_PASSWORD.into()),
    )
    .unwrap();
}

/// The "Create with provider" form as an administrator fills it in.
pub fn app_fields<'a>(csrf: &'a str, name: &'a str, acs: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("name", name),
        ("slug", ""),
        ("provider", "saml"),
        ("acs-url", acs),
        ("audience", ""),
        ("issuer", "authentik"),
        ("keypair", "signet-self-signed"),
        ("sign-assertion", "on"),
        ("sls-url", ""),
        ("sls-binding", "redirect"),
        ("default-relay-state", ""),
        (
            "name-id-format",
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        ),
        ("sp-cert", ""),
        ("launch-url", ""),
        ("enabled", "on"),
    ]
}

/// `fields` with `name` set to `value`.
pub fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    name: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    match fields.iter_mut().find(|f| f.0 == name) {
        Some(f) => f.1 = value,
        None => fields.push((name, value)),
    }
    fields
}

/// The message shown beside `field`, if any.
pub fn field_error(html: &str, field: &str) -> Option<String> {
    let marker = format!("class=\"field-error\" id=\"{field}-error\">");
    let start = html.find(&marker)? + marker.len();
    Some(html_unescape(
        &html[start..start + html[start..].find("</p>").unwrap()],
    ))
}

pub fn rsa(bits: u32) -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap()
}

pub fn key_pem(key: &PKey<Private>) -> String {
    String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap()
}

/// A self-signed certificate for `key` with subject `CN=cn`, valid from
/// `from` to `to` days from now.
pub fn cert_pem(key: &PKey<Private>, cn: &str, from: i64, to: i64) -> String {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(42).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    b.set_not_before(&Asn1Time::from_unix(now + from * 86_400).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + to * 86_400).unwrap())
        .unwrap();
    b.set_pubkey(key).unwrap();
    b.sign(key, MessageDigest::sha256()).unwrap();
    String::from_utf8(b.build().to_pem().unwrap()).unwrap()
}
