//! The runner: for every backend, setup once, then every matrix cell's
//! phases in file order, then teardown; collects what was measured into the
//! report, also when a backend fails or the user presses Ctrl-C.

pub mod phase;
pub mod progress;

use crate::backend::{self, Backend, Ctx, WithBackend};
use crate::dataset::{hash_str, mix64, DataModel};
use crate::report::model::*;
use crate::scenario::model::{Phase, Scenario, Step};
use crate::scenario::validate::phase_name;
use crate::scenario::{cell_label, Resolved};
use crate::stats::{ErrorKind, Latency, PhaseStats, SEGMENTS};
use crate::template::Templates;
use crate::workload::Workload;
use base64::Engine;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use phase::{run_phase, PhaseConfig};
use progress::Progress;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_ERROR_RATE: f64 = 0.1;

/// What one backend produced.
#[derive(Default)]
pub struct BackendOutcome {
    pub status: Option<BackendStatus>,
    pub setup: Vec<SetupRow>,
    pub rows: Vec<ResultRow>,
    pub breakdown: Vec<ResultRow>,
    pub timeseries: Vec<TsRow>,
    pub errors: Vec<ErrorRow>,
    pub histograms: Vec<HistogramRecord>,
    pub warnings: Vec<String>,
    pub legs: Vec<LegRow>,
    pub entities: Vec<EntityRow>,
    pub operations: Vec<OpRow>,
    /// Bytes the tables took after the load.
    pub data_bytes: Option<u64>,
}

pub struct BackendJob<'a> {
    pub name: &'a str,
    pub resolved: &'a Resolved,
    pub model: Arc<DataModel>,
    pub templates: &'a Templates,
    pub max_workers: u32,
    pub interrupt: Arc<AtomicBool>,
    pub progress: &'a Progress,
}

/// Connections the busiest phase needs: each worker keeps one, and a
/// `parallel` read takes one more for each further table. The default pool size.
pub fn max_workers(r: &Resolved) -> u32 {
    let mut most = 1u32;
    for c in &r.cells {
        let ds = &c.scenario.dataset;
        let tables_of = |ents: &[String], sel: &Option<Vec<String>>| -> u32 {
            match sel {
                Some(t) => t.len() as u32,
                None => ds
                    .tables
                    .iter()
                    .filter(|t| ents.contains(&t.entity))
                    .map(|t| crate::scenario::validate::expand_table_names(t).len() as u32)
                    .sum(),
            }
        };
        for (i, p) in c.scenario.phases.iter().enumerate() {
            let spec = p.spec();
            let mix =
                spec.mix.as_ref().or_else(|| c.scenario.phases[i..].iter().find(|q| !q.is_warmup()).and_then(|q| q.spec().mix.as_ref()));
            let width = mix
                .map(|m| {
                    m.iter()
                        .filter_map(|e| e.read_features.as_ref())
                        .filter(|r| r.fetch == crate::scenario::model::Fetch::Parallel)
                        .map(|r| tables_of(&r.entities, &r.tables))
                        .max()
                        .unwrap_or(1)
                })
                .unwrap_or(1)
                .max(1);
            most = most.max(spec.workers.unwrap_or(1).saturating_mul(width));
        }
    }
    most.min(1000)
}

fn encode_hist(h: &hdrhistogram::Histogram<u64>) -> String {
    let mut buf = Vec::new();
    let _ = V2Serializer::new().serialize(h, &mut buf);
    base64::engine::general_purpose::STANDARD.encode(buf)
}

/// A file-name-safe form of `s`.
pub fn file_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' }).collect()
}

