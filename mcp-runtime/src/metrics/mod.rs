//! Prometheus metrics of the runtime, kept in one in-process registry and rendered in the
//! Prometheus text format (version 0.0.4).
//!
//! Every transport records into the same registry, stdio included; the HTTP transport
//! exports it on its own listener (see `HttpConfig::metrics` in
//! [`transport::http`](crate::transport::http)). [`render`] gives the text anywhere, e.g. to
//! push it from a stdio process.
//!
//! # Series
//! | name | type | labels |
//! | --- | --- | --- |
//! | `mcp_requests_total` | counter | `method`, `era`, `transport`, `outcome` |
//! | `mcp_request_duration_seconds` | histogram | `method`, `era`, `transport` |
//! | `mcp_authz_decisions_total` | counter | `kind`, `rule`, `result` |
//! | `mcp_authz_decision_duration_seconds` | histogram | `kind` |
//! | `mcp_token_validations_total` | counter | `outcome` |
//! | `mcp_token_cache_lookups_total` | counter | `result` (`hit`, `miss`) |
//! | `mcp_jwks_fetches_total` | counter | `outcome` (`ok`, `error`) |
//! | `mcp_legacy_sessions_active` | gauge | |
//!
//! `method` is a method of the protocol (`other` for any name the server does not know),
//! `era` is `modern` or `legacy`, `transport` is `stdio` or `http`, `outcome` of a request
//! is `ok`, `denied`, `rate_limited`, `unauthorized`, `invalid`, `not_found` or `internal`.
//! `kind` is `tool`, `prompt` or `resource`; `rule` is the policy rule that decided (bounded
//! by the policy and the server's catalog; past [`MAX_RULES`] distinct rules the rest count
//! as `other`); `result` is `allow`, `deny` or `rate_limited`.
//!
//! # Cardinality and cost
//! No label ever carries a subject, a token, arguments, a resource URI or a name a client
//! chose: every label value is a `&'static str` of the runtime or a rule name of the policy.
//! Each series is looked up in its family once; its handle is then kept in a slot found by
//! the index of its label values, so recording a value whose label set was seen before is an
//! atomic add (histograms: two) with no lock and no hashing, and allocates nothing.
//!
//! A family appears in the text from its first sample on.
//!
//! # Example
//! ```
//! // E.g. for a stdio process to push, or an application serving its own router.
//! let text = mcp_runtime::metrics::render();
//! assert!(text.contains("# TYPE mcp_legacy_sessions_active gauge"));
//! ```

mod decisions;
mod histogram;

pub use decisions::MAX_RULES;

use decisions::DecisionCounters;
use histogram::DurationHistogram;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The `Content-Type` of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label set: fixed keys, values from a closed set.
type Labels<const N: usize> = [(&'static str, &'static str); N];

type Histograms<const N: usize> = Family<Labels<N>, DurationHistogram, fn() -> DurationHistogram>;

/// Request latency buckets, in seconds: 0.5 ms to 30 s.
const REQUEST_BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Decision latency buckets, in seconds: 1 µs to 10 ms.
const DECISION_BUCKETS: [f64; 10] = [
    0.000_001,
    0.000_002_5,
    0.000_005,
    0.000_01,
    0.000_025,
    0.000_05,
    0.000_1,
    0.000_25,
    0.001,
    0.01,
];

fn request_histogram() -> DurationHistogram {
    DurationHistogram::new(&REQUEST_BUCKETS)
}

fn decision_histogram() -> DurationHistogram {
    DurationHistogram::new(&DECISION_BUCKETS)
}

/// The `outcome` of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RequestOutcome {
    Ok,
    Denied,
    RateLimited,
    Unauthorized,
    Invalid,
    NotFound,
    Internal,
}

impl RequestOutcome {
    const COUNT: usize = 7;

    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
            Self::RateLimited => "rate_limited",
            Self::Unauthorized => "unauthorized",
            Self::Invalid => "invalid",
            Self::NotFound => "not_found",
            Self::Internal => "internal",
        }
    }
}

/// The most request methods counted apart (the protocol's methods, by their index); any other
/// index, and a method the server does not know, count as `other`.
pub(crate) const METHOD_SLOTS: usize = 16;

/// The labels of one handled request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestLabels {
    /// The method's index among the protocol's methods (below [`METHOD_SLOTS`]) and its
    /// name; `None`: a method the server does not know (`other`).
    pub(crate) method: Option<(usize, &'static str)>,
    /// 2026-07-28 (`modern`) or the handshake era (`legacy`).
    pub(crate) modern: bool,
    /// `stdio` or `http`.
    pub(crate) stdio: bool,
    pub(crate) outcome: RequestOutcome,
}

/// Distinct `method`, `era`, `transport` label sets (the slots of the duration histograms):
/// the methods, then `other`.
const REQUEST_HISTOGRAMS: usize = (METHOD_SLOTS + 1) * 2 * 2;

