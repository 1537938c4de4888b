//! Live metrics for long runs (`run --metrics-addr`): the running counts and
//! latency of every backend, phase and cell in the Prometheus text format.
//!
//! Fed by the per-second aggregator once a second (a lock per finished
//! second, never per request), read by each scrape.

use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

/// Upper bounds of the latency histogram's buckets, in seconds (Prometheus
/// client defaults, widened down to 100 µs for fast stores).
pub const BUCKETS_S: [f64; 16] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// One series: a backend's phase in one matrix cell.
#[derive(Debug, Default, Clone)]
struct Series {
    requests: u64,
    errors: u64,
    /// Cumulative counts at or below each bound of [`BUCKETS_S`].
    buckets: [u64; BUCKETS_S.len()],
    count: u64,
    sum_s: f64,
    last_p99_s: Option<f64>,
    running: bool,
}

type Labels = (String, String, String);

/// Every series of the run.
#[derive(Debug, Default)]
pub struct Exposition {
    series: Mutex<BTreeMap<Labels, Series>>,
}

/// Where one phase reports its seconds.
#[derive(Debug, Clone)]
pub struct SeriesHandle {
    to: Arc<Exposition>,
    labels: Labels,
}

impl Exposition {
    pub fn new() -> Arc<Self> {
        Arc::new(Exposition::default())
    }

    /// The series of (backend, phase, cell), marked running until [`SeriesHandle::finish`].
    pub fn series(self: &Arc<Self>, backend: &str, phase: &str, cell: &str) -> SeriesHandle {
        let labels = (backend.to_string(), phase.to_string(), cell.to_string());
        if let Ok(mut m) = self.series.lock() {
            m.entry(labels.clone()).or_default().running = true;
        }
        SeriesHandle { to: self.clone(), labels }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let Ok(m) = self.series.lock() else { return String::new() };
        let mut s = String::new();
        let label = |(b, p, c): &Labels| format!("backend=\"{}\",phase=\"{}\",cell=\"{}\"", esc(b), esc(p), esc(c));
        let family = |s: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        family(
            &mut s,
            "benchplan_requests_total",
            "counter",
            "Requests completed (successful or failed), by backend, phase and matrix cell.",
        );
        for (k, v) in m.iter() {
            let _ = writeln!(s, "benchplan_requests_total{{{}}} {}", label(k), v.requests);
        }
        family(&mut s, "benchplan_errors_total", "counter", "Requests that failed.");
        for (k, v) in m.iter() {
            let _ = writeln!(s, "benchplan_errors_total{{{}}} {}", label(k), v.errors);
        }
        family(
            &mut s,
            "benchplan_request_duration_seconds",
            "histogram",
            "Response time of successful requests (from the intended start in open loop), in seconds.",
        );
        for (k, v) in m.iter() {
            let l = label(k);
            for (b, c) in BUCKETS_S.iter().zip(v.buckets) {
                let _ = writeln!(s, "benchplan_request_duration_seconds_bucket{{{l},le=\"{b}\"}} {c}");
            }
            let _ = writeln!(s, "benchplan_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}", v.count);
            let _ = writeln!(s, "benchplan_request_duration_seconds_sum{{{l}}} {}", v.sum_s);
            let _ = writeln!(s, "benchplan_request_duration_seconds_count{{{l}}} {}", v.count);
        }
        family(&mut s, "benchplan_p99_seconds", "gauge", "P99 response time of the last complete second, in seconds.");
        for (k, v) in m.iter().filter(|(_, v)| v.last_p99_s.is_some()) {
            let _ = writeln!(s, "benchplan_p99_seconds{{{}}} {}", label(k), v.last_p99_s.unwrap_or(0.0));
        }
        family(&mut s, "benchplan_phase_running", "gauge", "1 while the phase runs, 0 after it.");
        for (k, v) in m.iter() {
            let _ = writeln!(s, "benchplan_phase_running{{{}}} {}", label(k), u8::from(v.running));
        }
        s
    }
}

impl SeriesHandle {
    /// Adds one finished second (latencies in nanoseconds).
    pub fn add_second(&self, hist: Option<&Histogram<u64>>, ok: u64, errors: u64) {
        let Ok(mut m) = self.to.series.lock() else { return };
        let v = m.entry(self.labels.clone()).or_default();
        v.requests += ok + errors;
        v.errors += errors;
        if let Some(h) = hist.filter(|h| !h.is_empty()) {
            for (i, b) in BUCKETS_S.iter().enumerate() {
                v.buckets[i] += h.count_between(0, (b * 1e9) as u64);
            }
            v.count += h.len();
            v.sum_s += h.mean() * h.len() as f64 / 1e9;
            v.last_p99_s = Some(h.value_at_quantile(0.99) as f64 / 1e9);
        }
    }

    /// The phase ended.
    pub fn finish(&self) {
        if let Ok(mut m) = self.to.series.lock() {
            m.entry(self.labels.clone()).or_default().running = false;
        }
    }
}

/// A label value escaped as the text format wants (backslash, quote, newline).
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_add_up_into_counters_and_cumulative_buckets() {
        let e = Exposition::new();
        let s = e.series("pg", "serve", "hot=0.8");
        let mut h = crate::stats::new_second_hist();
        for ms in [1u64, 2, 3, 40] {
            h.saturating_record(ms * 1_000_000);
        }
        s.add_second(Some(&h), 4, 1);
        s.add_second(None, 0, 2);
        let text = e.render();
        let labels = r#"backend="pg",phase="serve",cell="hot=0.8""#;
        assert!(text.contains(&format!("benchplan_requests_total{{{labels}}} 7")), "{text}");
        assert!(text.contains(&format!("benchplan_errors_total{{{labels}}} 3")), "{text}");
        // Cumulative: 1 ms at or below 0.001 s, 3 at or below 0.005 s, all 4 at 0.05 s.
        assert!(text.contains(&format!("benchplan_request_duration_seconds_bucket{{{labels},le=\"0.001\"}} 1")), "{text}");
        assert!(text.contains(&format!("benchplan_request_duration_seconds_bucket{{{labels},le=\"0.005\"}} 3")), "{text}");
        assert!(text.contains(&format!("benchplan_request_duration_seconds_bucket{{{labels},le=\"0.05\"}} 4")), "{text}");
        assert!(text.contains(&format!("benchplan_request_duration_seconds_count{{{labels}}} 4")), "{text}");
        assert!(text.contains("# TYPE benchplan_request_duration_seconds histogram"));
        assert!(text.contains(&format!("benchplan_phase_running{{{labels}}} 1")), "{text}");
        s.finish();
        assert!(e.render().contains(&format!("benchplan_phase_running{{{labels}}} 0")));
        assert_eq!(esc("a\"b\\c"), "a\\\"b\\\\c");
    }
}
