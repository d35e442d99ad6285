//! Single logout (SAML Profiles 4.4): ending signet's session when an SP
//! asks, telling every other SP of that session, and answering the first.
//!
//! Propagation goes through the browser (front channel), one SP after the
//! other: each gets a signed LogoutRequest and answers with a LogoutResponse
//! at signet's `slo/` endpoint, which is checked before the next one is
//! sent. The initiating SP gets Success, or Success/PartialLogout when an SP
//! did not confirm.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::sso::{PostForm, SsoError};
use super::{Idp, InternalError};
use crate::saml::authn_request::{parse_logout_request, parse_logout_response, LogoutResponse};
use crate::saml::binding::{self, MessageKind};
use crate::saml::logout::{
    build_logout_request, build_logout_response, BuiltMessage, LogoutRequestContent,
};
use crate::saml::signing::SigningKey;
use crate::saml::status;
use crate::saml::xml_writer::EmitError;
use crate::secret::Token;
use crate::store::{Application, LogoutFlow, SamlSession, Session, SlsBinding};

/// How long a propagation may take before its state is purged.
const FLOW_LIFETIME_SECONDS: i64 = 10 * 60;
/// Lifetime given to the LogoutRequests signet sends.
const REQUEST_LIFETIME_SECONDS: i64 = 5 * 60;

/// A LogoutRequest from an SP that passed the binding, signature, Issuer,
/// Destination, time and replay checks. Only this module makes one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AcceptedLogout {
    app_id: i64,
    app_slug: String,
    request_id: String,
    name_id: String,
    session_indexes: Vec<String>,
    /// The request's signature was verified: its NameID alone may name the
    /// session. Unsigned requests must also name the SessionIndex.
    signed: bool,
    relay_state: Option<String>,
}

impl AcceptedLogout {
    /// The application whose endpoint received the request.
    pub fn app_slug(&self) -> &str {
        &self.app_slug
    }
}

/// A LogoutResponse from an SP, checked, answering one of our requests.
#[derive(Debug)]
pub struct CheckedLogoutResponse {
    app_id: i64,
    response: LogoutResponse,
}

/// What arrived at an `slo/` endpoint.
#[derive(Debug)]
pub enum SloMessage {
    Request(AcceptedLogout),
    Response(CheckedLogoutResponse),
}

/// What the browser does next.
#[derive(Debug)]
pub enum LogoutStep {
    /// Follow a redirect carrying a signed query (Bindings 3.4).
    Redirect(String),
    /// Post a form (Bindings 3.5).
    Post(PostForm),
    /// Show the "signed out" page.
    SignedOut,
}

impl Idp {
    /// Reads a LogoutRequest or LogoutResponse sent by HTTP-Redirect.
    /// Blocking.
    pub fn accept_slo_redirect(&self, slug: &str, raw_query: &str) -> Result<SloMessage, SsoError> {
        let app = self.enabled_application(slug)?;
        let message = binding::decode_redirect(raw_query)?;
        let signed = self.verify_redirect(&app, &message)?;
        let endpoint = "slo/binding/redirect/";
        match message.kind {
            MessageKind::Request => {
                let parsed = parse_logout_request(&message.xml)?;
                if parsed.request.has_signature && !signed {
                    tracing::debug!("ignoring an enveloped signature on a redirect message");
                }
                self.check_logout_request(
                    &app,
                    parsed.request,
                    endpoint,
                    signed,
                    message.relay_state,
                )
                .map(SloMessage::Request)
            }
            MessageKind::Response => {
                let parsed = parse_logout_response(&message.xml)?;
                self.check_logout_response(&app, parsed.response, endpoint, signed)
                    .map(SloMessage::Response)
            }
        }
    }

    /// Reads a LogoutRequest or LogoutResponse sent by HTTP-POST. Blocking.
    pub fn accept_slo_post(
        &self,
        slug: &str,
        kind: MessageKind,
        value: &str,
        relay_state: Option<String>,
    ) -> Result<SloMessage, SsoError> {
        let app = self.enabled_application(slug)?;
        let xml = binding::decode_post(value)?;
        let relay_state = super::sso::post_relay_state(relay_state)?;
        let endpoint = "slo/binding/post/";
        match kind {
            MessageKind::Request => {
                let parsed = parse_logout_request(&xml)?;
                let signed = self.verify_post(&app, &parsed.root, parsed.request.has_signature)?;
                self.check_logout_request(&app, parsed.request, endpoint, signed, relay_state)
                    .map(SloMessage::Request)
            }
            MessageKind::Response => {
                let parsed = parse_logout_response(&xml)?;
                let signed = self.verify_post(&app, &parsed.root, parsed.response.has_signature)?;
                self.check_logout_response(&app, parsed.response, endpoint, signed)
                    .map(SloMessage::Response)
            }
        }
    }

