//! The resource methods: `resources/list`, `resources/templates/list` and `resources/read`
//! (subscriptions are in `subscriptions`).

use super::Object;
use super::era::Era;
use super::input;
use super::server::{RequestScope, Server};
use crate::authz::{CacheScope, Target};
use crate::context::LogLevel;
use crate::error::McpError;
use crate::jsonrpc::Request;
use crate::registry::{ResourceError, ResourceTemplate};
use futures::FutureExt;
use serde_json::{Map, Value, json};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

impl Server {
    /// `resources/list`: one page of the fixed-URI resources this caller may see.
    pub(super) fn list_resources(
        &self,
        params: &Map<String, Value>,
        scope: &RequestScope,
        era: Era,
    ) -> Result<Object, McpError> {
        let resources = self.inner.resources.iter();
        let items = resources.map(|r| (Target::resource(r), &**r));
        self.list_page(params, scope, "resources", items, |r| r.to_json(), era)
    }

    /// `resources/templates/list`: one page of the resource templates this caller may see.
    pub(super) fn list_resource_templates(
        &self,
        params: &Map<String, Value>,
        scope: &RequestScope,
        era: Era,
    ) -> Result<Object, McpError> {
        let templates = self.inner.resources.templates();
        let items = templates.map(|t| (Target::template(t), &**t));
        let describe = |t: &ResourceTemplate| t.to_json();
        self.list_page(params, scope, "resourceTemplates", items, describe, era)
    }

    /// `resources/read` of a fixed-URI resource or of a URI a template matches. An unknown
    /// URI is `-32002` in legacy sessions and `-32602` with `data.uri` in modern requests.
    /// Like a tool, a resource handler may ask the client for input (see `Server::call_tool`).
    pub(super) async fn read_resource(
        &self,
        request: &Request,
        scope: &RequestScope,
        log_level: Option<LogLevel>,
        client_capabilities: Option<&Arc<Value>>,
        era: Era,
    ) -> Result<Object, McpError> {
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
        let target = input::Target {
            method: "resources/read",
            name: uri,
        };
        let no_arguments = Map::new();
        let asking = |scope| {
            self.asking(
                era,
                scope,
                &request.params,
                client_capabilities,
                target,
                &no_arguments,
            )
        };
        let (read, asking) = if let Some(resource) = resources.get(uri) {
            self.authorize(scope, &Target::resource(resource)).await?;
            let (asking, used) = asking(scope)?;
            self.spend_state(used).await?;
            let ctx = self.context(
                &request.id,
                scope,
                resource.name(),
                log_level,
                asking.asker(),
            );
            (resource.read(ctx), asking)
        } else if let Some((template, vars)) = resources.find_template(uri) {
            self.authorize(scope, &Target::template(template)).await?;
            let (asking, used) = asking(scope)?;
            self.spend_state(used).await?;
            let ctx = self.context(
                &request.id,
                scope,
                template.name(),
                log_level,
                asking.asker(),
            );
            (template.read(ctx, uri.to_owned(), vars), asking)
        } else {
            return Err(not_found());
        };
        let outcome = AssertUnwindSafe(read).catch_unwind().await;
        if let Some(result) = self.input_required(&asking)? {
            return Ok(result);
        }
        let contents = match outcome {
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
        let mut result = Object::new();
        result.insert("contents".into(), json!(contents));
        if era == Era::Modern {
            result.insert("ttlMs".into(), json!(self.inner.list_ttl_ms));
            // What a handler returns may depend on the caller: never shared between callers.
            result.insert("cacheScope".into(), json!(CacheScope::Private.as_str()));
        }
        Ok(result)
    }
}
