//! Single sign-on (SAML Profiles 4.1, Web Browser SSO): checking an
//! AuthnRequest against its application, then answering it.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Idp, InternalError};
use crate::saml::authn_context;
use crate::saml::authn_request::{
    parse_authn_request, AuthnRequest, RequestError, RequestedAuthnContext,
};
use crate::saml::binding::{self, BindingError, MessageKind};
use crate::saml::dsig::SignatureError;
use crate::saml::response::{self, AssertionContent, Attribute, Signing};
use crate::saml::{bindings, ids, name_id_formats, status};
use crate::saml::{AC_PASSWORD_PROTECTED_TRANSPORT, ATTRNAME_FORMAT_BASIC, ATTRNAME_FORMAT_URI};
use crate::secret::Token;
use crate::store::{Application, SamlSession, Session, User};

/// Claim URIs of the older Microsoft-style mapping some SPs read.
const CLAIMS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";

/// Why a sign-in request was refused. Each variant is the peer's (or the
/// user's) fault and maps to a 4xx page; the text names what was expected
/// and what came, and is safe to show.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("no application has the slug {0:?}")]
    UnknownApplication(String),
    #[error("application {0:?} is disabled")]
    Disabled(String),
    #[error("the request could not be decoded: {0}")]
    Binding(#[from] BindingError),
    #[error("expected a SAMLRequest, got a SAMLResponse")]
    NotARequest,
    #[error("the SAML message is not acceptable: {0}")]
    Request(#[from] RequestError),
    #[error("the request's signature was not accepted: {0}")]
    Signature(#[from] SignatureError),
    #[error("this application requires signed requests, and this one is not signed")]
    SignatureRequired,
    #[error("the application's SP certificate cannot be used: {0}")]
    BadSpCertificate(String),
    #[error("the request's Issuer is {found:?}, this application expects {expected:?}")]
    IssuerMismatch {
        expected: String,
        found: Option<String>,
    },
    #[error(
        "the request asks for the response to go to {requested:?}, \
         but this application's {}",
        registered_acs_text(.registered)
    )]
    AcsMismatch {
        /// The default ACS URL, then the additional ones.
        registered: Vec<String>,
        requested: String,
    },
    #[error("AssertionConsumerServiceIndex {0} is not registered; send the ACS URL instead")]
    AcsIndex(u16),
    #[error("ProtocolBinding {0:?} is not supported; only HTTP-POST responses are sent")]
    UnsupportedBinding(String),
    #[error("the request's Destination is {found:?}, this endpoint is {expected:?}")]
    DestinationMismatch { expected: String, found: String },
    #[error("the message is signed but names no Destination; it must be {expected:?}")]
    DestinationRequired { expected: String },
    #[error("the request was issued at {issued}, outside the accepted clock skew")]
    Stale { issued: String },
    #[error("the request {0} was already used")]
    Replay(String),
    #[error("the pending request expired or was already used")]
    HandoffExpired,
    #[error("the request expired at {not_on_or_after}")]
    Expired { not_on_or_after: String },
    #[error("this LogoutResponse answers no logout in progress here")]
    UnexpectedLogoutResponse,
    #[error("this link continues a request made to another application")]
    HandoffElsewhere,
    #[error(
        "application {0:?} now requires signed requests, and this one was not signed; \
         start again from the application"
    )]
    SignatureRequiredNow(String),
    #[error("your session has ended; sign in again")]
    SessionEnded,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// A sign-in request that passed every check for its application. Only the
/// `accept_*` functions make one; it is stored in the login flow while the
/// user types their password.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AcceptedRequest {
    app_id: i64,
    app_slug: String,
    sp_entity_id: Option<String>,
    /// `None` for an IdP-initiated sign-in.
    request_id: Option<String>,
    /// The registered ACS URL the request named (the default when it named
    /// none); the Response goes there and nowhere else.
    acs_url: String,
    relay_state: Option<String>,
    force_authn: bool,
    is_passive: bool,
    name_id_format: Option<String>,
    /// Absent in flows stored before signet read it: no requirement.
    #[serde(default)]
    requested_authn_context: Option<RequestedAuthnContext>,
    /// The request's signature was verified. Absent in flows stored before
    /// signet kept it: not signed.
    #[serde(default)]
    signed: bool,
}

