//! The webhook's one error type. Variants carry the file, address or request field
//! they are about, so a message read in a pod's log says what to fix.

use axum::http::StatusCode;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A TLS file could not be read at all.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    /// A file we produce (the development CA) could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    /// PEM material that is readable but not usable: `source` names the file (or the
    /// generated development certificate), `problem` says what is wrong with it.
    #[error("{source_name}: {problem}")]
    TlsMaterial {
        source_name: String,
        problem: String,
    },

    /// Certificate and key parse, but the key is not the certificate's.
    #[error("{key} does not belong to the certificate in {cert}: {problem}")]
    KeyMismatch {
        cert: String,
        key: String,
        problem: String,
    },

    /// rustls refused the configuration (e.g. no usable protocol version).
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),

    #[error("generating the development certificate: {0}")]
    DevCertificate(#[from] rcgen::Error),

    /// A listener could not be bound or failed while serving.
    #[error("serving on {addr}: {source}")]
    Serve {
        addr: SocketAddr,
        source: std::io::Error,
    },

    /// Installing a signal handler failed; without it the pod could not drain on
    /// SIGTERM, so we refuse to start.
    #[error("installing the {signal} handler: {source}")]
    Signal {
        signal: &'static str,
        source: std::io::Error,
    },

    /// The HTTP request is not a usable AdmissionReview. `message` names the field
    /// and what was wrong; it is sent back verbatim.
    #[error("{message}")]
    BadReview {
        reason: BadReviewReason,
        message: String,
    },
}

impl Error {
    pub fn bad_review(reason: BadReviewReason, message: impl Into<String>) -> Self {
        Error::BadReview {
            reason,
            message: message.into(),
        }
    }
}

/// Why a request was refused before any rule ran; the value is a metrics label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadReviewReason {
    EmptyBody,
    TooLarge,
    UnsupportedMediaType,
    UnreadableBody,
    NotJson,
    NotAnObject,
    WrongApiVersion,
    WrongKind,
    MissingRequest,
    BadObject,
    InvalidField,
}

impl BadReviewReason {
    pub fn as_str(self) -> &'static str {
        match self {
            BadReviewReason::EmptyBody => "empty_body",
            BadReviewReason::TooLarge => "too_large",
            BadReviewReason::UnsupportedMediaType => "unsupported_media_type",
            BadReviewReason::UnreadableBody => "unreadable_body",
            BadReviewReason::NotJson => "not_json",
            BadReviewReason::NotAnObject => "not_an_object",
            BadReviewReason::WrongApiVersion => "wrong_api_version",
            BadReviewReason::WrongKind => "wrong_kind",
            BadReviewReason::MissingRequest => "missing_request",
            BadReviewReason::BadObject => "bad_object",
            BadReviewReason::InvalidField => "invalid_field",
        }
    }

    /// 413 for an oversized body (the client may retry with less), 415 for a body
    /// that is not declared JSON, 400 otherwise.
    pub fn status(self) -> StatusCode {
        match self {
            BadReviewReason::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BadReviewReason::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}
