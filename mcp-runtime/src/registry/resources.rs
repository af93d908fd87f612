//! Resources (fixed URIs) and resource templates (RFC 6570 URI templates), with their
//! handlers, for `resources/list`, `resources/templates/list` and `resources/read`.
//!
//! ```
//! use mcp_runtime::registry::{Resource, ResourceContents, ResourceTemplate};
//!
//! let readme = Resource::builder("docs://readme", "readme")
//!     .description("The project's README.")
//!     .mime_type("text/markdown")
//!     .public()
//!     .handler(|_ctx, uri| async move {
//!         Ok(vec![ResourceContents::text(uri, "text/markdown", "# Hello")])
//!     })
//!     .build()
//!     .expect("a valid resource");
//! assert_eq!(readme.uri(), "docs://readme");
//!
//! let order = ResourceTemplate::builder("orders://{id}", "order")
//!     .description("One order, as JSON.")
//!     .scopes(["orders:read"])
//!     .handler(|_ctx, uri, vars| async move {
//!         let body = format!(r#"{{"id":"{}"}}"#, vars["id"]);
//!         Ok(vec![ResourceContents::text(uri, "application/json", body)])
//!     })
//!     .build()
//!     .expect("a valid template");
//! assert_eq!(order.template().matches("orders://42").unwrap()["id"], "42");
//! ```

use super::{Access, RegistryError};
use crate::context::ToolContext;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// The contents of one resource, as `resources/read` and embedded resources carry them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResourceContents {
    /// Text contents.
    Text {
        /// The resource URI.
        uri: String,
        /// The MIME type, if known.
        #[serde(rename = "mimeType", skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
        /// The text.
        text: String,
    },
    /// Binary contents, base64-encoded.
    Blob {
        /// The resource URI.
        uri: String,
        /// The MIME type, if known.
        #[serde(rename = "mimeType", skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
        /// Base64 data.
        blob: String,
    },
}

impl ResourceContents {
    /// Text contents of `uri`.
    pub fn text(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Self::Text {
            uri: uri.into(),
            mime_type: Some(mime_type.into()),
            text: text.into(),
        }
    }

    /// Binary contents of `uri`, from base64 data.
    pub fn blob(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        base64: impl Into<String>,
    ) -> Self {
        Self::Blob {
            uri: uri.into(),
            mime_type: Some(mime_type.into()),
            blob: base64.into(),
        }
    }

    /// The URI.
    pub fn uri(&self) -> &str {
        match self {
            Self::Text { uri, .. } | Self::Blob { uri, .. } => uri,
        }
    }
}

/// Why reading a resource failed, as the handler reports it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceError {
    /// There is no such resource (e.g. a template matched but the id does not exist):
    /// reported like an unknown URI (`-32602` in 2026-07-28, `-32002` before).
    #[error("resource not found")]
    NotFound,
    /// Reading failed: reported as an internal error (`-32603`) with this message.
    #[error("{0}")]
    Failed(String),
}

impl ResourceError {
    /// A read failure with `message` (never put secrets in it: the client sees it).
    pub fn failed(message: impl fmt::Display) -> Self {
        Self::Failed(message.to_string())
    }
}

type ReadResult = Result<Vec<ResourceContents>, ResourceError>;
type ResourceHandler = dyn Fn(ToolContext, String) -> BoxFuture<'static, ReadResult> + Send + Sync;
type TemplateHandler = dyn Fn(ToolContext, String, BTreeMap<String, String>) -> BoxFuture<'static, ReadResult>
    + Send
    + Sync;
/// Suggests completions for `(variable or argument name, partial value)`.
pub(crate) type Completer = dyn Fn(&str, &str) -> Vec<String> + Send + Sync;

/// Checks the declared access of a resource or prompt, with the rule tools use.
pub(crate) fn check_access(
    kind: &'static str,
    name: &str,
    access: Option<Access>,
) -> Result<Access, RegistryError> {
    Access::checked(access, kind).map_err(|why| RegistryError::Invalid {
        kind,
        name: name.to_owned(),
        why,
    })
}