impl AcceptedRequest {
    pub fn app_id(&self) -> i64 {
        self.app_id
    }

    pub fn app_slug(&self) -> &str {
        &self.app_slug
    }

    /// The request asks for the password again even with a session (Core 3.4.1).
    pub fn force_authn(&self) -> bool {
        self.force_authn
    }

    /// The request forbids showing a login page (Core 3.4.1).
    pub fn is_passive(&self) -> bool {
        self.is_passive
    }

    /// The AuthnContextClassRef a password sign-in states for this request,
    /// or `None` when the request's RequestedAuthnContext asks for more
    /// (Core 3.3.2.2.1).
    fn password_login_class(&self) -> Option<&'static str> {
        authn_context::stated_class(
            self.requested_authn_context.as_ref(),
            AC_PASSWORD_PROTECTED_TRANSPORT,
        )
    }

    /// Whether a password sign-in meets the request at all.
    pub fn password_login_suffices(&self) -> bool {
        self.password_login_class().is_some()
    }
}

/// A checked request waiting for the browser to come back with its cookies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Parked {
    SignIn(AcceptedRequest),
    Logout(super::slo::AcceptedLogout),
}

/// The auto-submitted form that carries a Response to the ACS (Bindings 3.5).
#[derive(Debug, Clone)]
pub struct PostForm {
    pub action: String,
    pub fields: Vec<(&'static str, String)>,
}

/// Which endpoint a request arrived at; its URL is the only acceptable Destination.
#[derive(Debug, Clone, Copy)]
pub enum Endpoint {
    Redirect,
    Post,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Self::Redirect => "sso/binding/redirect/",
            Self::Post => "sso/binding/post/",
        }
    }
}

impl Idp {
    /// Checks an AuthnRequest received by HTTP-Redirect (Bindings 3.4). The
    /// signature, when required, is checked over the query as received.
    /// Blocking.
    pub fn accept_redirect(
        &self,
        slug: &str,
        raw_query: &str,
    ) -> Result<AcceptedRequest, SsoError> {
        let app = self.enabled_application(slug)?;
        let message = binding::decode_redirect(raw_query)?;
        if message.kind != MessageKind::Request {
            return Err(SsoError::NotARequest);
        }
        let parsed = parse_authn_request(&message.xml)?;
        let signed = self.verify_redirect(&app, &message)?;
        self.check(
            &app,
            &parsed.request,
            Endpoint::Redirect,
            signed,
            message.relay_state,
        )
    }

    /// Checks an AuthnRequest received by HTTP-POST (Bindings 3.5); a
    /// required signature is the enveloped one, checked structurally first.
    /// Blocking.
    pub fn accept_post(
        &self,
        slug: &str,
        saml_request: &str,
        relay_state: Option<String>,
    ) -> Result<AcceptedRequest, SsoError> {
        let app = self.enabled_application(slug)?;
        let xml = binding::decode_post(saml_request)?;
        let parsed = parse_authn_request(&xml)?;
        let signed = self.verify_post(&app, &parsed.root, parsed.request.has_signature)?;
        let relay_state = post_relay_state(relay_state)?;
        self.check(&app, &parsed.request, Endpoint::Post, signed, relay_state)
    }

    /// An IdP-initiated sign-in (SAML Profiles 4.1.5): no request, the
    /// registered ACS, and the application's default RelayState. Blocking.
    pub fn accept_idp_initiated(&self, slug: &str) -> Result<AcceptedRequest, SsoError> {
        let app = self.enabled_application(slug)?;
        Ok(AcceptedRequest {
            app_id: app.id,
            app_slug: app.slug,
            sp_entity_id: app.audience,
            request_id: None,
            acs_url: app.acs_url,
            relay_state: app.default_relay_state,
            force_authn: false,
            is_passive: false,
            name_id_format: None,
            requested_authn_context: None,
            signed: false,
        })
    }

