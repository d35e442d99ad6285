//! Password login: starting a login flow, checking credentials, opening a
//! session.

use serde::{de::DeserializeOwned, Serialize};

use super::{Idp, InternalError};
use crate::admin::validate::MAX_USERNAME_BYTES;
use crate::password::{self, Password};
use crate::secret::{constant_time_eq, Token};
use crate::store::events::Event;
use crate::store::{NewLoginFlow, Session};

/// How long a login form stays usable.
const FLOW_LIFETIME_SECONDS: i64 = 15 * 60;
/// Failed logins of one (username, client address) pair that lock it...
const MAX_FAILURES: u32 = 5;
/// ...when they fall within this window; the lock lasts as long.
const LOCK_WINDOW_SECONDS: i64 = 5 * 60;

/// Why a login did not succeed. The page shows the same text for a wrong
/// password and an unknown user.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("this login form has expired or was already used")]
    FlowExpired,
    #[error("the form's security token is not valid")]
    Csrf,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed sign-in attempts; wait {minutes} minutes and try again")]
    Locked { minutes: i64 },
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// A login form waiting to be filled in.
#[derive(Debug)]
pub struct LoginForm {
    pub flow: Token,
    pub csrf: String,
}

/// A completed login.
#[derive(Debug)]
pub struct LoggedIn<T> {
    pub session_token: Token,
    pub session: Session,
    /// The sign-in that was waiting for this login, if any.
    pub pending: Option<T>,
}

impl Idp {
    /// The session behind a cookie value, if live. Blocking.
    pub fn session(&self, cookie: Option<&str>) -> Result<Option<(Token, Session)>, InternalError> {
        let Some(token) = cookie.and_then(Token::from_client) else {
            return Ok(None);
        };
        let session = self.store.session(&token, super::now())?;
        Ok(session.map(|s| (token, s)))
    }

    /// Starts a login flow for `browser`, optionally holding a pending
    /// sign-in `T` (serialised into the flow). Blocking.
    pub fn begin_login<T: Serialize>(
        &self,
        browser: &Token,
        app_id: Option<i64>,
        pending: Option<&T>,
    ) -> Result<LoginForm, InternalError> {
        let request_json = pending
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| InternalError::Other(e.to_string()))?;
        let now = super::now();
        let (flow, csrf) = self.store.create_login_flow(&NewLoginFlow {
            browser,
            app_id,
            request_json,
            now,
            expires_at: now + FLOW_LIFETIME_SECONDS,
        })?;
        Ok(LoginForm {
            flow,
            csrf: csrf.expose().to_owned(),
        })
    }

    /// The CSRF token of a live flow of this browser, to show the form again.
    pub fn login_form(&self, flow: &Token, browser: &Token) -> Result<LoginForm, LoginError> {
        let found = self
            .store
            .login_flow(flow, browser, super::now())
            .map_err(InternalError::from)?
            .ok_or(LoginError::FlowExpired)?;
        Ok(LoginForm {
            flow: flow.clone(),
            csrf: found.csrf,
        })
    }

    /// Checks a submitted login form and, on success, consumes its flow and
    /// opens a fresh session (a new id at every login). Blocking: it hashes.
    pub fn complete_login<T: DeserializeOwned>(
        &self,
        flow: &Token,
        browser: &Token,
        csrf: &str,
        username: &str,
        password: &Password,
        client_addr: Option<&str>,
    ) -> Result<LoggedIn<T>, LoginError> {
        let now = super::now();
        let found = self
            .store
            .login_flow(flow, browser, now)
            .map_err(InternalError::from)?
            .ok_or(LoginError::FlowExpired)?;
        if !constant_time_eq(found.csrf.as_bytes(), csrf.as_bytes()) {
            return Err(LoginError::Csrf);
        }

        // The lock is keyed on the name as typed, so it answers the same
        // whether or not the user exists. A name longer than any user's
        // names nobody; only its start is kept for the lock and the log.
        let typed = typed_name(username);
        let pair_addr = client_addr.unwrap_or("unknown");
        let failures = self
            .store
            .login_failures_since(typed, pair_addr, now - LOCK_WINDOW_SECONDS)
            .map_err(InternalError::from)?;
        if failures >= MAX_FAILURES {
            tracing::warn!(
                username = typed,
                client = pair_addr,
                "login refused: pair is locked"
            );
            return Err(LoginError::Locked {
                minutes: LOCK_WINDOW_SECONDS / 60,
            });
        }

        let record = if typed.len() == username.len() {
            self.store
                .user_credentials(username)
                .map_err(InternalError::from)?
        } else {
            None
        };
        let (user, hash) = match record {
            Some((user, hash)) if user.is_active => (Some(user), hash),
            _ => (None, None),
        };
        let ok = password::verify(password, hash.as_deref());
        let Some(user) = user.filter(|_| ok) else {
            self.store
                .record_login_failure(typed, pair_addr, now)
                .map_err(InternalError::from)?;
            self.audit("login_failed", Some(typed), None, client_addr, None);
            return Err(LoginError::BadCredentials);
        };
        self.store
            .clear_login_failures(typed, pair_addr)
            .map_err(InternalError::from)?;

        if !self
            .store
            .consume_login_flow(flow)
            .map_err(InternalError::from)?
        {
            return Err(LoginError::FlowExpired);
        }
        let pending = found
            .request_json
            .map(|json| serde_json::from_str::<T>(&json))
            .transpose()
            .map_err(|e| InternalError::Other(format!("stored login flow: {e}")))?;
        let expires_at = now + self.config.session_lifetime_seconds as i64;
        let session_token = self
            .store
            .create_session(&user.id, now, expires_at, client_addr)
            .map_err(InternalError::from)?;
        self.audit("login", Some(&user.username), None, client_addr, None);
        Ok(LoggedIn {
            session_token,
            session: Session {
                user,
                authn_instant: now,
                expires_at,
            },
            pending,
        })
    }

    /// Records an audit event; a failure to record is logged, not fatal.
    pub fn audit(
        &self,
        kind: &str,
        username: Option<&str>,
        app_slug: Option<&str>,
        client_addr: Option<&str>,
        detail: Option<&str>,
    ) {
        let event = Event {
            kind,
            username,
            app_slug,
            client_addr,
            detail,
        };
        if let Err(e) = self.store.record_event(&event) {
            tracing::error!(kind, "could not record audit event: {e}");
        }
    }
}

