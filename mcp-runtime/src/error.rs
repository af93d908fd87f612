//! The runtime's typed protocol errors, and the one place that maps each to a JSON-RPC error
//! code and an HTTP status.

use crate::authz::{Denial, Primitive, Refusal};
use crate::jsonrpc::{ErrorObject, codes};
use serde_json::{Value, json};
use std::time::Duration;

/// An error that ends a JSON-RPC request with an error response.
///
/// Every variant knows its JSON-RPC code ([`McpError::code`]) and its HTTP status
/// ([`McpError::http_status`]); transports render errors only through these two methods and
/// [`McpError::to_error_object`], so there is exactly one mapping.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum McpError {
    /// The message is not a valid JSON-RPC request.
    #[error("Invalid Request: {0}")]
    InvalidRequest(String),
    /// The method does not exist, or does not exist in the request's protocol era.
    #[error("Method not found: {0}")]
    MethodNotFound(String),
    /// The parameters are invalid (unknown tool, arguments failing the schema, bad cursor).
    #[error("{message}")]
    InvalidParams {
        /// What is wrong, for people.
        message: String,
        /// Structured detail for programs.
        data: Option<Value>,
    },
    /// (2026-07-28) the request's `_meta` lacks a required field or has one of the wrong type:
    /// `-32602` like [`McpError::InvalidParams`], but the request is malformed, so HTTP
    /// renders `400`.
    #[error("{message}")]
    InvalidMeta {
        /// What is wrong, for people.
        message: String,
        /// Structured detail for programs.
        data: Option<Value>,
    },
    /// (2025-11-25 and earlier) `resources/read` named a resource that does not exist:
    /// `-32002` with `data.uri`. Modern requests report an unknown resource as
    /// [`McpError::InvalidParams`] instead, as protocol 2026-07-28 requires.
    #[error("Resource not found: {uri}")]
    ResourceNotFound {
        /// The URI that was asked for.
        uri: String,
    },
    /// (2025-11-25 and earlier) the request cannot be processed until the user completes these
    /// URL mode elicitations (`-32042`, `data.elicitations`); the client retries afterwards.
    #[error("This request requires more information.")]
    UrlElicitationRequired {
        /// The `elicitation/create` parameters of each (mode `url`, with `elicitationId`).
        elicitations: Vec<Value>,
    },
    /// Something went wrong on the server's side.
    #[error("Internal error: {0}")]
    Internal(String),
    /// (2026-07-28, HTTP) a header disagrees with the body, or a required header is missing.
    #[error("Header mismatch: {0}")]
    HeaderMismatch(String),
    /// (2026-07-28) the request needs client capabilities the client did not declare.
    #[error("Missing required client capability")]
    MissingClientCapability {
        /// The capabilities the request needs, as a capabilities object.
        required: Value,
    },
    /// The policy requires the user's approval of this tool call, and the client cannot be
    /// asked (it did not declare `elicitation`): refused, fail closed.
    #[error(
        "Calling tool `{tool}` requires the user's approval, asked through elicitation, \
         and this client did not declare the `elicitation` capability; nothing was done"
    )]
    ApprovalUnavailable {
        /// The tool.
        tool: String,
        /// The policy rule that requires approval.
        rule: String,
    },
    /// (2026-07-28) the requested protocol version is not supported.
    #[error("Unsupported protocol version: {requested}")]
    UnsupportedProtocolVersion {
        /// The versions this server supports for per-request negotiation.
        supported: Vec<String>,
        /// The version the client asked for.
        requested: String,
    },
    /// No valid credentials were presented (HTTP renders `401`).
    #[error("Unauthorized: {0}")]
    Unauthorized(String),
    /// The policy refused this call (HTTP renders `403 insufficient_scope`).
    #[error("{0}")]
    Forbidden(Box<Denial>),
    /// The caller exceeded a rate limit (HTTP renders `429` with `Retry-After`).
    #[error("Rate limit exceeded for {} `{name}`; retry after {} s", kind.as_str(), retry_after.as_secs().max(1))]
    RateLimited {
        /// The kind of item whose limit was hit.
        kind: Primitive,
        /// The tool, prompt or resource whose limit was hit.
        name: String,
        /// When the next call would be allowed.
        retry_after: Duration,
    },
    /// A check the call needs cannot be made now (HTTP renders `503` with `Retry-After`).
    #[error("Service unavailable: the rate limit of {} `{name}` cannot be checked now; retry after {} s", kind.as_str(), retry_after.as_secs().max(1))]
    Unavailable {
        /// The kind of item whose limit could not be checked.
        kind: Primitive,
        /// The tool, prompt or resource whose limit could not be checked.
        name: String,
        /// When to try again.
        retry_after: Duration,
    },
}

