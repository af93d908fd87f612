//! [`EnvSettings`]: one environment's deployment settings (transport, address, resource,
//! token validation, local principal), resolved from its layers with `${VAR}` interpolation.

use super::DecisionLogTarget;
use super::diagnostic::{Diagnostic, PolicyError, Source};
use super::model::{ListMode, TransportKind};
use super::valid::{Auth, Layer, ValidEnv};
use super::values::{Template, VarLookup, check_transport_security, check_url, resolve_jwks};
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
    /// `auth.token_cache`: the most validated tokens the HTTP transport remembers at once
    /// (`Some(0)`: none); `None`: the transport's default.
    pub token_cache: Option<usize>,
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
    /// The Prometheus exporter (`metrics = { … }`, HTTP only).
    pub metrics: Option<MetricsSettings>,
    /// Where decision lines go.
    pub decision_log: DecisionLogTarget,
    /// The shared store (`store = "redis://…"`); `None`: in memory, per process.
    pub store: Option<String>,
    /// Variables that are referenced without a default but not set. `serve` refuses to start
    /// with any; `check` reports them as warnings.
    pub unresolved: Vec<Diagnostic>,
}

/// Where the Prometheus exporter listens: a listener apart from the MCP endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsSettings {
    /// Its listen address (default `127.0.0.1:9464`).
    pub bind: SocketAddr,
    /// Its path (default `/metrics`).
    pub path: String,
}

/// Resolves `env`'s settings from its `layers` (most general first), expanding `${VAR}`s with
/// `vars`. Variables that are not set are collected in [`EnvSettings::unresolved`].
///
/// # Errors
/// [`PolicyError::Invalid`] for settings that are wrong once merged and interpolated (an
/// unparsable `bind`, a missing `transport`, …).
pub(super) fn resolve(
    source: &Source,
    env: &ValidEnv,
    layers: &[(String, &Layer)],
    vars: VarLookup<'_>,
) -> Result<EnvSettings, PolicyError> {
    let name = env.name.as_str();
    let env_span = env.span.clone();
    let mut errors = Vec::new();
    let mut unresolved = Vec::new();
    let last = |f: &dyn Fn(&Layer) -> Option<&Template>| -> Option<Template> {
        layers.iter().rev().find_map(|(_, s)| f(s)).cloned()
    };
    let mut expand = |value: &Template| -> Option<String> {
        match value.expand(vars) {
            Ok(v) => Some(v),
            Err(var) => {
                unresolved.push(source.diag(
                    value.span.clone(),
                    format!("environment variable `{var}` is not set and has no default (`${{{var}:-default}}`)"),
                ));
                None
            }
        }
    };
    let transport = layers.iter().rev().find_map(|(_, s)| s.transport);
    let list = layers
        .iter()
        .rev()
        .find_map(|(_, s)| s.list)
        .unwrap_or(ListMode::Permitted);
    let bind_template = last(&|s| s.bind.as_ref());
    let bind = bind_template.as_ref().and_then(|t| {
        let text = expand(t)?;
        match text.parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                errors.push(source.diag(
                    t.span.clone(),
                    format!(
                        "`bind` must be an address and port such as `127.0.0.1:8080`, not `{text}`"
                    ),
                ));
                None
            }
        }
    });
    let resource_template = last(&|s| s.resource.as_ref());
    let resource = resource_template.as_ref().and_then(&mut expand);
    if let (Some(r), Some(t)) = (&resource, &resource_template)
        && let Err(why) = check_url(r, false)
    {
        errors.push(source.diag(t.span.clone(), format!("`resource` {why}")));
    }
    let auth_field = |f: &dyn Fn(&Auth) -> Option<&Template>| {
        layers
            .iter()
            .rev()
            .find_map(|(_, s)| s.auth.as_ref().and_then(f))
            .cloned()
    };
    let has_auth = layers.iter().any(|(_, s)| s.auth.is_some());
    let issuer_template = auth_field(&|a| a.issuer.as_ref());
    let issuer = issuer_template.as_ref().and_then(&mut expand);
    let audience = auth_field(&|a| a.audience.as_ref()).and_then(|t| expand(&t));
    let jwks_template = auth_field(&|a| a.jwks.as_ref());
    let jwks = jwks_template.as_ref().and_then(&mut expand);
    let leeway = layers
        .iter()
        .rev()
        .find_map(|(_, s)| s.auth.as_ref().and_then(|a| a.leeway))
        .unwrap_or(Duration::from_secs(30));
    let algorithms = layers
        .iter()
        .rev()
        .find_map(|(_, s)| s.auth.as_ref().and_then(|a| a.algorithms.clone()))
        .unwrap_or_else(|| vec!["RS256".to_owned(), "ES256".to_owned()]);
    let servers: Vec<Template> = layers
        .iter()
        .rev()
        .find_map(|(_, s)| {
            s.auth
                .as_ref()
                .and_then(|a| a.authorization_servers.clone())
        })
        .unwrap_or_default();
    let authorization_servers: Vec<String> = servers.iter().filter_map(&mut expand).collect();
    if let (Some(i), Some(t)) = (&issuer, &issuer_template)
        && let Err(why) = check_url(i, false).and_then(|()| check_transport_security(i))
    {
        errors.push(source.diag(t.span.clone(), format!("`auth.issuer` {why}")));
    }
    let jwks_uri = match (jwks, &jwks_template) {
        (Some(j), Some(t)) => match resolve_jwks(&j, &source.base_dir) {
            Ok(u) => Some(u),
            Err(why) => {
                errors.push(source.diag(t.span.clone(), format!("`auth.jwks` {why}")));
                None
            }
        },
        _ => None,
    };
    let metrics = metrics(source, layers, &mut expand, bind, &mut errors);
    let principal = layers.iter().rev().find_map(|(_, s)| s.principal.as_ref());
    let store_template = last(&|s| s.store.as_ref());
    let store = store_template.as_ref().and_then(&mut expand);
    if let (Some(url), Some(t)) = (&store, &store_template)
        && let Err(why) = crate::store::SharedStore::open(url)
    {
        errors.push(source.diag(t.span.clone(), format!("`store`: {why}")));
    }
    let token_env = layers.iter().rev().find_map(|(_, s)| s.token_env.as_ref());
    let auth = match (has_auth, issuer, issuer_template.is_some()) {
        (true, Some(issuer), _) => Some(TokenValidation {
            audience: audience.or_else(|| resource.clone()).unwrap_or_default(),
            issuer,
            jwks_uri,
            algorithms,
            leeway,
            authorization_servers,
        }),
        (true, None, false) if transport == Some(TransportKind::Http) || token_env.is_some() => {
            errors.push(source.diag(
                env_span.clone(),
                format!("environment `{name}`: `auth` needs an `issuer`"),
            ));
            None
        }
        _ => None,
    };
    let transport = match transport {
        None => {
            errors.push(source.diag(
                env_span.clone(),
                format!(
                    "environment `{name}` does not say which `transport` it uses (`stdio` or `http`)"
                ),
            ));
            TransportKind::Stdio
        }
        Some(TransportKind::Stdio) => {
            if metrics.is_some() {
                errors.push(source.diag(
                    env_span.clone(),
                    format!("environment `{name}` serves stdio: `metrics` are exported by the HTTP transport only"),
                ));
            }
            if principal.is_none() && token_env.is_none() {
                errors.push(source.diag(
                    env_span.clone(),
                    format!("environment `{name}` serves stdio but names neither a `principal` nor a `token_env` for the local user"),
                ));
            }
            if principal.is_some() && token_env.is_some() {
                errors.push(source.diag(
                    env_span.clone(),
                    format!("environment `{name}` names both a `principal` and a `token_env`; choose one"),
                ));
            }
            TransportKind::Stdio
        }
        Some(TransportKind::Http) => {
            if bind_template.is_none() {
                errors.push(source.diag(
                    env_span.clone(),
                    format!("environment `{name}` serves HTTP but has no `bind` address"),
                ));
            }
            if resource_template.is_none() {
                errors.push(source.diag(
                    env_span.clone(),
                    format!("environment `{name}` serves HTTP but has no `resource` (its canonical URI, the token audience)"),
                ));
            }
            if !has_auth && bind.is_some_and(|b| !b.ip().is_loopback()) {
                errors.push(source.diag(
                    env_span.clone(),
                    format!("environment `{name}` serves HTTP off loopback without `auth`; token validation is required there"),
                ));
            }
            TransportKind::Http
        }
    };
    if !errors.is_empty() {
        return Err(PolicyError::Invalid(errors));
    }
    Ok(EnvSettings {
        env: name.to_owned(),
        transport,
        bind,
        resource,
        auth,
        token_cache: layers
            .iter()
            .rev()
            .find_map(|(_, s)| s.auth.as_ref().and_then(|a| a.token_cache)),
        list,
        principal_sub: principal.map(|p| p.sub.clone()),
        principal_scopes: principal.map(|p| p.scopes.clone()).unwrap_or_default(),
        principal_claims: principal.map(|p| p.claims.clone()).unwrap_or_default(),
        token_env: token_env.cloned(),
        metrics,
        decision_log: layers
            .iter()
            .rev()
            .find_map(|(_, s)| s.decision_log.clone())
            .unwrap_or_default(),
        store,
        unresolved,
    })
}

