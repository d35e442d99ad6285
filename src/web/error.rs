//! The one place where failures become HTTP statuses and pages. The page
//! says what was wrong in a sentence; the details go to the log.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use super::pages;
use crate::idp::login::LoginError;
use crate::idp::sso::SsoError;
use crate::idp::InternalError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("internal error")]
    Internal(String),
}

impl From<SsoError> for WebError {
    fn from(e: SsoError) -> Self {
        match e {
            SsoError::UnknownApplication(_) => {
                tracing::debug!("{e}");
                Self::NotFound(e.to_string())
            }
            SsoError::Internal(inner) => inner.into(),
            other => {
                tracing::warn!(reason = %other, "refused a SAML request");
                Self::BadRequest(other.to_string())
            }
        }
    }
}

impl From<InternalError> for WebError {
    fn from(e: InternalError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<LoginError> for WebError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Internal(inner) => inner.into(),
            locked @ LoginError::Locked { .. } => Self::TooManyRequests(capitalised(&locked)),
            other => Self::BadRequest(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for WebError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(format!("blocking task failed: {e}"))
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (title, message) = match self {
            Self::NotFound(m) => ("Not found", m.as_str()),
            Self::BadRequest(m) => ("Request refused", m.as_str()),
            Self::Forbidden(m) => ("Not allowed", m.as_str()),
            Self::TooManyRequests(m) => ("Please wait", m.as_str()),
            Self::Internal(detail) => {
                tracing::error!(detail = %detail, "internal error");
                (
                    "Something went wrong",
                    "signet could not complete this request.",
                )
            }
        };
        pages::error_page(status, title, message)
    }
}

/// An error's text as a sentence for a page.
fn capitalised(e: &impl std::fmt::Display) -> String {
    let text = e.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => text,
    }
}
