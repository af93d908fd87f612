use super::{
    Connection, Era, LATEST_LEGACY_VERSION, LEGACY_VERSIONS, MODERN_VERSION, MODERN_VERSIONS,
    detect_era, meta,
};
use crate::authz::{Authorizer, CacheScope, Catalog, CatalogEntry, DeclaredScopes, Target};
use crate::content::Arguments;
use crate::context::{Caller, Extensions, LogLevel, Outbound, ToolContext};
use crate::error::McpError;
use crate::jsonrpc::{
    ErrorObject, Incoming, Notification, Request, RequestId, codes, error_response,
    success_response,
};
use crate::registry::{
    Access, Prompt, PromptArguments, PromptRegistry, RegistryError, Resource, ResourceError,
    ResourceRegistry, ResourceTemplate, Tool, ToolRegistry,
};
use futures::FutureExt;
use futures::future::{Abortable, BoxFuture};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// A server's name and version (`serverInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Implementation {
    /// Machine name.
    pub name: String,
    /// Version string.
    pub version: String,
    /// Display title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// An MCP server: its tools, its authorizer and its shared state. Cheap to clone.
///
/// Transports feed it messages with [`Server::dispatch`] (byte streams and legacy HTTP
/// sessions) or [`Server::handle_request`] (one request whose era the transport decided).
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

struct Inner {
    info: Implementation,
    instructions: Option<String>,
    tools: ToolRegistry,
    resources: ResourceRegistry,
    prompts: PromptRegistry,
    authorizer: Arc<dyn Authorizer>,
    extensions: Arc<Extensions>,
    page_size: usize,
    list_ttl_ms: u64,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("info", &self.inner.info)
            .field("tools", &self.inner.tools.len())
            .finish_non_exhaustive()
    }
}

/// Builds a [`Server`]; see [`Server::builder`].
#[must_use = "call .build() to finish the server"]
pub struct ServerBuilder {
    info: Implementation,
    instructions: Option<String>,
    tools: ToolRegistry,
    resources: ResourceRegistry,
    prompts: PromptRegistry,
    errors: Vec<RegistryError>,
    authorizer: Arc<dyn Authorizer>,
    extensions: Extensions,
    page_size: usize,
    list_ttl_ms: u64,
}

impl fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl ServerBuilder {
    /// A display title for `serverInfo`.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.info.title = Some(title.into());
        self
    }

    /// Instructions for the client's model.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Adds a tool. Definition errors are reported by [`ServerBuilder::build`].
    pub fn tool(mut self, tool: Result<Tool, RegistryError>) -> Self {
        match tool.and_then(|t| self.tools.register(t)) {
            Ok(()) => {}
            Err(e) => self.errors.push(e),
        }
        self
    }

    /// Adds several tools.
    pub fn tools(mut self, tools: impl IntoIterator<Item = Result<Tool, RegistryError>>) -> Self {
        for t in tools {
            self = self.tool(t);
        }
        self
    }

    /// Adds a resource at a fixed URI. Definition errors are reported by
    /// [`ServerBuilder::build`].
    pub fn resource(mut self, resource: Result<Resource, RegistryError>) -> Self {
        if let Err(e) = resource.and_then(|r| self.resources.register(r)) {
            self.errors.push(e);
        }
        self
    }

    /// Adds a resource template. Definition errors are reported by [`ServerBuilder::build`].
    pub fn resource_template(mut self, template: Result<ResourceTemplate, RegistryError>) -> Self {
        if let Err(e) = template.and_then(|t| self.resources.register_template(t)) {
            self.errors.push(e);
        }
        self
    }

    /// Adds a prompt. Definition errors are reported by [`ServerBuilder::build`].
    pub fn prompt(mut self, prompt: Result<Prompt, RegistryError>) -> Self {
        if let Err(e) = prompt.and_then(|p| self.prompts.register(p)) {
            self.errors.push(e);
        }
        self
    }

    /// Shares `value` with every handler ([`ToolContext::state`]).
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }

    /// Replaces the default [`DeclaredScopes`] authorizer (e.g. with a deployment policy).
    pub fn authorizer(mut self, authorizer: Arc<dyn Authorizer>) -> Self {
        self.authorizer = authorizer;
        self
    }

    /// Items per page of `tools/list`, `resources/list`, `resources/templates/list` and
    /// `prompts/list` (default 100).
    pub fn page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// `ttlMs` of modern list and `resources/read` results (default 60 000).
    pub fn list_ttl_ms(mut self, ttl: u64) -> Self {
        self.list_ttl_ms = ttl;
        self
    }

    /// The tools registered so far (for checks before building).
    pub fn registry(&self) -> &ToolRegistry {
        &self.tools
    }

    /// Finishes the server.
    ///
    /// # Errors
    /// Every tool definition or registration error, in order.
    pub fn build(self) -> Result<Server, Vec<RegistryError>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        Ok(Server {
            inner: Arc::new(Inner {
                info: self.info,
                instructions: self.instructions,
                tools: self.tools,
                resources: self.resources,
                prompts: self.prompts,
                authorizer: self.authorizer,
                extensions: Arc::new(self.extensions),
                page_size: self.page_size,
                list_ttl_ms: self.list_ttl_ms,
            }),
        })
    }
}