impl RequestLabels {
    /// The method's name, or `other` (also for an index past [`METHOD_SLOTS`]).
    fn method(self) -> (usize, &'static str) {
        match self.method {
            Some((i, name)) if i < METHOD_SLOTS => (i, name),
            _ => (METHOD_SLOTS, "other"),
        }
    }

    /// The slot of the `method`, `era`, `transport` set.
    fn histogram_slot(self) -> usize {
        (self.method().0 * 2 + usize::from(!self.modern)) * 2 + usize::from(self.stdio)
    }

    /// The slot of the whole set.
    fn counter_slot(self) -> usize {
        self.histogram_slot() * RequestOutcome::COUNT + self.outcome as usize
    }
}

/// The `era` label: `modern` (2026-07-28) or `legacy` (the handshake era).
pub(crate) fn era_label(modern: bool) -> &'static str {
    if modern { "modern" } else { "legacy" }
}

/// The handles of a family's series, each found once in the family and kept in a slot
/// numbered by its label values.
struct Slots<M>(Box<[OnceLock<M>]>);

impl<M: Clone> Slots<M> {
    fn new(n: usize) -> Self {
        Self((0..n).map(|_| OnceLock::new()).collect())
    }

    /// The series in slot `i`, looked up with `find` the first time.
    fn get(&self, i: usize, find: impl FnOnce() -> M) -> &M {
        self.0[i].get_or_init(find)
    }
}

/// The `kind` values of decisions, in slot order.
const DECISION_KINDS: [&str; 3] = ["tool", "prompt", "resource"];

/// The `outcome` values of token validations, in slot order (see `TokenError::label`).
const TOKEN_OUTCOMES: [&str; 10] = [
    "valid",
    "malformed",
    "algorithm",
    "critical",
    "ambiguous_key",
    "type",
    "unknown_key",
    "keys_unavailable",
    "invalid",
    "expired",
];

