//! TechNova's tools: the methods of [`Orders`], declared with `#[tool]`.
//!
//! Each tool states the scopes it requires; the argument types describe themselves as JSON
//! Schema (with the same patterns and limits the server checks before a handler runs).

use crate::shipping::Shipping;
use crate::store::{Order, OrderStatus, Store};
use mcp_runtime::asking::{Elicitation, Elicited};
use mcp_runtime::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// An order id such as `TN-1001`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct OrderId(#[schemars(regex(pattern = r"^TN-[0-9]+$"))] pub String);

/// Why a customer cancels (at least three characters).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct CancelReason(#[schemars(length(min = 3))] pub String);

/// What the user confirms before an order is cancelled: asked of the person through the
/// client (elicitation), never taken from the model.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CancelConfirmation {
    /// Tick to cancel the order.
    pub confirm: bool,
    /// Why the customer cancels, in your words (recorded with the order).
    #[schemars(length(min = 3))]
    pub reason: String,
}

/// The reason the user gives for a cancellation already approved through the policy's
/// approval step (so the confirmation is not asked twice).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CancelReasonAnswer {
    /// Why the customer cancels, in your words (recorded with the order).
    #[schemars(length(min = 3))]
    pub reason: String,
}

/// The options of `export_orders_report`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportOptions {
    /// Pause per order, in milliseconds (default 200)
    #[schemars(range(max = 10_000))]
    pub step_ms: Option<u64>,
}

/// The status of one order, as `get_order_status` reports it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct OrderStatusReport {
    /// The order id.
    pub id: String,
    /// Where the order is.
    pub status: OrderStatus,
    /// What was ordered.
    pub item: String,
    /// The carrier's tracking number, once shipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
}

/// The orders `list_orders` found.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct OrderList {
    /// The orders, in id order.
    pub orders: Vec<Order>,
    /// How many there are.
    pub count: usize,
}

/// The summary `export_orders_report` builds.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct OrdersReport {
    /// How many orders were counted.
    pub orders: usize,
    /// Orders per status.
    pub by_status: BTreeMap<String, usize>,
}

/// The order tools, over one order book.
#[derive(Debug)]
pub struct Orders {
    store: Arc<Store>,
    shipping: Option<Shipping>,
}

impl Orders {
    /// The tools over `store`.
    pub fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            shipping: None,
        }
    }

    /// Tells `shipping` about every cancellation before it is recorded.
    #[must_use]
    pub fn with_shipping(mut self, shipping: Shipping) -> Self {
        self.shipping = Some(shipping);
        self
    }
}

#[tools]
impl Orders {
    /// Look up the shipping status of one order by its id (for example `TN-1001`).
    #[tool(
        scopes = ["orders:read"],
        title = "Order status",
        read_only,
        idempotent,
        open_world = false
    )]
    pub async fn get_order_status(
        &self,
        #[arg(description = "The order id, e.g. TN-1001")] order_id: OrderId,
    ) -> Result<Json<OrderStatusReport>, ToolError> {
        let id = order_id.0;
        let order = self
            .store
            .get_order(&id)
            .await?
            .ok_or_else(|| ToolError::new(format!("No order with id {id}.")))?;
        Ok(Json(OrderStatusReport {
            id: order.id,
            status: order.status,
            item: order.item,
            tracking: order.tracking,
        }))
    }

    /// List orders, optionally only those of one customer (e-mail) or in one status.
    #[tool(scopes = ["orders:read"], title = "List orders", read_only, open_world = false)]
    pub async fn list_orders(
        &self,
        #[arg(description = "Customer e-mail address")] customer: Option<String>,
        #[arg(description = "Only orders in this status")] status: Option<OrderStatus>,
    ) -> Result<Json<OrderList>, ToolError> {
        let orders = self.store.list_orders(customer.as_deref(), status).await?;
        Ok(Json(OrderList {
            count: orders.len(),
            orders,
        }))
    }

    /// Cancel an order that has not shipped yet. Requires a reason, which is recorded. The
    /// user is asked to confirm and to give the reason when the client can ask them.
    #[tool(
        scopes = ["orders:write"],
        title = "Cancel order",
        destructive,
        idempotent = false,
        open_world = false
    )]
    pub async fn cancel_order(
        &self,
        ctx: &ToolContext,
        order_id: OrderId,
        #[arg(description = "Why the customer cancels")] reason: CancelReason,
    ) -> Result<String, ToolError> {
        let id = &order_id.0;
        let current = self
            .store
            .get_order(id)
            .await?
            .ok_or_else(|| ToolError::new(format!("No order with id {id}.")))?;
        if !matches!(
            current.status,
            OrderStatus::Pending | OrderStatus::Processing
        ) {
            return Err(ToolError::new(format!(
                "Order {id} is already {} and can no longer be cancelled.",
                current.status.as_str()
            )));
        }
        // Asked before anything changes: in 2026-07-28 the handler runs again with the answer.
        let reason = match confirm(ctx, &current, &reason.0).await? {
            Confirmed::Yes { reason } => reason,
            Confirmed::No(why) => {
                return Err(ToolError::new(format!(
                    "Order {id} was not cancelled: {why}. Nothing was changed."
                )));
            }
        };
        if let Some(shipping) = &self.shipping {
            shipping.stop_shipment(id).await?;
        }
        let order = self.store.cancel_order(id, &reason).await?;
        tracing::info!(order = %order.id, by = ctx.caller().subject(), "order cancelled");
        Ok(format!("Order {} is cancelled.", order.id))
    }

    /// Build a summary report of all orders by status. Long-running: reports progress while it works.
    #[tool(scopes = ["reports:run"], title = "Orders report", read_only, open_world = false)]
    pub async fn export_orders_report(
        &self,
        ctx: &ToolContext,
        #[arg(flatten)] options: ReportOptions,
    ) -> Result<Json<OrdersReport>, ToolError> {
        let step = Duration::from_millis(options.step_ms.unwrap_or(200));
        let orders = self.store.list_orders(None, None).await?;
        let total = orders.len();
        ctx.log(
            LogLevel::Info,
            format!("building a report over {total} orders"),
        );
        let mut by_status = BTreeMap::<String, usize>::new();
        for (i, order) in orders.iter().enumerate() {
            tokio::time::sleep(step).await;
            *by_status
                .entry(order.status.as_str().to_owned())
                .or_default() += 1;
            ctx.progress(
                (i + 1) as f64,
                Some(total as f64),
                Some(&format!("processed {}", order.id)),
            );
        }
        Ok(Json(OrdersReport {
            orders: total,
            by_status,
        }))
    }
}

