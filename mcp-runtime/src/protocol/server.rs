//! [`Server`]: what a built server holds, its read-only accessors, the catalog and scopes it
//! declares, and [`RequestScope`], where one request came from.

use super::builder::Implementation;
use super::connection::Connection;
use super::method::Method;
use super::ownership::Ownership;
use crate::asking::{Asker, StateSealer};
use crate::authz::{Authorizer, Catalog, CatalogEntry, Target, ToolInput};
use crate::changes::Notifier;
use crate::context::{Caller, Extensions, LogLevel, Outbound, ToolContext};
use crate::error::McpError;
use crate::jsonrpc::RequestId;
use crate::registry::{Access, PromptRegistry, ResourceRegistry, ToolRegistry};
use crate::store::SharedStore;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// An MCP server: its tools, its authorizer and its shared state. Cheap to clone.
///
/// Transports feed it messages with [`Server::dispatch`] (byte streams and legacy HTTP
/// sessions) or [`Server::handle_request`] (one request whose era the transport decided).
#[derive(Clone)]
pub struct Server {
    pub(super) inner: Arc<Inner>,
}

/// Everything a server holds, shared by its clones.
#[derive(Clone)]
pub(super) struct Inner {
    pub(super) info: Implementation,
    /// `info` as JSON, built once: every 2026-07-28 result carries it.
    pub(super) server_info: Arc<super::answer::ServerInfo>,
    pub(super) instructions: Option<String>,
    pub(super) tools: ToolRegistry,
    pub(super) resources: ResourceRegistry,
    pub(super) prompts: PromptRegistry,
    pub(super) authorizer: Arc<dyn Authorizer>,
    pub(super) extensions: Arc<Extensions>,
    pub(super) page_size: usize,
    pub(super) list_ttl_ms: u64,
    /// Seals and opens 2026-07-28 `requestState`.
    pub(super) sealer: Arc<StateSealer>,
    /// How long a legacy server-to-client request waits for its answer.
    pub(super) ask_timeout: Duration,
    /// The resources tools act on, and the application's resolver.
    pub(super) ownership: Ownership,
    /// Publishes changes to subscribers; shared by every clone and by
    /// [`Server::with_authorizer`].
    pub(super) notifier: Notifier,
    /// Approval states already used (2026-07-28).
    pub(super) approvals: Arc<super::approval::Ledger>,
    /// The store shared by every replica (`None`: everything in this process).
    pub(super) store: Option<Arc<SharedStore>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("info", &self.inner.info)
            .field("tools", &self.inner.tools.len())
            .finish_non_exhaustive()
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
    pub(super) fn new(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
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
            inputs: inner
                .tools
                .iter()
                .map(|t| {
                    let input = ToolInput {
                        schema: t.input_schema().clone(),
                        resource_argument: inner.ownership.arguments.get(t.name()).cloned(),
                    };
                    (t.name().to_owned(), input)
                })
                .collect(),
        }
    }

    /// Every scope any tool, resource, resource template or prompt declares, sorted and
    /// deduplicated (what the HTTP transport advertises as `scopes_supported`).
    pub fn declared_scopes(&self) -> Vec<String> {
        self.with_read_only_scopes(self.inner.tools.declared_scopes())
    }

    /// The scopes a `401` challenge asks for when the request names no tool, prompt or
    /// resource: the read-only tools' scopes (see `ToolRegistry::baseline_scopes`) plus those
    /// of resources and prompts, which only read. Clients get read access first and step up
    /// through `403 insufficient_scope` when a write needs more.
    pub fn baseline_scopes(&self) -> Vec<String> {
        self.with_read_only_scopes(self.inner.tools.baseline_scopes())
    }

    /// `tool_scopes` plus every scope a resource, resource template or prompt declares,
    /// sorted and deduplicated.
    fn with_read_only_scopes(&self, tool_scopes: Vec<String>) -> Vec<String> {
        let inner = &self.inner;
        let mut all = tool_scopes;
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
        let access = match Method::parse(method)? {
            Method::ToolsCall => inner.tools.get(name).map(|t| t.access()),
            Method::PromptsGet => inner.prompts.get(name).map(|p| p.access()),
            Method::ResourcesRead => inner
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
        self.rebuilt(|inner| inner.authorizer = authorizer)
    }

    /// The same server keeping what replicas share (legacy sessions, single-use records of
    /// `requestState`) in `store`.
    #[must_use]
    pub fn with_store(&self, store: Option<Arc<SharedStore>>) -> Server {
        self.rebuilt(|inner| inner.store = store)
    }

    /// The shared store, if the deployment has one.
    pub fn store(&self) -> Option<&Arc<SharedStore>> {
        self.inner.store.as_ref()
    }

    /// A copy of this server's parts with `change` applied (tools and state stay shared).
    fn rebuilt(&self, change: impl FnOnce(&mut Inner)) -> Server {
        let mut inner = Inner::clone(&self.inner);
        change(&mut inner);
        Server::new(inner)
    }

    /// The same server with `requestState` sealed under `key` (32 bytes) instead of the key
    /// it was built with, e.g. a key read from the deployment's configuration.
    #[must_use]
    pub fn with_request_state_key(&self, key: [u8; 32]) -> Server {
        self.rebuilt(|inner| inner.sealer = Arc::new(StateSealer::new(key, inner.sealer.ttl())))
    }

    /// The handle that publishes changes (updated resources, changed lists) to this server's
    /// subscribers; see [`crate::changes`].
    pub fn notifier(&self) -> &Notifier {
        &self.inner.notifier
    }

    /// The authorizer in force.
    pub fn authorizer(&self) -> &Arc<dyn Authorizer> {
        &self.inner.authorizer
    }

    /// Asks the authorizer whether this request's caller may use `target` (waiting for the
    /// shared store when a limit is held there).
    pub(super) async fn authorize(
        &self,
        scope: &RequestScope,
        target: &Target<'_>,
    ) -> Result<(), McpError> {
        let started = std::time::Instant::now();
        let authorizer = &self.inner.authorizer;
        let decided = match authorizer.authorize_shared(
            &scope.caller,
            *target,
            crate::authz::CallInput::NONE,
        ) {
            Some(pending) => pending.await,
            None => authorizer.authorize(&scope.caller, target),
        };
        crate::metrics::global().decision_latency(target.kind.as_str(), started.elapsed());
        Ok(decided?)
    }

    /// The context a resource or prompt handler runs with.
    pub(super) fn context(
        &self,
        id: &RequestId,
        scope: &RequestScope,
        name: &str,
        log_level: Option<LogLevel>,
        asker: Option<Asker>,
    ) -> ToolContext {
        ToolContext::builder(scope.caller.clone(), id.clone(), name)
            .log_level(log_level)
            .outbound(scope.outbound.clone())
            .extensions(self.inner.extensions.clone())
            .asker(asker)
            .notifier(self.inner.notifier.clone())
            .build()
    }
}