    /// The policy checks every binding shares (SAML Profiles 4.1.4.1).
    fn check(
        &self,
        app: &Application,
        request: &AuthnRequest,
        endpoint: Endpoint,
        signed: bool,
        relay_state: Option<String>,
    ) -> Result<AcceptedRequest, SsoError> {
        self.check_issuer(app, request.issuer.as_deref())?;

        let acs_url = matched_acs_url(app, request.acs_url.as_deref())?;
        if let Some(index) = request.acs_index {
            return Err(SsoError::AcsIndex(index));
        }
        if let Some(b) = &request.protocol_binding {
            if b != bindings::HTTP_POST {
                return Err(SsoError::UnsupportedBinding(b.clone()));
            }
        }
        let destination = request.destination.as_deref();
        self.check_destination(app, endpoint.path(), destination, signed)?;
        // Replays are scoped by Issuer; requests without one by application.
        let replay_scope = request.issuer.clone().unwrap_or_else(|| app.slug.clone());
        self.check_fresh(&replay_scope, request.id.as_str(), request.issue_instant)?;

        tracing::debug!(
            app = %app.slug,
            request_id = %request.id,
            force_authn = request.force_authn,
            is_passive = request.is_passive,
            "accepted AuthnRequest"
        );
        Ok(AcceptedRequest {
            app_id: app.id,
            app_slug: app.slug.clone(),
            sp_entity_id: request.issuer.clone(),
            request_id: Some(request.id.to_string()),
            acs_url,
            relay_state,
            force_authn: request.force_authn,
            is_passive: request.is_passive,
            name_id_format: request
                .name_id_policy
                .as_ref()
                .and_then(|p| p.format.clone()),
            requested_authn_context: request.requested_authn_context.clone(),
            signed,
        })
    }

    /// Parks `request` for a browser whose cookies this request did not
    /// carry (a cross-site POST); returns the one-time handoff token.
    /// Blocking.
    pub fn park(&self, request: &AcceptedRequest) -> Result<Token, InternalError> {
        self.park_value(&Parked::SignIn(request.clone()))
    }

    pub(super) fn park_value(&self, parked: &Parked) -> Result<Token, InternalError> {
        let json =
            serde_json::to_string(parked).map_err(|e| InternalError::Other(e.to_string()))?;
        let expires = super::now() + 5 * 60;
        Ok(self.store.create_handoff(&json, expires)?)
    }

    /// Takes back a request parked at application `slug`'s endpoint; it
    /// works once, and only at that application's URL. Blocking.
    pub fn unpark(&self, slug: &str, handoff: &str) -> Result<Parked, SsoError> {
        let token = Token::from_client(handoff).ok_or(SsoError::HandoffExpired)?;
        let json = self
            .store
            .take_handoff(&token, super::now())
            .map_err(InternalError::from)?
            .ok_or(SsoError::HandoffExpired)?;
        let parked: Parked = serde_json::from_str(&json).map_err(|e| {
            SsoError::Internal(InternalError::Other(format!("stored handoff: {e}")))
        })?;
        let parked_at = match &parked {
            Parked::SignIn(request) => request.app_slug(),
            Parked::Logout(request) => request.app_slug(),
        };
        if parked_at != slug {
            return Err(SsoError::HandoffElsewhere);
        }
        Ok(parked)
    }

