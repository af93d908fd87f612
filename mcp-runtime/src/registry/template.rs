//! One family of resources named by a URI template: [`ResourceTemplate`] and
//! [`ResourceTemplateBuilder`]. The template itself is a [`UriTemplate`].

use super::access::{access_setters, check_access};
use super::completion::{Completer, completer_setter};
use super::describe::{Describe, describe_setters};
use super::names::check_uri;
use super::resource::{ReadResult, ResourceDescribe};
use super::{Access, RegistryError, UriTemplate};
use crate::context::ToolContext;
use futures::future::BoxFuture;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

type TemplateHandler = dyn Fn(ToolContext, String, BTreeMap<String, String>) -> BoxFuture<'static, ReadResult>
    + Send
    + Sync;

/// A family of resources named by a URI template, e.g. `orders://{id}`.
///
/// ```
/// use mcp_runtime::registry::{ResourceContents, ResourceTemplate};
///
/// let order = ResourceTemplate::builder("orders://{id}", "order")
///     .description("One order, as JSON.")
///     .scopes(["orders:read"])
///     .handler(|_ctx, uri, vars| async move {
///         let body = format!(r#"{{"id":"{}"}}"#, vars["id"]);
///         Ok(vec![ResourceContents::text(uri, "application/json", body)])
///     })
///     .build()
///     .expect("a valid template");
/// assert_eq!(order.template().matches("orders://42").unwrap()["id"], "42");
/// ```
#[derive(Clone)]
pub struct ResourceTemplate {
    template: UriTemplate,
    describe: ResourceDescribe,
    access: Access,
    handler: Arc<TemplateHandler>,
    completer: Option<Arc<Completer>>,
}

impl fmt::Debug for ResourceTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceTemplate")
            .field("template", &self.template.as_str())
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl ResourceTemplate {
    /// Starts defining the resources matching `uri_template`, called `name`.
    pub fn builder(
        uri_template: impl Into<String>,
        name: impl Into<String>,
    ) -> ResourceTemplateBuilder {
        ResourceTemplateBuilder {
            template: uri_template.into(),
            name: name.into(),
            describe: Describe::default(),
            mime_type: None,
            access: None,
            handler: None,
            completer: None,
        }
    }

    /// The URI template.
    pub fn template(&self) -> &UriTemplate {
        &self.template
    }

    /// The name.
    pub fn name(&self) -> &str {
        self.describe.name()
    }

    /// Who may read its resources, as declared in code.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The `ResourceTemplate` object of `resources/templates/list`.
    pub fn to_json(&self) -> Value {
        self.describe
            .listing("uriTemplate", self.template.as_str(), &self.access)
    }

    /// Runs the handler for `uri`, whose variables are `vars` (no authorization: the
    /// dispatcher does that).
    pub fn read(
        &self,
        ctx: ToolContext,
        uri: String,
        vars: BTreeMap<String, String>,
    ) -> BoxFuture<'static, ReadResult> {
        (self.handler)(ctx, uri, vars)
    }

    /// Completion suggestions for `variable`, given what the user typed (`None` when no
    /// completer is registered).
    pub fn complete(&self, variable: &str, value: &str) -> Option<Vec<String>> {
        self.completer.as_ref().map(|c| c(variable, value))
    }

    /// Whether a completer is registered.
    pub fn has_completer(&self) -> bool {
        self.completer.is_some()
    }
}

/// Builds a [`ResourceTemplate`]; see [`ResourceTemplate::builder`].
#[must_use = "call .build() to finish the resource template"]
pub struct ResourceTemplateBuilder {
    template: String,
    name: String,
    describe: Describe,
    mime_type: Option<String>,
    access: Option<Access>,
    handler: Option<Arc<TemplateHandler>>,
    completer: Option<Arc<Completer>>,
}

impl fmt::Debug for ResourceTemplateBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceTemplateBuilder")
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

impl ResourceTemplateBuilder {
    describe_setters! {
        /// What the resources hold.
    }

    /// The MIME type of every matching resource.
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }

    access_setters!("resources");

    /// The async handler: receives the request context, the URI and its variables.
    /// Return [`ResourceError::NotFound`](super::ResourceError::NotFound) for values that
    /// name nothing.
    pub fn handler<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(ToolContext, String, BTreeMap<String, String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ReadResult> + Send + 'static,
    {
        self.handler = Some(Arc::new(move |ctx, uri, vars| {
            Box::pin(handler(ctx, uri, vars))
        }));
        self
    }

    completer_setter! {
        /// Suggests values for a variable (`completion/complete` with `ref/resource`): called
        /// with the variable's name and the partial value.
    }

    /// Validates the definition.
    ///
    /// # Errors
    /// [`RegistryError::Invalid`]: a template that does not parse or is not an absolute
    /// URI, an empty name, missing or malformed scopes, a missing handler.
    pub fn build(self) -> Result<ResourceTemplate, RegistryError> {
        const KIND: &str = "resource template";
        let source = self.template;
        check_uri(KIND, &source)?;
        let template = UriTemplate::parse(&source)
            .map_err(|why| RegistryError::invalid(KIND, &source, why))?;
        let describe =
            ResourceDescribe::checked(KIND, &source, self.name, self.describe, self.mime_type)?;
        let access = check_access(KIND, &source, self.access)?;
        let handler = self
            .handler
            .ok_or_else(|| RegistryError::invalid(KIND, &source, "no handler"))?;
        Ok(ResourceTemplate {
            template,
            describe,
            access,
            handler,
            completer: self.completer,
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::registry::ResourceContents;

    /// A public template over `t`, valid as it stands when `t` is.
    pub(in crate::registry) fn template(t: &str) -> ResourceTemplateBuilder {
        ResourceTemplate::builder(t, "t")
            .public()
            .handler(
                |_, uri, _| async move { Ok(vec![ResourceContents::text(uri, "text/plain", "x")]) },
            )
    }

    #[test]
    fn unsupported_templates_are_refused() {
        for bad in [
            "x://{",
            "x://{}",
            "x://{+path}",
            "x://{a}{b}",
            "x://{a}/{a}",
            "x://a}",
        ] {
            assert!(UriTemplate::parse(bad).is_err(), "{bad}");
            assert!(
                matches!(template(bad).build(), Err(RegistryError::Invalid { .. })),
                "{bad}"
            );
        }
    }
}
