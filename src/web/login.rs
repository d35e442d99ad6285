//! The login page and the signed-in user's home page.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{browser_token, client_addr, cookie, pages, State, WebError, SESSION_COOKIE};
use crate::idp::login::LoginError;
use crate::idp::sso::AcceptedRequest;
use crate::password::Password;
use crate::secret::Token;

#[derive(Deserialize)]
pub struct LoginQuery {
    flow: Option<String>,
    next: Option<String>,
}

/// Where a plain login continues: a local path, kept in the login flow so
/// the form cannot be made to send the browser elsewhere.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NextPage {
    next: String,
}

/// What a login flow was started for: a sign-in waiting for the password,
/// or a page of signet's own.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Pending {
    Page(NextPage),
    SignIn(Box<AcceptedRequest>),
}

/// `next` when it names a path on this server: it starts with one `/`
/// (`//host` and `/\host` are other hosts to a browser) and is printable
/// ASCII, so it fits a `Location` header as is.
pub(super) fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 2048
        && next.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(next)
}

#[derive(Deserialize)]
pub struct LoginForm {
    flow: String,
    csrf: String,
    username: String,
    password: String,
}

/// `GET /login/`: the form of an existing flow of this browser, or a new
/// plain login that leads to the home page.
pub async fn show(
    req: HttpRequest,
    state: State,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let (browser, new_cookie) = browser_token(&req, &idp);
    let flow = query.flow.as_deref().and_then(Token::from_client);
    let next = query
        .next
        .as_deref()
        .and_then(local_path)
        .map(|next| NextPage {
            next: next.to_owned(),
        });
    let form = web::block(move || {
        let begin = || {
            idp.begin_login(&browser, None, next.as_ref())
                .map_err(LoginError::from)
        };
        match flow {
            Some(flow) => idp.login_form(&flow, &browser).or_else(|_| begin()),
            None => begin(),
        }
    })
    .await??;
    let mut response = pages::render(
        StatusCode::OK,
        &pages::LoginPage {
            flow: form.flow.expose(),
            csrf: &form.csrf,
            username: "",
            app_name: None,
            error: None,
        },
    );
    if let Some(c) = new_cookie {
        response
            .add_cookie(&c)
            .map_err(|e| WebError::Internal(e.to_string()))?;
    }
    Ok(response)
}

/// `POST /login/`: checks the password; on success opens a new session and
/// continues the sign-in that was waiting, or goes home.
pub async fn submit(
    req: HttpRequest,
    state: State,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let idp = state.get_ref().clone();
    let browser = req
        .cookie(super::BROWSER_COOKIE)
        .and_then(|c| Token::from_client(c.value()))
        .ok_or_else(|| {
            WebError::BadRequest(
                "this browser did not keep signet's cookie; enable cookies and start again".into(),
            )
        })?;
    let flow = Token::from_client(&form.flow)
        .ok_or_else(|| WebError::BadRequest(LoginError::FlowExpired.to_string()))?;
    let addr = client_addr(&req, &idp);
    let username = form.username.clone();
    let old_session = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());

    let result = web::block(move || -> Result<Outcome, WebError> {
        let password = Password::new(form.password);
        let login = idp.complete_login::<Pending>(
            &flow,
            &browser,
            &form.csrf,
            &form.username,
            &password,
            addr.as_deref(),
        );
        match login {
            Ok(done) => {
                idp.supersede_session(
                    old_session.as_deref(),
                    &done.session_token,
                    &done.session.user.id,
                )?;
                let next = match &done.pending {
                    Some(Pending::SignIn(request)) => {
                        let f = idp.issue(
                            request,
                            &done.session_token,
                            &done.session,
                            addr.as_deref(),
                        )?;
                        Next::Post(f.action, f.fields)
                    }
                    Some(Pending::Page(page)) => match local_path(&page.next) {
                        Some(path) => Next::Page(path.to_owned()),
                        None => Next::Page("/".into()),
                    },
                    None => Next::Page("/".into()),
                };
                Ok(Outcome::Done {
                    session: done.session_token,
                    next,
                })
            }
            Err(LoginError::BadCredentials) => {
                let again = idp.login_form(&flow, &browser)?;
                Ok(Outcome::Retry {
                    flow: again.flow.expose().to_owned(),
                    csrf: again.csrf,
                })
            }
            Err(other) => Err(other.into()),
        }
    })
    .await??;

    match result {
        Outcome::Done { session, next } => {
            let state_idp = state.get_ref();
            let mut response = match next {
                Next::Post(action, fields) => pages::autopost("Signing you in…", &action, &fields),
                Next::Page(path) => HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, path))
                    .finish(),
            };
            let c = cookie(state_idp, SESSION_COOKIE, session.expose().to_owned());
            response
                .add_cookie(&c)
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(response)
        }
        Outcome::Retry { flow, csrf } => Ok(pages::render(
            StatusCode::UNAUTHORIZED,
            &pages::LoginPage {
                flow: &flow,
                csrf: &csrf,
                username: &username,
                app_name: None,
                error: Some("Wrong username or password."),
            },
        )),
    }
}

enum Outcome {
    Done { session: Token, next: Next },
    Retry { flow: String, csrf: String },
}

/// Where the browser goes after a good login.
enum Next {
    /// Post a SAML response to a service provider.
    Post(String, Vec<(&'static str, String)>),
    /// Go to a page of signet's own.
    Page(String),
}

/// `GET /`: "My applications" for a signed-in user; otherwise the login page.
pub async fn home(req: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let cookie_value = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let found = web::block(move || -> Result<_, WebError> {
        let Some((token, session)) = idp.session(cookie_value.as_deref())? else {
            return Ok(None);
        };
        let csrf = idp.session_csrf(&token);
        let apps = idp
            .store
            .list_applications()
            .map_err(|e| WebError::Internal(e.to_string()))?
            .into_iter()
            .filter(|a| a.enabled)
            .map(|a| pages::AppLink {
                launch_url: a
                    .launch_url
                    .clone()
                    .unwrap_or_else(|| idp.app_url(&a.slug, "sso/binding/init/")),
                name: a.name,
            })
            .collect::<Vec<_>>();
        Ok(Some((session, apps, csrf)))
    })
    .await??;
    let Some((session, apps, csrf)) = found else {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/login/"))
            .finish());
    };
    Ok(pages::render(
        StatusCode::OK,
        &pages::HomePage {
            username: &session.user.username,
            display_name: &session.user.display_name(),
            apps: &apps,
            is_admin: session.user.is_admin,
            csrf: &csrf,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_a_local_path() {
        for ok in ["/", "/admin/", "/admin/users/?q=a%20b"] {
            assert_eq!(local_path(ok), Some(ok));
        }
        for bad in [
            "//evil.example/",
            "/\\evil.example/",
            "https://evil.example/",
            "javascript:alert(1)",
            "admin/",
            "/a b",
            "/a\r\nSet-Cookie:x",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_stored_sign_in_is_not_mistaken_for_a_page() {
        let page: Pending = serde_json::from_str(r#"{"next":"/admin/"}"#).unwrap();
        assert!(matches!(page, Pending::Page(p) if p.next == "/admin/"));
        let other: Result<Pending, _> = serde_json::from_str(r#"{"next":"/x","app_id":1}"#);
        assert!(other.is_err());
    }
}
