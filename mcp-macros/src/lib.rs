//! Procedural macros for [`mcp-runtime`](https://docs.rs/mcp-runtime).
//!
//! Applications use these through `mcp_runtime`, which re-exports them; depend on
//! `mcp-runtime` only.
