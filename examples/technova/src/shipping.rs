//! The downstream shipping service TechNova tells when an order is cancelled.
//!
//! TechNova calls it with **its own** credential (from the server's configuration), never with
//! the caller's token: the MCP transport validates the caller's token and drops it, and a
//! handler has no way to reach it.

use mcp_runtime::credentials::Secret;

/// Why the shipping service could not stop a shipment.
#[derive(Debug, thiserror::Error)]
pub enum ShippingError {
    /// The service could not be reached.
    #[error("the shipping service is unreachable: {0}")]
    Unreachable(#[from] reqwest::Error),
    /// The service refused.
    #[error("the shipping service refused to stop the shipment of {order} (HTTP {status})")]
    Refused {
        /// The order.
        order: String,
        /// The HTTP status it answered.
        status: u16,
    },
}

/// A client of the shipping service.
#[derive(Debug, Clone)]
pub struct Shipping {
    base_url: String,
    credential: Secret,
    http: reqwest::Client,
}

impl Shipping {
    /// A client for the service at `base_url`, authenticating with the server's `credential`.
    pub fn new(base_url: impl Into<String>, credential: Secret) -> Self {
        // reqwest is built without a bundled TLS provider; use ring (no C toolchain needed).
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            credential,
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .expect("an HTTP client"),
        }
    }

    /// Asks the service to stop the shipment of `order_id` (`POST /shipments/{id}/cancel`).
    ///
    /// # Errors
    /// The service is unreachable or refuses.
    pub async fn stop_shipment(&self, order_id: &str) -> Result<(), ShippingError> {
        let response = self
            .http
            .post(format!("{}/shipments/{order_id}/cancel", self.base_url))
            .bearer_auth(self.credential.expose())
            .send()
            .await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(ShippingError::Refused {
                order: order_id.to_owned(),
                status: response.status().as_u16(),
            })
        }
    }
}
