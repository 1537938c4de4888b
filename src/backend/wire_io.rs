//! What benchplan's wire clients (PostgreSQL, MySQL) share: the stream
//! (TCP, TLS, a Unix socket) with read and write buffers kept between
//! requests, and the request loop over a connection's statements.

use crate::backend::sql::{Shape, SqlOp, Stmt};
use crate::backend::wire_tls::TlsStream;
use crate::backend::Done;
use crate::dataset::DataModel;
use crate::stats::xcheck::Sent;
use crate::stats::{ErrorKind, Legs, OpError};
use crate::workload::Request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub enum Stream {
    /// Only while a TCP stream moves into TLS.
    Closed,
    Tcp(tokio::net::TcpStream),
    Tls(Box<TlsStream>),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

/// A connection's stream and buffers.
pub struct Io {
    pub stream: Stream,
    /// What was read; the unread part starts at `rpos`.
    pub rbuf: Vec<u8>,
    pub rpos: usize,
    /// What is to be written at the next flush.
    pub wbuf: Vec<u8>,
    /// The thread that registered the socket with its runtime's I/O
    /// driver: the worker's lane (one thread, one driver) that opened or
    /// last settled it.
    home: std::thread::ThreadId,
}

fn closed() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotConnected, "the connection is closed")
}

impl Io {
    pub fn new(stream: Stream) -> Io {
        Io { stream, rbuf: Vec::with_capacity(16 * 1024), rpos: 0, wbuf: Vec::with_capacity(4096), home: std::thread::current().id() }
    }

    /// Registers the socket with this thread's I/O driver, when another
    /// thread registered it (a connection opened on one worker lane and
    /// taken by a worker of another in a later phase): otherwise each of
    /// its reads would be noticed by the other lane's thread and handed
    /// over, waking two threads a round trip instead of one. Called when
    /// a session takes an idle connection, never per request.
    pub fn settle(&mut self) -> std::io::Result<()> {
        let here = std::thread::current().id();
        if here == self.home {
            return Ok(());
        }
        match &mut self.stream {
            Stream::Closed => {}
            Stream::Tcp(s) => *s = reregistered(s)?,
            Stream::Tls(s) => {
                let (tcp, _) = s.get_mut();
                *tcp = reregistered(tcp)?;
            }
            #[cfg(unix)]
            Stream::Unix(s) => {
                let fd = std::os::fd::AsFd::as_fd(&*s).try_clone_to_owned()?;
                *s = tokio::net::UnixStream::from_std(std::os::unix::net::UnixStream::from(fd))?;
            }
        }
        self.home = here;
        Ok(())
    }

    /// Writes `wbuf` out, and empties it.
    pub async fn flush(&mut self) -> std::io::Result<()> {
        let r = match &mut self.stream {
            Stream::Closed => Err(closed()),
            Stream::Tcp(s) => s.write_all(&self.wbuf).await,
            // rustls holds records until flushed.
            Stream::Tls(s) => match s.write_all(&self.wbuf).await {
                Ok(()) => s.flush().await,
                e => e,
            },
            #[cfg(unix)]
            Stream::Unix(s) => s.write_all(&self.wbuf).await,
        };
        self.wbuf.clear();
        r
    }

    /// Reads until `n` unread bytes are buffered.
    pub async fn fill(&mut self, n: usize) -> std::io::Result<()> {
        while self.rbuf.len() - self.rpos < n {
            if self.rpos == self.rbuf.len() {
                self.rbuf.clear();
                self.rpos = 0;
            } else if self.rbuf.capacity() - self.rbuf.len() < n {
                self.rbuf.drain(..self.rpos);
                self.rpos = 0;
            }
            // Room for what is missing (reserve counts from the end of what is buffered).
            self.rbuf.reserve((n - (self.rbuf.len() - self.rpos)).max(8192));
            let got = match &mut self.stream {
                Stream::Closed => return Err(closed()),
                Stream::Tcp(s) => s.read_buf(&mut self.rbuf).await?,
                Stream::Tls(s) => s.read_buf(&mut self.rbuf).await?,
                #[cfg(unix)]
                Stream::Unix(s) => s.read_buf(&mut self.rbuf).await?,
            };
            if got == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the server closed the connection"));
            }
        }
        Ok(())
    }

    /// Sends `bytes` (a goodbye) if the socket takes them at once; never
    /// waits, so not over TLS (only a blocking write would encrypt them).
    pub fn say_goodbye(&self, bytes: &[u8]) {
        let _ = match &self.stream {
            Stream::Tcp(s) => s.try_write(bytes),
            Stream::Closed | Stream::Tls(_) => Ok(0),
            #[cfg(unix)]
            Stream::Unix(s) => s.try_write(bytes),
        };
    }
}