    /// Answers `request` for the signed-in session of `session_token`: a
    /// signed Response to the registered ACS URL the request named. The session (and so whether
    /// its user is still active) is read again here, not taken from the
    /// caller's earlier read: an administrator may have ended it since.
    /// Blocking.
    pub fn issue(
        &self,
        request: &AcceptedRequest,
        session_token: &Token,
        session: &Session,
        client_addr: Option<&str>,
    ) -> Result<PostForm, SsoError> {
        let app = self.application_for(request)?;
        let session = &self
            .store
            .session(session_token, super::now())
            .map_err(InternalError::from)?
            .filter(|current| current.user.id == session.user.id)
            .ok_or(SsoError::SessionEnded)?;
        let signer = self
            .keyring
            .get(app.keypair_id)
            .map_err(InternalError::from)?;
        let Some(authn_context_class_ref) = request.password_login_class() else {
            return self.no_authn_context(request);
        };
        let now_ts = super::now();
        let now = timestamp(now_ts);
        let user = &session.user;

        let Some((name_id, name_id_format)) =
            resolve_name_id(request.name_id_format.as_deref(), &app, user)
        else {
            return self.status_response(
                request,
                &app,
                status::REQUESTER,
                Some(status::INVALID_NAME_ID_POLICY),
                "the requested NameID format is not supported",
            );
        };

        let attributes = user_attributes(user);
        let session_not_on_or_after = session.expires_at;
        // Recorded before the assertion is built: an assertion is never sent
        // for a SAML session that single logout would not know of.
        let session_index = self
            .store
            .open_saml_session(
                session_token,
                &SamlSession {
                    app_id: app.id,
                    user_id: user.id.clone(),
                    name_id: name_id.clone(),
                    name_id_format: name_id_format.clone(),
                    session_index: ids::new_id(),
                    issued_at: now_ts,
                    expires_at: session_not_on_or_after,
                },
            )
            .map_err(InternalError::from)?;
        let content = AssertionContent {
            issuer: &app.issuer,
            destination: &request.acs_url,
            in_response_to: request.request_id.as_deref(),
            audience: app.audience.as_deref(),
            name_id: &name_id,
            name_id_format: &name_id_format,
            sp_name_qualifier: None,
            issue_instant: now,
            not_before: timestamp(now_ts - app.not_before_skew_seconds),
            not_on_or_after: timestamp(now_ts + app.assertion_lifetime_seconds),
            authn_instant: timestamp(session.authn_instant),
            session_index: &session_index,
            session_not_on_or_after: timestamp(session_not_on_or_after),
            authn_context_class_ref,
            attributes: &attributes,
        };
        let signing = Signing {
            sign_assertion: app.sign_assertion,
            sign_response: app.sign_response,
        };
        let built = response::build_response(&content, signing, &signer.key)
            .map_err(InternalError::from)?;

        tracing::info!(
            sp = app.audience.as_deref().unwrap_or(&app.slug),
            app = %app.slug,
            user = %user.username,
            request_id = request.request_id.as_deref().unwrap_or("-"),
            response_id = %built.response_id,
            "sign-in completed"
        );
        self.audit(
            "sign_in",
            Some(&user.username),
            Some(&app.slug),
            client_addr,
            None,
        );
        Ok(post_form(
            &request.acs_url,
            &built.xml,
            request.relay_state.as_deref(),
        ))
    }

    /// Answers a passive request that finds no session: a Response with
    /// status NoPassive (Core 3.4.1.1 / 3.2.2.2), never a login page. Blocking.
    pub fn no_passive(&self, request: &AcceptedRequest) -> Result<PostForm, SsoError> {
        let app = self.application_for(request)?;
        self.status_response(
            request,
            &app,
            status::RESPONDER,
            Some(status::NO_PASSIVE),
            "the user is not signed in and the request forbids asking",
        )
    }

    /// Answers a request whose RequestedAuthnContext a password login cannot
    /// meet: status NoAuthnContext (Core 3.3.2.2.1), without asking the
    /// user for a password that would not be enough. Blocking.
    pub fn no_authn_context(&self, request: &AcceptedRequest) -> Result<PostForm, SsoError> {
        let app = self.application_for(request)?;
        self.status_response(
            request,
            &app,
            status::REQUESTER,
            Some(status::NO_AUTHN_CONTEXT),
            "the requested authentication context cannot be met by a password sign-in",
        )
    }

    fn status_response(
        &self,
        request: &AcceptedRequest,
        app: &Application,
        top: &str,
        second: Option<&str>,
        message: &str,
    ) -> Result<PostForm, SsoError> {
        let signer = self
            .keyring
            .get(app.keypair_id)
            .map_err(InternalError::from)?;
        let built = response::build_status_response(
            &app.issuer,
            &request.acs_url,
            request.request_id.as_deref(),
            OffsetDateTime::now_utc(),
            top,
            second,
            Some(message),
            &signer.key,
        )
        .map_err(InternalError::from)?;
        tracing::info!(
            app = %app.slug,
            request_id = request.request_id.as_deref().unwrap_or("-"),
            status = second.unwrap_or(top),
            "answered with an error status"
        );
        Ok(post_form(
            &request.acs_url,
            &built.xml,
            request.relay_state.as_deref(),
        ))
    }

