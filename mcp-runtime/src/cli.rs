//! The standard command line of every application built on the runtime:
//!
//! - `serve [--policy FILE] [--env NAME] [--transport stdio|http] [--bind ADDR]
//!   [--decision-log off|stderr|file:PATH]` serves MCP under the policy's environment (logs
//!   on stderr only; stdout is the stdio channel);
//! - `check [--policy FILE] [--env NAME] [--deny-warnings]` validates a policy against the
//!   binary's tools and prints every problem at `file:line:column` (exit 1 if there is any),
//!   then the coverage lint's warnings (errors with `--deny-warnings`);
//! - `explain --tool NAME --scopes "a b" [--claims JSON] [--local]` prints the decision for a
//!   caller and the rule that made it (exit 0 allowed, 1 denied); `--prompt NAME` or
//!   `--resource URI` instead of `--tool` explain a prompt, a resource or a resource template;
//! - `tools` lists the compiled tools with their declared scopes;
//! - `policy test [--fixtures FILE]` runs a fixtures file of cases (principal, item,
//!   arguments → expected decision) against the policy; a failing case is printed as a diff
//!   (exit 1).
//!
//! `--policy` defaults to `./policy.toml` (env `MCP_POLICY`), `--env` to `local`
//! (env `MCP_ENV`). `serve --request-state-key-file FILE` (env `MCP_REQUEST_STATE_KEY_FILE`,
//! or the key itself in `MCP_REQUEST_STATE_KEY`) sets the key that seals 2026-07-28
//! `requestState`; see [`state_key`]. Usage errors and unusable policies exit with 2.
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     mcp_runtime::cli::run(|| mcp_runtime::Server::builder("demo", "0.1.0").build())
//! }
//! ```

mod policy_test;
mod serve;
pub mod state_key;

use crate::authz::{Catalog, Primitive};
use crate::context::Caller;
use crate::policy::{Policy, PolicyError, TransportKind, process_env, stdio_caller};
use crate::protocol::Server;
use crate::registry::Access;
use crate::transport::stdio::StdioConfig;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::fmt;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// The command line.
#[derive(Debug, Parser)]
#[command(version, about = "An MCP server governed by a policy file")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP under the policy's environment.
    Serve(ServeArgs),
    /// Validate a policy against this binary's tools; print every problem.
    Check(CheckArgs),
    /// Print the decision for one caller and tool (or prompt, or resource), and the rule
    /// that made it.
    Explain(ExplainArgs),
    /// List the compiled tools with their declared scopes.
    Tools,
    /// Work with the policy: `policy test` runs its fixtures.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

/// `policy …`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run a fixtures file of cases against the policy and this binary's tools.
    Test(PolicyTestArgs),
}

/// `policy test`.
#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// The policy file.
    #[command(flatten)]
    pub policy: PolicyArg,
    /// The fixtures file (default: next to the policy, `NAME.tests.toml` for `NAME.toml`).
    #[arg(long, env = "MCP_POLICY_FIXTURES")]
    pub fixtures: Option<PathBuf>,
    /// Run only the cases of this environment.
    #[arg(long)]
    pub env: Option<String>,
}

/// Which policy file.
#[derive(Debug, Args)]
pub struct PolicyArg {
    /// The policy file.
    #[arg(long, env = "MCP_POLICY", default_value = "policy.toml")]
    pub policy: PathBuf,
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The policy file.
    #[command(flatten)]
    pub policy: PolicyArg,
    /// The environment of the policy to serve.
    #[arg(long, env = "MCP_ENV", default_value = "local")]
    pub env: String,
    /// The transport, overriding the environment's.
    #[arg(long, value_enum)]
    pub transport: Option<TransportArg>,
    /// The HTTP listen address, overriding the environment's.
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    /// Where every authorization decision goes as one JSON line (`off`, `stderr` or
    /// `file:PATH`), overriding the environment's `decision_log`.
    #[arg(long, value_name = "off|stderr|file:PATH")]
    pub decision_log: Option<String>,
    /// (stdio) The longest accepted message, in bytes.
    #[arg(long, default_value_t = StdioConfig::default().max_line_bytes)]
    pub max_line_bytes: usize,
    /// A file holding the key that seals 2026-07-28 `requestState` (32 bytes, base64); every
    /// replica must share it. Default: the `MCP_REQUEST_STATE_KEY` variable, else a random
    /// key per process (see [`state_key`]).
    #[arg(long, env = "MCP_REQUEST_STATE_KEY_FILE")]
    pub request_state_key_file: Option<PathBuf>,
}

