//! Loading a dataset in numbered calls, several in flight.

use crate::backend::{BackendError, Loaded};
use crate::dataset::DataModel;
use crate::stats::Usage;
use std::future::Future;

/// Loads every table of `model` in calls of up to `per_call` rows, numbered
/// across all tables, with `workers` calls in flight: `call(table, first,
/// last)` writes rows `first..last` and returns the rows written and what
/// they consumed. The first failed call stops the other workers at their
/// next call, and the load with its message.
pub async fn load_in_calls<F, Fut>(
    model: &DataModel,
    per_call: u64,
    workers: u32,
    bar: &indicatif::ProgressBar,
    call: F,
) -> Result<Loaded, BackendError>
where
    F: Fn(usize, u64, u64) -> Fut,
    Fut: Future<Output = Result<(u32, Usage), String>>,
{
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    bar.set_length(model.total_rows());
    let per_call = per_call.max(1);
    let mut starts = Vec::with_capacity(model.tables.len());
    let mut total_calls = 0u64;
    for t in &model.tables {
        starts.push(total_calls);
        total_calls += t.rows.div_ceil(per_call);
    }
    let next = AtomicU64::new(0);
    let failed = AtomicBool::new(false);
    let results = futures_util::future::join_all((0..workers.max(1)).map(|_| async {
        let mut usage = Usage::default();
        let mut rows = 0u64;
        loop {
            let c = next.fetch_add(1, Ordering::Relaxed);
            if c >= total_calls || failed.load(Ordering::Relaxed) {
                return Ok((rows, usage));
            }
            let t = starts.partition_point(|&s| s <= c) - 1;
            let first = (c - starts[t]) * per_call;
            let last = (first + per_call).min(model.tables[t].rows);
            match call(t, first, last).await {
                Ok((n, u)) => {
                    usage.add(&u);
                    rows += u64::from(n);
                    bar.inc(u64::from(n));
                }
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    return Err(BackendError(e));
                }
            }
        }
    }))
    .await;
    let mut out = Loaded::default();
    for r in results {
        let (rows, usage) = r?;
        out.rows += rows;
        out.usage.add(&usage);
    }
    Ok(out)
}
