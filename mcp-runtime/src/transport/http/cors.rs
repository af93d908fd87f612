//! Cross-origin access for browser-based MCP clients: an explicit allow-list, empty (no
//! cross-origin access) by default.
//!
//! The layer runs after the `Host` / `Origin` check, so an origin must pass both: the
//! DNS-rebinding check ([`HttpConfig::allowed_origins`]) and this list
//! ([`HttpConfig::cors_allowed_origins`]). A preflight (`OPTIONS` with
//! `Access-Control-Request-Method`) is answered here, before authentication; a preflight from
//! an origin that is not on the list gets no `Access-Control-Allow-Origin`, so the browser
//! refuses the call.

use super::config::{HttpConfig, HttpError};
use super::headers;
use super::origin::{origin_matches, split_origin};
use axum::http::{HeaderName, HeaderValue, Method, header};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The CORS layer for `config`, or `None` when no origin is allowed (the default).
///
/// # Errors
/// An entry that is not an exact `scheme://host[:port]` origin, or one that
/// [`HttpConfig::allowed_origins`] refuses (it could never get past the `Origin` check).
pub(super) fn layer(config: &HttpConfig) -> Result<Option<CorsLayer>, HttpError> {
    if config.cors_allowed_origins.is_empty() {
        return Ok(None);
    }
    let mut origins = Vec::new();
    for origin in &config.cors_allowed_origins {
        let exact = split_origin(origin).is_some_and(|(scheme, authority)| {
            origin.len() == scheme.len() + 3 + authority.len()
                && matches!(scheme, "http" | "https")
                && !authority.contains('@')
        });
        if !exact {
            return Err(HttpError::Config(format!(
                "CORS origin `{origin}` must be an exact `scheme://host[:port]` origin"
            )));
        }
        if !config
            .allowed_origins
            .iter()
            .any(|a| origin_matches(a, origin))
        {
            return Err(HttpError::Config(format!(
                "CORS origin `{origin}` is refused by `allowed_origins`; add it there too"
            )));
        }
        let value = HeaderValue::from_str(&origin.to_ascii_lowercase())
            .map_err(|_| HttpError::Config(format!("CORS origin `{origin}` is not a header")))?;
        origins.push(value);
    }
    let request_headers = [
        header::AUTHORIZATION,
        header::CONTENT_TYPE,
        HeaderName::from_static(headers::PROTOCOL_VERSION),
        HeaderName::from_static(headers::SESSION_ID),
        HeaderName::from_static(headers::METHOD),
        HeaderName::from_static(headers::NAME),
        HeaderName::from_static("last-event-id"),
    ];
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::POST, Method::GET, Method::DELETE, Method::OPTIONS])
            .allow_headers(request_headers)
            .expose_headers([
                HeaderName::from_static(headers::SESSION_ID),
                header::WWW_AUTHENTICATE,
            ])
            .max_age(PREFLIGHT_MAX_AGE),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_must_be_exact_and_pass_the_origin_check() {
        let mut c = HttpConfig::new("https://mcp.example.com/mcp");
        assert!(layer(&c).unwrap().is_none(), "deny by default");
        c.cors_allowed_origins = vec!["https://mcp.example.com".into()];
        assert!(layer(&c).unwrap().is_some());
        for bad in [
            "*",
            "null",
            "https://mcp.example.com/",
            "https://mcp.example.com/app",
            "ftp://mcp.example.com",
        ] {
            c.cors_allowed_origins = vec![bad.into()];
            assert!(layer(&c).is_err(), "{bad}");
        }
        c.cors_allowed_origins = vec!["https://app.example.com".into()];
        let e = layer(&c).unwrap_err().to_string();
        assert!(e.contains("allowed_origins"), "{e}");
        c.allowed_origins.push("https://app.example.com".into());
        assert!(layer(&c).unwrap().is_some());
    }
}