impl Idp {
    /// After a login in a browser that already had a session (ForceAuthn, or
    /// another user), the old session ends: one browser, one session id.
    /// Blocking.
    pub fn supersede_session(
        &self,
        old_cookie: Option<&str>,
        new: &Token,
        user_id: &str,
    ) -> Result<(), InternalError> {
        let Some(old) = old_cookie.and_then(Token::from_client) else {
            return Ok(());
        };
        if &old == new {
            return Ok(());
        }
        let same_user = self
            .store
            .session(&old, super::now())?
            .is_some_and(|s| s.user.id == user_id);
        Ok(self.store.supersede_session(&old, new, same_user)?)
    }

    /// The CSRF token of forms shown inside a session: derived from the
    /// session token, so it needs no storage, changes with every login and
    /// cannot be computed without the session cookie.
    pub fn session_csrf(&self, session_token: &Token) -> String {
        let mut input = b"signet session csrf:".to_vec();
        input.extend_from_slice(session_token.expose().as_bytes());
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            openssl::sha::sha256(&input),
        )
    }

    /// Whether `submitted` is the CSRF token of `session_token`'s forms.
    pub fn check_session_csrf(&self, session_token: &Token, submitted: &str) -> bool {
        constant_time_eq(
            self.session_csrf(session_token).as_bytes(),
            submitted.as_bytes(),
        )
    }
}

/// The start of a typed user name, at most as long as a user name can be: a
/// pasted megabyte keys the throttle and the audit log by its first bytes.
fn typed_name(username: &str) -> &str {
    let mut end = username.len().min(MAX_USERNAME_BYTES);
    while !username.is_char_boundary(end) {
        end -= 1;
    }
    &username[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_names_are_cut_to_a_user_name_on_a_character_boundary() {
        assert_eq!(typed_name("alice"), "alice");
        let long = "é".repeat(1000);
        let cut = typed_name(&long);
        assert!(cut.len() <= MAX_USERNAME_BYTES && cut.len() >= MAX_USERNAME_BYTES - 1);
        assert!(long.starts_with(cut));
    }
}