/// Where a request came from: its connection (legacy session or stdio process, if any),
/// the validated caller, and where its notifications go.
#[derive(Clone, Debug)]
pub struct RequestScope {
    /// The connection; `None` for stateless modern HTTP requests.
    pub connection: Option<Arc<Connection>>,
    /// The validated caller.
    pub caller: Arc<Caller>,
    /// Where notifications for this request go; `None` drops them.
    pub outbound: Option<Outbound>,
}

impl Server {
    /// Starts a server called `name` at `version`.
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> ServerBuilder {
        ServerBuilder {
            info: Implementation {
                name: name.into(),
                version: version.into(),
                title: None,
            },
            instructions: None,
            tools: ToolRegistry::new(),
            resources: ResourceRegistry::new(),
            prompts: PromptRegistry::new(),
            errors: Vec::new(),
            authorizer: Arc::new(DeclaredScopes),
            extensions: Extensions::default(),
            page_size: 100,
            list_ttl_ms: 60_000,
        }
    }

    /// `serverInfo`.
    pub fn info(&self) -> &Implementation {
        &self.inner.info
    }

    /// The registered tools.
    pub fn tools(&self) -> &ToolRegistry {
        &self.inner.tools
    }

    /// The registered resources and resource templates.
    pub fn resources(&self) -> &ResourceRegistry {
        &self.inner.resources
    }

    /// The registered prompts.
    pub fn prompts(&self) -> &PromptRegistry {
        &self.inner.prompts
    }

    /// Everything this server can authorize (tools, prompts, resources, resource templates)
    /// with its declared access: what a deployment policy is checked against.
    pub fn catalog(&self) -> Catalog {
        let inner = &self.inner;
        let tools = inner.tools.iter().map(|t| Target::tool(t));
        let prompts = inner.prompts.iter().map(|p| Target::prompt(p));
        let resources = inner.resources.iter().map(|r| Target::resource(r));
        let templates = inner.resources.templates().map(|t| Target::template(t));
        Catalog {
            server_name: inner.info.name.clone(),
            entries: tools
                .chain(prompts)
                .chain(resources)
                .chain(templates)
                .map(|t| CatalogEntry {
                    kind: t.kind,
                    name: t.name.to_owned(),
                    access: t.access.clone(),
                })
                .collect(),
        }
    }

    /// Every scope any tool, resource, resource template or prompt declares, sorted and
    /// deduplicated (what the HTTP transport advertises as `scopes_supported`).
    pub fn declared_scopes(&self) -> Vec<String> {
        let inner = &self.inner;
        let mut all = inner.tools.declared_scopes();
        let resources = inner.resources.iter().map(|r| r.access());
        let templates = inner.resources.templates().map(|t| t.access());
        let prompts = inner.prompts.iter().map(|p| p.access());
        for access in resources.chain(templates).chain(prompts) {
            all.extend(access.scopes().iter().cloned());
        }
        all.sort();
        all.dedup();
        all
    }

    /// The scopes a `401` challenge asks for when the request names no tool, prompt or
    /// resource: the read-only tools' scopes (see `ToolRegistry::baseline_scopes`) plus those
    /// of resources and prompts, which only read. Clients get read access first and step up
    /// through `403 insufficient_scope` when a write needs more.
    pub fn baseline_scopes(&self) -> Vec<String> {
        let inner = &self.inner;
        let mut all = inner.tools.baseline_scopes();
        let resources = inner.resources.iter().map(|r| r.access());
        let templates = inner.resources.templates().map(|t| t.access());
        let prompts = inner.prompts.iter().map(|p| p.access());
        for access in resources.chain(templates).chain(prompts) {
            all.extend(access.scopes().iter().cloned());
        }
        all.sort();
        all.dedup();
        all
    }

    /// The scopes a `tools/call`, `prompts/get` or `resources/read` of `name` (a tool or
    /// prompt name, or a resource URI) needs as declared in code; `None` for anything else,
    /// or a name that is not registered.
    pub fn scopes_for(&self, method: &str, name: &str) -> Option<Vec<String>> {
        let inner = &self.inner;
        let access = match method {
            "tools/call" => inner.tools.get(name).map(|t| t.access()),
            "prompts/get" => inner.prompts.get(name).map(|p| p.access()),
            "resources/read" => inner
                .resources
                .get(name)
                .map(|r| r.access())
                .or_else(|| inner.resources.find_template(name).map(|(t, _)| t.access())),
            _ => None,
        }?;
        match access {
            Access::Public => None,
            Access::Scopes(s) => Some(s.clone()),
        }
    }

