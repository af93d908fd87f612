//! `#[tool]`, `#[prompt]`, `#[resource]` and `#[tools]` with the runtime crate renamed: here it is `runtime`, and
//! `::mcp_runtime` does not exist, so any path the expansion hard-codes fails to compile.
#![deny(unused_qualifications)]

use runtime::registry::{PromptMessage, ResourceError};
use runtime::{Content, Json, ToolError, prompt, resource, tool, tools};

/// An order's status.
#[derive(Debug, runtime::__private::serde::Serialize, runtime::__private::schemars::JsonSchema)]
#[serde(crate = "runtime::__private::serde")]
#[schemars(crate = "runtime::__private::schemars")]
pub struct Status {
    /// The state.
    pub state: String,
}

/// Look up one order.
#[tool(crate = "::runtime", scopes = ["orders:read"], read_only)]
pub async fn get_order_status(order_id: String) -> Result<Json<Status>, ToolError> {
    Ok(Json(Status { state: order_id }))
}

/// Summarize one order.
#[prompt(crate = "::runtime", scopes = ["orders:read"])]
pub async fn summarize(
    /// The order.
    order_id: String,
) -> Vec<PromptMessage> {
    vec![PromptMessage::user(Content::text(order_id))]
}

/// One order.
#[resource(
    crate = "runtime",
    uri = "orders://{id}",
    public,
    mime_type = "text/plain"
)]
pub async fn order(id: String) -> Result<String, ResourceError> {
    Ok(id)
}

/// The readme.
#[resource(crate = "runtime", uri = "docs://readme", public)]
pub async fn readme() -> &'static str {
    "hello"
}

/// A service.
#[derive(Debug)]
pub struct Orders;

#[tools(crate = "runtime")]
impl Orders {
    /// Count orders.
    #[tool(public)]
    pub async fn count(&self, ctx: &runtime::ToolContext) -> String {
        ctx.tool_name().to_owned()
    }

    /// Explain.
    #[prompt(public)]
    pub async fn explain(
        &self,
        #[arg(description = "The topic")] topic: Option<String>,
    ) -> Vec<PromptMessage> {
        vec![PromptMessage::user(Content::text(
            topic.unwrap_or_default(),
        ))]
    }

    /// A page.
    #[resource(uri = "docs://pages/{page}", public)]
    pub async fn page(&self, page: String) -> String {
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn tools_build_through_the_renamed_crate() {
        let server = runtime::Server::builder("renamed", "1.0")
            .tool(get_order_status_tool())
            .tools(Arc::new(Orders).tools())
            .build()
            .unwrap();
        let names: Vec<&str> = server.tools().iter().map(|t| t.name()).collect();
        assert_eq!(names, ["get_order_status", "count"]);
        let get = server.tools().get("get_order_status").unwrap();
        assert_eq!(get.output_schema().unwrap()["title"], "Status");

        let orders = Arc::new(Orders);
        let mut builder = runtime::Server::builder("renamed", "1.0")
            .prompt(summarize_prompt())
            .resource(readme_resource())
            .resource_template(order_resource_template());
        for p in Arc::clone(&orders).prompts() {
            builder = builder.prompt(p);
        }
        for t in orders.resource_templates() {
            builder = builder.resource_template(t);
        }
        let server = builder.build().unwrap();
        let names: Vec<&str> = server.prompts().iter().map(|p| p.name()).collect();
        assert_eq!(names, ["summarize", "explain"]);
        assert_eq!(server.resources().templates().count(), 2);
    }
}