fn row(job: &BackendJob<'_>, kind: &str, phase: &str, cell: &crate::scenario::Cell, cfg: &PhaseConfig) -> ResultRow {
    let _ = job;
    ResultRow {
        backend: job.name.to_string(),
        kind: kind.to_string(),
        phase: phase.to_string(),
        cell: cell.values.clone(),
        segment: None,
        workers: cfg.workers,
        requests: 0,
        errors: 0,
        error_rate: 0.0,
        duration_s: 0.0,
        throughput_rps: 0.0,
        latency: Latency::default(),
        cost_usd: None,
        cost_per_million_usd: None,
        target_rps: cfg.rate,
        service_p50_ms: None,
        service_p99_ms: None,
        late_requests: None,
        rows_per_request: 0.0,
        cache: None,
        capacity: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn fill(
    r: &mut ResultRow,
    ok: u64,
    errors: u64,
    rows: u64,
    secs: f64,
    resp: &hdrhistogram::Histogram<u64>,
    svc: Option<&hdrhistogram::Histogram<u64>>,
    late: Option<u64>,
) {
    r.requests = ok + errors;
    r.errors = errors;
    r.error_rate = if r.requests > 0 { errors as f64 / r.requests as f64 } else { 0.0 };
    r.duration_s = secs;
    r.throughput_rps = if secs > 0.0 { r.requests as f64 / secs } else { 0.0 };
    r.latency = Latency::of(resp);
    r.rows_per_request = if ok > 0 { rows as f64 / ok as f64 } else { 0.0 };
    if let Some(s) = svc {
        let l = Latency::of(s);
        r.service_p50_ms = Some(l.p50_ms);
        r.service_p99_ms = Some(l.p99_ms);
        r.late_requests = late;
    }
}

impl BackendJob<'_> {
    /// How this backend is charged; None without (usable) pricing.
    fn cost_model(&self) -> Option<crate::cost::CostModel> {
        crate::cost::CostModel::for_backend(self.ctx().config, &self.model).and_then(Result::ok)
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            name: self.name,
            config: &self.resolved.first().backends[self.name],
            model: &self.model,
            templates: self.templates,
            max_workers: self.max_workers,
        }
    }

    async fn step<B: Backend>(&self, b: &B, st: &Step, out: &mut BackendOutcome) -> Result<(), String> {
        let ctx = self.ctx();
        let kind = ctx.config.kind().to_string();
        let rows_total = self.model.total_rows();
        // A load counts rows; create and drop count tables.
        let (label, len, unit) = match st {
            Step::Load(_) => ("load", rows_total, "rows"),
            _ => (st.name(), self.model.tables.len() as u64, "tables"),
        };
        let bar = self.progress.bar(&format!("{} {label}", self.name), len, unit);
        let t0 = Instant::now();
        let work = async {
            match st {
                Step::Create(c) => b.create(&ctx, c, &bar).await.map(|_| backend::Loaded::default()),
                Step::Load(l) => b.load(&ctx, l, &bar).await,
                Step::Drop(_) => b.drop_tables(&ctx, &bar).await.map(|_| backend::Loaded::default()),
            }
        };
        // Ctrl-C stops a long load too, not only the phases; without a
        // terminal, a long step prints status lines as phases do.
        let every = self.progress.status_every();
        let interrupted = async {
            let mut next_line = every;
            while !self.interrupt.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if let Some(at) = next_line.filter(|at| t0.elapsed() >= *at) {
                    let (done, secs) = (bar.position(), t0.elapsed().as_secs_f64());
                    eprintln!("benchplan: {} {label}: {secs:.1} s, {done}/{len} {unit}, {:.0} {unit}/s", self.name, done as f64 / secs);
                    next_line = every.map(|e| at + e);
                }
            }
        };
        let res = tokio::select! {
            r = work => r,
            _ = interrupted => Err(backend::BackendError("interrupted".into())),
        };
        bar.finish_and_clear();
        let secs = t0.elapsed().as_secs_f64();
        let done = res.map_err(|e| format!("{} {label}: {e}", self.name))?;
        let rows = done.rows;
        out.setup.push(SetupRow {
            backend: self.name.to_string(),
            kind: kind.clone(),
            step: label.to_string(),
            rows,
            duration_s: secs,
            rows_per_s: if secs > 0.0 { rows as f64 / secs } else { 0.0 },
            // Only a load does work that is charged per unit or worth pricing.
            cost_usd: if matches!(st, Step::Load(_)) { self.cost_model().map(|m| m.cost(&done.usage, secs)) } else { None },
            capacity: b.metered().filter(|_| matches!(st, Step::Load(_))).map(|m| Capacity::new(done.usage, m)),
        });
        // Statistics after a load are a step of their own, so the load's rows/s is the load's.
        if matches!(st, Step::Load(_)) {
            let t0 = Instant::now();
            let analyzed = b.analyze(&ctx).await.map_err(|e| format!("{} analyze: {e}", self.name))?;
            let analyze_s = t0.elapsed().as_secs_f64();
            out.data_bytes = b.data_bytes().await;
            if analyzed {
                out.setup.push(SetupRow {
                    backend: self.name.to_string(),
                    kind,
                    step: "analyze".into(),
                    rows: 0,
                    duration_s: analyze_s,
                    rows_per_s: 0.0,
                    cost_usd: None,
                    capacity: None,
                });
            }
        }
        Ok(())
    }

    /// Runs every cell's phases; Err(message) when the backend failed.
    async fn phases<B: Backend>(&self, b: &Arc<B>, out: &mut BackendOutcome) -> Result<(), String> {
        let ctx = self.ctx();
        let kind = ctx.config.kind().to_string();
        for (ci, cell) in self.resolved.cells.iter().enumerate() {
            let sc: &Scenario = &cell.scenario;
            for (pi, ph) in sc.phases.iter().enumerate() {
                if self.interrupt.load(Ordering::Relaxed) {
                    return Ok(());
                }
                let name = phase_name(&sc.phases, pi);
                let spec = ph.spec();
                // A warmup without mix/keys takes the next run phase's.
                let next_run = sc.phases[pi..].iter().find(|p| !p.is_warmup()).map(Phase::spec);
                let mix = spec.mix.as_ref().or(next_run.and_then(|r| r.mix.as_ref())).ok_or_else(|| format!("phase {name} has no mix"))?;
                let keys = spec
                    .keys
                    .clone()
                    .or_else(|| if spec.mix.is_none() { next_run.and_then(|r| r.keys.clone()) } else { None })
                    .unwrap_or_default();
                let salt = mix64(sc.seed ^ mix64(((ci as u64) << 20) ^ pi as u64 ^ hash_str(&name)));
                let insert_base = ((ci as u64) * 64 + pi as u64) << 36;
                let workload = Workload::new(&self.model, mix, &keys, salt, insert_base, |m| {
                    m.backends.as_ref().is_none_or(|bs| bs.iter().any(|x| x == self.name))
                })
                .map_err(|e| format!("{} phase {name}: {e}", self.name))?;
                let op_labels: Vec<String> = workload.ops.iter().map(|op| op_label(&mix[op.mix_index], op.mix_index)).collect();
                let mut ops = Vec::with_capacity(workload.ops.len());
                for op in &workload.ops {
                    let stmt = mix[op.mix_index].statement.as_ref();
                    ops.push(b.prepare(&ctx, op, stmt).map_err(|e| format!("{} phase {name}: {e}", self.name))?);
                }
                let cfg = PhaseConfig {
                    workers: spec.workers.unwrap_or(1).max(1),
                    requests: spec.requests,
                    duration: spec.duration.map(|d| d.0),
                    rate: spec.rate,
                    timeout: spec.timeout.map(|d| d.0).unwrap_or(DEFAULT_TIMEOUT),
                    max_error_rate: spec.max_error_rate.unwrap_or(DEFAULT_MAX_ERROR_RATE),
                    explain_every: if ph.is_warmup() { None } else { spec.explain_every },
                    status_every: self.progress.status_every(),
                };
                let label = cell.label();
                let title = if label == "-" { format!("{} {name}", self.name) } else { format!("{} {name} [{label}]", self.name) };
                let (len, unit) = match (cfg.requests, cfg.duration) {
                    (Some(n), _) => (n, "req"),
                    (None, Some(d)) => (d.as_secs().max(1), "s"),
                    _ => (0, "req"),
                };
                let bar = self.progress.bar(&title, len, unit);
                let run = run_phase(b, Arc::new(ops), Arc::new(workload), self.model.clone(), &cfg, &self.interrupt, &bar).await;
                bar.finish_and_clear();
                let run = run.map_err(|e| format!("{} phase {name}: {e}", self.name))?;
                let st: &PhaseStats = &run.stats;
                let errors_total = st.error_count();
                for k in ErrorKind::ALL {
                    let n = st.errors[k as usize];
                    if n > 0 {
                        out.errors.push(ErrorRow {
                            backend: self.name.to_string(),
                            cell: label.clone(),
                            phase: name.clone(),
                            kind: k.as_str().to_string(),
                            count: n,
                            examples: st.examples.iter().filter(|(ek, _)| *ek == k).map(|(_, m)| m.clone()).collect(),
                        });
                    }
                }
                if ph.is_warmup() {
                    if errors_total > 0 {
                        out.warnings.push(format!("{}: warmup {name} [{label}] had {errors_total} failed requests", self.name));
                    }
                } else {
                    let secs = run.duration.as_secs_f64();
                    let resp = st.overall(false);
                    let svc = st.open_loop.then(|| st.overall(true));
                    let mut r = row(self, &kind, &name, cell, &cfg);
                    fill(&mut r, st.ok, errors_total, st.rows, secs, &resp, svc.as_ref(), Some(st.late));
                    r.cache = crate::stats::CacheSummary::of(&st.explain);
                    r.capacity = b.metered().map(|m| Capacity::new(st.usage, m));
                    if let Some(m) = self.cost_model() {
                        let c = m.cost(&st.usage, secs);
                        r.cost_usd = Some(c);
                        r.cost_per_million_usd = crate::cost::per_million(c, r.requests);
                    }
                    if cfg.explain_every.is_some() && r.cache.is_none() {
                        out.warnings.push(format!("{}: explain_every is set, but the {kind} backend samples no query plans", self.name));
                    }
                    if let Some(target) = cfg.rate {
                        if r.throughput_rps < target * 0.95 {
                            out.warnings.push(format!(
                                "{} {name} [{label}]: achieved {:.1} req/s, short of the target {target} req/s ({} requests started late); latency is measured from each request's intended start",
                                self.name, r.throughput_rps, st.late
                            ));
                        }
                    }
                    out.rows.push(r);
                    let timed: u64 = st.slowest.iter().sum();
                    for (t, n) in st.slowest.iter().enumerate().filter(|(_, n)| **n > 0) {
                        out.legs.push(LegRow {
                            backend: self.name.to_string(),
                            cell: label.clone(),
                            phase: name.clone(),
                            table: self.model.tables.get(t).map(|x| x.name.clone()).unwrap_or_default(),
                            slowest: *n,
                            share: *n as f64 / timed as f64,
                        });
                    }
                    for (e, h) in st.entity.iter().enumerate() {
                        if let Some(h) = h.as_ref().filter(|h| !h.is_empty()) {
                            out.entities.push(EntityRow {
                                backend: self.name.to_string(),
                                cell: label.clone(),
                                phase: name.clone(),
                                entity: self.model.entities.get(e).map(|x| x.name.clone()).unwrap_or_default(),
                                requests: h.len(),
                                p50_ms: h.value_at_quantile(0.5) as f64 / 1e6,
                                p99_ms: h.value_at_quantile(0.99) as f64 / 1e6,
                                max_ms: h.max() as f64 / 1e6,
                            });
                        }
                    }
                    for (o, a) in st.ops.iter().enumerate() {
                        let h = a.latency.as_ref().filter(|h| !h.is_empty());
                        let q = |p: f64| h.map(|h| h.value_at_quantile(p) as f64 / 1e6);
                        out.operations.push(OpRow {
                            backend: self.name.to_string(),
                            cell: label.clone(),
                            phase: name.clone(),
                            op: op_labels.get(o).cloned().unwrap_or_default(),
                            requests: h.map_or(0, |h| h.len()) + a.errors,
                            errors: a.errors,
                            p50_ms: q(0.5),
                            p99_ms: q(0.99),
                            max_ms: h.map(|h| h.max() as f64 / 1e6),
                        });
                    }
                    for (s, seg) in SEGMENTS.iter().enumerate() {
                        if let Some(h) = &st.response[s] {
                            let mut br = row(self, &kind, &name, cell, &cfg);
                            br.segment = Some(seg.to_string());
                            let svc = st.service[s].as_ref();
                            fill(&mut br, h.len(), 0, 0, secs, h, svc, None);
                            br.rows_per_request = 0.0;
                            out.breakdown.push(br);
                        }
                    }
                    let cell_part =
                        if cell.values.is_empty() { String::new() } else { format!("_{}", file_safe(&label.replace(' ', "_"))) };
                    let stem = format!("{}_{}{}", file_safe(self.name), file_safe(&name), cell_part);
                    for (suffix, measure, h) in [("", "response", Some(&resp)), ("_service", "service", svc.as_ref())] {
                        if let Some(h) = h {
                            out.histograms.push(HistogramRecord {
                                file: format!("{stem}{suffix}.hgrm"),
                                backend: self.name.to_string(),
                                phase: name.clone(),
                                cell: label.clone(),
                                measure: measure.into(),
                                data: encode_hist(h),
                            });
                        }
                    }
                    for p in &run.timeseries {
                        out.timeseries.push(TsRow {
                            backend: self.name.to_string(),
                            cell: label.clone(),
                            phase: name.clone(),
                            second: p.second,
                            requests: p.requests,
                            errors: p.errors,
                            p50_ms: p.p50_ms,
                            p99_ms: p.p99_ms,
                        });
                    }
                }
                if let Some(why) = run.aborted {
                    return Err(format!("{} phase {name} [{label}] stopped: {why}", self.name));
                }
            }
        }
        Ok(())
    }
}