    /// The same server (tools, state, settings) with another authorizer, e.g. a deployment
    /// policy chosen at start-up.
    #[must_use]
    pub fn with_authorizer(&self, authorizer: Arc<dyn Authorizer>) -> Server {
        let inner = &self.inner;
        Server {
            inner: Arc::new(Inner {
                info: inner.info.clone(),
                instructions: inner.instructions.clone(),
                tools: inner.tools.clone(),
                resources: inner.resources.clone(),
                prompts: inner.prompts.clone(),
                authorizer,
                extensions: inner.extensions.clone(),
                page_size: inner.page_size,
                list_ttl_ms: inner.list_ttl_ms,
            }),
        }
    }

    /// The authorizer in force.
    pub fn authorizer(&self) -> &Arc<dyn Authorizer> {
        &self.inner.authorizer
    }

    /// Dispatches one decoded JSON value (a message or, in a 2025-03-26 session, a batch)
    /// arriving on `connection`. Returns the response to send, if any.
    ///
    /// Work that must happen in arrival order (handling notifications such as
    /// `notifications/cancelled`, registering requests as in flight) is done before this
    /// function returns; the returned future does the rest and can run concurrently with
    /// later messages.
    pub fn dispatch(
        &self,
        connection: &Arc<Connection>,
        message: Value,
        caller: &Arc<Caller>,
        outbound: &Outbound,
    ) -> BoxFuture<'static, Option<Value>> {
        let scope = RequestScope {
            connection: Some(connection.clone()),
            caller: caller.clone(),
            outbound: Some(outbound.clone()),
        };
        match message {
            Value::Array(items) => {
                if !connection.accepts_batches() {
                    let error = ErrorObject::new(
                        codes::INVALID_REQUEST,
                        "Invalid Request: JSON-RPC batches are accepted only in a 2025-03-26 session",
                    );
                    return futures::future::ready(Some(error_response(None, &error))).boxed();
                }
                if items.is_empty() {
                    let error =
                        ErrorObject::new(codes::INVALID_REQUEST, "Invalid Request: empty batch");
                    return futures::future::ready(Some(error_response(None, &error))).boxed();
                }
                let futures: Vec<_> = items
                    .into_iter()
                    .map(|item| self.dispatch_one(item, &scope, true))
                    .collect();
                async move {
                    let responses: Vec<Value> = futures::future::join_all(futures)
                        .await
                        .into_iter()
                        .flatten()
                        .collect();
                    (!responses.is_empty()).then_some(Value::Array(responses))
                }
                .boxed()
            }
            single => self.dispatch_one(single, &scope, false),
        }
    }

    fn dispatch_one(
        &self,
        message: Value,
        scope: &RequestScope,
        in_batch: bool,
    ) -> BoxFuture<'static, Option<Value>> {
        let incoming = match Incoming::classify(message) {
            Ok(m) => m,
            Err(rejected) => return futures::future::ready(Some(rejected.to_response())).boxed(),
        };
        match incoming {
            Incoming::Notification(n) => {
                self.handle_notification(scope.connection.as_deref(), &n);
                futures::future::ready(None).boxed()
            }
            Incoming::Response(r) => {
                tracing::debug!(id = %r.id, "ignoring a response to an unknown server request");
                futures::future::ready(None).boxed()
            }
            Incoming::Request(request) => {
                if in_batch && request.method == "initialize" {
                    let e = McpError::InvalidRequest(
                        "`initialize` must not be part of a batch".to_owned(),
                    );
                    return futures::future::ready(Some(error_response(
                        Some(&request.id),
                        &e.to_error_object(),
                    )))
                    .boxed();
                }
                let id = request.id.clone();
                let outcome = self.dispatch_request(request, scope);
                async move {
                    outcome.await.map(|outcome| match outcome {
                        Ok(result) => success_response(&id, result),
                        Err(error) => error_response(Some(&id), &error.to_error_object()),
                    })
                }
                .boxed()
            }
        }
    }

    /// Dispatches one request arriving on `scope.connection` (or statelessly when it is
    /// `None`), keeping the typed error so a transport can choose a status code for it.
    ///
    /// As with [`Server::dispatch`], order-sensitive work (`initialize`, `logging/setLevel`,
    /// registering the request as in flight) happens before this function returns. The future
    /// yields `None` when the request was cancelled (`notifications/cancelled`): no response is
    /// sent for it.
    pub fn dispatch_request(
        &self,
        request: Request,
        scope: &RequestScope,
    ) -> BoxFuture<'static, Option<Result<Value, McpError>>> {
        // The handshake and the session's log level change how later messages are handled, so
        // they take effect in arrival order, before the next message is read.
        if matches!(request.method.as_str(), "initialize" | "logging/setLevel")
            && detect_era(&request.method, &request.params) == Era::Legacy
        {
            let outcome = self.respond_now(&request, scope);
            return futures::future::ready(Some(outcome)).boxed();
        }
        let Some(connection) = scope.connection.clone() else {
            let server = self.clone();
            let scope = scope.clone();
            return async move { Some(server.respond(request, &scope).await) }.boxed();
        };
        let Some(registration) = connection.begin(&request.id) else {
            let e =
                McpError::InvalidRequest(format!("request id {} is already in use", request.id));
            return futures::future::ready(Some(Err(e))).boxed();
        };
        let server = self.clone();
        let scope = scope.clone();
        async move {
            let id = request.id.clone();
            let outcome = Abortable::new(server.respond(request, &scope), registration).await;
            connection.finish(&id);
            match outcome {
                Ok(outcome) => Some(outcome),
                Err(_aborted) => {
                    tracing::debug!(%id, "request cancelled; no response is sent");
                    None
                }
            }
        }
        .boxed()
    }

    fn respond_now(&self, request: &Request, scope: &RequestScope) -> Result<Value, McpError> {
        match request.method.as_str() {
            "initialize" => self.initialize(&request.params, scope.connection.as_deref()),
            _ => self.set_log_level(&request.params, scope.connection.as_deref()),
        }
    }

    fn set_log_level(
        &self,
        params: &Map<String, Value>,
        connection: Option<&Connection>,
    ) -> Result<Value, McpError> {
        let connection = connection
            .filter(|c| c.protocol_version().is_some())
            .ok_or_else(not_initialized)?;
        let level = params
            .get("level")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let level: LogLevel = level.parse().map_err(McpError::invalid_params)?;
        connection.set_log_level(level);
        Ok(json!({}))
    }

    async fn respond(&self, request: Request, scope: &RequestScope) -> Result<Value, McpError> {
        let era = detect_era(&request.method, &request.params);
        self.handle_request(request, era, scope).await
    }

    /// Handles a notification from the client.
    pub fn handle_notification(
        &self,
        connection: Option<&Connection>,
        notification: &Notification,
    ) {
        match notification.method.as_str() {
            "notifications/initialized" => {
                if let Some(c) = connection {
                    c.mark_initialized();
                }
            }
            "notifications/cancelled" => {
                let id = notification
                    .params
                    .get("requestId")
                    .and_then(RequestId::from_value);
                match (id, connection) {
                    (Some(id), Some(c)) => {
                        let found = c.cancel(&id);
                        tracing::debug!(%id, found, "cancellation requested");
                    }
                    _ => tracing::debug!("ignoring an invalid or unroutable cancellation"),
                }
            }
            other => tracing::debug!(method = other, "ignoring notification"),
        }
    }

    /// Handles one request under `era`, returning the `result` object or a typed error.
    ///
    /// Modern requests are validated (`_meta` fields, version) and their results carry
    /// `resultType` and `serverInfo`.
    ///
    /// # Errors
    /// The [`McpError`] the transport renders.
    pub async fn handle_request(
        &self,
        request: Request,
        era: Era,
        scope: &RequestScope,
    ) -> Result<Value, McpError> {
        match era {
            Era::Modern => self.handle_modern(request, scope).await,
            Era::Legacy => self.handle_legacy(request, scope).await,
        }
    }

    async fn handle_modern(
        &self,
        request: Request,
        scope: &RequestScope,
    ) -> Result<Value, McpError> {
        let meta = validate_modern_meta(&request.params)?;
        let mut result = match request.method.as_str() {
            "server/discover" => self.discover(),
            "tools/list" => self.list_tools(&request.params, scope, Era::Modern)?,
            "tools/call" => {
                self.call_tool(&request, scope, meta.log_level, meta.capabilities.as_ref())
                    .await?
            }
            method => {
                self.handle_primitive(&request, method, scope, meta.log_level, Era::Modern)
                    .await?
            }
        };
        let obj = result.as_object_mut().expect("results are objects");
        obj.insert("resultType".into(), json!("complete"));
        let meta_obj = obj.entry("_meta").or_insert_with(|| json!({}));
        if let Some(m) = meta_obj.as_object_mut() {
            m.insert(meta::SERVER_INFO.into(), json!(self.inner.info));
        }
        Ok(result)
    }

    async fn handle_legacy(
        &self,
        request: Request,
        scope: &RequestScope,
    ) -> Result<Value, McpError> {
        let connection = scope.connection.as_deref();
        match request.method.as_str() {
            "initialize" => return self.initialize(&request.params, connection),
            "ping" => return Ok(json!({})),
            _ => {}
        }
        let Some(connection) = connection.filter(|c| c.protocol_version().is_some()) else {
            return Err(not_initialized());
        };
        match request.method.as_str() {
            "logging/setLevel" => self.set_log_level(&request.params, Some(connection)),
            "tools/list" => self.list_tools(&request.params, scope, Era::Legacy),
            "tools/call" => {
                let capabilities = connection.client_capabilities();
                self.call_tool(
                    &request,
                    scope,
                    connection.log_level(),
                    capabilities.as_ref(),
                )
                .await
            }
            "resources/subscribe" | "resources/unsubscribe" if !self.inner.resources.is_empty() => {
                self.subscribe(&request, scope)
            }
            method => {
                self.handle_primitive(&request, method, scope, connection.log_level(), Era::Legacy)
                    .await
            }
        }
    }

    /// Resources, prompts and completion: the same in both eras except for caching hints
    /// and the error for an unknown resource. A method whose capability is not declared
    /// (nothing registered) is unknown.
    async fn handle_primitive(
        &self,
        request: &Request,
        method: &str,
        scope: &RequestScope,
        log_level: Option<LogLevel>,
        era: Era,
    ) -> Result<Value, McpError> {
        let inner = &self.inner;
        let params = &request.params;
        let has_resources = !inner.resources.is_empty();
        let has_prompts = !inner.prompts.is_empty();
        match method {
            "resources/list" if has_resources => self.list_page(
                params,
                scope,
                "resources",
                inner
                    .resources
                    .iter()
                    .map(|r| (Target::resource(r), r.to_json())),
                era,
            ),
            "resources/templates/list" if has_resources => self.list_page(
                params,
                scope,
                "resourceTemplates",
                inner
                    .resources
                    .templates()
                    .map(|t| (Target::template(t), t.to_json())),
                era,
            ),
            "resources/read" if has_resources => {
                self.read_resource(request, scope, log_level, era).await
            }
            "prompts/list" if has_prompts => self.list_page(
                params,
                scope,
                "prompts",
                inner
                    .prompts
                    .iter()
                    .map(|p| (Target::prompt(p), p.to_json())),
                era,
            ),
            "prompts/get" if has_prompts => self.get_prompt(request, scope, log_level).await,
            "completion/complete" if self.has_completions() => self.complete(params, scope),
            other => Err(McpError::MethodNotFound(other.to_owned())),
        }
    }

    fn has_completions(&self) -> bool {
        self.inner.prompts.has_completions() || self.inner.resources.has_completions()
    }

    fn capabilities(&self, era: Era) -> Value {
        let mut caps = json!({ "tools": { "listChanged": false }, "logging": {} });
        if !self.inner.resources.is_empty() {
            // Legacy sessions may subscribe (the answer is `{}`); protocol 2026-07-28 moved
            // subscriptions to `subscriptions/listen`, which this server does not offer.
            caps["resources"] = json!({ "subscribe": era == Era::Legacy, "listChanged": false });
        }
        if !self.inner.prompts.is_empty() {
            caps["prompts"] = json!({ "listChanged": false });
        }
        if self.has_completions() {
            caps["completions"] = json!({});
        }
        caps
    }

    fn initialize(
        &self,
        params: &Map<String, Value>,
        connection: Option<&Connection>,
    ) -> Result<Value, McpError> {
        let requested = params
            .get("protocolVersion")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                McpError::invalid_params("`initialize` needs `protocolVersion` (a string)")
            })?;
        let version = if LEGACY_VERSIONS.contains(&requested) {
            requested
        } else {
            LATEST_LEGACY_VERSION
        };
        if let Some(c) = connection {
            if c.protocol_version().is_some() {
                return Err(McpError::InvalidRequest(
                    "the session is already initialized".to_owned(),
                ));
            }
            c.set_handshake(
                version,
                params.get("clientInfo").cloned(),
                params.get("capabilities").cloned(),
            );
        }
        tracing::info!(
            requested,
            negotiated = version,
            "legacy session initialized"
        );
        let mut result = json!({
            "protocolVersion": version,
            "capabilities": self.capabilities(Era::Legacy),
            "serverInfo": self.inner.info,
        });
        if let Some(i) = &self.inner.instructions {
            result["instructions"] = json!(i);
        }
        Ok(result)
    }

    fn discover(&self) -> Value {
        let mut result = json!({
            "supportedVersions": MODERN_VERSIONS,
            "capabilities": self.capabilities(Era::Modern),
            "ttlMs": self.inner.list_ttl_ms,
            "cacheScope": "public",
        });
        if let Some(i) = &self.inner.instructions {
            result["instructions"] = json!(i);
        }
        result
    }

    fn list_tools(
        &self,
        params: &Map<String, Value>,
        scope: &RequestScope,
        era: Era,
    ) -> Result<Value, McpError> {
        let tools = self.inner.tools.iter();
        let items = tools.map(|t| (Target::tool(t), t.to_json()));
        self.list_page(params, scope, "tools", items, era)
    }

    fn authorize(&self, scope: &RequestScope, target: &Target<'_>) -> Result<(), McpError> {
        Ok(self.inner.authorizer.authorize(&scope.caller, target)?)
    }

    /// One page of a `tools/list`, `resources/list`, `resources/templates/list` or
    /// `prompts/list` result: the items the authorizer shows this caller, paginated with
    /// opaque cursors.
    fn list_page<'t>(
        &self,
        params: &Map<String, Value>,
        scope: &RequestScope,
        key: &str,
        items: impl Iterator<Item = (Target<'t>, Value)>,
        era: Era,
    ) -> Result<Value, McpError> {
        let offset = parse_cursor(params)?;
        let (targets, mut items): (Vec<Target<'t>>, Vec<Value>) = items.unzip();
        let (visible, cache_scope) = self.inner.authorizer.visible_among(&scope.caller, &targets);
        if offset > visible.len() {
            return Err(McpError::invalid_params(
                "Invalid cursor: past the end of the list",
            ));
        }
        let end = (offset + self.inner.page_size).min(visible.len());
        let page: Vec<Value> = visible[offset..end]
            .iter()
            .map(|&i| std::mem::take(&mut items[i]))
            .collect();
        let mut result = json!({ key: page });
        if end < visible.len() {
            result["nextCursor"] = json!(encode_cursor(end));
        }
        if era == Era::Modern {
            result["ttlMs"] = json!(self.inner.list_ttl_ms);
            result["cacheScope"] = json!(cache_scope.as_str());
        }
        Ok(result)
    }

    fn context(
        &self,
        request: &Request,
        scope: &RequestScope,
        name: &str,
        log_level: Option<LogLevel>,
    ) -> ToolContext {
        ToolContext::builder(scope.caller.clone(), request.id.clone(), name)
            .log_level(log_level)
            .outbound(scope.outbound.clone())
            .extensions(self.inner.extensions.clone())
            .build()
    }

    async fn read_resource(
        &self,
        request: &Request,
        scope: &RequestScope,
        log_level: Option<LogLevel>,
        era: Era,
    ) -> Result<Value, McpError> {
        let uri = request
            .params
            .get("uri")
            .and_then(Value::as_str)
            .ok_or_else(|| McpError::invalid_params("`resources/read` needs `uri` (a string)"))?;
        let not_found = || match era {
            Era::Modern => McpError::InvalidParams {
                message: format!("Resource not found: {uri}"),
                data: Some(json!({ "uri": uri })),
            },
            Era::Legacy => McpError::ResourceNotFound {
                uri: uri.to_owned(),
            },
        };
        let resources = &self.inner.resources;
        let read = if let Some(resource) = resources.get(uri) {
            self.authorize(scope, &Target::resource(resource))?;
            let ctx = self.context(request, scope, resource.name(), log_level);
            resource.read(ctx)
        } else if let Some((template, vars)) = resources.find_template(uri) {
            self.authorize(scope, &Target::template(template))?;
            let ctx = self.context(request, scope, template.name(), log_level);
            template.read(ctx, uri.to_owned(), vars)
        } else {
            return Err(not_found());
        };
        let contents = match AssertUnwindSafe(read).catch_unwind().await {
            Ok(Ok(contents)) => contents,
            Ok(Err(ResourceError::NotFound)) => return Err(not_found()),
            Ok(Err(ResourceError::Failed(why))) => {
                return Err(McpError::Internal(format!("reading {uri} failed: {why}")));
            }
            Err(_panic) => {
                tracing::error!(uri, "resource handler panicked");
                return Err(McpError::Internal(format!(
                    "reading {uri} failed unexpectedly"
                )));
            }
        };
        let mut result = json!({ "contents": contents });
        if era == Era::Modern {
            result["ttlMs"] = json!(self.inner.list_ttl_ms);
            // What a handler returns may depend on the caller: never shared between callers.
            result["cacheScope"] = json!(CacheScope::Private.as_str());
        }
        Ok(result)
    }

    async fn get_prompt(
        &self,
        request: &Request,
        scope: &RequestScope,
        log_level: Option<LogLevel>,
    ) -> Result<Value, McpError> {
        let params = &request.params;
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| McpError::invalid_params("`prompts/get` needs `name` (a string)"))?;
        let prompt = self
            .inner
            .prompts
            .get(name)
            .ok_or_else(|| McpError::InvalidParams {
                message: format!("Unknown prompt: {name}"),
                data: Some(json!({ "name": name })),
            })?
            .clone();
        self.authorize(scope, &Target::prompt(&prompt))?;
        let arguments: PromptArguments = match params.get("arguments") {
            None | Some(Value::Null) => PromptArguments::new(),
            Some(Value::Object(a)) => a
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(McpError::invalid_params(format!(
                        "Invalid arguments for prompt {name}: `{k}` must be a string"
                    ))),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(McpError::invalid_params("`arguments` must be an object")),
        };
        prompt
            .check_arguments(&arguments)
            .map_err(|why| McpError::InvalidParams {
                message: format!("Invalid arguments for prompt {name}: {why}"),
                data: Some(json!({ "prompt": name })),
            })?;
        let ctx = self.context(request, scope, name, log_level);
        match AssertUnwindSafe(prompt.get(ctx, arguments))
            .catch_unwind()
            .await
        {
            Ok(Ok(result)) => {
                serde_json::to_value(result).map_err(|e| McpError::Internal(e.to_string()))
            }
            Ok(Err(error)) if error.is_invalid_arguments() => Err(McpError::InvalidParams {
                message: format!("Invalid arguments for prompt {name}: {}", error.message()),
                data: Some(json!({ "prompt": name })),
            }),
            Ok(Err(error)) => Err(McpError::Internal(format!(
                "prompt {name} failed: {}",
                error.message()
            ))),
            Err(_panic) => {
                tracing::error!(prompt = name, "prompt handler panicked");
                Err(McpError::Internal(format!(
                    "prompt {name} failed unexpectedly"
                )))
            }
        }
    }

    /// `completion/complete`: suggestions for a prompt argument (`ref/prompt`) or a
    /// template variable (`ref/resource`), at most 100, from the registered completer.
    fn complete(
        &self,
        params: &Map<String, Value>,
        scope: &RequestScope,
    ) -> Result<Value, McpError> {
        const MAX_VALUES: usize = 100;
        let reference = params
            .get("ref")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                McpError::invalid_params("`completion/complete` needs `ref` (an object)")
            })?;
        let argument = params.get("argument").and_then(Value::as_object);
        let (Some(arg_name), Some(value)) = (
            argument.and_then(|a| a.get("name")).and_then(Value::as_str),
            argument
                .and_then(|a| a.get("value"))
                .and_then(Value::as_str),
        ) else {
            return Err(McpError::invalid_params(
                "`completion/complete` needs `argument` with `name` and `value` (strings)",
            ));
        };
        let values =
            match reference.get("type").and_then(Value::as_str) {
                Some("ref/prompt") => {
                    let name = reference
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let prompt =
                        self.inner
                            .prompts
                            .get(name)
                            .ok_or_else(|| McpError::InvalidParams {
                                message: format!("Unknown prompt: {name}"),
                                data: Some(json!({ "name": name })),
                            })?;
                    self.authorize(scope, &Target::prompt(prompt))?;
                    if !prompt.arguments().iter().any(|a| a.name == arg_name) {
                        return Err(McpError::invalid_params(format!(
                            "prompt {name} has no argument `{arg_name}`"
                        )));
                    }
                    prompt.complete(arg_name, value).unwrap_or_default()
                }
                Some("ref/resource") => {
                    let uri = reference
                        .get("uri")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let template = self.inner.resources.template(uri).ok_or_else(|| {
                        McpError::InvalidParams {
                            message: format!("Unknown resource template: {uri}"),
                            data: Some(json!({ "uri": uri })),
                        }
                    })?;
                    self.authorize(scope, &Target::template(template))?;
                    if !template.template().variables().any(|v| v == arg_name) {
                        return Err(McpError::invalid_params(format!(
                            "resource template {uri} has no variable `{arg_name}`"
                        )));
                    }
                    template.complete(arg_name, value).unwrap_or_default()
                }
                _ => {
                    return Err(McpError::invalid_params(
                        "`ref.type` must be `ref/prompt` or `ref/resource`",
                    ));
                }
            };
        let total = values.len();
        let values: Vec<String> = values.into_iter().take(MAX_VALUES).collect();
        Ok(json!({
            "completion": { "values": values, "total": total, "hasMore": total > MAX_VALUES }
        }))
    }

    /// Legacy `resources/subscribe` / `resources/unsubscribe`: acknowledged with `{}` for a
    /// resource the caller may read. (The registered resources do not announce changes, so
    /// no `notifications/resources/updated` follows.)
    fn subscribe(&self, request: &Request, scope: &RequestScope) -> Result<Value, McpError> {
        let uri = request
            .params
            .get("uri")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                McpError::invalid_params(format!("`{}` needs `uri` (a string)", request.method))
            })?;
        let resources = &self.inner.resources;
        if let Some(resource) = resources.get(uri) {
            self.authorize(scope, &Target::resource(resource))?;
        } else if let Some((template, _)) = resources.find_template(uri) {
            self.authorize(scope, &Target::template(template))?;
        } else {
            return Err(McpError::ResourceNotFound {
                uri: uri.to_owned(),
            });
        }
        Ok(json!({}))
    }

    async fn call_tool(
        &self,
        request: &Request,
        scope: &RequestScope,
        log_level: Option<LogLevel>,
        client_capabilities: Option<&Value>,
    ) -> Result<Value, McpError> {
        let params = &request.params;
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| McpError::invalid_params("`tools/call` needs `name` (a string)"))?;
        let tool = self
            .inner
            .tools
            .get(name)
            .ok_or_else(|| McpError::InvalidParams {
                message: format!("Unknown tool: {name}"),
                data: Some(json!({ "name": name })),
            })?
            .clone();
        self.inner
            .authorizer
            .authorize(&scope.caller, &Target::tool(&tool))?;
        let missing: Map<String, Value> = tool
            .required_client_capabilities()
            .iter()
            .filter(|c| {
                client_capabilities
                    .and_then(|caps| caps.get(c.as_str()))
                    .is_none()
            })
            .map(|c| (c.clone(), json!({})))
            .collect();
        if !missing.is_empty() {
            return Err(McpError::MissingClientCapability {
                required: Value::Object(missing),
            });
        }
        let arguments: Arguments = match params.get("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(a)) => a.clone(),
            Some(_) => return Err(McpError::invalid_params("`arguments` must be an object")),
        };
        let args_value = Value::Object(arguments);
        if let Err(why) = tool.validate_arguments(&args_value) {
            return Err(McpError::InvalidParams {
                message: format!("Invalid arguments for tool {name}: {why}"),
                data: Some(json!({ "tool": name })),
            });
        }
        let Value::Object(arguments) = args_value else {
            unreachable!("checked above")
        };
        let progress_token = params
            .get("_meta")
            .and_then(|m| m.get("progressToken"))
            .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
            .cloned();
        let ctx = ToolContext::builder(scope.caller.clone(), request.id.clone(), name)
            .progress_token(progress_token)
            .log_level(log_level)
            .outbound(scope.outbound.clone())
            .extensions(self.inner.extensions.clone())
            .build();
        let outcome = AssertUnwindSafe(tool.call(ctx, arguments))
            .catch_unwind()
            .await;
        match outcome {
            Ok(Ok(result)) => {
                Ok(serde_json::to_value(result).map_err(|e| McpError::Internal(e.to_string()))?)
            }
            Ok(Err(error)) if error.is_invalid_arguments() => Err(McpError::InvalidParams {
                message: format!("Invalid arguments for tool {name}: {}", error.message()),
                data: Some(json!({ "tool": name })),
            }),
            Ok(Err(error)) => Ok(
                json!({ "content": [{ "type": "text", "text": error.message() }], "isError": true }),
            ),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(tool = name, panic = %what, "tool handler panicked");
                Ok(json!({
                    "content": [{ "type": "text", "text": format!("The tool `{name}` failed unexpectedly (internal error).") }],
                    "isError": true
                }))
            }
        }
    }
}

