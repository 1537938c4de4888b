//! What a process runs of a scenario (`run`, `setup`, `teardown`, a
//! shard's phases), a shard's share of a phase, and the wait for `--start-at`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Which parts of a scenario a process runs: `run` all of them; `setup`
/// and `teardown` their steps alone; a shard (`run --shard`) its phases alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parts {
    All,
    Setup,
    Teardown,
    Phases,
}

/// Shard `index` of `count` (`run --shard index/count`): it sends request
/// indices index, index + count, ... of each phase, with its share of the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// This shard's workers of a phase's `workers`: `workers / count`, one
    /// more for the first `workers % count` shards, and at least one.
    pub fn workers(&self, workers: u32) -> u32 {
        (workers / self.count + u32::from(self.index < workers % self.count)).max(1)
    }

    /// How many of the first `n` request indices are this shard's.
    pub fn share(&self, n: u64) -> u64 {
        let (i, c) = (u64::from(self.index), u64::from(self.count));
        if n > i {
            (n - i).div_ceil(c)
        } else {
            0
        }
    }
}

/// Waits until the wall-clock time `at` (`--start-at`), or Ctrl-C.
pub(super) async fn wait_until(at: std::time::SystemTime, interrupt: &AtomicBool) {
    let Ok(left) = at.duration_since(std::time::SystemTime::now()) else { return };
    let due = Instant::now() + left;
    // Coarse sleeps that notice Ctrl-C, then the last stretch precisely.
    while due.saturating_duration_since(Instant::now()) > Duration::from_millis(50) {
        if interrupt.load(Ordering::Relaxed) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    crate::clock::sleep_until_precise(due).await;
}
