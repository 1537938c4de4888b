//! benchplan's own PostgreSQL client for the request path: the extended
//! query protocol on a worker's own connection, as libpq's
//! `PQexecPrepared` (pgbench `-M prepared`) uses it, with no more client
//! work than that needs. Each statement is prepared once per connection
//! (Parse, Sync) and then run with Bind, Execute, Sync from buffers kept
//! between requests; rows are counted, not decoded.
//!
//! It runs where the connection verifies no certificate (`tls: disable`,
//! `prefer`, the default on this machine, a URL's `sslmode=require`; TLS
//! then as [`tls`] does it) and authenticates with trust, password, MD5 or
//! SCRAM-SHA-256. Everything else (verified TLS, settings, vector search,
//! parallel reads, two-phase commits, loads, DDL, EXPLAIN) stays on sqlx;
//! `driver: sqlx` keeps all on sqlx.
//! The run's `server.client` in run.json says which client measured.

mod auth;
mod params;

use crate::backend::sql::{self, Stmt};
use crate::backend::wire_tls::{self as tls, percent_decode, Tls};
use crate::backend::wire_io::{Io, Stream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use crate::backend::CONNECT_TIMEOUT;
use crate::dataset::DataModel;
use crate::stats::{ErrorKind, OpError};
use crate::workload::Request;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use std::collections::HashMap;
use std::sync::Arc;

/// Where and as whom the wire client connects.
#[derive(Clone)]
pub struct Target {
    host: String,
    port: u16,
    /// A Unix socket's path (host `/dir`, or `?host=/dir`).
    socket: Option<String>,
    user: String,
    password: Option<String>,
    database: Option<String>,
    options: Option<String>,
    tls: Tls,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Target({}:{})", self.host, self.port)
    }
}

impl Target {
    /// From the options sqlx parsed (the password from the URL or
    /// PGPASSWORD); Err says why the connection needs sqlx (TLS).
    pub fn new(url: &str, opts: &PgConnectOptions) -> Result<Self, String> {
        let tls = match opts.get_ssl_mode() {
            PgSslMode::Disable => Tls::Off,
            PgSslMode::Allow | PgSslMode::Prefer => Tls::Prefer,
            PgSslMode::Require => Tls::Require,
            PgSslMode::VerifyCa | PgSslMode::VerifyFull => return Err("the connection verifies the server's certificate".into()),
        };
        let from_url = url::Url::parse(url).ok().and_then(|u| u.password().map(percent_decode));
        Ok(Target {
            host: opts.get_host().to_string(),
            port: opts.get_port(),
            socket: opts.get_socket().map(|dir| format!("{}/.s.PGSQL.{}", dir.display(), opts.get_port())),
            user: opts.get_username().to_string(),
            password: from_url.or_else(|| std::env::var("PGPASSWORD").ok()),
            database: opts.get_database().map(str::to_string),
            options: opts.get_options().map(str::to_string),
            tls,
        })
    }
}


/// What went wrong on the wire.
enum Failure {
    Io(std::io::Error),
    /// An ErrorResponse: SQLSTATE and message.
    Server(String, String),
    Protocol(String),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

impl Failure {
    fn op_error(self) -> OpError {
        match self {
            Failure::Io(e) => OpError::new(ErrorKind::Connection, format!("error communicating with database: {e}")),
            Failure::Protocol(m) => OpError::new(ErrorKind::Connection, format!("PostgreSQL protocol: {m}")),
            Failure::Server(code, message) => {
                OpError::new(crate::backend::sqlx_exec::database_kind(&message, Some(&code)), crate::backend::sqlx_exec::database_said(&message, Some(&code)))
            }
        }
    }

