//! The report's rows, built from what the runner measured: result and
//! breakdown rows, errors, legs, entities, operations, histograms (with
//! their file names) and the per-second series of every phase.

use super::model::*;
use crate::prices::per_million;
use crate::scenario::cell_label;
use crate::stats::measured::{BackendRun, Ending, MeasuredPhase, PhaseId};
use crate::stats::process::ClientUsage;
use crate::stats::{CacheSummary, ErrorKind, Latency, OpAcc, SEGMENTS};
use base64::Engine;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use hdrhistogram::Histogram;

/// Adds one backend's measurements to the report.
pub fn add_backend(report: &mut RunReport, run: BackendRun) -> Result<(), String> {
    report.backends.push(BackendStatus {
        name: run.name.clone(),
        kind: run.kind.clone(),
        status: match run.ending {
            Ending::Ok => Status::Ok,
            Ending::Failed => Status::Failed,
            Ending::Interrupted => Status::Interrupted,
        },
        error: run.error.clone(),
        server: run.server.clone(),
        cost_basis: run.cost_basis.clone(),
        data_bytes: run.data_bytes,
        prices: run.prices,
    });
    for s in &run.setup {
        report.setup.push(SetupRow {
            backend: run.name.clone(),
            kind: run.kind.clone(),
            step: s.step.clone(),
            rows: s.rows,
            duration_s: s.duration_s,
            rows_per_s: if s.duration_s > 0.0 { s.rows as f64 / s.duration_s } else { 0.0 },
            cost_usd: s.cost_usd,
            capacity: s.usage.map(|(u, m)| Capacity::new(u, m)),
            bytes: s.bytes,
        });
    }
    report.warnings.extend(run.warnings.iter().cloned());
    for p in &run.phases {
        add_phase(report, &run, p)?;
    }
    report.findmax.extend(run.findmax.iter().cloned());
    Ok(())
}