impl McpError {
    /// A `-32602` error with a message only.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::InvalidParams {
            message: message.into(),
            data: None,
        }
    }

    /// The JSON-RPC error code.
    pub fn code(&self) -> i32 {
        match self {
            Self::InvalidRequest(_) => codes::INVALID_REQUEST,
            Self::MethodNotFound(_) => codes::METHOD_NOT_FOUND,
            Self::InvalidParams { .. } | Self::InvalidMeta { .. } => codes::INVALID_PARAMS,
            Self::Internal(_) => codes::INTERNAL_ERROR,
            Self::ResourceNotFound { .. } => codes::RESOURCE_NOT_FOUND,
            Self::UrlElicitationRequired { .. } => codes::URL_ELICITATION_REQUIRED,
            Self::HeaderMismatch(_) => codes::HEADER_MISMATCH,
            Self::MissingClientCapability { .. } | Self::ApprovalUnavailable { .. } => {
                codes::MISSING_REQUIRED_CLIENT_CAPABILITY
            }
            Self::UnsupportedProtocolVersion { .. } => codes::UNSUPPORTED_PROTOCOL_VERSION,
            Self::Unauthorized(_) => codes::UNAUTHORIZED,
            Self::Forbidden(_) => codes::FORBIDDEN,
            Self::RateLimited { .. } => codes::RATE_LIMITED,
            Self::Unavailable { .. } => codes::UNAVAILABLE,
        }
    }

    /// The HTTP status a Streamable HTTP transport answers with.
    ///
    /// Plain JSON-RPC errors (unknown tool, bad arguments) travel with `200`, as the reference
    /// servers do; the statuses the specification prescribes are used where it does.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::InvalidRequest(_)
            | Self::InvalidMeta { .. }
            | Self::HeaderMismatch(_)
            | Self::MissingClientCapability { .. }
            | Self::ApprovalUnavailable { .. }
            | Self::UnsupportedProtocolVersion { .. } => 400,
            Self::MethodNotFound(_) => 404,
            Self::Unauthorized(_) => 401,
            Self::Forbidden(_) => 403,
            Self::RateLimited { .. } => 429,
            Self::Unavailable { .. } => 503,
            Self::InvalidParams { .. }
            | Self::Internal(_)
            | Self::ResourceNotFound { .. }
            | Self::UrlElicitationRequired { .. } => 200,
        }
    }

    /// The `error` member of the JSON-RPC response.
    pub fn to_error_object(&self) -> ErrorObject {
        let object = ErrorObject::new(self.code(), self.to_string());
        match self {
            Self::InvalidParams { data: Some(d), .. } | Self::InvalidMeta { data: Some(d), .. } => {
                object.with_data(d.clone())
            }
            Self::MissingClientCapability { required } => {
                object.with_data(json!({ "requiredCapabilities": required }))
            }
            Self::ApprovalUnavailable { tool, rule } => object.with_data(json!({
                "requiredCapabilities": { "elicitation": {} },
                "tool": tool,
                "rule": rule,
            })),
            Self::UnsupportedProtocolVersion {
                supported,
                requested,
            } => object.with_data(json!({ "supported": supported, "requested": requested })),
            Self::ResourceNotFound { uri } => object.with_data(json!({ "uri": uri })),
            Self::UrlElicitationRequired { elicitations } => {
                object.with_data(json!({ "elicitations": elicitations }))
            }
            Self::Forbidden(denial) => object.with_data(denial.to_data()),
            Self::RateLimited {
                kind,
                name,
                retry_after,
            }
            | Self::Unavailable {
                kind,
                name,
                retry_after,
            } => object.with_data(
                json!({ kind.as_str(): name, "retryAfterSeconds": retry_after.as_secs().max(1) }),
            ),
            _ => object,
        }
    }
}

impl From<Refusal> for McpError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Forbidden(denial) => Self::Forbidden(denial),
            Refusal::RateLimited {
                kind,
                name,
                retry_after,
            } => Self::RateLimited {
                kind,
                name,
                retry_after,
            },
            Refusal::Unavailable {
                kind,
                name,
                retry_after,
            } => Self::Unavailable {
                kind,
                name,
                retry_after,
            },
        }
    }
}
