//! The administration pages under `/admin/`: applications with their SAML
//! providers, signing certificates, users and the event log.
//!
//! Every page needs a live session of a user with the admin flag: without a
//! session the browser goes to the login page and comes back; a signed-in
//! user without the flag gets 403. Every form carries the session's CSRF
//! token, and every change is recorded with [`crate::idp::Idp::audit`]. The
//! checks on submitted values are `crate::admin`'s, the same the command
//! line runs.

mod apps;
mod events;
mod keypairs;
mod users;

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use base64::Engine as _;

use super::{client_addr, pages, State, WebError, SESSION_COOKIE};
use crate::secret::Token;
use crate::store::User;

/// The one script of the admin pages: copy buttons, and the slug that
/// follows the application's name until someone edits it. Pages work
/// without it; the CSP allows exactly this text by its hash.
const ADMIN_SCRIPT: &str = r#"
document.querySelectorAll("button[data-copy]").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () {
    var el = document.getElementById(b.dataset.copy);
    var done = function () {
      b.textContent = "Copied";
      setTimeout(function () { b.textContent = "Copy"; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(el.textContent).then(done);
    } else {
      var r = document.createRange(); r.selectNodeContents(el);
      var s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
      if (document.execCommand("copy")) { done(); }
    }
  });
});
var nameInput = document.getElementById("name"), slugInput = document.getElementById("slug");
if (nameInput && slugInput && slugInput.dataset.derive === "yes") {
  var touched = slugInput.value !== "";
  slugInput.addEventListener("input", function () { touched = slugInput.value !== ""; });
  nameInput.addEventListener("input", function () {
    if (!touched) {
      slugInput.value = nameInput.value.toLowerCase()
        .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
    }
  });
}
"#;

/// Registers `/admin/...`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin").get(to_index)).service(
        web::scope("/admin")
            .service(web::resource("/").get(to_index))
            .configure(apps::configure)
            .configure(keypairs::configure)
            .configure(users::configure)
            .service(web::resource("/events/").get(events::list)),
    );
}

async fn to_index(_admin: Admin) -> HttpResponse {
    see_other("/admin/applications/")
}

/// A 303 to a page of signet's own.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The signed-in administrator of a request to an admin page.
pub(crate) struct Admin {
    pub user: User,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    token: Token,
    pub addr: Option<String>,
    idp: State,
}

impl Admin {
    /// Refuses a form whose CSRF token is not this session's.
    fn check_csrf(&self, submitted: &str) -> Result<(), WebError> {
        if self.idp.check_session_csrf(&self.token, submitted) {
            Ok(())
        } else {
            Err(WebError::Forbidden(
                "the form's security token is not valid: reload the page and submit again".into(),
            ))
        }
    }

    /// Records an admin change in the event log.
    fn audit(&self, kind: &str, username: Option<&str>, app: Option<&str>, detail: &str) {
        self.idp
            .audit(kind, username, app, self.addr.as_deref(), Some(detail));
    }

    /// The header every admin page shows.
    fn chrome(&self, section: &'static str) -> Chrome {
        Chrome {
            section,
            username: self.user.username.clone(),
            csrf: self.csrf.clone(),
            script: ADMIN_SCRIPT,
        }
    }
}

/// Why a request may not see an admin page.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Denied {
    /// No session: log in, then come back to `next`.
    #[error("signing in is required")]
    SignIn { next: String },
    #[error(transparent)]
    Web(#[from] WebError),
}

impl ResponseError for Denied {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Web(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn { next } => {
                let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                see_other(&format!("/login/?next={next}"))
            }
            Self::Web(e) => e.error_response(),
        }
    }
}

impl FromRequest for Admin {
    type Error = Denied;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Denied>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { admin_of(&req).await })
    }
}

