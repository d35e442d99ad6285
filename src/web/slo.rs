//! Single logout over HTTP: the `slo/` endpoints an SP sends LogoutRequests
//! and LogoutResponses to, and signet's own "Sign out" button.

use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::saml::SamlForm;
use super::{client_addr, pages, State, WebError, SESSION_COOKIE};
use crate::idp::slo::{AcceptedLogout, LogoutStep, SloMessage};
use crate::idp::sso::Parked;

/// `GET slo/binding/redirect/`: a LogoutRequest or LogoutResponse (Bindings 3.4).
pub async fn slo_redirect(
    req: HttpRequest,
    slug: web::Path<String>,
    state: State,
) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let raw_query = req.query_string().to_owned();
    let slug = slug.into_inner();
    let message = web::block(move || idp.accept_slo_redirect(&slug, &raw_query)).await??;
    match message {
        SloMessage::Request(request) => logout_here(&req, &state, request).await,
        SloMessage::Response(answer) => {
            let idp = state.get_ref().clone();
            let step = web::block(move || idp.continue_logout(answer)).await??;
            Ok(render_step(step))
        }
    }
}

/// `POST slo/binding/post/` (Bindings 3.5). A LogoutRequest arrives
/// cross-site without the session cookie, so it is parked and resumed by a
/// same-site GET; a LogoutResponse needs no cookie and goes on at once.
pub async fn slo_post(
    slug: web::Path<String>,
    state: State,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let form = SamlForm::parse(&body)?;
    let idp = state.get_ref().clone();
    let slug = slug.into_inner();
    let target = slug.clone();
    let message = web::block(move || {
        let message = idp.accept_slo_post(&slug, form.kind, &form.value, form.relay_state)?;
        match message {
            SloMessage::Request(request) => Ok::<_, WebError>(Err(idp.park_logout(&request)?)),
            SloMessage::Response(answer) => Ok(Ok(idp.continue_logout(answer)?)),
        }
    })
    .await??;
    match message {
        Ok(step) => Ok(render_step(step)),
        Err(handoff) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!(
                    "/application/saml/{target}/slo/continue/?handoff={}",
                    handoff.expose()
                ),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()),
    }
}

#[derive(Deserialize)]
pub struct HandoffQuery {
    handoff: String,
}

/// `GET slo/continue/?handoff=…`: where a POST-binding LogoutRequest resumes.
pub async fn slo_continue(
    req: HttpRequest,
    slug: web::Path<String>,
    state: State,
    query: web::Query<HandoffQuery>,
) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let handoff = query.into_inner().handoff;
    let slug = slug.into_inner();
    let parked = web::block(move || idp.unpark(&slug, &handoff)).await??;
    let Parked::Logout(request) = parked else {
        return Err(WebError::BadRequest(
            "this link does not continue a sign-out".into(),
        ));
    };
    logout_here(&req, &state, request).await
}

/// Ends this browser's session if the request names it, then propagates.
async fn logout_here(
    req: &HttpRequest,
    state: &State,
    request: AcceptedLogout,
) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let addr = client_addr(req, &idp);
    let step = web::block(move || {
        let session = idp.session(cookie.as_deref())?;
        Ok::<_, WebError>(idp.sp_initiated_logout(request, session, addr.as_deref())?)
    })
    .await??;
    Ok(render_step(step))
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

/// `POST /logout/`: signet's "Sign out" button (CSRF-checked).
pub async fn logout(
    req: HttpRequest,
    state: State,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let addr = client_addr(&req, &idp);
    let csrf = form.into_inner().csrf;
    let step = web::block(move || {
        let Some((token, session)) = idp.session(cookie.as_deref())? else {
            return Ok(LogoutStep::SignedOut);
        };
        if !idp.check_session_csrf(&token, &csrf) {
            return Err(WebError::BadRequest(
                "the form's security token is not valid; reload the page and try again".into(),
            ));
        }
        Ok(idp.idp_initiated_logout(&token, &session, addr.as_deref())?)
    })
    .await??;
    let mut response = render_step(step);
    // Only signet's own button drops the cookie: an SP's request that named
    // no session of this browser must leave it signed in, and after one
    // that did, the cookie names a deleted session anyway.
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    let _ = response.add_removal_cookie(&gone);
    Ok(response)
}

/// Turns a logout step into a response.
fn render_step(step: LogoutStep) -> HttpResponse {
    match step {
        LogoutStep::Redirect(url) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        LogoutStep::Post(form) => pages::autopost("Signing you out…", &form.action, &form.fields),
        LogoutStep::SignedOut => pages::render(StatusCode::OK, &pages::SignedOutPage),
    }
}