    fn text(self) -> String {
        self.op_error().message
    }
}

/// A statement prepared on this connection for one set of parameter types.
struct Prepared {
    /// Held, so that its address (the map's key) is not reused by another.
    _sql: Arc<str>,
    types: Vec<u32>,
    /// The statement's name, NUL-terminated.
    name: Vec<u8>,
}

/// A worker's connection.
pub struct Conn {
    io: Io,
    values: Vec<u8>,
    types: Vec<u32>,
    statements: HashMap<usize, Vec<Prepared>>,
    /// True from sending a request until its ReadyForQuery: a request
    /// dropped in between (timed out) leaves the connection unusable.
    busy: bool,
    /// A request failed on it (maybe inside a transaction): not reused.
    broken: bool,
}

impl crate::backend::wire_pool::Reusable for Conn {
    fn reusable(&self) -> bool {
        !self.busy && !self.broken
    }
    fn settle(&mut self) -> std::io::Result<()> {
        self.io.settle()
    }
}

/// A message larger than this is refused (PostgreSQL's own limit on a value is 1 GB).
const MAX_MESSAGE: usize = 1 << 30;

impl Conn {
    /// Connects and authenticates; Err is a sentence without the password.
    pub async fn open(t: &Target) -> Result<Conn, String> {
        let at = format!("{}:{}", t.host, t.port);
        match tokio::time::timeout(CONNECT_TIMEOUT, Self::establish(t)).await {
            Err(_) => Err(format!("PostgreSQL at {at} did not answer within {}s", CONNECT_TIMEOUT.as_secs())),
            Ok(r) => r.map_err(|e| format!("PostgreSQL at {at}: {}", e.text())),
        }
    }

