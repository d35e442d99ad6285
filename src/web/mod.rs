//! HTTP: routes, cookies and pages. Handlers extract what arrived, call the
//! [`crate::idp`] flows off the async threads, and render the result; none
//! of them reads or writes XML.

mod admin;
mod error;
mod login;
pub mod pages;
mod saml;
mod slo;

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

pub use error::WebError;

use crate::idp::Idp;
use crate::secret::Token;

/// The session cookie: a bearer token, so HttpOnly, SameSite=Lax.
pub const SESSION_COOKIE: &str = "signet_session";
/// Binds login flows to the browser that started them.
pub const BROWSER_COOKIE: &str = "signet_browser";
/// Largest accepted form body (SAML Bindings 3.5 POST, login).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// Shared state handed to every handler.
pub type State = web::Data<Arc<Idp>>;

/// Registers every route on an actix `App` or scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_FORM_BYTES))
        .app_data(
            web::FormConfig::default()
                .limit(MAX_FORM_BYTES)
                .error_handler(|e, _| refused("the form could not be read", e)),
        )
        .app_data(
            web::QueryConfig::default()
                .error_handler(|e, _| refused("the address could not be read", e)),
        )
        .route("/", web::get().to(login::home))
        .route("/login/", web::get().to(login::show))
        .route("/login/", web::post().to(login::submit))
        .route("/logout/", web::post().to(slo::logout))
        .route("/-/health/", web::get().to(health))
        .configure(admin::configure)
        .route("/static/signet.css", web::get().to(stylesheet))
        .service(
            web::scope("/application/saml/{slug}")
                .route("/sso/binding/redirect/", web::get().to(saml::sso_redirect))
                .route("/sso/binding/post/", web::post().to(saml::sso_post))
                .route("/sso/binding/init/", web::get().to(saml::sso_init))
                .route("/sso/continue/", web::get().to(saml::sso_continue))
                .route("/slo/binding/redirect/", web::get().to(slo::slo_redirect))
                .route("/slo/binding/post/", web::post().to(slo::slo_post))
                .route("/slo/continue/", web::get().to(slo::slo_continue))
                .route("/metadata/", web::get().to(saml::metadata)),
        )
        .default_service(web::to(not_found));
}

async fn health(state: State) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    web::block(move || idp.store.list_keypairs())
        .await?
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/plain")
        .body("ok"))
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/signet.css"))
}

async fn not_found() -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound(
        "there is no page at this address".into(),
    ))
}

/// A request actix could not extract (a form or query with a missing,
/// repeated or malformed field): the usual error page, with the status
/// actix chose, instead of a bare text body.
fn refused<E: actix_web::ResponseError + 'static>(what: &str, e: E) -> actix_web::Error {
    let status = e.status_code();
    tracing::warn!(%status, reason = %e, "{what}");
    let page = pages::error_page(status, "Request refused", &format!("{what}: {e}"));
    actix_web::error::InternalError::from_response(e, page).into()
}

/// A cookie with the attributes every signet cookie carries.
fn cookie(idp: &Idp, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(idp.config.secure_cookies())
        .finish()
}

/// The browser token of this request, or a new one with its cookie to set.
fn browser_token(req: &HttpRequest, idp: &Idp) -> (Token, Option<Cookie<'static>>) {
    match req
        .cookie(BROWSER_COOKIE)
        .and_then(|c| Token::from_client(c.value()))
    {
        Some(token) => (token, None),
        None => {
            let token = Token::generate();
            let c = cookie(idp, BROWSER_COOKIE, token.expose().to_owned());
            (token, Some(c))
        }
    }
}

/// The client's address: the peer, or — only when the peer is a trusted
/// proxy — the nearest untrusted address in `X-Forwarded-For`.
fn client_addr(req: &HttpRequest, idp: &Idp) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let trusted = &idp.config.trusted_proxies;
    if !trusted.contains(&peer) {
        return Some(peer.to_string());
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return Some(ip.to_string()),
            Err(_) => break,
        }
    }
    Some(peer.to_string())
}
