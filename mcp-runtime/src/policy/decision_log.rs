//! Decision logs: every authorization decision as one JSON line, in a versioned format that
//! policy tooling can ingest (documented in `docs/policy.md`, "Decision logs"), written to
//! stderr or a file.
//!
//! The dispatch path only hands a [`Record`] to a bounded channel ([`DecisionLog::record`]);
//! a writer thread serializes and writes it. When the channel is full the line is dropped
//! and counted ([`DecisionLog::dropped`]), so a slow disk never slows a call down; the
//! writer reports the count with a warning. With no decision log there is nothing to do:
//! the authorizer holds `None`, and an allowed decision allocates nothing.
//!
//! A line never holds a token or a secret: the caller is named by its subject, client and
//! issuer, and the input by its scopes, item and environment.
//!
//! ```
//! use mcp_runtime::policy::DecisionLogTarget;
//! let target = DecisionLogTarget::parse("file:logs/decisions.jsonl", "/srv/technova".as_ref());
//! assert_eq!(
//!     target,
//!     Ok(DecisionLogTarget::File("/srv/technova/logs/decisions.jsonl".into()))
//! );
//! assert_eq!(DecisionLogTarget::parse("stderr", ".".as_ref()), Ok(DecisionLogTarget::Stderr));
//! ```

use super::engine::{Decision, Engine};
use crate::authz::Primitive;
use crate::context::CallerOrigin;
use serde::Serialize;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::SystemTime;

/// The version of the line format (the `v` field of every line).
pub const DECISION_LOG_VERSION: u32 = 1;

/// How many lines may wait for the writer before new ones are dropped.
const CAPACITY: usize = 8192;

/// Where decision lines go (`decision_log` in `policy.toml`, `serve --decision-log`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DecisionLogTarget {
    /// No decision log (the default).
    #[default]
    Off,
    /// Standard error, one line per decision.
    Stderr,
    /// A file, appended to (created if missing).
    File(PathBuf),
}

impl DecisionLogTarget {
    /// Parses `off`, `stderr` or `file:PATH` (a relative `PATH` is resolved against
    /// `base_dir`, the policy file's directory).
    ///
    /// # Errors
    /// A message saying what is accepted.
    pub fn parse(text: &str, base_dir: &Path) -> Result<Self, String> {
        match text {
            "off" => Ok(Self::Off),
            "stderr" => Ok(Self::Stderr),
            _ => match text.strip_prefix("file:") {
                Some(path) if !path.is_empty() => Ok(Self::File(base_dir.join(path))),
                _ => Err(format!(
                    "invalid decision log `{text}`: expected `off`, `stderr` or `file:PATH`"
                )),
            },
        }
    }
}

/// Who asked, as a decision line names them.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedPrincipal {
    /// The subject.
    pub sub: String,
    /// The OAuth client, if known.
    pub client: Option<String>,
    /// The token's issuer (`iss`), if known.
    pub issuer: Option<String>,
    /// `local` (the stdio user) or `token`.
    pub origin: &'static str,
}

/// What was decided on.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedInput {
    /// The caller.
    pub principal: LoggedPrincipal,
    /// The caller's token scopes, as the identity provider granted them.
    pub scopes: Vec<String>,
    /// The application scopes they amount to (grants and hierarchy applied).
    pub effective_scopes: Vec<String>,
    /// `stdio` or `http`.
    pub transport: &'static str,
    /// The environment.
    pub environment: String,
    /// `tool`, `prompt` or `resource`.
    pub kind: &'static str,
    /// The tool or prompt name, resource URI or URI template.
    pub name: String,
    /// A tool call's arguments, by name and digest (never their values); absent for other
    /// decisions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<LoggedArguments>,
}

/// A call's arguments as a decision line names them: which were given, and a digest that
/// tells two calls with the same arguments apart from others without holding any value.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedArguments {
    /// The argument names, sorted.
    pub names: Vec<String>,
    /// SHA-256 of the arguments in canonical JSON (keys sorted), in lowercase hex.
    pub sha256: String,
}

