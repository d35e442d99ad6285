//! Users: list, create, edit (email, names, admin, active), set a
//! password, deactivate. An administrator cannot take away their own admin
//! flag or deactivate themselves, so the last way in is never closed from
//! the web by accident.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::apps::saved_notice;
use super::{blocking, internal, render, render_form, see_other, ticked, Admin, Chrome, Errors};
use crate::admin::{self, validate, AdminError, UserInput};
use crate::password::Password;
use crate::store::{StoreError, User, UserChanges};
use crate::web::{State, WebError};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/users/").get(list))
        .service(web::resource("/users/new/").get(new_form).post(create))
        .service(web::resource("/users/{username}/").get(show).post(update))
        .service(web::resource("/users/{username}/password/").post(password))
        .service(web::resource("/users/{username}/active/").post(set_active));
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<User>,
    saved: Option<&'static str>,
}

#[derive(Deserialize)]
struct Notice {
    done: Option<String>,
}

/// `GET /admin/users/`
async fn list(admin: Admin, state: State, q: web::Query<Notice>) -> Result<HttpResponse, WebError> {
    let store = state.store.clone();
    let users = blocking(move || store.list_users().map_err(internal)).await?;
    let page = UsersPage {
        chrome: admin.chrome("users"),
        users,
        saved: saved_notice(&q.done),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
struct UserForm {
    csrf: String,
    username: String,
    email: String,
    given_name: String,
    family_name: String,
    is_admin: Option<String>,
    is_active: Option<String>,
    password: String,
    password_again: String,
}

/// The values shown in the user form (never a password).
struct UserFields {
    username: String,
    email: String,
    given_name: String,
    family_name: String,
    is_admin: bool,
    is_active: bool,
}

impl UserFields {
    fn typed(f: &UserForm) -> Self {
        Self {
            username: f.username.trim().to_owned(),
            email: f.email.trim().to_owned(),
            given_name: f.given_name.clone(),
            family_name: f.family_name.clone(),
            is_admin: ticked(&f.is_admin),
            is_active: ticked(&f.is_active),
        }
    }

    fn of(u: &User) -> Self {
        Self {
            username: u.username.clone(),
            email: u.email.clone(),
            given_name: u.given_name.clone().unwrap_or_default(),
            family_name: u.family_name.clone().unwrap_or_default(),
            is_admin: u.is_admin,
            is_active: u.is_active,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
struct UserPage {
    chrome: Chrome,
    /// `None` when creating.
    editing: Option<String>,
    fields: UserFields,
    errors: Errors,
    password_errors: Errors,
    is_self: bool,
    saved: Option<&'static str>,
}

fn optional(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

fn not_found(username: &str) -> WebError {
    WebError::NotFound(format!("there is no user {username:?}"))
}

/// Maps a refused user operation to the form's fields.
fn user_errors(e: AdminError) -> Result<Errors, WebError> {
    match e {
        AdminError::Store(StoreError::Duplicate { what, value }) => {
            let mut errors = Errors::default();
            let field = if what == "email" { "email" } else { "username" };
            errors.add(field, format!("{what} {value:?} is taken"));
            Ok(errors)
        }
        AdminError::Store(StoreError::NotFound { value, .. }) => Err(not_found(&value)),
        AdminError::Store(other) => Err(internal(other)),
        other => Ok(other.field_messages().into()),
    }
}

/// The two password fields: equal, then the password rules when hashing.
fn check_passwords(f: &UserForm, errors: &mut Errors) {
    if f.password != f.password_again {
        errors.add("password-again", "the two passwords differ");
    }
}

/// `GET /admin/users/new/`
async fn new_form(admin: Admin) -> HttpResponse {
    let page = UserPage {
        chrome: admin.chrome("users"),
        editing: None,
        fields: UserFields::typed(&UserForm {
            is_active: Some("on".into()),
            ..Default::default()
        }),
        errors: Errors::default(),
        password_errors: Errors::default(),
        is_self: false,
        saved: None,
    };
    render(StatusCode::OK, &page)
}

/// `POST /admin/users/new/`
async fn create(
    admin: Admin,
    state: State,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, WebError> {
    admin.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let typed = form.clone();
    let store = state.store.clone();
    let result = blocking(move || {
        let mut errors = Errors::default();
        check_passwords(&typed, &mut errors);
        let input = UserInput {
            username: typed.username.trim().to_owned(),
            email: typed.email.trim().to_owned(),
            given_name: optional(&typed.given_name),
            family_name: optional(&typed.family_name),
            is_admin: ticked(&typed.is_admin),
        };
        // Every field's check, so all problems show at once; nothing saved.
        for (field, r) in [
            ("username", validate::new_username(&input.username)),
            ("email", validate::email(&input.email)),
            (
                "given-name",
                input
                    .given_name
                    .as_deref()
                    .map_or(Ok(()), |v| validate::text(v, 128)),
            ),
            (
                "family-name",
                input
                    .family_name
                    .as_deref()
                    .map_or(Ok(()), |v| validate::text(v, 128)),
            ),
        ] {
            if let Err(m) = r {
                errors.add(field, m);
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let password = Password::new(typed.password);
        match admin::add_user(&store, input, &password) {
            Ok(user) => Ok(Ok(user)),
            Err(e) => Ok(Err(user_errors(e)?)),
        }
    })
    .await?;
    match result {
        Ok(user) => {
            let detail = format!("created by {}", admin.user.username);
            admin.audit("user_created", Some(&user.username), None, &detail);
            Ok(see_other("/admin/users/?done=user-created"))
        }
        Err(errors) => {
            let page = UserPage {
                chrome: admin.chrome("users"),
                editing: None,
                fields: UserFields::typed(&form),
                errors,
                password_errors: Errors::default(),
                is_self: false,
                saved: None,
            };
            Ok(render_form(&page.errors, &page))
        }
    }
}

async fn load(state: &State, username: String) -> Result<User, WebError> {
    let store = state.store.clone();
    blocking(move || {
        store
            .user_by_username(&username)
            .map_err(internal)?
            .ok_or_else(|| not_found(&username))
    })
    .await
}

/// `GET /admin/users/{username}/`: the edit page.
async fn show(
    admin: Admin,
    state: State,
    username: web::Path<String>,
    q: web::Query<Notice>,
) -> Result<HttpResponse, WebError> {
    let user = load(&state, username.into_inner()).await?;
    let page = UserPage {
        chrome: admin.chrome("users"),
        is_self: user.id == admin.user.id,
        editing: Some(user.username.clone()),
        fields: UserFields::of(&user),
        errors: Errors::default(),
        password_errors: Errors::default(),
        saved: saved_notice(&q.done),
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /admin/users/{username}/`: email, names, admin and active.
async fn update(
    admin: Admin,
    state: State,
    username: web::Path<String>,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, WebError> {
    admin.check_csrf(&form.csrf)?;
    let before = load(&state, username.into_inner()).await?;
    let form = form.into_inner();
    let is_self = before.id == admin.user.id;
    let mut errors = Errors::default();
    let email = form.email.trim().to_owned();
    let given = optional(&form.given_name);
    let family = optional(&form.family_name);
    if let Err(m) = validate::email(&email) {
        errors.add("email", m);
    }
    for (field, v) in [("given-name", &given), ("family-name", &family)] {
        if let Some(Err(m)) = v.as_deref().map(|v| validate::text(v, 128)) {
            errors.add(field, m);
        }
    }
    let is_admin = ticked(&form.is_admin);
    let is_active = ticked(&form.is_active);
    if is_self && !is_admin {
        errors.add("is-admin", "you cannot take away your own admin flag");
    }
    if is_self && !is_active {
        errors.add("is-active", "you cannot deactivate yourself");
    }
    if errors.is_empty() {
        let changes = UserChanges {
            email: Some(email),
            given_name: Some(given),
            family_name: Some(family),
            is_admin: Some(is_admin),
            is_active: Some(is_active),
        };
        let store = state.store.clone();
        let target = before.username.clone();
        let saved = blocking(move || match store.update_user(&target, &changes) {
            Ok(()) => Ok(Ok(())),
            Err(e) => Ok(Err(user_errors(AdminError::Store(e))?)),
        })
        .await?;
        match saved {
            Ok(()) => {
                let detail = describe_changes(&before, &form, &admin.user.username);
                admin.audit("user_updated", Some(&before.username), None, &detail);
                let path = format!("/admin/users/{}/?done=user-updated", before.username);
                return Ok(see_other(&path));
            }
            Err(e) => errors = e,
        }
    }
    let mut fields = UserFields::typed(&form);
    fields.username = before.username.clone();
    let page = UserPage {
        chrome: admin.chrome("users"),
        editing: Some(before.username.clone()),
        fields,
        errors,
        password_errors: Errors::default(),
        is_self,
        saved: None,
    };
    Ok(render_form(&page.errors, &page))
}

fn describe_changes(before: &User, form: &UserForm, by: &str) -> String {
    let mut changed = Vec::new();
    if before.email != form.email.trim() {
        changed.push(format!("email = {}", form.email.trim()));
    }
    if before.given_name != optional(&form.given_name)
        || before.family_name != optional(&form.family_name)
    {
        changed.push("names".to_owned());
    }
    if before.is_admin != ticked(&form.is_admin) {
        changed.push(format!(
            "admin = {}",
            if ticked(&form.is_admin) { "yes" } else { "no" }
        ));
    }
    if before.is_active != ticked(&form.is_active) {
        changed.push(format!(
            "active = {}",
            if ticked(&form.is_active) { "yes" } else { "no" }
        ));
    }
    if changed.is_empty() {
        format!("nothing changed, by {by}")
    } else {
        format!("changed {}, by {by}", changed.join(", "))
    }
}

/// `POST /admin/users/{username}/password/`
async fn password(
    admin: Admin,
    state: State,
    username: web::Path<String>,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, WebError> {
    admin.check_csrf(&form.csrf)?;
    let user = load(&state, username.into_inner()).await?;
    let form = form.into_inner();
    let mut errors = Errors::default();
    check_passwords(&form, &mut errors);
    if errors.is_empty() {
        let store = state.store.clone();
        let target = user.username.clone();
        let secret = Password::new(form.password.clone());
        let result = blocking(
            move || match admin::set_password(&store, &target, &secret) {
                Ok(()) => Ok(Ok(())),
                Err(e) => Ok(Err(user_errors(e)?)),
            },
        )
        .await?;
        match result {
            Ok(()) => {
                let detail = format!("set by {}", admin.user.username);
                admin.audit("password_changed", Some(&user.username), None, &detail);
                return Ok(see_other(&format!(
                    "/admin/users/{}/?done=password",
                    user.username
                )));
            }
            Err(e) => errors = e,
        }
    }
    let page = UserPage {
        chrome: admin.chrome("users"),
        is_self: user.id == admin.user.id,
        editing: Some(user.username.clone()),
        fields: UserFields::of(&user),
        errors: Errors::default(),
        password_errors: errors,
        saved: None,
    };
    Ok(render_form(&page.password_errors, &page))
}

#[derive(Deserialize)]
struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

/// `POST /admin/users/{username}/active/`: deactivate (which ends every
/// session of the user) or reactivate.
async fn set_active(
    admin: Admin,
    state: State,
    username: web::Path<String>,
    form: web::Form<ActiveForm>,
) -> Result<HttpResponse, WebError> {
    admin.check_csrf(&form.csrf)?;
    let user = load(&state, username.into_inner()).await?;
    let active = match form.active.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(WebError::BadRequest("active must be yes or no".into())),
    };
    if !active && user.id == admin.user.id {
        return Err(WebError::BadRequest(
            "you cannot deactivate yourself".into(),
        ));
    }
    let store = state.store.clone();
    let target = user.username.clone();
    let changes = UserChanges {
        is_active: Some(active),
        ..Default::default()
    };
    blocking(move || store.update_user(&target, &changes).map_err(internal)).await?;
    let (kind, done) = if active {
        ("user_reactivated", "reactivated")
    } else {
        ("user_deactivated", "deactivated")
    };
    let detail = format!("by {}", admin.user.username);
    admin.audit(kind, Some(&user.username), None, &detail);
    Ok(see_other(&format!(
        "/admin/users/{}/?done={done}",
        user.username
    )))
}
