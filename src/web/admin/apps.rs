//! Applications and their SAML providers: the guide's "Create with
//! provider", the provider page with the wizard's values and the
//! certificate download, "Reconfigure provider", and deletion.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{
    attachment, blocking, internal, render, render_form, see_other, ticked, Admin, Chrome, Errors,
};
use crate::admin::{self, AdminError, AppInput, AppUpdate, DEFAULT_ISSUER, NAME_ID_FORMATS};
use crate::idp::sso::SsoError;
use crate::keys::DEFAULT_KEYPAIR;
use crate::saml::name_id_formats;
use crate::store::{Application, StoreError};
use crate::web::{State, WebError};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/applications/").get(list))
        .service(web::resource("/providers/").get(list_providers))
        .service(
            web::resource("/applications/new/")
                .get(new_form)
                .post(create),
        )
        .service(web::resource("/applications/{slug}/").get(show))
        .service(
            web::resource("/applications/{slug}/edit/")
                .get(edit_form)
                .post(update),
        )
        .service(
            web::resource("/applications/{slug}/delete/")
                .get(confirm_delete)
                .post(delete),
        )
        .service(web::resource("/applications/{slug}/certificate/").get(certificate))
        .service(web::resource("/applications/{slug}/metadata/").get(metadata));
}

/// The fields of the application form, as typed. Names are the form's.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub(super) struct AppForm {
    csrf: String,
    name: String,
    slug: String,
    provider: String,
    acs_url: String,
    /// One URL a line.
    additional_acs_urls: String,
    audience: String,
    issuer: String,
    keypair: String,
    sign_assertion: Option<String>,
    sign_response: Option<String>,
    sls_url: String,
    sls_binding: String,
    default_relay_state: String,
    name_id_format: String,
    sp_cert: String,
    launch_url: String,
    enabled: Option<String>,
}

/// The form's fields as shown: typed values or stored ones.
pub(super) struct AppFields {
    pub name: String,
    pub slug: String,
    pub acs_url: String,
    /// One URL a line.
    pub additional_acs_urls: String,
    pub audience: String,
    pub issuer: String,
    pub keypair: String,
    pub sign_assertion: bool,
    pub sign_response: bool,
    pub sls_url: String,
    pub sls_binding: String,
    pub default_relay_state: String,
    pub name_id_format: String,
    pub sp_cert: String,
    pub launch_url: String,
    pub enabled: bool,
}

impl AppFields {
    fn new_app() -> Self {
        Self {
            name: String::new(),
            slug: String::new(),
            acs_url: String::new(),
            additional_acs_urls: String::new(),
            audience: String::new(),
            issuer: DEFAULT_ISSUER.into(),
            keypair: DEFAULT_KEYPAIR.into(),
            sign_assertion: true,
            sign_response: false,
            sls_url: String::new(),
            sls_binding: "redirect".into(),
            default_relay_state: String::new(),
            name_id_format: name_id_formats::EMAIL.into(),
            sp_cert: String::new(),
            launch_url: String::new(),
            enabled: true,
        }
    }

    fn of(app: &Application, keypair: String) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            name: app.name.clone(),
            slug: app.slug.clone(),
            acs_url: app.acs_url.clone(),
            additional_acs_urls: app.additional_acs_urls.join("\n"),
            audience: text(&app.audience),
            issuer: app.issuer.clone(),
            keypair,
            sign_assertion: app.sign_assertion,
            sign_response: app.sign_response,
            sls_url: text(&app.sls_url),
            sls_binding: app.sls_binding.as_str().into(),
            default_relay_state: text(&app.default_relay_state),
            name_id_format: app.name_id_format.clone(),
            sp_cert: text(&app.sp_cert_pem),
            launch_url: text(&app.launch_url),
            enabled: app.enabled,
        }
    }

    fn typed(f: &AppForm) -> Self {
        Self {
            name: f.name.clone(),
            slug: f.slug.clone(),
            acs_url: f.acs_url.clone(),
            additional_acs_urls: f.additional_acs_urls.clone(),
            audience: f.audience.clone(),
            issuer: f.issuer.clone(),
            keypair: f.keypair.clone(),
            sign_assertion: ticked(&f.sign_assertion),
            sign_response: ticked(&f.sign_response),
            sls_url: f.sls_url.clone(),
            sls_binding: f.sls_binding.clone(),
            default_relay_state: f.default_relay_state.clone(),
            name_id_format: f.name_id_format.clone(),
            sp_cert: f.sp_cert.clone(),
            launch_url: f.launch_url.clone(),
            enabled: ticked(&f.enabled),
        }
    }
}