fn required_text(
    kind: &'static str,
    name: &str,
    field: &str,
    value: Option<String>,
) -> Result<String, RegistryError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(RegistryError::Invalid {
            kind,
            name: name.to_owned(),
            why: format!("`{field}` must not be empty"),
        }),
    }
}

fn check_uri(kind: &'static str, uri: &str) -> Result<(), RegistryError> {
    let scheme_ok = uri.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if !scheme_ok || uri.chars().any(char::is_whitespace) {
        return Err(RegistryError::Invalid {
            kind,
            name: uri.to_owned(),
            why: "not an absolute URI (`scheme:...`, no whitespace)".to_owned(),
        });
    }
    Ok(())
}

/// The display fields resources and templates share.
#[derive(Clone, Debug, Default)]
struct Describe {
    title: Option<String>,
    description: Option<String>,
    mime_type: Option<String>,
}

impl Describe {
    fn write(&self, obj: &mut Map<String, Value>) {
        if let Some(t) = &self.title {
            obj.insert("title".into(), json!(t));
        }
        if let Some(d) = &self.description {
            obj.insert("description".into(), json!(d));
        }
        if let Some(m) = &self.mime_type {
            obj.insert("mimeType".into(), json!(m));
        }
    }
}

fn access_meta(access: &Access) -> Value {
    let access = match access {
        Access::Public => json!({ "public": true }),
        Access::Scopes(s) => json!({ "scopes": s }),
    };
    json!({ "io.github.policy-mcp/access": access })
}

/// A resource at a fixed URI.
#[derive(Clone)]
pub struct Resource {
    uri: String,
    name: String,
    describe: Describe,
    access: Access,
    handler: Arc<ResourceHandler>,
}

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resource")
            .field("uri", &self.uri)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Resource {
    /// Starts defining the resource at `uri`, called `name`.
    pub fn builder(uri: impl Into<String>, name: impl Into<String>) -> ResourceBuilder {
        ResourceBuilder {
            uri: uri.into(),
            name: name.into(),
            describe: Describe::default(),
            access: None,
            handler: None,
        }
    }

    /// The URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Who may read it, as declared in code.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The `Resource` object of `resources/list`.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("uri".into(), json!(self.uri));
        obj.insert("name".into(), json!(self.name));
        self.describe.write(&mut obj);
        obj.insert("_meta".into(), access_meta(&self.access));
        Value::Object(obj)
    }

    /// Runs the handler (no authorization: the dispatcher does that).
    pub fn read(&self, ctx: ToolContext) -> BoxFuture<'static, ReadResult> {
        (self.handler)(ctx, self.uri.clone())
    }
}

/// Builds a [`Resource`]; see [`Resource::builder`].
#[must_use = "call .build() to finish the resource"]
pub struct ResourceBuilder {
    uri: String,
    name: String,
    describe: Describe,
    access: Option<Access>,
    handler: Option<Arc<ResourceHandler>>,
}

impl fmt::Debug for ResourceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceBuilder")
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

impl ResourceBuilder {
    /// A human-readable title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.describe.title = Some(title.into());
        self
    }

    /// What the resource holds.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.describe.description = Some(description.into());
        self
    }

    /// The MIME type of its contents.
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.describe.mime_type = Some(mime_type.into());
        self
    }

    access_setters!("resource");

    /// The async handler: receives the request context (its `tool_name` is the resource
    /// name) and the URI, and returns the contents.
    pub fn handler<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(ToolContext, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ReadResult> + Send + 'static,
    {
        self.handler = Some(Arc::new(move |ctx, uri| Box::pin(handler(ctx, uri))));
        self
    }

    /// Validates the definition.
    ///
    /// # Errors
    /// [`RegistryError::Invalid`]: a URI that is not absolute, an empty name, missing or
    /// malformed scopes, a missing handler.
    pub fn build(self) -> Result<Resource, RegistryError> {
        const KIND: &str = "resource";
        check_uri(KIND, &self.uri)?;
        let name = required_text(KIND, &self.uri, "name", Some(self.name))?;
        let access = check_access(KIND, &self.uri, self.access)?;
        let handler = self.handler.ok_or_else(|| RegistryError::Invalid {
            kind: KIND,
            name: self.uri.clone(),
            why: "no handler".to_owned(),
        })?;
        Ok(Resource {
            uri: self.uri,
            name,
            describe: self.describe,
            access,
            handler,
        })
    }
}

