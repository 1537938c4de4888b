//! What a run will do, rendered without opening a connection: used by
//! `plan`, and by `validate`/`run` to reject templates that do not render.

use crate::backend::{self, Ctx};
use crate::dataset::DataModel;
use crate::exec::{max_workers, op_label};
use crate::scenario::model::{default_step_name, phase_name};
use crate::scenario::model::{expand_table_names, BackendConfig, Dataset, Distribution, KeySpec, KeyType, Kind, MixEntry, Phase, Step};
use crate::scenario::model::{DEFAULT_HOT_KEYS, DEFAULT_HOT_TRAFFIC, DEFAULT_THETA};
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
    for line in table_groups(&sc.dataset, model) {
        let _ = writeln!(s, "  {line}");
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
                let (keys, mix) = keys_and_mix(&cell.scenario.phases, pi);
                let _ = writeln!(s, "      keys: {}", keys_text(&keys));
                if let Some(mix) = mix {
                    let _ = writeln!(s, "      mix: {}", mix_text(mix, &p.name));
                    for (mi, m) in mix.iter().enumerate().filter(|(_, m)| m.steps.is_some()) {
                        for st in m.operations() {
                            let (Some(j), Some(op)) = (st.step, st.op) else { continue };
                            let name = st.name.map_or_else(|| default_step_name(j), str::to_string);
                            let _ = writeln!(s, "        #{} step {name}: {}", mi + 1, crate::exec::describe_operation(op));
                        }
                    }
                }
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

/// The keys and mix phase `pi` runs with: its own, or (a warmup without a
/// mix) those of the next run phase, as the runner takes them.
fn keys_and_mix(phases: &[Phase], pi: usize) -> (KeySpec, Option<&Vec<MixEntry>>) {
    let spec = phases[pi].spec();
    let next_run = phases[pi..].iter().find(|p| !p.is_warmup()).map(Phase::spec);
    let mix = spec.mix.as_ref().or(next_run.and_then(|r| r.mix.as_ref()));
    let keys = spec.keys.clone().or_else(|| if spec.mix.is_none() { next_run.and_then(|r| r.keys.clone()) } else { None });
    (keys.unwrap_or_default(), mix)
}

/// `zipfian (theta 0.99)`: a distribution with the parameters it draws
/// with; then each entity with a distribution of its own
/// (`uniform; entity item: zipfian (theta 0.99)`).
fn keys_text(k: &KeySpec) -> String {
    let mut s = distribution_text(k);
    for (name, ek) in &k.entities {
        s.push_str(&format!("; entity {name}: {}", distribution_text(ek)));
    }
    s
}

fn distribution_text(k: &KeySpec) -> String {
    let d = k.distribution;
    match d {
        Distribution::Zipfian | Distribution::Latest => format!("{} (theta {})", d.as_str(), k.theta.unwrap_or(DEFAULT_THETA)),
        Distribution::Hotspot => format!(
            "hotspot (hot_keys {}, hot_traffic {})",
            k.hot_keys.unwrap_or(DEFAULT_HOT_KEYS),
            k.hot_traffic.unwrap_or(DEFAULT_HOT_TRAFFIC)
        ),
        Distribution::Uniform | Distribution::Sequential => d.as_str().to_string(),
    }
}

/// `95 % #1 read card (packed), 5 % #2 write card (upsert)`: the entries
/// that run on `backend`, each with its share of the requests.
fn mix_text(mix: &[MixEntry], backend: &str) -> String {
    let here: Vec<(usize, &MixEntry)> =
        mix.iter().enumerate().filter(|(_, m)| m.backends.as_ref().is_none_or(|b| b.iter().any(|x| x == backend))).collect();
    let total: f64 = here.iter().map(|(_, m)| m.weight.unwrap_or(1.0)).sum();
    let parts: Vec<String> = here
        .iter()
        .map(|(i, m)| {
            let pct = if total > 0.0 { m.weight.unwrap_or(1.0) / total * 100.0 } else { 0.0 };
            format!("{} % {}", percent(pct), op_label(m, *i))
        })
        .collect();
    if parts.is_empty() {
        "nothing on this backend".into()
    } else {
        parts.join(", ")
    }
}

/// `95`, `33.3`, `0.1`: a share with one decimal at most.
fn percent(p: f64) -> String {
    let s = format!("{p:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// One line per table line of the dataset (its `count` tables have the
/// same columns): `tables card_f0 .. card_f2 (3 tables, entity card, 20000
/// rows each): pk string, f0 .. f4 float`.
fn table_groups(dataset: &Dataset, model: &DataModel) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    for spec in &dataset.tables {
        // The model expands the dataset's lines in order.
        let n = expand_table_names(spec).len().min(model.tables.len() - i);
        let Some(t) = model.tables.get(i) else { break };
        let entity = &model.entities[t.entity];
        let key = match entity.key_type {
            KeyType::Int => "int",
            KeyType::String => "string",
            KeyType::Uuid => "uuid",
        };
        let columns = columns_text(&t.key_column, key, t);
        if n == 1 {
            out.push(format!("table {} (entity {}, {} rows): {columns}", t.name, entity.name, t.rows));
        } else {
            let last = &model.tables[i + n - 1].name;
            out.push(format!("tables {} .. {last} ({n} tables, entity {}, {} rows each): {columns}", t.name, entity.name, t.rows));
        }
        i += n;
    }
    out
}

/// Most columns a table line names; the DDL (`plan`'s statements, `--emit`) has them all.
const MAX_COLUMN_ITEMS: usize = 24;

/// `pk string, f0 .. f4 float, f5 int`: three or more numbered features of
/// one type in a row as a range.
fn columns_text(key_column: &str, key: &str, t: &crate::dataset::TableModel) -> String {
    let number = |name: &str| name.strip_prefix('f').and_then(|n| n.parse::<u64>().ok());
    let mut items = vec![format!("{key_column} {key}")];
    let mut j = 0;
    while j < t.columns.len() {
        let c = &t.columns[j];
        let mut k = j + 1;
        if let Some(first) = number(&c.name) {
            while k < t.columns.len() && t.columns[k].ty == c.ty && number(&t.columns[k].name) == Some(first + (k - j) as u64) {
                k += 1;
            }
        }
        let ty = c.ty.as_str();
        if k - j >= 3 {
            items.push(format!("{} .. {} {ty}", c.name, t.columns[k - 1].name));
            j = k;
        } else {
            items.push(format!("{} {ty}", c.name));
            j += 1;
        }
    }
    if items.len() > MAX_COLUMN_ITEMS {
        let more = items.len() - MAX_COLUMN_ITEMS;
        items.truncate(MAX_COLUMN_ITEMS);
        items.push(format!("and {more} more"));
    }
    items.join(", ")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::dist::{KeyChooser, Rng};

    #[test]
    fn the_defaults_plan_shows_are_the_ones_keys_are_drawn_with() {
        for (d, filled) in [
            (Distribution::Zipfian, KeySpec { theta: Some(DEFAULT_THETA), ..Default::default() }),
            (Distribution::Latest, KeySpec { theta: Some(DEFAULT_THETA), ..Default::default() }),
            (
                Distribution::Hotspot,
                KeySpec { hot_keys: Some(DEFAULT_HOT_KEYS), hot_traffic: Some(DEFAULT_HOT_TRAFFIC), ..Default::default() },
            ),
        ] {
            let bare = KeySpec { distribution: d, ..Default::default() };
            let filled = KeySpec { distribution: d, ..filled };
            let (a, b) = (KeyChooser::new(&bare, 1000, 7), KeyChooser::new(&filled, 1000, 7));
            assert_eq!(a.hot_keys(), b.hot_keys(), "{d:?}");
            let (mut ra, mut rb) = (Rng::new(3), Rng::new(3));
            for i in 0..2000 {
                assert_eq!(a.draw(&mut ra, i), b.draw(&mut rb, i), "{d:?}: draw {i}");
            }
            assert_eq!(keys_text(&bare), keys_text(&filled));
        }
        assert_eq!(keys_text(&KeySpec::default()), "uniform");
        assert_eq!(
            keys_text(&KeySpec { distribution: Distribution::Hotspot, hot_keys: Some(0.01), ..Default::default() }),
            "hotspot (hot_keys 0.01, hot_traffic 0.8)"
        );
    }

    #[test]
    fn mix_shares_are_percentages_of_what_runs_on_the_backend() {
        let entry = |weight: Option<f64>, backends: Option<Vec<&str>>| -> MixEntry {
            let mut m: MixEntry = serde_json::from_value(serde_json::json!({ "read_features": { "entities": ["card"] } })).unwrap();
            m.weight = weight;
            m.backends = backends.map(|b| b.into_iter().map(str::to_string).collect());
            m
        };
        let mix = [entry(Some(1.0), None), entry(Some(2.0), None), entry(Some(7.0), Some(vec!["other"]))];
        assert_eq!(mix_text(&mix, "local"), "33.3 % #1 read card (packed), 66.7 % #2 read card (packed)");
        assert_eq!(mix_text(&mix, "other"), "10 % #1 read card (packed), 20 % #2 read card (packed), 70 % #3 read card (packed)");
        assert_eq!(mix_text(&mix[2..], "local"), "nothing on this backend");
        assert_eq!(
            mix_text(&[entry(None, None), entry(Some(0.0), None)], "local"),
            "100 % #1 read card (packed), 0 % #2 read card (packed)"
        );
    }

    #[test]
    fn tables_are_shown_per_dataset_line_with_their_columns() {
        let ds: Dataset = serde_json::from_value(serde_json::json!({
            "entities": { "card": { "keys": 10, "key": "string" }, "dev": { "keys": 5 } },
            "tables": [
                { "name": "card_f{i}", "entity": "card", "count": 3, "features": 5 },
                { "name": "card_m", "entity": "card", "features": 6, "types": "mixed", "rows": 4 },
                { "name": "dev", "entity": "dev", "key_column": "id", "features": [ { "name": "a" }, { "name": "b", "type": "int" } ] },
                { "name": "wide", "entity": "dev", "features": 100, "types": "mixed" }
            ]
        }))
        .unwrap();
        let model = DataModel::new(1, &ds);
        let lines = table_groups(&ds, &model);
        assert_eq!(lines[0], "tables card_f0 .. card_f2 (3 tables, entity card, 10 rows each): pk string, f0 .. f4 float");
        assert_eq!(lines[1], "table card_m (entity card, 4 rows): pk string, f0 float, f1 int, f2 string, f3 bool, f4 float, f5 int");
        assert_eq!(lines[2], "table dev (entity dev, 5 rows): id int, a float, b int");
        assert!(lines[3].ends_with("f21 int, f22 string, and 77 more"), "{}", lines[3]);
        assert_eq!(lines.len(), 4);
    }
}
