//! TechNova order assistant: the order store, the tools, and the server that combines them.
//! The `technova` binary serves it; tests and benchmarks build it in-process.
//!
//! Configuration (all optional), read by [`Settings::from_env`]:
//!
//! | variable | meaning |
//! |---|---|
//! | `TECHNOVA_DB` | the SQLite file (default `technova.db`; `:memory:` for a throwaway one) |
//! | `TECHNOVA_SHIPPING_URL` | the shipping service told about cancellations |
//! | `TECHNOVA_BACKEND_SHIPPING` | the server's own credential for it (or `shipping = …` in `TECHNOVA_SECRETS_FILE`) |

pub mod shipping;
pub mod store;
pub mod tools;

use anyhow::Context as _;
use mcp_runtime::Server;
use mcp_runtime::credentials::BackendCredentials;
use mcp_runtime::protocol::{ResolveError, ResourceRef};
use mcp_runtime::registry::RegistryError;
use std::path::PathBuf;
use std::sync::Arc;

/// The TechNova server with a fresh in-memory order book and no downstream services.
///
/// # Errors
/// The tool definition errors, if any tool is misdeclared.
pub fn server() -> Result<Server, Vec<RegistryError>> {
    assemble(
        Arc::new(store::Store::with_sample_data()),
        tools::Orders::new,
    )
}

fn assemble(
    store: Arc<store::Store>,
    orders: impl FnOnce(Arc<store::Store>) -> tools::Orders,
) -> Result<Server, Vec<RegistryError>> {
    let owners = Arc::clone(&store);
    Server::builder("technova-orders", env!("CARGO_PKG_VERSION"))
        .title("TechNova order assistant")
        .instructions("Look up, list and cancel TechNova orders. Order ids look like TN-1001.")
        .tools(Arc::new(orders(Arc::clone(&store))).tools())
        // `cancel_order` acts on the order its `order_id` names; policy conditions read the
        // order's tenant and customer as `resource.tenant` and `resource.owner`.
        .resource_argument("cancel_order", "order_id")
        .resource_resolver(move |r| order_owner(Arc::clone(&owners), r))
        .state(store)
        .build()
}

/// The tenant and customer of the order a call names (the ownership hook of the policy).
async fn order_owner(
    store: Arc<store::Store>,
    r: ResourceRef,
) -> Result<serde_json::Map<String, serde_json::Value>, ResolveError> {
    let id = r.value.as_str().unwrap_or_default();
    match store.owner_of(id).await {
        Ok(Some((tenant, owner))) => {
            let mut resource = serde_json::Map::new();
            resource.insert("tenant".into(), tenant.into());
            resource.insert("owner".into(), owner.into());
            Ok(resource)
        }
        Ok(None) => Err(ResolveError::new(format!("no order with id {id}"))),
        Err(e) => Err(ResolveError::new(format!(
            "the order book is unavailable: {e}"
        ))),
    }
}

/// Where the order book lives and which downstream services the server talks to.
#[derive(Debug, Default)]
pub struct Settings {
    /// The SQLite file; `None` keeps the order book in memory.
    pub database: Option<PathBuf>,
    /// The shipping service's base URL.
    pub shipping_url: Option<String>,
    /// The server's own credentials for downstream services.
    pub credentials: BackendCredentials,
}

impl Settings {
    /// Reads the settings from the environment (see the crate docs).
    ///
    /// # Errors
    /// `TECHNOVA_SECRETS_FILE` names a file that cannot be read.
    pub fn from_env() -> anyhow::Result<Self> {
        let database = match std::env::var("TECHNOVA_DB") {
            Ok(v) if v == ":memory:" => None,
            Ok(v) => Some(PathBuf::from(v)),
            Err(_) => Some(PathBuf::from("technova.db")),
        };
        let mut credentials = match std::env::var_os("TECHNOVA_SECRETS_FILE") {
            Some(path) => BackendCredentials::from_file(&path).with_context(|| {
                format!(
                    "reading TECHNOVA_SECRETS_FILE {}",
                    PathBuf::from(&path).display()
                )
            })?,
            None => BackendCredentials::new(),
        };
        let from_env = BackendCredentials::from_env("TECHNOVA_BACKEND_");
        for name in from_env.names() {
            if let Some(secret) = from_env.get(name) {
                credentials.insert(name, secret.expose());
            }
        }
        Ok(Self {
            database,
            shipping_url: std::env::var("TECHNOVA_SHIPPING_URL")
                .ok()
                .filter(|u| !u.is_empty()),
            credentials,
        })
    }
}

/// Builds the server from `settings`: opens (creating and seeding on first use) the order
/// database and connects the shipping service with the server's own credential.
///
/// # Errors
/// The database cannot be opened, the shipping service has no credential, or a tool is
/// misdeclared.
pub fn build(settings: Settings) -> anyhow::Result<Server> {
    let store = match &settings.database {
        Some(path) => store::Store::open(path)
            .with_context(|| format!("opening the order database {}", path.display()))?,
        None => store::Store::in_memory()?,
    };
    tracing::info!(
        database = %settings.database.as_deref().map_or_else(|| ":memory:".into(), |p| p.display().to_string()),
        "order book ready"
    );
    let shipping = match &settings.shipping_url {
        Some(url) => {
            let credential = settings.credentials.get("shipping").cloned().context(
                "TECHNOVA_SHIPPING_URL is set but the server has no `shipping` credential \
                 (set TECHNOVA_BACKEND_SHIPPING or `shipping = ...` in TECHNOVA_SECRETS_FILE)",
            )?;
            Some(shipping::Shipping::new(url.clone(), credential))
        }
        None => None,
    };
    assemble(Arc::new(store), |store| {
        let orders = tools::Orders::new(store);
        match shipping {
            Some(s) => orders.with_shipping(s),
            None => orders,
        }
    })
    .map_err(|errors| anyhow::anyhow!("invalid tool definitions: {errors:?}"))
}
