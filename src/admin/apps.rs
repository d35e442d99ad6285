//! Creating and reconfiguring applications ("Create with Provider" and
//! "Reconfigure provider" in the ChatGPT guide).

use openssl::x509::X509;

use super::{validate, AdminError};
use crate::keys::DEFAULT_KEYPAIR;
use crate::saml::name_id_formats;
use crate::store::{Application, ApplicationChanges, NewApplication, SlsBinding, Store};

/// The Entity ID the ChatGPT guide tells ChatGPT: authentik's default issuer.
pub const DEFAULT_ISSUER: &str = "authentik";

/// NameID formats an application may use by default.
pub const NAME_ID_FORMATS: &[&str] = &[
    name_id_formats::EMAIL,
    name_id_formats::PERSISTENT,
    name_id_formats::TRANSIENT,
    name_id_formats::UNSPECIFIED,
];

#[derive(Debug, Clone, Default)]
pub struct AppInput {
    pub slug: String,
    pub name: String,
    pub acs_url: String,
    pub audience: Option<String>,
    pub sls_url: Option<String>,
}

/// Changes to an application. For optional settings, `Some("")` clears.
#[derive(Debug, Clone, Default)]
pub struct AppUpdate {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub launch_url: Option<String>,
    pub acs_url: Option<String>,
    pub audience: Option<String>,
    pub issuer: Option<String>,
    pub sls_url: Option<String>,
    pub sls_binding: Option<String>,
    pub sign_assertion: Option<bool>,
    pub sign_response: Option<bool>,
    pub sp_cert_pem: Option<String>,
    pub name_id_format: Option<String>,
    pub default_relay_state: Option<String>,
}

fn check(field: &'static str, r: Result<(), String>) -> Result<(), AdminError> {
    r.map_err(|m| AdminError::invalid(field, m))
}

/// `Some("")` → clear (`Some(None)`), `Some(v)` → set after `check`.
fn optional(
    field: &'static str,
    value: &Option<String>,
    validate: fn(&str) -> Result<(), String>,
) -> Result<Option<Option<String>>, AdminError> {
    match value.as_deref() {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(v) => {
            check(field, validate(v))?;
            Ok(Some(Some(v.to_owned())))
        }
    }
}

/// Checks a service provider's certificate for signed requests.
pub fn sp_certificate(pem: &str) -> Result<(), String> {
    let cert = X509::from_pem(pem.as_bytes()).map_err(|_| "is not a PEM certificate")?;
    let key = cert.public_key().map_err(|_| "has an unreadable public key")?;
    if let Ok(rsa) = key.rsa() {
        if rsa.size() * 8 < 2048 {
            return Err(format!("has an RSA key of {} bits; at least 2048 needed", rsa.size() * 8));
        }
    } else if key.ec_key().is_err() {
        return Err("must hold an RSA or EC public key".into());
    }
    Ok(())
}

/// Creates an application with its SAML provider, signed by the default keypair.
pub fn create_app(store: &Store, input: AppInput) -> Result<Application, AdminError> {
    check("slug", validate::slug(&input.slug))?;
    check("name", validate::text(&input.name, 128))?;
    check("acs-url", validate::endpoint_url(&input.acs_url))?;
    if let Some(a) = &input.audience {
        check("audience", validate::entity_id(a))?;
    }
    if let Some(u) = &input.sls_url {
        check("sls-url", validate::endpoint_url(u))?;
    }
    let keypair = store
        .list_keypairs()?
        .into_iter()
        .find(|k| k.name == DEFAULT_KEYPAIR)
        .ok_or_else(|| AdminError::invalid("keypair", "the default keypair does not exist"))?;
    Ok(store.create_application(&NewApplication {
        slug: input.slug,
        name: input.name,
        acs_url: input.acs_url,
        audience: input.audience.filter(|a| !a.is_empty()),
        issuer: DEFAULT_ISSUER.into(),
        sls_url: input.sls_url.filter(|u| !u.is_empty()),
        keypair_id: keypair.id,
        name_id_format: name_id_formats::EMAIL.into(),
    })?)
}

