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

use actix_web::body::{BoxBody, EitherBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, App, HttpRequest, HttpResponse};

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

/// The whole application as `signet serve` runs it: state, headers every
/// answer carries, and every route. The in-process tests build this too.
pub fn app(
    idp: Arc<Idp>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<EitherBody<BoxBody>>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(idp))
        .wrap(ErrorHandlers::new().handler(StatusCode::METHOD_NOT_ALLOWED, method_not_allowed))
        .wrap(
            DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("Referrer-Policy", "no-referrer")),
        )
        .configure(configure)
}

/// A known address asked with the wrong method (a bookmarked `/logout/`, a
/// GET to a POST endpoint): the error page instead of actix's empty body.
fn method_not_allowed<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let (req, _) = res.into_parts();
    tracing::warn!(method = %req.method(), path = %req.path(), "method not allowed");
    let message = format!("{} is not accepted at this address", req.method());
    let page = pages::error_page(StatusCode::METHOD_NOT_ALLOWED, "Request refused", &message);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, page).map_into_right_body(),
    ))
}

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
        .service(web::resource("/").get(login::home))
        .service(
            web::resource("/login/")
                .get(login::show)
                .post(login::submit),
        )
        .service(web::resource("/logout/").post(slo::logout))
        .service(web::resource("/-/health/").get(health))
        .configure(admin::configure)
        .service(web::resource("/static/signet.css").get(stylesheet))
        .service(
            web::scope("/application/saml/{slug}")
                .service(web::resource("/sso/binding/redirect/").get(saml::sso_redirect))
                .service(web::resource("/sso/binding/post/").post(saml::sso_post))
                .service(web::resource("/sso/binding/init/").get(saml::sso_init))
                .service(web::resource("/sso/continue/").get(saml::sso_continue))
                .service(web::resource("/slo/binding/redirect/").get(slo::slo_redirect))
                .service(web::resource("/slo/binding/post/").post(slo::slo_post))
                .service(web::resource("/slo/continue/").get(slo::slo_continue))
                .service(web::resource("/metadata/").get(saml::metadata)),
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
