//! [`EnvSettings`]: one environment's deployment settings (transport, address, resource,
//! token validation, local principal), resolved from its layers with `${VAR}` interpolation.

use super::diagnostic::{Diagnostic, PolicyError};
use super::load::Policy;
use super::model::{AuthSection, EnvSection, ListMode, Name, TransportKind};
use super::values::{
    InterpolationError, VarLookup, check_transport_security, check_url, interpolate,
    parse_duration, resolve_jwks,
};
use crate::auth::TokenValidation;
use serde_json::{Map, Value};
use std::net::SocketAddr;
use std::time::Duration;

/// The deployment settings of one environment, after `${VAR}` interpolation.
#[derive(Clone, Debug)]
pub struct EnvSettings {
    /// The environment's name.
    pub env: String,
    /// Which transport it serves on.
    pub transport: TransportKind,
    /// HTTP listen address.
    pub bind: Option<SocketAddr>,
    /// This server's canonical resource URI.
    pub resource: Option<String>,
    /// Token validation (HTTP, and stdio with `token_env`).
    pub auth: Option<TokenValidation>,
    /// What `tools/list` shows.
    pub list: ListMode,
    /// The local stdio user's subject.
    pub principal_sub: Option<String>,
    /// The local stdio user's scopes, as written.
    pub principal_scopes: Vec<String>,
    /// The local stdio user's claims.
    pub principal_claims: Map<String, Value>,
    /// The variable holding a stdio token.
    pub token_env: Option<String>,
    /// Variables that are referenced without a default but not set. `serve` refuses to start
    /// with any; `check` reports them as warnings.
    pub unresolved: Vec<Diagnostic>,
}

