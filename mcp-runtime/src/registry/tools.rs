//! [`ToolRegistry`]: every tool of a server, by name and in registration order, and the
//! scopes they declare.

use super::{RegistryError, Tool};
use foldhash::HashMap;
use std::sync::Arc;

/// All tools of a server, in registration order (the order `tools/list` uses).
#[derive(Clone, Debug, Default)]
pub struct ToolRegistry {
    tools: Vec<Arc<Tool>>,
    by_name: HashMap<String, usize>,
}

impl ToolRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool.
    ///
    /// # Errors
    /// [`RegistryError::Duplicate`] when the name is taken.
    pub fn register(&mut self, tool: Tool) -> Result<(), RegistryError> {
        if self.by_name.contains_key(tool.name()) {
            return Err(RegistryError::Duplicate(tool.name().to_owned()));
        }
        self.by_name
            .insert(tool.name().to_owned(), self.tools.len());
        self.tools.push(Arc::new(tool));
        Ok(())
    }

    /// Looks a tool up by name.
    pub fn get(&self, name: &str) -> Option<&Arc<Tool>> {
        self.by_name.get(name).and_then(|&i| self.tools.get(i))
    }

    /// All tools, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Tool>> {
        self.tools.iter()
    }

    /// Number of tools.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether there are no tools.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// The scopes a `401` challenge asks for when the request is not a call of one tool:
    /// those of the read-only tools (least privilege first; clients step up to write scopes
    /// through a `403 insufficient_scope` when they need them), or every declared scope when
    /// no tool is marked read-only. Sorted and deduplicated.
    pub fn baseline_scopes(&self) -> Vec<String> {
        let read: Vec<String> = self
            .tools
            .iter()
            .filter(|t| t.annotations().read_only == Some(true))
            .flat_map(|t| t.access().scopes().to_vec())
            .collect();
        if read.is_empty() {
            return self.declared_scopes();
        }
        sorted_unique(read)
    }

    /// Every scope any tool declares, sorted and deduplicated.
    pub fn declared_scopes(&self) -> Vec<String> {
        sorted_unique(
            self.tools
                .iter()
                .flat_map(|t| t.access().scopes().to_vec())
                .collect(),
        )
    }
}

fn sorted_unique(mut scopes: Vec<String>) -> Vec<String> {
    scopes.sort();
    scopes.dedup();
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::tool::tests::base;

    #[test]
    fn baseline_scopes_prefer_read_only_tools() {
        let mut r = ToolRegistry::new();
        r.register(base("w").scopes(["orders:write"]).build().unwrap())
            .unwrap();
        assert_eq!(
            r.baseline_scopes(),
            ["orders:write"],
            "no read-only tool: everything"
        );
        r.register(
            base("r")
                .scopes(["orders:read"])
                .read_only(true)
                .build()
                .unwrap(),
        )
        .unwrap();
        r.register(base("p").read_only(true).build().unwrap())
            .unwrap();
        assert_eq!(r.baseline_scopes(), ["orders:read"]);
        assert_eq!(r.declared_scopes(), ["orders:read", "orders:write"]);
    }

    #[test]
    fn duplicates_are_refused() {
        let mut r = ToolRegistry::new();
        r.register(base("a").build().unwrap()).unwrap();
        assert_eq!(
            r.register(base("a").build().unwrap()),
            Err(RegistryError::Duplicate("a".into()))
        );
    }
}