    async fn establish(t: &Target) -> Result<Conn, Failure> {
        let stream = match &t.socket {
            #[cfg(unix)]
            Some(path) => Stream::Unix(tokio::net::UnixStream::connect(path).await?),
            #[cfg(not(unix))]
            Some(_) => return Err(Failure::Protocol("Unix sockets need sqlx here".into())),
            None => {
                let mut s = tokio::net::TcpStream::connect((t.host.as_str(), t.port)).await?;
                s.set_nodelay(true)?;
                if t.tls == Tls::Off {
                    Stream::Tcp(s)
                } else {
                    // SSLRequest: the server answers one byte, S or N.
                    s.write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]).await?;
                    let mut answer = [0u8; 1];
                    s.read_exact(&mut answer).await?;
                    match answer[0] {
                        b'S' => Stream::Tls(Box::new(tls::handshake(s, &t.host).await.map_err(Failure::Protocol)?)),
                        b'N' if t.tls == Tls::Prefer => Stream::Tcp(s),
                        b'N' => return Err(Failure::Protocol("the server refuses TLS, which the connection requires".into())),
                        other => return Err(Failure::Protocol(format!("the server answered SSLRequest with byte {other}"))),
                    }
                }
            }
        };
        let mut c = Conn {
            io: Io::new(stream),
            values: Vec::with_capacity(1024),
            types: Vec::with_capacity(64),
            statements: HashMap::new(),
            busy: false,
            broken: false,
        };
        c.startup(t).await?;
        Ok(c)
    }

    async fn startup(&mut self, t: &Target) -> Result<(), Failure> {
        let mut body = Vec::with_capacity(128);
        body.extend_from_slice(&196_608u32.to_be_bytes());
        let mut pairs = vec![("user", t.user.as_str()), ("DateStyle", "ISO, MDY"), ("client_encoding", "UTF8"), ("TimeZone", "UTC")];
        pairs.push(("application_name", "benchplan"));
        if let Some(db) = &t.database {
            pairs.push(("database", db));
        }
        if let Some(o) = &t.options {
            pairs.push(("options", o));
        }
        for (k, v) in pairs {
            cstr(&mut body, k);
            cstr(&mut body, v);
        }
        body.push(0);
        self.io.wbuf.extend_from_slice(&len_u32(body.len() + 4).to_be_bytes());
        self.io.wbuf.extend_from_slice(&body);
        self.io.flush().await?;
        let password = || t.password.clone().ok_or_else(|| Failure::Protocol("the server asks for a password and the URL has none".into()));
        let mut scram: Option<auth::Scram> = None;
        loop {
            let (tag, r) = self.message().await?;
            let body = self.io.rbuf[r].to_vec();
            match tag {
                b'R' => {
                    let code = u32::from_be_bytes(body.get(..4).and_then(|b| b.try_into().ok()).unwrap_or([255; 4]));
                    match code {
                        0 => {}
                        3 => self.password_message(password()?.as_bytes()).await?,
                        5 => {
                            let salt = body.get(4..8).ok_or_else(|| Failure::Protocol("MD5 request without a salt".into()))?;
                            self.password_message(auth::md5_response(&t.user, &password()?, salt).as_bytes()).await?;
                        }
                        10 => {
                            let offers = String::from_utf8_lossy(&body[4..]).to_string();
                            if !offers.split('\0').any(|m| m == "SCRAM-SHA-256") {
                                return Err(Failure::Protocol(format!("unsupported SASL mechanisms: {}", offers.replace('\0', " ").trim())));
                            }
                            let s = scram.insert(auth::Scram::new());
                            let first = s.first();
                            let mut m = Vec::new();
                            cstr(&mut m, "SCRAM-SHA-256");
                            m.extend_from_slice(&len_u32(first.len()).to_be_bytes());
                            m.extend_from_slice(first.as_bytes());
                            self.put(b'p', &m);
                            self.io.flush().await?;
                        }
                        11 => {
                            let s = scram.as_mut().ok_or_else(|| Failure::Protocol("SASLContinue before SASL".into()))?;
                            let last = s.last(&password()?, &String::from_utf8_lossy(&body[4..])).map_err(Failure::Protocol)?;
                            self.put(b'p', last.as_bytes());
                            self.io.flush().await?;
                        }
                        12 => {
                            let s = scram.as_ref().ok_or_else(|| Failure::Protocol("SASLFinal before SASL".into()))?;
                            s.verify(&String::from_utf8_lossy(&body[4..])).map_err(Failure::Protocol)?;
                        }
                        other => return Err(Failure::Protocol(format!("authentication method {other} is not supported by the wire client"))),
                    }
                }
                b'E' => return Err(server_error(&body)),
                b'Z' => return Ok(()),
                _ => {} // ParameterStatus, BackendKeyData, notices
            }
        }
    }

    async fn password_message(&mut self, p: &[u8]) -> Result<(), Failure> {
        let mut m = p.to_vec();
        m.push(0);
        self.put(b'p', &m);
        self.io.flush().await.map_err(Failure::Io)
    }

    /// Appends a message: tag, length, body.
    fn put(&mut self, tag: u8, body: &[u8]) {
        self.io.wbuf.push(tag);
        self.io.wbuf.extend_from_slice(&len_u32(body.len() + 4).to_be_bytes());
        self.io.wbuf.extend_from_slice(body);
    }

    /// The next message's tag and where its body is in `rbuf` (valid until the next read).
    async fn message(&mut self) -> Result<(u8, std::ops::Range<usize>), Failure> {
        self.io.fill(5).await?;
        let p = self.io.rpos;
        let tag = self.io.rbuf[p];
        let len = u32::from_be_bytes([self.io.rbuf[p + 1], self.io.rbuf[p + 2], self.io.rbuf[p + 3], self.io.rbuf[p + 4]]) as usize;
        if !(4..=MAX_MESSAGE).contains(&len) {
            return Err(Failure::Protocol(format!("a message ({}) of {len} bytes", tag as char)));
        }
        self.io.fill(1 + len).await?;
        let p = self.io.rpos;
        self.io.rpos += 1 + len;
        Ok((tag, p + 5..p + 1 + len))
    }

    /// Reads to ReadyForQuery: the DataRows counted, the first error kept.
    async fn until_ready(&mut self) -> Result<u32, Failure> {
        let mut rows = 0u32;
        let mut error = None;
        loop {
            // A server that ends the connection says why first (FATAL 57P01
            // on shutdown): that, rather than the end of the stream.
            let (tag, r) = match self.message().await {
                Ok(m) => m,
                Err(e) => return Err(error.unwrap_or(e)),
            };
            match tag {
                b'D' => rows = rows.saturating_add(1),
                b'E' if error.is_none() => error = Some(server_error(&self.io.rbuf[r])),
                b'Z' => break,
                _ => {}
            }
        }
        self.busy = false;
        error.map_or(Ok(rows), Err)
    }

    /// Asks the server to publish this connection's statistics now
    /// (`pg_stat_force_next_flush()`, PostgreSQL 15+); whether it ran (a
    /// transaction).
    pub async fn flush_statistics(&mut self) -> bool {
        self.simple("SELECT pg_stat_force_next_flush()").await.is_ok()
    }

    /// Runs a statement without parameters as a simple query (BEGIN, COMMIT).
    async fn simple(&mut self, text: &str) -> Result<(), Failure> {
        let mut m = Vec::with_capacity(text.len() + 1);
        cstr(&mut m, text);
        self.put(b'Q', &m);
        self.busy = true;
        self.io.flush().await?;
        self.until_ready().await.map(drop)
    }

    /// Runs one statement of a request; returns the rows it returned.
    async fn run(&mut self, s: &Stmt, req: &Request, model: &DataModel) -> Result<u32, Failure> {
        self.values.clear();
        self.types.clear();
        for b in s.binds.iter() {
            params::encode(&sql::resolve(b, req, model, s.table, s.base), &mut self.values, &mut self.types).map_err(Failure::Protocol)?;
        }
        let key = Arc::as_ptr(&s.sql) as *const u8 as usize;
        if !self.statements.get(&key).is_some_and(|v| v.iter().any(|p| p.types == self.types)) {
            self.prepare(key, &s.sql).await?;
        }
        let types = &self.types;
        let Some(prepared) = self.statements.get(&key).and_then(|v| v.iter().find(|p| p.types == *types)) else {
            return Err(Failure::Protocol("a prepared statement went missing".into()));
        };
        // Bind: unnamed portal, the statement, all parameters binary, all results binary.
        let n = self.types.len();
        let len = 4 + 1 + prepared.name.len() + 4 + 2 + self.values.len() + 4;
        self.io.wbuf.push(b'B');
        self.io.wbuf.extend_from_slice(&len_u32(len).to_be_bytes());
        self.io.wbuf.push(0);
        self.io.wbuf.extend_from_slice(&prepared.name);
        self.io.wbuf.extend_from_slice(&[0, 1, 0, 1]);
        self.io.wbuf.extend_from_slice(&(n as u16).to_be_bytes());
        self.io.wbuf.extend_from_slice(&self.values);
        self.io.wbuf.extend_from_slice(&[0, 1, 0, 1]);
        // Execute the unnamed portal to its end, then Sync.
        self.io.wbuf.extend_from_slice(&[b'E', 0, 0, 0, 9, 0, 0, 0, 0, 0, b'S', 0, 0, 0, 4]);
        self.busy = true;
        self.io.flush().await?;
        self.until_ready().await
    }

    /// Prepares `sql` for the current parameter types, under `key`.
    async fn prepare(&mut self, key: usize, sql: &Arc<str>) -> Result<(), Failure> {
        if self.types.len() > u16::MAX as usize {
            return Err(Failure::Protocol(format!("too many arguments for query: {}", self.types.len())));
        }
        let count: usize = self.statements.values().map(Vec::len).sum();
        let mut name = format!("benchplan_{count}").into_bytes();
        name.push(0);
        let mut m = Vec::with_capacity(sql.len() + 64);
        m.extend_from_slice(&name);
        cstr(&mut m, sql);
        m.extend_from_slice(&(self.types.len() as u16).to_be_bytes());
        for t in &self.types {
            m.extend_from_slice(&t.to_be_bytes());
        }
        self.put(b'P', &m);
        self.put(b'S', &[]);
        self.busy = true;
        self.io.flush().await?;
        self.until_ready().await?;
        self.statements.entry(key).or_default().push(Prepared { _sql: sql.clone(), types: self.types.clone(), name });
        Ok(())
    }
}