fn not_initialized() -> McpError {
    McpError::InvalidRequest(
        "the session is not initialized: send `initialize` first (or per-request `_meta` for protocol 2026-07-28)"
            .to_owned(),
    )
}

/// The validated modern `_meta` of one request.
#[derive(Debug)]
struct ModernMeta {
    log_level: Option<LogLevel>,
    capabilities: Option<Value>,
}

fn validate_modern_meta(params: &Map<String, Value>) -> Result<ModernMeta, McpError> {
    let version = super::modern_meta_version(params)?;
    if version != MODERN_VERSION {
        return Err(McpError::UnsupportedProtocolVersion {
            supported: MODERN_VERSIONS.iter().map(|v| (*v).to_owned()).collect(),
            requested: version.to_owned(),
        });
    }
    let meta = params
        .get("_meta")
        .and_then(Value::as_object)
        .ok_or_else(|| McpError::Internal("`_meta` checked above".to_owned()))?;
    let log_level = match meta.get(meta::LOG_LEVEL) {
        None | Some(Value::Null) => None,
        Some(Value::String(l)) => Some(l.parse::<LogLevel>().map_err(McpError::invalid_params)?),
        Some(_) => {
            return Err(McpError::invalid_params(format!(
                "`{}` must be a string",
                meta::LOG_LEVEL
            )));
        }
    };
    Ok(ModernMeta {
        log_level,
        capabilities: meta.get(meta::CLIENT_CAPABILITIES).cloned(),
    })
}

fn parse_cursor(params: &Map<String, Value>) -> Result<usize, McpError> {
    match params.get("cursor") {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(c)) => decode_cursor(c).ok_or_else(|| {
            McpError::invalid_params(format!(
                "Invalid cursor `{c}`: use a `nextCursor` from an earlier page"
            ))
        }),
        Some(_) => Err(McpError::invalid_params("`cursor` must be a string")),
    }
}

const CURSOR_PREFIX: &str = "tl1.";

fn encode_cursor(offset: usize) -> String {
    format!("{CURSOR_PREFIX}{offset}")
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let digits = cursor.strip_prefix(CURSOR_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}
