//! The SAML endpoints under `/application/saml/<slug>/`, in authentik's
//! URL layout so the ChatGPT guide's URLs work unchanged.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{browser_token, client_addr, pages, State, WebError, SESSION_COOKIE};
use crate::idp::sso::{AcceptedRequest, Parked};
use crate::saml::binding::MessageKind;

/// `GET sso/binding/redirect/` (SAML Bindings 3.4).
pub async fn sso_redirect(
    req: HttpRequest,
    slug: web::Path<String>,
    state: State,
) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let raw_query = req.query_string().to_owned();
    let slug = slug.into_inner();
    let accepted = web::block(move || idp.accept_redirect(&slug, &raw_query)).await??;
    continue_sign_in(&req, &state, accepted).await
}

/// `POST sso/binding/post/` (SAML Bindings 3.5). The browser arrives by a
/// cross-site POST that carries no SameSite=Lax cookie, so the checked
/// request is parked and the browser sent on with a same-site GET.
pub async fn sso_post(
    slug: web::Path<String>,
    state: State,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let form = SamlForm::parse(&body)?;
    if form.kind != MessageKind::Request {
        return Err(WebError::BadRequest(
            "a SAMLResponse was posted to the sign-in endpoint".into(),
        ));
    }
    let idp = state.get_ref().clone();
    let slug = slug.into_inner();
    let target = slug.clone();
    let handoff = web::block(move || {
        let accepted = idp.accept_post(&slug, &form.value, form.relay_state)?;
        Ok::<_, WebError>(idp.park(&accepted)?)
    })
    .await??;
    let location = format!(
        "/application/saml/{target}/sso/continue/?handoff={}",
        handoff.expose()
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// `GET sso/continue/?handoff=…`: where a POST-binding request resumes.
pub async fn sso_continue(
    req: HttpRequest,
    slug: web::Path<String>,
    state: State,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let handoff = query
        .iter()
        .find(|(k, _)| k == "handoff")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let idp = state.get_ref().clone();
    let slug = slug.into_inner();
    let parked = web::block(move || idp.unpark(&slug, &handoff)).await??;
    let Parked::SignIn(accepted) = parked else {
        return Err(WebError::BadRequest(
            "this link does not continue a sign-in".into(),
        ));
    };
    continue_sign_in(&req, &state, accepted).await
}

/// `GET sso/binding/init/`: IdP-initiated sign-in (SAML Profiles 4.1.5).
pub async fn sso_init(
    req: HttpRequest,
    slug: web::Path<String>,
    state: State,
) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let slug = slug.into_inner();
    let accepted = web::block(move || idp.accept_idp_initiated(&slug)).await??;
    continue_sign_in(&req, &state, accepted).await
}

/// `GET metadata/`: the IdP metadata; `?download` makes it an attachment.
pub async fn metadata(
    req: HttpRequest,
    slug: web::Path<String>,
    state: State,
) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let slug = slug.into_inner();
    let name = slug.clone();
    let xml = web::block(move || idp.metadata(&slug)).await??;
    let mut response = HttpResponse::Ok();
    response.content_type("application/samlmetadata+xml; charset=utf-8");
    if req.query_string().split('&').any(|p| p == "download") {
        response.insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}_metadata.xml\""),
        ));
    }
    Ok(response.body(xml))
}

/// With a session, answer at once; without one, ask for the password —
/// unless the request is passive (Core 3.4.1) or forces a new login.
pub(super) async fn continue_sign_in(
    req: &HttpRequest,
    state: &State,
    accepted: AcceptedRequest,
) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let cookie_value = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let (browser, new_browser_cookie) = browser_token(req, &idp);
    let addr = client_addr(req, &idp);

    let outcome = web::block(move || -> Result<Next, WebError> {
        let session = idp.session(cookie_value.as_deref())?;
        match session {
            _ if !accepted.password_login_suffices() => {
                let form = idp.no_authn_context(&accepted)?;
                Ok(Next::Post(form.action, form.fields))
            }
            Some((token, session)) if !accepted.force_authn() => {
                let form = idp.issue(&accepted, &token, &session, addr.as_deref())?;
                Ok(Next::Post(form.action, form.fields))
            }
            _ if accepted.is_passive() => {
                let form = idp.no_passive(&accepted)?;
                Ok(Next::Post(form.action, form.fields))
            }
            _ => {
                let app_name = idp
                    .store
                    .application_by_id(accepted.app_id())
                    .map_err(|e| WebError::Internal(e.to_string()))?
                    .map(|a| a.name);
                let form = idp.begin_login(&browser, Some(accepted.app_id()), Some(&accepted))?;
                Ok(Next::Login {
                    flow: form.flow.expose().to_owned(),
                    csrf: form.csrf,
                    app_name,
                })
            }
        }
    })
    .await??;

    let mut response = match outcome {
        Next::Post(action, fields) => pages::autopost("Signing you in…", &action, &fields),
        Next::Login {
            flow,
            csrf,
            app_name,
        } => pages::render(
            actix_web::http::StatusCode::OK,
            &pages::LoginPage {
                flow: &flow,
                csrf: &csrf,
                username: "",
                app_name: app_name.as_deref(),
                error: None,
            },
        ),
    };
    if let Some(c) = new_browser_cookie {
        response
            .add_cookie(&c)
            .map_err(|e| WebError::Internal(e.to_string()))?;
    }
    Ok(response)
}

enum Next {
    Post(String, Vec<(&'static str, String)>),
    Login {
        flow: String,
        csrf: String,
        app_name: Option<String>,
    },
}

/// The fields of a POST-binding form (Bindings 3.5.4): exactly one of
/// `SAMLRequest` and `SAMLResponse`, each parameter at most once.
pub(super) struct SamlForm {
    pub kind: MessageKind,
    pub value: String,
    pub relay_state: Option<String>,
}

impl SamlForm {
    pub(super) fn parse(body: &[u8]) -> Result<Self, WebError> {
        let mut request = None;
        let mut response = None;
        let mut relay_state = None;
        for (name, value) in url::form_urlencoded::parse(body) {
            let slot = match name.as_ref() {
                "SAMLRequest" => &mut request,
                "SAMLResponse" => &mut response,
                "RelayState" => &mut relay_state,
                _ => continue,
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(WebError::BadRequest(format!(
                    "parameter {name} appears more than once"
                )));
            }
        }
        let (kind, value) = match (request, response) {
            (Some(v), None) => (MessageKind::Request, v),
            (None, Some(v)) => (MessageKind::Response, v),
            (Some(_), Some(_)) => {
                return Err(WebError::BadRequest(
                    "both SAMLRequest and SAMLResponse are present".into(),
                ))
            }
            (None, None) => {
                return Err(WebError::BadRequest(
                    "the form carries no SAMLRequest or SAMLResponse".into(),
                ))
            }
        };
        Ok(Self {
            kind,
            value,
            relay_state,
        })
    }
}