/// Checks every change, then applies them all in one transaction. Blocking.
pub fn update_app(store: &Store, slug: &str, update: AppUpdate) -> Result<Application, AdminError> {
    let current = store.application(slug)?.ok_or_else(|| {
        AdminError::Store(crate::store::StoreError::NotFound {
            what: "application",
            value: slug.to_owned(),
        })
    })?;
    let mut changes = ApplicationChanges::default();
    if let Some(v) = &update.name {
        check("name", validate::text(v, 128))?;
        changes.name = Some(v.clone());
    }
    changes.enabled = update.enabled;
    if let Some(v) = &update.acs_url {
        check("acs-url", validate::endpoint_url(v))?;
        changes.acs_url = Some(v.clone());
    }
    changes.launch_url = optional("launch-url", &update.launch_url, validate::endpoint_url)?;
    changes.audience = optional("audience", &update.audience, validate::entity_id)?;
    changes.sls_url = optional("sls-url", &update.sls_url, validate::endpoint_url)?;
    changes.sp_cert_pem = optional("sp-cert", &update.sp_cert_pem, sp_certificate)?;
    changes.default_relay_state =
        optional("default-relay-state", &update.default_relay_state, |v| {
            validate::text(v, 1024)
        })?;
    if let Some(v) = &update.issuer {
        check("issuer", validate::entity_id(v))?;
        changes.issuer = Some(v.clone());
    }
    if let Some(v) = &update.sls_binding {
        let binding = SlsBinding::parse(v)
            .ok_or_else(|| AdminError::invalid("sls-binding", "must be redirect or post"))?;
        changes.sls_binding = Some(binding);
    }
    if let Some(v) = &update.name_id_format {
        if !NAME_ID_FORMATS.contains(&v.as_str()) {
            return Err(AdminError::invalid(
                "name-id-format",
                format!("must be one of {}", NAME_ID_FORMATS.join(", ")),
            ));
        }
        changes.name_id_format = Some(v.clone());
    }
    changes.sign_assertion = update.sign_assertion;
    changes.sign_response = update.sign_response;
    let signs_assertion = update.sign_assertion.unwrap_or(current.sign_assertion);
    let signs_response = update.sign_response.unwrap_or(current.sign_response);
    if !signs_assertion && !signs_response {
        return Err(AdminError::invalid(
            "sign-assertion",
            "the assertion or the response must be signed; signet never sends unsigned ones",
        ));
    }
    Ok(store.update_application(slug, &changes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with_keypair() -> Store {
        let store = Store::open_in_memory().unwrap();
        store.add_keypair(DEFAULT_KEYPAIR, "k", "c").unwrap();
        store
    }

    fn chatgpt() -> AppInput {
        AppInput {
            slug: "chatgpt".into(),
            name: "ChatGPT".into(),
            acs_url: "https://temp.temp".into(),
            ..Default::default()
        }
    }

    #[test]
    fn create_uses_authentik_issuer_and_email_name_id() {
        let store = store_with_keypair();
        let app = create_app(&store, chatgpt()).unwrap();
        assert_eq!(app.issuer, "authentik");
        assert_eq!(app.name_id_format, name_id_formats::EMAIL);
        assert!(app.sign_assertion && !app.sign_response);
    }

    #[test]
    fn refuses_dangerous_acs_urls_and_saves_nothing() {
        let store = store_with_keypair();
        let mut input = chatgpt();
        input.acs_url = "javascript:alert(1)".into();
        assert!(matches!(
            create_app(&store, input),
            Err(AdminError::Invalid { field: "acs-url", .. })
        ));
        assert!(store.list_applications().unwrap().is_empty());
    }

    #[test]
    fn a_bad_field_leaves_the_application_unchanged() {
        let store = store_with_keypair();
        let before = create_app(&store, chatgpt()).unwrap();
        let update = AppUpdate {
            acs_url: Some("https://sp.example.com/acs".into()),
            sls_url: Some("data:text/html,x".into()),
            ..Default::default()
        };
        assert!(update_app(&store, "chatgpt", update).is_err());
        assert_eq!(store.application("chatgpt").unwrap().unwrap(), before);
    }

    #[test]
    fn refuses_turning_off_every_signature() {
        let store = store_with_keypair();
        create_app(&store, chatgpt()).unwrap();
        let update = AppUpdate {
            sign_assertion: Some(false),
            ..Default::default()
        };
        assert!(update_app(&store, "chatgpt", update).is_err());
        let update = AppUpdate {
            sign_assertion: Some(false),
            sign_response: Some(true),
            ..Default::default()
        };
        let app = update_app(&store, "chatgpt", update).unwrap();
        assert!(!app.sign_assertion && app.sign_response);
    }

    #[test]
    fn empty_value_clears_an_optional_setting() {
        let store = store_with_keypair();
        let mut input = chatgpt();
        input.audience = Some("https://sp.example.com".into());
        create_app(&store, input).unwrap();
        let update = AppUpdate {
            audience: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(update_app(&store, "chatgpt", update).unwrap().audience, None);
    }
}
