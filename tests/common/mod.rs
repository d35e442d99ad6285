//! Shared set-up for the in-process HTTP tests: a real SQLite file and real
//! keys in a temporary data directory, the real actix app, and a tiny
//! browser that keeps cookies.
#![allow(dead_code, unused_macros)]

pub mod admin_pages;

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use actix_web::dev::ServiceResponse;
use actix_web::test::TestRequest;
use base64::Engine as _;
use flate2::write::DeflateEncoder;
use flate2::Compression;

use signet::admin::{self, AppInput, UserInput};
use signet::config::Config;
use signet::idp::Idp;
use signet::password::Password;

pub const ACS: &str = "https://sp.example.test/sso/saml/acs/abc?connection=conn_01";
pub const AUDIENCE: &str = "https://sp.example.test/saml/metadata";
pub const BASE: &str = "http://idp.example.test";
pub const PASSWORD: &str = "correct horse battery";

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub idp: Arc<Idp>,
}

/// A started signet (database, keys) with user `alice` and application `chatgpt`.
pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "listen = \"127.0.0.1:0\"\nexternal_url = \"{BASE}\"\ndata_dir = \"{}\"\n",
        dir.path().join("data").display()
    );
    let config = Config::from_parts(&toml, None, &[]).unwrap();
    let idp = signet::server::prepare(config).unwrap();
    admin::add_user(
        &idp.store,
        UserInput {
            username: "alice".into(),
            email: "alice@example.com".into(),
            given_name: Some("Alice".into()),
            family_name: Some("Doe".into()),
            is_admin: false,
        },
        &Password::new(PASSWORD.into()),
    )
    .unwrap();
    admin::create_app(
        &idp.store,
        AppInput {
            slug: "chatgpt".into(),
            name: "ChatGPT".into(),
            acs_url: ACS.into(),
            audience: Some(AUDIENCE.into()),
            sls_url: None,
        },
    )
    .unwrap();
    Fixture { dir, idp }
}

