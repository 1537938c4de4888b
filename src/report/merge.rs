//! `benchplan merge`: shard runs (`run --shard i/n`) into one run. The
//! shards' measurements (kept in their run.json) are added exactly —
//! histograms added, counters summed, per-second series aligned on
//! wall-clock seconds — and the merged measurements go through the same
//! assembly, checks and exporters as a single run's.

use super::model::{RunReport, Status};
use super::shards::{MergeInfo, ShardIdentity};
use crate::scenario::cell_label;
use crate::stats::measured::{BackendRun, Ending, MeasuredPhase, Recall};
use crate::stats::timeseries::TsPoint;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;

/// A run folder given to `merge`, and its run.
pub struct Input {
    pub dir: String,
    pub run: RunReport,
}

/// Why shards cannot be merged: bad input (exit 2).
pub type Refusal = String;

/// Checks that the inputs are the shards of one run (and at most one setup
/// run of the same scenario) and merges them into `run_id`'s report.
pub fn merge(inputs: Vec<Input>, allow_missing: bool, run_id: String, command: String) -> Result<RunReport, Refusal> {
    let mut shards = Vec::new();
    let mut setup: Option<Input> = None;
    for i in inputs {
        match (i.run.shard.is_some(), i.run.only.as_deref()) {
            (true, _) => shards.push(i),
            (false, Some("setup")) => {
                if let Some(s) = &setup {
                    return Err(format!("{} and {} are both setup runs; give at most one", s.dir, i.dir));
                }
                setup = Some(i);
            }
            (false, only) => {
                let what = only.map_or("a whole run, not a shard".to_string(), |o| format!("a {o} run"));
                return Err(format!(
                    "{}: {what}; merge takes the run folders of `run --shard I/N` (and at most one of `benchplan setup`)",
                    i.dir
                ));
            }
        }
    }
    let Some(first) = shards.first() else { return Err("no shard run among the folders given (runs of `run --shard I/N`)".into()) };
    let (tool, sha, count) = (first.run.tool.clone(), first.run.scenario_sha256.clone(), first.run.shard.as_ref().map_or(0, |s| s.count));
    for i in shards.iter().chain(setup.iter()) {
        if i.run.tool != tool {
            return Err(format!("mixed tool versions: {} ran `{}`, {} ran `{}`", first.dir, tool, i.dir, i.run.tool));
        }
        if i.run.scenario_sha256 != sha {
            return Err(format!(
                "shards of different scenarios: {} ran {} (sha256 {}), {} ran {} (sha256 {})",
                first.dir, first.run.scenario_file, sha, i.dir, i.run.scenario_file, i.run.scenario_sha256
            ));
        }
        if i.run.resolved_scenario != first.run.resolved_scenario {
            return Err(format!("{} and {} ran the scenario with different params (--set)", first.dir, i.dir));
        }
    }
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for i in &shards {
        let Some(sh) = &i.run.shard else { continue };
        if sh.count != count {
            return Err(format!("{} is shard {}/{}, {} is of {count} shards", i.dir, sh.index, sh.count, first.dir));
        }
        if let Some(other) = seen.insert(sh.index, &i.dir) {
            return Err(format!("shard {} given twice: {other} and {}", sh.index, i.dir));
        }
    }
    let missing: Vec<u32> = (0..count).filter(|k| !seen.contains_key(k)).collect();
    if !missing.is_empty() && !allow_missing {
        let list: Vec<String> = missing.iter().map(u32::to_string).collect();
        return Err(format!(
            "shard(s) {} of {count} missing; give every shard's run folder, or --allow-missing to merge the others (the report then says so)",
            list.join(", ")
        ));
    }
    shards.sort_by_key(|i| i.run.shard.as_ref().map_or(0, |s| s.index));
    let info = MergeInfo {
        count,
        shards: shards.iter().map(identity).collect(),
        missing,
        setup_run: setup.as_ref().map(|s| s.run.run_id.clone()),
    };

    let head = &shards[0].run;
    let mut report = RunReport {
        run_id,
        command,
        started_utc: shards.iter().map(|i| i.run.started_utc.clone()).min().unwrap_or_default(),
        finished_utc: shards.iter().map(|i| i.run.finished_utc.clone()).max().unwrap_or_default(),
        backends: Vec::new(),
        setup: setup.as_ref().map(|s| s.run.setup.clone()).unwrap_or_default(),
        rows: Vec::new(),
        breakdown: Vec::new(),
        timeseries: Vec::new(),
        errors: Vec::new(),
        checks: Vec::new(),
        legs: Vec::new(),
        leg_positions: Vec::new(),
        entities: Vec::new(),
        operations: Vec::new(),
        histograms: Vec::new(),
        hot_split: Vec::new(),
        cross_checks: Vec::new(),
        cross_check_notes: Vec::new(),
        warnings: Vec::new(),
        interrupted: shards.iter().any(|i| i.run.interrupted),
        baseline: None,
        only: None,
        shard: None,
        merged: Some(info),
        measured: Vec::new(),
        ..head.clone()
    };
    let names: Vec<String> = head.measured.iter().map(|b| b.name.clone()).collect();
    for name in &names {
        let runs: Vec<(u32, &BackendRun)> =
            shards.iter().filter_map(|i| Some((i.run.shard.as_ref()?.index, i.run.measured.iter().find(|b| &b.name == name)?))).collect();
        super::assemble::add_backend(&mut report, merge_backend(&runs)?)?;
    }
    // A shard's warnings that the merged figures do not repeat (a client at its limit).
    for i in &shards {
        let index = i.run.shard.as_ref().map_or(0, |s| s.index);
        for w in &i.run.warnings {
            if w.contains("benchplan itself kept") {
                report.warnings.push(format!("shard {index}: {w}"));
            }
        }
    }
    if let Some(sh) = &head.shard {
        report.checks = super::checks::evaluate(&sh.checks, &report, &sh.slots, None);
    }
    Ok(report)
}

