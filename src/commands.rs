//! The command-line operations behind `signet user|app|cert ...`. Each
//! writes its result to `out` and returns an error for standard error.

use std::io::{BufRead, Write};

use crate::admin::{self, AdminError, AppInput, AppUpdate, UserInput};
use crate::config::Config;
use crate::idp::sso::SsoError;
use crate::idp::Idp;
use crate::password::Password;
use crate::server::{self, StartError};
use crate::store::Application;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("{0}")]
    Sso(#[from] SsoError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn open(config: Config) -> Result<std::sync::Arc<Idp>, CommandError> {
    Ok(server::prepare(config)?)
}

/// Reads one line from `input` as a password, without its line ending.
pub fn read_password(input: &mut impl BufRead) -> Result<Password, CommandError> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    Ok(Password::new(trimmed.to_owned()))
}

pub fn user_add(
    config: Config,
    input: UserInput,
    stdin: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let idp = open(config)?;
    let password = read_password(stdin)?;
    let user = admin::add_user(&idp.store, input, &password)?;
    idp.audit(
        "user_created",
        Some(&user.username),
        None,
        None,
        Some("cli"),
    );
    writeln!(
        out,
        "created user {} <{}> (id {})",
        user.username, user.email, user.id
    )?;
    Ok(())
}

pub fn user_list(config: Config, out: &mut impl Write) -> Result<(), CommandError> {
    let idp = open(config)?;
    let users = idp.store.list_users().map_err(AdminError::from)?;
    writeln!(out, "USERNAME\tEMAIL\tNAME\tADMIN\tACTIVE")?;
    for u in users {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}",
            u.username,
            u.email,
            u.display_name(),
            if u.is_admin { "yes" } else { "no" },
            if u.is_active { "yes" } else { "no" }
        )?;
    }
    Ok(())
}

pub fn user_passwd(
    config: Config,
    username: &str,
    stdin: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let idp = open(config)?;
    let password = read_password(stdin)?;
    admin::set_password(&idp.store, username, &password)?;
    idp.audit("password_changed", Some(username), None, None, Some("cli"));
    writeln!(out, "password of {username} changed")?;
    Ok(())
}

pub fn user_remove(
    config: Config,
    username: &str,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let idp = open(config)?;
    idp.store.remove_user(username).map_err(AdminError::from)?;
    idp.audit("user_removed", Some(username), None, None, Some("cli"));
    writeln!(out, "removed user {username}")?;
    Ok(())
}

/// Creates an application; `settings` holds what `app create` takes beyond
/// `input` (the additional ACS URLs).
pub fn app_create(
    config: Config,
    input: AppInput,
    settings: AppUpdate,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let idp = open(config)?;
    let app = admin::create_app_with_provider(&idp.store, input, settings, None)?;
    idp.audit("app_created", None, Some(&app.slug), None, Some("cli"));
    writeln!(out, "created application {} ({})", app.slug, app.name)?;
    writeln!(out)?;
    write_wizard_values(&idp, &app.slug, out)?;
    write_missing_audience(&app, out)
}

/// Until the SP's Audience is set, assertions name no audience and any
/// request Issuer is accepted: say so, with the guide's next step.
fn write_missing_audience(app: &Application, out: &mut impl Write) -> Result<(), CommandError> {
    if app.audience.is_some() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "No Audience yet: assertions carry no AudienceRestriction and any Issuer is accepted."
    )?;
    writeln!(
        out,
        "When the service provider shows its ACS URL and Audience (Entity ID), run:"
    )?;
    writeln!(
        out,
        "  signet app update {} --acs-url '<ACS URL>' --audience '<Audience>'",
        app.slug
    )?;
    Ok(())
}

