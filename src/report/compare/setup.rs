//! Setup steps in compare: an index build's size (`index_mb`, the index's
//! bytes as the server tells them) and its build time (`build_s`, shown,
//! not gated: one figure a run, and machine-bound). The size is gated by
//! `memory_rise` like the client's peak memory: one figure a run, no test,
//! deterministic for the same data, method and parameters.

use super::{rel, MetricDelta, RowDelta, Thresholds, Verdict};
use crate::report::model::RunReport;

/// A row per setup step that has a size in both runs (an index step),
/// matched by backend and step label.
pub(super) fn rows(base: &RunReport, new: &RunReport, th: &Thresholds) -> Vec<RowDelta> {
    let mut out = Vec::new();
    for n in new.setup.iter().filter(|s| s.bytes.is_some()) {
        let Some(b) = base.setup.iter().find(|b| b.backend == n.backend && b.step == n.step && b.bytes.is_some()) else { continue };
        let mb = |v: Option<u64>| v.map(|x| x as f64 / 1e6);
        let (bm, nm) = (mb(b.bytes), mb(n.bytes));
        let verdict = match bm.zip(nm).and_then(|(x, y)| rel(x, y)) {
            None => Verdict::Info,
            Some(r) if r > th.memory_rise => Verdict::Regression,
            Some(r) if r < -th.memory_rise => Verdict::Improvement,
            Some(_) => Verdict::Ok,
        };
        let one = |metric, base, new, verdict| MetricDelta { metric, base, new, p_value: None, samples: (1, 1), intervals: None, verdict };
        out.push(RowDelta {
            backend: n.backend.clone(),
            phase: format!("setup: {}", n.step),
            cell: "-".into(),
            metrics: vec![one("index_mb", bm, nm, verdict), one("build_s", Some(b.duration_s), Some(n.duration_s), Verdict::Info)],
        });
    }
    out
}
