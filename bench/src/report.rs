//! The printed tables: one row per server and connection count, with ratios against rmcp and
//! against the bare axum echo measured at the same connection count in the same run.
//!
//! With several rounds, a ratio is the median of the round's ratios: each run against the
//! reference run of the same round and connection count, made seconds before it. The host
//! may slow down for a minute; both runs of a pair then slow down together.

use crate::child::Memory;
use crate::instructions::PerRequest;
use crate::stdio::StdioResult;
use crate::wrk::WrkResult;

/// One measured HTTP run.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    /// The scenario's label.
    pub(crate) label: &'static str,
    /// The round it was measured in (from 1).
    pub(crate) round: u32,
    /// Open connections.
    pub(crate) connections: u32,
    /// wrk's figures.
    pub(crate) result: WrkResult,
    /// The server's memory after the run.
    pub(crate) memory: Memory,
    /// The CPU time (user and system) the server process used during the run.
    pub(crate) cpu: std::time::Duration,
    /// A note (e.g. tokens reused because the list ran out).
    pub(crate) note: String,
}

/// The row standing for one label and connection count, and its ratios.
#[derive(Clone, Debug)]
pub(crate) struct Summary {
    /// The median run, its note extended with the range of runs.
    pub(crate) row: Row,
    /// Throughput against rmcp's, the median of the rounds' ratios.
    pub(crate) vs_rmcp: Option<f64>,
    /// Throughput against the axum echo's, the median of the rounds' ratios.
    pub(crate) vs_axum: Option<f64>,
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// Server CPU time per request, in microseconds: what the server itself spends, whatever
/// share of the cores wrk took.
fn cpu_per_request(row: &Row) -> String {
    if row.result.requests == 0 {
        return "-".to_owned();
    }
    format!(
        "{:.1}",
        row.cpu.as_secs_f64() * 1e6 / row.result.requests as f64
    )
}

fn ratio(a: f64, b: Option<f64>) -> String {
    match b {
        Some(b) if b > 0.0 => times(Some(a / b)),
        _ => "-".to_owned(),
    }
}

fn times(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x"))
}

/// The median of `values` (the lower middle one of an even count); `None` when empty.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len().checked_sub(1)? / 2).copied()
}

/// The median over the rounds of `runs`' throughput against `reference`'s run of the same
/// round and connection count (rounds without one are left out).
fn paired_ratio(runs: &[Row], all: &[Row], reference: &str) -> Option<f64> {
    let ratios = runs
        .iter()
        .filter_map(|run| {
            let base = all.iter().find(|r| {
                r.label == reference && r.round == run.round && r.connections == run.connections
            })?;
            (base.result.rps > 0.0).then(|| run.result.rps / base.result.rps)
        })
        .collect();
    median(ratios)
}

/// One row per label and connection count: the run with the median throughput (the lower
/// of the two middle ones for an even count), its note extended with the range of
/// throughputs when there were several runs, and its paired ratios against the runs labelled
/// `rmcp` and `axum`.
pub(crate) fn medians(mut rows: Vec<Row>, rmcp: &str, axum: &str) -> Vec<Summary> {
    let all = rows.clone();
    rows.sort_by(|a, b| {
        (a.label, a.connections)
            .cmp(&(b.label, b.connections))
            .then(a.result.rps.total_cmp(&b.result.rps))
    });
    rows.chunk_by(|a, b| a.label == b.label && a.connections == b.connections)
        .map(|runs| {
            let mut median = runs[(runs.len() - 1) / 2].clone();
            if let [first, .., last] = runs {
                let range = format!(
                    "{} runs: {:.0}-{:.0} req/s",
                    runs.len(),
                    first.result.rps,
                    last.result.rps
                );
                median.note = if median.note.is_empty() {
                    range
                } else {
                    format!("{range}; {}", median.note)
                };
            }
            Summary {
                row: median,
                vs_rmcp: paired_ratio(runs, &all, rmcp),
                vs_axum: paired_ratio(runs, &all, axum),
            }
        })
        .collect()
}

/// Prints the HTTP table.
pub(crate) fn print_http(rows: &[Summary]) {
    println!(
        "{:<34} {:>5} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  note",
        "server",
        "conns",
        "req/s",
        "p50 ms",
        "p99 ms",
        "cpu µs",
        "RSS MiB",
        "peak",
        "/rmcp",
        "/axum"
    );
    for Summary {
        row: r,
        vs_rmcp,
        vs_axum,
    } in rows
    {
        let mut note = r.note.clone();
        if r.result.non_2xx > 0 || r.result.socket_errors > 0 {
            note.push_str(&format!(
                " {} non-2xx, {} socket errors",
                r.result.non_2xx, r.result.socket_errors
            ));
        }
        println!(
            "{:<34} {:>5} {:>10.0} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  {}",
            r.label,
            r.connections,
            r.result.rps,
            ms(r.result.p50_us),
            ms(r.result.p99_us),
            cpu_per_request(r),
            mib(r.memory.rss_kib),
            mib(r.memory.peak_kib),
            times(*vs_rmcp),
            times(*vs_axum),
            note.trim()
        );
    }
}

