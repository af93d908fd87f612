//! Authentication: the bearer token of a request validated into a [`Caller`], the scopes and
//! metadata URL a `401` challenge names, and the RFC 9728 protected resource metadata.

use super::refusal::Refusal;
use super::reply::ChallengeHint;
use super::server::App;
use crate::context::Caller;
use crate::jsonrpc::RequestId;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

/// `GET /.well-known/oauth-protected-resource[/path]`.
pub(super) async fn protected_resource_metadata(State(app): State<Arc<App>>) -> Response {
    match &app.metadata {
        Some(m) => Json(m).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

impl App {
    /// What a challenge carries: the metadata URL, whether a token was presented, `scopes`.
    pub(super) fn hint(&self, scopes: Vec<String>, token_presented: bool) -> ChallengeHint {
        ChallengeHint {
            metadata_url: self.metadata_url.clone(),
            token_presented,
            scopes,
        }
    }

    /// The scopes a 401 names: those of the called tool, the prompt or the resource read,
    /// or else the server's baseline (least privilege first; see `Server::baseline_scopes`).
    pub(super) fn scopes_for(&self, body: Option<&Value>) -> Vec<String> {
        let named = body.and_then(|b| {
            let method = b.get("method")?.as_str()?;
            let params = b.get("params")?;
            let name = params.get("name").or_else(|| params.get("uri"))?.as_str()?;
            self.server.scopes_for(method, name)
        });
        named.unwrap_or_else(|| self.server.baseline_scopes())
    }

    /// The caller behind `headers`: the anonymous caller when authentication is off, else the
    /// subject of a valid bearer token. `scopes` are asked for only when a challenge needs them.
    pub(super) async fn authenticate(
        &self,
        headers: &HeaderMap,
        uri: &Uri,
        id: Option<&RequestId>,
        scopes: impl FnOnce() -> Vec<String>,
    ) -> Result<Arc<Caller>, Refusal> {
        let Some(validator) = &self.validator else {
            return Ok(self.anonymous.clone());
        };
        if query_has_token(uri) {
            return Err(Refusal::TokenInQuery {
                id: id.cloned(),
                hint: self.hint(Vec::new(), false),
            });
        }
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(Refusal::TokenRequired {
                id: id.cloned(),
                hint: self.hint(scopes(), false),
            });
        };
        let Some(token) = bearer_token(value.to_str().ok()) else {
            return Err(Refusal::NotBearer {
                hint: self.hint(scopes(), true),
            });
        };
        match validator.validate(token).await {
            Ok(caller) => Ok(Arc::new(caller)),
            Err(why) => {
                tracing::info!(reason = %why, "refusing a bearer token");
                Err(Refusal::TokenRejected {
                    id: id.cloned(),
                    reason: why.to_string(),
                    hint: self.hint(scopes(), true),
                })
            }
        }
    }
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
fn bearer_token(value: Option<&str>) -> Option<&str> {
    value
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
}

/// Whether the query string carries an `access_token` (refused: tokens leak from URLs).
fn query_has_token(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("access_token"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_the_bearer_header_only() {
        assert!(query_has_token(&"/mcp?a=1&access_token=x".parse().unwrap()));
        assert!(!query_has_token(&"/mcp?token_hint=1".parse().unwrap()));
        assert_eq!(bearer_token(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(Some("Basic abc")), None);
        assert_eq!(bearer_token(Some("Bearer ")), None);
        assert_eq!(bearer_token(None), None);
    }
}
