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
//! Recording a value whose label set was seen before takes a read lock and an atomic add
//! (histograms: a short mutex), and allocates nothing.
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

pub use decisions::MAX_RULES;

use decisions::DecisionCounters;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The `Content-Type` of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label set: fixed keys, values from a closed set.
type Labels<const N: usize> = [(&'static str, &'static str); N];

type Histograms<const N: usize> = Family<Labels<N>, Histogram, fn() -> Histogram>;

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

fn request_histogram() -> Histogram {
    Histogram::new(REQUEST_BUCKETS)
}

fn decision_histogram() -> Histogram {
    Histogram::new(DECISION_BUCKETS)
}

/// The runtime's metrics: pre-registered families, shared by every server of the process.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels<4>, Counter>,
    request_seconds: Histograms<3>,
    decisions: Arc<DecisionCounters>,
    decision_seconds: Histograms<1>,
    token_validations: Family<Labels<1>, Counter>,
    token_cache: Family<Labels<1>, Counter>,
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
            Family::new_with_constructor(request_histogram as fn() -> Histogram);
        registry.register(
            "request_duration_seconds",
            "Time to handle a request, from dispatch to its result",
            request_seconds.clone(),
        );
        let decisions = Arc::new(DecisionCounters::default());
        registry.register_collector(Box::new(decisions.clone()));
        let decision_seconds: Histograms<1> =
            Family::new_with_constructor(decision_histogram as fn() -> Histogram);
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
            request_seconds,
            decisions,
            decision_seconds,
            token_validations,
            token_cache,
            jwks_fetches,
            legacy_sessions,
        }
    }

    /// Records one handled request.
    pub(crate) fn request(
        &self,
        method: &'static str,
        era: &'static str,
        transport: &'static str,
        outcome: &'static str,
        elapsed: Duration,
    ) {
        self.requests
            .get_or_create(&[
                ("method", method),
                ("era", era),
                ("transport", transport),
                ("outcome", outcome),
            ])
            .inc();
        self.request_seconds
            .get_or_create(&[("method", method), ("era", era), ("transport", transport)])
            .observe(elapsed.as_secs_f64());
    }

    /// Records one authorization decision on an item of `kind` by the policy rule `rule`.
    pub(crate) fn decision(&self, kind: &'static str, rule: &str, result: &'static str) {
        self.decisions.record(kind, rule, result);
    }

    /// Records how long one authorization decision took.
    pub(crate) fn decision_latency(&self, kind: &'static str, elapsed: Duration) {
        self.decision_seconds
            .get_or_create(&[("kind", kind)])
            .observe(elapsed.as_secs_f64());
    }

    /// Records the outcome of one bearer-token validation.
    pub(crate) fn token_validation(&self, outcome: &'static str) {
        self.token_validations
            .get_or_create(&[("outcome", outcome)])
            .inc();
    }

    /// Records one lookup in the validated-token cache.
    pub(crate) fn token_cache(&self, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.token_cache.get_or_create(&[("result", result)]).inc();
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
        m.request(
            "tools/call",
            "modern",
            "http",
            "ok",
            Duration::from_millis(3),
        );
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
            r#"mcp_requests_total{method="tools/call",era="modern",transport="http",outcome="ok"} 1"#,
            r#"mcp_request_duration_seconds_bucket{method="tools/call",era="modern",transport="http",le="0.005"} 1"#,
            r#"mcp_authz_decisions_total{kind="tool",rule="tools.cancel_order.declared",result="allow"} 1"#,
            r#"mcp_authz_decision_duration_seconds_count{kind="tool"} 1"#,
            r#"mcp_token_validations_total{outcome="valid"} 1"#,
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