    fn check_logout_request(
        &self,
        app: &Application,
        request: crate::saml::authn_request::LogoutRequest,
        endpoint: &str,
        signed: bool,
        relay_state: Option<String>,
    ) -> Result<AcceptedLogout, SsoError> {
        self.check_issuer(app, Some(&request.issuer))?;
        let destination = request.destination.as_deref();
        self.check_destination(app, endpoint, destination, signed)?;
        if let Some(limit) = request.not_on_or_after {
            let skew = self.config.clock_skew_seconds as i64;
            if limit.unix_timestamp() + skew <= super::now() {
                return Err(SsoError::Expired {
                    not_on_or_after: crate::saml::time::format(limit),
                });
            }
        }
        self.check_fresh(&request.issuer, request.id.as_str(), request.issue_instant)?;
        Ok(AcceptedLogout {
            app_id: app.id,
            app_slug: app.slug.clone(),
            request_id: request.id.to_string(),
            name_id: request.name_id.value,
            session_indexes: request.session_indexes,
            signed,
            relay_state,
        })
    }

    fn check_logout_response(
        &self,
        app: &Application,
        response: LogoutResponse,
        endpoint: &str,
        signed: bool,
    ) -> Result<CheckedLogoutResponse, SsoError> {
        self.check_issuer(app, Some(&response.issuer))?;
        let destination = response.destination.as_deref();
        self.check_destination(app, endpoint, destination, signed)?;
        self.check_fresh(
            &response.issuer,
            response.id.as_str(),
            response.issue_instant,
        )?;
        Ok(CheckedLogoutResponse {
            app_id: app.id,
            response,
        })
    }

    /// An SP asked to end the session (Profiles 4.4.4.1). The browser's
    /// signet session ends only if the request names one of its own SAML
    /// sessions at that SP: a stranger's link signs nobody out. Blocking.
    pub fn sp_initiated_logout(
        &self,
        request: AcceptedLogout,
        session: Option<(Token, Session)>,
        client_addr: Option<&str>,
    ) -> Result<LogoutStep, SsoError> {
        let initiator = self
            .store
            .application_by_id(request.app_id)
            .map_err(InternalError::from)?
            .ok_or_else(|| SsoError::UnknownApplication(request.app_slug.clone()))?;

        let Some((token, session)) = session else {
            // No session here: nothing to end, the principal is signed out.
            return self.answer_initiator(&initiator, &request, status::SUCCESS, None);
        };
        let saml_sessions = self
            .store
            .saml_sessions(&token)
            .map_err(InternalError::from)?;
        let named = saml_sessions.iter().any(|s| {
            s.app_id == request.app_id
                && s.name_id == request.name_id
                && if request.session_indexes.is_empty() {
                    request.signed
                } else {
                    request.session_indexes.contains(&s.session_index)
                }
        });
        if !named {
            tracing::warn!(
                app = %initiator.slug,
                request_id = %request.request_id,
                "LogoutRequest names no session of this browser; nothing ended"
            );
            return self.answer_initiator(
                &initiator,
                &request,
                status::REQUESTER,
                Some(UNKNOWN_PRINCIPAL),
            );
        }

        self.store
            .delete_session(&token)
            .map_err(InternalError::from)?;
        tracing::info!(
            sp = initiator.audience.as_deref().unwrap_or(&initiator.slug),
            user = %session.user.username,
            request_id = %request.request_id,
            "sign-out requested by SP; signet session ended"
        );
        self.audit(
            "sign_out",
            Some(&session.user.username),
            Some(&initiator.slug),
            client_addr,
            Some("requested by the service provider"),
        );

        self.propagate(Some(&request), others(&saml_sessions, Some(request.app_id)))
    }

    /// signet's own "Sign out": end the session and tell every SP of it.
    /// Blocking.
    pub fn idp_initiated_logout(
        &self,
        token: &Token,
        session: &Session,
        client_addr: Option<&str>,
    ) -> Result<LogoutStep, SsoError> {
        let saml_sessions = self
            .store
            .saml_sessions(token)
            .map_err(InternalError::from)?;
        self.store
            .delete_session(token)
            .map_err(InternalError::from)?;
        tracing::info!(user = %session.user.username, "signed out at signet");
        self.audit(
            "sign_out",
            Some(&session.user.username),
            None,
            client_addr,
            None,
        );
        self.propagate(None, others(&saml_sessions, None))
    }

