//! One request of the mix: its one operation, or its steps one after
//! another (or together), timed step by step.

use crate::backend::{Backend, Buffers, Done};
use crate::stats::{Legs, OpError};
use crate::workload::{Request, RequestSpec};
use futures_util::future::join_all;
use std::time::Instant;

/// How a request of several steps failed: the error and the step (index
/// into the request's steps) that returned it.
pub struct StepFailure {
    pub error: OpError,
    pub step: usize,
}

/// A worker's room for the requests of several steps, kept between requests
/// (nothing is allocated per request): each step's time and legs.
pub struct Steps {
    /// `ns[j]`: the time of step `j` when it completed (0 when it did not
    /// run or failed).
    pub ns: Vec<u64>,
    legs: Vec<Legs>,
}

impl Steps {
    pub fn new(most_steps: usize) -> Self {
        Steps { ns: vec![0; most_steps], legs: vec![Legs::default(); most_steps] }
    }
}

/// Runs the request's operations; each step's time goes into `steps.ns`
/// and the request's legs into `legs` (a step's own legs first, then
/// added: one after another, or together). For requests of several steps:
/// the worker awaits a request of one step on the backend itself (its own
/// time is the step's).
pub async fn execute<B: Backend>(
    backend: &B,
    sessions: &mut [B::Session],
    ops: &[B::Op],
    spec: &RequestSpec,
    req: &Request,
    legs: &mut Legs,
    steps: &mut Steps,
) -> Result<Done, StepFailure> {
    steps.ns.iter_mut().for_each(|t| *t = 0);
    steps.legs.iter_mut().for_each(|l| *l = Legs::default());
    let mut done = Done::default();
    if spec.concurrent {
        // Each step on its own session (connection), issued together.
        let futures = sessions.iter_mut().zip(steps.legs.iter_mut()).zip(&spec.steps).map(|((session, step_legs), &o)| async move {
            let t0 = Instant::now();
            let r = backend.execute(session, &ops[o], req, step_legs).await;
            (r, t0.elapsed().as_nanos() as u64)
        });
        let mut failed = None;
        for (j, (r, ns)) in join_all(futures).await.into_iter().enumerate() {
            match r {
                Ok(d) => {
                    steps.ns[j] = ns.max(1);
                    absorb(&mut done, &d);
                    legs.absorb(&steps.legs[j], true);
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
        match backend.execute(&mut sessions[0], &ops[o], req, &mut steps.legs[j]).await {
            Ok(d) => {
                steps.ns[j] = (t0.elapsed().as_nanos() as u64).max(1);
                absorb(&mut done, &d);
                legs.absorb(&steps.legs[j], false);
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

/// Adds a step's result to the request's: its rows, what it consumed, and
/// what it sent (the cross-checks count every step's statements).
fn absorb(done: &mut Done, step: &Done) {
    done.rows += step.rows;
    done.usage.add(&step.usage);
    done.sent.add(&step.sent);
}
