//! What an application's service provider needs to know about signet:
//! SAML metadata and the signing certificate.

use super::sso::SsoError;
use super::{Idp, InternalError};
use crate::admin::NAME_ID_FORMATS;
use crate::saml::metadata::{build_idp_metadata, IdpMetadata};

/// The values the ChatGPT "Custom SAML" wizard asks for.
#[derive(Debug, Clone)]
pub struct ProviderSummary {
    pub entity_id: String,
    pub sign_in_url: String,
    pub sign_out_url: String,
    pub metadata_url: String,
    pub keypair_name: String,
}

impl Idp {
    /// The application's IdP metadata (SAML Metadata 2.4.3). Blocking.
    pub fn metadata(&self, slug: &str) -> Result<String, SsoError> {
        let app = self.application(slug)?;
        let signer = self
            .keyring
            .get(app.keypair_id)
            .map_err(InternalError::from)?;
        let certificates = [signer.key.certificate_base64()];
        let urls = [
            self.app_url(slug, "sso/binding/redirect/"),
            self.app_url(slug, "sso/binding/post/"),
            self.app_url(slug, "slo/binding/redirect/"),
            self.app_url(slug, "slo/binding/post/"),
        ];
        let metadata = IdpMetadata {
            entity_id: &app.issuer,
            signing_certificates: &certificates,
            sso_redirect_url: &urls[0],
            sso_post_url: &urls[1],
            slo_redirect_url: &urls[2],
            slo_post_url: &urls[3],
            name_id_formats: NAME_ID_FORMATS,
            want_authn_requests_signed: app.sp_cert_pem.is_some(),
        };
        Ok(build_idp_metadata(&metadata).map_err(InternalError::from)?)
    }

    /// The application's signing certificate as PEM, and its keypair's name.
    /// Blocking.
    pub fn signing_certificate(&self, slug: &str) -> Result<(String, String), SsoError> {
        let app = self.application(slug)?;
        let signer = self
            .keyring
            .get(app.keypair_id)
            .map_err(InternalError::from)?;
        Ok((signer.key.certificate_pem(), signer.keypair.name.clone()))
    }

    /// The wizard's values for `slug`. Blocking.
    pub fn provider_summary(&self, slug: &str) -> Result<ProviderSummary, SsoError> {
        let app = self.application(slug)?;
        let keypair = self
            .store
            .keypair(app.keypair_id)
            .map_err(InternalError::from)?
            .map(|k| k.name)
            .unwrap_or_default();
        Ok(ProviderSummary {
            entity_id: app.issuer,
            sign_in_url: self.app_url(slug, "sso/binding/redirect/"),
            sign_out_url: self.app_url(slug, "slo/binding/redirect/"),
            metadata_url: self.app_url(slug, "metadata/"),
            keypair_name: keypair,
        })
    }
}