    /// The application a request was accepted for, as configured now. The
    /// request must still pass what it passed when it was accepted: if the
    /// application was disabled, removed (its id perhaps reused), no longer
    /// has the ACS URL the request named (as its default or an additional
    /// one), has another Audience, or now requires signed requests, it is
    /// refused rather than answered for an SP that no longer matches.
    fn application_for(&self, request: &AcceptedRequest) -> Result<Application, SsoError> {
        let app = self
            .store
            .application_by_id(request.app_id)
            .map_err(InternalError::from)?
            .filter(|a| a.enabled && a.slug == request.app_slug)
            .ok_or_else(|| SsoError::UnknownApplication(request.app_slug.clone()))?;
        matched_acs_url(&app, Some(&request.acs_url))?;
        if let Some(expected) = &app.audience {
            if request.sp_entity_id.as_deref() != Some(expected.as_str()) {
                return Err(SsoError::IssuerMismatch {
                    expected: expected.clone(),
                    found: request.sp_entity_id.clone(),
                });
            }
        }
        // An IdP-initiated sign-in has no request to sign.
        if app.sp_cert_pem.is_some() && request.request_id.is_some() && !request.signed {
            return Err(SsoError::SignatureRequiredNow(app.slug));
        }
        Ok(app)
    }
}

/// The ACS URL a request is answered at: the one it names when that is, byte
/// for byte (no case folding, no normalisation, query included), the
/// application's default ACS URL or one of its additional ones; the default
/// when it names none.
fn matched_acs_url(app: &Application, requested: Option<&str>) -> Result<String, SsoError> {
    match requested {
        None => Ok(app.acs_url.clone()),
        Some(url) if app.registers_acs_url(url) => Ok(url.to_owned()),
        Some(url) => Err(SsoError::AcsMismatch {
            registered: app.registered_acs_urls().map(str::to_owned).collect(),
            requested: url.to_owned(),
        }),
    }
}

/// How [`SsoError::AcsMismatch`] names what is registered.
fn registered_acs_text(registered: &[String]) -> String {
    let quoted: Vec<String> = registered.iter().map(|u| format!("{u:?}")).collect();
    match quoted.as_slice() {
        [one] => format!("registered ACS URL is {one}"),
        _ => format!("registered ACS URLs are {}", quoted.join(", ")),
    }
}

/// The NameID value and format for `user` (SAML Core 3.4.1.1, 8.3). `None`
/// when the SP asks for a format signet cannot honour.
fn resolve_name_id(
    requested: Option<&str>,
    app: &Application,
    user: &User,
) -> Option<(String, String)> {
    let format = match requested {
        None => app.name_id_format.as_str(),
        Some(f) if f == name_id_formats::UNSPECIFIED => app.name_id_format.as_str(),
        Some(f) => f,
    };
    let value = match format {
        name_id_formats::EMAIL | name_id_formats::UNSPECIFIED => user.email.clone(),
        // Stable and opaque: the user's id, never reassigned.
        name_id_formats::PERSISTENT => user.id.clone(),
        name_id_formats::TRANSIENT => ids::new_id(),
        _ => return None,
    };
    Some((value, format.to_owned()))
}

/// The attributes every SP gets: WorkOS's names and the claim URIs OpenAI's
/// older mapping read. Absent values are left out, never sent empty.
pub fn user_attributes(user: &User) -> Vec<Attribute> {
    let basic = |name: &str, value: Option<&str>| Attribute {
        name: name.to_owned(),
        name_format: ATTRNAME_FORMAT_BASIC,
        friendly_name: None,
        values: value.into_iter().map(str::to_owned).collect(),
    };
    let claim = |name: &str, value: Option<&str>| Attribute {
        name: format!("{CLAIMS}{name}"),
        name_format: ATTRNAME_FORMAT_URI,
        friendly_name: None,
        values: value.into_iter().map(str::to_owned).collect(),
    };
    let given = user.given_name.as_deref();
    let family = user.family_name.as_deref();
    let display = user.display_name();
    vec![
        basic("id", Some(&user.id)),
        basic("email", Some(&user.email)),
        basic("firstName", given),
        basic("lastName", family),
        claim("emailaddress", Some(&user.email)),
        claim("givenname", given),
        claim("surname", family),
        claim("name", Some(&display)),
    ]
    .into_iter()
    .filter(|a| !a.values.is_empty())
    .collect()
}

