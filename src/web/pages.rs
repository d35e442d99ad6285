//! Server-rendered pages (askama) and the headers each kind of page needs.

use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use base64::Engine as _;

/// The one script signet serves: it submits the SAML form. The CSP of the
/// auto-post page allows exactly this text by its hash.
const AUTOPOST_SCRIPT: &str = r#"document.getElementById("saml-post").submit();"#;

/// Pages that load nothing from elsewhere and cannot be framed.
const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
                        form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub flow: &'a str,
    pub csrf: &'a str,
    pub username: &'a str,
    pub app_name: Option<&'a str>,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "autopost.html")]
pub struct AutoPostPage<'a> {
    pub heading: &'a str,
    pub action: &'a str,
    pub fields: &'a [(&'static str, String)],
    pub script: &'static str,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
pub struct SignedOutPage;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub status: u16,
    pub title: &'a str,
    pub message: &'a str,
    pub hint: &'a str,
}

pub struct AppLink {
    pub name: String,
    pub launch_url: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub apps: &'a [AppLink],
    pub is_admin: bool,
    /// The session's CSRF token, for the Sign out form.
    pub csrf: &'a str,
}

fn autopost_csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let digest = openssl::sha::sha256(AUTOPOST_SCRIPT.as_bytes());
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        // No form-action: the ACS may redirect onwards after the POST, and
        // browsers apply form-action to those redirects too.
        format!(
            "default-src 'none'; script-src 'sha256-{hash}'; style-src 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        )
    })
}

/// An HTML response that is never cached and never framed.
pub fn html(status: StatusCode, body: String, csp: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(csp).unwrap_or(HeaderValue::from_static(
                "default-src 'none'; frame-ancestors 'none'",
            )),
        ))
        .body(body)
}

/// Renders a template; a rendering failure becomes a plain 500.
pub fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => html(status, body, PAGE_CSP),
        Err(e) => {
            tracing::error!("template rendering failed: {e}");
            HttpResponse::InternalServerError().body("internal error")
        }
    }
}

/// The page that posts a SAML message to a service provider.
pub fn autopost(heading: &str, action: &str, fields: &[(&'static str, String)]) -> HttpResponse {
    let page = AutoPostPage {
        heading,
        action,
        fields,
        script: AUTOPOST_SCRIPT,
    };
    match page.render() {
        Ok(body) => html(StatusCode::OK, body, autopost_csp()),
        Err(e) => {
            tracing::error!("template rendering failed: {e}");
            HttpResponse::InternalServerError().body("internal error")
        }
    }
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let hint = match status {
        StatusCode::FORBIDDEN => "Ask your administrator if you need access.",
        StatusCode::NOT_FOUND => "Check the address, or start again from the application.",
        StatusCode::TOO_MANY_REQUESTS => "Wait, then try again.",
        s if s.is_client_error() => {
            "Return to the application you came from and try again. \
             If this keeps happening, tell your administrator."
        }
        _ => "Try again in a moment. If this keeps happening, tell your administrator.",
    };
    render(
        status,
        &ErrorPage {
            status: status.as_u16(),
            title,
            message,
            hint,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autopost_escapes_markup_in_relay_state_and_allows_only_its_script() {
        let fields = [("RelayState", r#""><script>alert(1)</script>"#.to_string())];
        let body = AutoPostPage {
            heading: "Signing you in…",
            action: "https://sp.example.com/acs?a=1&b=2",
            fields: &fields,
            script: AUTOPOST_SCRIPT,
        }
        .render()
        .unwrap();
        assert!(!body.contains("<script>alert(1)"));
        assert!(body.contains("value=\"&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;\""));
        assert!(body.contains("action=\"https://sp.example.com/acs?a=1&#38;b=2\""));
        assert_eq!(body.matches("<script>").count(), 1);
        assert!(body.contains(&format!("<script>{AUTOPOST_SCRIPT}</script>")));
        let digest = base64::engine::general_purpose::STANDARD
            .encode(openssl::sha::sha256(AUTOPOST_SCRIPT.as_bytes()));
        assert!(autopost_csp().contains(&digest));
    }
}