async fn admin_of(req: &HttpRequest) -> Result<Admin, Denied> {
    let state = req
        .app_data::<State>()
        .cloned()
        .ok_or_else(|| WebError::Internal("no application state".into()))?;
    let idp = state.get_ref().clone();
    let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let found = web::block(move || idp.session(cookie.as_deref()))
        .await
        .map_err(WebError::from)?
        .map_err(WebError::from)?;
    let Some((token, session)) = found else {
        // After the login the browser GETs `next`: only a page can be it.
        let next = if req.method() == actix_web::http::Method::GET {
            match req.query_string() {
                "" => req.path().to_owned(),
                q => format!("{}?{q}", req.path()),
            }
        } else {
            "/admin/".to_owned()
        };
        return Err(Denied::SignIn { next });
    };
    if !session.user.is_admin {
        tracing::debug!(user = %session.user.username, "refused a non-admin an admin page");
        return Err(WebError::Forbidden(
            "these pages are for administrators; your account is not one".into(),
        )
        .into());
    }
    Ok(Admin {
        csrf: state.session_csrf(&token),
        addr: client_addr(req, &state),
        user: session.user,
        token,
        idp: state,
    })
}

/// The header of every admin page: where we are, who is signed in, and the
/// CSRF token of the sign-out form.
pub(crate) struct Chrome {
    pub section: &'static str,
    pub username: String,
    pub csrf: String,
    pub script: &'static str,
}

/// Refused form values, each shown beside its field.
#[derive(Debug, Default)]
pub(crate) struct Errors(Vec<(&'static str, String)>);

impl Errors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// The messages not tied to a field the form shows (`shown`).
    pub fn others(&self, shown: &[&str]) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(f, _)| !shown.contains(f))
            .map(|(_, m)| m.as_str())
            .collect()
    }
}

impl From<Vec<(&'static str, String)>> for Errors {
    fn from(v: Vec<(&'static str, String)>) -> Self {
        Self(v)
    }
}

fn admin_csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let digest = openssl::sha::sha256(ADMIN_SCRIPT.as_bytes());
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        format!(
            "default-src 'none'; script-src 'sha256-{hash}'; style-src 'self'; img-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
    })
}

/// Renders an admin page: never cached, never framed, only its own script.
fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => pages::html(status, body, admin_csp()),
        Err(e) => {
            tracing::error!("template rendering failed: {e}");
            HttpResponse::InternalServerError().body("internal error")
        }
    }
}

/// A form page: 200 the first time, 400 when it comes back with problems.
fn render_form(errors: &Errors, page: &impl Template) -> HttpResponse {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    render(status, page)
}

/// A file to save, never cached.
fn attachment(content_type: &str, filename: &str, body: String) -> HttpResponse {
    let safe: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{safe}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// Runs a blocking store or admin call off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    web::block(f).await?
}

/// A store failure inside a blocking call: a row that went away meanwhile
/// (another administrator removed it between the page and the change) is a
/// 404; anything else a 500.
fn internal(e: crate::store::StoreError) -> WebError {
    match e {
        crate::store::StoreError::NotFound { .. } => WebError::NotFound(e.to_string()),
        other => WebError::Internal(other.to_string()),
    }
}

/// The value of a checkbox: present means ticked.
fn ticked(v: &Option<String>) -> bool {
    v.is_some()
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc(at: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(at) else {
        return at.to_string();
    };
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    t.format(&f).unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_csp_allows_exactly_the_admin_script() {
        let digest = base64::engine::general_purpose::STANDARD
            .encode(openssl::sha::sha256(ADMIN_SCRIPT.as_bytes()));
        assert!(admin_csp().contains(&format!("'sha256-{digest}'")));
        assert!(!admin_csp().contains("unsafe-inline"));
    }

    #[test]
    fn attachment_names_cannot_break_the_header() {
        let r = attachment("text/plain", "a\"b\r\n.pem", String::new());
        let cd = r.headers().get(header::CONTENT_DISPOSITION).unwrap();
        assert_eq!(cd, "attachment; filename=\"a_b__.pem\"");
    }

    #[test]
    fn a_row_removed_meanwhile_is_a_404_not_a_500() {
        use crate::store::StoreError;
        use actix_web::ResponseError as _;
        let gone = StoreError::NotFound {
            what: "user",
            value: "bob".into(),
        };
        assert_eq!(internal(gone).status_code(), StatusCode::NOT_FOUND);
        let broken = StoreError::Corrupt("x".into());
        assert_eq!(
            internal(broken).status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
