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
    /// Replaces the additional ACS URLs; an empty list clears them.
    pub additional_acs_urls: Option<Vec<String>>,
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
    let key = cert
        .public_key()
        .map_err(|_| "has an unreadable public key")?;
    if let Ok(rsa) = key.rsa() {
        if rsa.size() * 8 < 2048 {
            return Err(format!(
                "has an RSA key of {} bits; at least 2048 needed",
                rsa.size() * 8
            ));
        }
    } else if key.ec_key().is_err() {
        return Err("must hold an RSA or EC public key".into());
    }
    Ok(())
}

/// Creates an application with its SAML provider, signed by the default keypair.
pub fn create_app(store: &Store, input: AppInput) -> Result<Application, AdminError> {
    create_app_with_provider(store, input, AppUpdate::default(), None)
}

/// "Create with provider": the application and every provider setting at
/// once, signed by `keypair` (a keypair name; the default one when `None`).
/// Every field is checked before anything is written, and every refused
/// field is reported. Blocking.
pub fn create_app_with_provider(
    store: &Store,
    input: AppInput,
    settings: AppUpdate,
    keypair: Option<&str>,
) -> Result<Application, AdminError> {
    let mut problems = Vec::new();
    let mut note = |field: &'static str, r: Result<(), String>| {
        if let Err(m) = r {
            problems.push((field, m));
        }
    };
    note("slug", validate::new_slug(&input.slug));
    note("name", validate::text(&input.name, 128));
    note("acs-url", validate::endpoint_url(&input.acs_url));
    if let Some(a) = input.audience.as_deref().filter(|a| !a.is_empty()) {
        note("audience", validate::entity_id(a));
    }
    if let Some(u) = input.sls_url.as_deref().filter(|u| !u.is_empty()) {
        note("sls-url", validate::endpoint_url(u));
    }
    let keypair_id = match find_keypair(store, keypair.unwrap_or(DEFAULT_KEYPAIR)) {
        Ok(id) => Some(id),
        Err(m) => {
            problems.push(("keypair", m));
            None
        }
    };
    // Slugs differing only by case would be two providers whose addresses
    // look the same: refused like an exact duplicate.
    if let Some(taken) = store
        .list_applications()?
        .into_iter()
        .find(|a| a.slug.eq_ignore_ascii_case(&input.slug))
    {
        problems.push((
            "slug",
            if taken.slug == input.slug {
                format!("an application with slug {:?} exists", input.slug)
            } else {
                format!(
                    "an application with slug {:?} exists; slugs may not differ only by case",
                    taken.slug
                )
            },
        ));
    }
    // A new application signs the assertion and not the response until told otherwise.
    let changes = plan_changes(
        &settings,
        (true, false),
        (&input.acs_url, &[]),
        &mut problems,
    );
    AdminError::from_fields(problems)?;

    let app = store.create_application(&NewApplication {
        slug: input.slug,
        name: input.name,
        acs_url: input.acs_url,
        audience: input.audience.filter(|a| !a.is_empty()),
        issuer: DEFAULT_ISSUER.into(),
        sls_url: input.sls_url.filter(|u| !u.is_empty()),
        keypair_id: keypair_id.expect("checked above"),
        name_id_format: name_id_formats::EMAIL.into(),
    })?;
    if is_empty(&changes) {
        return Ok(app);
    }
    store
        .update_application(&app.slug, &changes)
        .inspect_err(|_| {
            // Leave nothing half made behind.
            let _ = store.remove_application(&app.slug);
        })
        .map_err(AdminError::from)
}

/// The id of the keypair named `name`, or a message for the form.
fn find_keypair(store: &Store, name: &str) -> Result<i64, String> {
    let keypairs = store.list_keypairs().map_err(|e| e.to_string())?;
    keypairs
        .into_iter()
        .find(|k| k.name == name)
        .map(|k| k.id)
        .ok_or_else(|| format!("there is no keypair named {name:?}"))
}

