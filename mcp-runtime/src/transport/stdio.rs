//! The stdio transport: newline-delimited JSON-RPC on stdin/stdout.
//!
//! - Nothing but MCP messages is written to stdout; logs go to stderr through `tracing`.
//! - Requests are handled concurrently (a slow tool does not hold up `ping`); one writer task
//!   serializes every outgoing message, so lines never interleave.
//! - Memory stays bounded: at most [`StdioConfig::max_in_flight`] requests are handled at once.
//!   At that cap the next request waits for one to finish, and nothing after it is read in
//!   the meantime, so a client that sends faster than the server answers is held back by the
//!   pipe. Responses wait for stdout in a bounded queue, and a request keeps its place until
//!   its response is queued, so a client that stops reading stdout stops the reading too.
//! - Order-sensitive messages take effect in arrival order: `initialize`, `logging/setLevel`
//!   and notifications (such as `notifications/cancelled`) are handled before the next line is
//!   read. Notifications never wait for a place, so a client at the cap can still cancel.
//! - A line longer than [`StdioConfig::max_line_bytes`] is discarded with an `Invalid Request`
//!   error; the process lives on.
//! - Server-to-client requests (legacy elicitation, sampling, roots) are written like any
//!   message, and the client's responses read from stdin are handed to the waiting handler.
//! - At end of input, requests to the client fail at once (no answer can come); requests in
//!   flight get [`StdioConfig::shutdown_grace`] to finish; the rest are cancelled; everything written is flushed, and the function returns. End of input
//!   is noticed while a request waits for a place, too.
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
use futures::FutureExt as _;
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;

/// Settings of the stdio transport.
#[derive(Clone, Debug)]
pub struct StdioConfig {
    /// The longest accepted line, in bytes (default 4 MiB).
    pub max_line_bytes: usize,
    /// After stdin closes, how long requests still in flight may take to finish before they
    /// are cancelled (default 2 s).
    pub shutdown_grace: Duration,
    /// The most requests handled at once (default 64; `0` counts as 1). A batch takes one
    /// place per request in it, up to this cap. When every place is taken, the next request
    /// waits for one to free up before it is dispatched, and no further line is read until
    /// then. This also bounds the responses waiting for stdout.
    pub max_in_flight: usize,
}

impl Default for StdioConfig {
    fn default() -> Self {
        Self {
            max_line_bytes: 4 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(2),
            max_in_flight: 64,
        }
    }
}

/// Serves `server` on the process's stdin and stdout until stdin closes.
///
/// When stdin or stdout is a pipe or a Unix socket (as when a client spawns the server), it
/// is read or written directly by the runtime's I/O driver, in non-blocking mode. Otherwise
/// (a terminal, a file) `tokio`'s stdin and stdout are used, which hand each read and write
/// to a blocking thread: one more thread to wake per message each way.
///
/// The non-blocking mode belongs to the pipe or socket, so a child process that inherits
/// stdout shares it; nothing but this transport may write to stdout anyway (it carries only
/// MCP messages), and a child a tool starts should be given its own stdout.
///
/// # Errors
/// An I/O error reading stdin or writing stdout.
pub async fn serve_stdio(
    server: Server,
    caller: Caller,
    config: StdioConfig,
) -> std::io::Result<()> {
    let (input, output) = streams::stdio();
    serve(server, caller, config, BufReader::new(input), output).await
}

/// The process's stdin and stdout as asynchronous streams.
mod streams {
    use tokio::io::{AsyncRead, AsyncWrite};

    pub(super) type Input = Box<dyn AsyncRead + Unpin + Send>;
    pub(super) type Output = Box<dyn AsyncWrite + Unpin + Send>;