impl AppForm {
    /// Every setting of the form as an update: an empty optional field
    /// clears it.
    fn settings(&self) -> AppUpdate {
        let trimmed = |s: &str| s.trim().to_owned();
        AppUpdate {
            name: Some(trimmed(&self.name)),
            enabled: Some(ticked(&self.enabled)),
            launch_url: Some(trimmed(&self.launch_url)),
            acs_url: Some(trimmed(&self.acs_url)),
            // One a line; blank lines are left out, so an empty box clears.
            additional_acs_urls: Some(
                self.additional_acs_urls
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            audience: Some(trimmed(&self.audience)),
            issuer: Some(trimmed(&self.issuer)),
            sls_url: Some(trimmed(&self.sls_url)),
            sls_binding: Some(self.sls_binding.clone()),
            sign_assertion: Some(ticked(&self.sign_assertion)),
            sign_response: Some(ticked(&self.sign_response)),
            sp_cert_pem: Some(self.sp_cert.trim().to_owned()),
            name_id_format: Some(self.name_id_format.clone()),
            default_relay_state: Some(self.default_relay_state.clone()),
        }
    }
}

/// A slug from an application's name: lower-case letters and digits joined by `-`.
pub(super) fn derive_slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    slug.chars()
        .take(64)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

struct NameIdChoice {
    uri: &'static str,
    label: &'static str,
}

fn name_id_choices() -> Vec<NameIdChoice> {
    NAME_ID_FORMATS
        .iter()
        .map(|uri| NameIdChoice {
            uri,
            label: match *uri {
                name_id_formats::EMAIL => "Email address (ChatGPT)",
                name_id_formats::PERSISTENT => "Persistent (the user's stable id)",
                name_id_formats::TRANSIENT => "Transient (new each sign-in)",
                _ => "Unspecified (the email address)",
            },
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/app_form.html")]
struct AppFormPage {
    chrome: Chrome,
    /// `None` when creating.
    editing: Option<String>,
    fields: AppFields,
    keypairs: Vec<String>,
    name_id_formats: Vec<NameIdChoice>,
    errors: Errors,
    other_errors: Vec<String>,
}

/// The fields the application form shows a message beside.
const FORM_FIELDS: &[&str] = &[
    "name",
    "slug",
    "provider",
    "acs-url",
    "additional-acs-urls",
    "audience",
    "issuer",
    "keypair",
    "sign-assertion",
    "sign-response",
    "sls-url",
    "sls-binding",
    "default-relay-state",
    "name-id-format",
    "sp-cert",
    "launch-url",
];

fn form_page(
    admin: &Admin,
    editing: Option<String>,
    fields: AppFields,
    keypairs: Vec<String>,
    errors: Errors,
) -> HttpResponse {
    let other_errors = errors
        .others(FORM_FIELDS)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let page = AppFormPage {
        chrome: admin.chrome("applications"),
        editing,
        fields,
        keypairs,
        name_id_formats: name_id_choices(),
        errors,
        other_errors,
    };
    render_form(&page.errors, &page)
}

fn keypair_names(state: &State) -> Result<Vec<String>, WebError> {
    Ok(state
        .store
        .list_keypairs()
        .map_err(internal)?
        .into_iter()
        .map(|k| k.name)
        .collect())
}

fn not_found(slug: &str) -> WebError {
    WebError::NotFound(format!("there is no application {slug:?}"))
}

/// Maps a refused admin operation to messages beside the form's fields.
fn form_errors(e: AdminError, duplicate_field: &'static str) -> Result<Errors, WebError> {
    match e {
        AdminError::Store(StoreError::Duplicate { what, value }) => {
            let mut errors = Errors::default();
            errors.add(duplicate_field, format!("{what} {value:?} already exists"));
            Ok(errors)
        }
        AdminError::Store(StoreError::NotFound { value, .. }) => Err(not_found(&value)),
        AdminError::Store(other) => Err(internal(other)),
        other => Ok(other.field_messages().into()),
    }
}

struct AppRow {
    slug: String,
    name: String,
    acs_url: String,
    audience: String,
    enabled: bool,
}

#[derive(Template)]
#[template(path = "admin/apps.html")]
struct AppsPage {
    chrome: Chrome,
    providers: bool,
    apps: Vec<AppRow>,
    saved: Option<&'static str>,
}

#[derive(Deserialize)]
struct Notice {
    done: Option<String>,
}

/// The fixed text behind a `?done=` after a change (never reflected input).
fn notice(done: &Option<String>) -> Option<&'static str> {
    match done.as_deref()? {
        "created" => Some("The application was created."),
        "updated" => Some("The provider was updated. Sign-ins use the new settings from now on."),
        "deleted" => Some("The application was deleted."),
        "user-created" => Some("The user was created."),
        "user-updated" => Some("The user was updated."),
        "password" => Some("The password was changed."),
        "deactivated" => Some("The user was deactivated and signed out everywhere."),
        "reactivated" => Some("The user can sign in again."),
        "keypair" => Some("The keypair was added."),
        _ => None,
    }
}

pub(super) fn saved_notice(done: &Option<String>) -> Option<&'static str> {
    notice(done)
}

async fn list_page(
    admin: Admin,
    state: State,
    done: Option<String>,
    providers: bool,
) -> Result<HttpResponse, WebError> {
    let store = state.store.clone();
    let apps = blocking(move || store.list_applications().map_err(internal)).await?;
    let apps = apps
        .into_iter()
        .map(|a| AppRow {
            audience: a.audience.unwrap_or_default(),
            slug: a.slug,
            name: a.name,
            acs_url: a.acs_url,
            enabled: a.enabled,
        })
        .collect();
    let section = if providers {
        "providers"
    } else {
        "applications"
    };
    let page = AppsPage {
        chrome: admin.chrome(section),
        providers,
        apps,
        saved: notice(&done),
    };
    Ok(render(StatusCode::OK, &page))
}

/// `GET /admin/applications/`
async fn list(admin: Admin, state: State, q: web::Query<Notice>) -> Result<HttpResponse, WebError> {
    list_page(admin, state, q.into_inner().done, false).await
}

/// `GET /admin/providers/`: the same rows, named as the guide's "Providers".
async fn list_providers(admin: Admin, state: State) -> Result<HttpResponse, WebError> {
    list_page(admin, state, None, true).await
}

/// `GET /admin/applications/new/`: "Create with provider".
async fn new_form(admin: Admin, state: State) -> Result<HttpResponse, WebError> {
    let s = state.clone();
    let keypairs = blocking(move || keypair_names(&s)).await?;
    Ok(form_page(
        &admin,
        None,
        AppFields::new_app(),
        keypairs,
        Errors::default(),
    ))
}

/// `POST /admin/applications/new/`
async fn create(
    admin: Admin,
    state: State,
    form: web::Form<AppForm>,
) -> Result<HttpResponse, WebError> {
    admin.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let s = state.clone();
    let typed = form.clone();
    if !matches!(form.provider.as_str(), "" | "saml") {
        return Err(WebError::BadRequest(
            "signet provides SAML providers only".into(),
        ));
    }
    let result = blocking(move || {
        let keypairs = keypair_names(&s)?;
        let derived = typed.slug.trim().is_empty();
        let slug = match typed.slug.trim() {
            "" => derive_slug(&typed.name),
            typed_slug => typed_slug.to_owned(),
        };
        let input = AppInput {
            slug,
            name: typed.name.trim().to_owned(),
            acs_url: typed.acs_url.trim().to_owned(),
            audience: None,
            sls_url: None,
        };
        let mut settings = typed.settings();
        // The name and ACS URL are the input's; the rest are settings.
        settings.name = None;
        settings.acs_url = None;
        settings.enabled = Some(true);
        let keypair = typed.keypair.trim();
        let keypair = (!keypair.is_empty()).then_some(keypair);
        match admin::create_app_with_provider(&s.store, input, settings, keypair) {
            Ok(app) => Ok(Ok(app)),
            Err(e) => {
                let mut messages = e.field_messages();
                for (field, message) in &mut messages {
                    if *field == "slug" && derived && !typed.name.trim().is_empty() {
                        *message = format!("{message} (made from the name: type one instead)");
                    }
                }
                let errors = match e {
                    AdminError::Invalid { .. } | AdminError::Fields(_) => messages.into(),
                    other => form_errors(other, "slug")?,
                };
                Ok(Err((errors, keypairs)))
            }
        }
    })
    .await?;
    match result {
        Ok(app) => {
            admin.audit(
                "app_created",
                Some(&admin.user.username),
                Some(&app.slug),
                &format!("created {} with ACS URL {}", app.name, app.acs_url),
            );
            Ok(see_other(&format!(
                "/admin/applications/{}/?done=created",
                app.slug
            )))
        }
        Err((errors, keypairs)) => {
            let mut fields = AppFields::typed(&form);
            fields.enabled = true;
            Ok(form_page(&admin, None, fields, keypairs, errors))
        }
    }
}

/// An application and its keypair's name.
async fn load(state: &State, slug: String) -> Result<(Application, String), WebError> {
    let store = state.store.clone();
    blocking(move || {
        let app = store
            .application(&slug)
            .map_err(internal)?
            .ok_or_else(|| not_found(&slug))?;
        let keypair = store
            .keypair(app.keypair_id)
            .map_err(internal)?
            .map(|k| k.name)
            .unwrap_or_default();
        Ok((app, keypair))
    })
    .await
}

/// `GET /admin/applications/{slug}/edit/`: "Reconfigure provider".
async fn edit_form(
    admin: Admin,
    state: State,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let (app, keypair) = load(&state, slug.into_inner()).await?;
    let s = state.clone();
    let keypairs = blocking(move || keypair_names(&s)).await?;
    let slug = app.slug.clone();
    Ok(form_page(
        &admin,
        Some(slug),
        AppFields::of(&app, keypair),
        keypairs,
        Errors::default(),
    ))
}

/// `POST /admin/applications/{slug}/edit/`: "Update".
async fn update(
    admin: Admin,
    state: State,
    slug: web::Path<String>,
    form: web::Form<AppForm>,
) -> Result<HttpResponse, WebError> {
    admin.check_csrf(&form.csrf)?;
    let slug = slug.into_inner();
    let form = form.into_inner();
    let (before, _) = load(&state, slug.clone()).await?;
    let s = state.clone();
    let typed = form.clone();
    let target = slug.clone();
    let result = blocking(move || {
        let keypairs = keypair_names(&s)?;
        let keypair = typed.keypair.trim();
        let keypair = (!keypair.is_empty()).then_some(keypair);
        match admin::reconfigure_app(&s.store, &target, typed.settings(), keypair) {
            Ok(app) => Ok(Ok(app)),
            Err(e) => Ok(Err((form_errors(e, "name")?, keypairs))),
        }
    })
    .await?;
    match result {
        Ok(after) => {
            admin.audit(
                "app_updated",
                Some(&admin.user.username),
                Some(&slug),
                &changed_fields(&before, &after),
            );
            Ok(see_other(&format!(
                "/admin/applications/{slug}/?done=updated"
            )))
        }
        Err((errors, keypairs)) => {
            let mut fields = AppFields::typed(&form);
            fields.slug = slug.clone();
            Ok(form_page(&admin, Some(slug), fields, keypairs, errors))
        }
    }
}

/// What an update changed, for the event log: names, and the new URLs.
fn changed_fields(a: &Application, b: &Application) -> String {
    let mut changed = Vec::new();
    let mut note = |name: &str, differs: bool, shown: Option<&str>| {
        if differs {
            changed.push(match shown {
                Some(v) => format!("{name} = {v}"),
                None => name.to_owned(),
            });
        }
    };
    note("name", a.name != b.name, Some(&b.name));
    note(
        "enabled",
        a.enabled != b.enabled,
        Some(if b.enabled { "yes" } else { "no" }),
    );
    note("ACS URL", a.acs_url != b.acs_url, Some(&b.acs_url));
    let additional = b.additional_acs_urls.join(" ");
    note(
        "additional ACS URLs",
        a.additional_acs_urls != b.additional_acs_urls,
        Some(if additional.is_empty() {
            "(none)"
        } else {
            &additional
        }),
    );
    note(
        "audience",
        a.audience != b.audience,
        Some(b.audience.as_deref().unwrap_or("(none)")),
    );
    note("issuer", a.issuer != b.issuer, Some(&b.issuer));
    note(
        "SLS URL",
        a.sls_url != b.sls_url,
        Some(b.sls_url.as_deref().unwrap_or("(none)")),
    );
    note(
        "SLS binding",
        a.sls_binding != b.sls_binding,
        Some(b.sls_binding.as_str()),
    );
    note("sign assertion", a.sign_assertion != b.sign_assertion, None);
    note("sign response", a.sign_response != b.sign_response, None);
    note("SP certificate", a.sp_cert_pem != b.sp_cert_pem, None);
    note("keypair", a.keypair_id != b.keypair_id, None);
    note(
        "NameID format",
        a.name_id_format != b.name_id_format,
        Some(&b.name_id_format),
    );
    note(
        "default relay state",
        a.default_relay_state != b.default_relay_state,
        None,
    );
    note(
        "launch URL",
        a.launch_url != b.launch_url,
        b.launch_url.as_deref(),
    );
    if changed.is_empty() {
        "nothing changed".into()
    } else {
        format!("changed {}", changed.join(", "))
    }
}

struct WizardValue {
    id: &'static str,
    label: &'static str,
    value: String,
}

struct AttributeRow {
    name: String,
    values: String,
}

struct Preview {
    username: String,
    name_id: String,
    name_id_format: String,
    attributes: Vec<AttributeRow>,
}

#[derive(Template)]
#[template(path = "admin/app_show.html")]
struct ProviderPage {
    chrome: Chrome,
    app: Application,
    keypair: String,
    fingerprint: String,
    metadata_url: String,
    launch_url: String,
    wizard: Vec<WizardValue>,
    users: Vec<String>,
    preview: Option<Preview>,
    preview_missing: Option<String>,
    saved: Option<&'static str>,
}

#[derive(Deserialize)]
struct ShowQuery {
    user: Option<String>,
    done: Option<String>,
}

/// `GET /admin/applications/{slug}/`: the provider page.
async fn show(
    admin: Admin,
    state: State,
    slug: web::Path<String>,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, WebError> {
    let slug = slug.into_inner();
    let q = q.into_inner();
    let idp = state.get_ref().clone();
    let preview_of = q.user.clone().filter(|u| !u.is_empty());
    let (app, summary, fingerprint, users, preview_user) = blocking(move || {
        let app = idp
            .store
            .application(&slug)
            .map_err(internal)?
            .ok_or_else(|| not_found(&slug))?;
        let summary = idp.provider_summary(&slug).map_err(sso_error)?;
        let fingerprint = match idp.keyring.get(app.keypair_id) {
            Ok(k) => k.key.fingerprint_sha256(),
            Err(e) => format!("(the keypair cannot be loaded: {e})"),
        };
        let users = idp.store.list_users().map_err(internal)?;
        let preview_user = match &preview_of {
            Some(u) => idp.store.user_by_username(u).map_err(internal)?,
            None => None,
        };
        Ok((app, summary, fingerprint, users, preview_user))
    })
    .await?;
    let preview = preview_user.as_ref().map(|user| {
        let (name_id, format) = match app.name_id_format.as_str() {
            name_id_formats::PERSISTENT => (user.id.clone(), app.name_id_format.clone()),
            name_id_formats::TRANSIENT => (
                "(a new random value at each sign-in)".into(),
                app.name_id_format.clone(),
            ),
            _ => (user.email.clone(), app.name_id_format.clone()),
        };
        Preview {
            username: user.username.clone(),
            name_id,
            name_id_format: format,
            attributes: crate::idp::sso::user_attributes(user)
                .into_iter()
                .map(|a| AttributeRow {
                    name: a.name,
                    values: a.values.join(", "),
                })
                .collect(),
        }
    });
    let preview_missing = match (&q.user, &preview) {
        (Some(u), None) if !u.is_empty() => Some(format!("There is no user {u:?}.")),
        _ => None,
    };
    let launch_url = app
        .launch_url
        .clone()
        .unwrap_or_else(|| state.app_url(&app.slug, "sso/binding/init/"));
    let page = ProviderPage {
        chrome: admin.chrome("providers"),
        keypair: summary.keypair_name.clone(),
        fingerprint,
        metadata_url: summary.metadata_url.clone(),
        launch_url,
        wizard: vec![
            WizardValue {
                id: "entity-id",
                label: "Entity ID",
                value: summary.entity_id,
            },
            WizardValue {
                id: "sign-in-url",
                label: "Sign-in URL",
                value: summary.sign_in_url,
            },
            WizardValue {
                id: "sign-out-url",
                label: "Sign-out URL",
                value: summary.sign_out_url,
            },
        ],
        users: users.into_iter().map(|u| u.username).collect(),
        preview,
        preview_missing,
        saved: notice(&q.done),
        app,
    };
    Ok(render(StatusCode::OK, &page))
}

fn sso_error(e: SsoError) -> WebError {
    match e {
        SsoError::UnknownApplication(slug) => not_found(&slug),
        other => WebError::Internal(other.to_string()),
    }
}

#[derive(Template)]
#[template(path = "admin/app_delete.html")]
struct DeletePage {
    chrome: Chrome,
    app: Application,
}

/// `GET /admin/applications/{slug}/delete/`: asks first.
async fn confirm_delete(
    admin: Admin,
    state: State,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let (app, _) = load(&state, slug.into_inner()).await?;
    let page = DeletePage {
        chrome: admin.chrome("applications"),
        app,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/applications/{slug}/delete/`
async fn delete(
    admin: Admin,
    state: State,
    slug: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    admin.check_csrf(&form.csrf)?;
    let slug = slug.into_inner();
    let store = state.store.clone();
    let target = slug.clone();
    blocking(move || match store.remove_application(&target) {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound { .. }) => Err(not_found(&target)),
        Err(e) => Err(internal(e)),
    })
    .await?;
    admin.audit(
        "app_removed",
        Some(&admin.user.username),
        Some(&slug),
        "deleted",
    );
    Ok(see_other("/admin/applications/?done=deleted"))
}

/// `GET /admin/applications/{slug}/certificate/`: "Download signing
/// certificate", the PEM as `<keypair name>_certificate.pem`. Only the
/// certificate: the private key is never served.
async fn certificate(
    _admin: Admin,
    state: State,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let slug = slug.into_inner();
    let (pem, name) = blocking(move || idp.signing_certificate(&slug).map_err(sso_error)).await?;
    Ok(attachment(
        "application/x-pem-file",
        &format!("{name}_certificate.pem"),
        pem,
    ))
}

/// `GET /admin/applications/{slug}/metadata/`: "Download metadata".
async fn metadata(
    _admin: Admin,
    state: State,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let slug = slug.into_inner();
    let name = format!("{slug}_metadata.xml");
    let xml = blocking(move || idp.metadata(&slug).map_err(sso_error)).await?;
    Ok(attachment(
        "application/samlmetadata+xml; charset=utf-8",
        &name,
        xml,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_derive_from_names() {
        assert_eq!(derive_slug("ChatGPT"), "chatgpt");
        assert_eq!(
            derive_slug("  Chat GPT (Enterprise)! "),
            "chat-gpt-enterprise"
        );
        assert_eq!(derive_slug("Zoë"), "zo");
        assert_eq!(derive_slug("***"), "");
        assert!(derive_slug(&"ab ".repeat(50)).len() <= 64);
    }
}
