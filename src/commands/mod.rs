//! One function per command. Each returns an [`Exit`] or an [`Error`];
//! only `lib::main_with` turns them into a process exit status.

use crate::backend;
use crate::cli::{InitArgs, RunArgs};
use crate::dataset::DataModel;
use crate::error::{Error, Exit};
use crate::exec::progress::Progress;
use crate::exec::{max_workers, run_backend, BackendJob, Parts};
use crate::plan;
use crate::report::model::*;
use crate::report::{self, checks};
use crate::scenario::diag::Diagnostic;
use crate::scenario::model::Scenario;
use crate::scenario::starter::Starter;
use crate::scenario::{self, LoadError, LoadOptions, Resolved};
use crate::secrets::Redactor;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub mod k8s;
mod machine;
mod merge;
mod metrics_server;
mod sampling;
mod stored;
pub use merge::merge;
use stored::{check_writable, read_run_in, write_junit};
pub use stored::{compare, report};

/// Loads a scenario and renders every backend's templates: all problems at once.
pub fn load(file: &Path, sets: &[String]) -> Result<Resolved, Error> {
    load_with(file, sets, false)
}

/// [`load`]; `env_placeholders`: an unset `${env:NAME}` reads as `env-NAME`.
pub fn load_with(file: &Path, sets: &[String], env_placeholders: bool) -> Result<Resolved, Error> {
    let opts = LoadOptions { sets: sets.to_vec(), kind_checks: Some(backend::registry::validate_config), env_placeholders };
    let mut r = scenario::load_file(file, &opts).map_err(Error::Scenario)?;
    // Secrets a kind's config holds (account keys), wherever they came from.
    let held: Vec<String> = r.cells.iter().flat_map(|c| c.scenario.backends.values()).flat_map(backend::registry::secrets).collect();
    for s in held {
        if !s.is_empty() && !r.secrets.contains(&s) {
            r.secrets.push(s);
        }
    }
    let model = DataModel::new(r.first().seed, &r.first().dataset);
    let templates = plan::templates_for(&r);
    let mut diags = Vec::new();
    for name in r.first().backends.keys() {
        if let Err(problems) = plan::render_backend(&r, name, &templates, &model) {
            for p in problems {
                let (line, col) = r.locations.find(&p.path);
                let d = Diagnostic { file: r.file.clone(), line, col, path: p.path, message: p.message };
                if !diags.contains(&d) {
                    diags.push(d);
                }
            }
        }
    }
    if diags.is_empty() {
        Ok(r)
    } else {
        Err(Error::Scenario(LoadError(diags)))
    }
}

pub fn validate(files: &[PathBuf], sets: &[String], out: &mut dyn Write) -> Result<Exit, Error> {
    let mut all = Vec::new();
    for f in files {
        match load(f, sets) {
            Ok(r) => {
                let _ = writeln!(out, "{}: ok ({} cells, {} backends)", f.display(), r.cells.len(), r.first().backends.len());
                for w in plan::long_phases(&r) {
                    let _ = writeln!(out, "{}: warning: {w}", f.display());
                }
            }
            Err(Error::Scenario(LoadError(d))) => all.extend(d),
            Err(e) => return Err(e),
        }
    }
    if all.is_empty() {
        Ok(Exit::Ok)
    } else {
        Err(Error::Scenario(LoadError(all)))
    }
}

fn select_backends(r: &Resolved, wanted: &[String]) -> Result<Vec<String>, Error> {
    let sc = r.first();
    for w in wanted {
        if !sc.backends.contains_key(w) {
            let known: Vec<&str> = sc.backends.keys().map(String::as_str).collect();
            let hint = scenario::suggest::did_you_mean(w, known.iter().copied());
            return Err(Error::Usage(format!("--backend {w}: no such backend in {} (known: {}){hint}", r.file, known.join(", "))));
        }
    }
    Ok(sc.backends.keys().filter(|k| wanted.is_empty() || wanted.contains(k)).cloned().collect())
}

