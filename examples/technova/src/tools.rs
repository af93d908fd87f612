//! TechNova's tools, registered with the runtime's builder API.

use crate::store::{OrderStatus, Store};
use mcp_runtime::registry::RegistryError;
use mcp_runtime::{CallToolResult, Content, LogLevel, Tool, ToolContext, ToolError};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

fn store(ctx: &ToolContext) -> Result<&Arc<Store>, ToolError> {
    ctx.state::<Arc<Store>>()
        .ok_or_else(|| ToolError::new("the order store is not configured"))
}

fn str_arg<'a>(args: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    args.get(key).and_then(Value::as_str)
}

/// Every TechNova tool.
pub fn all() -> Vec<Result<Tool, RegistryError>> {
    vec![
        get_order_status(),
        list_orders(),
        cancel_order(),
        export_orders_report(),
    ]
}

fn get_order_status() -> Result<Tool, RegistryError> {
    Tool::builder("get_order_status")
        .title("Order status")
        .description("Look up the shipping status of one order by its id (for example `TN-1001`).")
        .input_schema(json!({
            "type": "object",
            "properties": { "order_id": { "type": "string", "description": "The order id, e.g. TN-1001", "pattern": "^TN-[0-9]+$" } },
            "required": ["order_id"],
            "additionalProperties": false
        }))
        .output_schema(json!({
            "type": "object",
            "properties": {
                "id": {"type": "string"}, "status": {"type": "string"}, "item": {"type": "string"},
                "tracking": {"type": "string"}
            },
            "required": ["id", "status", "item"]
        }))
        .scopes(["orders:read"])
        .read_only(true)
        .idempotent(true)
        .open_world(false)
        .handler(|ctx, args| async move {
            let id = str_arg(&args, "order_id").unwrap_or_default();
            let order = store(&ctx)?.get(id)?.ok_or_else(|| ToolError::new(format!("No order with id {id}.")))?;
            let mut out = json!({ "id": order.id, "status": order.status, "item": order.item });
            if let Some(t) = order.tracking {
                out["tracking"] = json!(t);
            }
            Ok(CallToolResult::structured(out))
        })
        .build()
}

fn list_orders() -> Result<Tool, RegistryError> {
    Tool::builder("list_orders")
        .title("List orders")
        .description("List orders, optionally only those of one customer (e-mail) or in one status.")
        .input_schema(json!({
            "type": "object",
            "properties": {
                "customer": { "type": "string", "description": "Customer e-mail address" },
                "status": { "type": "string", "enum": ["pending", "processing", "shipped", "delivered", "cancelled"] }
            },
            "additionalProperties": false
        }))
        .scopes(["orders:read"])
        .read_only(true)
        .open_world(false)
        .handler(|ctx, args| async move {
            let status = str_arg(&args, "status").and_then(OrderStatus::parse);
            let orders = store(&ctx)?.list(str_arg(&args, "customer"), status)?;
            Ok(CallToolResult::structured(json!({ "orders": orders, "count": orders.len() })))
        })
        .build()
}

fn cancel_order() -> Result<Tool, RegistryError> {
    Tool::builder("cancel_order")
        .title("Cancel order")
        .description("Cancel an order that has not shipped yet. Requires a reason, which is recorded.")
        .input_schema(json!({
            "type": "object",
            "properties": {
                "order_id": { "type": "string", "pattern": "^TN-[0-9]+$" },
                "reason": { "type": "string", "minLength": 3, "description": "Why the customer cancels" }
            },
            "required": ["order_id", "reason"],
            "additionalProperties": false
        }))
        .scopes(["orders:write"])
        .destructive(true)
        .idempotent(false)
        .open_world(false)
        .handler(|ctx, args| async move {
            let id = str_arg(&args, "order_id").unwrap_or_default();
            let reason = str_arg(&args, "reason").unwrap_or_default();
            let order = store(&ctx)?.cancel(id, reason)?;
            tracing::info!(order = %order.id, by = ctx.caller().subject(), "order cancelled");
            Ok(CallToolResult::success(vec![Content::text(format!("Order {} is cancelled.", order.id))]))
        })
        .build()
}

fn export_orders_report() -> Result<Tool, RegistryError> {
    Tool::builder("export_orders_report")
        .title("Orders report")
        .description(
            "Build a summary report of all orders by status. Long-running: reports progress while it works.",
        )
        .input_schema(json!({
            "type": "object",
            "properties": {
                "step_ms": { "type": "integer", "minimum": 0, "maximum": 10000, "description": "Pause per order, in milliseconds (default 200)" }
            },
            "additionalProperties": false
        }))
        .scopes(["reports:run"])
        .read_only(true)
        .open_world(false)
        .handler(|ctx, args| async move {
            let step = Duration::from_millis(args.get("step_ms").and_then(Value::as_u64).unwrap_or(200));
            let orders = store(&ctx)?.list(None, None)?;
            let total = orders.len();
            ctx.log(LogLevel::Info, format!("building a report over {total} orders"));
            let mut counts = std::collections::BTreeMap::<String, usize>::new();
            for (i, order) in orders.iter().enumerate() {
                tokio::time::sleep(step).await;
                let key = serde_json::to_value(order.status)?.as_str().unwrap_or("unknown").to_owned();
                *counts.entry(key).or_default() += 1;
                ctx.progress((i + 1) as f64, Some(total as f64), Some(&format!("processed {}", order.id)));
            }
            Ok(CallToolResult::structured(json!({ "orders": total, "by_status": counts })))
        })
        .build()
}
