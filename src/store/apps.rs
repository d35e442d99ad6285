//! The `applications` table: each row is an application with its SAML provider.

use rusqlite::{params, OptionalExtension, Row};

use super::{unique_violation, unix_now, Store, StoreError};

/// How a LogoutResponse or LogoutRequest reaches the SP's SLS URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlsBinding {
    Redirect,
    Post,
}

impl SlsBinding {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Redirect => "redirect",
            Self::Post => "post",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "redirect" => Some(Self::Redirect),
            "post" => Some(Self::Post),
            _ => None,
        }
    }
}

/// An application and its SAML service-provider settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub enabled: bool,
    pub launch_url: Option<String>,
    /// The default AssertionConsumerService URL: used when a request names
    /// none, and for IdP-initiated sign-in. Compared byte for byte.
    pub acs_url: String,
    /// Further ACS URLs a request may name (at most 16, none equal to
    /// another or to `acs_url`; `crate::admin` checks), compared byte for
    /// byte like `acs_url`.
    pub additional_acs_urls: Vec<String>,
    /// The SP's entity id: AudienceRestriction and the expected request Issuer.
    pub audience: Option<String>,
    /// Our entity id towards this SP.
    pub issuer: String,
    pub sls_url: Option<String>,
    pub sls_binding: SlsBinding,
    pub sign_assertion: bool,
    pub sign_response: bool,
    /// When set, requests from this SP must be signed with this certificate's key.
    pub sp_cert_pem: Option<String>,
    pub keypair_id: i64,
    pub name_id_format: String,
    pub default_relay_state: Option<String>,
    pub not_before_skew_seconds: i64,
    pub assertion_lifetime_seconds: i64,
    pub session_lifetime_seconds: i64,
}

impl Application {
    /// Whether `url` is, byte for byte, the default ACS URL or one of the
    /// additional ones. No normalisation: case, escapes, a trailing `/` or
    /// `?` and the query all count.
    pub fn registers_acs_url(&self, url: &str) -> bool {
        self.registered_acs_urls()
            .any(|r| r.as_bytes() == url.as_bytes())
    }

    /// The default ACS URL, then the additional ones.
    pub fn registered_acs_urls(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.acs_url.as_str())
            .chain(self.additional_acs_urls.iter().map(String::as_str))
    }
}

/// An application to insert; values are already validated by `crate::admin`.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub slug: String,
    pub name: String,
    pub acs_url: String,
    pub audience: Option<String>,
    pub issuer: String,
    pub sls_url: Option<String>,
    pub keypair_id: i64,
    pub name_id_format: String,
}

impl NewApplication {
    #[cfg(test)]
    pub fn for_tests(slug: &str, keypair_id: i64) -> Self {
        Self {
            slug: slug.into(),
            name: slug.into(),
            acs_url: "https://sp.example.com/acs".into(),
            audience: Some("https://sp.example.com".into()),
            issuer: "authentik".into(),
            sls_url: None,
            keypair_id,
            name_id_format: crate::saml::name_id_formats::EMAIL.into(),
        }
    }
}

/// Fields to change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub struct ApplicationChanges {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub launch_url: Option<Option<String>>,
    pub acs_url: Option<String>,
    /// Replaces the whole list; an empty one clears it.
    pub additional_acs_urls: Option<Vec<String>>,
    pub audience: Option<Option<String>>,
    pub issuer: Option<String>,
    pub sls_url: Option<Option<String>>,
    pub sls_binding: Option<SlsBinding>,
    pub sign_assertion: Option<bool>,
    pub sign_response: Option<bool>,
    pub sp_cert_pem: Option<Option<String>>,
    pub keypair_id: Option<i64>,
    pub name_id_format: Option<String>,
    pub default_relay_state: Option<Option<String>>,
}

const COLUMNS: &str = "id, slug, name, enabled, launch_url, acs_url, audience, issuer, sls_url,
    sls_binding, sign_assertion, sign_response, sp_cert_pem, keypair_id, name_id_format,
    default_relay_state, not_before_skew_seconds, assertion_lifetime_seconds,
    session_lifetime_seconds, additional_acs_urls";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Application> {
    let binding: String = r.get(9)?;
    let additional: String = r.get(19)?;
    let additional_acs_urls = serde_json::from_str(&additional).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(19, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(Application {
        id: r.get(0)?,
        slug: r.get(1)?,
        name: r.get(2)?,
        enabled: r.get(3)?,
        launch_url: r.get(4)?,
        acs_url: r.get(5)?,
        additional_acs_urls,
        audience: r.get(6)?,
        issuer: r.get(7)?,
        sls_url: r.get(8)?,
        sls_binding: SlsBinding::parse(&binding).unwrap_or(SlsBinding::Redirect),
        sign_assertion: r.get(10)?,
        sign_response: r.get(11)?,
        sp_cert_pem: r.get(12)?,
        keypair_id: r.get(13)?,
        name_id_format: r.get(14)?,
        default_relay_state: r.get(15)?,
        not_before_skew_seconds: r.get(16)?,
        assertion_lifetime_seconds: r.get(17)?,
        session_lifetime_seconds: r.get(18)?,
    })
}

