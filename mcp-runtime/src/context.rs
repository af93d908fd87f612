//! What a handler can see: the validated caller, the server's own state, and a channel back
//! to the client for progress and log messages and for asking it (elicitation, sampling,
//! roots). Never the caller's raw bearer token.

use crate::asking::Asker;
use crate::changes::Notifier;
use crate::jsonrpc::{RequestId, notification};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::any::{Any, TypeId};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::mpsc;

mod ask;

/// How the caller was identified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallerOrigin {
    /// A local user on stdio; trust comes from the operating system and the policy.
    Local,
    /// A validated bearer token (HTTP, or a token handed to a stdio process).
    Token,
}

/// The validated identity behind a request.
///
/// Built by the transport from the operating system (stdio) or from a validated access token
/// (HTTP). It holds the token's *claims* after validation, never the token itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Caller {
    subject: String,
    client_id: Option<String>,
    scopes: BTreeSet<String>,
    claims: Map<String, Value>,
    origin: CallerOrigin,
    /// The effective scopes the policy engine mapped this caller to, once.
    scope_memo: Memo,
}

impl Caller {
    /// A local (stdio) principal holding `scopes`.
    pub fn local(
        subject: impl Into<String>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            subject: subject.into(),
            client_id: None,
            scopes: scopes.into_iter().map(Into::into).collect(),
            claims: Map::new(),
            origin: CallerOrigin::Local,
            scope_memo: Memo::default(),
        }
    }

    /// A caller identified by a validated token.
    pub fn from_token(
        subject: impl Into<String>,
        client_id: Option<String>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
        claims: Map<String, Value>,
    ) -> Self {
        Self {
            subject: subject.into(),
            client_id,
            scopes: scopes.into_iter().map(Into::into).collect(),
            claims,
            origin: CallerOrigin::Token,
            scope_memo: Memo::default(),
        }
    }

    /// The subject (`sub` claim, or the local principal's name).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The OAuth client the token was issued to, if known.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// The scopes the identity provider granted (before policy mapping).
    pub fn scopes(&self) -> &BTreeSet<String> {
        &self.scopes
    }

    /// Selected claims of the validated token.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// How the caller was identified.
    pub fn origin(&self) -> CallerOrigin {
        self.origin
    }

    /// Where the policy engine remembers this caller's effective scopes.
    pub(crate) fn scope_memo(&self) -> &Memo {
        &self.scope_memo
    }

    /// Replaces the granted scopes (used by policies that map identity-provider vocabulary).
    #[must_use]
    pub fn with_scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self.scope_memo = Memo::default();
        self
    }

    /// Adds claims.
    #[must_use]
    pub fn with_claims(mut self, claims: Map<String, Value>) -> Self {
        self.claims = claims;
        self.scope_memo = Memo::default();
        self
    }
}

/// 256 bits derived from a caller once and remembered on it, keyed by what derived them: the
/// policy engine keeps a caller's effective scopes here (a scope set is 256 bits), under the
/// engine's id, so that a caller the token cache serves again is not mapped again, and another
/// engine (a reloaded policy) maps it afresh. Held inline: remembering never allocates. A
/// cache, not part of the caller's identity: equal to every other.
#[derive(Clone, Default)]
pub(crate) struct Memo(OnceLock<(u64, [u64; 4])>);

impl Memo {
    /// The bits remembered under `key`.
    pub(crate) fn get(&self, key: u64) -> Option<[u64; 4]> {
        let &(remembered, bits) = self.0.get()?;
        (remembered == key).then_some(bits)
    }

    /// Remembers `bits` under `key`, unless something is remembered already (the first
    /// engine to map a caller keeps the slot).
    pub(crate) fn remember(&self, key: u64, bits: [u64; 4]) {
        let _ = self.0.set((key, bits));
    }
}

impl PartialEq for Memo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for Memo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Memo")
    }
}

/// Typed application state shared with every handler (a database pool, an HTTP client, the
/// server's own backend credentials). Looked up by type with [`ToolContext::state`].
#[derive(Clone, Default)]
pub struct Extensions {
    map: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl Extensions {
    /// Inserts a value, replacing any previous value of the same type.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.map.insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// Looks a value up by type.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.map
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &self.map.len())
            .finish()
    }
}

/// RFC 5424 log levels, as MCP uses them (ordered from least to most severe).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum LogLevel {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

impl LogLevel {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Notice => "notice",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
            Self::Alert => "alert",
            Self::Emergency => "emergency",
        }
    }
}

impl FromStr for LogLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(Value::String(s.to_owned())).map_err(|_| {
            format!("invalid log level `{s}`; expected one of debug, info, notice, warning, error, critical, alert, emergency")
        })
    }
}

/// Where a request's notifications (progress, log messages) go: the stdio writer, or the
/// request's own SSE stream on HTTP. Messages are complete JSON-RPC notifications.
pub type Outbound = mpsc::UnboundedSender<Value>;

/// Everything a tool handler receives besides its arguments.
#[derive(Clone)]
pub struct ToolContext {
    inner: Arc<ContextInner>,
}

struct ContextInner {
    caller: Arc<Caller>,
    request_id: RequestId,
    tool: String,
    progress_token: Option<Value>,
    log_level: Option<LogLevel>,
    outbound: Option<Outbound>,
    extensions: Arc<Extensions>,
    asker: Option<Asker>,
    notifier: Notifier,
    approved: bool,
    last_progress: Mutex<Option<f64>>,
}

impl fmt::Debug for ToolContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolContext")
            .field("caller", &self.inner.caller.subject())
            .field("request_id", &self.inner.request_id)
            .field("tool", &self.inner.tool)
            .finish_non_exhaustive()
    }
}

