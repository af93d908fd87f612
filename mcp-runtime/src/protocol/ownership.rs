//! The ownership hook: a tool names the argument that identifies the resource it acts on
//! ([`ServerBuilder::resource_argument`]), and the application supplies an async resolver
//! ([`ServerBuilder::resource_resolver`]) that describes that resource (an order id →
//! `{ "tenant": …, "owner": … }`). Policy conditions then read it as `resource`
//! (`resource.tenant == claims.tenant`).
//!
//! The resolver runs only for a caller that passes the tool's scope and claim checks and
//! only when a condition in force reads `resource`. If it fails, or the argument is
//! missing, or no resolver was given, the condition cannot be evaluated and the call is
//! denied (fail closed).
//!
//! ```
//! use mcp_runtime::protocol::{ResolveError, ResourceRef};
//! use mcp_runtime::{CallToolResult, Server, Tool};
//! use serde_json::{Map, Value, json};
//!
//! async fn order_owner(r: ResourceRef) -> Result<Map<String, Value>, ResolveError> {
//!     match r.value.as_str() {
//!         Some("TN-1") => Ok(json!({ "tenant": "acme" }).as_object().unwrap().clone()),
//!         _ => Err(ResolveError::new("no such order")),
//!     }
//! }
//!
//! let cancel = Tool::builder("cancel_order").description("Cancel.").scopes(["orders:write"])
//!     .input_schema(json!({"type": "object", "properties": {"order_id": {"type": "string"}}}))
//!     .handler(|_, _| async { Ok(CallToolResult::default()) }).build();
//! let server = Server::builder("shop", "1.0")
//!     .tool(cancel)
//!     .resource_argument("cancel_order", "order_id")
//!     .resource_resolver(order_owner)
//!     .build()
//!     .unwrap();
//! assert_eq!(
//!     server.catalog().inputs["cancel_order"].resource_argument.as_deref(),
//!     Some("order_id")
//! );
//! ```

#[cfg(doc)]
use super::ServerBuilder;
use futures::future::BoxFuture;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The resource a call's arguments name: which tool, which argument, and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceRef {
    /// The tool being called.
    pub tool: String,
    /// The argument that names the resource.
    pub argument: String,
    /// Its value in this call.
    pub value: Value,
}

/// Why a resolver could not describe a resource. The message goes into the denial the
/// caller sees, so it should say what is wrong without revealing more than the caller may
/// know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ResolveError(String);

impl ResolveError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

type Resolver = dyn Fn(ResourceRef) -> BoxFuture<'static, Result<Map<String, Value>, ResolveError>>
    + Send
    + Sync;

/// What a server knows about the resources its tools act on.
#[derive(Clone, Default)]
pub(super) struct Ownership {
    /// Tool name → the argument naming its resource.
    pub(super) arguments: BTreeMap<String, String>,
    pub(super) resolver: Option<Arc<Resolver>>,
}

impl fmt::Debug for Ownership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ownership")
            .field("arguments", &self.arguments)
            .field("resolver", &self.resolver.is_some())
            .finish()
    }
}

impl Ownership {
    pub(super) fn set_resolver<F, Fut>(&mut self, resolver: F)
    where
        F: Fn(ResourceRef) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Map<String, Value>, ResolveError>> + Send + 'static,
    {
        self.resolver = Some(Arc::new(move |r| Box::pin(resolver(r))));
    }

    /// The resource that `arguments` of a call of `tool` name, described by the resolver:
    /// `Err` says why not.
    pub(super) async fn resolve(
        &self,
        tool: &str,
        arguments: &Value,
    ) -> Result<Map<String, Value>, String> {
        let Some(argument) = self.arguments.get(tool) else {
            return Err(format!("tool `{tool}` names no resource"));
        };
        let Some(resolver) = &self.resolver else {
            return Err("the server has no resource resolver".to_owned());
        };
        let Some(value) = arguments.get(argument) else {
            return Err(format!("argument `{argument}` is missing"));
        };
        let request = ResourceRef {
            tool: tool.to_owned(),
            argument: argument.clone(),
            value: value.clone(),
        };
        match resolver(request).await {
            Ok(resource) => Ok(resource),
            Err(e) => {
                tracing::warn!(tool, argument = argument.as_str(), error = %e, "resource resolver failed");
                Err(e.to_string())
            }
        }
    }
}