pub(crate) fn add_phase(report: &mut RunReport, run: &BackendRun, m: &MeasuredPhase) -> Result<(), String> {
    let (id, st) = (&m.id, &m.stats);
    let label = cell_label(&id.cell);
    let errors_total = st.error_count();
    for k in ErrorKind::ALL {
        let n = st.errors[k as usize];
        if n > 0 {
            report.errors.push(ErrorRow {
                backend: id.backend.clone(),
                cell: label.clone(),
                phase: id.phase.clone(),
                kind: k.as_str().to_string(),
                count: n,
                examples: st.examples.iter().filter(|(ek, _)| *ek == k).map(|(_, m)| m.clone()).collect(),
            });
        }
    }
    let checks = super::xcheck::rows(m, &label, &mut report.warnings, &mut report.cross_check_notes);
    report.cross_checks.extend(checks);
    if m.warmup {
        if errors_total > 0 {
            report.warnings.push(format!("{}: warmup {} [{label}] had {errors_total} failed requests", id.backend, id.phase));
        }
        return Ok(());
    }
    let secs = m.duration_s;
    let resp = st.overall(false);
    let svc = st.open_loop.then(|| st.overall(true));
    let mut r = row(id);
    fill(&mut r, st.ok, errors_total, secs, &resp, svc.as_ref(), Some(st.late));
    r.rows_per_request = if st.ok > 0 { st.rows as f64 / st.ok as f64 } else { 0.0 };
    r.rows_per_s = Some(if secs > 0.0 { st.rows as f64 / secs } else { 0.0 });
    r.cache = CacheSummary::of(&st.explain);
    r.capacity = m.meter.map(|meter| Capacity::new(st.usage, meter));
    r.missed_requests = m.missed;
    r.partial = m.stopped_early.clone();
    r.hot_key_share = (st.keys_drawn > 0).then(|| st.keys_hot as f64 / st.keys_drawn as f64);
    r.client = m.client.map(|u| client_resources(&u, r.requests, secs + m.drain_s));
    if let Some(c) = r.client.as_ref().filter(|c| c.cpu_share > SATURATED) {
        report.warnings.push(format!(
            "{}: {} [{label}]: benchplan itself kept {:.0} % of its {} core(s) busy: its figures may measure the client more than the backend (fewer workers, or a client machine of its own)",
            id.backend,
            id.phase,
            c.cpu_share * 100.0,
            c.cores
        ));
    }
    r.recall = m.recall;
    r.server = m.server.as_ref().and_then(ServerFigures::of);
    r.cost_usd = m.cost_usd;
    r.cost_per_million_usd = m.cost_usd.and_then(|c| per_million(c, r.requests));
    if m.explain_asked && r.cache.is_none() {
        report.warnings.push(format!("{}: explain_every is set, but the {} backend samples no query plans", id.backend, id.kind));
    }
    if let Some(target) = id.target_rps {
        if r.throughput_rps < target * 0.95 {
            report.warnings.push(format!(
                "{} {} [{label}]: achieved {:.1} req/s, short of the target {target} req/s ({} requests started late); latency is measured from each request's intended start",
                id.backend, id.phase, r.throughput_rps, st.late
            ));
        }
    }
    if let Some(missed) = m.missed.filter(|n| *n > 0) {
        report.warnings.push(format!(
            "{} {} [{label}]: {missed} requests were due within the phase but never sent (the backend or the workers could not keep up with {} req/s); they are counted in missed_requests, not in the latency figures",
            id.backend,
            id.phase,
            id.target_rps.unwrap_or(0.0)
        ));
    }
    if m.drain_s >= 0.5 {
        report.warnings.push(format!(
            "{} {} [{label}]: waited {:.1} s after the phase's {:.1} s for requests in flight; they are counted, and throughput is over the {:.1} s",
            id.backend, id.phase, m.drain_s, m.duration_s, m.duration_s
        ));
    }
    r.cache_score_corr = st.hot_split.score_corr();
    report.rows.push(r);
    add_legs(report, run, m, &label);
    let cells = st.hot_split.cells();
    let total: u64 = cells.iter().map(|c| c.latency.len()).sum();
    for c in cells {
        report.hot_split.push(HotSplitRow {
            backend: id.backend.clone(),
            cell: label.clone(),
            phase: id.phase.clone(),
            entities: c.entities,
            hot_entities: c.hot,
            cache_score: c.cache_score(),
            requests: c.latency.len(),
            share: c.latency.len() as f64 / total.max(1) as f64,
            latency: Latency::of(c.latency),
        });
    }
    for (s, seg) in SEGMENTS.iter().enumerate() {
        if let Some(h) = &st.response[s] {
            let mut br = row(id);
            br.segment = Some(seg.to_string());
            fill(&mut br, h.len(), 0, secs, h, st.service[s].as_ref(), None);
            report.breakdown.push(br);
        }
    }
    let stem = histogram_stem(&id.backend, &id.phase, &label);
    for (suffix, measure, h) in [("", "response", Some(&resp)), ("_service", "service", svc.as_ref())] {
        if let Some(h) = h {
            report.histograms.push(HistogramRecord {
                file: format!("{stem}{suffix}.hgrm"),
                backend: id.backend.clone(),
                phase: id.phase.clone(),
                cell: label.clone(),
                measure: measure.into(),
                data: encode_hist(h)?,
            });
        }
    }
    for p in &m.timeseries {
        report.timeseries.push(TsRow {
            backend: id.backend.clone(),
            cell: label.clone(),
            phase: id.phase.clone(),
            second: p.second,
            requests: p.requests,
            errors: p.errors,
            p50_ms: p.p50_ms,
            p99_ms: p.p99_ms,
            p95_ms: p.p95_ms,
            mean_ms: p.mean_ms,
            unix_s: p.unix_s,
        });
    }
    Ok(())
}

