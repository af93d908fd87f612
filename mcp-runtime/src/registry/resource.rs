//! One resource at a fixed URI: [`Resource`] and [`ResourceBuilder`], with what reading a
//! resource yields ([`ResourceContents`]) or why it failed ([`ResourceError`]).

use super::access::{access_setters, check_access};
use super::describe::{Describe, Listing, describe_setters};
use super::names::{check_uri, required_text};
use super::{Access, RegistryError};
use crate::context::ToolContext;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
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

/// What a resource or resource template handler returns.
pub(super) type ReadResult = Result<Vec<ResourceContents>, ResourceError>;
type ResourceHandler = dyn Fn(ToolContext, String) -> BoxFuture<'static, ReadResult> + Send + Sync;

/// What a resource and a resource template show clients besides their URI (template): the
/// name, title, description and MIME type.
#[derive(Clone, Debug)]
pub(super) struct ResourceDescribe {
    name: String,
    describe: Describe,
    mime_type: Option<String>,
}

impl ResourceDescribe {
    /// Checks what a builder collected (`id` is the URI or URI template).
    pub(super) fn checked(
        kind: &'static str,
        id: &str,
        name: String,
        describe: Describe,
        mime_type: Option<String>,
    ) -> Result<Self, RegistryError> {
        Ok(Self {
            name: required_text(kind, id, "name", name)?,
            describe,
            mime_type,
        })
    }

    /// The name.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// The listing object: `id_key` (`uri` or `uriTemplate`) set to `id`, then the name,
    /// title, description and MIME type, and the declared access.
    pub(super) fn listing(&self, id_key: &str, id: &str, access: &Access) -> Value {
        Listing::new()
            .field(id_key, id)
            .field("name", self.name.as_str())
            .described(&self.describe)
            .optional("mimeType", self.mime_type.as_deref())
            .finish(access)
    }
}

/// A resource at a fixed URI.
///
/// ```
/// use mcp_runtime::registry::{Resource, ResourceContents};
///
/// let readme = Resource::builder("docs://readme", "readme")
///     .description("The project's README.")
///     .mime_type("text/markdown")
///     .public()
///     .handler(|_ctx, uri| async move {
///         Ok(vec![ResourceContents::text(uri, "text/markdown", "# Hello")])
///     })
///     .build()
///     .expect("a valid resource");
/// assert_eq!(readme.uri(), "docs://readme");
/// ```
#[derive(Clone)]
pub struct Resource {
    uri: String,
    describe: ResourceDescribe,
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
            mime_type: None,
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
        self.describe.name()
    }

    /// Who may read it, as declared in code.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The `Resource` object of `resources/list`.
    pub fn to_json(&self) -> Value {
        self.describe.listing("uri", &self.uri, &self.access)
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
    mime_type: Option<String>,
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
    describe_setters! {
        /// What the resource holds.
    }

    /// The MIME type of its contents.
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
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
        let uri = self.uri;
        check_uri(KIND, &uri)?;
        let describe =
            ResourceDescribe::checked(KIND, &uri, self.name, self.describe, self.mime_type)?;
        let access = check_access(KIND, &uri, self.access)?;
        let handler = self
            .handler
            .ok_or_else(|| RegistryError::invalid(KIND, &uri, "no handler"))?;
        Ok(Resource {
            uri,
            describe,
            access,
            handler,
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    /// A public text resource at `uri`: valid as it stands.
    pub(in crate::registry) fn text_resource(uri: &str) -> ResourceBuilder {
        Resource::builder(uri, "r")
            .public()
            .handler(
                |_, uri| async move { Ok(vec![ResourceContents::text(uri, "text/plain", "x")]) },
            )
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
