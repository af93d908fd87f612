//! `serve`: the policy is validated before the application is built for serving (so a bad
//! policy has no side effects: no database file, no connection), then the transport runs
//! under the policy, reloaded on change; every reload that changes a setting only a restart
//! applies says so, naming the setting.

use super::{Purpose, ServeArgs, TransportArg, state_key};
use crate::auth::TokenCacheSettings;
use crate::changes::Notifier;
use crate::policy::{
    DecisionLog, DecisionLogTarget, EnvSettings, PolicyAuthorizer, PolicyError, PolicyHandle,
    TransportKind, spawn_watchers, stdio_caller,
};
use crate::protocol::Server;
use crate::store::SharedStore;
use crate::transport::http::{HttpConfig, MetricsEndpoint, serve_http};
use crate::transport::stdio::{StdioConfig, serve_stdio};
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Runs `serve`: builds the server once to inspect its tools, validates the policy against
/// them, and only then builds it for serving.
pub(super) fn serve<F, E>(build: &mut F, args: ServeArgs) -> Result<ExitCode, PolicyError>
where
    F: FnMut(Purpose) -> Result<Server, E>,
    E: fmt::Debug,
{
    let path = args.policy.policy.clone();
    // 1. The deployment, checked with no side effects: the policy against the tools, the
    //    transport settings, and the stdio user's identity.
    let inspected = match build(Purpose::Inspect) {
        Ok(s) => s,
        Err(e) => return Ok(not_built(&e)),
    };
    let checked = match load(&path, &args.env, &inspected)? {
        Ok(h) => h,
        Err(code) => return Ok(code),
    };
    drop(inspected);
    let settings = checked.snapshot().settings().clone();
    let transport = match args.transport {
        Some(TransportArg::Stdio) => TransportKind::Stdio,
        Some(TransportArg::Http) => TransportKind::Http,
        None => settings.transport,
    };
    let bind = args
        .bind
        .or(settings.bind)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    if transport == TransportKind::Http && settings.auth.is_none() && !bind.ip().is_loopback() {
        return Err(PolicyError::Unsupported(format!(
            "environment `{}` has no `auth`; serving HTTP on {bind} without token validation is refused",
            settings.env
        )));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| PolicyError::Unsupported(format!("cannot start the runtime: {e}")))?;
    let stdio_user = match transport {
        TransportKind::Stdio => Some(runtime.block_on(stdio_caller(&settings))?),
        TransportKind::Http => None,
    };
    // 2. The application, built for serving, under the same policy (validated again against
    //    the served tools, in case the application builds them differently).
    let server = match build(Purpose::Serve) {
        Ok(s) => s,
        Err(e) => return Ok(not_built(&e)),
    };
    let handle = match load(&path, &args.env, &server)? {
        Ok(h) => Arc::new(h),
        Err(code) => return Ok(code),
    };
    let key = state_key::configured_key(
        args.request_state_key_file.as_deref(),
        std::env::var(state_key::KEY_ENV).ok().as_deref(),
    )
    .map_err(|e| PolicyError::Unsupported(e.to_string()))?;
    let server = match key {
        Some(key) => server.with_request_state_key(key),
        None => {
            tracing::warn!(
                "no request-state key configured (--request-state-key-file or {}): using a random key for this process; with several replicas, or across a restart, a client's retry with requestState is refused",
                state_key::KEY_ENV
            );
            server
        }
    };
    let store = match settings.store.as_deref().map(SharedStore::open).transpose() {
        Ok(store) => store.map(Arc::new),
        Err(e) => return Err(PolicyError::Unsupported(e.to_string())),
    };
    let mut authorizer = PolicyAuthorizer::new(handle.clone());
    if let Some(store) = &store {
        authorizer = authorizer.with_store(store.clone());
    }
    let target = match &args.decision_log {
        Some(text) => DecisionLogTarget::parse(text, Path::new("."))
            .map_err(|why| PolicyError::Unsupported(format!("--decision-log: {why}")))?,
        None => settings.decision_log.clone(),
    };
    let decision_log = DecisionLog::open(&target, transport.as_str()).map_err(|e| {
        PolicyError::Unsupported(format!("cannot open the decision log {target:?}: {e}"))
    })?;
    if let Some(log) = decision_log {
        authorizer = authorizer.with_decision_log(Arc::new(log));
    }
    let server = server
        .with_authorizer(Arc::new(authorizer))
        .with_store(store.clone());
    let token_cache_epoch = handle.cache_epoch();
    let outcome = runtime.block_on(async move {
        let watchers = spawn_watchers(handle.clone());
        let notices = spawn_reload_notices(handle.clone(), server.notifier().clone());
        let warnings = spawn_restart_warnings(handle, settings.clone());
        tracing::info!(
            env = %settings.env,
            transport = transport.as_str(),
            policy = %path.display(),
            store = store.as_ref().map_or("memory", |s| s.location()),
            "policy loaded"
        );
        let result = match stdio_user {
            Some(caller) => {
                let config = StdioConfig {
                    max_line_bytes: args.max_line_bytes,
                    ..StdioConfig::default()
                };
                serve_stdio(server, caller, config)
                    .await
                    .map_err(|e| e.to_string())
            }
            None => {
                let resource = settings
                    .resource
                    .clone()
                    .unwrap_or_else(|| format!("http://{bind}/mcp"));
                let mut config = HttpConfig::new(resource);
                config.bind = bind;
                config.auth = settings.auth.clone();
                config.token_cache_epoch = Some(token_cache_epoch);
                if let Some(max_entries) = settings.token_cache {
                    config.token_cache = TokenCacheSettings { max_entries };
                }
                config.metrics = settings.metrics.as_ref().map(|m| MetricsEndpoint {
                    bind: m.bind,
                    path: m.path.clone(),
                });
                serve_http(server, config).await.map_err(|e| e.to_string())
            }
        };
        watchers.abort();
        warnings.abort();
        notices.abort();
        result.map_err(|e| PolicyError::Unsupported(format!("transport failed: {e}")))
    });
    outcome.map(|()| ExitCode::SUCCESS)
}