/// `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The policy file.
    #[command(flatten)]
    pub policy: PolicyArg,
    /// Check only this environment (default: every environment).
    #[arg(long, env = "MCP_ENV")]
    pub env: Option<String>,
    /// Treat coverage warnings (unreachable items, grants that open nothing, rules that
    /// never apply) as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// `explain`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("item").required(true).args(["tool", "prompt", "resource"])))]
pub struct ExplainArgs {
    /// The policy file.
    #[command(flatten)]
    pub policy: PolicyArg,
    /// The environment.
    #[arg(long, env = "MCP_ENV", default_value = "local")]
    pub env: String,
    /// The tool to call.
    #[arg(long)]
    pub tool: Option<String>,
    /// The prompt to get.
    #[arg(long)]
    pub prompt: Option<String>,
    /// The resource to read (its URI), or the resource template (its URI template).
    #[arg(long)]
    pub resource: Option<String>,
    /// The caller's token scopes, separated by spaces or commas.
    #[arg(long, default_value = "")]
    pub scopes: String,
    /// The caller's token claims, as a JSON object (e.g. `{"roles":["support-lead"]}`).
    #[arg(long)]
    pub claims: Option<String>,
    /// The caller's subject.
    #[arg(long, default_value = "explain")]
    pub subject: String,
    /// Decide for the environment's local stdio principal instead of a token.
    #[arg(long, conflicts_with_all = ["scopes", "claims"])]
    pub local: bool,
    /// The call's arguments, as a JSON object: evaluates the tool's conditions too.
    #[arg(long)]
    pub arguments: Option<String>,
    /// What the resolver says about the resource the arguments name, as a JSON object
    /// (read by conditions as `resource`).
    #[arg(long, requires = "arguments")]
    pub owner: Option<String>,
}

/// `--transport`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TransportArg {
    /// stdin/stdout.
    Stdio,
    /// Streamable HTTP.
    Http,
}

/// Why the command line asks for the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `serve`: the server will run; open databases, connect downstream services.
    Serve,
    /// `check`, `explain`, `tools`: only the tools are looked at; no side effects wanted.
    Inspect,
}

/// Parses the process's arguments, runs the command, and returns the exit code.
/// `build` supplies the server (its tools are what the policy is checked against).
pub fn run<F, E>(build: F) -> ExitCode
where
    F: FnOnce() -> Result<Server, E>,
    E: fmt::Debug,
{
    // Built once; `serve` inspects and then serves the same server.
    let mut build = Some(build);
    let mut built: Option<Server> = None;
    run_with(move |_| -> Result<Server, E> {
        if let Some(server) = &built {
            return Ok(server.clone());
        }
        let make = build.take().expect("built at most once");
        let server = make()?;
        built = Some(server.clone());
        Ok(server)
    })
}

/// Like [`run`], telling `build` whether the server will serve or only be inspected, so an
/// application can skip side effects (creating a database file, say) until they are needed.
///
/// `serve` calls `build` twice: first with [`Purpose::Inspect`], to validate the policy
/// against the tools (a bad policy stops here, with no side effects), then with
/// [`Purpose::Serve`]. The other commands call it once, with [`Purpose::Inspect`].
pub fn run_with<F, E>(build: F) -> ExitCode
where
    F: FnMut(Purpose) -> Result<Server, E>,
    E: fmt::Debug,
{
    let mut command = Cli::command();
    if let Some(name) = std::env::args_os().next().and_then(|a| {
        PathBuf::from(a)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
    }) {
        // The program's own name in help and version output (set once per process).
        command = command.name(&*Box::leak(name.into_boxed_str()));
    }
    let cli = match Cli::from_arg_matches(&command.get_matches()) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    // Not locked: `serve` hands stdout to the stdio transport.
    execute(cli, build, &mut std::io::stdout())
}