/// Builds a [`ToolContext`]; used by the dispatcher and by tests that call handlers directly.
#[derive(Debug)]
pub struct ToolContextBuilder {
    caller: Arc<Caller>,
    request_id: RequestId,
    tool: String,
    progress_token: Option<Value>,
    log_level: Option<LogLevel>,
    outbound: Option<Outbound>,
    /// `None` until set: the defaults are built only for a context that never gets one.
    extensions: Option<Arc<Extensions>>,
    asker: Option<Asker>,
    notifier: Option<Notifier>,
    approved: bool,
}

impl ToolContextBuilder {
    /// Sets the progress token the client sent in `_meta.progressToken`.
    #[must_use]
    #[inline]
    pub fn progress_token(mut self, token: Option<Value>) -> Self {
        self.progress_token = token;
        self
    }

    /// Sets the minimum level of log messages forwarded to the client (`None`: none).
    #[must_use]
    #[inline]
    pub fn log_level(mut self, level: Option<LogLevel>) -> Self {
        self.log_level = level;
        self
    }

    /// Sets where notifications go.
    #[must_use]
    #[inline]
    pub fn outbound(mut self, outbound: Option<Outbound>) -> Self {
        self.outbound = outbound;
        self
    }

    /// Sets the shared application state.
    #[must_use]
    #[inline]
    pub fn extensions(mut self, extensions: Arc<Extensions>) -> Self {
        self.extensions = Some(extensions);
        self
    }

    /// Sets how the handler reaches the client when it asks for input.
    #[must_use]
    #[inline]
    pub(crate) fn asker(mut self, asker: Option<Asker>) -> Self {
        self.asker = asker;
        self
    }

    /// Sets where [`ToolContext::notifier`] publishes (by default, nowhere).
    #[must_use]
    #[inline]
    pub fn notifier(mut self, notifier: Notifier) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// Marks the call as approved by the user before the handler runs (the policy's
    /// `approval = "required"`; see [`ToolContext::approved`]).
    #[must_use]
    #[inline]
    pub fn approved(mut self, approved: bool) -> Self {
        self.approved = approved;
        self
    }

    /// Finishes the context.
    #[inline]
    pub fn build(self) -> ToolContext {
        ToolContext {
            inner: Arc::new(ContextInner {
                caller: self.caller,
                request_id: self.request_id,
                tool: self.tool,
                progress_token: self.progress_token,
                log_level: self.log_level,
                outbound: self.outbound,
                extensions: self.extensions.unwrap_or_default(),
                asker: self.asker,
                notifier: self.notifier.unwrap_or_else(|| Notifier::new(1)),
                approved: self.approved,
                last_progress: Mutex::new(None),
            }),
        }
    }
}

impl ToolContext {
    /// Starts a context for `tool` called by `caller` in request `request_id`.
    #[inline]
    pub fn builder(
        caller: Arc<Caller>,
        request_id: RequestId,
        tool: impl Into<String>,
    ) -> ToolContextBuilder {
        ToolContextBuilder {
            caller,
            request_id,
            tool: tool.into(),
            progress_token: None,
            log_level: None,
            outbound: None,
            extensions: None,
            asker: None,
            notifier: None,
            approved: false,
        }
    }

    /// Publishes changes (an updated resource, a changed list) to the clients that follow
    /// them; see [`crate::changes`].
    ///
    /// ```no_run
    /// use mcp_runtime::prelude::*;
    ///
    /// /// Appends a line to the shared notes.
    /// #[tool(scopes = ["notes:write"])]
    /// async fn append(ctx: &ToolContext, line: String) -> Result<String, ToolError> {
    ///     // … write `line` …
    ///     ctx.notifier().resource_updated("notes://today");
    ///     Ok("appended".to_owned())
    /// }
    /// ```
    pub fn notifier(&self) -> &Notifier {
        &self.inner.notifier
    }

    /// The validated caller.
    pub fn caller(&self) -> &Caller {
        &self.inner.caller
    }

    /// The JSON-RPC id of this call.
    pub fn request_id(&self) -> &RequestId {
        &self.inner.request_id
    }

    /// The name of the tool being called.
    pub fn tool_name(&self) -> &str {
        &self.inner.tool
    }

    /// Shared application state of type `T`, if the server was built with it.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner.extensions.get::<T>()
    }

    /// Whether the client asked for progress notifications.
    pub fn wants_progress(&self) -> bool {
        self.inner.progress_token.is_some()
    }

    /// Reports progress, if the client asked for it (`_meta.progressToken`).
    ///
    /// `progress` must increase with each call; a value that does not is dropped (the
    /// specification requires strictly increasing progress).
    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let (Some(token), Some(out)) = (&self.inner.progress_token, &self.inner.outbound) else {
            return;
        };
        {
            let mut last = self
                .inner
                .last_progress
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|l| progress <= l) {
                tracing::debug!(progress, "dropping non-increasing progress notification");
                return;
            }
            *last = Some(progress);
        }
        let mut params = json!({ "progressToken": token, "progress": progress });
        if let Some(total) = total {
            params["total"] = json!(total);
        }
        if let Some(message) = message {
            params["message"] = json!(message);
        }
        let _ = out.send(notification("notifications/progress", params));
    }

    /// Sends a log message to the client if its level is at or above what the client asked
    /// for (legacy `logging/setLevel`, or the modern per-request `logLevel`).
    ///
    /// Never put credentials, secrets or personal data in `data`.
    pub fn log(&self, level: LogLevel, data: impl Into<Value>) {
        let (Some(min), Some(out)) = (self.inner.log_level, &self.inner.outbound) else {
            return;
        };
        if level < min {
            return;
        }
        let _ = out.send(notification(
            "notifications/message",
            json!({ "level": level.as_str(), "logger": self.inner.tool, "data": data.into() }),
        ));
    }
}