/// Prints the stdio table: this runtime against rmcp.
pub(crate) fn print_stdio(runtime: (&str, &StdioResult), rmcp: (&str, &StdioResult), count: u64) {
    println!(
        "{:<34} {:>14} {:>14} {:>8}",
        format!("stdio ({count} requests each)"),
        "sequential/s",
        "pipelined/s",
        "RSS MiB"
    );
    for (label, (era, r)) in [("rmcp", rmcp), ("mcp-runtime", runtime)] {
        println!(
            "{:<34} {:>14.0} {:>14.0} {:>8}",
            format!("{label} (stdio, {era})"),
            r.sequential_rps,
            r.pipelined_rps,
            mib(r.memory.rss_kib)
        );
    }
    println!(
        "{:<34} {:>14} {:>14}",
        "mcp-runtime / rmcp",
        ratio(runtime.1.sequential_rps, Some(rmcp.1.sequential_rps)),
        ratio(runtime.1.pipelined_rps, Some(rmcp.1.pipelined_rps))
    );
}

/// Prints instructions and simulated L1 misses per request, and `axum / row` for each (how
/// many of this row's requests fit in the cost of one axum request).
pub(crate) fn print_instructions(rows: &[(&str, PerRequest)], axum: &str) {
    println!(
        "{:<34} {:>12} {:>8} {:>12} {:>8} {:>12} {:>8}",
        "server", "instr/req", "axum/x", "I1 miss/req", "axum/x", "D1 miss/req", "axum/x"
    );
    let reference = rows.iter().find(|(l, _)| *l == axum).map(|(_, v)| *v);
    let share = |a: Option<f64>, x: f64| match a {
        Some(a) if x > 0.0 => format!("{:.2}x", a / x),
        _ => "-".to_owned(),
    };
    for (label, c) in rows {
        println!(
            "{label:<34} {:>12.0} {:>8} {:>12.0} {:>8} {:>12.0} {:>8}",
            c.instructions,
            share(reference.map(|r| r.instructions), c.instructions),
            c.i1_misses,
            share(reference.map(|r| r.i1_misses), c.i1_misses),
            c.d1_misses,
            share(reference.map(|r| r.d1_misses), c.d1_misses),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &'static str, connections: u32, rps: f64) -> Row {
        Row {
            label,
            round: 1,
            connections,
            result: WrkResult {
                rps,
                ..WrkResult::default()
            },
            memory: Memory::default(),
            cpu: std::time::Duration::from_millis(500),
            note: String::new(),
        }
    }

    #[test]
    fn the_median_run_stands_for_each_row() {
        let rows = vec![
            row("a", 16, 300.0),
            row("b", 16, 10.0),
            row("a", 16, 100.0),
            row("a", 64, 5.0),
            row("a", 16, 200.0),
        ];
        let m = medians(rows, "b", "b");
        let got: Vec<(&str, u32, f64, &str)> = m
            .iter()
            .map(|s| &s.row)
            .map(|r| (r.label, r.connections, r.result.rps, r.note.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", 16, 200.0, "3 runs: 100-300 req/s"),
                ("a", 64, 5.0, ""),
                ("b", 16, 10.0, ""),
            ]
        );
    }

    #[test]
    fn ratios_pair_each_run_with_the_reference_of_its_round() {
        let run = |label, round, rps| Row {
            round,
            ..row(label, 16, rps)
        };
        // The host halves its speed for both runs of round 2, and x alone meets a slow
        // moment in round 3: the pairs give 0.8x, 0.8x and 0.5x, of which the median is
        // 0.8x, where the medians alone (55 against 100) would say 0.55x.
        let rows = vec![
            run("ref", 1, 100.0),
            run("x", 1, 80.0),
            run("ref", 2, 50.0),
            run("x", 2, 40.0),
            run("ref", 3, 110.0),
            run("x", 3, 55.0),
            run("y", 3, 55.0),
        ];
        let m = medians(rows, "ref", "none");
        let get = |label| m.iter().find(|s| s.row.label == label).unwrap();
        assert_eq!(get("x").vs_rmcp, Some(0.8));
        assert_eq!(get("x").row.result.rps, 55.0);
        assert_eq!(get("ref").vs_rmcp, Some(1.0));
        assert_eq!(get("y").vs_rmcp, Some(0.5), "only round 3 has a pair");
        assert_eq!(get("x").vs_axum, None, "no reference run");
        assert_eq!(median(vec![3.0, 1.0, 2.0, 4.0]), Some(2.0));
        assert_eq!(median(Vec::new()), None);
    }

    #[test]
    fn cpu_per_request_divides_the_server_time_by_the_requests() {
        let mut r = row("a", 16, 1.0);
        r.result.requests = 20_000;
        // 500 ms over 20 000 requests.
        assert_eq!(cpu_per_request(&r), "25.0");
        r.result.requests = 0;
        assert_eq!(cpu_per_request(&r), "-");
    }
}