    /// Stores a new propagation and sends its first LogoutRequest.
    fn propagate(
        &self,
        initiator: Option<&AcceptedLogout>,
        pending: Vec<SamlSession>,
    ) -> Result<LogoutStep, SsoError> {
        let flow = LogoutFlow {
            id: 0,
            initiator_app_id: initiator.map(|r| r.app_id),
            initiator_request_id: initiator.map(|r| r.request_id.clone()),
            relay_state: initiator.and_then(|r| r.relay_state.clone()),
            pending,
            outstanding_id: None,
            outstanding_app_id: None,
            partial: false,
        };
        let flow = self
            .store
            .create_logout_flow(&flow, super::now() + FLOW_LIFETIME_SECONDS)
            .map_err(InternalError::from)?;
        self.advance(flow)
    }

    /// An SP answered our LogoutRequest: record it and go on. Blocking.
    pub fn continue_logout(&self, answer: CheckedLogoutResponse) -> Result<LogoutStep, SsoError> {
        let in_response_to = answer
            .response
            .in_response_to
            .as_ref()
            .map(|id| id.as_str().to_owned())
            .ok_or(SsoError::UnexpectedLogoutResponse)?;
        let mut flow = self
            .store
            .logout_flow_awaiting(&in_response_to, super::now())
            .map_err(InternalError::from)?
            .ok_or(SsoError::UnexpectedLogoutResponse)?;
        if flow.outstanding_app_id != Some(answer.app_id) {
            return Err(SsoError::UnexpectedLogoutResponse);
        }
        // Two answers to one request (distinct IDs pass the replay cache)
        // read the flow at once: only one moves it on.
        if !self
            .store
            .claim_logout_answer(flow.id, &in_response_to)
            .map_err(InternalError::from)?
        {
            return Err(SsoError::UnexpectedLogoutResponse);
        }
        if answer.response.status.code != status::SUCCESS {
            tracing::warn!(
                issuer = %answer.response.issuer,
                status = %answer.response.status.code,
                "an SP did not confirm the logout"
            );
            flow.partial = true;
        }
        flow.outstanding_id = None;
        flow.outstanding_app_id = None;
        self.advance(flow)
    }

    /// Sends the next LogoutRequest, or finishes: answer the initiator.
    fn advance(&self, mut flow: LogoutFlow) -> Result<LogoutStep, SsoError> {
        while !flow.pending.is_empty() {
            let next = flow.pending.remove(0);
            // One LogoutRequest per SP and subject, naming all its sessions.
            let mut indexes = vec![next.session_index.clone()];
            flow.pending.retain(|s| {
                let same = s.app_id == next.app_id && s.name_id == next.name_id;
                if same {
                    indexes.push(s.session_index.clone());
                }
                !same
            });
            let indexes: Vec<&str> = indexes.iter().map(String::as_str).collect();
            let app = self
                .store
                .application_by_id(next.app_id)
                .map_err(InternalError::from)?;
            let Some(app) = app.filter(|a| a.enabled) else {
                continue;
            };
            let Some(sls_url) = app.sls_url.clone() else {
                continue;
            };
            let signer = self
                .keyring
                .get(app.keypair_id)
                .map_err(InternalError::from)?;
            let now = OffsetDateTime::now_utc();
            let content = LogoutRequestContent {
                issuer: &app.issuer,
                destination: &sls_url,
                name_id: &next.name_id,
                name_id_format: &next.name_id_format,
                session_indexes: &indexes,
                issue_instant: now,
                not_on_or_after: now + time::Duration::seconds(REQUEST_LIFETIME_SECONDS),
            };
            let (step, id) = deliver(
                app.sls_binding,
                &sls_url,
                MessageKind::Request,
                None,
                &signer.key,
                |key| build_logout_request(&content, key),
            )?;
            flow.outstanding_id = Some(id);
            flow.outstanding_app_id = Some(app.id);
            self.store
                .save_logout_flow(&flow)
                .map_err(InternalError::from)?;
            tracing::debug!(app = %app.slug, "propagating logout");
            return Ok(step);
        }

        self.store
            .delete_logout_flow(flow.id)
            .map_err(InternalError::from)?;
        let (Some(app_id), Some(request_id)) = (flow.initiator_app_id, &flow.initiator_request_id)
        else {
            return Ok(LogoutStep::SignedOut);
        };
        let Some(initiator) = self
            .store
            .application_by_id(app_id)
            .map_err(InternalError::from)?
        else {
            return Ok(LogoutStep::SignedOut);
        };
        let sub = flow.partial.then_some(status::PARTIAL_LOGOUT);
        let request = AcceptedLogout {
            app_id,
            app_slug: initiator.slug.clone(),
            request_id: request_id.clone(),
            name_id: String::new(),
            session_indexes: Vec::new(),
            signed: false,
            relay_state: flow.relay_state.clone(),
        };
        self.answer_initiator(&initiator, &request, status::SUCCESS, sub)
    }

