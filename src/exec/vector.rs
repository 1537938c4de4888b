//! What the runner does for vector search: the settings a phase's
//! connections get, and the recall of its `vector_search` after it ran.

use crate::backend::{Backend, VectorAnswers};
use crate::dataset::exact::{distance, exact_top_k, recall_of, TopK};
use crate::dataset::{key_fingerprint, DataModel};
use crate::scenario::model::{BackendConfig, Distance, PhaseSpec};
use crate::stats::measured::Recall;
use crate::workload::{OpKind, Workload};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A setting's value as PostgreSQL reads it: `on`/`off` for booleans.
fn setting_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "on" } else { "off" }.to_string(),
        other => other.to_string(),
    }
}

/// The backend's `settings`, then the phase's over them (of this cell).
pub fn phase_settings(config: &BackendConfig, spec: &PhaseSpec) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let BackendConfig::Postgres(c) = config {
        out.extend(c.settings.iter().map(|(k, v)| (k.clone(), setting_text(v))));
        out.extend(spec.settings.iter().map(|(k, v)| (k.clone(), setting_text(v))));
    }
    out
}

/// Key fingerprint -> row number, per table (and its row count).
type RowsByKey = HashMap<(String, u64), Arc<HashMap<u64, u64>>>;

/// The exact answers of a run, computed once per (table, column, distance,
/// k, rows) and query number, for every phase, cell and backend of the run:
/// kept in memory and written to the run folder,
/// `exact/<table>.<column>.<distance>.k<k>.rows<rows>.json` (docs/reports.md).
pub struct ExactCache {
    /// The run folder; None: kept in memory only.
    dir: Option<PathBuf>,
    answers: Mutex<HashMap<String, BTreeMap<u64, TopK>>>,
    /// Per table (and its row count): key fingerprint -> row number.
    rows_by_key: Mutex<RowsByKey>,
}

impl ExactCache {
    pub fn new(dir: Option<PathBuf>) -> Self {
        ExactCache { dir, answers: Mutex::default(), rows_by_key: Mutex::default() }
    }

    fn rows_by_key(&self, model: &DataModel, table: usize) -> Arc<HashMap<u64, u64>> {
        let t = &model.tables[table];
        let mut map = self.rows_by_key.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry((t.name.clone(), t.rows))
            .or_insert_with(|| {
                let entity = &model.entities[t.entity];
                Arc::new((0..t.rows).map(|idx| (key_fingerprint(&entity.key(idx)), idx)).collect())
            })
            .clone()
    }

    /// The exact answers of `queries` (query numbers): those not known yet
    /// computed by brute force on every core, then all written to the file.
    /// Err: the file could not be written (the answers are still returned).
    fn answers(&self, model: &DataModel, s: &Search, queries: &[u64]) -> (BTreeMap<u64, TopK>, Option<String>) {
        let t = &model.tables[s.table];
        let name = format!("{}.{}.{}.k{}.rows{}.json", t.name, t.columns[s.column].name, s.distance.as_str(), s.k, t.rows);
        let known = self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&name).cloned().unwrap_or_default();
        let missing: Vec<u64> = queries.iter().copied().filter(|q| !known.contains_key(q)).collect();
        if missing.is_empty() {
            return (known, None);
        }
        let vectors: Vec<Vec<f32>> = missing
            .iter()
            .map(|&q| {
                let mut v = Vec::new();
                t.write_query_vector(s.column, q, &mut v);
                v
            })
            .collect();
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        let found = exact_top_k(t.rows, &vectors, s.k, s.distance, threads, |row, out| t.write_vector(row, s.column, 0, out));
        let mut map = self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let all = map.entry(name.clone()).or_default();
        all.extend(missing.into_iter().zip(found));
        let all = all.clone();
        drop(map);
        let problem = self.dir.as_ref().and_then(|dir| {
            let entity = &model.entities[t.entity];
            let body = json!({
                "table": t.name,
                "column": t.columns[s.column].name,
                "distance": s.distance.as_str(),
                "k": s.k,
                "rows": t.rows,
                "computed_by": "benchplan: brute force over every stored vector, in f64; rows at the same distance in row-number order",
                "queries": all.iter().map(|(q, top)| json!({
                    "query": q,
                    "keys": top.iter().map(|(row, _)| entity.key(*row).to_string()).collect::<Vec<_>>(),
                    "distances": top.iter().map(|(_, d)| d).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            });
            let path = dir.join("exact").join(&name);
            let write = std::fs::create_dir_all(dir.join("exact"))
                .and_then(|_| serde_json::to_vec(&body).map_err(std::io::Error::other))
                .and_then(|bytes| std::fs::write(&path, bytes));
            write.err().map(|e| format!("cannot write the exact answers to {}: {e}", path.display()))
        });
        (all, problem)
    }
}

/// What one `vector_search` asks, for its exact answers.
struct Search {
    table: usize,
    column: usize,
    distance: Distance,
    k: usize,
}

/// Recall of the phase's `vector_search` (the first one of its mix; one
/// without a `filter`, whose exact answer benchplan cannot know), from the
/// answers the backend kept, against the run's exact answers (computed for
/// the queries not asked before). The second value: a warning (the exact
/// answers could not be written).
pub fn phase_recall<B: Backend>(
    b: &B,
    ops: &[B::Op],
    workload: &Workload,
    model: &DataModel,
    cache: &ExactCache,
) -> (Option<Recall>, Option<String>) {
    let mut found = (None, None);
    let mut done = false;
    for (spec, op) in workload.ops.iter().zip(ops) {
        // Take every op's answers, so none is left over for the next phase.
        let answers = b.vector_answers(op);
        if let (OpKind::VectorSearch { table, column, search }, Some(a)) = (&spec.kind, answers) {
            if !done && search.filter.is_none() {
                done = true;
                let s = Search { table: *table, column: *column, distance: search.distance, k: a.k };
                found = recall(model, cache, &s, &a, search.k());
            }
        }
    }
    found
}

fn recall(model: &DataModel, cache: &ExactCache, s: &Search, a: &VectorAnswers, k: u32) -> (Option<Recall>, Option<String>) {
    let sent: Vec<u64> = a.answered.iter().enumerate().filter(|(_, s)| **s).map(|(q, _)| q as u64).collect();
    let (exact, problem) = cache.answers(model, s, &sent);
    let by_key = cache.rows_by_key(model, s.table);
    let t = &model.tables[s.table];
    let (mut query, mut row_vec) = (Vec::new(), Vec::new());
    let per_query: Vec<f64> = sent
        .iter()
        .filter_map(|&q| {
            let top = exact.get(&q)?;
            let slots = a.keys.get(q as usize * s.k..(q as usize + 1) * s.k)?;
            let returned: Vec<Option<u64>> = slots.iter().map(|fp| by_key.get(fp).copied()).collect();
            t.write_query_vector(s.column, q, &mut query);
            Some(recall_of(top, s.k, &returned, |row| {
                t.write_vector(row, s.column, 0, &mut row_vec);
                distance(s.distance, &query, &row_vec)
            }))
        })
        .collect();
    (Recall::of(k, per_query), problem)
}
