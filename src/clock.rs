//! Precise waits. tokio's timer has millisecond granularity, which would
//! shift every open-loop send and simulated service time by up to 1 ms; so
//! the last millisecond is spent yielding until the deadline.

use std::time::{Duration, Instant};

/// Below this much remaining time, yield instead of arming a timer.
const SPIN: Duration = Duration::from_millis(1);

/// Waits until `deadline`, late by microseconds rather than up to a millisecond.
pub async fn sleep_until_precise(deadline: Instant) {
    let now = Instant::now();
    if deadline <= now {
        return;
    }
    if deadline - now > SPIN + SPIN {
        tokio::time::sleep_until((deadline - SPIN).into()).await;
    }
    while Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
}