fn not_built(e: &dyn fmt::Debug) -> ExitCode {
    eprintln!("error: the server could not be built: {e:?}");
    ExitCode::from(2)
}

/// Loads environment `env` of the policy at `path` against `server`'s tools. `Ok(Err(code))`:
/// the problems were printed (at `file:line:column`) and the process should exit with `code`.
fn load(
    path: &Path,
    env: &str,
    server: &Server,
) -> Result<Result<PolicyHandle, ExitCode>, PolicyError> {
    match PolicyHandle::load(path, env, Arc::new(server.catalog())) {
        Ok(h) => Ok(Ok(h)),
        Err(e) => {
            for d in e.diagnostics() {
                eprintln!("{d}");
            }
            eprintln!("error: cannot serve with policy {}", path.display());
            if e.diagnostics().is_empty() {
                return Err(e);
            }
            Ok(Err(ExitCode::from(2)))
        }
    }
}

/// After every reload, tells the subscribers that authorization may have changed: each
/// connected caller whose visible tools, prompts or resources changed gets the matching
/// `list_changed` (see [`crate::changes`]).
fn spawn_reload_notices(
    handle: Arc<PolicyHandle>,
    notifier: Notifier,
) -> tokio::task::JoinHandle<()> {
    let mut revisions = handle.revisions();
    tokio::spawn(async move {
        while revisions.changed().await.is_ok() {
            notifier.authorization_changed();
        }
    })
}

/// After every reload, warns once per setting that differs from the one the server started
/// with (those settings are read once, at start-up, so a change needs a restart).
fn spawn_restart_warnings(
    handle: Arc<PolicyHandle>,
    started: EnvSettings,
) -> tokio::task::JoinHandle<()> {
    let mut revisions = handle.revisions();
    tokio::spawn(async move {
        while revisions.changed().await.is_ok() {
            let now = handle.snapshot();
            for setting in restart_only_changes(&started, now.settings()) {
                tracing::warn!(
                    env = %started.env,
                    setting,
                    revision = now.revision(),
                    "the reloaded policy changes `{setting}`, which only a restart applies: restart the server; until then it keeps the value it started with"
                );
            }
        }
    })
}