/// RelayState from a POST form: capped like the redirect binding's, and
/// an empty value counts as absent.
pub(super) fn post_relay_state(value: Option<String>) -> Result<Option<String>, BindingError> {
    const LIMIT: usize = 1024;
    match value {
        Some(v) if v.len() > LIMIT => Err(BindingError::RelayStateTooLong {
            limit: LIMIT,
            found: v.len(),
        }),
        Some(v) if v.is_empty() => Ok(None),
        other => Ok(other),
    }
}

fn post_form(acs_url: &str, xml: &str, relay_state: Option<&str>) -> PostForm {
    let mut fields = vec![(
        "SAMLResponse",
        base64::engine::general_purpose::STANDARD.encode(xml.as_bytes()),
    )];
    if let Some(rs) = relay_state {
        fields.push(("RelayState", rs.to_owned()));
    }
    PostForm {
        action: acs_url.to_owned(),
        fields,
    }
}

fn timestamp(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "https://sp.example/acs?connection=c1";
    const STAGING: &str = "https://staging.sp.example/acs?connection=c1";

    fn app(additional: &[&str]) -> Application {
        Application {
            id: 1,
            slug: "sp".into(),
            name: "SP".into(),
            enabled: true,
            launch_url: None,
            acs_url: DEFAULT.into(),
            additional_acs_urls: additional.iter().map(|u| (*u).to_owned()).collect(),
            audience: None,
            issuer: "authentik".into(),
            sls_url: None,
            sls_binding: crate::store::SlsBinding::Redirect,
            sign_assertion: true,
            sign_response: false,
            sp_cert_pem: None,
            keypair_id: 1,
            name_id_format: name_id_formats::EMAIL.into(),
            default_relay_state: None,
            not_before_skew_seconds: 300,
            assertion_lifetime_seconds: 300,
            session_lifetime_seconds: 28800,
        }
    }

    #[test]
    fn a_request_naming_no_acs_url_is_answered_at_the_default() {
        let a = app(&[STAGING]);
        assert_eq!(matched_acs_url(&a, None).unwrap(), DEFAULT);
    }

    #[test]
    fn a_request_naming_the_default_or_an_additional_url_is_answered_there() {
        let a = app(&["https://other.example/acs", STAGING]);
        assert_eq!(matched_acs_url(&a, Some(DEFAULT)).unwrap(), DEFAULT);
        assert_eq!(matched_acs_url(&a, Some(STAGING)).unwrap(), STAGING);
        assert_eq!(
            matched_acs_url(&a, Some("https://other.example/acs")).unwrap(),
            "https://other.example/acs"
        );
    }

    #[test]
    fn near_misses_of_an_additional_url_are_refused_naming_every_registered_url() {
        let a = app(&[STAGING]);
        for miss in [
            "https://staging.sp.example/acs",
            "https://staging.sp.example/acs?connection=c1&x=1",
            "https://STAGING.sp.example/acs?connection=c1",
            "https://staging.sp.example:443/acs?connection=c1",
            "https://staging.sp.example/%61cs?connection=c1",
            "https://staging.sp.example/acs/?connection=c1",
            "http://staging.sp.example/acs?connection=c1",
            "https://staging.sp.example/acs?connection=c1 ",
            "",
        ] {
            let err = matched_acs_url(&a, Some(miss)).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, SsoError::AcsMismatch { .. }), "{miss}");
            assert!(text.contains("registered ACS URLs are"), "{text}");
            assert!(text.contains(DEFAULT) && text.contains(STAGING), "{text}");
        }
    }

    #[test]
    fn without_additional_urls_the_refusal_reads_as_before() {
        let text = matched_acs_url(&app(&[]), Some(STAGING))
            .unwrap_err()
            .to_string();
        assert_eq!(
            text,
            format!(
                "the request asks for the response to go to {STAGING:?}, \
                 but this application's registered ACS URL is {DEFAULT:?}"
            )
        );
    }
}
