//! One request of the mix: its one operation, or its steps one after
//! another (or together), timed step by step.

use crate::backend::{Backend, Buffers, Done};
use crate::stats::OpError;
use crate::workload::{Request, RequestSpec};
use futures_util::future::join_all;
use std::time::Instant;

/// How a request of several steps failed: the error and the step (index
/// into the request's steps) that returned it.
pub struct StepFailure {
    pub error: OpError,
    pub step: usize,
}

/// Runs the request's operations. `step_ns[j]` is set to the time of step
/// `j` when it completed (0 when it did not run or failed); a request of one
/// operation does not time its step (the request's own time is the step's).
pub async fn execute<B: Backend>(
    backend: &B,
    sessions: &mut [B::Session],
    ops: &[B::Op],
    spec: &RequestSpec,
    req: &Request,
    step_ns: &mut [u64],
) -> Result<Done, StepFailure> {
    if let [only] = spec.steps[..] {
        return backend.execute(&mut sessions[0], &ops[only], req).await.map_err(|error| StepFailure { error, step: 0 });
    }
    step_ns.iter_mut().for_each(|t| *t = 0);
    let mut done = Done::default();
    if spec.concurrent {
        // Each step on its own session (connection), issued together.
        let futures = sessions.iter_mut().zip(&spec.steps).map(|(session, &o)| async move {
            let t0 = Instant::now();
            let r = backend.execute(session, &ops[o], req).await;
            (r, t0.elapsed().as_nanos() as u64)
        });
        let mut failed = None;
        for (j, (r, ns)) in join_all(futures).await.into_iter().enumerate() {
            match r {
                Ok(d) => {
                    step_ns[j] = ns.max(1);
                    absorb(&mut done, &d, true);
                }
                Err(error) => {
                    failed.get_or_insert(StepFailure { error, step: j });
                }
            }
        }
        return failed.map_or(Ok(done), Err);
    }
    for (j, &o) in spec.steps.iter().enumerate() {
        let t0 = Instant::now();
        match backend.execute(&mut sessions[0], &ops[o], req).await {
            Ok(d) => {
                step_ns[j] = (t0.elapsed().as_nanos() as u64).max(1);
                absorb(&mut done, &d, false);
            }
            // The request failed: its later steps are not sent.
            Err(error) => return Err(StepFailure { error, step: j }),
        }
    }
    Ok(done)
}

/// Runs the request's operations under EXPLAIN, one after another, adding
/// their buffers.
pub async fn explain<B: Backend>(
    backend: &B,
    session: &mut B::Session,
    ops: &[B::Op],
    spec: &RequestSpec,
    req: &Request,
) -> Result<Buffers, OpError> {
    let mut total = Buffers::default();
    for &o in &spec.steps {
        let b = backend.explain(session, &ops[o], req).await?;
        total.hit += b.hit;
        total.read += b.read;
    }
    Ok(total)
}

/// Adds a step's result to the request's.
fn absorb(done: &mut Done, step: &Done, concurrent: bool) {
    done.rows += step.rows;
    done.usage.add(&step.usage);
    done.legs.absorb(&step.legs, concurrent);
}
