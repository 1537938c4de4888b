//! One request's calls: the tables of a read grouped by entity, and the
//! rows, usage, legs and first error of calls made at once, summed.

use crate::backend::Done;
use crate::dataset::DataModel;
use crate::stats::{Legs, OpError, Usage};

/// The tables of a read grouped by their entity, in first-seen order (one
/// call per entity key where a service returns an entity's tables together).
pub fn group_by_entity(model: &DataModel, tables: &[usize]) -> Vec<(usize, Vec<usize>)> {
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for &t in tables {
        let e = model.tables[t].entity;
        match groups.iter_mut().find(|(ge, _)| *ge == e) {
            Some((_, ts)) => ts.push(t),
            None => groups.push((e, vec![t])),
        }
    }
    groups
}

/// Sums concurrent calls: rows and usage of all, the first error (the first
/// fatal one, if any, so that it stops the phase).
pub fn gather(usage: &mut Usage, results: impl IntoIterator<Item = (Result<u32, OpError>, Usage)>) -> Result<u32, OpError> {
    let mut rows = 0;
    let mut first: Option<OpError> = None;
    for (r, u) in results {
        usage.add(&u);
        match r {
            Ok(n) => rows += n,
            Err(e) => {
                if first.as_ref().is_none_or(|f| e.fatal && !f.fatal) {
                    first = Some(e);
                }
            }
        }
    }
    first.map_or(Ok(rows), Err)
}

/// Rows, dataset table, and nanoseconds from the request's start to the call's end.
pub type TimedLeg = (u32, usize, u64);

/// [`gather`] for reads whose calls each report (rows, table, end since the
/// request's start): their legs go into `legs`.
pub fn gather_legs(
    usage: &mut Usage,
    legs: &mut Legs,
    model: &DataModel,
    results: Vec<(Result<TimedLeg, OpError>, Usage)>,
) -> Result<u32, OpError> {
    let timed = results.into_iter().map(|(r, u)| {
        let r = r.map(|(n, t, ns)| {
            legs.leg(t, model.tables[t].entity, ns, true);
            n
        });
        (r, u)
    });
    gather(usage, timed)
}

/// A request's outcome: its rows with what every call consumed, or its
/// first error carrying the same (failed calls are charged too).
pub fn finish(rows: Result<u32, OpError>, usage: Usage) -> Result<Done, OpError> {
    match rows {
        Ok(rows) => Ok(Done { rows, usage, sent: Default::default() }),
        Err(mut e) => {
            e.usage = usage;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::ErrorKind;

    #[test]
    fn a_fatal_error_wins_over_an_earlier_one() {
        let plain = OpError::new(ErrorKind::Query, "conflict");
        let mut fatal = OpError::new(ErrorKind::NotFound, "no container");
        fatal.fatal = true;
        let mut u = Usage::default();
        let r = gather(&mut u, vec![(Err(plain), Usage::default()), (Ok(2), Usage::default()), (Err(fatal), Usage::default())]);
        assert_eq!(r.err().map(|e| (e.kind, e.fatal)), Some((ErrorKind::NotFound, true)));
    }
}
