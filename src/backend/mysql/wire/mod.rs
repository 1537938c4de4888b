//! benchplan's own MySQL/MariaDB client for the request path: server-side
//! prepared statements on a worker's own connection, as sysbench and
//! sqlx send them, with no more client work than that needs. Each
//! statement is prepared once per connection (COM_STMT_PREPARE) and run
//! with COM_STMT_EXECUTE from buffers kept between requests; rows are
//! counted, not decoded.
//!
//! It runs where the connection verifies no certificate (`tls: disable`,
//! `prefer`, the default on this machine, a URL's `ssl-mode=REQUIRED`;
//! TLS then as [`crate::backend::wire_tls`] does it) and authenticates with
//! `mysql_native_password` or `caching_sha2_password` (its full exchange
//! over TLS or a Unix socket only, as sqlx without RSA).
//! Everything else (verified TLS, parallel reads, loads, DDL, counters)
//! stays on sqlx; `driver: sqlx` keeps all on sqlx. Like sqlx, a new
//! connection first sets `sql_mode` (PIPES_AS_CONCAT,
//! NO_ENGINE_SUBSTITUTION), `time_zone` UTC and `NAMES`.

mod auth;
mod handshake;
mod params;

use crate::backend::sql::{self, Stmt};
use crate::backend::wire_tls::{self as tls, percent_decode, Tls};
use crate::backend::wire_io::{Io, Stream};
use crate::backend::CONNECT_TIMEOUT;
use crate::dataset::DataModel;
use crate::stats::{ErrorKind, OpError};
use crate::workload::Request;
use params::{read_lenenc, Params};
use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};
use std::collections::HashMap;
use std::sync::Arc;

/// SERVER_MORE_RESULTS_EXISTS in an OK or EOF packet's status.
const MORE_RESULTS: u16 = 0x8;
/// A packet's largest payload; a longer one continues in the next packet.
const MAX_PAYLOAD: usize = 0xff_ffff;
/// More columns than a MySQL table can have (4096): a broken stream.
const MAX_COLUMNS: u64 = 4096;

/// Where and as whom the wire client connects.
#[derive(Clone)]
pub struct Target {
    host: String,
    port: u16,
    socket: Option<std::path::PathBuf>,
    user: String,
    password: String,
    database: Option<String>,
    tls: Tls,
    /// The SET a new connection runs first, as sqlx's.
    setup: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Target({}:{})", self.host, self.port)
    }
}

impl Target {
    /// From the options sqlx parsed (the password from the URL); Err says
    /// why the connection needs sqlx.
    pub fn new(url: &str, opts: &MySqlConnectOptions) -> Result<Self, String> {
        let tls = match opts.get_ssl_mode() {
            MySqlSslMode::Disabled => Tls::Off,
            MySqlSslMode::Preferred => Tls::Prefer,
            MySqlSslMode::Required => Tls::Require,
            MySqlSslMode::VerifyCa | MySqlSslMode::VerifyIdentity => return Err("the connection verifies the server's certificate".into()),
        };
        let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let charset = opts.get_charset();
        let names = match opts.get_collation() {
            Some(c) if word(charset) && word(c) => format!("NAMES {charset} COLLATE {c}"),
            None if word(charset) => format!("NAMES {charset}"),
            _ => return Err("the URL's charset or collation is not a plain name".into()),
        };
        let parsed = url::Url::parse(url).ok();
        let password = parsed.as_ref().and_then(|u| u.password().map(percent_decode)).unwrap_or_default();
        // What the wire client does not do as sqlx does: another time zone, a client certificate.
        if let Some(key) = parsed.iter().flat_map(|u| u.query_pairs()).map(|(k, _)| k.into_owned()).find(|k| {
            matches!(k.as_str(), "timezone" | "time-zone" | "time_zone" | "sslcert" | "ssl-cert" | "sslkey" | "ssl-key")
        }) {
            return Err(format!("the URL sets {key}"));
        }
        Ok(Target {
            host: opts.get_host().to_string(),
            port: opts.get_port(),
            socket: opts.get_socket().cloned(),
            user: opts.get_username().to_string(),
            password,
            database: opts.get_database().map(str::to_string),
            tls,
            setup: format!("SET sql_mode=(SELECT CONCAT(@@sql_mode, ',PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION')),time_zone='+00:00',{names};"),
        })
    }
}