    /// Pipes and Unix sockets through the I/O driver; anything else through `tokio`'s
    /// blocking-thread stdin and stdout.
    pub(super) fn stdio() -> (Input, Output) {
        #[cfg(unix)]
        {
            let input = unix::input()
                .inspect_err(|why| tracing::debug!(%why, "stdin is read on a blocking thread"))
                .unwrap_or_else(|_| Box::new(tokio::io::stdin()));
            let output = unix::output()
                .inspect_err(|why| tracing::debug!(%why, "stdout is written on a blocking thread"))
                .unwrap_or_else(|_| Box::new(tokio::io::stdout()));
            (input, output)
        }
        #[cfg(not(unix))]
        {
            (Box::new(tokio::io::stdin()), Box::new(tokio::io::stdout()))
        }
    }

    #[cfg(unix)]
    mod unix {
        use super::{Input, Output};
        use std::io;
        use std::os::fd::{AsFd, OwnedFd};
        use std::os::unix::fs::FileTypeExt as _;
        use tokio::net::UnixStream;
        use tokio::net::unix::pipe;

        /// What a standard stream is.
        enum Kind {
            Pipe,
            Socket,
        }

        /// A duplicate of `fd` (the process's own descriptor stays as it is, bar the
        /// non-blocking flag the two share), if it is a pipe or a socket.
        fn duplicate(fd: impl AsFd) -> io::Result<(OwnedFd, Kind)> {
            let file = std::fs::File::from(fd.as_fd().try_clone_to_owned()?);
            let file_type = file.metadata()?.file_type();
            let fd = OwnedFd::from(file);
            let kind = if file_type.is_fifo() {
                Kind::Pipe
            } else if file_type.is_socket() {
                Kind::Socket
            } else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "neither a pipe nor a socket",
                ));
            };
            Ok((fd, kind))
        }

        fn socket(fd: OwnedFd) -> io::Result<UnixStream> {
            let stream = std::os::unix::net::UnixStream::from(fd);
            stream.set_nonblocking(true)?;
            UnixStream::from_std(stream)
        }

        pub(super) fn input() -> io::Result<Input> {
            Ok(match duplicate(io::stdin())? {
                (fd, Kind::Pipe) => Box::new(pipe::Receiver::from_owned_fd(fd)?),
                (fd, Kind::Socket) => Box::new(socket(fd)?),
            })
        }

        pub(super) fn output() -> io::Result<Output> {
            Ok(match duplicate(io::stdout())? {
                (fd, Kind::Pipe) => Box::new(pipe::Sender::from_owned_fd(fd)?),
                (fd, Kind::Socket) => Box::new(socket(fd)?),
            })
        }
    }
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
    let cap = config.max_in_flight.clamp(1, u32::MAX as usize);
    let places = Arc::new(Semaphore::new(cap));
    // Responses and transport errors: bounded, so a stalled stdout stalls the reading.
    let (tx, responses) = mpsc::channel::<Value>(cap);
    // Handlers' notifications (progress, log messages). The dispatcher's `Outbound` is an
    // unbounded sender because handlers emit synchronously; the cap on requests in flight
    // bounds how many handlers can be emitting.
    let (notes_tx, notes) = mpsc::unbounded_channel::<Value>();
    let writer = tokio::spawn(write_messages(responses, notes, output));
    // Published changes for this connection, through the bounded queue: a stalled stdout
    // makes the feed fall behind (and resync) rather than grow memory.
    let pump = tokio::spawn(forward_changes(
        server.feed(connection.clone(), caller.clone()),
        tx.clone(),
    ));
    let mut tasks = JoinSet::new();
    let mut line = Vec::new();
    tracing::info!(server = %server.info().name, max_in_flight = cap, "serving MCP over stdio");
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
                let _ = tx.send(error_response(None, &error)).await;
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
                        let _ = tx.send(parse_error(e)).await;
                        continue;
                    }
                };
                let wanted = requests_in(&value).min(cap);
                let place = if wanted == 0 {
                    None
                } else {
                    match wait_for_place(&places, wanted, &mut input).await {
                        Some(place) => Some(place),
                        None => {
                            // Input ended while this request waited: it was read, so it gets
                            // the same grace as the requests in flight.
                            let future = server.dispatch(&connection, value, &caller, &notes_tx);
                            tasks.spawn(respond(future, tx.clone(), None));
                            break;
                        }
                    }
                };
                // Order-sensitive work happens here, before the next line is read.
                let mut future = server.dispatch(&connection, value, &caller, &notes_tx);
                match place {
                    // A request that completes on its first poll (most do: the handler does
                    // not wait on anything) is answered here, without a task of its own. A
                    // panic ends it without an answer, as it would end its task.
                    Some(place) => {
                        match AssertUnwindSafe(&mut future).catch_unwind().now_or_never() {
                            Some(Ok(response)) => {
                                if let Some(response) = response {
                                    let _ = tx.send(response).await;
                                }
                                drop(place);
                            }
                            Some(Err(_panic)) => drop(place),
                            None => {
                                tasks.spawn(respond(future, tx.clone(), Some(place)));
                            }
                        }
                    }
                    // Notifications, responses and invalid messages are answered at once.
                    None => match (&mut future).now_or_never() {
                        Some(Some(response)) => {
                            let _ = tx.send(response).await;
                        }
                        Some(None) => {}
                        None => {
                            tasks.spawn(respond(future, tx.clone(), None));
                        }
                    },
                }
            }
        }
        while tasks.try_join_next().is_some() {}
    }
    tracing::info!(
        in_flight = connection.in_flight(),
        "stdin closed; shutting down"
    );
    // No answer to the server's own requests can arrive any more: the handlers waiting for
    // one are told at once instead of waiting out the grace period.
    connection.pending().cancel_all();
    // Listen streams end gracefully, each answering its request.
    connection.close_subscriptions();
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
    pump.abort();
    let _ = pump.await;
    drop(tx);
    drop(notes_tx);
    writer.await.map_err(std::io::Error::other)?
}