pub fn plan(file: &Path, backends: &[String], emit: Option<&Path>, sets: &[String], out: &mut dyn Write) -> Result<Exit, Error> {
    let r = load(file, sets)?;
    let names = select_backends(&r, backends)?;
    let model = DataModel::new(r.first().seed, &r.first().dataset);
    let templates = plan::templates_for(&r);
    let mut plans = Vec::new();
    for n in &names {
        // `load` already rendered everything once; a failure here cannot happen.
        if let Ok(p) = plan::render_backend(&r, n, &templates, &model) {
            plans.push(p);
        }
    }
    let redact = Redactor::new(r.secrets.clone());
    let _ = write!(out, "{}", redact.text(&plan::describe(&r, &plans, &model)));
    if let Some(dir) = emit {
        for p in &plans {
            let bdir = dir.join(&p.name);
            std::fs::create_dir_all(&bdir).map_err(|e| Error::Usage(format!("--emit {}: {e}", bdir.display())))?;
            let mut ddl = String::new();
            for (l, t) in &p.ddl {
                ddl.push_str(&format!("-- {l}\n{t};\n\n"));
            }
            let mut ops = String::new();
            for (l, t) in &p.ops {
                ops.push_str(&format!("-- {l}\n{t};\n\n"));
            }
            let ext = if p.kind.is_sql() { "sql" } else { "txt" };
            std::fs::write(bdir.join(format!("ddl.{ext}")), ddl).map_err(|e| Error::Usage(format!("--emit: {e}")))?;
            std::fs::write(bdir.join(format!("operations.{ext}")), ops).map_err(|e| Error::Usage(format!("--emit: {e}")))?;
            let _ = writeln!(out, "wrote {}", bdir.display());
        }
    }
    Ok(Exit::Ok)
}

pub fn schema(out: &mut dyn Write) -> Result<Exit, Error> {
    let _ = out.write_all(scenario::schema::schema_json().as_bytes());
    Ok(Exit::Ok)
}

pub async fn backends(file: Option<&Path>, sets: &[String], out: &mut dyn Write) -> Result<Exit, Error> {
    let _ = writeln!(out, "{:<9} {:<10} {:<40} {:<45} bulk load", "kind", "available", "systems", "packed read");
    for &kind in crate::scenario::model::Kind::ALL {
        let line = match backend::support(kind) {
            Ok(s) => {
                let k = s.info();
                format!("{:<9} {:<10} {:<40} {:<45} {}", kind.as_str(), "yes", k.systems, k.packed, k.load)
            }
            Err(_) => format!("{:<9} {:<10} {:<40} {:<45} -", kind.as_str(), "not built", "-", "-"),
        };
        let _ = writeln!(out, "{line}");
    }
    let Some(file) = file else { return Ok(Exit::Ok) };
    let r = load(file, sets)?;
    let redact = Redactor::new(r.secrets.clone());
    let model = DataModel::new(r.first().seed, &r.first().dataset);
    let templates = plan::templates_for(&r);
    let _ = writeln!(out, "\n{}:", r.file);
    struct Probe;
    impl backend::WithBackend for Probe {
        type Output = std::collections::BTreeMap<String, String>;
        async fn run<B: backend::Backend>(self, b: B) -> Self::Output {
            b.server_info().await
        }
    }
    let mut unreachable = 0;
    for (name, cfg) in &r.first().backends {
        let ctx = backend::Ctx { name, config: cfg, model: &model, templates: &templates, max_workers: 1 };
        let (ok, status) = match tokio::time::timeout(Duration::from_secs(15), backend::with_backend(&ctx, Probe)).await {
            Ok(Ok(info)) => (true, format!("reachable{}", info.get("server").map(|s| format!(" ({s})")).unwrap_or_default())),
            Ok(Err(e)) => (false, format!("NOT reachable: {e}")),
            Err(_) => (false, "NOT reachable: no answer within 15 s".into()),
        };
        unreachable += usize::from(!ok);
        let _ = writeln!(out, "  {name} ({}): {}", cfg.kind(), redact.text(&status));
    }
    // A preflight for CI: exit 3 (a backend failed to connect) when any is not reachable.
    Ok(if unreachable > 0 { Exit::BackendFailed } else { Exit::Ok })
}

/// `20261122T101500Z`
pub fn utc_stamp(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string().replace(['-', ':'], "")
}

pub(crate) fn utc_text(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Creates `root/<name>/<stamp>` (or `<stamp>-2`, ...): never an existing folder.
pub fn new_run_dir(root: &Path, name: &str, stamp: &str) -> Result<(PathBuf, String), Error> {
    let parent = root.join(name);
    std::fs::create_dir_all(&parent).map_err(|e| Error::Usage(format!("cannot create {}: {e}", parent.display())))?;
    for n in 1..1000 {
        let id = if n == 1 { stamp.to_string() } else { format!("{stamp}-{n}") };
        let dir = parent.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((dir, id)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::Usage(format!("cannot create {}: {e}", dir.display()))),
        }
    }
    Err(Error::Usage(format!("too many runs named {stamp} in {}", parent.display())))
}