impl Drop for Conn {
    /// Says goodbye (Terminate) when the connection is between requests, so
    /// that the server does not log an unexpected end of file; never waits
    /// (so not over TLS).
    fn drop(&mut self) {
        const TERMINATE: [u8; 5] = [b'X', 0, 0, 0, 4];
        if !self.busy {
            self.io.say_goodbye(&TERMINATE);
        }
    }
}

fn cstr(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// An ErrorResponse's SQLSTATE and message.
fn server_error(body: &[u8]) -> Failure {
    let (mut code, mut message) = (String::new(), String::new());
    for field in body.split(|b| *b == 0) {
        match field.split_first() {
            Some((b'C', v)) => code = String::from_utf8_lossy(v).into_owned(),
            Some((b'M', v)) => message = String::from_utf8_lossy(v).into_owned(),
            _ => {}
        }
    }
    Failure::Server(code, message)
}

pub use crate::backend::wire_io::{can_run, execute};

impl crate::backend::wire_io::Statements for Conn {
    fn busy(&self) -> bool {
        self.busy
    }

    fn set_broken(&mut self) {
        self.broken = true;
    }

    async fn control(&mut self, sql: &'static str) -> Result<(), OpError> {
        self.simple(sql).await.map_err(Failure::op_error)
    }

    async fn statement(&mut self, s: &Stmt, req: &Request, model: &DataModel) -> Result<u32, OpError> {
        self.run(s, req, model).await.map_err(Failure::op_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_percent_decoded() {
        assert_eq!(percent_decode("p%40ss%2Fw%zz"), "p@ss/w%zz");
    }

    #[test]
    fn an_error_response_gives_its_code_and_message() {
        let body = b"SERROR\0VERROR\0C40001\0Mcould not serialize access\0\0";
        let e = server_error(body).op_error();
        assert_eq!(e.kind, ErrorKind::Throttled);
        assert_eq!(e.message, "the database said (code 40001): could not serialize access");
    }
}
