//! The wire clients' connections between phases: a worker's connection goes
//! back to its backend when the worker's session ends (the phase's end, or
//! a failed request), as sqlx's pooled connections do, and the next session
//! takes it, with its prepared statements, instead of connecting again. A
//! connection that failed a request, or was left in the middle of one, is
//! closed instead. The lock is taken when a session starts and ends, never
//! per request.

use crate::stats::{ErrorKind, OpError};
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedSemaphorePermit;

/// A wire connection that can say whether it may serve another session.
pub trait Reusable {
    fn reusable(&self) -> bool;
    /// Makes the connection ready for the thread taking it (its socket
    /// registered with that thread's I/O driver); Err closes it.
    fn settle(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A connection with its `pool` permit.
type Held<C> = (C, OwnedSemaphorePermit);

/// A backend's idle wire connections.
pub struct Idle<C>(Arc<Mutex<Vec<Held<C>>>>);

impl<C> Default for Idle<C> {
    fn default() -> Self {
        Idle(Arc::new(Mutex::new(Vec::new())))
    }
}

impl<C: Reusable> Idle<C> {
    /// An idle connection, if there is one, settled on this thread.
    pub fn take(&self) -> Option<Lease<C>> {
        loop {
            let mut held = self.0.lock().ok()?.pop()?;
            if held.0.settle().is_ok() {
                return Some(Lease { held: Some(held), home: self.0.clone() });
            }
        }
    }

    /// Lends a new connection to a session.
    pub fn lend(&self, conn: C, permit: OwnedSemaphorePermit) -> Lease<C> {
        Lease { held: Some((conn, permit)), home: self.0.clone() }
    }

    /// A session's connection: an idle one, else one `open` makes once one
    /// of `permits` is free (waiting as sqlx's pool waits for a connection,
    /// and as long: the wire clients open no more connections than its `pool`).
    pub async fn lease<F: std::future::Future<Output = Result<C, String>>>(
        &self,
        permits: &Arc<tokio::sync::Semaphore>,
        wait: std::time::Duration,
        open: impl FnOnce() -> F,
    ) -> Result<Lease<C>, OpError> {
        if let Some(lease) = self.take() {
            return Ok(lease);
        }
        let permit = tokio::time::timeout(wait, permits.clone().acquire_owned())
            .await
            .map_err(|_| OpError::new(ErrorKind::Connection, "pool timed out while waiting for an open connection"))?
            .map_err(|_| OpError::new(ErrorKind::Connection, "pool closed"))?;
        let conn = open().await.map_err(|m| OpError::new(ErrorKind::Connection, m))?;
        Ok(self.lend(conn, permit))
    }

    /// Takes every idle connection out (to use them outside the lock);
    /// [`Idle::put_back`] returns them.
    pub fn drain(&self) -> Vec<Held<C>> {
        self.0.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default()
    }

    pub fn put_back(&self, held: Vec<Held<C>>) {
        if let Ok(mut v) = self.0.lock() {
            v.extend(held.into_iter().filter(|(c, _)| c.reusable()));
        }
    }

    /// How many connections are idle.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().map(|v| v.len()).unwrap_or(0)
    }
}

/// A session's connection, going back to its backend's idle ones when the
/// session ends, if it may serve another.
pub struct Lease<C: Reusable> {
    held: Option<Held<C>>,
    home: Arc<Mutex<Vec<Held<C>>>>,
}

impl<C: Reusable> Lease<C> {
    pub fn conn(&mut self) -> Option<&mut C> {
        self.held.as_mut().map(|(c, _)| c)
    }
}

impl<C: Reusable> Drop for Lease<C> {
    fn drop(&mut self) {
        if let Some(held) = self.held.take().filter(|(c, _)| c.reusable()) {
            if let Ok(mut v) = self.home.lock() {
                v.push(held);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(bool);
    impl Reusable for Fake {
        fn reusable(&self) -> bool {
            self.0
        }
    }

    #[test]
    fn a_reusable_connection_goes_back_and_a_broken_one_is_dropped() {
        let permits = Arc::new(tokio::sync::Semaphore::new(2));
        let idle = Idle::<Fake>::default();
        let good = idle.lend(Fake(true), permits.clone().try_acquire_owned().unwrap());
        let bad = idle.lend(Fake(false), permits.clone().try_acquire_owned().unwrap());
        assert_eq!(permits.available_permits(), 0);
        drop(good);
        drop(bad);
        assert_eq!(idle.len(), 1, "only the reusable one is kept");
        // The broken one's permit is free again; the kept one holds its own.
        assert_eq!(permits.available_permits(), 1);
        let mut again = idle.take().unwrap();
        assert!(again.conn().is_some_and(|c| c.0));
        assert_eq!(idle.len(), 0);
        assert!(idle.take().is_none());
    }
}
