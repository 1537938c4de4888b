//! Worker lanes: one thread per lane, each driving a current-thread
//! runtime with its own I/O driver, as pgbench's `-j` threads each poll
//! their own clients. A worker stays on its lane, so a request's
//! wake-ups do not cross threads.

use std::sync::OnceLock;
use tokio::runtime::Handle;

static LANES: OnceLock<Vec<Handle>> = OnceLock::new();

thread_local! {
    /// The lane this thread runs (1-based), 0 off the lanes.
    static LANE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Which thread's I/O driver a socket opened here is registered with: the
/// lane's (1-based), or 0 for the main runtime. A socket registered with
/// another lane's driver is woken through that lane's thread, two thread
/// wake-ups a read instead of one, and stalls whenever that thread waits
/// for a core: such a socket is registered again with this thread's driver
/// before use (`wire_io::Io::settle`).
pub fn current() -> usize {
    LANE.with(|l| l.get())
}

/// Starts `n` lanes (once per process; they live until it exits, so the
/// connections opened on them stay usable from anywhere). Returns false
/// when a lane could not be started (workers then run on the main runtime).
pub fn start(n: usize) -> bool {
    LANES.get_or_init(|| (0..n.max(1)).map_while(lane).collect()).len() == n.max(1)
}

fn lane(i: usize) -> Option<Handle> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new().name(format!("benchplan-lane-{i}")).spawn(move || {
        LANE.with(|l| l.set(i + 1));
        match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => {
                let _ = tx.send(Some(rt.handle().clone()));
                rt.block_on(std::future::pending::<()>());
            }
            Err(_) => {
                let _ = tx.send(None);
            }
        }
    });
    spawned.ok()?;
    rx.recv().ok().flatten()
}

/// Spawns worker `w`'s future on its lane, or on the current runtime
/// when there are no lanes.
pub fn spawn<F>(w: usize, fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    match LANES.get().filter(|l| !l.is_empty()) {
        Some(lanes) => lanes[w % lanes.len()].spawn(fut),
        None => tokio::spawn(fut),
    }
}
