//! What every primitive shows clients: the title and description its builder collects (and
//! their setters), and the object a `*/list` result carries for it.

use super::Access;
use serde_json::{Map, Value};

/// The title and description a builder collects.
#[derive(Clone, Debug, Default)]
pub(super) struct Describe {
    /// A human-readable title.
    pub(super) title: Option<String>,
    /// What the primitive is or does.
    pub(super) description: Option<String>,
}

/// The `title` and `description` setters every builder shares. The builder needs a
/// `describe: Describe` field; the doc comments given document `description`.
macro_rules! describe_setters {
    ($(#[$description_doc:meta])*) => {
        /// A human-readable title.
        pub fn title(mut self, title: impl Into<String>) -> Self {
            self.describe.title = Some(title.into());
            self
        }

        $(#[$description_doc])*
        pub fn description(mut self, description: impl Into<String>) -> Self {
            self.describe.description = Some(description.into());
            self
        }
    };
}
pub(super) use describe_setters;

/// One object of a `*/list` result, written key by key; [`Listing::finish`] adds the
/// declared access under `_meta`.
#[derive(Debug, Default)]
pub(super) struct Listing(Map<String, Value>);

impl Listing {
    /// An empty object.
    pub(super) fn new() -> Self {
        Self::default()
    }

    /// Sets `key`.
    pub(super) fn field(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    /// Sets `key` when there is a value.
    pub(super) fn optional(self, key: &str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(value) => self.field(key, value),
            None => self,
        }
    }

    /// Sets `title` and `description`, those that are given.
    pub(super) fn described(self, describe: &Describe) -> Self {
        self.optional("title", describe.title.as_deref())
            .optional("description", describe.description.as_deref())
    }

    /// Adds `_meta` with the declared access and returns the object.
    pub(super) fn finish(mut self, access: &Access) -> Value {
        self.0.insert("_meta".to_owned(), access.listing_meta());
        Value::Object(self.0)
    }
}