/// What went wrong on the wire.
enum Failure {
    Io(std::io::Error),
    /// An ERR packet: error number, SQLSTATE (if it sent one), message.
    Server(u16, Option<String>, String),
    Protocol(String),
    /// A value the statement cannot take (a list): the request's fault, not the connection's.
    Value(String),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

impl Failure {
    fn op_error(self) -> OpError {
        use crate::backend::sqlx_exec::{database_kind, database_said};
        match self {
            Failure::Io(e) => OpError::new(ErrorKind::Connection, format!("error communicating with database: {e}")),
            Failure::Protocol(m) => OpError::new(ErrorKind::Connection, format!("MySQL protocol: {m}")),
            Failure::Value(m) => OpError::new(ErrorKind::Query, m),
            Failure::Server(number, state, message) => {
                // Deadlocks are 1213 (SQLSTATE 40001); the rest by SQLSTATE, as sqlx reports them.
                let kind = if number == 1213 { ErrorKind::Throttled } else { database_kind(&message, state.as_deref()) };
                OpError::new(kind, database_said(&message, state.as_deref()))
            }
        }
    }

    fn text(self) -> String {
        self.op_error().message
    }
}

/// A statement prepared on this connection.
struct Prepared {
    /// Held, so that its address (the map's key) is not reused by another.
    _sql: Arc<str>,
    id: u32,
    params: usize,
}

/// A worker's connection.
pub struct Conn {
    io: Io,
    params: Params,
    /// The last packet's sequence number (the next one sent is one more).
    seq: u8,
    deprecate_eof: bool,
    statements: HashMap<usize, Prepared>,
    /// True from sending a command until its whole answer is read.
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

impl Conn {
    /// Connects, authenticates and sets the session up as sqlx does; Err
    /// is a sentence without the password.
    pub async fn open(t: &Target) -> Result<Conn, String> {
        let at = format!("{}:{}", t.host, t.port);
        match tokio::time::timeout(CONNECT_TIMEOUT, Self::establish(t)).await {
            Err(_) => Err(format!("MySQL at {at} did not answer within {}s", CONNECT_TIMEOUT.as_secs())),
            Ok(r) => r.map_err(|e| format!("MySQL at {at}: {}", e.text())),
        }
    }

    async fn establish(t: &Target) -> Result<Conn, Failure> {
        let stream = match &t.socket {
            #[cfg(unix)]
            Some(path) => Stream::Unix(tokio::net::UnixStream::connect(path).await?),
            #[cfg(not(unix))]
            Some(_) => return Err(Failure::Protocol("Unix sockets need sqlx here".into())),
            None => {
                let s = tokio::net::TcpStream::connect((t.host.as_str(), t.port)).await?;
                s.set_nodelay(true)?;
                Stream::Tcp(s)
            }
        };
        let mut c = Conn {
            io: Io::new(stream),
            params: Params::default(),
            seq: 0,
            deprecate_eof: false,
            statements: HashMap::new(),
            busy: true,
            broken: false,
        };
        c.handshake(t).await?;
        c.busy = false;
        let setup = t.setup.clone();
        c.query(&setup).await?;
        Ok(c)
    }

    /// Appends a packet with the next sequence number.
    fn send(&mut self, payload: &[u8]) {
        frame(&mut self.io.wbuf, &mut self.seq, payload);
    }

    /// Starts a command: its first packet has sequence number 0.
    fn command(&mut self, payload: &[u8]) {
        self.seq = u8::MAX;
        self.busy = true;
        self.send(payload);
    }

    /// The next packet's payload, where it is in `rbuf` (valid until the
    /// next read). A payload of 16 MB continues in the next packet.
    async fn packet(&mut self) -> Result<std::ops::Range<usize>, Failure> {
        self.io.fill(4).await?;
        let p = self.io.rpos;
        let len = usize::from(self.io.rbuf[p]) | usize::from(self.io.rbuf[p + 1]) << 8 | usize::from(self.io.rbuf[p + 2]) << 16;
        self.seq = self.io.rbuf[p + 3];
        self.io.fill(4 + len).await?;
        let p = self.io.rpos;
        self.io.rpos += 4 + len;
        Ok(p + 4..p + 4 + len)
    }

    /// Skips `n` packets (parameter or column definitions, at most 65,535 +
    /// 4,096 of them), then the EOF packet after
    /// them where the server sends one; Ok(Err) when the server ends the
    /// command with an error instead.
    async fn skip_definitions(&mut self, n: u64) -> Result<Result<(), Failure>, Failure> {
        for _ in 0..n + u64::from(!self.deprecate_eof && n > 0) {
            let r = self.packet().await?;
            let body = &self.io.rbuf[r];
            if body.first() == Some(&0xff) {
                return Ok(Err(err_packet(body)));
            }
        }
        Ok(Ok(()))
    }