impl LoggedArguments {
    /// The names and digest of `arguments`; `None` unless it is an object.
    pub fn of(arguments: &serde_json::Value) -> Option<Self> {
        use sha2::{Digest, Sha256};
        use std::fmt::Write;
        let object = arguments.as_object()?;
        let mut names: Vec<String> = object.keys().cloned().collect();
        names.sort();
        let digest = Sha256::digest(crate::asking::canonical_arguments(object));
        let mut sha256 = String::with_capacity(64);
        for byte in digest {
            let _ = write!(sha256, "{byte:02x}");
        }
        Some(Self { names, sha256 })
    }
}

/// One decision, as the dispatch path hands it to the writer.
#[derive(Clone, Debug)]
pub struct Record {
    /// When it was decided.
    pub time: SystemTime,
    /// The policy revision (reloads before it).
    pub policy_revision: u64,
    /// The input.
    pub input: LoggedInput,
    /// `allow`, `deny` or `rate_limited`.
    pub result: &'static str,
    /// The rule that decided.
    pub rule: String,
    /// Why.
    pub reason: String,
    /// Missing scopes of a denial.
    pub missing: Vec<String>,
    /// How long deciding took, in microseconds.
    pub latency_us: u64,
}

#[derive(Serialize)]
struct Line<'a> {
    v: u32,
    time: String,
    policy_revision: u64,
    input: &'a LoggedInput,
    result: &'static str,
    rule: &'a str,
    reason: &'a str,
    missing: &'a [String],
    latency_us: u64,
}

impl Record {
    /// The JSON line (without the newline).
    pub fn to_line(&self) -> String {
        let time = time::OffsetDateTime::from(self.time)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        serde_json::to_string(&Line {
            v: DECISION_LOG_VERSION,
            time,
            policy_revision: self.policy_revision,
            input: &self.input,
            result: self.result,
            rule: &self.rule,
            reason: &self.reason,
            missing: &self.missing,
            latency_us: self.latency_us,
        })
        .unwrap_or_default()
    }
}

/// An open decision log: a bounded channel to a writer thread.
#[derive(Debug)]
pub struct DecisionLog {
    sender: SyncSender<Record>,
    dropped: Arc<AtomicU64>,
    transport: &'static str,
}

impl DecisionLog {
    /// Opens `target` (`None` for [`DecisionLogTarget::Off`]) and starts its writer thread;
    /// lines name `transport` (`stdio` or `http`), the transport being served.
    ///
    /// # Errors
    /// The file cannot be opened for appending, or the thread cannot be started.
    pub fn open(target: &DecisionLogTarget, transport: &'static str) -> io::Result<Option<Self>> {
        let out: Box<dyn Write + Send> = match target {
            DecisionLogTarget::Off => return Ok(None),
            DecisionLogTarget::Stderr => Box::new(io::stderr()),
            DecisionLogTarget::File(path) => Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            ),
        };
        Ok(Some(Self::with_writer(out, CAPACITY, transport)?))
    }

    /// A decision log writing to `out` through a channel of `capacity` lines.
    ///
    /// # Errors
    /// The writer thread cannot be started.
    pub fn with_writer(
        out: Box<dyn Write + Send>,
        capacity: usize,
        transport: &'static str,
    ) -> io::Result<Self> {
        let (sender, receiver) = sync_channel(capacity);
        let dropped = Arc::new(AtomicU64::new(0));
        let counter = dropped.clone();
        std::thread::Builder::new()
            .name("decision-log".into())
            .spawn(move || write_lines(&receiver, out, &counter))?;
        Ok(Self {
            sender,
            dropped,
            transport,
        })
    }

    /// The transport the lines name.
    pub fn transport(&self) -> &'static str {
        self.transport
    }

    /// Queues one decision without waiting; a full queue drops it and counts it.
    pub fn record(&self, record: Record) {
        match self.sender.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// How many lines were dropped because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl DecisionLog {
    /// Queues the line of `decision` on `kind`/`name`, decided since `started`, with its
    /// `result` (`allow`, `deny`, `rate_limited`), rule and reason.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn decision(
        &self,
        engine: &Engine,
        decision: &Decision<'_>,
        (kind, name): (Primitive, &str),
        arguments: &serde_json::Value,
        result: &'static str,
        rule: &str,
        reason: &str,
        started: std::time::Instant,
    ) {
        let caller = decision.caller;
        let effective = engine.effective_scopes(caller);
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let local = caller.origin() == CallerOrigin::Local;
        self.record(Record {
            time: SystemTime::now(),
            policy_revision: engine.revision(),
            input: LoggedInput {
                principal: LoggedPrincipal {
                    sub: caller.subject().to_owned(),
                    client: caller.client_id().map(str::to_owned),
                    issuer: caller
                        .claims()
                        .get("iss")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                    origin: if local { "local" } else { "token" },
                },
                scopes: caller.scopes().iter().cloned().collect(),
                effective_scopes: engine
                    .scope_names(effective)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                transport: if local { "stdio" } else { self.transport },
                environment: engine.env().to_owned(),
                kind: kind.as_str(),
                name: name.to_owned(),
                arguments: LoggedArguments::of(arguments),
            },
            result,
            rule: rule.to_owned(),
            reason: reason.to_owned(),
            missing: engine.missing_names(decision).map(str::to_owned).collect(),
            latency_us,
        });
    }
}