impl Store {
    pub fn create_application(&self, app: &NewApplication) -> Result<Application, StoreError> {
        let now = unix_now();
        self.with_conn(|conn| {
            conn.execute(
                "INSERT INTO applications (slug, name, acs_url, audience, issuer, sls_url,
                     keypair_id, name_id_format, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
                params![
                    app.slug,
                    app.name,
                    app.acs_url,
                    app.audience,
                    app.issuer,
                    app.sls_url,
                    app.keypair_id,
                    app.name_id_format,
                    now
                ],
            )
            .map_err(|e| unique_violation(e, "application", &app.slug))?;
            Ok(())
        })?;
        self.application(&app.slug)?
            .ok_or_else(|| StoreError::Corrupt("inserted application vanished".into()))
    }

    /// The application with this slug; read on every request, so admin
    /// changes apply on the next request without a restart.
    pub fn application(&self, slug: &str) -> Result<Option<Application>, StoreError> {
        self.with_conn(|conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM applications WHERE slug = ?1"),
                    [slug],
                    from_row,
                )
                .optional()?)
        })
    }

    pub fn application_by_id(&self, id: i64) -> Result<Option<Application>, StoreError> {
        self.with_conn(|conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM applications WHERE id = ?1"),
                    [id],
                    from_row,
                )
                .optional()?)
        })
    }

    pub fn list_applications(&self) -> Result<Vec<Application>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt =
                conn.prepare(&format!("SELECT {COLUMNS} FROM applications ORDER BY name"))?;
            let rows = stmt.query_map([], from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Applies `changes` in one transaction: all of them or none.
    pub fn update_application(
        &self,
        slug: &str,
        changes: &ApplicationChanges,
    ) -> Result<Application, StoreError> {
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            let set = |tx: &rusqlite::Transaction<'_>,
                       column: &str,
                       value: &dyn rusqlite::ToSql|
             -> Result<(), StoreError> {
                tx.execute(
                    &format!(
                        "UPDATE applications SET {column} = ?2, updated_at = ?3 WHERE slug = ?1"
                    ),
                    params![slug, value, unix_now()],
                )?;
                Ok(())
            };
            let exists = tx
                .query_row("SELECT 1 FROM applications WHERE slug = ?1", [slug], |_| {
                    Ok(())
                })
                .optional()?
                .is_some();
            if !exists {
                return Err(StoreError::NotFound {
                    what: "application",
                    value: slug.to_owned(),
                });
            }
            let c = changes;
            if let Some(v) = &c.name {
                set(&tx, "name", v)?;
            }
            if let Some(v) = &c.enabled {
                set(&tx, "enabled", v)?;
            }
            if let Some(v) = &c.launch_url {
                set(&tx, "launch_url", v)?;
            }
            if let Some(v) = &c.acs_url {
                set(&tx, "acs_url", v)?;
            }
            if let Some(v) = &c.additional_acs_urls {
                let json = serde_json::to_string(v)
                    .map_err(|e| StoreError::Corrupt(format!("additional ACS URLs: {e}")))?;
                set(&tx, "additional_acs_urls", &json)?;
            }
            if let Some(v) = &c.audience {
                set(&tx, "audience", v)?;
            }
            if let Some(v) = &c.issuer {
                set(&tx, "issuer", v)?;
            }
            if let Some(v) = &c.sls_url {
                set(&tx, "sls_url", v)?;
            }
            if let Some(v) = &c.sls_binding {
                set(&tx, "sls_binding", &v.as_str())?;
            }
            if let Some(v) = &c.sign_assertion {
                set(&tx, "sign_assertion", v)?;
            }
            if let Some(v) = &c.sign_response {
                set(&tx, "sign_response", v)?;
            }
            if let Some(v) = &c.sp_cert_pem {
                set(&tx, "sp_cert_pem", v)?;
            }
            if let Some(v) = &c.keypair_id {
                set(&tx, "keypair_id", v)?;
            }
            if let Some(v) = &c.name_id_format {
                set(&tx, "name_id_format", v)?;
            }
            if let Some(v) = &c.default_relay_state {
                set(&tx, "default_relay_state", v)?;
            }
            let app = tx.query_row(
                &format!("SELECT {COLUMNS} FROM applications WHERE slug = ?1"),
                [slug],
                from_row,
            )?;
            tx.commit()?;
            Ok(app)
        })
    }

    pub fn remove_application(&self, slug: &str) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let n = conn.execute("DELETE FROM applications WHERE slug = ?1", [slug])?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "application",
                    value: slug.to_owned(),
                });
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_changes_only_the_given_fields() {
        let store = Store::open_in_memory().unwrap();
        let kp = store.add_keypair("k", "k.key", "k.crt").unwrap();
        let before = store
            .create_application(&NewApplication::for_tests("chatgpt", kp.id))
            .unwrap();
        assert!(before.sign_assertion && !before.sign_response);
        let changes = ApplicationChanges {
            acs_url: Some("https://x.example/acs?c=1".into()),
            sign_response: Some(true),
            audience: Some(None),
            ..Default::default()
        };
        let after = store.update_application("chatgpt", &changes).unwrap();
        assert_eq!(after.acs_url, "https://x.example/acs?c=1");
        assert!(after.sign_response);
        assert_eq!(after.audience, None);
        assert_eq!(after.issuer, before.issuer);
        assert_eq!(store.application("chatgpt").unwrap(), Some(after));
    }

    #[test]
    fn additional_acs_urls_are_stored_in_order_replaced_and_cleared() {
        let store = Store::open_in_memory().unwrap();
        let kp = store.add_keypair("k", "k.key", "k.crt").unwrap();
        let app = store
            .create_application(&NewApplication::for_tests("a", kp.id))
            .unwrap();
        assert!(app.additional_acs_urls.is_empty());
        let list = vec![
            "https://staging.example/acs?c=\"x\"".to_owned(),
            "https://prod.example/acs".to_owned(),
        ];
        let changes = ApplicationChanges {
            additional_acs_urls: Some(list.clone()),
            ..Default::default()
        };
        let after = store.update_application("a", &changes).unwrap();
        assert_eq!(after.additional_acs_urls, list);
        assert_eq!(store.application("a").unwrap().unwrap(), after);
        // Other changes leave the list alone.
        let changes = ApplicationChanges {
            name: Some("A".into()),
            ..Default::default()
        };
        let after = store.update_application("a", &changes).unwrap();
        assert_eq!(after.additional_acs_urls, list);
        let changes = ApplicationChanges {
            additional_acs_urls: Some(Vec::new()),
            ..Default::default()
        };
        let after = store.update_application("a", &changes).unwrap();
        assert!(after.additional_acs_urls.is_empty());
    }

    #[test]
    fn registered_acs_urls_match_byte_for_byte_only() {
        let store = Store::open_in_memory().unwrap();
        let kp = store.add_keypair("k", "k.key", "k.crt").unwrap();
        store
            .create_application(&NewApplication::for_tests("a", kp.id))
            .unwrap();
        let changes = ApplicationChanges {
            additional_acs_urls: Some(vec!["https://staging.example/acs?c=1".into()]),
            ..Default::default()
        };
        let app = store.update_application("a", &changes).unwrap();
        assert!(app.registers_acs_url("https://sp.example.com/acs"));
        assert!(app.registers_acs_url("https://staging.example/acs?c=1"));
        for miss in [
            "https://staging.example/acs",
            "https://staging.example/acs?c=1&d=2",
            "https://STAGING.example/acs?c=1",
            "https://staging.example/acs/?c=1",
            "https://staging.example/%61cs?c=1",
            "https://staging.example:443/acs?c=1",
            "https://staging.example/acs?c=1 ",
            "",
        ] {
            assert!(!app.registers_acs_url(miss), "{miss}");
        }
        let all: Vec<_> = app.registered_acs_urls().collect();
        assert_eq!(
            all,
            [
                "https://sp.example.com/acs",
                "https://staging.example/acs?c=1"
            ]
        );
    }

    #[test]
    fn duplicate_slug_is_refused() {
        let store = Store::open_in_memory().unwrap();
        let kp = store.add_keypair("k", "k.key", "k.crt").unwrap();
        store
            .create_application(&NewApplication::for_tests("a", kp.id))
            .unwrap();
        assert!(matches!(
            store.create_application(&NewApplication::for_tests("a", kp.id)),
            Err(StoreError::Duplicate { .. })
        ));
    }
}