/// `--quick`: a tenth of the requests and durations, at most 10,000 keys per entity.
fn quick(s: &mut Scenario) {
    for e in s.dataset.entities.values_mut() {
        if let Some(k) = e.keys.as_mut() {
            *k = (*k).min(10_000);
        }
    }
    for t in &mut s.dataset.tables {
        if let Some(r) = t.rows.as_mut() {
            *r = (*r).min(10_000);
        }
    }
    for p in &mut s.phases {
        let sp = match p {
            crate::scenario::model::Phase::Warmup(s) | crate::scenario::model::Phase::Run(s) => s,
        };
        if let Some(n) = sp.requests.as_mut() {
            *n = (*n / 10).max(10);
        }
        if let Some(d) = sp.duration.as_mut() {
            d.0 = (d.0 / 10).max(Duration::from_secs(1));
        }
    }
}

/// The command line as typed, for the report (secrets removed by the caller).
pub fn command_line() -> String {
    std::env::args().map(|a| if a.contains(' ') { format!("'{a}'") } else { a }).collect::<Vec<_>>().join(" ")
}

/// How long ago `--start-at` may be and still start (at once): a shard
/// started late is then late by that much, as its warnings say.
const START_AT_SLACK: Duration = Duration::from_secs(10);

/// `run` (parts All), `setup`, `teardown`; `run --shard` runs the phases alone.
pub async fn run(args: &RunArgs, parts: Parts, command: &str, out: &mut dyn Write, interrupt: Arc<AtomicBool>) -> Result<Exit, Error> {
    let verb = match parts {
        Parts::Setup => Some("setup"),
        Parts::Teardown => Some("teardown"),
        _ => None,
    };
    if let Some(verb) = verb {
        for (given, flag) in
            [(args.shard.is_some(), "--shard"), (args.start_at.is_some(), "--start-at"), (args.baseline.is_some(), "--baseline")]
        {
            if given {
                return Err(Error::Usage(format!("{verb}: {flag} is an option of `run`, not of `{verb}`")));
            }
        }
    }
    if let Some(at) = args.start_at {
        if let Ok(late) = SystemTime::now().duration_since(at) {
            if late > START_AT_SLACK {
                return Err(Error::Usage(format!(
                    "--start-at {} was {:.0} s ago (more than {} s): give a time in the future",
                    utc_text(at),
                    late.as_secs_f64(),
                    START_AT_SLACK.as_secs()
                )));
            }
        }
    }
    let parts = if args.shard.is_some() { Parts::Phases } else { parts };
    let shard = args.shard.map(|s| crate::exec::Shard { index: s.index, count: s.count });
    let mut r = load(&args.file, &args.sets.set)?;
    // A findmax search decides each step on the whole rate's figures: a
    // shard sees its part only, and N shards would search apart.
    if args.shard.is_some() && r.cells.iter().any(|c| c.scenario.phases.iter().any(|p| p.spec().findmax.is_some())) {
        return Err(Error::Usage(
            "--shard: a findmax phase cannot be sharded (each shard would judge its own share of the rate and search alone); run it in one process, or shard a phase with a fixed `rate`".into(),
        ));
    }
    // Bad comparison arguments fail before anything runs.
    let thresholds = args.thresholds.thresholds()?;
    if let Some(p) = &args.junit {
        check_writable(p)?;
    }
    let baseline = match &args.baseline {
        // A folder of runs (a named baseline): its newest run of this scenario.
        Some(p) => Some(read_run_in(p, Some(&r.first().name))?),
        None => None,
    };
    if args.quick {
        for c in &mut r.cells {
            quick(&mut c.scenario);
        }
    }
    let names = select_backends(&r, &args.backends)?;
    let redact = Redactor::new(r.secrets.clone());
    let templates = plan::templates_for(&r);
    let mut progress = Progress::new(args.quiet, Some(args.status_every));
    if let Some(addr) = args.metrics_addr {
        let metrics = crate::stats::live::Exposition::new();
        let bound = metrics_server::serve(addr, metrics.clone()).await?;
        progress.note(&format!("benchplan: live metrics at http://{bound}/metrics"));
        progress = progress.with_metrics(metrics);
    }
    sampling::catalog_columns(&mut r, &names, &templates, &progress).await.map_err(|e| Error::Internal(redact.text(&e)))?;
    let sc = r.first().clone();
    let lists = sampling::sampled_keys(&r, &names, &templates, &progress).await.map_err(|e| Error::Internal(redact.text(&e)))?;
    let model = Arc::new(DataModel::with_keys(sc.seed, &sc.dataset, &lists));
    let started = SystemTime::now();
    let (dir, run_id) = new_run_dir(&args.out, &sc.name, &utc_stamp(started))?;
    progress.note(&format!("benchplan: running {} on {} backend(s); results in {}", sc.name, names.len(), dir.display()));
    for w in plan::long_phases(&r) {
        progress.note(&format!("benchplan: warning: {w}"));
    }

    // A findmax step is judged on its own row, by the scenario's checks.
    let slots = checks::slots(&r, &names);
    let empty = new_report(&r, String::new(), command, (started, started), false, args.runtime_threads());
    let (tables, entities): (Vec<String>, Vec<String>) =
        (model.tables.iter().map(|t| t.name.clone()).collect(), model.entities.iter().map(|e| e.name.clone()).collect());
    let judge = |m: &crate::stats::measured::MeasuredPhase, base: &str| {
        let mut run = crate::stats::measured::BackendRun::failed(&m.id.backend, &m.id.kind, String::new());
        run.tables = tables.clone();
        run.entities = entities.clone();
        report::findmax::judge(&sc.checks, &empty, &run, &slots, m, base)
    };
    let exact = crate::exec::ExactCache::new(Some(dir.clone()));
    let mut outcomes = Vec::new();
    for name in &names {
        if interrupt.load(Ordering::Relaxed) {
            break;
        }
        let job = BackendJob {
            parts,
            shard,
            start_at: args.start_at,
            name,
            resolved: &r,
            model: model.clone(),
            templates: &templates,
            max_workers: max_workers(&r),
            interrupt: interrupt.clone(),
            progress: &progress,
            judge: &judge,
            exact: &exact,
            cells: 0..r.cells.len(),
        };
        outcomes.push(run_backend(job).await);
    }
    let finished = SystemTime::now();

    let mut report = new_report(&r, run_id, command, (started, finished), interrupt.load(Ordering::Relaxed), args.runtime_threads());
    report.only = verb.map(str::to_string);
    if let Some(s) = shard {
        report.shard = Some(report::shards::ShardInfo {
            index: s.index,
            count: s.count,
            start_at_utc: args.start_at.map(utc_text),
            host: report.environment.machine.get("host").cloned(),
            clock: machine::clock(),
            checks: sc.checks.clone(),
            slots: checks::slots(&r, &names),
        });
        report.measured = outcomes.clone();
    }
    for o in outcomes {
        report::assemble::add_backend(&mut report, o).map_err(Error::Internal)?;
    }
    // A shard's checks are evaluated by `merge`, on the merged figures; setup and teardown have none.
    if verb.is_none() && args.shard.is_none() {
        let mut slots = slots.clone();
        report::findmax::point_slots(&mut slots, &report);
        report.checks = checks::evaluate(&sc.checks, &report, &slots, baseline.as_ref().map(|(_, b)| b));
    }
    report.baseline = baseline.as_ref().map(|(_, b)| report::model::BaselineNote {
        run_id: b.run_id.clone(),
        differences: report::compare::differences(b, &report).iter().map(|d| d.text()).collect(),
    });
    // Nothing secret leaves the process.
    let mut v = serde_json::to_value(&report).map_err(|e| Error::Internal(e.to_string()))?;
    redact.value(&mut v);
    let report: RunReport = serde_json::from_value(v).map_err(|e| Error::Internal(e.to_string()))?;
    // The result lines first: a report that cannot be written loses nothing the terminal saw.
    let _ = out.write_all(&headline(&report, &dir));
    report::write_all(&dir, &report).map_err(Error::Report)?;
    let mut regressed = false;
    let mut junit = args.junit.as_ref().map(|_| report::junit::checks(&report));
    if let Some((base_dir, base)) = &baseline {
        let mut c = report::compare::compare(base, &report, &thresholds);
        c.allow_missing = args.thresholds.allow_missing;
        let _ =
            write!(out, "\n{}", report::compare::markdown(&c, base, &report, &base_dir.display().to_string(), &dir.display().to_string()));
        regressed = !c.regressions().is_empty() || (c.incomplete() && !args.thresholds.allow_missing);
        if junit.is_some() {
            junit = Some(report::junit::checks_and_comparison(&report, &c));
        }
    }
    if let (Some(path), Some(xml)) = (&args.junit, &junit) {
        write_junit(path, xml)?;
    }
    let failed_backend = report.backends.iter().find(|b| b.status == Status::Failed);
    Ok(if report.interrupted {
        Exit::Interrupted
    } else if let Some(b) = failed_backend {
        let _ = writeln!(out, "backend {} failed: {}", b.name, b.error.as_deref().unwrap_or(""));
        Exit::BackendFailed
    } else if regressed || report.checks.iter().any(|c| !c.passed) {
        Exit::CheckFailed
    } else {
        Exit::Ok
    })
}

