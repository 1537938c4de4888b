//! The runner: for every backend, setup once, then every matrix cell's
//! phases in file order, then teardown; hands on what was measured
//! (`stats::measured`), also when a backend fails or the user presses
//! Ctrl-C. The report builds its rows from that.

mod failing;
mod findmax;
pub mod lanes;
mod phase;
pub mod progress;
mod request;
mod shard;
mod vector;
pub use vector::ExactCache;

use crate::backend::{self, Backend, Ctx, WithBackend};
use crate::dataset::{hash_str, mix64, DataModel};
use crate::prices::CostModel;
use crate::scenario::model::phase_name;
use crate::scenario::model::{Fetch, Operation, Phase, Scenario, Step};
use crate::scenario::Resolved;
use crate::stats::measured::{BackendRun, Ending, MeasuredPhase, MeasuredStep, PhaseId, StepLabel};
use crate::template::Templates;
use crate::workload::Workload;
use phase::{run_phase, PhaseConfig};
use progress::Progress;
use shard::wait_until;
pub use shard::{Parts, Shard};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_ERROR_RATE: f64 = 0.1;
/// How long reading a server's own counters (the cross-checks) may take.
const COUNTERS_BOUND: Duration = Duration::from_secs(5);

/// A server's counters, or none when reading them took over [`COUNTERS_BOUND`].
async fn bounded<F: std::future::Future<Output = Option<crate::stats::xcheck::ServerCounters>>>(
    read: F,
) -> Option<crate::stats::xcheck::ServerCounters> {
    tokio::time::timeout(COUNTERS_BOUND, read).await.ok().flatten()
}