/// What the ChatGPT "Custom SAML" wizard asks for.
fn write_wizard_values(idp: &Idp, slug: &str, out: &mut impl Write) -> Result<(), CommandError> {
    let s = idp.provider_summary(slug)?;
    writeln!(out, "For the service provider (ChatGPT: Custom SAML):")?;
    writeln!(out, "  Entity ID:        {}", s.entity_id)?;
    writeln!(out, "  Sign-in URL:      {}", s.sign_in_url)?;
    writeln!(out, "  Sign-out URL:     {}", s.sign_out_url)?;
    writeln!(out, "  Metadata URL:     {}", s.metadata_url)?;
    writeln!(
        out,
        "  X.509 certificate: signet cert export {slug} > {}_certificate.pem",
        s.keypair_name
    )?;
    Ok(())
}

pub fn app_update(
    config: Config,
    slug: &str,
    update: AppUpdate,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let idp = open(config)?;
    let app = admin::update_app(&idp.store, slug, update)?;
    idp.audit("app_updated", None, Some(&app.slug), None, Some("cli"));
    writeln!(out, "updated application {}", app.slug)?;
    Ok(())
}

pub fn app_show(config: Config, slug: &str, out: &mut impl Write) -> Result<(), CommandError> {
    let idp = open(config)?;
    let app = idp
        .store
        .application(slug)
        .map_err(AdminError::from)?
        .ok_or_else(|| SsoError::UnknownApplication(slug.to_owned()))?;
    let none = "(none)";
    writeln!(out, "slug:              {}", app.slug)?;
    writeln!(out, "name:              {}", app.name)?;
    writeln!(out, "enabled:           {}", app.enabled)?;
    writeln!(out, "ACS URL:           {}", app.acs_url)?;
    match app.additional_acs_urls.as_slice() {
        [] => writeln!(out, "additional ACS:    {none}")?,
        [first, rest @ ..] => {
            writeln!(out, "additional ACS:    {first}")?;
            for url in rest {
                writeln!(out, "                   {url}")?;
            }
        }
    }
    writeln!(
        out,
        "audience:          {}",
        app.audience.as_deref().unwrap_or(none)
    )?;
    writeln!(out, "issuer:            {}", app.issuer)?;
    writeln!(
        out,
        "SLS URL:           {}",
        app.sls_url.as_deref().unwrap_or(none)
    )?;
    writeln!(out, "SLS binding:       {}", app.sls_binding.as_str())?;
    writeln!(out, "sign assertion:    {}", app.sign_assertion)?;
    writeln!(out, "sign response:     {}", app.sign_response)?;
    writeln!(out, "NameID format:     {}", app.name_id_format)?;
    writeln!(
        out,
        "signed requests:   {}",
        if app.sp_cert_pem.is_some() {
            "required (SP certificate set)"
        } else {
            "optional"
        }
    )?;
    writeln!(
        out,
        "launch URL:        {}",
        app.launch_url.as_deref().unwrap_or(none)
    )?;
    writeln!(out)?;
    write_wizard_values(&idp, slug, out)?;
    write_missing_audience(&app, out)
}

pub fn app_list(config: Config, out: &mut impl Write) -> Result<(), CommandError> {
    let idp = open(config)?;
    writeln!(out, "SLUG\tNAME\tACS URL\tAUDIENCE")?;
    for app in idp.store.list_applications().map_err(AdminError::from)? {
        writeln!(
            out,
            "{}\t{}\t{}\t{}",
            app.slug,
            app.name,
            app.acs_url,
            app.audience.as_deref().unwrap_or("-")
        )?;
    }
    Ok(())
}

pub fn app_remove(config: Config, slug: &str, out: &mut impl Write) -> Result<(), CommandError> {
    let idp = open(config)?;
    idp.store
        .remove_application(slug)
        .map_err(AdminError::from)?;
    idp.audit("app_removed", None, Some(slug), None, Some("cli"));
    writeln!(out, "removed application {slug}")?;
    Ok(())
}

pub fn cert_export(config: Config, slug: &str, out: &mut impl Write) -> Result<(), CommandError> {
    let idp = open(config)?;
    let (pem, _) = idp.signing_certificate(slug)?;
    out.write_all(pem.as_bytes())?;
    Ok(())
}