/// A level-1 RFC 6570 URI template: literal text and `{variable}` expressions.
///
/// A variable matches one or more characters up to the next literal text, never a `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UriTemplate {
    source: String,
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Var(String),
}

impl UriTemplate {
    /// Parses `template`.
    ///
    /// # Errors
    /// What is wrong: an unclosed or empty `{}`, an operator (`{+x}`, `{/x}`…, which this
    /// implementation does not support), two variables in a row, or a repeated variable.
    pub fn parse(template: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| "an unclosed `{`".to_owned())?
                + open;
            let name = &rest[open + 1..close];
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
            {
                return Err(format!(
                    "`{{{name}}}`: only simple `{{name}}` variables (A-Z, a-z, 0-9, `_`, `.`) are supported"
                ));
            }
            if matches!(parts.last(), Some(Part::Var(_))) {
                return Err(format!(
                    "`{{{name}}}` follows another variable directly; separate them with literal text"
                ));
            }
            if parts.iter().any(|p| *p == Part::Var(name.to_owned())) {
                return Err(format!("the variable `{name}` appears twice"));
            }
            parts.push(Part::Var(name.to_owned()));
            rest = &rest[close + 1..];
        }
        if rest.contains('}') {
            return Err("a `}` without `{`".to_owned());
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Self {
            source: template.to_owned(),
            parts,
        })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The variable names, in order.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// The variables' values when `uri` matches the template.
    pub fn matches(&self, uri: &str) -> Option<BTreeMap<String, String>> {
        let mut vars = BTreeMap::new();
        let mut rest = uri;
        let mut parts = self.parts.iter().peekable();
        while let Some(part) = parts.next() {
            match part {
                Part::Literal(lit) => rest = rest.strip_prefix(lit.as_str())?,
                Part::Var(name) => {
                    let end = match parts.peek() {
                        Some(Part::Literal(next)) => rest.find(next.as_str())?,
                        _ => rest.len(),
                    };
                    let value = &rest[..end];
                    if value.is_empty() || value.contains('/') {
                        return None;
                    }
                    vars.insert(name.clone(), value.to_owned());
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then_some(vars)
    }
}

/// A family of resources named by a URI template, e.g. `orders://{id}`.
#[derive(Clone)]
pub struct ResourceTemplate {
    template: UriTemplate,
    name: String,
    describe: Describe,
    access: Access,
    handler: Arc<TemplateHandler>,
    completer: Option<Arc<Completer>>,
}

impl fmt::Debug for ResourceTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceTemplate")
            .field("template", &self.template.source)
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
        &self.name
    }

    /// Who may read its resources, as declared in code.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The `ResourceTemplate` object of `resources/templates/list`.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("uriTemplate".into(), json!(self.template.source));
        obj.insert("name".into(), json!(self.name));
        self.describe.write(&mut obj);
        obj.insert("_meta".into(), access_meta(&self.access));
        Value::Object(obj)
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
    /// A human-readable title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.describe.title = Some(title.into());
        self
    }

    /// What the resources hold.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.describe.description = Some(description.into());
        self
    }

    /// The MIME type of every matching resource.
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.describe.mime_type = Some(mime_type.into());
        self
    }

    access_setters!("resources");

    /// The async handler: receives the request context, the URI and its variables.
    /// Return [`ResourceError::NotFound`] for values that name nothing.
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

    /// Suggests values for a variable (`completion/complete` with `ref/resource`): called
    /// with the variable's name and the partial value.
    pub fn completer<F>(mut self, completer: F) -> Self
    where
        F: Fn(&str, &str) -> Vec<String> + Send + Sync + 'static,
    {
        self.completer = Some(Arc::new(completer));
        self
    }

    /// Validates the definition.
    ///
    /// # Errors
    /// [`RegistryError::Invalid`]: a template that does not parse or is not an absolute
    /// URI, an empty name, missing or malformed scopes, a missing handler.
    pub fn build(self) -> Result<ResourceTemplate, RegistryError> {
        const KIND: &str = "resource template";
        check_uri(KIND, &self.template)?;
        let template =
            UriTemplate::parse(&self.template).map_err(|why| RegistryError::Invalid {
                kind: KIND,
                name: self.template.clone(),
                why,
            })?;
        let name = required_text(KIND, &self.template, "name", Some(self.name))?;
        let access = check_access(KIND, &self.template, self.access)?;
        let handler = self.handler.ok_or_else(|| RegistryError::Invalid {
            kind: KIND,
            name: self.template.clone(),
            why: "no handler".to_owned(),
        })?;
        Ok(ResourceTemplate {
            template,
            name,
            describe: self.describe,
            access,
            handler,
            completer: self.completer,
        })
    }
}