/// What the user said about one cancellation.
enum Confirmed {
    /// Go ahead, recording this reason.
    Yes { reason: String },
    /// Stop, for this reason (for the result).
    No(&'static str),
}

/// Asks the user to confirm cancelling `order` and to give the reason, and records the
/// answer in the audit stream.
///
/// - When the policy's approval step already asked (`approval = "required"`), only the
///   reason is asked: the user confirms once per cancel.
/// - When the client cannot ask its user (no `elicitation` capability), the cancel goes ahead
///   with the reason in the arguments, recorded as `confirmation="not_asked"`: whether a
///   person must approve is the policy's decision (TechNova requires it in `local` and
///   `prod`, where such a client is refused before this handler runs).
async fn confirm(
    ctx: &ToolContext,
    order: &Order,
    suggested: &str,
) -> Result<Confirmed, ToolError> {
    let id = order.id.as_str();
    let (confirmation, outcome) = if !ctx.can_elicit() {
        let reason = suggested.to_owned();
        ("not_asked", Confirmed::Yes { reason })
    } else if ctx.approved() {
        let message = format!(
            "Cancelling order {id} ({}). Why does the customer cancel? \
             The assistant suggests: \"{suggested}\"",
            order.item
        );
        let ask = Elicitation::for_type::<CancelReasonAnswer>(message).key("cancel_reason");
        match ctx.elicit::<CancelReasonAnswer>(ask).await? {
            Elicited::Accept(CancelReasonAnswer { reason }) => {
                ("approved", Confirmed::Yes { reason })
            }
            Elicited::Decline => ("declined", Confirmed::No("the user gave no reason")),
            Elicited::Cancel => (
                "cancelled",
                Confirmed::No("the user dismissed the question"),
            ),
        }
    } else {
        let message = format!(
            "Cancel order {id} ({}, {})? Confirm and give the reason. \
             The assistant suggests: \"{suggested}\"",
            order.item,
            order.status.as_str()
        );
        let ask = Elicitation::for_type::<CancelConfirmation>(message).key("cancel_confirmation");
        match ctx.elicit::<CancelConfirmation>(ask).await? {
            Elicited::Accept(CancelConfirmation {
                confirm: true,
                reason,
            }) => ("confirmed", Confirmed::Yes { reason }),
            Elicited::Accept(_) | Elicited::Decline => {
                ("declined", Confirmed::No("the user declined"))
            }
            Elicited::Cancel => (
                "cancelled",
                Confirmed::No("the user dismissed the question"),
            ),
        }
    };
    let reason = match &outcome {
        Confirmed::Yes { reason } => reason.as_str(),
        Confirmed::No(_) => "",
    };
    if matches!(outcome, Confirmed::Yes { .. }) && reason.chars().count() < 3 {
        return Err(ToolError::new(format!(
            "Order {id} was not cancelled: the reason must have at least three characters. \
             Nothing was changed."
        )));
    }
    // The audit stream (`mcp::audit`): who, which order, what the user answered. The reason
    // is what the user typed for the order's record; no token or secret is in it.
    tracing::info!(
        target: "mcp::audit",
        subject = ctx.caller().subject(),
        client_id = ctx.caller().client_id().unwrap_or("-"),
        tool = "cancel_order",
        order = id,
        confirmation,
        reason,
        "cancel confirmation"
    );
    Ok(outcome)
}
