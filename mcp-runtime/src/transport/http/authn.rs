//! Authentication: the bearer token of a request validated into a [`Caller`], the scopes and
//! metadata URL a `401` challenge names, and the RFC 9728 protected resource metadata.

use super::refusal::Refusal;
use super::reply::ChallengeHint;
use super::server::App;
use crate::auth::TokenError;
use crate::context::Caller;
use crate::jsonrpc::{Request, RequestId};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
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
            let params = b.get("params")?.as_object()?;
            self.named_scopes(method, params)
        });
        named.unwrap_or_else(|| self.server.baseline_scopes())
    }

    /// [`App::scopes_for`] a request already read.
    pub(super) fn scopes_for_request(&self, request: &Request) -> Vec<String> {
        self.named_scopes(&request.method, &request.params)
            .unwrap_or_else(|| self.server.baseline_scopes())
    }

    /// The scopes of the tool, prompt or resource `params` names, for `method`.
    fn named_scopes(&self, method: &str, params: &Map<String, Value>) -> Option<Vec<String>> {
        let name = params.get("name").or_else(|| params.get("uri"))?.as_str()?;
        self.server.scopes_for(method, name)
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
        let malformed = |why: &'static str| Refusal::InvalidAuthRequest {
            id: id.cloned(),
            why,
            hint: self.hint(Vec::new(), false),
        };
        if query_has_token(uri) {
            return Err(malformed(
                "access tokens are not accepted in the query string; use the Authorization header",
            ));
        }
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let Some(value) = values.next() else {
            return Err(Refusal::TokenRequired {
                id: id.cloned(),
                hint: self.hint(scopes(), false),
            });
        };
        if values.next().is_some() {
            return Err(malformed("send exactly one Authorization header"));
        }
        let token = match credentials(value.to_str().ok()) {
            Credentials::Bearer(token) => token,
            Credentials::OtherScheme => {
                // No bearer credentials at all: a plain challenge (RFC 6750 §3.1).
                return Err(Refusal::NotBearer {
                    hint: self.hint(scopes(), false),
                });
            }
            Credentials::Malformed => {
                return Err(malformed(
                    "the Authorization header must be `Bearer <token>` in visible ASCII",
                ));
            }
        };
        if token.len() > self.max_token_bytes {
            tracing::info!(
                bytes = token.len(),
                limit = self.max_token_bytes,
                "refusing an oversized bearer token"
            );
            return Err(Refusal::TokenRejected {
                id: id.cloned(),
                reason: format!(
                    "the access token is longer than {} bytes",
                    self.max_token_bytes
                ),
                hint: self.hint(scopes(), true),
            });
        }
        match validator.validate_shared(token).await {
            Ok(caller) => Ok(caller),
            Err(TokenError::KeysUnavailable(why)) => {
                tracing::warn!(reason = %why, "cannot verify bearer tokens: the issuer's signing keys are unavailable");
                Err(Refusal::KeysUnavailable {
                    id: id.cloned(),
                    retry_after: self.keys_retry_after,
                })
            }
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

/// What an `Authorization` value holds.
#[derive(Debug, PartialEq, Eq)]
enum Credentials<'a> {
    /// `Bearer <token>` (scheme case-insensitive).
    Bearer(&'a str),
    /// Another scheme (`Basic …`, `Digest …`): no bearer credentials.
    OtherScheme,
    /// Not visible ASCII, or `Bearer` without a token.
    Malformed,
}

fn credentials(value: Option<&str>) -> Credentials<'_> {
    let Some(value) = value else {
        return Credentials::Malformed;
    };
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Credentials::OtherScheme;
    }
    match rest.trim() {
        "" => Credentials::Malformed,
        token => Credentials::Bearer(token),
    }
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
    }

    #[test]
    fn credentials_tell_other_schemes_from_malformed_bearer() {
        assert_eq!(credentials(Some("Bearer abc")), Credentials::Bearer("abc"));
        assert_eq!(
            credentials(Some("bearer  abc ")),
            Credentials::Bearer("abc")
        );
        assert_eq!(
            credentials(Some("BEARER a.b.c")),
            Credentials::Bearer("a.b.c")
        );
        assert_eq!(credentials(Some("Bearer\tabc")), Credentials::OtherScheme);
        assert_eq!(credentials(Some("Basic YTpi")), Credentials::OtherScheme);
        assert_eq!(credentials(Some("Negotiate")), Credentials::OtherScheme);
        assert_eq!(credentials(Some("Bearer")), Credentials::Malformed);
        assert_eq!(credentials(Some("Bearer   ")), Credentials::Malformed);
        assert_eq!(credentials(None), Credentials::Malformed);
    }
}