/// The writer thread: writes every record as a line, flushing whenever the queue is empty,
/// and warns when lines were dropped since it last looked. Ends when the log is dropped.
fn write_lines(receiver: &Receiver<Record>, out: Box<dyn Write + Send>, dropped: &AtomicU64) {
    let mut out = io::BufWriter::new(out);
    let mut reported = 0;
    while let Ok(first) = receiver.recv() {
        let mut next = Some(first);
        while let Some(record) = next.take() {
            let mut line = record.to_line();
            line.push('\n');
            if let Err(e) = out.write_all(line.as_bytes()) {
                tracing::warn!(error = %e, "cannot write the decision log");
            }
            next = receiver.try_recv().ok();
        }
        let _ = out.flush();
        let now = dropped.load(Ordering::Relaxed);
        if now > reported {
            tracing::warn!(
                dropped = now,
                "the decision log could not keep up and dropped {} line(s) ({now} in all)",
                now - reported
            );
            reported = now;
        }
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Blocks every write until the gate opens; says when a write is waiting.
    struct Gated(Arc<Mutex<()>>, Arc<AtomicU64>, Shared);
    impl Write for Gated {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.1.fetch_add(1, Ordering::SeqCst);
            let _open = self.0.lock().unwrap();
            self.2.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn arguments_are_named_and_digested_never_shown() {
        let a =
            LoggedArguments::of(&serde_json::json!({"reason": "x", "order_id": "TN-1"})).unwrap();
        let b =
            LoggedArguments::of(&serde_json::json!({"order_id": "TN-1", "reason": "x"})).unwrap();
        let c =
            LoggedArguments::of(&serde_json::json!({"order_id": "TN-2", "reason": "x"})).unwrap();
        assert_eq!(a.names, ["order_id", "reason"]);
        assert_eq!(a.sha256, b.sha256, "key order does not change the digest");
        assert_ne!(a.sha256, c.sha256, "another value does");
        assert_eq!(a.sha256.len(), 64);
        assert!(LoggedArguments::of(&serde_json::Value::Null).is_none());
    }

    fn record(name: &str) -> Record {
        Record {
            time: SystemTime::UNIX_EPOCH + Duration::from_micros(1_780_000_000_123_456),
            policy_revision: 2,
            input: LoggedInput {
                principal: LoggedPrincipal {
                    sub: "ana".into(),
                    client: Some("desk".into()),
                    issuer: None,
                    origin: "token",
                },
                scopes: vec!["tools.read".into()],
                effective_scopes: vec!["orders:read".into()],
                transport: "http",
                environment: "prod".into(),
                kind: "tool",
                name: name.into(),
                arguments: LoggedArguments::of(
                    &serde_json::json!({"order_id": "TN-1", "reason": "x"}),
                ),
            },
            result: "deny",
            rule: "declared:cancel_order".into(),
            reason: "missing scope(s) orders:write".into(),
            missing: vec!["orders:write".into()],
            latency_us: 3,
        }
    }

    fn wait_for(out: &Shared, lines: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
            if text.lines().count() >= lines || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_line_is_one_versioned_json_object() {
        let line = record("cancel_order").to_line();
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["v"], 1);
        assert_eq!(v["time"], "2026-05-28T20:26:40.123456Z");
        assert_eq!(v["input"]["principal"]["sub"], "ana");
        assert_eq!(v["input"]["principal"]["issuer"], serde_json::Value::Null);
        assert_eq!(v["input"]["environment"], "prod");
        assert_eq!(v["input"]["name"], "cancel_order");
        assert_eq!(v["result"], "deny");
        assert_eq!(v["missing"][0], "orders:write");
        assert_eq!(v["latency_us"], 3);
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let gate = Arc::new(Mutex::new(()));
        let waiting = Arc::new(AtomicU64::new(0));
        let out = Shared::default();
        let closed = gate.lock().unwrap();
        let log = DecisionLog::with_writer(
            Box::new(Gated(gate.clone(), waiting.clone(), out.clone())),
            2,
            "http",
        )
        .unwrap();
        // The writer takes the first record and blocks writing it out...
        log.record(record("t0"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while waiting.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "the writer never wrote");
            std::thread::sleep(Duration::from_millis(1));
        }
        // ... so two more fill the queue and the other seven are dropped, at once.
        let started = Instant::now();
        for i in 1..10 {
            log.record(record(&format!("t{i}")));
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "recording never waits"
        );
        assert_eq!(log.dropped(), 7);
        drop(closed);
        let written = wait_for(&out, 3);
        let names: Vec<&str> = written
            .lines()
            .map(|l| {
                l.split("\"name\":\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
            })
            .collect();
        assert_eq!(names, ["t0", "t1", "t2"], "{written}");
    }

    #[test]
    fn targets_parse_and_resolve_relative_files() {
        let base = Path::new("/etc/technova");
        assert_eq!(
            DecisionLogTarget::parse("off", base),
            Ok(DecisionLogTarget::Off)
        );
        assert_eq!(
            DecisionLogTarget::parse("file:/var/log/d.jsonl", base),
            Ok(DecisionLogTarget::File("/var/log/d.jsonl".into()))
        );
        assert!(DecisionLogTarget::parse("file:", base).is_err());
        assert!(
            DecisionLogTarget::parse("syslog", base)
                .unwrap_err()
                .contains("expected `off`, `stderr` or `file:PATH`")
        );
    }

    #[test]
    fn the_policy_sets_it_per_environment_and_refuses_what_is_not_a_target() {
        use crate::policy::{Policy, Source};
        let parse = |text: &str| {
            Policy::parse(
                Source {
                    name: "p.toml".into(),
                    text: text.into(),
                    base_dir: "/srv".into(),
                },
                Arc::new(crate::authz::Catalog::default()),
            )
        };
        let stdio = "transport = \"stdio\"\nprincipal = { sub = \"me\" }\n";
        let policy = parse(&format!(
            "[defaults]\ndecision_log = \"stderr\"\n[env.a]\n{stdio}[env.b]\n{stdio}decision_log = \"file:d.jsonl\"\n"
        ))
        .unwrap();
        let target = |env: &str| {
            policy
                .compile(env, &|_| None)
                .unwrap()
                .settings()
                .decision_log
                .clone()
        };
        assert_eq!(target("a"), DecisionLogTarget::Stderr);
        assert_eq!(target("b"), DecisionLogTarget::File("/srv/d.jsonl".into()));
        let e = parse(&format!("[env.a]\n{stdio}decision_log = \"syslog\"\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.toml:4:16: invalid decision log `syslog`: expected `off`, `stderr` or `file:PATH`"
        );
    }
}
