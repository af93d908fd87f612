//! `serve` of the real `technova` binary: the deployment is validated before the application
//! is built (a bad policy leaves no database file), and every reload that changes a setting
//! only a restart applies says so, naming the setting.

use e2e::{StdioPeer, root_policy, technova};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("technova-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs `technova serve --policy <policy> [args]` with stdin closed and the order book at
/// `db`; returns the exit code and stderr.
fn serve_once(policy: &Path, db: &Path, args: &[&str], envs: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(technova());
    cmd.args(["serve", "--policy", policy.to_str().unwrap()])
        .args(args)
        .env(e2e::TECHNOVA_DB, db)
        .env_remove("MCP_ENV")
        .current_dir(e2e::workspace_root())
        .stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run technova");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Defect 10: a policy that does not validate stops `serve` before the application is built
/// for serving, so TechNova's order database is never created; a good policy does create it.
#[test]
fn a_bad_policy_creates_no_database() {
    let dir = scratch_dir("order");
    let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        shipped.replace("[tools.cancel_order]", "[tools.cancel_ordr]"),
    )
    .unwrap();
    let db = dir.join("orders.db");
    let (code, stderr) = serve_once(&bad, &db, &["--transport", "stdio"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("unknown tool `cancel_ordr`"), "{stderr}");
    assert!(!db.exists(), "no database file for a refused policy");

    // A stdio identity that cannot be established stops it too, before any side effect.
    let desk = dir.join("desk.toml");
    std::fs::write(
        &desk,
        format!(
            "{shipped}\n[env.desk]\ntransport = \"stdio\"\nresource = \"https://desk.example/mcp\"\ntoken_env = \"DESK_TOKEN\"\nauth.issuer = \"{}\"\nauth.jwks = \"file://{}\"\n",
            e2e::DEV_ISSUER,
            e2e::dev_jwks().display()
        ),
    )
    .unwrap();
    let (code, stderr) = serve_once(&desk, &db, &["--env", "desk"], &[("DESK_TOKEN", "x.y.z")]);
    assert_ne!(code, 0, "{stderr}");
    assert!(!db.exists(), "no database file for a refused identity");

    // The shipped policy serves (stdin is closed at once) and creates the order book.
    let good = dir.join("good.toml");
    std::fs::write(&good, &shipped).unwrap();
    let (code, stderr) = serve_once(&good, &db, &["--transport", "stdio"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(db.exists(), "serving opens the order book");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Polls `peer`'s stderr until `count` lines contain every needle; fails after the timeout.
async fn until_lines(peer: &StdioPeer, needles: &[&str], count: usize) -> String {
    let deadline = Instant::now() + e2e::TIMEOUT;
    loop {
        let stderr = peer.stderr();
        let n = stderr
            .lines()
            .filter(|l| needles.iter().all(|n| l.contains(n)))
            .count();
        if n >= count {
            return stderr;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {count} line(s) with {needles:?}:\n{stderr}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts `technova serve --policy <policy> --env dev` over HTTP on `bind` (an in-memory order
/// book, `info` logs, and `envs`), and waits until it serves.
async fn serve_dev_http(policy: &Path, bind: &str, envs: &[(&str, &str)]) -> StdioPeer {
    let mut all_envs = vec![(e2e::TECHNOVA_DB, ":memory:"), ("RUST_LOG", "info")];
    all_envs.extend_from_slice(envs);
    let peer = StdioPeer::spawn(
        &technova(),
        &[
            "serve",
            "--policy",
            policy.to_str().unwrap(),
            "--env",
            "dev",
            "--transport",
            "http",
            "--bind",
            bind,
        ],
        &all_envs,
    );
    until_lines(&peer, &["serving MCP over Streamable HTTP"], 1).await;
    peer
}

/// Defect 9: each reload that changes a setting read only at start-up (here the issuer)
/// warns, naming the setting and asking for a restart — not only the first such reload.
#[tokio::test]
async fn every_reload_that_needs_a_restart_says_so() {
    let dir = scratch_dir("reload");
    let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
    let path = dir.join("policy.toml");
    std::fs::write(&path, &shipped).unwrap();
    let bind = format!("127.0.0.1:{}", e2e::free_port());
    let peer = serve_dev_http(&path, &bind, &[]).await;

    let moved = shipped.replace(
        r#"auth.issuer = "${OIDC_ISSUER:-https://dev-issuer.technova.invalid}""#,
        r#"auth.issuer = "https://moved-issuer.example""#,
    );
    assert_ne!(moved, shipped);
    std::fs::write(&path, &moved).unwrap();
    until_lines(&peer, &["`auth.issuer`", "restart"], 1).await;

    // A second reload that keeps the moved issuer: still not in force, so it warns again.
    std::fs::write(&path, format!("{moved}\n# touched\n")).unwrap();
    let stderr = until_lines(&peer, &["`auth.issuer`", "restart"], 2).await;
    assert!(
        stderr
            .lines()
            .filter(|l| l.contains("policy reloaded"))
            .count()
            >= 2,
        "{stderr}"
    );
    drop(peer);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// TechNova's `dev` environment served over HTTP from a copy of the shipped policy, with its
/// Prometheus exporter on and `extra` lines added to the environment; tokens from the
/// development minter.
struct DevServer {
    peer: StdioPeer,
    dir: PathBuf,
    /// The policy file it serves, and its text.
    path: PathBuf,
    text: String,
    url: String,
    metrics: String,
    http: reqwest::Client,
    token: String,
}

impl DevServer {
    async fn start(name: &str, extra: &str) -> Self {
        let dir = scratch_dir(name);
        let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
        let metrics_port = e2e::free_port();
        let text = shipped.replacen(
            "list = \"all\"\n",
            &format!(
                "list = \"all\"\nmetrics = {{ bind = \"127.0.0.1:{metrics_port}\" }}\n{extra}"
            ),
            1,
        );
        assert_ne!(text, shipped, "the dev environment gains an exporter");
        let path = dir.join("policy.toml");
        std::fs::write(&path, &text).unwrap();
        let bind = format!("127.0.0.1:{}", e2e::free_port());
        let url = format!("http://{bind}/mcp");
        let jwks = format!("file://{}", e2e::dev_jwks().display());
        let peer = serve_dev_http(
            &path,
            &bind,
            &[("TECHNOVA_RESOURCE", &url), ("TECHNOVA_JWKS", &jwks)],
        )
        .await;
        let token = e2e::dev_token("orders:read", "alice", &url);
        Self {
            peer,
            dir,
            path,
            text,
            url,
            metrics: format!("http://127.0.0.1:{metrics_port}/metrics"),
            http: e2e::http_client(),
            token,
        }
    }

    /// One authenticated 2026-07-28 `tools/list`, which must succeed.
    async fn list(&self) {
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
            "params": {"_meta": e2e::modern_meta()}});
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/list")
            .json(&body)
            .send()
            .await
            .expect("a response");
        assert_eq!(response.status(), 200, "{}", self.peer.stderr());
    }

    /// The value of the counter `series` (name and labels) on the exporter; 0 when absent.
    async fn counter(&self, series: &str) -> u64 {
        let text = self
            .http
            .get(&self.metrics)
            .send()
            .await
            .expect("the exporter answers")
            .text()
            .await
            .expect("a body");
        let prefix = format!("{series} ");
        text.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .map_or(0, |n| n.trim().parse().expect("a count"))
    }

    /// The token cache's hit and miss counts.
    async fn lookups(&self) -> (u64, u64) {
        (
            self.counter(r#"mcp_token_cache_lookups_total{result="hit"}"#)
                .await,
            self.counter(r#"mcp_token_cache_lookups_total{result="miss"}"#)
                .await,
        )
    }

    fn stop(self) {
        drop(self.peer);
        std::fs::remove_dir_all(&self.dir).unwrap();
    }
}

/// A successful policy reload empties the cache of validated tokens: the next request's
/// token is verified in full again (a cache miss), the one after comes from the cache.
#[tokio::test]
async fn a_policy_reload_makes_every_token_be_verified_again() {
    let server = DevServer::start("token-cache", "").await;
    server.list().await;
    server.list().await;
    assert_eq!(
        server.lookups().await,
        (1, 1),
        "verified once, then remembered"
    );
    std::fs::write(&server.path, format!("{}\n# touched\n", server.text)).unwrap();
    until_lines(&server.peer, &["policy reloaded"], 1).await;
    server.list().await;
    assert_eq!(
        server.lookups().await,
        (1, 2),
        "verified in full again after the reload"
    );
    server.list().await;
    assert_eq!(server.lookups().await, (2, 2), "then remembered again");
    server.stop();
}

/// `auth.token_cache` sizes the cache `serve` gives the HTTP transport: with `0`, every
/// token is verified in full and nothing is looked up.
#[tokio::test]
async fn the_policy_sizes_the_token_cache() {
    let server = DevServer::start("no-token-cache", "auth.token_cache = 0\n").await;
    server.list().await;
    server.list().await;
    assert_eq!(server.lookups().await, (0, 0), "no cache to look in");
    assert_eq!(
        server
            .counter(r#"mcp_token_validations_total{outcome="valid"}"#)
            .await,
        2,
        "both tokens verified"
    );
    server.stop();
}