impl WithBackend for BackendJob<'_> {
    type Output = BackendOutcome;

    async fn run<B: Backend>(self, b: B) -> BackendOutcome {
        let mut out = BackendOutcome::default();
        let b = Arc::new(b);
        let server = b.server_info().await;
        let sc = self.resolved.first();
        if let Some(Err(why)) = crate::cost::CostModel::for_backend(self.ctx().config, &self.model) {
            out.warnings.push(format!("{}: {why}; its cost columns stay empty", self.name));
        }
        let mut failure: Option<String> = None;
        for st in &sc.setup {
            if let Err(e) = self.step(b.as_ref(), st, &mut out).await {
                failure = Some(e);
                break;
            }
        }
        if failure.is_none() {
            if let Err(e) = self.phases(&b, &mut out).await {
                failure = Some(e);
            }
        }
        // Teardown runs after a failed phase too, so tables do not linger.
        if !self.interrupt.load(Ordering::Relaxed) {
            for st in &sc.teardown {
                if let Err(e) = self.step(b.as_ref(), st, &mut out).await {
                    failure.get_or_insert(e);
                }
            }
        }
        let status = if self.interrupt.load(Ordering::Relaxed) {
            Status::Interrupted
        } else if failure.is_some() {
            Status::Failed
        } else {
            Status::Ok
        };
        out.status = Some(BackendStatus {
            name: self.name.to_string(),
            kind: sc.backends[self.name].kind().to_string(),
            status,
            error: failure,
            server,
            cost_basis: self.cost_model().map(|m| m.basis.clone()),
            data_bytes: out.data_bytes,
            prices: self.cost_model().map(|m| m.facts(self.ctx().config)),
        });
        out
    }
}

