//! [`ResourceRegistry`]: every resource and resource template of a server, for
//! `resources/list`, `resources/templates/list` and `resources/read`.

use super::{RegistryError, Resource, ResourceTemplate};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// All resources and resource templates of a server, in registration order.
///
/// ```
/// use mcp_runtime::registry::{Resource, ResourceRegistry, ResourceTemplate};
///
/// let mut registry = ResourceRegistry::new();
/// let readme = Resource::builder("docs://readme", "readme")
///     .public()
///     .handler(|_ctx, _uri| async move { Ok(Vec::new()) })
///     .build()
///     .expect("a valid resource");
/// registry.register(readme).expect("a new URI");
/// let order = ResourceTemplate::builder("orders://{id}", "order")
///     .scopes(["orders:read"])
///     .handler(|_ctx, _uri, _vars| async move { Ok(Vec::new()) })
///     .build()
///     .expect("a valid template");
/// registry.register_template(order).expect("a new template");
///
/// assert!(registry.get("docs://readme").is_some());
/// let (template, vars) = registry.find_template("orders://42").expect("a match");
/// assert_eq!((template.name(), vars["id"].as_str()), ("order", "42"));
/// ```
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
        if self.by_uri.contains_key(resource.uri()) {
            return Err(RegistryError::invalid(
                "resource",
                resource.uri(),
                "a resource with this URI is already registered",
            ));
        }
        self.by_uri
            .insert(resource.uri().to_owned(), self.resources.len());
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
            .any(|t| t.template() == template.template())
        {
            return Err(RegistryError::invalid(
                "resource template",
                template.template().as_str(),
                "this template is already registered",
            ));
        }
        self.templates.push(Arc::new(template));
        Ok(())
    }

    /// The resource at exactly `uri`.
    pub fn get(&self, uri: &str) -> Option<&Arc<Resource>> {
        self.by_uri.get(uri).and_then(|&i| self.resources.get(i))
    }

    /// The first template (in registration order) matching `uri`, with the variables.
    pub fn find_template(
        &self,
        uri: &str,
    ) -> Option<(&Arc<ResourceTemplate>, BTreeMap<String, String>)> {
        self.templates
            .iter()
            .find_map(|t| t.template().matches(uri).map(|vars| (t, vars)))
    }

    /// The template written exactly as `uri_template`.
    pub fn template(&self, uri_template: &str) -> Option<&Arc<ResourceTemplate>> {
        self.templates
            .iter()
            .find(|t| t.template().as_str() == uri_template)
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
    use crate::registry::resource::tests::text_resource;
    use crate::registry::template::tests::template;

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
}
