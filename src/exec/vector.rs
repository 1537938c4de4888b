//! What the runner does for vector search: the settings a phase's
//! connections get, and the recall of its `vector_search` after it ran.

use crate::backend::Backend;
use crate::dataset::exact::{recall_per_query, RecallInput};
use crate::dataset::DataModel;
use crate::scenario::model::{BackendConfig, PhaseSpec};
use crate::stats::measured::Recall;
use crate::workload::{OpKind, Workload};
use serde_json::Value;
use std::collections::BTreeMap;

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

/// Recall of the phase's `vector_search` (the first one of its mix; one
/// without a `filter`, whose exact answer benchplan cannot know), from the
/// answers the backend kept; brute force on every core.
pub fn phase_recall<B: Backend>(b: &B, ops: &[B::Op], workload: &Workload, model: &DataModel) -> Option<Recall> {
    let mut found = None;
    for (spec, op) in workload.ops.iter().zip(ops) {
        // Take every op's answers, so none is left over for the next phase.
        let answers = b.vector_answers(op);
        if let (OpKind::VectorSearch { table, column, search }, Some(a)) = (&spec.kind, answers) {
            if found.is_none() && search.filter.is_none() {
                let threads = std::thread::available_parallelism().map_or(2, usize::from);
                let input =
                    RecallInput { table: *table, column: *column, distance: search.distance, k: a.k, returned: &a.keys, sent: &a.answered };
                found = Recall::of(search.k(), recall_per_query(model, &input, threads));
            }
        }
    }
    found
}