fn is_empty(c: &ApplicationChanges) -> bool {
    c.name.is_none()
        && c.enabled.is_none()
        && c.launch_url.is_none()
        && c.acs_url.is_none()
        && c.additional_acs_urls.is_none()
        && c.audience.is_none()
        && c.issuer.is_none()
        && c.sls_url.is_none()
        && c.sls_binding.is_none()
        && c.sign_assertion.is_none()
        && c.sign_response.is_none()
        && c.sp_cert_pem.is_none()
        && c.keypair_id.is_none()
        && c.name_id_format.is_none()
        && c.default_relay_state.is_none()
}

/// Checks every change of `update`, noting each refused field in
/// `problems`. `signs` is what the application signs now (assertion,
/// response); `acs` its ACS URLs now (the default, the additional ones).
fn plan_changes(
    update: &AppUpdate,
    signs: (bool, bool),
    acs: (&str, &[String]),
    problems: &mut Vec<(&'static str, String)>,
) -> ApplicationChanges {
    let mut changes = ApplicationChanges::default();
    let mut keep = |r: Result<Option<Option<String>>, AdminError>| match r {
        Ok(v) => v,
        Err(e) => {
            problems.extend(e.field_messages());
            None
        }
    };
    changes.launch_url = keep(optional(
        "launch-url",
        &update.launch_url,
        validate::endpoint_url,
    ));
    changes.audience = keep(optional("audience", &update.audience, validate::entity_id));
    changes.sls_url = keep(optional("sls-url", &update.sls_url, validate::endpoint_url));
    changes.sp_cert_pem = keep(optional("sp-cert", &update.sp_cert_pem, sp_certificate));
    changes.default_relay_state = keep(optional(
        "default-relay-state",
        &update.default_relay_state,
        |v| validate::text(v, 1024),
    ));
    let mut note = |field: &'static str, r: Result<(), String>| match r {
        Ok(()) => true,
        Err(m) => {
            problems.push((field, m));
            false
        }
    };
    if let Some(v) = &update.name {
        if note("name", validate::text(v, 128)) {
            changes.name = Some(v.clone());
        }
    }
    changes.enabled = update.enabled;
    if let Some(v) = &update.acs_url {
        if note("acs-url", validate::endpoint_url(v)) {
            changes.acs_url = Some(v.clone());
        }
    }
    // The default and the additional URLs stay distinct, whichever changes.
    let default = update.acs_url.as_deref().unwrap_or(acs.0);
    if let Some(list) = &update.additional_acs_urls {
        if note(
            "additional-acs-urls",
            validate::additional_acs_urls(default, list),
        ) {
            changes.additional_acs_urls = Some(list.clone());
        }
    } else if update.acs_url.is_some() && acs.1.iter().any(|u| u == default) {
        note(
            "acs-url",
            Err("is already one of the additional ACS URLs; remove it from that list".into()),
        );
    }
    if let Some(v) = &update.issuer {
        if note("issuer", validate::entity_id(v)) {
            changes.issuer = Some(v.clone());
        }
    }
    if let Some(v) = &update.sls_binding {
        match SlsBinding::parse(v) {
            Some(b) => changes.sls_binding = Some(b),
            None => {
                note("sls-binding", Err("must be redirect or post".into()));
            }
        }
    }
    if let Some(v) = &update.name_id_format {
        if NAME_ID_FORMATS.contains(&v.as_str()) {
            changes.name_id_format = Some(v.clone());
        } else {
            note(
                "name-id-format",
                Err(format!("must be one of {}", NAME_ID_FORMATS.join(", "))),
            );
        }
    }
    changes.sign_assertion = update.sign_assertion;
    changes.sign_response = update.sign_response;
    let signs_assertion = update.sign_assertion.unwrap_or(signs.0);
    let signs_response = update.sign_response.unwrap_or(signs.1);
    if !signs_assertion && !signs_response {
        note(
            "sign-assertion",
            Err(
                "the assertion or the response must be signed; signet never sends unsigned ones"
                    .into(),
            ),
        );
    }
    changes
}

