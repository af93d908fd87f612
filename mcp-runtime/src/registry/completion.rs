//! Completers: how prompts and resource templates suggest values for their arguments and
//! variables (`completion/complete`).

/// Suggests completions for `(variable or argument name, partial value)`.
pub(super) type Completer = dyn Fn(&str, &str) -> Vec<String> + Send + Sync;

/// The `completer` setter of the builders that complete; the doc comments given document
/// it. The builder needs a `completer: Option<Arc<Completer>>` field.
macro_rules! completer_setter {
    ($(#[$doc:meta])*) => {
        $(#[$doc])*
        pub fn completer<F>(mut self, completer: F) -> Self
        where
            F: Fn(&str, &str) -> Vec<String> + Send + Sync + 'static,
        {
            self.completer = Some(::std::sync::Arc::new(completer));
            self
        }
    };
}
pub(super) use completer_setter;