/// The slowest-leg, per-entity and per-operation rows of a phase.
fn add_legs(report: &mut RunReport, run: &BackendRun, m: &MeasuredPhase, label: &str) {
    let (id, st) = (&m.id, &m.stats);
    let timed: u64 = st.slowest.iter().sum();
    for (t, n) in st.slowest.iter().enumerate().filter(|(_, n)| **n > 0) {
        report.legs.push(LegRow {
            backend: id.backend.clone(),
            cell: label.to_string(),
            phase: id.phase.clone(),
            table: run.tables.get(t).cloned().unwrap_or_default(),
            slowest: *n,
            share: *n as f64 / timed as f64,
        });
    }
    for (n, first, counts) in &st.positions.groups {
        let total: u64 = counts.iter().sum();
        for (i, c) in counts.iter().enumerate() {
            report.leg_positions.push(LegPositionRow {
                backend: id.backend.clone(),
                cell: label.to_string(),
                phase: id.phase.clone(),
                legs: *n,
                position: i as u16 + 1,
                first_table: first.and_then(|t| run.tables.get(t as usize).cloned()),
                slowest: *c,
                share: if total > 0 { *c as f64 / total as f64 } else { 0.0 },
            });
        }
    }
    for (e, h) in st.entity.iter().enumerate() {
        if let Some(h) = h.as_ref().filter(|h| !h.is_empty()) {
            report.entities.push(EntityRow {
                backend: id.backend.clone(),
                cell: label.to_string(),
                phase: id.phase.clone(),
                entity: run.entities.get(e).cloned().unwrap_or_default(),
                requests: h.len(),
                p50_ms: h.value_at_quantile(0.5) as f64 / 1e6,
                p99_ms: h.value_at_quantile(0.99) as f64 / 1e6,
                max_ms: h.max() as f64 / 1e6,
            });
        }
    }
    for (o, a) in st.ops.iter().enumerate() {
        let op = m.op_labels.get(o).cloned().unwrap_or_default();
        let name = m.op_names.get(o).cloned().flatten();
        report.operations.push(op_row(id, label, op.clone(), name.clone(), None, a, m.duration_s));
        for (step, acc) in st.steps.iter().enumerate() {
            let Some(sl) = m.step_labels.get(step).filter(|sl| sl.op == o) else { continue };
            let mut r = op_row(id, label, op.clone(), name.clone(), Some(sl.name.clone()), acc, m.duration_s);
            r.step_does = Some(sl.what.clone());
            report.operations.push(r);
        }
    }
}

/// A row of the per-operation table: a mix entry's requests, or one of its steps.
fn op_row(id: &PhaseId, cell: &str, op: String, name: Option<String>, step: Option<String>, a: &OpAcc, secs: f64) -> OpRow {
    let h = a.latency.as_ref().filter(|h| !h.is_empty());
    let q = |p: f64| h.map(|h| h.value_at_quantile(p) as f64 / 1e6);
    let requests = h.map_or(0, |h| h.len()) + a.errors;
    OpRow {
        backend: id.backend.clone(),
        cell: cell.to_string(),
        phase: id.phase.clone(),
        op,
        name,
        step,
        step_does: None,
        requests,
        errors: a.errors,
        p50_ms: q(0.5),
        p99_ms: q(0.99),
        max_ms: h.map(|h| h.max() as f64 / 1e6),
        latency: h.map(Latency::of),
        throughput_rps: if secs > 0.0 { requests as f64 / secs } else { 0.0 },
    }
}

fn row(id: &PhaseId) -> ResultRow {
    ResultRow {
        backend: id.backend.clone(),
        kind: id.kind.clone(),
        phase: id.phase.clone(),
        cell: id.cell.clone(),
        segment: None,
        workers: id.workers,
        requests: 0,
        errors: 0,
        error_rate: 0.0,
        duration_s: 0.0,
        throughput_rps: 0.0,
        latency: Latency::default(),
        cost_usd: None,
        cost_per_million_usd: None,
        target_rps: id.target_rps,
        service_p50_ms: None,
        service_p99_ms: None,
        late_requests: None,
        missed_requests: None,
        rows_per_request: 0.0,
        cache: None,
        capacity: None,
        partial: None,
        hot_key_share: None,
        recall: None,
        settings: id.settings.clone(),
        cache_score_corr: None,
        rows_per_s: None,
        client: None,
        server: None,
    }
}