    /// Reads a command's whole answer (OK, ERR, or result sets, binary or
    /// text): the rows counted, the first error kept.
    async fn answer(&mut self) -> Result<u32, Failure> {
        let mut rows = 0u32;
        let mut error = None;
        loop {
            let r = self.packet().await?;
            let body = &self.io.rbuf[r];
            let status = match body.first() {
                Some(0x00) => ok_status(body, 1),
                Some(0xff) => {
                    error = Some(err_packet(body));
                    break;
                }
                Some(0xfb) => return Err(Failure::Protocol("the server asked for a local file".into())),
                _ => {
                    let columns = read_lenenc(body, &mut 0).ok_or_else(|| Failure::Protocol("a result without a column count".into()))?;
                    if columns > MAX_COLUMNS {
                        return Err(Failure::Protocol(format!("a result of {columns} columns")));
                    }
                    if let Err(e) = self.skip_definitions(columns).await? {
                        error = Some(e);
                        break;
                    }
                    match self.rows(&mut rows).await? {
                        Ok(status) => status,
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
            };
            if status & MORE_RESULTS == 0 {
                break;
            }
        }
        self.busy = false;
        error.map_or(Ok(rows), Err)
    }

    /// Counts a result set's rows to its end; Ok(Ok(status)) at its end,
    /// Ok(Err) when the server ends it with an error.
    async fn rows(&mut self, rows: &mut u32) -> Result<Result<u16, Failure>, Failure> {
        let mut continued = false;
        loop {
            let r = self.packet().await?;
            let len = r.len();
            let body = &self.io.rbuf[r];
            if continued {
                continued = len == MAX_PAYLOAD;
                continue;
            }
            continued = len == MAX_PAYLOAD;
            match body.first() {
                // EOF (0xfe, warnings, status) or, with DEPRECATE_EOF, an OK packet with 0xfe.
                Some(0xfe) if len < MAX_PAYLOAD => {
                    return Ok(Ok(if self.deprecate_eof { ok_status(body, 1) } else { u16_at(body, 3) }));
                }
                Some(0xff) => return Ok(Err(err_packet(body))),
                _ => *rows = rows.saturating_add(1),
            }
        }
    }

    /// Runs a statement as text (the session's SET, BEGIN, COMMIT).
    async fn query(&mut self, text: &str) -> Result<(), Failure> {
        let mut m = Vec::with_capacity(text.len() + 1);
        m.push(0x03);
        m.extend_from_slice(text.as_bytes());
        self.command(&m);
        self.io.flush().await?;
        self.answer().await.map(drop)
    }

    /// Runs one statement of a request; returns the rows it returned.
    async fn run(&mut self, s: &Stmt, req: &Request, model: &DataModel) -> Result<u32, Failure> {
        self.params.clear();
        for b in s.binds.iter() {
            self.params.push(&sql::resolve(b, req, model, s.table, s.base)).map_err(Failure::Value)?;
        }
        let key = Arc::as_ptr(&s.sql) as *const u8 as usize;
        let (id, expected) = match self.statements.get(&key) {
            Some(p) => (p.id, p.params),
            None => self.prepare(key, &s.sql).await?,
        };
        if expected != self.params.count {
            return Err(Failure::Protocol(format!("the statement has {expected} placeholders and {} values", self.params.count)));
        }
        // COM_STMT_EXECUTE: no cursor, one iteration, the NULL bitmap, the types, the values.
        let p = &self.params;
        let len = 10 + if p.count > 0 { p.nulls.len() + 1 + p.types.len() + p.values.len() } else { 0 };
        if len >= MAX_PAYLOAD {
            let mut m = Vec::with_capacity(len);
            execute_payload(&mut m, id, p);
            self.command(&m);
        } else {
            self.seq = 0;
            self.busy = true;
            self.io.wbuf.extend_from_slice(&(len as u32).to_le_bytes()[..3]);
            self.io.wbuf.push(0);
            execute_payload(&mut self.io.wbuf, id, &self.params);
        }
        self.io.flush().await?;
        self.answer().await
    }

    /// Prepares `sql`, under `key`: its id and number of placeholders.
    async fn prepare(&mut self, key: usize, sql: &Arc<str>) -> Result<(u32, usize), Failure> {
        let mut m = Vec::with_capacity(sql.len() + 1);
        m.push(0x16);
        m.extend_from_slice(sql.as_bytes());
        self.command(&m);
        self.io.flush().await?;
        let r = self.packet().await?;
        let body = &self.io.rbuf[r];
        if body.first() == Some(&0xff) {
            let e = err_packet(body);
            self.busy = false;
            return Err(e);
        }
        if body.first() != Some(&0x00) || body.len() < 12 {
            return Err(Failure::Protocol("unexpected answer to COM_STMT_PREPARE".into()));
        }
        let id = u32::from_le_bytes([body[1], body[2], body[3], body[4]]);
        let columns = u16::from_le_bytes([body[5], body[6]]);
        let params = u16::from_le_bytes([body[7], body[8]]);
        let skipped = match self.skip_definitions(u64::from(params)).await? {
            Ok(()) => self.skip_definitions(u64::from(columns)).await?,
            e => e,
        };
        self.busy = false;
        skipped?;
        self.statements.insert(key, Prepared { _sql: sql.clone(), id, params: usize::from(params) });
        Ok((id, usize::from(params)))
    }
}

impl Drop for Conn {
    /// Says goodbye (COM_QUIT) when the connection is between commands, so
    /// that the server counts no aborted connection; never waits (so not over TLS).
    fn drop(&mut self) {
        const QUIT: [u8; 5] = [1, 0, 0, 0, 0x01];
        if !self.busy {
            self.io.say_goodbye(&QUIT);
        }
    }
}


/// Appends `payload` as packets after sequence number `seq`: one, or for
/// 16 MB and more, 16 MB ones and a shorter (maybe empty) last one.
fn frame(out: &mut Vec<u8>, seq: &mut u8, payload: &[u8]) {
    let mut rest = payload;
    loop {
        let n = rest.len().min(MAX_PAYLOAD);
        *seq = seq.wrapping_add(1);
        out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        out.push(*seq);
        out.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        if n < MAX_PAYLOAD {
            return;
        }
    }
}

/// COM_STMT_EXECUTE's payload.
fn execute_payload(out: &mut Vec<u8>, id: u32, p: &Params) {
    out.push(0x17);
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&[0, 1, 0, 0, 0]);
    if p.count > 0 {
        out.extend_from_slice(&p.nulls);
        out.push(1);
        out.extend_from_slice(&p.types);
        out.extend_from_slice(&p.values);
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2).map_or(0, |x| u16::from_le_bytes([x[0], x[1]]))
}

/// An OK packet's status flags (after its affected rows and last insert id).
fn ok_status(b: &[u8], mut at: usize) -> u16 {
    let _ = read_lenenc(b, &mut at);
    let _ = read_lenenc(b, &mut at);
    u16_at(b, at)
}

/// An ERR packet: 0xff, the error number, `#` and the SQLSTATE, the message.
fn err_packet(b: &[u8]) -> Failure {
    let number = u16_at(b, 1);
    let (state, message) = match b.get(3) {
        Some(b'#') if b.len() >= 9 => (Some(String::from_utf8_lossy(&b[4..9]).into_owned()), &b[9..]),
        _ => (None, b.get(3..).unwrap_or_default()),
    };
    Failure::Server(number, state, String::from_utf8_lossy(message).into_owned())
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
        self.query(sql).await.map_err(Failure::op_error)
    }

