//! `mcp_authz_decisions_total`: authorization decisions by kind, rule and result.
//!
//! Rule names come from the policy as borrowed strings; a label family keyed by owned
//! strings would allocate one per decision just to look its counter up. Here each rule owns
//! one row of atomic counters (kind x result), found by a borrowed lookup under a read lock:
//! recording a decision by a rule seen before allocates nothing.

use foldhash::HashMap;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The most distinct rule names counted apart; decisions by further rules count under the
/// rule `other`, so a policy reloaded again and again cannot grow the series without bound.
pub const MAX_RULES: usize = 1000;

const KINDS: [&str; 4] = ["tool", "prompt", "resource", "other"];
const RESULTS: [&str; 4] = ["allow", "deny", "rate_limited", "other"];

type Row = [[AtomicU64; RESULTS.len()]; KINDS.len()];

fn index(names: &[&str], value: &str) -> usize {
    names
        .iter()
        .position(|n| *n == value)
        .unwrap_or(names.len() - 1)
}

/// Counters of decisions, one row per rule.
#[derive(Debug, Default)]
pub(super) struct DecisionCounters {
    rows: RwLock<HashMap<Box<str>, Row>>,
}

impl DecisionCounters {
    /// Counts one decision.
    pub(super) fn record(&self, kind: &str, rule: &str, result: &str) {
        let (k, r) = (index(&KINDS, kind), index(&RESULTS, result));
        {
            let rows = self.rows.read().unwrap_or_else(|e| e.into_inner());
            if let Some(row) = rows.get(rule) {
                row[k][r].fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        let mut rows = self.rows.write().unwrap_or_else(|e| e.into_inner());
        let rule = if rows.len() >= MAX_RULES && !rows.contains_key(rule) {
            "other"
        } else {
            rule
        };
        rows.entry(rule.into()).or_default()[k][r].fetch_add(1, Ordering::Relaxed);
    }
}

impl Collector for DecisionCounters {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let rows = self.rows.read().unwrap_or_else(|e| e.into_inner());
        let mut rules: Vec<&str> = rows.keys().map(AsRef::as_ref).collect();
        rules.sort_unstable();
        let mut family = encoder.encode_descriptor(
            "authz_decisions",
            "Authorization decisions, by kind of item, deciding policy rule and result.",
            None,
            MetricType::Counter,
        )?;
        for rule in rules {
            let row = &rows[rule];
            for (k, kind) in KINDS.iter().enumerate() {
                for (r, result) in RESULTS.iter().enumerate() {
                    let n = row[k][r].load(Ordering::Relaxed);
                    if n == 0 {
                        continue;
                    }
                    let labels = [("kind", *kind), ("rule", rule), ("result", *result)];
                    ConstCounter::new(n).encode(family.encode_family(&labels)?)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_beyond_the_bound_count_as_other() {
        let c = DecisionCounters::default();
        for i in 0..MAX_RULES + 5 {
            c.record("tool", &format!("rule-{i}"), "deny");
        }
        c.record("tool", "rule-0", "deny");
        let rows = c.rows.read().unwrap();
        assert_eq!(rows.len(), MAX_RULES + 1, "the bound plus `other`");
        assert_eq!(rows["other"][0][1].load(Ordering::Relaxed), 5);
        assert_eq!(rows["rule-0"][0][1].load(Ordering::Relaxed), 2);
    }

    #[test]
    fn unknown_kinds_and_results_are_other_not_dropped() {
        let c = DecisionCounters::default();
        c.record("widget", "r", "maybe");
        let rows = c.rows.read().unwrap();
        assert_eq!(rows["r"][3][3].load(Ordering::Relaxed), 1);
    }
}
