//! Worker lanes: one thread per lane, each driving a current-thread
//! runtime with its own I/O driver, as pgbench's `-j` threads each poll
//! their own clients. A worker stays on its lane, so a request's
//! wake-ups do not cross threads.

use std::sync::OnceLock;
use tokio::runtime::Handle;

static LANES: OnceLock<Vec<Handle>> = OnceLock::new();

/// Starts `n` lanes (once per process; they live until it exits, so the
/// connections opened on them stay usable from anywhere). Returns false
/// when a lane could not be started (workers then run on the main runtime).
pub fn start(n: usize) -> bool {
    LANES.get_or_init(|| (0..n.max(1)).map_while(lane).collect()).len() == n.max(1)
}

fn lane(i: usize) -> Option<Handle> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new().name(format!("benchplan-lane-{i}")).spawn(move || {
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

#[cfg(all(test, unix, any(feature = "postgres", feature = "mysql")))]
mod tests {
    use crate::backend::wire_io::{Io, Stream};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A wire connection opened on one lane and settled on another is
    /// served by the second lane alone: the first lane's thread is kept
    /// blocked until the round trip is over, so a socket still registered
    /// with its driver would never see the answer.
    #[tokio::test]
    async fn a_connection_settled_on_another_lane_needs_nothing_of_the_first() {
        assert!(super::start(2));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let echo = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut b = [0u8; 64];
            while let Ok(n @ 1..) = s.read(&mut b).await {
                s.write_all(&b[..n]).await.unwrap();
            }
        });
        let io = super::spawn(0, async move { Io::new(Stream::Tcp(tokio::net::TcpStream::connect(addr).await.unwrap())) }).await.unwrap();

        // The first lane's thread blocks (a task that does not yield) until released.
        let (entered, is_blocked) = tokio::sync::oneshot::channel();
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let stuck = super::spawn(0, async move {
            let _ = entered.send(());
            let _ = blocked.recv_timeout(Duration::from_secs(30));
        });
        is_blocked.await.unwrap();
        let trip = super::spawn(1, async move {
            let mut io = io;
            io.settle().unwrap();
            io.wbuf.extend_from_slice(b"ping");
            io.flush().await.unwrap();
            io.fill(4).await.unwrap();
            io.rbuf[io.rpos..io.rpos + 4].to_vec()
        });
        let got = tokio::time::timeout(Duration::from_secs(10), trip).await;
        let _ = release.send(());
        stuck.await.unwrap();
        let answer = got.expect("the answer waited for the blocked lane: the socket was not registered with the second").unwrap();
        assert_eq!(answer, b"ping");
        echo.abort();
    }
}