/// Checks every change, then applies them all in one transaction. Blocking.
pub fn update_app(store: &Store, slug: &str, update: AppUpdate) -> Result<Application, AdminError> {
    reconfigure_app(store, slug, update, None)
}

/// "Reconfigure provider": [`update_app`], optionally switching the signing
/// keypair (by name). Every refused field is reported. Blocking.
pub fn reconfigure_app(
    store: &Store,
    slug: &str,
    update: AppUpdate,
    keypair: Option<&str>,
) -> Result<Application, AdminError> {
    let current = store.application(slug)?.ok_or_else(|| {
        AdminError::Store(crate::store::StoreError::NotFound {
            what: "application",
            value: slug.to_owned(),
        })
    })?;
    let mut problems = Vec::new();
    let mut changes = plan_changes(
        &update,
        (current.sign_assertion, current.sign_response),
        (&current.acs_url, &current.additional_acs_urls),
        &mut problems,
    );
    if let Some(name) = keypair {
        match find_keypair(store, name) {
            Ok(id) if id != current.keypair_id => changes.keypair_id = Some(id),
            Ok(_) => {}
            Err(m) => problems.push(("keypair", m)),
        }
    }
    AdminError::from_fields(problems)?;
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
            Err(AdminError::Invalid {
                field: "acs-url",
                ..
            })
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
        assert_eq!(
            update_app(&store, "chatgpt", update).unwrap().audience,
            None
        );
    }

    #[test]
    fn create_with_provider_reports_every_refused_field_and_saves_nothing() {
        let store = store_with_keypair();
        let mut input = chatgpt();
        input.acs_url = "/relative".into();
        let settings = AppUpdate {
            launch_url: Some("javascript:alert(1)".into()),
            name_id_format: Some("urn:x".into()),
            ..Default::default()
        };
        let err = create_app_with_provider(&store, input, settings, Some("nope")).unwrap_err();
        let fields: Vec<_> = err.field_messages().into_iter().map(|(f, _)| f).collect();
        for f in ["acs-url", "launch-url", "name-id-format", "keypair"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        assert!(store.list_applications().unwrap().is_empty());
    }

    #[test]
    fn create_with_provider_applies_settings_and_keypair() {
        let store = store_with_keypair();
        let other = store.add_keypair("other", "k2", "c2").unwrap();
        let settings = AppUpdate {
            sign_response: Some(true),
            default_relay_state: Some("/home".into()),
            sls_binding: Some("post".into()),
            ..Default::default()
        };
        let app = create_app_with_provider(&store, chatgpt(), settings, Some("other")).unwrap();
        assert_eq!(app.keypair_id, other.id);
        assert!(app.sign_response && app.sign_assertion);
        assert_eq!(app.default_relay_state.as_deref(), Some("/home"));
        assert_eq!(app.sls_binding, SlsBinding::Post);
        let dup = create_app_with_provider(&store, chatgpt(), AppUpdate::default(), None);
        assert!(matches!(
            dup,
            Err(AdminError::Invalid { field: "slug", .. })
        ));
    }

    fn urls(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|u| (*u).to_owned()).collect())
    }

    #[test]
    fn additional_acs_urls_are_set_replaced_and_cleared() {
        let store = store_with_keypair();
        let settings = AppUpdate {
            additional_acs_urls: urls(&["https://staging.example/acs"]),
            ..Default::default()
        };
        let app = create_app_with_provider(&store, chatgpt(), settings, None).unwrap();
        assert_eq!(app.additional_acs_urls, ["https://staging.example/acs"]);
        let update = AppUpdate {
            additional_acs_urls: urls(&["https://a.example/acs", "https://b.example/acs?x=1"]),
            ..Default::default()
        };
        let app = update_app(&store, "chatgpt", update).unwrap();
        assert_eq!(
            app.additional_acs_urls,
            ["https://a.example/acs", "https://b.example/acs?x=1"]
        );
        // Another change leaves the list as it is.
        let update = AppUpdate {
            name: Some("Chat".into()),
            ..Default::default()
        };
        let app = update_app(&store, "chatgpt", update).unwrap();
        assert_eq!(app.additional_acs_urls.len(), 2);
        let update = AppUpdate {
            additional_acs_urls: Some(Vec::new()),
            ..Default::default()
        };
        assert!(update_app(&store, "chatgpt", update)
            .unwrap()
            .additional_acs_urls
            .is_empty());
    }

    #[test]
    fn refuses_bad_or_repeated_additional_acs_urls_and_saves_nothing() {
        let store = store_with_keypair();
        let bad = AppUpdate {
            additional_acs_urls: urls(&["https://ok.example/acs", "javascript:alert(1)"]),
            ..Default::default()
        };
        let err = create_app_with_provider(&store, chatgpt(), bad.clone(), None).unwrap_err();
        assert_eq!(err.field_messages()[0].0, "additional-acs-urls");
        assert!(store.list_applications().unwrap().is_empty());

        let before = create_app(&store, chatgpt()).unwrap();
        for list in [
            &["javascript:alert(1)"][..],
            &["https://temp.temp"],
            &["https://a.example/acs", "https://a.example/acs"],
        ] {
            let update = AppUpdate {
                additional_acs_urls: urls(list),
                name: Some("Renamed".into()),
                ..Default::default()
            };
            let err = update_app(&store, "chatgpt", update).unwrap_err();
            assert_eq!(err.field_messages()[0].0, "additional-acs-urls", "{list:?}");
            assert_eq!(store.application("chatgpt").unwrap().unwrap(), before);
        }
        let seventeen: Vec<String> = (0..17)
            .map(|i| format!("https://s{i}.example/acs"))
            .collect();
        let update = AppUpdate {
            additional_acs_urls: Some(seventeen.clone()),
            ..Default::default()
        };
        assert!(update_app(&store, "chatgpt", update).is_err());
        let update = AppUpdate {
            additional_acs_urls: Some(seventeen[..16].to_vec()),
            ..Default::default()
        };
        assert_eq!(
            update_app(&store, "chatgpt", update)
                .unwrap()
                .additional_acs_urls
                .len(),
            16
        );
    }

    #[test]
    fn the_default_acs_url_may_not_become_one_of_the_additional_ones() {
        let store = store_with_keypair();
        let settings = AppUpdate {
            additional_acs_urls: urls(&["https://staging.example/acs"]),
            ..Default::default()
        };
        create_app_with_provider(&store, chatgpt(), settings, None).unwrap();
        let update = AppUpdate {
            acs_url: Some("https://staging.example/acs".into()),
            ..Default::default()
        };
        let err = update_app(&store, "chatgpt", update).unwrap_err();
        assert_eq!(err.field_messages()[0].0, "acs-url");
        // Swapping them in one update is fine.
        let update = AppUpdate {
            acs_url: Some("https://staging.example/acs".into()),
            additional_acs_urls: urls(&["https://temp.temp"]),
            ..Default::default()
        };
        let app = update_app(&store, "chatgpt", update).unwrap();
        assert_eq!(app.acs_url, "https://staging.example/acs");
        assert_eq!(app.additional_acs_urls, ["https://temp.temp"]);
    }

    #[test]
    fn reconfigure_switches_keypair() {
        let store = store_with_keypair();
        create_app(&store, chatgpt()).unwrap();
        let other = store.add_keypair("other", "k2", "c2").unwrap();
        let app = reconfigure_app(&store, "chatgpt", AppUpdate::default(), Some("other")).unwrap();
        assert_eq!(app.keypair_id, other.id);
    }
}