    async fn statement(&mut self, s: &Stmt, req: &Request, model: &DataModel) -> Result<u32, OpError> {
        self.run(s, req, model).await.map_err(Failure::op_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_err_packet_gives_number_state_and_message() {
        let mut b = vec![0xff];
        b.extend_from_slice(&1213u16.to_le_bytes());
        b.extend_from_slice(b"#40001Deadlock found when trying to get lock");
        let e = err_packet(&b).op_error();
        assert_eq!(e.kind, ErrorKind::Throttled);
        assert_eq!(e.message, "the database said (code 40001): Deadlock found when trying to get lock");
        let mut b = vec![0xff];
        b.extend_from_slice(&1146u16.to_le_bytes());
        b.extend_from_slice(b"#42S02Table 'test.nope' doesn't exist");
        assert_eq!(err_packet(&b).op_error().kind, ErrorKind::Query);
    }

    #[test]
    fn packets_of_16_mb_and_more_are_split() {
        let (mut out, mut seq) = (Vec::new(), u8::MAX);
        frame(&mut out, &mut seq, b"abc");
        assert_eq!(out, [3, 0, 0, 0, b'a', b'b', b'c']);
        // Exactly 16 MB: a full packet, then an empty one.
        let (mut out, mut seq) = (Vec::new(), u8::MAX);
        frame(&mut out, &mut seq, &vec![7u8; MAX_PAYLOAD]);
        assert_eq!(out.len(), 4 + MAX_PAYLOAD + 4);
        assert_eq!(&out[..4], &[0xff, 0xff, 0xff, 0]);
        assert_eq!(&out[out.len() - 4..], &[0, 0, 0, 1]);
        // 16 MB and 2 bytes: a full packet and one of 2 bytes.
        let (mut out, mut seq) = (Vec::new(), 4);
        frame(&mut out, &mut seq, &vec![7u8; MAX_PAYLOAD + 2]);
        assert_eq!(&out[..4], &[0xff, 0xff, 0xff, 5]);
        assert_eq!(&out[4 + MAX_PAYLOAD..], &[2, 0, 0, 6, 7, 7]);
        assert_eq!(seq, 6);
    }
}
