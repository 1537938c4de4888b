//! What a run will do, rendered without opening a connection: used by
//! `plan`, and by `validate`/`run` to reject templates that do not render.

use crate::backend::{self, Ctx};
use crate::dataset::DataModel;
use crate::exec::max_workers;
use crate::scenario::model::phase_name;
use crate::scenario::model::{BackendConfig, Kind, Phase, Step};
use crate::scenario::Resolved;
use crate::template::Templates;
use crate::workload::Workload;
use std::fmt::Write;

/// One rendered statement: (label, text).
pub type Statement = (String, String);

/// Rendered DDL and operations of one backend.
pub struct BackendPlan {
    pub name: String,
    pub kind: Kind,
    pub ddl: Vec<Statement>,
    pub ops: Vec<Statement>,
}

/// Where a template problem is in the file, and what it is.
pub struct RenderProblem {
    pub path: String,
    pub message: String,
}

pub fn templates_for(r: &Resolved) -> Templates {
    Templates::new(r.first().templates.as_ref().map(|t| r.dir.join(t)))
}

/// Renders everything backend `name` would run.
pub fn render_backend(r: &Resolved, name: &str, templates: &Templates, model: &DataModel) -> Result<BackendPlan, Vec<RenderProblem>> {
    let sc = r.first();
    let config: &BackendConfig = &sc.backends[name];
    let kind = config.kind();
    let support = backend::support(kind).map_err(|e| vec![RenderProblem { path: format!("backends.{name}.kind"), message: e }])?;
    let ctx = Ctx { name, config, model, templates, max_workers: max_workers(r) };
    let mut problems = Vec::new();
    let ddl = support.describe_ddl(&ctx).unwrap_or_else(|errs| {
        problems.extend(errs.into_iter().map(|(path, e)| RenderProblem { path, message: format!("backend {name}: {e}") }));
        Vec::new()
    });
    let mut ops = Vec::new();
    for (ci, cell) in r.cells.iter().enumerate() {
        for (pi, ph) in cell.scenario.phases.iter().enumerate() {
            let Some(mix) = ph.spec().mix.as_ref() else { continue };
            let variant = if ph.is_warmup() { "warmup" } else { "run" };
            let pname = phase_name(&cell.scenario.phases, pi);
            let keys = ph.spec().keys.clone().unwrap_or_default();
            let wl = match Workload::new(model, mix, &keys, 0, 0, |m| m.backends.as_ref().is_none_or(|b| b.iter().any(|x| x == name))) {
                Ok(w) => w,
                Err(e) => {
                    problems.push(RenderProblem { path: format!("phases[{pi}].{variant}.mix"), message: format!("backend {name}: {e}") });
                    continue;
                }
            };
            // Cells differ in params only: a later cell's statements are
            // rendered (and checked against the kind's limits) only where its
            // mix differs from the first cell's, and are not listed again.
            if ci > 0 {
                let first = r.cells[0].scenario.phases.get(pi).and_then(|p| p.spec().mix.as_ref());
                if first.is_some_and(|f| serde_json::to_value(f).ok() == serde_json::to_value(mix).ok()) {
                    continue;
                }
            }
            for op in &wl.ops {
                let stmt = op.statement.as_ref();
                let step = op.step.map(|j| format!(".steps[{j}]")).unwrap_or_default();
                let label = match op.step {
                    Some(j) => format!("{pname}: {} step {}", op.label, j + 1),
                    None => format!("{pname}: {}", op.label),
                };
                match support.describe_op(&ctx, op, stmt) {
                    Ok(stmts) if ci == 0 => ops.extend(stmts.into_iter().map(|(suffix, text)| {
                        let l = if suffix.is_empty() { label.clone() } else { format!("{label} {suffix}") };
                        (l, text)
                    })),
                    Ok(_) => {}
                    Err(e) => {
                        let at =
                            format!("phases[{pi}].{variant}.mix[{}]{step}{}", op.mix_index, if stmt.is_some() { ".statement" } else { "" });
                        let cell = if ci > 0 { format!(" [{}]", cell.label()) } else { String::new() };
                        let message = format!("backend {name}{cell}: {e}");
                        if !problems.iter().any(|p: &RenderProblem| p.path == at && p.message == message) {
                            problems.push(RenderProblem { path: at, message });
                        }
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(BackendPlan { name: name.to_string(), kind, ddl, ops })
    } else {
        Err(problems)
    }
}

/// The human-readable plan.
pub fn describe(r: &Resolved, plans: &[BackendPlan], model: &DataModel) -> String {
    let sc = r.first();
    let mut s = String::new();
    let _ = writeln!(s, "scenario {} ({}), seed {}, sha256 {}", sc.name, r.file, sc.seed, &r.sha256[..12]);
    let feats: usize = model.tables.iter().map(|t| t.columns.len()).sum();
    let _ = writeln!(
        s,
        "dataset: {} entities, {} tables, {} features, {} rows",
        model.entities.len(),
        model.tables.len(),
        feats,
        model.total_rows()
    );
    for e in &model.entities {
        let origin = if e.sampled() { " sampled from an existing table" } else { "" };
        let _ = writeln!(s, "  entity {}: {} keys ({:?}){origin}", e.name, e.keys, e.key_type);
    }
    if r.matrix_params.is_empty() {
        let _ = writeln!(s, "matrix: none (1 cell)");
    } else {
        let _ = writeln!(s, "matrix: {} cells over {}", r.cells.len(), r.matrix_params.join(", "));
    }
    for p in plans {
        let _ = writeln!(s, "\nbackend {} ({})", p.name, p.kind);
        let steps: Vec<&str> = sc.setup.iter().map(Step::name).collect();
        let _ = writeln!(s, "  setup: {}", if steps.is_empty() { "none".to_string() } else { steps.join(", ") });
        for cell in &r.cells {
            for (pi, ph) in cell.scenario.phases.iter().enumerate() {
                let sp = ph.spec();
                let what = match (sp.requests, sp.duration) {
                    (Some(n), _) => format!("{n} requests"),
                    (None, Some(d)) => format!("{}", humantime::format_duration(d.0)),
                    _ => "?".into(),
                };
                let pacing = match sp.rate {
                    Some(rt) => format!("open loop at {rt} req/s"),
                    None => "closed loop".into(),
                };
                let kind = if matches!(ph, Phase::Warmup(_)) { "warmup" } else { "run" };
                let _ = writeln!(
                    s,
                    "  [{}] {kind} {}: {what}, {} workers, {pacing}",
                    cell.label(),
                    phase_name(&cell.scenario.phases, pi),
                    sp.workers.unwrap_or(1)
                );
            }
        }
        let steps: Vec<&str> = sc.teardown.iter().map(Step::name).collect();
        let _ = writeln!(s, "  teardown: {}", if steps.is_empty() { "none".to_string() } else { steps.join(", ") });
        if !p.ddl.is_empty() || !p.ops.is_empty() {
            let _ = writeln!(s, "  statements:");
            for (label, text) in p.ddl.iter().chain(p.ops.iter()) {
                let _ = writeln!(s, "    -- {label}");
                for line in text.lines() {
                    let _ = writeln!(s, "    {line}");
                }
            }
        }
    }
    s
}

/// The fastest a closed-loop worker is assumed to go when a phase's length
/// is estimated before it runs (about the harness's own ceiling).
pub const CEILING_PER_WORKER: f64 = 2_000_000.0;

/// Phases expected to run longer than an hour, each with its estimate: a
/// duration, `requests / rate` in open loop, or in closed loop a lower bound
/// from `requests / (workers x CEILING_PER_WORKER)`.
pub fn long_phases(r: &Resolved) -> Vec<String> {
    let mut out = Vec::new();
    for cell in &r.cells {
        let label = cell.label();
        for (pi, ph) in cell.scenario.phases.iter().enumerate() {
            let spec = ph.spec();
            let name = phase_name(&cell.scenario.phases, pi);
            let (secs, how) = match (spec.duration, spec.requests, spec.rate) {
                (Some(d), _, _) => (d.0.as_secs_f64(), "its duration".to_string()),
                (None, Some(n), Some(rate)) => (n as f64 / rate, format!("{n} requests at {rate} req/s")),
                (None, Some(n), None) => {
                    let w = f64::from(spec.workers.unwrap_or(1).max(1));
                    (n as f64 / (w * CEILING_PER_WORKER), format!("{n} requests, even at {CEILING_PER_WORKER} req/s per worker"))
                }
                _ => continue,
            };
            if secs > 3600.0 {
                let cell = if label == "-" { String::new() } else { format!(" [{label}]") };
                out.push(format!("phase {name}{cell} will run for at least {:.1} h ({how})", secs / 3600.0));
            }
        }
    }
    out.dedup();
    out
}