/// Runs one dispatched message and queues its response; its place (if any) is given back
/// only once the response is queued.
async fn respond(
    future: futures::future::BoxFuture<'static, Option<Value>>,
    tx: mpsc::Sender<Value>,
    place: Option<OwnedSemaphorePermit>,
) {
    if let Some(response) = future.await {
        let _ = tx.send(response).await;
    }
    drop(place);
}

/// How many places a message takes: one per request (an object with `method` and `id`), so
/// none for notifications and responses.
fn requests_in(message: &Value) -> usize {
    let is_request = |v: &Value| {
        v.as_object()
            .is_some_and(|o| o.contains_key("method") && o.contains_key("id"))
    };
    match message {
        Value::Array(items) => items.iter().filter(|v| is_request(v)).count(),
        other => usize::from(is_request(other)),
    }
}

/// Waits for `wanted` places; `None` if the input ends first. Only end of input is looked
/// for: buffered lines stay unread until the places are free.
async fn wait_for_place<R: AsyncBufRead + Unpin>(
    places: &Arc<Semaphore>,
    wanted: usize,
    input: &mut R,
) -> Option<OwnedSemaphorePermit> {
    let wanted = u32::try_from(wanted).unwrap_or(u32::MAX);
    if let Ok(place) = places.clone().try_acquire_many_owned(wanted) {
        return Some(place);
    }
    tracing::debug!("every place is taken; reading waits for a request to finish");
    let ended = async {
        // `fill_buf` reads without consuming; an empty buffer is the end of input. If more
        // is buffered (or reading fails) there is nothing to do but wait for the place.
        match input.fill_buf().await {
            Ok([]) => {}
            _ => std::future::pending().await,
        }
    };
    tokio::select! {
        place = places.clone().acquire_many_owned(wanted) => place.ok(),
        () = ended => None,
    }
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

/// How many bytes of waiting messages `write_messages` gathers into one write.
const WRITE_BATCH_BYTES: usize = 64 * 1024;

/// Appends `message` and its newline to `bytes`.
fn push_line(bytes: &mut Vec<u8>, message: &Value) -> std::io::Result<()> {
    serde_json::to_writer(&mut *bytes, message).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    Ok(())
}

fn trim_line(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

/// Sends the connection's notifications of published changes until the server is gone.
async fn forward_changes(mut feed: crate::protocol::Feed, tx: mpsc::Sender<Value>) {
    while let Some(messages) = feed.next().await {
        for message in messages {
            if tx.send(message).await.is_err() {
                return;
            }
        }
    }
}

/// Writes every message, one per line. Notifications go first when both are waiting: a
/// handler queues its notifications before its response, so they stay ahead of it.
///
/// Messages already waiting are written together, with one write and one flush (up to
/// [`WRITE_BATCH_BYTES`]).
async fn write_messages<W: AsyncWrite + Unpin>(
    mut responses: mpsc::Receiver<Value>,
    mut notes: mpsc::UnboundedReceiver<Value>,
    mut output: W,
) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(1024);
    loop {
        let message = tokio::select! {
            biased;
            Some(note) = notes.recv() => note,
            Some(response) = responses.recv() => response,
            else => break,
        };
        bytes.clear();
        push_line(&mut bytes, &message)?;
        while bytes.len() < WRITE_BATCH_BYTES {
            while let Ok(note) = notes.try_recv() {
                push_line(&mut bytes, &note)?;
            }
            let Ok(response) = responses.try_recv() else {
                break;
            };
            // Notes its handler sent before it are in the channel by now: they go first.
            while let Ok(note) = notes.try_recv() {
                push_line(&mut bytes, &note)?;
            }
            push_line(&mut bytes, &response)?;
        }
        output.write_all(&bytes).await?;
        output.flush().await?;
        if bytes.capacity() > 4 * WRITE_BATCH_BYTES {
            // A large message passed through: do not hold on to its buffer.
            bytes = Vec::with_capacity(1024);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CallToolResult, Content, Tool};
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{DuplexStream, Lines};

    /// Counts the `gate` handlers running now and at most, and holds them until released.
    struct Gate {
        running: AtomicUsize,
        most: AtomicUsize,
        started: AtomicUsize,
        open: Semaphore,
    }

    impl Gate {
        fn new() -> Arc<Self> {
            Arc::new(Self {
                running: AtomicUsize::new(0),
                most: AtomicUsize::new(0),
                started: AtomicUsize::new(0),
                open: Semaphore::new(0),
            })
        }
    }

    fn gated_server(gate: Arc<Gate>) -> Server {
        Server::builder("test", "1.0.0")
            .tool(
                Tool::builder("gate")
                    .description("Waits until the test opens the gate.")
                    .public()
                    .handler(move |_, _| {
                        let gate = gate.clone();
                        async move {
                            let now = gate.running.fetch_add(1, Ordering::SeqCst) + 1;
                            gate.most.fetch_max(now, Ordering::SeqCst);
                            gate.started.fetch_add(1, Ordering::SeqCst);
                            struct Leave<'a>(&'a AtomicUsize);
                            impl Drop for Leave<'_> {
                                fn drop(&mut self) {
                                    self.0.fetch_sub(1, Ordering::SeqCst);
                                }
                            }
                            let _leave = Leave(&gate.running);
                            gate.open.acquire().await.expect("open").forget();
                            Ok(CallToolResult::success(vec![Content::text("passed")]))
                        }
                    })
                    .build(),
            )
            .build()
            .expect("valid server")
    }

    struct Peer {
        write: DuplexStream,
        read: Lines<BufReader<DuplexStream>>,
    }

    impl Peer {
        async fn send(&mut self, v: Value) {
            let mut b = serde_json::to_vec(&v).unwrap();
            b.push(b'\n');
            self.write.write_all(&b).await.unwrap();
        }

        async fn recv(&mut self) -> Value {
            let line = tokio::time::timeout(Duration::from_secs(10), self.read.next_line())
                .await
                .expect("timely")
                .unwrap()
                .expect("open");
            serde_json::from_str(&line).unwrap()
        }

        async fn call_gate(&mut self, id: i64) {
            self.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": "gate", "arguments": {}}}))
                .await;
        }
    }

    fn start(
        gate: &Arc<Gate>,
        max_in_flight: usize,
    ) -> (Peer, tokio::task::JoinHandle<std::io::Result<()>>) {
        let (client_w, server_r) = tokio::io::duplex(1 << 16);
        let (server_w, client_r) = tokio::io::duplex(1 << 16);
        let config = StdioConfig {
            max_in_flight,
            shutdown_grace: Duration::from_millis(200),
            ..StdioConfig::default()
        };
        let task = tokio::spawn(serve(
            gated_server(gate.clone()),
            Caller::local("tester", Vec::<String>::new()),
            config,
            BufReader::new(server_r),
            server_w,
        ));
        let peer = Peer {
            write: client_w,
            read: BufReader::new(client_r).lines(),
        };
        (peer, task)
    }

    async fn until(what: &str, check: impl Fn() -> bool) {
        tokio::time::timeout(Duration::from_secs(10), async {
            while !check() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("timed out waiting until {what}"));
    }

    #[tokio::test]
    async fn requests_in_flight_are_capped_and_cancels_still_get_through() {
        let gate = Gate::new();
        let (mut peer, task) = start(&gate, 2);
        peer.send(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}}}))
            .await;
        assert_eq!(peer.recv().await["id"], 0);
        peer.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        for id in 1..=5 {
            peer.call_gate(id).await;
        }
        until("two handlers run", || {
            gate.started.load(Ordering::SeqCst) == 2
        })
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(gate.running.load(Ordering::SeqCst), 2, "the cap holds");
        assert_eq!(gate.started.load(Ordering::SeqCst), 2, "the third waits");

        // One gate opening lets exactly one call finish and the next one start.
        gate.open.add_permits(1);
        let done = peer.recv().await;
        assert_eq!(done["result"]["content"][0]["text"], "passed");
        until("a third handler runs", || {
            gate.started.load(Ordering::SeqCst) == 3
        })
        .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(gate.running.load(Ordering::SeqCst), 2);

        gate.open.add_permits(10);
        let mut ids: Vec<i64> = Vec::new();
        for _ in 0..4 {
            ids.push(peer.recv().await["id"].as_i64().unwrap());
        }
        ids.push(done["id"].as_i64().unwrap());
        ids.sort_unstable();
        assert_eq!(ids, [1, 2, 3, 4, 5]);
        assert_eq!(
            gate.most.load(Ordering::SeqCst),
            2,
            "never more than the cap"
        );

        // At the cap, a cancellation is still read and frees a place.
        for id in 6..=7 {
            peer.call_gate(id).await;
        }
        until("two more handlers run", || {
            gate.started.load(Ordering::SeqCst) == 7
        })
        .await;
        peer.send(
            json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 6}}),
        )
        .await;
        peer.call_gate(8).await;
        until("the cancelled call's place is reused", || {
            gate.started.load(Ordering::SeqCst) == 8
        })
        .await;
        assert_eq!(gate.most.load(Ordering::SeqCst), 2);

        drop(peer.write);
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("exits within the grace period")
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn input_ending_while_a_request_waits_still_exits() {
        let gate = Gate::new();
        let (mut peer, task) = start(&gate, 1);
        peer.send(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}}}))
            .await;
        assert_eq!(peer.recv().await["id"], 0);
        peer.call_gate(1).await;
        until("the first handler runs", || {
            gate.started.load(Ordering::SeqCst) == 1
        })
        .await;
        peer.call_gate(2).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(peer.write);
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("exits within the grace period although every place is taken")
            .unwrap()
            .unwrap();
        assert_eq!(
            gate.running.load(Ordering::SeqCst),
            0,
            "stuck calls are cancelled"
        );
    }

    #[test]
    fn requests_take_places_and_notifications_do_not() {
        assert_eq!(requests_in(&json!({"id": 1, "method": "ping"})), 1);
        assert_eq!(
            requests_in(&json!({"method": "notifications/cancelled"})),
            0
        );
        assert_eq!(requests_in(&json!({"id": 1, "result": {}})), 0);
        assert_eq!(
            requests_in(
                &json!([{"id": 1, "method": "a"}, {"method": "b"}, {"id": 2, "method": "c"}])
            ),
            2
        );
        assert_eq!(requests_in(&json!(42)), 0);
    }
}