/// The settings read once at start-up that differ between `started` and `now`, named as in
/// the policy file.
fn restart_only_changes(started: &EnvSettings, now: &EnvSettings) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut check = |name: &'static str, differs: bool| {
        if differs {
            changed.push(name);
        }
    };
    check("transport", started.transport != now.transport);
    check("bind", started.bind != now.bind);
    check("resource", started.resource != now.resource);
    check("token_env", started.token_env != now.token_env);
    check("metrics", started.metrics != now.metrics);
    check("decision_log", started.decision_log != now.decision_log);
    check("store", started.store != now.store);
    check("auth.token_cache", started.token_cache != now.token_cache);
    match (&started.auth, &now.auth) {
        (Some(a), Some(b)) => {
            check("auth.issuer", a.issuer != b.issuer);
            check("auth.audience", a.audience != b.audience);
            check("auth.jwks", a.jwks_uri != b.jwks_uri);
            check("auth.algorithms", a.algorithms != b.algorithms);
            check("auth.leeway", a.leeway != b.leeway);
            check(
                "auth.authorization_servers",
                a.authorization_servers != b.authorization_servers,
            );
        }
        (a, b) => check("auth", a.is_some() != b.is_some()),
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::TokenValidation;
    use crate::policy::{Policy, Source};

    fn settings(extra: &str) -> EnvSettings {
        let text = format!(
            "[env.prod]\ntransport = \"http\"\nbind = \"127.0.0.1:8080\"\nresource = \"http://127.0.0.1:8080/mcp\"\n{extra}"
        );
        let policy = Policy::parse(
            Source {
                name: "policy.toml".into(),
                text,
                base_dir: ".".into(),
            },
            Arc::new(crate::authz::Catalog::default()),
        )
        .unwrap();
        policy
            .compile("prod", &|_| None)
            .unwrap()
            .settings()
            .clone()
    }

    #[test]
    fn every_restart_only_setting_is_named() {
        let a = settings("auth.issuer = \"https://a.example\"\n");
        assert!(restart_only_changes(&a, &a).is_empty());
        let b = settings("auth.issuer = \"https://b.example\"\nauth.leeway = \"5s\"\n");
        assert_eq!(restart_only_changes(&a, &b), ["auth.issuer", "auth.leeway"]);
        let mut c = a.clone();
        c.bind = None;
        c.auth = None;
        assert_eq!(restart_only_changes(&a, &c), ["bind", "auth"]);
        let mut d = a.clone();
        d.auth = Some(TokenValidation {
            jwks_uri: Some("file:///k".into()),
            ..a.auth.clone().unwrap()
        });
        assert_eq!(restart_only_changes(&a, &d), ["auth.jwks"]);
        let e = settings("metrics = { bind = \"127.0.0.1:9100\" }\n");
        assert_eq!(restart_only_changes(&settings(""), &e), ["metrics"]);
        let f = settings("auth.issuer = \"https://a.example\"\nauth.token_cache = 500\n");
        assert_eq!(f.token_cache, Some(500));
        assert_eq!(restart_only_changes(&a, &f), ["auth.token_cache"]);
    }

    #[test]
    fn metrics_settings_default_and_refuse_the_mcp_listener() {
        let m = settings("metrics = {}\n").metrics.unwrap();
        assert_eq!(m.bind, "127.0.0.1:9464".parse().unwrap());
        assert_eq!(m.path, "/metrics");
        let m = settings("metrics = { bind = \"0.0.0.0:9100\", path = \"/m\" }\n")
            .metrics
            .unwrap();
        assert_eq!((m.bind.port(), m.path.as_str()), (9100, "/m"));
        assert!(settings("").metrics.is_none());
        let refused = |extra: &str| {
            let text = format!(
                "[env.prod]\ntransport = \"http\"\nbind = \"127.0.0.1:8080\"\nresource = \"http://127.0.0.1:8080/mcp\"\n{extra}"
            );
            let source = Source {
                name: "policy.toml".into(),
                text,
                base_dir: ".".into(),
            };
            let catalog = Arc::new(crate::authz::Catalog::default());
            match Policy::parse(source, catalog) {
                Err(e) => e.to_string(),
                Ok(p) => p.compile("prod", &|_| None).unwrap_err().to_string(),
            }
        };
        assert!(
            refused("metrics = { bind = \"127.0.0.1:8080\" }\n")
                .contains("must differ from `bind`")
        );
        assert!(refused("metrics = { path = \"metrics\" }\n").contains("must start with `/`"));
        assert!(refused("metrics = { port = 1 }\n").contains("port"));
    }
}