/// Runs a parsed command, writing human output (for `check`, `explain`, `tools`) to `out`.
/// `build` is called as [`run_with`] describes.
pub fn execute<F, E>(cli: Cli, mut build: F, out: &mut dyn Write) -> ExitCode
where
    F: FnMut(Purpose) -> Result<Server, E>,
    E: fmt::Debug,
{
    crate::telemetry::init_stderr();
    let result = match cli.command {
        Command::Serve(args) => serve::serve(&mut build, args),
        command => {
            let server = match build(Purpose::Inspect) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: the server could not be built: {e:?}");
                    return ExitCode::from(2);
                }
            };
            match command {
                Command::Check(args) => check(&server, &args, out),
                Command::Explain(args) => explain(&server, &args, out),
                Command::Tools => tools(&server, out),
                Command::Policy(PolicyCommand::Test(args)) => policy_test::run(&server, &args, out),
                Command::Serve(_) => unreachable!("handled above"),
            }
        }
    };
    crate::telemetry::shutdown();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn io(e: std::io::Error) -> PolicyError {
    PolicyError::Unsupported(format!("cannot write output: {e}"))
}

fn tools(server: &Server, out: &mut dyn Write) -> Result<ExitCode, PolicyError> {
    for tool in server.tools().iter() {
        let access = match tool.access() {
            Access::Public => "(public)".to_owned(),
            Access::Scopes(s) => s.join(" "),
        };
        writeln!(out, "{:<28} {access}", tool.name()).map_err(io)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn check(server: &Server, args: &CheckArgs, out: &mut dyn Write) -> Result<ExitCode, PolicyError> {
    let path = &args.policy.policy;
    let policy = match Policy::load(path, Arc::new(server.catalog())) {
        Ok(p) => p,
        Err(e) => return report_errors(&e, path, out),
    };
    let envs: Vec<String> = match &args.env {
        Some(e) => vec![e.clone()],
        None => policy
            .environments()
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    let mut failed = 0usize;
    for env in &envs {
        match policy.compile(env, &process_env) {
            Ok(engine) => {
                let s = engine.settings();
                for w in &s.unresolved {
                    writeln!(out, "warning: {w} (`serve` needs it)").map_err(io)?;
                }
                let place = match (s.transport, s.bind) {
                    (TransportKind::Http, Some(b)) => format!("http on {b}"),
                    (t, _) => t.as_str().to_owned(),
                };
                writeln!(out, "ok: environment `{env}` ({place})").map_err(io)?;
            }
            Err(e) => {
                failed += 1;
                print_errors(&e, out)?;
            }
        }
    }
    if failed > 0 {
        writeln!(out, "error: {} is not valid", path.display()).map_err(io)?;
        return Ok(ExitCode::FAILURE);
    }
    let coverage = policy.coverage(&process_env, args.env.as_deref())?;
    for n in &coverage.notes {
        writeln!(out, "note: {n}").map_err(io)?;
    }
    for w in &coverage.warnings {
        writeln!(out, "warning: {w}").map_err(io)?;
    }
    if args.deny_warnings && !coverage.warnings.is_empty() {
        writeln!(
            out,
            "error: {} has {} coverage warning(s) (--deny-warnings)",
            path.display(),
            coverage.warnings.len()
        )
        .map_err(io)?;
        return Ok(ExitCode::FAILURE);
    }
    writeln!(
        out,
        "{}: valid for {} tool(s) of `{}`",
        path.display(),
        server.tools().len(),
        server.info().name
    )
    .map_err(io)?;
    Ok(ExitCode::SUCCESS)
}

fn print_errors(e: &PolicyError, out: &mut dyn Write) -> Result<(), PolicyError> {
    if e.diagnostics().is_empty() {
        writeln!(out, "{e}").map_err(io)?;
    }
    for d in e.diagnostics() {
        writeln!(out, "{d}").map_err(io)?;
    }
    Ok(())
}

fn report_errors(
    e: &PolicyError,
    path: &std::path::Path,
    out: &mut dyn Write,
) -> Result<ExitCode, PolicyError> {
    print_errors(e, out)?;
    let n = e.diagnostics().len().max(1);
    writeln!(out, "error: {} has {n} problem(s)", path.display()).map_err(io)?;
    Ok(ExitCode::FAILURE)
}

fn explain(
    server: &Server,
    args: &ExplainArgs,
    out: &mut dyn Write,
) -> Result<ExitCode, PolicyError> {
    let catalog = Arc::new(server.catalog());
    let (kind, name) = match (&args.tool, &args.prompt, &args.resource) {
        (Some(t), _, _) => (Primitive::Tool, t),
        (None, Some(p), _) => (Primitive::Prompt, p),
        (None, None, Some(r)) => (Primitive::Resource, r),
        (None, None, None) => {
            return Err(PolicyError::Unsupported(
                "`explain` needs `--tool`, `--prompt` or `--resource`".to_owned(),
            ));
        }
    };
    let policy = Policy::load(&args.policy.policy, catalog.clone())?;
    let engine = policy.compile(&args.env, &process_env)?;
    let caller = if args.local {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| PolicyError::Unsupported(format!("cannot start the runtime: {e}")))?
            .block_on(stdio_caller(engine.settings()))?
    } else {
        let claims = match &args.claims {
            None => serde_json::Map::new(),
            Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(m)) => m,
                _ => {
                    return Err(PolicyError::Unsupported(
                        "`--claims` must be a JSON object".to_owned(),
                    ));
                }
            },
        };
        let scopes: Vec<&str> = args
            .scopes
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        Caller::from_token(args.subject.clone(), None, scopes, claims)
    };
    let Some(item) = engine.item(kind, name) else {
        return Err(no_such_item(&catalog, kind, name));
    };
    let effective = engine.effective_scopes(&caller);
    let object = |flag: &str, text: &Option<String>| match text.as_deref().map(serde_json::from_str)
    {
        None => Ok(None),
        Some(Ok(serde_json::Value::Object(m))) => Ok(Some(m)),
        Some(_) => Err(PolicyError::Unsupported(format!(
            "`{flag}` must be a JSON object"
        ))),
    };
    let arguments = object("--arguments", &args.arguments)?.map(serde_json::Value::Object);
    let owner = object("--owner", &args.owner)?;
    let (decision, why) = match &arguments {
        Some(arguments) => {
            let input = crate::authz::CallInput {
                arguments,
                resource: Some(owner.as_ref().ok_or("no `--owner` given")),
            };
            engine.decide_call(&caller, effective, Some(item), &input)
        }
        None => (engine.decide_on(&caller, effective, Some(item)), None),
    };
    let w = |out: &mut dyn Write, k: &str, v: &str| writeln!(out, "{k:<17} {v}").map_err(io);
    w(
        out,
        "decision:",
        if decision.is_allowed() {
            "allow"
        } else {
            "deny"
        },
    )?;
    w(out, &format!("{}:", kind.as_str()), name)?;
    w(out, "environment:", engine.env())?;
    w(out, "rule:", engine.rule(&decision))?;
    w(out, "reason:", &engine.reason(&decision))?;
    if let Some(why) = why {
        w(out, "not evaluated:", &why)?;
    }
    w(out, "required scopes:", &item.required_names().join(" "))?;
    for (condition, rule) in item.conditions() {
        let when = if arguments.is_some() {
            ""
        } else {
            "; not evaluated without --arguments"
        };
        w(out, "condition:", &format!("{condition} ({rule}{when})"))?;
    }
    if let Some((limit, rule)) = item.rate_limit() {
        w(out, "rate limit:", &format!("{limit} per caller ({rule})"))?;
    }
    w(
        out,
        "effective scopes:",
        &engine.scope_names(effective).join(" "),
    )?;
    if let crate::policy::Outcome::MissingScopes(_) = decision.outcome {
        let missing: Vec<&str> = engine.missing_names(&decision).collect();
        w(out, "missing scopes:", &missing.join(" "))?;
    }
    Ok(if decision.is_allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// "no tool `x` in this binary; did you mean `y`?"
fn no_such_item(catalog: &Catalog, kind: Primitive, name: &str) -> PolicyError {
    let names = catalog.of_kind(kind).map(|e| e.name.as_str());
    let help = crate::policy::closest(name, names)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default();
    PolicyError::Unsupported(format!(
        "no {} `{name}` in this binary{help}",
        kind.as_str()
    ))
}