/// Above this share of its cores busy, the client is called saturated.
const SATURATED: f64 = 0.8;

/// The client's use over a phase that ran `secs` (its window and the drain).
fn client_resources(u: &ClientUsage, requests: u64, secs: f64) -> ClientResources {
    ClientResources {
        cpu_s: u.cpu_s,
        cpu_per_request_us: (requests > 0).then(|| u.cpu_s * 1e6 / requests as f64),
        cpu_share: if secs > 0.0 { u.cpu_s / (secs * u.cores.max(1) as f64) } else { 0.0 },
        cores: u.cores,
        peak_rss_mb: u.peak_rss_bytes.map(|b| b as f64 / 1e6),
        peak_scope: if u.peak_is_phase { "phase" } else { "process" }.into(),
    }
}

fn fill(r: &mut ResultRow, ok: u64, errors: u64, secs: f64, resp: &Histogram<u64>, svc: Option<&Histogram<u64>>, late: Option<u64>) {
    r.requests = ok + errors;
    r.errors = errors;
    r.error_rate = if r.requests > 0 { errors as f64 / r.requests as f64 } else { 0.0 };
    r.duration_s = secs;
    r.throughput_rps = if secs > 0.0 { r.requests as f64 / secs } else { 0.0 };
    r.latency = Latency::of(resp);
    if let Some(s) = svc {
        let l = Latency::of(s);
        r.service_p50_ms = Some(l.p50_ms);
        r.service_p99_ms = Some(l.p99_ms);
        r.late_requests = late;
    }
}

/// An encoded histogram for run.json; an error, never an empty string.
pub(crate) fn encode_hist(h: &Histogram<u64>) -> Result<String, String> {
    let mut buf = Vec::new();
    V2Serializer::new().serialize(h, &mut buf).map_err(|e| format!("cannot encode a histogram: {e:?}"))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(buf))
}

/// A file-name-safe form of `s`.
pub fn file_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' }).collect()
}

/// `<backend>_<phase>[_<cell>]`: the stem of a phase's histogram files,
/// from the cell's label (`-` for a scenario without a matrix).
pub fn histogram_stem(backend: &str, phase: &str, cell_label: &str) -> String {
    let cell_part = if cell_label == "-" { String::new() } else { format!("_{}", file_safe(&cell_label.replace(' ', "_"))) };
    format!("{}_{}{}", file_safe(backend), file_safe(phase), cell_part)
}

/// A histogram's file under `latency/`, named from what it measured (never
/// from a name stored in run.json, so a crafted file cannot point elsewhere).
pub fn histogram_file(h: &HistogramRecord) -> String {
    let suffix = if h.measure == "service" { "_service" } else { "" };
    format!("{}{suffix}.hgrm", histogram_stem(&h.backend, &h.phase, &h.cell))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_s_share_of_its_cores_is_over_the_phase_and_its_drain() {
        let u = ClientUsage { cpu_s: 3.4, peak_rss_bytes: Some(20_500_000), peak_is_phase: true, cores: 2 };
        let c = client_resources(&u, 10_000, 2.0);
        // 3.4 CPU seconds in 2 s on 2 cores: 85 % busy, saturated; 340 µs a request.
        assert!((c.cpu_share - 0.85).abs() < 1e-9 && c.cpu_share > SATURATED, "{c:?}");
        assert_eq!((c.cpu_per_request_us, c.peak_rss_mb, c.peak_scope.as_str()), (Some(340.0), Some(20.5), "phase"));
        let idle = client_resources(&ClientUsage { cpu_s: 0.5, peak_is_phase: false, ..u }, 0, 2.0);
        assert!(idle.cpu_share < SATURATED && idle.cpu_per_request_us.is_none() && idle.peak_scope == "process", "{idle:?}");
    }
}