/// Gives application `slug` a fresh SP certificate, so that it requires
/// signed requests from now on; returns the SP's key and its private key PEM.
pub fn require_signed_requests(
    f: &Fixture,
    slug: &str,
) -> (signet::saml::signing::SigningKey, Vec<u8>) {
    let (key, key_pem, cert) =
        signet::saml::signing::SigningKey::generate_self_signed("sp", 1).unwrap();
    admin::update_app(
        &f.idp.store,
        slug,
        admin::AppUpdate {
            sp_cert_pem: Some(String::from_utf8(cert).unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    (key, key_pem)
}

/// Builds the actix app exactly as `signet serve` does.
#[macro_export]
macro_rules! service {
    ($fixture:expr) => {
        actix_web::test::init_service(signet::web::app($fixture.idp.clone())).await
    };
}

/// Options of a test AuthnRequest; `Default` is what ChatGPT sends.
pub struct Req {
    pub id: String,
    pub issuer: Option<String>,
    pub acs: Option<String>,
    pub destination: Option<String>,
    pub binding: Option<String>,
    pub issue_instant: String,
    pub extra_attrs: String,
    pub children: String,
}

impl Default for Req {
    fn default() -> Self {
        Self {
            id: signet::saml::ids::new_id(),
            issuer: Some(AUDIENCE.into()),
            acs: Some(ACS.into()),
            destination: None,
            binding: Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST".into()),
            issue_instant: signet::saml::time::format(time::OffsetDateTime::now_utc()),
            extra_attrs: String::new(),
            children: String::new(),
        }
    }
}

pub fn xml_attr_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

impl Req {
    pub fn xml(&self) -> String {
        let mut attrs = format!(
            "ID=\"{}\" Version=\"2.0\" IssueInstant=\"{}\"",
            self.id, self.issue_instant
        );
        if let Some(acs) = &self.acs {
            attrs.push_str(&format!(
                " AssertionConsumerServiceURL=\"{}\"",
                xml_attr_escape(acs)
            ));
        }
        if let Some(d) = &self.destination {
            attrs.push_str(&format!(" Destination=\"{}\"", xml_attr_escape(d)));
        }
        if let Some(b) = &self.binding {
            attrs.push_str(&format!(" ProtocolBinding=\"{b}\""));
        }
        attrs.push_str(&self.extra_attrs);
        let issuer = self
            .issuer
            .as_ref()
            .map(|i| format!("<saml:Issuer>{}</saml:Issuer>", xml_attr_escape(i)))
            .unwrap_or_default();
        format!(
            "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
             xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" {attrs}>{issuer}\
             <samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\" \
             AllowCreate=\"true\"/>{}</samlp:AuthnRequest>",
            self.children
        )
    }
}

pub fn deflate_b64(xml: &str) -> String {
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
    enc.write_all(xml.as_bytes()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(enc.finish().unwrap())
}

pub fn pct(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `SAMLRequest=..[&RelayState=..]` for the redirect binding.
pub fn redirect_query(xml: &str, relay_state: Option<&str>) -> String {
    let mut q = format!("SAMLRequest={}", pct(&deflate_b64(xml)));
    if let Some(rs) = relay_state {
        q.push_str(&format!("&RelayState={}", pct(rs)));
    }
    q
}

pub fn sso_redirect_path(query: &str) -> String {
    format!("/application/saml/chatgpt/sso/binding/redirect/?{query}")
}

/// A browser's cookie jar.
#[derive(Default)]
pub struct Browser {
    pub cookies: HashMap<String, String>,
}

impl Browser {
    pub fn apply(&self, mut req: TestRequest) -> TestRequest {
        for (k, v) in &self.cookies {
            req = req.cookie(actix_web::cookie::Cookie::new(k.clone(), v.clone()));
        }
        req
    }

    pub fn keep<B>(&mut self, resp: &ServiceResponse<B>) {
        for c in resp.response().cookies() {
            self.cookies
                .insert(c.name().to_owned(), c.value().to_owned());
        }
    }
}

/// Undoes askama's HTML escaping.
pub fn html_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').unwrap();
        let entity = &tail[1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            e if e.starts_with("#x") => {
                char::from_u32(u32::from_str_radix(&e[2..], 16).unwrap()).unwrap()
            }
            e if e.starts_with('#') => char::from_u32(e[1..].parse().unwrap()).unwrap(),
            other => panic!("unknown entity {other}"),
        };
        out.push(c);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `(name, value)` of every `<input>` in the page, values unescaped.
pub fn inputs(html: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for part in html.split("<input").skip(1) {
        let tag = &part[..part.find('>').unwrap()];
        let get = |attr: &str| {
            let key = format!("{attr}=\"");
            tag.find(&key).map(|i| {
                let v = &tag[i + key.len()..];
                html_unescape(&v[..v.find('"').unwrap()])
            })
        };
        if let Some(name) = get("name") {
            found.push((name, get("value").unwrap_or_default()));
        }
    }
    found
}

pub fn field(html: &str, name: &str) -> Option<String> {
    inputs(html)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// The `action` of the page's first form.
pub fn form_action(html: &str) -> String {
    let i = html.find("<form").unwrap();
    let tag = &html[i..i + html[i..].find('>').unwrap()];
    let a = tag.find("action=\"").unwrap() + 8;
    html_unescape(&tag[a..a + tag[a..].find('"').unwrap()])
}

/// The Response XML carried by an auto-post page.
pub fn saml_response(html: &str) -> String {
    let b64 = field(html, "SAMLResponse").expect("page carries a SAMLResponse");
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap()
}

/// The body of a login form filled in with `username` and `password`.
pub fn login_body(login_page: &str, username: &str, password: &str) -> String {
    let mut fields: Vec<(String, String)> = inputs(login_page)
        .into_iter()
        .filter(|(n, _)| n != "username" && n != "password")
        .collect();
    fields.push(("username".into(), username.into()));
    fields.push(("password".into(), password.into()));
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// The value of XML attribute `name` in `xml` (first occurrence).
pub fn xml_attr(xml: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let i = xml.find(&key)? + key.len();
    Some(xml[i..i + xml[i..].find('"')?].to_owned())
}

/// A LogoutRequest as an SP sends it.
pub fn logout_request_xml(issuer: &str, name_id: &str, session_index: Option<&str>) -> String {
    let now = signet::saml::time::format(time::OffsetDateTime::now_utc());
    let index = session_index
        .map(|s| format!("<samlp:SessionIndex>{s}</samlp:SessionIndex>"))
        .unwrap_or_default();
    format!(
        "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{}\" Version=\"2.0\" \
         IssueInstant=\"{now}\"><saml:Issuer>{issuer}</saml:Issuer>\
         <saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">{name_id}\
         </saml:NameID>{index}</samlp:LogoutRequest>",
        signet::saml::ids::new_id()
    )
}

/// A LogoutResponse as an SP sends it.
pub fn logout_response_xml(issuer: &str, in_response_to: &str, status: &str) -> String {
    let now = signet::saml::time::format(time::OffsetDateTime::now_utc());
    format!(
        "<samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{}\" Version=\"2.0\" \
         IssueInstant=\"{now}\" InResponseTo=\"{in_response_to}\">\
         <saml:Issuer>{issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"{status}\"/>\
         </samlp:Status></samlp:LogoutResponse>",
        signet::saml::ids::new_id()
    )
}

/// A response as a test reads it.
pub struct Page {
    pub status: actix_web::http::StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    pub fn has_login_form(&self) -> bool {
        self.body.contains("name=\"password\"")
    }
}

/// Sends `req` with the browser's cookies, keeps the cookies it sets, and
/// reads the whole answer.
pub async fn visit<S, B>(svc: &S, browser: &mut Browser, req: TestRequest) -> Page
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
    B::Error: std::fmt::Debug,
{
    let resp = actix_web::test::call_service(svc, browser.apply(req).to_request()).await;
    browser.keep(&resp);
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = actix_web::test::read_body(resp).await;
    Page {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// A urlencoded POST of `body` to `uri`.
pub fn form_post(uri: &str, body: String) -> TestRequest {
    TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(body)
}

/// Submits the login form of `login_page` as `username`.
pub async fn submit_login<S, B>(
    svc: &S,
    browser: &mut Browser,
    login_page: &str,
    username: &str,
    password: &str,
) -> Page
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
    B::Error: std::fmt::Debug,
{
    let body = login_body(login_page, username, password);
    visit(svc, browser, form_post("/login/", body)).await
}

/// Sends `req` by the redirect binding to `slug`; when the login page comes,
/// logs in as alice. Returns the final page (the auto-post form).
pub async fn sign_in_as_alice<S, B>(
    svc: &S,
    browser: &mut Browser,
    slug: &str,
    req: &Req,
    relay_state: Option<&str>,
) -> Page
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
    B::Error: std::fmt::Debug,
{
    let query = redirect_query(&req.xml(), relay_state);
    let uri = format!("/application/saml/{slug}/sso/binding/redirect/?{query}");
    let first = visit(svc, browser, TestRequest::get().uri(&uri)).await;
    assert_eq!(
        first.status,
        actix_web::http::StatusCode::OK,
        "{}",
        first.body
    );
    if !first.has_login_form() {
        return first;
    }
    let page = submit_login(svc, browser, &first.body, "alice", PASSWORD).await;
    assert_eq!(
        page.status,
        actix_web::http::StatusCode::OK,
        "{}",
        page.body
    );
    page
}
