//! `cargo run -p bench --release [-- --duration 5 --connections 1,16,64]`: throughput, latency
//! and memory of this runtime against rmcp (the official Rust MCP SDK) and a bare axum
//! JSON-RPC echo, in one run, on loopback. See docs/benchmarks.md.
//!
//! Each server runs as a child process of this executable (`bench serve …`) on a fresh
//! loopback port, one process per measurement; `wrk` (scripts/setup-bench.sh) drives it. The
//! runtime is measured without authentication, with JWT validation and its policy on and one
//! reused RS256 token, and with a fresh token on every request. stdio is measured through
//! pipes against rmcp's stdio server.

mod child;
mod instructions;
mod report;
mod servers;
mod stdio;
mod tokens;
mod wrk;

use anyhow::Context;
use clap::Parser;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use wrk::HttpRequest;

/// Measure this runtime against rmcp and a bare axum echo.
#[derive(Debug, Parser)]
struct Args {
    /// Seconds of load per measurement (whole seconds, as wrk takes them).
    #[arg(long, default_value_t = 5)]
    duration: u64,
    /// Seconds of warm-up load before each measurement (0: none).
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// Connection counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1u32, 16, 64])]
    connections: Vec<u32>,
    /// Rounds of HTTP measurements: every row is measured once per round (all rows of a
    /// round back to back), and the table shows each row's median round, with the range
    /// in its note. On a shared machine, 3 or 5 rounds keep one unlucky moment from
    /// deciding a ratio.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=99))]
    rounds: u32,
    /// Distinct tokens minted for the fresh-token runs (a run that sends more reuses them,
    /// and says so).
    #[arg(long, default_value_t = 80_000)]
    fresh_tokens: usize,
    /// Requests per stdio measurement (each way).
    #[arg(long, default_value_t = 20_000)]
    stdio_requests: u64,
    /// Skip the HTTP measurements.
    #[arg(long)]
    no_http: bool,
    /// Skip the stdio measurements.
    #[arg(long)]
    no_stdio: bool,
    /// Instead of the wrk and stdio runs: count the instructions each HTTP server executes
    /// per request under valgrind's callgrind, over this many sequential requests on one
    /// connection (e.g. 5000). Steady even when other processes load the machine.
    #[arg(long, value_name = "REQUESTS")]
    instructions: Option<u64>,
    /// Requests sent before the counted ones with --instructions (start-up and first
    /// requests are left out by subtracting a run of only these).
    #[arg(long, default_value_t = 500)]
    instructions_warmup: u64,
    /// Keep the callgrind profiles of --instructions in this directory (read them with
    /// `callgrind_annotate`).
    #[arg(long, value_name = "DIR")]
    callgrind_dir: Option<PathBuf>,
    /// Add a control row: the reused token sent through the fresh-token Lua script, to tell
    /// the cost of that script in wrk from the cost of new tokens in the server.
    #[arg(long)]
    control: bool,
    /// Measure only these rows (comma-separated), e.g. `axum,jwt` for a quick look at one
    /// ratio. A ratio column shows `-` when its reference row is left out.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = RowKind::ALL)]
    rows: Vec<RowKind>,
}

/// The HTTP rows, as `--rows` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RowKind {
    /// The bare axum JSON-RPC echo (the ceiling).
    Axum,
    /// rmcp's stateless Streamable HTTP echo.
    Rmcp,
    /// This runtime without authentication.
    Open,
    /// This runtime with JWT validation and its policy, one reused token.
    Jwt,
    /// This runtime with a fresh token on every request (not under `--instructions`).
    Fresh,
}

impl RowKind {
    const ALL: [RowKind; 5] = [Self::Axum, Self::Rmcp, Self::Open, Self::Jwt, Self::Fresh];

    /// The row's label in the tables.
    fn label(self) -> &'static str {
        match self {
            Self::Axum => AXUM,
            Self::Rmcp => RMCP,
            Self::Open => OPEN,
            Self::Jwt => JWT,
            Self::Fresh => FRESH,
        }
    }

    /// The row's name on the command line (and in the callgrind profiles' file names).
    fn name(self) -> &'static str {
        match self {
            Self::Axum => "axum",
            Self::Rmcp => "rmcp",
            Self::Open => "open",
            Self::Jwt => "jwt",
            Self::Fresh => "fresh",
        }
    }

    /// The server of this row (`bench serve` arguments; `{bind}` is replaced by the address)
    /// and the request it is sent; `token` is the reused token of the JWT rows.
    fn server(self, policy: &Path, token: &str) -> (Vec<String>, HttpRequest) {
        match self {
            Self::Axum => (
                vec!["axum".into(), "{bind}".into()],
                call("echo", None, false),
            ),
            Self::Rmcp => (
                vec!["rmcp-http".into(), "{bind}".into()],
                call("echo", None, false),
            ),
            Self::Open => (
                runtime_args(policy, "open"),
                call("echo_public", None, false),
            ),
            Self::Jwt | Self::Fresh => (
                runtime_args(policy, "jwt"),
                call("echo", Some(token), false),
            ),
        }
    }
}