/// All resources and resource templates of a server, in registration order.
#[derive(Clone, Debug, Default)]
pub struct ResourceRegistry {
    resources: Vec<Arc<Resource>>,
    by_uri: HashMap<String, usize>,
    templates: Vec<Arc<ResourceTemplate>>,
}

impl ResourceRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a resource.
    ///
    /// # Errors
    /// [`RegistryError::Invalid`] when the URI is taken.
    pub fn register(&mut self, resource: Resource) -> Result<(), RegistryError> {
        if self.by_uri.contains_key(&resource.uri) {
            return Err(RegistryError::Invalid {
                kind: "resource",
                name: resource.uri,
                why: "a resource with this URI is already registered".to_owned(),
            });
        }
        self.by_uri
            .insert(resource.uri.clone(), self.resources.len());
        self.resources.push(Arc::new(resource));
        Ok(())
    }

    /// Adds a resource template.
    ///
    /// # Errors
    /// [`RegistryError::Invalid`] when the same template is already registered.
    pub fn register_template(&mut self, template: ResourceTemplate) -> Result<(), RegistryError> {
        if self
            .templates
            .iter()
            .any(|t| t.template == template.template)
        {
            return Err(RegistryError::Invalid {
                kind: "resource template",
                name: template.template.source,
                why: "this template is already registered".to_owned(),
            });
        }
        self.templates.push(Arc::new(template));
        Ok(())
    }

    /// The resource at exactly `uri`.
    pub fn get(&self, uri: &str) -> Option<&Arc<Resource>> {
        self.by_uri.get(uri).map(|&i| &self.resources[i])
    }

    /// The first template (in registration order) matching `uri`, with the variables.
    pub fn find_template(
        &self,
        uri: &str,
    ) -> Option<(&Arc<ResourceTemplate>, BTreeMap<String, String>)> {
        self.templates
            .iter()
            .find_map(|t| t.template.matches(uri).map(|vars| (t, vars)))
    }

    /// The template written exactly as `uri_template`.
    pub fn template(&self, uri_template: &str) -> Option<&Arc<ResourceTemplate>> {
        self.templates
            .iter()
            .find(|t| t.template.source == uri_template)
    }

    /// All resources, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Resource>> {
        self.resources.iter()
    }

    /// All templates, in registration order.
    pub fn templates(&self) -> impl Iterator<Item = &Arc<ResourceTemplate>> {
        self.templates.iter()
    }

    /// Whether there are neither resources nor templates.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.templates.is_empty()
    }

    /// Whether any template has a completer.
    pub fn has_completions(&self) -> bool {
        self.templates.iter().any(|t| t.has_completer())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_resource(uri: &str) -> ResourceBuilder {
        Resource::builder(uri, "r")
            .public()
            .handler(
                |_, uri| async move { Ok(vec![ResourceContents::text(uri, "text/plain", "x")]) },
            )
    }

    fn template(t: &str) -> ResourceTemplateBuilder {
        ResourceTemplate::builder(t, "t")
            .public()
            .handler(
                |_, uri, _| async move { Ok(vec![ResourceContents::text(uri, "text/plain", "x")]) },
            )
    }

    #[test]
    fn templates_match_level_one_variables() {
        let t = UriTemplate::parse("test://template/{id}/data").unwrap();
        assert_eq!(t.variables().collect::<Vec<_>>(), ["id"]);
        let vars = t.matches("test://template/123/data").unwrap();
        assert_eq!(vars["id"], "123");
        assert!(t.matches("test://template//data").is_none());
        assert!(t.matches("test://template/1/2/data").is_none());
        assert!(t.matches("test://template/123/data/more").is_none());
        assert!(t.matches("other://template/123/data").is_none());
        let two = UriTemplate::parse("db://{table}/{row}").unwrap();
        let vars = two.matches("db://users/7").unwrap();
        assert_eq!(
            (vars["table"].as_str(), vars["row"].as_str()),
            ("users", "7")
        );
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

    #[test]
    fn definitions_are_checked() {
        assert!(text_resource("test://ok").build().is_ok());
        assert!(text_resource("no scheme").build().is_err());
        assert!(
            text_resource("test://x")
                .scopes(Vec::<String>::new())
                .build()
                .is_err()
        );
        assert!(
            text_resource("test://x")
                .scopes(["has space"])
                .build()
                .is_err()
        );
        let undeclared = Resource::builder("test://x", "x")
            .handler(|_, _| async { Ok(Vec::new()) })
            .build()
            .unwrap_err();
        assert!(undeclared.to_string().contains("declare"), "{undeclared}");
        let nameless = text_resource("test://x");
        let nameless = ResourceBuilder {
            name: " ".into(),
            ..nameless
        };
        assert!(nameless.build().is_err());
        assert!(Resource::builder("test://x", "x").public().build().is_err());
    }

    #[test]
    fn the_registry_refuses_duplicates_and_finds_templates() {
        let mut r = ResourceRegistry::new();
        assert!(r.is_empty());
        r.register(text_resource("test://a").build().unwrap())
            .unwrap();
        assert!(
            r.register(text_resource("test://a").build().unwrap())
                .is_err()
        );
        r.register_template(template("test://{id}/data").build().unwrap())
            .unwrap();
        assert!(
            r.register_template(template("test://{id}/data").build().unwrap())
                .is_err()
        );
        assert!(r.get("test://a").is_some());
        let (t, vars) = r.find_template("test://9/data").unwrap();
        assert_eq!(t.template().as_str(), "test://{id}/data");
        assert_eq!(vars["id"], "9");
        assert!(r.find_template("test://a").is_none());
        assert!(!r.has_completions());
    }

    #[test]
    fn contents_serialize_as_text_or_blob() {
        assert_eq!(
            serde_json::to_value(ResourceContents::text("a://b", "text/plain", "hi")).unwrap(),
            json!({"uri": "a://b", "mimeType": "text/plain", "text": "hi"})
        );
        assert_eq!(
            serde_json::to_value(ResourceContents::blob("a://b", "image/png", "AAAA")).unwrap(),
            json!({"uri": "a://b", "mimeType": "image/png", "blob": "AAAA"})
        );
        let listed = text_resource("test://a")
            .mime_type("text/plain")
            .build()
            .unwrap()
            .to_json();
        assert_eq!(listed["uri"], "test://a");
        assert_eq!(listed["mimeType"], "text/plain");
        assert_eq!(
            listed["_meta"]["io.github.policy-mcp/access"]["public"],
            true
        );
    }
}