/// The report of a run before any backend's measurements are added.
fn new_report(
    r: &Resolved,
    run_id: String,
    command: &str,
    (started, finished): (SystemTime, SystemTime),
    interrupted: bool,
    threads: usize,
) -> RunReport {
    let sc = r.first();
    RunReport {
        format: REPORT_FORMAT,
        run_id,
        tool: format!("benchplan {}", env!("CARGO_PKG_VERSION")),
        scenario: sc.name.clone(),
        description: sc.description.clone(),
        scenario_file: r.file.clone(),
        scenario_sha256: r.sha256.clone(),
        command: command.to_string(),
        started_utc: utc_text(started),
        finished_utc: utc_text(finished),
        environment: Environment {
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            machine: machine::facts(),
            runtime_threads: Some(threads),
        },
        matrix_params: r.matrix_params.clone(),
        matrix_scope: (!r.matrix_params.is_empty()).then(|| r.matrix_scope()),
        interrupted,
        resolved_scenario: r.display.clone(),
        // Everything measured is added to it afterwards.
        ..RunReport::default()
    }
}

/// What `run` prints on stdout: one line per result row, the checks, the folder.
fn headline(r: &RunReport, dir: &Path) -> Vec<u8> {
    let mut s = String::new();
    use std::fmt::Write as _;
    for row in &r.rows {
        let cell = crate::scenario::cell_label(&row.cell);
        let cell = if cell == "-" { String::new() } else { format!(" [{cell}]") };
        let _ = writeln!(
            s,
            "{} {}{}: {} requests, {} errors, {:.1} req/s, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            row.backend,
            row.phase,
            cell,
            row.requests,
            row.errors,
            row.throughput_rps,
            row.latency.p50_ms,
            row.latency.p99_ms,
            row.latency.max_ms
        );
    }
    if !r.checks.is_empty() {
        let failed: Vec<_> = r.checks.iter().filter(|c| !c.passed).collect();
        let _ = writeln!(s, "checks: {} of {} passed", r.checks.len() - failed.len(), r.checks.len());
        for c in failed {
            let scope = match (&c.op, &c.step) {
                (Some(op), Some(step)) => format!(" (op {op}, step {step})"),
                (Some(op), None) => format!(" (op {op})"),
                _ => String::new(),
            };
            match &c.not_evaluated {
                Some(why) => {
                    let _ = writeln!(s, "  NOT EVALUATED {}{scope} on {} {} [{}]: {why}", c.check, c.backend, c.phase, c.cell);
                }
                None => {
                    let v = report::markdown::measured_text(c);
                    let _ = writeln!(s, "  FAIL {}{scope} on {} {} [{}]: measured {v}", c.check, c.backend, c.phase, c.cell);
                }
            }
        }
    }
    for w in &r.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    let _ = writeln!(s, "report: {}", dir.join("summary.md").display());
    s.into_bytes()
}

