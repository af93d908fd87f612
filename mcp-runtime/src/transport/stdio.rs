//! The stdio transport: newline-delimited JSON-RPC on stdin/stdout.
//!
//! - Nothing but MCP messages is written to stdout; logs go to stderr through `tracing`.
//! - Requests are handled concurrently (a slow tool does not hold up `ping`); one writer task
//!   serializes every outgoing message, so lines never interleave.
//! - A line longer than [`StdioConfig::max_line_bytes`] is discarded with an `Invalid Request`
//!   error; the process lives on.
//! - At end of input, requests in flight get [`StdioConfig::shutdown_grace`] to finish; the
//!   rest are cancelled; everything written is flushed, and the function returns.
//!
//! ```no_run
//! # async fn run(server: mcp_runtime::Server) -> std::io::Result<()> {
//! use mcp_runtime::transport::stdio::{StdioConfig, serve_stdio};
//! use mcp_runtime::Caller;
//! serve_stdio(server, Caller::local("local-user", ["orders:read"]), StdioConfig::default()).await
//! # }
//! ```

use crate::context::Caller;
use crate::jsonrpc::{ErrorObject, codes, error_response, parse_error};
use crate::protocol::{Connection, Server};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Settings of the stdio transport.
#[derive(Clone, Debug)]
pub struct StdioConfig {
    /// The longest accepted line, in bytes (default 4 MiB).
    pub max_line_bytes: usize,
    /// After stdin closes, how long requests still in flight may take to finish before they
    /// are cancelled (default 2 s).
    pub shutdown_grace: Duration,
}

impl Default for StdioConfig {
    fn default() -> Self {
        Self {
            max_line_bytes: 4 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// Serves `server` on the process's stdin and stdout until stdin closes.
///
/// # Errors
/// An I/O error reading stdin or writing stdout.
pub async fn serve_stdio(
    server: Server,
    caller: Caller,
    config: StdioConfig,
) -> std::io::Result<()> {
    serve(
        server,
        caller,
        config,
        BufReader::new(tokio::io::stdin()),
        tokio::io::stdout(),
    )
    .await
}

/// Serves `server` on any line-oriented byte stream (stdio, a pipe, a socket, a test buffer).
///
/// # Errors
/// An I/O error on either side.
pub async fn serve<R, W>(
    server: Server,
    caller: Caller,
    config: StdioConfig,
    mut input: R,
    output: W,
) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let connection = Arc::new(Connection::new());
    let caller = Arc::new(caller);
    let (tx, rx) = mpsc::unbounded_channel::<Value>();
    let writer = tokio::spawn(write_messages(rx, output));
    let mut tasks = JoinSet::new();
    let mut line = Vec::new();
    tracing::info!(server = %server.info().name, "serving MCP over stdio");
    loop {
        line.clear();
        match read_line(&mut input, &mut line, config.max_line_bytes).await? {
            Line::Eof => break,
            Line::TooLong(n) => {
                tracing::warn!(
                    bytes = n,
                    limit = config.max_line_bytes,
                    "discarding an oversized message"
                );
                let error = ErrorObject::new(
                    codes::INVALID_REQUEST,
                    format!(
                        "Invalid Request: message of {n} bytes exceeds the {} byte limit",
                        config.max_line_bytes
                    ),
                );
                let _ = tx.send(error_response(None, &error));
            }
            Line::Complete => {
                let text = trim_line(&line);
                if text.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let value = match std::str::from_utf8(text)
                    .map_err(|e| e.to_string())
                    .and_then(|s| serde_json::from_str::<Value>(s).map_err(|e| e.to_string()))
                {
                    Ok(v) => v,
                    Err(e) => {
                        let _ = tx.send(parse_error(e));
                        continue;
                    }
                };
                let future = server.dispatch(&connection, value, &caller, &tx);
                let tx = tx.clone();
                tasks.spawn(async move {
                    if let Some(response) = future.await {
                        let _ = tx.send(response);
                    }
                });
            }
        }
        while tasks.try_join_next().is_some() {}
    }
    tracing::info!(
        in_flight = connection.in_flight(),
        "stdin closed; shutting down"
    );
    let drained = tokio::time::timeout(config.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            in_flight = connection.in_flight(),
            "cancelling requests still in flight at shutdown"
        );
        connection.cancel_all();
        while tasks.join_next().await.is_some() {}
    }
    drop(tx);
    writer.await.map_err(std::io::Error::other)?
}

enum Line {
    Complete,
    TooLong(usize),
    Eof,
}

async fn read_line<R: AsyncBufRead + Unpin>(
    input: &mut R,
    line: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Line> {
    let mut discarded = 0usize;
    loop {
        let buf = input.fill_buf().await?;
        if buf.is_empty() {
            return Ok(if discarded > 0 {
                Line::TooLong(discarded)
            } else if line.is_empty() {
                Line::Eof
            } else {
                Line::Complete
            });
        }
        let (chunk, found) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let used = chunk.len();
        if discarded > 0 || line.len() + used > limit + 2 {
            discarded += line.len() + used;
            line.clear();
        } else {
            line.extend_from_slice(chunk);
        }
        input.consume(used);
        if found {
            return Ok(if discarded > 0 {
                Line::TooLong(discarded)
            } else {
                Line::Complete
            });
        }
    }
}

fn trim_line(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

async fn write_messages<W: AsyncWrite + Unpin>(
    mut rx: mpsc::UnboundedReceiver<Value>,
    mut output: W,
) -> std::io::Result<()> {
    while let Some(message) = rx.recv().await {
        let mut bytes = serde_json::to_vec(&message).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        output.write_all(&bytes).await?;
        output.flush().await?;
    }
    Ok(())
}
