//! What the message of a stopped phase adds to why it stopped: its first
//! error (a database's message is said as the database's, see
//! `backend::sqlx_exec::database_said`), and where each custom statement
//! that failed is written in the scenario, as `file:line:column`: the
//! database's own line numbers are lines of the SQL it was sent.

use crate::scenario::model::{MixEntry, Phase};
use crate::scenario::Resolved;
use crate::stats::PhaseStats;
use crate::workload::Workload;

/// `; first error: ...; failing statement `recent` at x.yaml:20:11
/// (phases[1].run.mix[1].statement)`, or nothing to add. `pi`: the phase,
/// whose mix is its own or (a warmup without one) the next run phase's.
pub(super) fn context(
    r: &Resolved,
    phases: &[Phase],
    pi: usize,
    why: &str,
    stats: &PhaseStats,
    workload: &Workload,
    mix: &[MixEntry],
) -> String {
    let mut out = String::new();
    if let Some((_, first)) = stats.examples.first() {
        // A fatal error is the reason already.
        if !why.contains(first.as_str()) {
            out.push_str(&format!("; first error: {first}"));
        }
    }
    let mix_at = if phases[pi].spec().mix.is_some() { pi } else { phases[pi..].iter().position(|p| !p.is_warmup()).map_or(pi, |j| pi + j) };
    let variant = if phases[mix_at].is_warmup() { "warmup" } else { "run" };
    for (oi, op) in workload.ops.iter().enumerate() {
        // With one op, every error is its own; with more, each op counts its own.
        let failed = if workload.ops.len() == 1 { stats.error_count() > 0 } else { stats.ops.get(oi).is_some_and(|o| o.errors > 0) };
        let Some(st) = mix.get(op.mix_index).and_then(|m| m.statement.as_ref()).filter(|_| failed) else { continue };
        let path = format!("phases[{mix_at}].{variant}.mix[{}].statement", op.mix_index);
        out.push_str(&format!("; failing statement `{}` at {} ({path})", st.name, r.location(&path)));
    }
    out
}