/// The same socket (a duplicate of its descriptor) registered with this
/// thread's I/O driver; dropping the old one deregisters it from its own.
#[cfg(unix)]
fn reregistered(s: &tokio::net::TcpStream) -> std::io::Result<tokio::net::TcpStream> {
    let fd = std::os::fd::AsFd::as_fd(s).try_clone_to_owned()?;
    tokio::net::TcpStream::from_std(std::net::TcpStream::from(fd))
}

#[cfg(windows)]
fn reregistered(s: &tokio::net::TcpStream) -> std::io::Result<tokio::net::TcpStream> {
    let socket = std::os::windows::io::AsSocket::as_socket(s).try_clone_to_owned()?;
    tokio::net::TcpStream::from_std(std::net::TcpStream::from(socket))
}

/// A wire client's connection, as the request loop uses it.
pub trait Statements {
    /// Left in the middle of a request (one that timed out).
    fn busy(&self) -> bool;
    /// A request failed on it: it is not to serve another session.
    fn set_broken(&mut self);
    /// Runs a statement without parameters as text (BEGIN, COMMIT).
    fn control(&mut self, sql: &'static str) -> impl std::future::Future<Output = Result<(), OpError>>;
    /// Runs one statement of a request; returns the rows it returned.
    fn statement(&mut self, s: &Stmt, req: &Request, model: &DataModel) -> impl std::future::Future<Output = Result<u32, OpError>>;
}

/// Runs `op` (serial statements, or a transaction of them) for `req` on
/// a worker's wire connection, as [`crate::backend::sqlx_exec::execute`] does on sqlx's.
pub async fn execute<C: Statements>(conn: &mut C, op: &SqlOp, req: &Request, model: &DataModel, legs: &mut Legs) -> Result<Done, OpError> {
    if conn.busy() {
        return Err(OpError::new(ErrorKind::Connection, "the connection was left in the middle of a request"));
    }
    let r = run_op(conn, op, req, model, legs).await;
    if r.is_err() {
        conn.set_broken();
    }
    r
}

async fn run_op<C: Statements>(conn: &mut C, op: &SqlOp, req: &Request, model: &DataModel, legs: &mut Legs) -> Result<Done, OpError> {
    let mut done = Done::rows(0);
    let mut rows = 0u32;
    let tx = op.shape == Shape::Transaction;
    if tx {
        conn.control("BEGIN").await?;
    }
    for s in &op.stmts {
        let t0 = std::time::Instant::now();
        rows += conn.statement(s, req, model).await?;
        if let (Some(t), false) = (s.table, tx) {
            legs.leg(t, model.tables[t].entity, t0.elapsed().as_nanos() as u64, false);
        }
    }
    if tx {
        conn.control("COMMIT").await?;
        done.sent = crate::backend::sqlx_exec::in_transaction(op, 2);
        done.rows = op.writes.unwrap_or(rows);
    } else {
        done.sent = Sent::autocommit(op.stmts.len() as u64);
        done.rows = rows;
    }
    Ok(done)
}

/// Whether `op` can run on a wire client.
pub fn can_run(op: &SqlOp) -> bool {
    matches!(op.shape, Shape::Serial | Shape::Transaction) && !op.two_phase
}
