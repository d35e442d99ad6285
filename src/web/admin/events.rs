//! The event log: sign-ins, sign-outs and admin changes, newest first,
//! filterable by user and application.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{blocking, internal, render, utc, Admin, Chrome};
use crate::store::events::{EventFilter, StoredEvent};
use crate::web::{State, WebError};

/// Events on one page.
const PAGE_SIZE: usize = 100;

#[derive(Deserialize)]
pub(super) struct EventsQuery {
    user: Option<String>,
    app: Option<String>,
    before: Option<i64>,
}

struct EventRow {
    at: String,
    kind: String,
    what: &'static str,
    username: String,
    user_link: String,
    app_slug: String,
    app_link: String,
    client_addr: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "admin/events.html")]
struct EventsPage {
    chrome: Chrome,
    events: Vec<EventRow>,
    users: Vec<String>,
    apps: Vec<(String, String)>,
    user: String,
    app: String,
    older: Option<String>,
}

/// A plain-words label for an event kind.
fn describe(kind: &str) -> &'static str {
    match kind {
        "login" => "signed in to signet",
        "login_failed" => "failed to sign in",
        "sign_in" => "signed in to an application",
        "sign_out" | "logout" => "signed out",
        "app_created" => "created an application",
        "app_updated" => "reconfigured a provider",
        "app_removed" => "deleted an application",
        "user_created" => "user created",
        "user_updated" => "user changed",
        "user_removed" => "user removed",
        "user_deactivated" => "user deactivated",
        "user_reactivated" => "user reactivated",
        "password_changed" => "password changed",
        "keypair_generated" => "generated a keypair",
        "keypair_imported" => "imported a keypair",
        _ => "",
    }
}

/// `/admin/events/?user=..&app=..` with `value` set for `key`.
fn filter_link(user: &str, app: &str, before: Option<i64>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if !user.is_empty() {
        q.append_pair("user", user);
    }
    if !app.is_empty() {
        q.append_pair("app", app);
    }
    if let Some(b) = before {
        q.append_pair("before", &b.to_string());
    }
    format!("/admin/events/?{}", q.finish())
}

/// `GET /admin/events/`
pub(super) async fn list(
    admin: Admin,
    state: State,
    q: web::Query<EventsQuery>,
) -> Result<HttpResponse, WebError> {
    let q = q.into_inner();
    let user = q.user.unwrap_or_default().trim().to_owned();
    let app = q.app.unwrap_or_default().trim().to_owned();
    let store = state.store.clone();
    let (u, a, before) = (user.clone(), app.clone(), q.before);
    let (events, users, apps) = blocking(move || {
        let filter = EventFilter {
            username: (!u.is_empty()).then_some(u.as_str()),
            app_slug: (!a.is_empty()).then_some(a.as_str()),
            before_id: before,
            limit: PAGE_SIZE,
        };
        let events = store.list_events(&filter).map_err(internal)?;
        let users = store.list_users().map_err(internal)?;
        let apps = store.list_applications().map_err(internal)?;
        Ok((events, users, apps))
    })
    .await?;
    let older = (events.len() == PAGE_SIZE)
        .then(|| events.last().map(|e| filter_link(&user, &app, Some(e.id))))
        .flatten();
    let rows = events.into_iter().map(|e: StoredEvent| {
        let username = e.username.unwrap_or_default();
        let app_slug = e.app_slug.unwrap_or_default();
        EventRow {
            at: utc(e.at),
            what: describe(&e.kind),
            user_link: filter_link(&username, &app, None),
            app_link: filter_link(&user, &app_slug, None),
            kind: e.kind,
            username,
            app_slug,
            client_addr: e.client_addr.unwrap_or_default(),
            detail: e.detail.unwrap_or_default(),
        }
    });
    let page = EventsPage {
        chrome: admin.chrome("events"),
        events: rows.collect(),
        users: users.into_iter().map(|u| u.username).collect(),
        apps: apps.into_iter().map(|a| (a.slug, a.name)).collect(),
        user,
        app,
        older,
    };
    Ok(render(StatusCode::OK, &page))
}
