//! A latency histogram recorded with atomic adds only.
//!
//! Every request records two durations. A histogram behind a lock makes the worker threads
//! take turns on it, and a thread preempted while holding it (the machine's other processes
//! share the cores) stalls every request behind it: a tail-latency spike from bookkeeping.
//! Here an observation is two relaxed atomic adds (its bucket, and the sum in nanoseconds);
//! the count is the sum of the buckets, so a scrape always sees them agree.

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};
use std::iter::once;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A histogram of durations, in seconds, with fixed upper bounds. Clones share the counts.
#[derive(Clone, Debug)]
pub(super) struct DurationHistogram(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// Upper bounds in seconds, increasing; `+Inf` follows implicitly.
    bounds: &'static [f64],
    /// Observations per bucket (not cumulative): one per bound, then `+Inf`.
    buckets: Box<[AtomicU64]>,
    /// The sum of the observations, in nanoseconds.
    sum_nanos: AtomicU64,
}

impl DurationHistogram {
    /// An empty histogram with `bounds` (seconds, increasing).
    pub(super) fn new(bounds: &'static [f64]) -> Self {
        Self(Arc::new(Inner {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }))
    }

    /// Records one duration.
    pub(super) fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        // The first bucket whose bound is at least the value (`le`); past the last: `+Inf`.
        let i = self.0.bounds.partition_point(|bound| *bound < seconds);
        self.0.buckets[i].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.0.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

impl TypedMetric for DurationHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for DurationHistogram {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), std::fmt::Error> {
        let buckets: Vec<(f64, u64)> = self
            .0
            .bounds
            .iter()
            .copied()
            .chain(once(f64::INFINITY))
            .zip(self.0.buckets.iter().map(|b| b.load(Ordering::Relaxed)))
            .collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        // Nanoseconds to seconds: exact below 2^53 ns (104 days of accumulated time).
        #[allow(clippy::cast_precision_loss)]
        let sum = self.0.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::prometheus_text::encode;
    use prometheus_client::metrics::histogram::Histogram;
    use prometheus_client::registry::Registry;

    const BOUNDS: [f64; 3] = [0.001, 0.01, 0.1];

    fn text(
        name: &str,
        metric: impl EncodeMetric + Send + Sync + std::fmt::Debug + 'static,
    ) -> String {
        let mut registry = Registry::default();
        registry.register(name, "help", metric);
        let mut out = String::new();
        encode(&mut out, &registry).unwrap();
        out
    }

    #[test]
    fn renders_as_the_locked_histogram_does() {
        let ours = DurationHistogram::new(&BOUNDS);
        let theirs = Histogram::new(BOUNDS);
        for micros in [500, 1000, 1001, 50_000, 2_000_000, 0] {
            let d = Duration::from_micros(micros);
            ours.observe(d);
            theirs.observe(d.as_secs_f64());
        }
        let (ours, theirs) = (text("latency", ours), text("latency", theirs));
        let sum = |text: &str| -> f64 {
            let line = text
                .lines()
                .find(|l| l.starts_with("latency_sum "))
                .unwrap();
            line["latency_sum ".len()..].parse().unwrap()
        };
        assert!((sum(&ours) - 2.052_501).abs() < 1e-9, "{ours}");
        assert!((sum(&ours) - sum(&theirs)).abs() < 1e-9);
        let rest = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.starts_with("latency_sum "))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(rest(&ours), rest(&theirs));
        assert!(ours.contains("latency_bucket{le=\"0.001\"} 3"), "{ours}");
        assert!(ours.contains("latency_bucket{le=\"+Inf\"} 6"), "{ours}");
    }

    #[test]
    fn observations_from_many_threads_all_count() {
        let h = DurationHistogram::new(&BOUNDS);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        h.observe(Duration::from_micros(20));
                    }
                });
            }
        });
        let out = text("t", h);
        assert!(out.contains("t_count 40000"), "{out}");
        assert!(out.contains("t_bucket{le=\"0.001\"} 40000"), "{out}");
        assert!(out.contains("t_sum 0.8"), "{out}");
    }
}