/// How long a teardown may take after Ctrl-C (or SIGTERM) or a failure
/// before the run gives up on it and names what was left.
pub const TEARDOWN_BOUND: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub struct BackendJob<'a> {
    /// What to run of the scenario.
    pub parts: Parts,
    /// A shard of a run (its phases only).
    pub shard: Option<Shard>,
    /// Wait until this wall-clock time before the first phase (`--start-at`).
    pub start_at: Option<std::time::SystemTime>,
    pub name: &'a str,
    pub resolved: &'a Resolved,
    pub model: Arc<DataModel>,
    pub templates: &'a Templates,
    pub max_workers: u32,
    pub interrupt: Arc<AtomicBool>,
    pub progress: &'a Progress,
    /// Whether a findmax step met the checks (see `findmax`).
    pub judge: &'a crate::stats::measured::Judge<'a>,
    /// The run's exact nearest neighbours, shared by its backends (recall).
    pub exact: &'a ExactCache,
    /// The matrix cells to run (all of them: `0..resolved.cells.len()`);
    /// [`run_backend`] splits them where the dataset, setup or teardown change.
    pub cells: std::ops::Range<usize>,
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
                    .map(|t| crate::scenario::model::expand_table_names(t).len() as u32)
                    .sum(),
            }
        };
        for (i, p) in c.scenario.phases.iter().enumerate() {
            let spec = p.spec();
            let mix =
                spec.mix.as_ref().or_else(|| c.scenario.phases[i..].iter().find(|q| !q.is_warmup()).and_then(|q| q.spec().mix.as_ref()));
            // A parallel read takes a connection per table; steps issued
            // together each take their own.
            let op_width = |op: Option<Operation<'_>>| match op {
                Some(Operation::Read(r)) if r.fetch == Fetch::Parallel => tables_of(&r.entities, &r.tables).max(1),
                _ => 1,
            };
            let width = mix
                .map(|m| {
                    m.iter()
                        .map(|e| {
                            let widths = e.operations().into_iter().map(|s| op_width(s.op));
                            if e.is_concurrent() {
                                widths.sum::<u32>()
                            } else {
                                widths.max().unwrap_or(1)
                            }
                        })
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

impl BackendJob<'_> {
    /// How this backend is charged; None without (usable) pricing.
    fn cost_model(&self) -> Option<CostModel> {
        backend::registry::cost_model(self.ctx().config, &self.model).and_then(Result::ok)
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

    /// Runs one setup or teardown step. `bounded`: a teardown after Ctrl-C or
    /// a failure, given TEARDOWN_BOUND and not stopped by Ctrl-C.
    async fn step<B: Backend>(&self, b: &B, st: &Step, out: &mut BackendRun, bounded: bool) -> Result<(), String> {
        let ctx = self.ctx();
        let rows_total = self.model.total_rows();
        // A load counts rows; create and drop count tables.
        let (label, len, unit) = match st {
            Step::Load(_) => ("load".to_string(), rows_total, "rows"),
            Step::Index(ix) => (ix.label(), 1, "indexes"),
            _ => (st.name().to_string(), self.model.tables.len() as u64, "tables"),
        };
        let bar = self.progress.bar(&format!("{} {label}", self.name), len, unit);
        let t0 = Instant::now();
        let work = async {
            match st {
                Step::Create(c) => b.create(&ctx, c, &bar).await.map(|_| backend::Loaded::default()),
                Step::Load(l) => b.load(&ctx, l, &bar).await,
                Step::Drop(_) => b.drop_tables(&ctx, &bar).await.map(|_| backend::Loaded::default()),
                Step::Index(ix) => b.build_index(&ctx, ix).await,
            }
        };
        // Ctrl-C stops a long load too, not only the phases (a teardown after
        // Ctrl-C runs within TEARDOWN_BOUND instead); without a terminal, a
        // long step prints status lines as phases do.
        let every = self.progress.status_every();
        let interrupted = async {
            if bounded {
                tokio::time::sleep(TEARDOWN_BOUND).await;
                return;
            }
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
            _ = interrupted => Err(backend::BackendError(if bounded {
                format!("not done within {} s", TEARDOWN_BOUND.as_secs())
            } else {
                "interrupted".into()
            })),
        };
        bar.finish_and_clear();
        let secs = t0.elapsed().as_secs_f64();
        let done = res.map_err(|e| format!("{} {label}: {e}", self.name))?;
        let rows = done.rows;
        out.setup.push(MeasuredStep {
            bytes: done.bytes,
            step: label,
            rows,
            duration_s: secs,
            // Only a load does work that is charged per unit or worth pricing.
            cost_usd: if matches!(st, Step::Load(_)) { self.cost_model().map(|m| done.usage.cost(&m, secs)) } else { None },
            usage: b.metered().filter(|_| matches!(st, Step::Load(_))).map(|m| (done.usage, m)),
        });
        // Statistics after a load are a step of their own, so the load's rows/s is the load's.
        if matches!(st, Step::Load(_)) {
            let t0 = Instant::now();
            let analyzed = b.analyze(&ctx).await.map_err(|e| format!("{} analyze: {e}", self.name))?;
            let analyze_s = t0.elapsed().as_secs_f64();
            out.data_bytes = b.data_bytes().await;
            if analyzed {
                out.setup.push(MeasuredStep {
                    step: "analyze".into(),
                    rows: 0,
                    duration_s: analyze_s,
                    cost_usd: None,
                    usage: None,
                    bytes: None,
                });
            }
        }
        Ok(())
    }

    /// Runs the phases of the cells `cells`; Err(message) when the backend failed.
    async fn phases<B: Backend>(&self, b: &Arc<B>, out: &mut BackendRun, cells: std::ops::Range<usize>) -> Result<(), String> {
        for (ci, cell) in self.resolved.cells.iter().enumerate().skip(cells.start).take(cells.len()) {
            let sc: &Scenario = &cell.scenario;
            for (pi, ph) in sc.phases.iter().enumerate() {
                if ci == 0 && pi == 0 {
                    if let Some(at) = self.start_at {
                        wait_until(at, &self.interrupt).await;
                    }
                }
                if self.interrupt.load(Ordering::Relaxed) {
                    return Ok(());
                }
                if let (Some(f), false) = (&ph.spec().findmax, ph.is_warmup()) {
                    findmax::search(self, b, ci, pi, f, out).await?;
                    continue;
                }
                let (m, aborted) = self.measure(b, ci, pi, None, &mut out.warnings).await?;
                let title = format!("{} phase {} [{}]", self.name, m.id.phase, cell.label());
                out.phases.push(m);
                if let Some(why) = aborted {
                    return Err(format!("{title} stopped: {why}"));
                }
            }
        }
        Ok(())
    }

    /// Measures phase `pi` of cell `ci` once: as the scenario says, or as
    /// findmax step `(rate, index)` (named `<phase>@<rate>`). Also returns
    /// why the phase stopped early under the error policy.
    async fn measure<B: Backend>(
        &self,
        b: &Arc<B>,
        ci: usize,
        pi: usize,
        step: Option<(f64, u32)>,
        warnings: &mut Vec<String>,
    ) -> Result<(MeasuredPhase, Option<String>), String> {
        let rate = step.map(|(r, _)| r);
        let ctx = self.ctx();
        let kind = ctx.config.kind().to_string();
        let cell = &self.resolved.cells[ci];
        let sc: &Scenario = &cell.scenario;
        let ph = &sc.phases[pi];
        let base = phase_name(&sc.phases, pi);
        // Every findmax step draws the same keys: the salt is the phase's.
        let name = match rate {
            Some(r) => findmax::step_name(&base, r),
            None => base.clone(),
        };
        let spec = ph.spec();
        // A warmup without mix/keys takes the next run phase's.
        let next_run = sc.phases[pi..].iter().find(|p| !p.is_warmup()).map(Phase::spec);
        let mix = spec.mix.as_ref().or(next_run.and_then(|r| r.mix.as_ref())).ok_or_else(|| format!("phase {name} has no mix"))?;
        let keys =
            spec.keys.clone().or_else(|| if spec.mix.is_none() { next_run.and_then(|r| r.keys.clone()) } else { None }).unwrap_or_default();
        let salt = mix64(sc.seed ^ mix64(((ci as u64) << 20) ^ pi as u64 ^ hash_str(&base)));
        // Inserts of each (cell, phase) have 2^36 keys of their own; a
        // findmax step 2^29 of those.
        let insert_base = (((ci as u64) * 64 + pi as u64) << 36) + (step.map_or(0, |(_, i)| i as u64) << 29);
        let mut workload = Workload::new(&self.model, mix, &keys, salt, insert_base, |m| {
            m.backends.as_ref().is_none_or(|bs| bs.iter().any(|x| x == self.name))
        })
        .map_err(|e| format!("{} phase {name}: {e}", self.name))?;
        let settings = vector::phase_settings(&sc.backends[self.name], spec);
        let setting_pairs: Arc<[(String, String)]> = settings.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for op in &mut workload.ops {
            op.settings = setting_pairs.clone();
        }
        let op_labels: Vec<String> = workload.requests.iter().map(|r| op_label(&mix[r.mix_index], r.mix_index)).collect();
        let op_names: Vec<Option<String>> = workload.requests.iter().map(|r| r.name.clone()).collect();
        let mut step_labels = vec![StepLabel::default(); workload.ops.len()];
        for (ri, r) in workload.requests.iter().enumerate() {
            for (j, &o) in r.steps.iter().enumerate() {
                let what = mix[r.mix_index].operations().get(j).and_then(|s| s.op).map(describe_operation).unwrap_or_default();
                step_labels[o] = StepLabel { op: ri, name: r.step_names.get(j).cloned().unwrap_or_default(), what };
            }
        }
        let mut ops = Vec::with_capacity(workload.ops.len());
        for op in &workload.ops {
            ops.push(b.prepare(&ctx, op, op.statement.as_ref()).map_err(|e| format!("{} phase {name}: {e}", self.name))?);
        }
        let all_workers = spec.workers.unwrap_or(1).max(1);
        let cfg = PhaseConfig {
            workers: self.shard.map_or(all_workers, |s| s.workers(all_workers)),
            shard: self.shard,
            requests: spec.requests,
            duration: spec.duration.map(|d| d.0),
            rate: rate.or(spec.rate),
            timeout: spec.timeout.map(|d| d.0).unwrap_or(DEFAULT_TIMEOUT),
            max_error_rate: spec.max_error_rate.unwrap_or(DEFAULT_MAX_ERROR_RATE),
            explain_every: if ph.is_warmup() { None } else { spec.explain_every },
            status_every: self.progress.status_every(),
            live: (!ph.is_warmup()).then(|| self.progress.series(self.name, &name, &cell.label())).flatten(),
        };
        let label = cell.label();
        let title = if label == "-" { format!("{} {name}", self.name) } else { format!("{} {name} [{label}]", self.name) };
        let (len, unit) = match (cfg.requests, cfg.duration) {
            (Some(n), _) => (n, "req"),
            (None, Some(d)) => (d.as_secs().max(1), "s"),
            _ => (0, "req"),
        };
        let bar = self.progress.bar(&title, len, unit);
        let workload = Arc::new(workload);
        // The server's counters at the phase's boundaries: the cross-checks.
        // A reading may take COUNTERS_BOUND at most (a server that stopped
        // answering must not hold the run), and none is taken after a
        // phase that stopped early: its counts would not compare.
        // A shard's server sees every shard's requests: no cross-check.
        let before = if self.shard.is_some() { None } else { bounded(b.server_counters()).await };
        let ops = Arc::new(ops);
        let run = run_phase(b, ops.clone(), workload.clone(), self.model.clone(), &cfg, &self.interrupt, &bar).await;
        bar.finish_and_clear();
        let whole = run.as_ref().is_ok_and(|r| r.aborted.is_none()) && !self.interrupt.load(Ordering::Relaxed);
        let server = match before.filter(|_| whole) {
            Some(before) => bounded(b.server_counters()).await.map(|after| crate::stats::xcheck::delta(&before, &after)),
            None => None,
        };
        let run = run.map_err(|e| format!("{} phase {name}: {e}", self.name))?;
        let (recall, unwritten) = vector::phase_recall(b.as_ref(), &ops, &workload, &self.model, self.exact);
        warnings.extend(unwritten.map(|w| format!("{}: {w}", self.name)));
        let secs = run.duration.as_secs_f64();
        let aborted = run
            .aborted
            .as_ref()
            .map(|why| format!("{why}{}", failing::context(self.resolved, &sc.phases, pi, why, &run.stats, &workload, mix)));
        if run.stats.steps.is_empty() {
            step_labels.clear();
        }
        let stopped_early =
            aborted.clone().or_else(|| self.interrupt.load(Ordering::Relaxed).then(|| "interrupted by Ctrl-C or a signal".to_string()));
        let measured = MeasuredPhase {
            id: PhaseId {
                backend: self.name.to_string(),
                kind: kind.clone(),
                phase: name.clone(),
                cell: cell.values.clone(),
                workers: cfg.workers,
                // A shard sends its share of the rate.
                target_rps: cfg.rate.map(|r| self.shard.map_or(r, |s| r / f64::from(s.count))),
                settings,
            },
            recall,
            warmup: ph.is_warmup(),
            cost_usd: self.cost_model().map(|m| run.stats.usage.cost(&m, secs)),
            meter: b.metered(),
            explain_asked: cfg.explain_every.is_some(),
            // A step may read every table, one statement each, with BEGIN/COMMIT around.
            statements_bound: workload.requests.iter().map(|r| r.steps.len() as u64).max().unwrap_or(1)
                * self.model.tables.len().max(1) as u64
                + 3,
            server,
            stats: run.stats,
            duration_s: secs,
            drain_s: run.drain.as_secs_f64(),
            missed: run.missed,
            client: run.client,
            timeseries: run.timeseries,
            op_labels,
            op_names,
            step_labels,
            stopped_early,
            started_unix_s: Some(run.started_unix_s),
        };
        Ok((measured, aborted))
    }
}

impl WithBackend for BackendJob<'_> {
    type Output = BackendRun;

    async fn run<B: Backend>(self, b: B) -> BackendRun {
        let sc = self.resolved.first();
        let mut out = BackendRun::failed(self.name, sc.backends[self.name].kind().as_str(), String::new());
        out.tables = self.model.tables.iter().map(|t| t.name.clone()).collect();
        out.entities = self.model.entities.iter().map(|e| e.name.clone()).collect();
        let b = Arc::new(b);
        out.server = b.server_info().await;
        if let Some(Err(why)) = backend::registry::cost_model(self.ctx().config, &self.model) {
            out.warnings.push(format!("{}: {why}; its cost columns stay empty", self.name));
        }
        let mut failure: Option<String> = None;
        // This job's cells share their dataset, setup and teardown (run_backend).
        let cells = self.cells.clone();
        let group = &self.resolved.cells[cells.clone()];
        let Some(first) = group.first() else { return out };
        let sc = &first.scenario;
        let setup: &[Step] = if matches!(self.parts, Parts::All | Parts::Setup) { &sc.setup } else { &[] };
        for st in setup {
            if let Err(e) = self.step(b.as_ref(), st, &mut out, false).await {
                failure = Some(e);
                break;
            }
        }
        if failure.is_none() && matches!(self.parts, Parts::All | Parts::Phases) {
            if let Err(e) = self.phases(&b, &mut out, cells.clone()).await {
                failure = Some(e);
            }
        }
        // Teardown runs after a failed phase and after Ctrl-C too (then
        // within TEARDOWN_BOUND: the server may be gone), so tables do not
        // linger; what it could not drop is named in the report.
        let bounded = failure.is_some() || self.interrupt.load(Ordering::Relaxed);
        let teardown: &[Step] = if matches!(self.parts, Parts::All | Parts::Teardown) { &sc.teardown } else { &[] };
        for st in teardown {
            if let Err(e) = self.step(b.as_ref(), st, &mut out, bounded).await {
                let left: Vec<&str> = self.model.tables.iter().map(|t| t.name.as_str()).collect();
                out.warnings.push(format!(
                    "{}: teardown failed ({e}); these tables may be left behind: {}{}",
                    self.name,
                    left.join(", "),
                    if sc.backends[self.name].kind() == crate::scenario::model::Kind::Postgres {
                        " (and functions named benchplan_packed_*)"
                    } else {
                        ""
                    }
                ));
                if !self.interrupt.load(Ordering::Relaxed) {
                    failure.get_or_insert(e);
                }
            }
        }
        // A matrix over the dataset: each group's setup rows name the matrix
        // values it was set up for (`load [rows=5000]`).
        if cells.len() < self.resolved.cells.len() {
            let fixed: indexmap::IndexMap<String, serde_json::Value> = first
                .values
                .iter()
                .filter(|(k, v)| group.iter().all(|c| c.values.get(*k) == Some(*v)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let label = crate::scenario::cell_label(&fixed);
            for st in &mut out.setup {
                st.step = format!("{} [{label}]", st.step);
            }
        }
        out.ending = if self.interrupt.load(Ordering::Relaxed) {
            Ending::Interrupted
        } else if failure.is_some() {
            Ending::Failed
        } else {
            Ending::Ok
        };
        out.error = failure;
        let cost = self.cost_model();
        out.cost_basis = cost.as_ref().map(|m| m.basis.clone());
        out.prices = cost.map(|m| m.facts());
        out
    }
}

/// The matrix cells in runs of the same dataset, setup and teardown (one
/// run for a matrix that changes neither), each with its data model: the
/// first run's is `first` (with its sampled keys), a later run's is made from
/// its own dataset.
fn data_groups(r: &Resolved, first: &Arc<DataModel>) -> Vec<(std::ops::Range<usize>, Arc<DataModel>)> {
    let same = |a: &Scenario, b: &Scenario| {
        let v = |s: &Scenario| serde_json::to_value((&s.dataset, &s.setup, &s.teardown)).ok();
        v(a) == v(b)
    };
    let mut out: Vec<(std::ops::Range<usize>, Arc<DataModel>)> = Vec::new();
    for (i, c) in r.cells.iter().enumerate() {
        match out.last_mut() {
            Some((range, _)) if same(&r.cells[range.start].scenario, &c.scenario) => range.end = i + 1,
            None => out.push((i..i + 1, first.clone())),
            Some(_) => out.push((i..i + 1, Arc::new(DataModel::new(c.scenario.seed, &c.scenario.dataset)))),
        }
    }
    out
}

/// Runs one backend by name; connection failures become a failed status.
/// A matrix that changes the dataset (or setup, teardown) runs each group of
/// cells on a connection of its own, with that group's data model.
pub async fn run_backend(job: BackendJob<'_>) -> BackendRun {
    let mut merged: Option<BackendRun> = None;
    for (cells, model) in data_groups(job.resolved, &job.model) {
        let part = run_cells(BackendJob { model, cells, ..job.clone() }).await;
        let stop = part.ending != Ending::Ok;
        match merged.as_mut() {
            None => merged = Some(part),
            Some(m) => {
                m.setup.extend(part.setup);
                m.phases.extend(part.phases);
                m.findmax.extend(part.findmax);
                m.warnings.extend(part.warnings);
                m.data_bytes = part.data_bytes.or(m.data_bytes);
                m.ending = part.ending;
                m.error = part.error;
            }
        }
        if stop || job.interrupt.load(Ordering::Relaxed) {
            break;
        }
    }
    merged
        .unwrap_or_else(|| BackendRun::failed(job.name, job.resolved.first().backends[job.name].kind().as_str(), "no matrix cells".into()))
}

async fn run_cells(job: BackendJob<'_>) -> BackendRun {
    let name = job.name.to_string();
    let config = job.resolved.first().backends[job.name].clone();
    let ctx = Ctx { name: job.name, config: &config, model: &job.model.clone(), templates: job.templates, max_workers: job.max_workers };
    match backend::with_backend(&ctx, job).await {
        Ok(out) => out,
        Err(e) => BackendRun::failed(&name, config.kind().as_str(), e.0),
    }
}

/// `#2 write card (upsert)`: a mix entry, as the per-op table (and `plan`)
/// names it (`#1 lookup: read card (packed)` when it has a name).
pub fn op_label(m: &crate::scenario::model::MixEntry, index: usize) -> String {
    let n = index + 1;
    let prefix = m.name.as_ref().map(|name| format!("{name}: ")).unwrap_or_default();
    if let Some(steps) = &m.steps {
        let how = if m.is_concurrent() { "issued together" } else { "one after another" };
        return format!("#{n} {} ({} steps, {how})", m.name.as_deref().unwrap_or("request"), steps.len());
    }
    match m.operations().first().and_then(|s| s.op) {
        Some(op) => format!("#{n} {prefix}{}", describe_operation(op)),
        None => format!("#{n}"),
    }
}

/// `read card (packed, 10 keys per table)`, `write card (upsert, batch 5)`, `statement top_items`.
pub fn describe_operation(op: crate::scenario::model::Operation<'_>) -> String {
    use crate::scenario::model::Operation;
    match op {
        Operation::Read(r) => {
            let keys = r.keys_per_table.filter(|k| *k > 1).map(|k| format!(", {k} keys per table")).unwrap_or_default();
            format!("read {} ({}{keys})", r.entities.join("+"), r.fetch.as_str())
        }
        Operation::Write(w) => {
            let batch = w.batch.filter(|b| *b > 1).map(|b| format!(", batch {b}")).unwrap_or_default();
            format!("write {} ({}{batch})", w.entities.join("+"), w.mode.as_str())
        }
        Operation::Statement(st) => format!("statement {}", st.name),
        Operation::Kv(kv) => {
            let keys = kv.keys.filter(|k| *k > 1 && kv.command.multi_key()).map(|k| format!(", {k} keys")).unwrap_or_default();
            let pipe = kv.pipeline.filter(|p| *p > 1).map(|p| format!(", pipeline {p}")).unwrap_or_default();
            format!("kv {}{keys}{pipe}", kv.command.as_str())
        }
        Operation::VectorSearch(v) => format!("vector search {} k={} ({})", v.table, v.k(), v.distance.as_str()),
    }
}