pub fn init(a: &InitArgs, out: &mut dyn Write) -> Result<Exit, Error> {
    if a.tables == 0 || a.features == 0 || a.rows == 0 || a.entities == 0 {
        return Err(Error::Usage("init: --tables, --features, --rows and --entities must be at least 1".into()));
    }
    if a.name.is_empty() || !a.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
        return Err(Error::Usage(format!("init: --name must match [a-z0-9_-]+, got {:?}", a.name)));
    }
    let dir = if a.output.as_os_str() == "-" { Path::new(".") } else { a.output.parent().unwrap_or(Path::new("")) };
    let starter = Starter { name: &a.name, entities: a.entities, tables: a.tables, features: a.features, rows: a.rows };
    let text = scenario::starter::text(&starter, &scenario::starter::schema_path(dir));
    if a.output.as_os_str() == "-" {
        let _ = out.write_all(text.as_bytes());
        return Ok(Exit::Ok);
    }
    if a.output.exists() && !a.force {
        return Err(Error::Usage(format!("init: {} exists; pass --force to overwrite it", a.output.display())));
    }
    std::fs::write(&a.output, text).map_err(|e| Error::Usage(format!("init: cannot write {}: {e}", a.output.display())))?;
    let _ = writeln!(out, "wrote {}; try: benchplan run {}", a.output.display(), a.output.display());
    Ok(Exit::Ok)
}