/// Runs one backend by name; connection failures become a failed status.
pub async fn run_backend(job: BackendJob<'_>) -> BackendOutcome {
    let name = job.name.to_string();
    let config = job.resolved.first().backends[job.name].clone();
    let ctx = Ctx { name: job.name, config: &config, model: &job.model.clone(), templates: job.templates, max_workers: job.max_workers };
    let res = backend::with_backend(&ctx, job).await;
    match res {
        Ok(out) => out,
        Err(e) => BackendOutcome {
            status: Some(BackendStatus {
                name,
                kind: config.kind().to_string(),
                status: Status::Failed,
                error: Some(e.0),
                server: BTreeMap::new(),
                cost_basis: None,
                data_bytes: None,
                prices: None,
            }),
            ..Default::default()
        },
    }
}

/// `cell_label` re-exported for reports.
pub fn label(values: &indexmap::IndexMap<String, serde_json::Value>) -> String {
    cell_label(values)
}

/// `#2 write card (upsert)`: a mix entry, as the per-op table names it.
fn op_label(m: &crate::scenario::model::MixEntry, index: usize) -> String {
    let n = index + 1;
    if let Some(r) = &m.read_features {
        let keys = r.keys_per_table.filter(|k| *k > 1).map(|k| format!(", {k} keys per table")).unwrap_or_default();
        format!("#{n} read {} ({}{keys})", r.entities.join("+"), r.fetch.as_str())
    } else if let Some(w) = &m.write_features {
        let batch = w.batch.filter(|b| *b > 1).map(|b| format!(", batch {b}")).unwrap_or_default();
        format!("#{n} write {} ({}{batch})", w.entities.join("+"), w.mode.as_str())
    } else if let Some(st) = &m.statement {
        format!("#{n} statement {}", st.name)
    } else {
        format!("#{n}")
    }
}