/// The exporter's settings: each field from the most specific layer that sets it.
fn metrics(
    source: &Source,
    layers: &[(String, &Layer)],
    expand: &mut impl FnMut(&Template) -> Option<String>,
    mcp_bind: Option<SocketAddr>,
    errors: &mut Vec<Diagnostic>,
) -> Option<MetricsSettings> {
    let field = |f: &dyn Fn(&super::valid::Metrics) -> Option<&Template>| {
        layers
            .iter()
            .rev()
            .find_map(|(_, s)| s.metrics.as_ref().and_then(f))
            .cloned()
    };
    if !layers.iter().any(|(_, s)| s.metrics.is_some()) {
        return None;
    }
    let path = layers
        .iter()
        .rev()
        .find_map(|(_, s)| s.metrics.as_ref().and_then(|m| m.path.clone()))
        .unwrap_or_else(|| "/metrics".to_owned());
    let mut bind = SocketAddr::from(([127, 0, 0, 1], 9464));
    if let Some(t) = field(&|m| m.bind.as_ref()) {
        let text = expand(&t)?;
        match text.parse::<SocketAddr>() {
            Ok(a) if Some(a) == mcp_bind => errors.push(source.diag(
                t.span.clone(),
                format!("`metrics.bind` must differ from `bind` ({a}): metrics are never served on the MCP listener"),
            )),
            Ok(a) => bind = a,
            Err(_) => errors.push(source.diag(
                t.span.clone(),
                format!("`metrics.bind` must be an address and port such as `127.0.0.1:9464`, not `{text}`"),
            )),
        }
    }
    Some(MetricsSettings { bind, path })
}