const AXUM: &str = "axum JSON-RPC echo (ceiling)";
const RMCP: &str = "rmcp (stateless HTTP, no auth)";
const OPEN: &str = "mcp-runtime, no auth";
const JWT: &str = "mcp-runtime, JWT + policy, 1 token";
const FRESH: &str = "mcp-runtime, JWT + policy, fresh";
const CONTROL: &str = "  control: 1 token via fresh script";

/// The canonical resource URI (and token audience) of the runtime under test.
const RESOURCE: &str = "http://127.0.0.1/mcp";

/// `_meta` of a 2026-07-28 request.
pub(crate) fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"}
    })
}

/// A `tools/call` of `tool` with `{"text": "hello"}`: modern (headers and `_meta`) or, with
/// `legacy`, a plain 2025-11-25 request.
fn call(tool: &str, token: Option<&str>, legacy: bool) -> HttpRequest {
    let mut params = json!({"name": tool, "arguments": {"text": "hello"}});
    let mut headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        (
            "Accept".to_owned(),
            "application/json, text/event-stream".to_owned(),
        ),
    ];
    if legacy {
        headers.push(("MCP-Protocol-Version".to_owned(), "2025-11-25".to_owned()));
    } else {
        params["_meta"] = meta();
        headers.push(("MCP-Protocol-Version".to_owned(), "2026-07-28".to_owned()));
        headers.push(("Mcp-Method".to_owned(), "tools/call".to_owned()));
        headers.push(("Mcp-Name".to_owned(), tool.to_owned()));
    }
    if let Some(token) = token {
        headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params});
    HttpRequest {
        headers,
        body: body.to_string(),
    }
}

const POLICY: &str = r#"# The bench's policy: `echo` needs bench:echo (the tokens carry it); `echo_public` is public.
[server]
name = "bench-echo"

[env.open]
transport = "http"
bind = "${BENCH_BIND}"
resource = "http://127.0.0.1/mcp"

[env.jwt]
transport = "http"
bind = "${BENCH_BIND}"
resource = "http://127.0.0.1/mcp"
auth.issuer = "${BENCH_ISSUER}"
auth.jwks = "${BENCH_JWKS}"
auth.algorithms = ["RS256"]

[env.local]
transport = "stdio"
principal = { sub = "bench-user", scopes = ["bench:echo"] }
"#;

fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1);
    if argv.next().as_deref() == Some("serve") {
        return serve(argv.collect());
    }
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The child-process side: `bench serve KIND …`.
fn serve(args: Vec<String>) -> ExitCode {
    let bind = || {
        args.get(1)
            .and_then(|a| a.parse().ok())
            .expect("bench serve KIND ADDR")
    };
    let result = match args.first().map(String::as_str) {
        Some("runtime") => return servers::runtime(args[1..].to_vec()),
        Some("axum") => servers::axum_echo(bind()),
        Some("rmcp-http") => servers::rmcp_http(bind()),
        Some("rmcp-stdio") => servers::rmcp_stdio(),
        other => Err(anyhow::anyhow!("unknown server {other:?}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench serve: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Everything one HTTP scenario needs.
struct Scenario {
    kind: RowKind,
    label: &'static str,
    /// `bench serve` arguments; `{bind}` is replaced by the address.
    args: Vec<String>,
    request: HttpRequest,
    /// A token list to rotate through, one token per request.
    tokens: Option<(PathBuf, usize)>,
}

fn run(args: &Args) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("mcp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, POLICY)?;
    let issuer = tokens::Issuer::start()?;
    let env = vec![
        ("BENCH_ISSUER".to_owned(), issuer.url.clone()),
        ("BENCH_JWKS".to_owned(), issuer.jwks_uri()),
    ];
    let result = (|| {
        if let Some(n) = args.instructions {
            return instructions_table(args, &dir, &policy, &issuer, &env, n);
        }
        if !args.no_http {
            http(args, &dir, &policy, &issuer, &env)?;
        }
        if !args.no_stdio {
            println!();
            stdio_table(args, &policy, &env)?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn http(
    args: &Args,
    dir: &Path,
    policy: &Path,
    issuer: &tokens::Issuer,
    env: &[(String, String)],
) -> anyhow::Result<()> {
    wrk::require_wrk()?;
    let token = issuer.mint(RESOURCE, servers::ECHO_SCOPE, 1)?;
    let token_file = dir.join("tokens.txt");
    if args.rows.contains(&RowKind::Fresh) {
        eprintln!("bench: minting {} RS256 tokens…", args.fresh_tokens);
        let fresh = issuer.mint_many(RESOURCE, servers::ECHO_SCOPE, args.fresh_tokens)?;
        std::fs::write(&token_file, fresh.join("\n") + "\n")?;
    }
    let one_token_file = dir.join("one-token.txt");
    std::fs::write(&one_token_file, format!("{token}\n"))?;
    let mut rmcp_legacy = false;
    let scenario = |kind: RowKind| {
        let (args, request) = kind.server(policy, &token);
        Scenario {
            kind,
            label: kind.label(),
            args,
            request,
            tokens: None,
        }
    };
    // In the tables' order, each row once, whatever `--rows` says.
    let mut scenarios: Vec<Scenario> = RowKind::ALL
        .into_iter()
        .filter(|kind| args.rows.contains(kind))
        .map(scenario)
        .collect();
    for s in &mut scenarios {
        if s.kind == RowKind::Fresh {
            s.tokens = Some((token_file.clone(), args.fresh_tokens));
        }
    }
    if args.control && args.rows.contains(&RowKind::Jwt) {
        scenarios.push(Scenario {
            label: CONTROL,
            tokens: Some((one_token_file, usize::MAX)),
            ..scenario(RowKind::Jwt)
        });
    }
    let mut rows = Vec::new();
    let runs =
        (1..=args.rounds).flat_map(|round| args.connections.iter().map(move |c| (round, *c)));
    for (round, connections) in runs {
        for (i, s) in scenarios.iter().enumerate() {
            let mut request = s.request.clone();
            if s.label == RMCP && rmcp_legacy {
                request = call("echo", None, true);
            }
            let addr = child::free_port()?;
            let child_args: Vec<String> = s
                .args
                .iter()
                .map(|a| a.replace("{bind}", &addr.to_string()))
                .collect();
            let mut child_env = env.to_vec();
            child_env.push(("BENCH_BIND".to_owned(), addr.to_string()));
            let server = child::Server::start(addr, &child_args, &child_env)?;
            if let Err(e) = server.probe(&request, "hello") {
                if s.label != RMCP || rmcp_legacy {
                    return Err(e.context(s.label));
                }
                // rmcp did not take the modern request: use its 2025-11-25 stateless mode.
                eprintln!("bench: rmcp refused the 2026-07-28 request; using 2025-11-25: {e:#}");
                rmcp_legacy = true;
                request = call("echo", None, true);
                server.probe(&request, "hello").context(s.label)?;
            }
            let script = wrk::write_script(dir, &format!("s{i}"), &request, false)?;
            let url = format!("http://{addr}/mcp");
            let warm = wrk::Load {
                url: &url,
                connections,
                duration: Duration::from_secs(args.warmup),
                script: &script,
                tokens: None,
            };
            if args.warmup > 0 {
                wrk::run(&warm)?;
            }
            let (script, tokens) = match &s.tokens {
                Some((file, _)) => (
                    wrk::write_script(dir, &format!("s{i}-rotate"), &request, true)?,
                    Some(file.as_path()),
                ),
                None => (script, None),
            };
            let cpu_before = child::cpu_time(server.pid());
            let result = wrk::run(&wrk::Load {
                url: &url,
                connections,
                duration: Duration::from_secs(args.duration.max(1)),
                script: &script,
                tokens,
            })
            .with_context(|| format!("{} at {connections} connections", s.label))?;
            let cpu = child::cpu_time(server.pid()).saturating_sub(cpu_before);
            let memory = child::memory(server.pid());
            server.stop();
            let mut note = String::new();
            if s.label == RMCP {
                note = if rmcp_legacy {
                    "2025-11-25"
                } else {
                    "2026-07-28"
                }
                .to_owned();
            }
            if let Some((_, count)) = &s.tokens
                && result.requests > *count as u64
            {
                note = format!(
                    "tokens reused: {} requests, {count} tokens",
                    result.requests
                );
            }
            eprintln!(
                "bench: round {round}: {:<36} c={connections:<3} {:>8.0} req/s",
                s.label, result.rps
            );
            rows.push(report::Row {
                label: s.label,
                round,
                connections,
                result,
                memory,
                cpu,
                note,
            });
        }
    }
    let mut rows = report::medians(rows, RMCP, AXUM);
    let order = |label: &str| scenarios.iter().position(|s| s.label == label);
    rows.sort_by_key(|s| (order(s.row.label), s.row.connections));
    let rounds = match args.rounds {
        1 => String::new(),
        n => format!("; median of {n} rounds"),
    };
    println!(
        "HTTP: tools/call echo, {} s per run after {} s warm-up, wrk on loopback; RS256 tokens{rounds}; {}",
        args.duration,
        args.warmup,
        build()
    );
    report::print_http(&rows);
    Ok(())
}

/// How this executable, and so every server it measures, was built: a plain release build,
/// or the profile-guided one of `scripts/bench-pgo.sh`, which sets `BENCH_BUILD` at build time.
fn build() -> &'static str {
    option_env!("BENCH_BUILD").unwrap_or("release build")
}

/// `bench serve` arguments of the runtime's command line in environment `env_name`.
fn runtime_args(policy: &Path, env_name: &str) -> Vec<String> {
    ["runtime", "serve", "--policy"]
        .into_iter()
        .map(str::to_owned)
        .chain([policy.display().to_string()])
        .chain(["--env", env_name, "--bind", "{bind}"].map(str::to_owned))
        .collect()
}

fn instructions_table(
    args: &Args,
    dir: &Path,
    policy: &Path,
    issuer: &tokens::Issuer,
    env: &[(String, String)],
    n: u64,
) -> anyhow::Result<()> {
    instructions::require_valgrind()?;
    let token = issuer.mint(RESOURCE, servers::ECHO_SCOPE, 1)?;
    let warmup = args.instructions_warmup;
    if let Some(keep) = &args.callgrind_dir {
        std::fs::create_dir_all(keep)?;
    }
    let keep = args.callgrind_dir.as_deref();
    let kinds = [RowKind::Axum, RowKind::Rmcp, RowKind::Open, RowKind::Jwt];
    let mut counted = Vec::new();
    for kind in kinds.into_iter().filter(|k| args.rows.contains(k)) {
        let (label, name) = (kind.label(), kind.name());
        let (serve, request) = kind.server(policy, &token);
        eprintln!("bench: counting {label} under callgrind ({warmup} + {n} requests)…");
        let subject = instructions::Subject {
            name,
            args: &serve,
            request: &request,
        };
        let mut count = instructions::per_request(&subject, env, dir, keep, warmup, n);
        if count.is_err() && kind == RowKind::Rmcp {
            // As in the wrk runs: an rmcp that refuses 2026-07-28 is sent 2025-11-25.
            let legacy = call("echo", None, true);
            let subject = instructions::Subject {
                name,
                args: &serve,
                request: &legacy,
            };
            count = instructions::per_request(&subject, env, dir, keep, warmup, n);
        }
        counted.push((label, count.context(label)?));
    }
    println!(
        "HTTP: per tools/call (callgrind, user space of the server process, {n} sequential \
         requests on one connection after {warmup}; simulated 32 KiB L1 caches; {})",
        build()
    );
    report::print_instructions(&counted, AXUM);
    Ok(())
}

fn stdio_table(args: &Args, policy: &Path, env: &[(String, String)]) -> anyhow::Result<()> {
    let limit = Duration::from_secs(60);
    let ours: Vec<String> = [
        "runtime",
        "serve",
        "--policy",
        &policy.display().to_string(),
        "--env",
        "local",
        "--transport",
        "stdio",
    ]
    .map(str::to_owned)
    .to_vec();
    let (rmcp_era, rmcp) =
        stdio::measure(&["rmcp-stdio".to_owned()], env, args.stdio_requests, limit)
            .context("rmcp over stdio")?;
    let (era, runtime) =
        stdio::measure(&ours, env, args.stdio_requests, limit).context("mcp-runtime over stdio")?;
    report::print_stdio(
        (era.version(), &runtime),
        (rmcp_era.version(), &rmcp),
        args.stdio_requests,
    );
    Ok(())
}