/// The runtime's metrics: pre-registered families, shared by every server of the process.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels<4>, Counter>,
    request_counters: Slots<Counter>,
    request_seconds: Histograms<3>,
    request_histograms: Slots<DurationHistogram>,
    decisions: Arc<DecisionCounters>,
    decision_seconds: Histograms<1>,
    decision_histograms: Slots<DurationHistogram>,
    token_validations: Family<Labels<1>, Counter>,
    token_outcomes: Slots<Counter>,
    token_cache: Family<Labels<1>, Counter>,
    token_cache_results: Slots<Counter>,
    jwks_fetches: Family<Labels<1>, Counter>,
    legacy_sessions: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("mcp");
        let requests = Family::default();
        registry.register(
            "requests",
            "Requests handled, by method, era, transport and outcome",
            requests.clone(),
        );
        let request_seconds: Histograms<3> =
            Family::new_with_constructor(request_histogram as fn() -> DurationHistogram);
        registry.register(
            "request_duration_seconds",
            "Time to handle a request, from dispatch to its result",
            request_seconds.clone(),
        );
        let decisions = Arc::new(DecisionCounters::default());
        registry.register_collector(Box::new(decisions.clone()));
        let decision_seconds: Histograms<1> =
            Family::new_with_constructor(decision_histogram as fn() -> DurationHistogram);
        registry.register(
            "authz_decision_duration_seconds",
            "Time to take one authorization decision",
            decision_seconds.clone(),
        );
        let token_validations = Family::default();
        registry.register(
            "token_validations",
            "Bearer tokens validated, by outcome",
            token_validations.clone(),
        );
        let token_cache = Family::default();
        registry.register(
            "token_cache_lookups",
            "Lookups in the validated-token cache, by result",
            token_cache.clone(),
        );
        let jwks_fetches = Family::default();
        registry.register(
            "jwks_fetches",
            "Fetches of the issuer's signing keys, by outcome",
            jwks_fetches.clone(),
        );
        let legacy_sessions = Gauge::default();
        registry.register(
            "legacy_sessions_active",
            "Legacy (2025-era) HTTP sessions open on this process",
            legacy_sessions.clone(),
        );
        Self {
            registry,
            requests,
            request_counters: Slots::new(REQUEST_HISTOGRAMS * RequestOutcome::COUNT),
            request_seconds,
            request_histograms: Slots::new(REQUEST_HISTOGRAMS),
            decisions,
            decision_seconds,
            decision_histograms: Slots::new(DECISION_KINDS.len()),
            token_validations,
            token_outcomes: Slots::new(TOKEN_OUTCOMES.len()),
            token_cache,
            token_cache_results: Slots::new(2),
            jwks_fetches,
            legacy_sessions,
        }
    }

    /// Records one handled request.
    pub(crate) fn request(&self, labels: RequestLabels, elapsed: Duration) {
        let (method, era) = (labels.method().1, era_label(labels.modern));
        let transport = if labels.stdio { "stdio" } else { "http" };
        self.request_counters
            .get(labels.counter_slot(), || {
                let outcome = labels.outcome.as_str();
                self.requests
                    .get_or_create(&[
                        ("method", method),
                        ("era", era),
                        ("transport", transport),
                        ("outcome", outcome),
                    ])
                    .clone()
            })
            .inc();
        self.request_histograms
            .get(labels.histogram_slot(), || {
                self.request_seconds
                    .get_or_create(&[("method", method), ("era", era), ("transport", transport)])
                    .clone()
            })
            .observe(elapsed);
    }

    /// Records one authorization decision on an item of `kind` by the policy rule `rule`.
    pub(crate) fn decision(&self, kind: &'static str, rule: &str, result: &'static str) {
        self.decisions.record(kind, rule, result);
    }

    /// Records how long one authorization decision took.
    pub(crate) fn decision_latency(&self, kind: &'static str, elapsed: Duration) {
        let find = || {
            self.decision_seconds
                .get_or_create(&[("kind", kind)])
                .clone()
        };
        match DECISION_KINDS.iter().position(|k| *k == kind) {
            Some(i) => self.decision_histograms.get(i, find).observe(elapsed),
            None => find().observe(elapsed),
        }
    }

    /// Records the outcome of one bearer-token validation.
    pub(crate) fn token_validation(&self, outcome: &'static str) {
        let find = || {
            self.token_validations
                .get_or_create(&[("outcome", outcome)])
                .clone()
        };
        match TOKEN_OUTCOMES.iter().position(|o| *o == outcome) {
            Some(i) => self.token_outcomes.get(i, find).inc(),
            None => find().inc(),
        };
    }

    /// Records one lookup in the validated-token cache.
    pub(crate) fn token_cache(&self, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.token_cache_results
            .get(usize::from(hit), || {
                self.token_cache
                    .get_or_create(&[("result", result)])
                    .clone()
            })
            .inc();
    }

    /// Records one fetch of the issuer's signing keys.
    pub(crate) fn jwks_fetch(&self, ok: bool) {
        let outcome = if ok { "ok" } else { "error" };
        self.jwks_fetches
            .get_or_create(&[("outcome", outcome)])
            .inc();
    }

    /// Sets the number of open legacy sessions.
    pub(crate) fn set_legacy_sessions(&self, open: usize) {
        self.legacy_sessions
            .set(i64::try_from(open).unwrap_or(i64::MAX));
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing into a `String` cannot fail.
        let _ = prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// The process's metrics in the Prometheus text format ([`CONTENT_TYPE`]).
pub fn render() -> String {
    global().render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_described_and_recorded_values_appear() {
        let m = Metrics::new();
        let call = RequestLabels {
            method: Some((4, "tools/call")),
            modern: true,
            stdio: false,
            outcome: RequestOutcome::Ok,
        };
        m.request(call, Duration::from_millis(3));
        m.request(call, Duration::from_millis(30));
        m.request(
            RequestLabels {
                method: None,
                modern: false,
                stdio: true,
                outcome: RequestOutcome::NotFound,
            },
            Duration::from_millis(1),
        );
        m.token_validation("expired");
        m.token_validation("valid");
        m.decision_latency("widget", Duration::from_micros(1));
        m.decision("tool", "tools.cancel_order.declared", "allow");
        m.decision_latency("tool", Duration::from_micros(4));
        m.token_validation("valid");
        m.token_cache(true);
        m.token_cache(false);
        m.token_cache(false);
        m.jwks_fetch(true);
        m.set_legacy_sessions(2);
        let text = m.render();
        for line in [
            "# TYPE mcp_requests_total counter",
            r#"mcp_requests_total{method="tools/call",era="modern",transport="http",outcome="ok"} 2"#,
            r#"mcp_requests_total{method="other",era="legacy",transport="stdio",outcome="not_found"} 1"#,
            r#"mcp_request_duration_seconds_bucket{method="tools/call",era="modern",transport="http",le="0.005"} 1"#,
            r#"mcp_request_duration_seconds_count{method="tools/call",era="modern",transport="http"} 2"#,
            r#"mcp_authz_decision_duration_seconds_count{kind="widget"} 1"#,
            r#"mcp_token_validations_total{outcome="expired"} 1"#,
            r#"mcp_authz_decisions_total{kind="tool",rule="tools.cancel_order.declared",result="allow"} 1"#,
            r#"mcp_authz_decision_duration_seconds_count{kind="tool"} 1"#,
            r#"mcp_token_validations_total{outcome="valid"} 2"#,
            r#"mcp_token_cache_lookups_total{result="hit"} 1"#,
            r#"mcp_token_cache_lookups_total{result="miss"} 2"#,
            r#"mcp_jwks_fetches_total{outcome="ok"} 1"#,
            "mcp_legacy_sessions_active 2",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
    }
}
