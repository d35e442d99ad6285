//! Signing certificates: the keypairs with their subject, fingerprint and
//! expiry; generating a self-signed one; importing a certificate and key.
//! A private key goes in once, through the import form, and never comes out.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::apps::saved_notice;
use super::{blocking, internal, render, render_form, see_other, utc, Admin, Chrome, Errors};
use crate::admin::keypairs::{generate_keypair, import_keypair, MAX_VALID_DAYS};
use crate::admin::AdminError;
use crate::keys::EXPIRY_WARNING_DAYS;
use crate::store::StoreError;
use crate::web::{State, WebError};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/certificates/").get(list))
        .service(
            web::resource("/certificates/generate/")
                .get(generate_form)
                .post(generate),
        )
        .service(
            web::resource("/certificates/import/")
                .get(import_form)
                .post(import),
        );
}

struct KeypairRow {
    name: String,
    subject: String,
    fingerprint: String,
    expires: String,
    /// "expired", "soon" or "" for the row's warning.
    warning: &'static str,
    days_left: i64,
    used_by: Vec<String>,
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/keypairs.html")]
struct KeypairsPage {
    chrome: Chrome,
    keypairs: Vec<KeypairRow>,
    warning_days: i64,
    saved: Option<&'static str>,
}

#[derive(Deserialize)]
struct Notice {
    done: Option<String>,
}

/// `GET /admin/certificates/`
async fn list(admin: Admin, state: State, q: web::Query<Notice>) -> Result<HttpResponse, WebError> {
    let idp = state.get_ref().clone();
    let rows = blocking(move || {
        let apps = idp.store.list_applications().map_err(internal)?;
        let now = time::OffsetDateTime::now_utc();
        let rows = idp
            .store
            .list_keypairs()
            .map_err(internal)?
            .into_iter()
            .map(|k| {
                let used_by = apps
                    .iter()
                    .filter(|a| a.keypair_id == k.id)
                    .map(|a| a.name.clone())
                    .collect();
                match idp.keyring.get(k.id) {
                    Ok(loaded) => {
                        let key = &loaded.key;
                        let days_left = (key.not_after() - now).whole_days();
                        let warning = if key.check_validity(now).is_err() {
                            "expired"
                        } else if days_left < EXPIRY_WARNING_DAYS {
                            "soon"
                        } else {
                            ""
                        };
                        KeypairRow {
                            name: k.name,
                            subject: key.subject().to_owned(),
                            fingerprint: key.fingerprint_sha256(),
                            expires: utc(key.not_after().unix_timestamp()),
                            warning,
                            days_left,
                            used_by,
                            problem: None,
                        }
                    }
                    Err(e) => KeypairRow {
                        name: k.name,
                        subject: String::new(),
                        fingerprint: String::new(),
                        expires: String::new(),
                        warning: "",
                        days_left: 0,
                        used_by,
                        problem: Some(e.to_string()),
                    },
                }
            })
            .collect::<Vec<_>>();
        Ok(rows)
    })
    .await?;
    let page = KeypairsPage {
        chrome: admin.chrome("certificates"),
        keypairs: rows,
        warning_days: EXPIRY_WARNING_DAYS,
        saved: saved_notice(&q.done),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
struct GenerateForm {
    csrf: String,
    name: String,
    common_name: String,
    valid_days: String,
}

#[derive(Template)]
#[template(path = "admin/keypair_generate.html")]
struct GeneratePage {
    chrome: Chrome,
    form: GenerateForm,
    max_days: u32,
    errors: Errors,
}

/// `GET /admin/certificates/generate/`
async fn generate_form(admin: Admin) -> HttpResponse {
    let page = GeneratePage {
        chrome: admin.chrome("certificates"),
        form: GenerateForm {
            common_name: "signet Self-signed Certificate".into(),
            valid_days: "1095".into(),
            ..Default::default()
        },
        max_days: MAX_VALID_DAYS,
        errors: Errors::default(),
    };
    render(StatusCode::OK, &page)
}

/// Maps a refused keypair operation to the form's fields.
fn keypair_errors(e: AdminError) -> Result<Errors, WebError> {
    match e {
        AdminError::Store(StoreError::Duplicate { value, .. }) => {
            let mut errors = Errors::default();
            errors.add("name", format!("a keypair named {value:?} exists"));
            Ok(errors)
        }
        AdminError::Store(other) => Err(internal(other)),
        other => Ok(other.field_messages().into()),
    }
}

/// `POST /admin/certificates/generate/`
async fn generate(
    admin: Admin,
    state: State,
    form: web::Form<GenerateForm>,
) -> Result<HttpResponse, WebError> {
    admin.check_csrf(&form.csrf)?;
    let mut form = form.into_inner();
    form.name = form.name.trim().to_owned();
    let idp = state.get_ref().clone();
    let typed = form.clone();
    let result = blocking(move || {
        let Ok(days) = typed.valid_days.trim().parse::<u32>() else {
            let mut errors = Errors::default();
            errors.add(
                "valid-days",
                format!("must be a number of days, 1 to {MAX_VALID_DAYS}"),
            );
            return Ok(Err(errors));
        };
        let dir = &idp.config.data_dir;
        match generate_keypair(&idp.store, dir, &typed.name, typed.common_name.trim(), days) {
            Ok(k) => Ok(Ok(k)),
            Err(e) => Ok(Err(keypair_errors(e)?)),
        }
    })
    .await?;
    match result {
        Ok(k) => {
            let detail = format!("generated self-signed keypair {}", k.name);
            admin.audit(
                "keypair_generated",
                Some(&admin.user.username),
                None,
                &detail,
            );
            Ok(see_other("/admin/certificates/?done=keypair"))
        }
        Err(errors) => {
            let page = GeneratePage {
                chrome: admin.chrome("certificates"),
                form,
                max_days: MAX_VALID_DAYS,
                errors,
            };
            Ok(render_form(&page.errors, &page))
        }
    }
}

#[derive(Default, Clone, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
struct ImportForm {
    csrf: String,
    name: String,
    certificate: String,
    private_key: String,
}

/// The import form as shown again: never with the private key.
struct ImportFields {
    name: String,
    certificate: String,
}

#[derive(Template)]
#[template(path = "admin/keypair_import.html")]
struct ImportPage {
    chrome: Chrome,
    form: ImportFields,
    errors: Errors,
}

/// `GET /admin/certificates/import/`
async fn import_form(admin: Admin) -> HttpResponse {
    let page = ImportPage {
        chrome: admin.chrome("certificates"),
        form: ImportFields {
            name: String::new(),
            certificate: String::new(),
        },
        errors: Errors::default(),
    };
    render(StatusCode::OK, &page)
}

/// `POST /admin/certificates/import/`
async fn import(
    admin: Admin,
    state: State,
    form: web::Form<ImportForm>,
) -> Result<HttpResponse, WebError> {
    admin.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let shown = ImportFields {
        name: form.name.trim().to_owned(),
        certificate: form.certificate.clone(),
    };
    let idp = state.get_ref().clone();
    let result = blocking(move || {
        let dir = &idp.config.data_dir;
        let name = form.name.trim();
        match import_keypair(&idp.store, dir, name, &form.certificate, &form.private_key) {
            Ok(k) => Ok(Ok(k)),
            Err(e) => Ok(Err(keypair_errors(e)?)),
        }
    })
    .await?;
    match result {
        Ok(k) => {
            let detail = format!("imported keypair {}", k.name);
            admin.audit(
                "keypair_imported",
                Some(&admin.user.username),
                None,
                &detail,
            );
            Ok(see_other("/admin/certificates/?done=keypair"))
        }
        Err(errors) => {
            let page = ImportPage {
                chrome: admin.chrome("certificates"),
                form: shown,
                errors,
            };
            Ok(render_form(&page.errors, &page))
        }
    }
}