impl Policy {
    pub(super) fn settings(
        &self,
        env: &str,
        layers: &[(String, &EnvSection)],
        vars: VarLookup<'_>,
    ) -> Result<EnvSettings, PolicyError> {
        let source = &self.source;
        let mut errors = Vec::new();
        let mut unresolved = Vec::new();
        let mut syntax_errors = Vec::new();
        let last = |f: &dyn Fn(&EnvSection) -> Option<&Name>| -> Option<Name> {
            layers.iter().rev().find_map(|(_, s)| f(s)).cloned()
        };
        let mut resolve = |value: Option<Name>| -> Option<String> {
            let value = value?;
            match interpolate(value.get_ref(), vars) {
                Ok(v) => Some(v),
                Err(InterpolationError::Unset(var)) => {
                    unresolved.push(source.diag(
                        value.span(),
                        format!("environment variable `{var}` is not set and has no default (`${{{var}:-default}}`)"),
                    ));
                    None
                }
                Err(InterpolationError::Syntax(why)) => {
                    syntax_errors.push(source.diag(value.span(), why));
                    None
                }
            }
        };
        let transport = layers
            .iter()
            .rev()
            .find_map(|(_, s)| s.transport.as_ref())
            .map(|t| *t.get_ref());
        let list = layers
            .iter()
            .rev()
            .find_map(|(_, s)| s.list.as_ref())
            .map_or(ListMode::Permitted, |l| *l.get_ref());
        let bind_name = last(&|s| s.bind.as_ref());
        let bind_text = resolve(bind_name.clone());
        let bind = match (bind_text, &bind_name) {
            (Some(text), Some(name)) => match text.parse::<SocketAddr>() {
                Ok(a) => Some(a),
                Err(_) => {
                    errors.push(source.diag(
                        name.span(),
                        format!("`bind` must be an address and port such as `127.0.0.1:8080`, not `{text}`"),
                    ));
                    None
                }
            },
            _ => None,
        };
        let resource_name = last(&|s| s.resource.as_ref());
        let resource = resolve(resource_name.clone());
        if let (Some(r), Some(name)) = (&resource, &resource_name)
            && let Err(why) = check_url(r, false)
        {
            errors.push(source.diag(name.span(), format!("`resource` {why}")));
        }
        let auth_field = |f: &dyn Fn(&AuthSection) -> Option<&Name>| {
            layers
                .iter()
                .rev()
                .find_map(|(_, s)| s.auth.as_ref().and_then(f))
                .cloned()
        };
        let has_auth = layers.iter().any(|(_, s)| s.auth.is_some());
        let issuer_name = auth_field(&|a| a.issuer.as_ref());
        let issuer = resolve(issuer_name.clone());
        let audience = resolve(auth_field(&|a| a.audience.as_ref()));
        let jwks_name = auth_field(&|a| a.jwks.as_ref());
        let jwks = resolve(jwks_name.clone());
        let leeway = auth_field(&|a| a.leeway.as_ref()).map_or(Duration::from_secs(30), |l| {
            parse_duration(l.get_ref()).expect("validated")
        });
        let algorithms = layers
            .iter()
            .rev()
            .find_map(|(_, s)| s.auth.as_ref().and_then(|a| a.algorithms.as_ref()))
            .map_or_else(
                || vec!["RS256".to_owned(), "ES256".to_owned()],
                |a| a.get_ref().iter().map(|n| n.get_ref().clone()).collect(),
            );
        let servers: Vec<Name> = layers
            .iter()
            .rev()
            .find_map(|(_, s)| {
                s.auth
                    .as_ref()
                    .and_then(|a| a.authorization_servers.clone())
            })
            .unwrap_or_default();
        let authorization_servers: Vec<String> = servers
            .into_iter()
            .filter_map(|s| resolve(Some(s)))
            .collect();
        if let (Some(i), Some(name)) = (&issuer, &issuer_name)
            && let Err(why) = check_url(i, false).and_then(|()| check_transport_security(i))
        {
            errors.push(source.diag(name.span(), format!("`auth.issuer` {why}")));
        }
        let jwks_uri = match (jwks, &jwks_name) {
            (Some(j), Some(name)) => match resolve_jwks(&j, &source.base_dir) {
                Ok(u) => Some(u),
                Err(why) => {
                    errors.push(source.diag(name.span(), format!("`auth.jwks` {why}")));
                    None
                }
            },
            _ => None,
        };
        let auth = match (has_auth, issuer, issuer_name.is_some()) {
            (true, Some(issuer), _) => Some(TokenValidation {
                audience: audience.or_else(|| resource.clone()).unwrap_or_default(),
                issuer,
                jwks_uri,
                algorithms,
                leeway,
                authorization_servers,
            }),
            (true, None, false)
                if transport == Some(TransportKind::Http)
                    || layers.iter().any(|(_, s)| s.token_env.is_some()) =>
            {
                let span = self
                    .file
                    .env
                    .keys()
                    .find(|k| k.get_ref() == env)
                    .map_or(0..0, toml::Spanned::span);
                errors.push(source.diag(
                    span,
                    format!("environment `{env}`: `auth` needs an `issuer`"),
                ));
                None
            }
            _ => None,
        };
        let principal = layers.iter().rev().find_map(|(_, s)| s.principal.as_ref());
        let token_env = last(&|s| s.token_env.as_ref());
        let env_span = self
            .file
            .env
            .keys()
            .find(|k| k.get_ref() == env)
            .map_or(0..0, toml::Spanned::span);
        match transport {
            None => errors.push(source.diag(
                env_span.clone(),
                format!(
                    "environment `{env}` does not say which `transport` it uses (`stdio` or `http`)"
                ),
            )),
            Some(TransportKind::Stdio) => {
                if principal.is_none() && token_env.is_none() {
                    errors.push(source.diag(
                        env_span.clone(),
                        format!("environment `{env}` serves stdio but names neither a `principal` nor a `token_env` for the local user"),
                    ));
                }
                if principal.is_some() && token_env.is_some() {
                    errors.push(source.diag(
                        env_span.clone(),
                        format!("environment `{env}` names both a `principal` and a `token_env`; choose one"),
                    ));
                }
            }
            Some(TransportKind::Http) => {
                let names_bind = bind_name.is_some();
                if !names_bind {
                    errors.push(source.diag(
                        env_span.clone(),
                        format!("environment `{env}` serves HTTP but has no `bind` address"),
                    ));
                }
                if resource_name.is_none() {
                    errors.push(source.diag(
                        env_span.clone(),
                        format!("environment `{env}` serves HTTP but has no `resource` (its canonical URI, the token audience)"),
                    ));
                }
                if !has_auth && bind.is_some_and(|b| !b.ip().is_loopback()) {
                    errors.push(source.diag(
                        env_span.clone(),
                        format!("environment `{env}` serves HTTP off loopback without `auth`; token validation is required there"),
                    ));
                }
            }
        }
        errors.append(&mut syntax_errors);
        if !errors.is_empty() {
            return Err(PolicyError::Invalid(errors));
        }
        Ok(EnvSettings {
            env: env.to_owned(),
            transport: transport.expect("checked above"),
            bind,
            resource,
            auth,
            list,
            principal_sub: principal.map(|p| {
                p.sub
                    .as_ref()
                    .map_or_else(|| "local-user".to_owned(), |s| s.get_ref().clone())
            }),
            principal_scopes: principal
                .map(|p| p.scopes.iter().map(|s| s.get_ref().clone()).collect())
                .unwrap_or_default(),
            principal_claims: principal.map(|p| p.claims.clone()).unwrap_or_default(),
            token_env: token_env.map(|t| t.get_ref().clone()),
            unresolved,
        })
    }
}
