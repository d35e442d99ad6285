//! Checks every incoming SAML message gets, whatever its kind: the
//! application exists and is on, the signature when one is required, the
//! Issuer, the Destination, the time window and the replay cache.

use openssl::pkey::{PKey, Public};
use openssl::x509::X509;
use time::OffsetDateTime;

use super::sso::SsoError;
use super::{Idp, InternalError};
use crate::saml::binding::{self, RedirectMessage};
use crate::saml::dsig;
use crate::saml::xml_reader::Element;
use crate::store::Application;

impl Idp {
    /// The application `slug`, whether enabled or not.
    pub(super) fn application(&self, slug: &str) -> Result<Application, SsoError> {
        self.store
            .application(slug)
            .map_err(InternalError::from)?
            .ok_or_else(|| SsoError::UnknownApplication(slug.to_owned()))
    }

    /// The application `slug`, refusing unknown and disabled ones.
    pub(super) fn enabled_application(&self, slug: &str) -> Result<Application, SsoError> {
        let app = self.application(slug)?;
        if !app.enabled {
            return Err(SsoError::Disabled(slug.to_owned()));
        }
        Ok(app)
    }

    /// When the application has an SP certificate, the redirect message must
    /// carry a signature that verifies over the query as received
    /// (Bindings 3.4.4.1). Returns whether a signature was verified.
    pub(super) fn verify_redirect(
        &self,
        app: &Application,
        message: &RedirectMessage,
    ) -> Result<bool, SsoError> {
        let Some(key) = sp_key(app)? else {
            return Ok(false);
        };
        let signature = message
            .signature
            .as_ref()
            .ok_or(SsoError::SignatureRequired)?;
        binding::verify_redirect_signature(signature, &key, self.config.insecure_allow_sha1)?;
        Ok(true)
    }

    /// When the application has an SP certificate, the POST message must
    /// carry an enveloped signature over its root; the structural checks in
    /// `dsig` run before any cryptography. Returns whether one was verified.
    pub(super) fn verify_post(
        &self,
        app: &Application,
        root: &Element,
        has_signature: bool,
    ) -> Result<bool, SsoError> {
        let Some(key) = sp_key(app)? else {
            return Ok(false);
        };
        if !has_signature {
            return Err(SsoError::SignatureRequired);
        }
        dsig::verify_enveloped(root, &key, self.config.insecure_allow_sha1)?;
        Ok(true)
    }

    /// The Issuer must be the application's Audience (its SP entity id).
    pub(super) fn check_issuer(
        &self,
        app: &Application,
        issuer: Option<&str>,
    ) -> Result<(), SsoError> {
        match &app.audience {
            Some(expected) if issuer != Some(expected.as_str()) => Err(SsoError::IssuerMismatch {
                expected: expected.clone(),
                found: issuer.map(str::to_owned),
            }),
            _ => Ok(()),
        }
    }

    /// A Destination, when present, must be the URL the message arrived at;
    /// a signed message must carry one (Bindings 3.4.5.2, 3.5.5.2), or a
    /// message its SP signed for another recipient could be replayed here.
    pub(super) fn check_destination(
        &self,
        app: &Application,
        endpoint: &str,
        destination: Option<&str>,
        signed: bool,
    ) -> Result<(), SsoError> {
        let expected = self.app_url(&app.slug, endpoint);
        match destination {
            Some(found) if found.as_bytes() != expected.as_bytes() => {
                Err(SsoError::DestinationMismatch {
                    expected,
                    found: found.to_owned(),
                })
            }
            None if signed => Err(SsoError::DestinationRequired { expected }),
            _ => Ok(()),
        }
    }

    /// IssueInstant within the clock skew of now, then the ID not seen
    /// before from this issuer. The ID is remembered exactly as long as a
    /// copy could still pass the time check.
    pub(super) fn check_fresh(
        &self,
        replay_scope: &str,
        id: &str,
        issue_instant: OffsetDateTime,
    ) -> Result<(), SsoError> {
        let now = super::now();
        let skew = self.config.clock_skew_seconds as i64;
        let issued = issue_instant.unix_timestamp();
        if (issued - now).abs() > skew {
            return Err(SsoError::Stale {
                issued: crate::saml::time::format(issue_instant),
            });
        }
        let fresh = self
            .store
            .remember_request_id(replay_scope, id, now, issued + skew + 1)
            .map_err(InternalError::from)?;
        if !fresh {
            return Err(SsoError::Replay(id.to_owned()));
        }
        Ok(())
    }
}

/// The SP's certificate key when it must sign what it sends.
fn sp_key(app: &Application) -> Result<Option<PKey<Public>>, SsoError> {
    let Some(pem) = &app.sp_cert_pem else {
        return Ok(None);
    };
    let cert =
        X509::from_pem(pem.as_bytes()).map_err(|e| SsoError::BadSpCertificate(e.to_string()))?;
    let key = cert
        .public_key()
        .map_err(|e| SsoError::BadSpCertificate(e.to_string()))?;
    Ok(Some(key))
}