    /// The LogoutResponse to the SP that asked (Profiles 4.4.4.2), at its
    /// registered SLS URL, never at a URL taken from the request.
    fn answer_initiator(
        &self,
        app: &Application,
        request: &AcceptedLogout,
        top: &str,
        sub: Option<&str>,
    ) -> Result<LogoutStep, SsoError> {
        let Some(sls_url) = app.sls_url.clone() else {
            tracing::warn!(
                app = %app.slug,
                request_id = %request.request_id,
                "no SLS URL is configured: the SP was not answered"
            );
            return Ok(LogoutStep::SignedOut);
        };
        let signer = self
            .keyring
            .get(app.keypair_id)
            .map_err(InternalError::from)?;
        let now = OffsetDateTime::now_utc();
        let (step, _) = deliver(
            app.sls_binding,
            &sls_url,
            MessageKind::Response,
            request.relay_state.as_deref(),
            &signer.key,
            |key| {
                build_logout_response(
                    &app.issuer,
                    &sls_url,
                    &request.request_id,
                    now,
                    top,
                    sub,
                    key,
                )
            },
        )?;
        Ok(step)
    }

    /// Parks a checked LogoutRequest that arrived by cross-site POST, which
    /// carries no SameSite=Lax cookie. Blocking.
    pub fn park_logout(&self, request: &AcceptedLogout) -> Result<Token, InternalError> {
        self.park_value(&super::sso::Parked::Logout(request.clone()))
    }
}

/// Second-level status: the request names no principal known here (Core 3.2.2.2).
const UNKNOWN_PRINCIPAL: &str = "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal";

/// The SAML sessions at SPs other than `except`, one per SP and session index.
fn others(sessions: &[SamlSession], except: Option<i64>) -> Vec<SamlSession> {
    let mut out: Vec<SamlSession> = Vec::new();
    for s in sessions {
        if Some(s.app_id) == except {
            continue;
        }
        if out
            .iter()
            .any(|o| o.app_id == s.app_id && o.session_index == s.session_index)
        {
            continue;
        }
        out.push(s.clone());
    }
    out
}

/// Sends a logout message to an SP's SLS URL by its binding: unsigned XML
/// in a signed redirect query (Bindings 3.4.4.1), or an enveloped-signed
/// message in an auto-posted form (Bindings 3.5). Returns the message's ID.
fn deliver(
    binding: SlsBinding,
    sls_url: &str,
    kind: MessageKind,
    relay_state: Option<&str>,
    key: &SigningKey,
    build: impl FnOnce(Option<&SigningKey>) -> Result<BuiltMessage, EmitError>,
) -> Result<(LogoutStep, String), SsoError> {
    match binding {
        SlsBinding::Redirect => {
            let built = build(None).map_err(InternalError::from)?;
            let url = signed_redirect(sls_url, kind, &built.xml, relay_state, key)?;
            Ok((LogoutStep::Redirect(url), built.id))
        }
        SlsBinding::Post => {
            let built = build(Some(key)).map_err(InternalError::from)?;
            let form = post_form(sls_url, kind.parameter(), &built.xml, relay_state);
            Ok((LogoutStep::Post(form), built.id))
        }
    }
}

/// `url` with a signed redirect-binding query appended (Bindings 3.4.4.1).
fn signed_redirect(
    url: &str,
    kind: MessageKind,
    xml: &str,
    relay_state: Option<&str>,
    key: &SigningKey,
) -> Result<String, SsoError> {
    let query = binding::encode_redirect_query(
        kind,
        xml,
        relay_state,
        key.signature_algorithm(),
        |octets| key.sign(octets),
    )
    .map_err(|e| InternalError::Other(format!("signing a redirect: {e}")))?;
    let joiner = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{joiner}{query}"))
}

fn post_form(action: &str, field: &'static str, xml: &str, relay_state: Option<&str>) -> PostForm {
    let mut fields = vec![(
        field,
        base64::engine::general_purpose::STANDARD.encode(xml.as_bytes()),
    )];
    if let Some(rs) = relay_state {
        fields.push(("RelayState", rs.to_owned()));
    }
    PostForm {
        action: action.to_owned(),
        fields,
    }
}