fn identity(i: &Input) -> ShardIdentity {
    let sh = i.run.shard.as_ref();
    let requests = i.run.measured.iter().flat_map(|b| &b.phases).filter(|p| !p.warmup).map(|p| p.stats.ok + p.stats.error_count()).sum();
    ShardIdentity {
        index: sh.map_or(0, |s| s.index),
        run_id: i.run.run_id.clone(),
        dir: i.dir.clone(),
        host: sh.and_then(|s| s.host.clone()),
        started_utc: i.run.started_utc.clone(),
        finished_utc: i.run.finished_utc.clone(),
        start_at_utc: sh.and_then(|s| s.start_at_utc.clone()),
        clock: sh.and_then(|s| s.clock),
        requests,
    }
}

/// One backend's runs in every shard, as one run.
fn merge_backend(runs: &[(u32, &BackendRun)]) -> Result<BackendRun, Refusal> {
    let Some((_, first)) = runs.first() else { return Err("no shard measured this backend".into()) };
    let mut out = BackendRun { setup: Vec::new(), phases: Vec::new(), warnings: Vec::new(), ..(*first).clone() };
    let failed = |e: Ending| runs.iter().any(|(_, r)| r.ending == e);
    out.ending = if failed(Ending::Failed) {
        Ending::Failed
    } else if failed(Ending::Interrupted) {
        Ending::Interrupted
    } else {
        Ending::Ok
    };
    let errors: Vec<String> = runs.iter().filter_map(|(k, r)| r.error.as_ref().map(|e| format!("shard {k}: {e}"))).collect();
    out.error = (!errors.is_empty()).then(|| errors.join("; "));
    for (_, r) in runs {
        for w in &r.warnings {
            if !out.warnings.contains(w) {
                out.warnings.push(w.clone());
            }
        }
        out.data_bytes = out.data_bytes.or(r.data_bytes);
    }
    // Phases by (phase, cell), in the order the shards ran them.
    let mut keys: Vec<(String, String)> = Vec::new();
    for (_, r) in runs {
        for p in &r.phases {
            let k = (p.id.phase.clone(), cell_label(&p.id.cell));
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    for k in keys {
        let parts: Vec<(u32, &MeasuredPhase)> = runs
            .iter()
            .filter_map(|(i, r)| Some((*i, r.phases.iter().find(|p| p.id.phase == k.0 && cell_label(&p.id.cell) == k.1)?)))
            .collect();
        out.phases.push(merge_phase(&parts));
    }
    Ok(out)
}

/// One phase of every shard, as one phase.
fn merge_phase(parts: &[(u32, &MeasuredPhase)]) -> MeasuredPhase {
    let mut m = parts[0].1.clone();
    let rest = &parts[1..];
    for (_, p) in rest {
        m.stats.add(&p.stats);
        m.id.workers += p.id.workers;
        m.id.target_rps = m.id.target_rps.zip(p.id.target_rps).map(|(a, b)| a + b);
        m.missed = sum_opt(m.missed, p.missed);
        m.cost_usd = sum_opt(m.cost_usd, p.cost_usd);
        m.explain_asked |= p.explain_asked;
        m.statements_bound = m.statements_bound.max(p.statements_bound);
        m.drain_s = m.drain_s.max(p.drain_s);
        m.client = match (m.client, p.client) {
            (Some(a), Some(b)) => Some(crate::stats::process::ClientUsage {
                cpu_s: a.cpu_s + b.cpu_s,
                peak_rss_bytes: a.peak_rss_bytes.max(b.peak_rss_bytes),
                peak_is_phase: a.peak_is_phase && b.peak_is_phase,
                cores: a.cores + b.cores,
            }),
            (a, b) => a.or(b),
        };
    }
    // The phase lasted from the first shard's start to the last one's end.
    let spans: Option<Vec<(f64, f64)>> = parts.iter().map(|(_, p)| p.started_unix_s.map(|s| (s, s + p.duration_s))).collect();
    match spans {
        Some(s) => {
            let start = s.iter().map(|x| x.0).fold(f64::INFINITY, f64::min);
            let end = s.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max);
            m.started_unix_s = Some(start);
            m.duration_s = end - start;
        }
        None => m.duration_s = parts.iter().map(|(_, p)| p.duration_s).fold(0.0, f64::max),
    }
    let stopped: Vec<String> = parts.iter().filter_map(|(k, p)| p.stopped_early.as_ref().map(|w| format!("shard {k}: {w}"))).collect();
    m.stopped_early = (!stopped.is_empty()).then(|| stopped.join("; "));
    m.recall = merge_recall(parts.iter().filter_map(|(_, p)| p.recall));
    m.server = None;
    m.timeseries = merge_seconds(parts);
    m
}

fn sum_opt<T: std::ops::Add<Output = T>>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

/// Recall over every shard's queries: their mean weighted by queries; the
/// 5th percentile is the lowest shard's (an approximation: the per-query
/// values are not kept).
fn merge_recall(rs: impl Iterator<Item = Recall>) -> Option<Recall> {
    rs.reduce(|a, b| {
        let q = a.queries + b.queries;
        Recall {
            k: a.k,
            queries: q,
            recall_at_k: (a.recall_at_k * a.queries as f64 + b.recall_at_k * b.queries as f64) / q.max(1) as f64,
            recall_at_k_p5: a.recall_at_k_p5.min(b.recall_at_k_p5),
        }
    })
}

/// The shards' per-second series on one wall clock: seconds with the same
/// unix second are added (their histograms too), second 0 is the earliest.
fn merge_seconds(parts: &[(u32, &MeasuredPhase)]) -> Vec<TsPoint> {
    let mut by_unix: BTreeMap<u64, (Option<Histogram<u64>>, u64, u64)> = BTreeMap::new();
    for (_, p) in parts {
        for t in &p.timeseries {
            let Some(u) = t.unix_s else { continue };
            let e = by_unix.entry(u).or_insert((None, 0, 0));
            if let Some(h) = t.hist.as_deref().and_then(|d| crate::stats::stored::decode(d).ok()) {
                match &mut e.0 {
                    Some(acc) => {
                        let _ = acc.add(&h);
                    }
                    None => e.0 = Some(h),
                }
            }
            e.1 += t.requests - t.errors;
            e.2 += t.errors;
        }
    }
    let Some(&origin) = by_unix.keys().next() else { return Vec::new() };
    let last = by_unix.keys().next_back().copied().unwrap_or(origin);
    (origin..=last)
        .map(|u| {
            let mut p = match by_unix.get(&u) {
                Some((h, ok, errors)) => TsPoint::of(u - origin, h.as_ref(), *ok, *errors),
                None => TsPoint::empty(u - origin),
            };
            p.unix_s = Some(u);
            p
        })
        .collect()
}

/// The exit status a merged run earns: as `run`'s.
pub fn failed_backend(r: &RunReport) -> Option<&super::model::BackendStatus> {
    r.backends.iter().find(|b| b.status == Status::Failed)
}
