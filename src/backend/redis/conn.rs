//! The client: the URL and TLS settings made into a `redis::Client`, one
//! multiplexed connection per worker session, and the client's errors as
//! the report's error classes.

use crate::backend::{BackendError, CONNECT_TIMEOUT};
use crate::scenario::model::{RedisConfig, TlsMode};
use crate::stats::{ErrorKind, OpError};
use redis::aio::MultiplexedConnection;
use redis::aio::ConnectionLike;
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, Client, ConnectionAddr, IntoConnectionInfo};

/// Where the server is, for messages: `host:port`, never the URL (it may
/// carry a user and a password).
pub fn address(info: &redis::ConnectionInfo) -> String {
    match info.addr() {
        ConnectionAddr::Tcp(h, p) => format!("{h}:{p}"),
        ConnectionAddr::TcpTls { host, port, .. } => format!("{host}:{port} (TLS)"),
        ConnectionAddr::Unix(path) => path.display().to_string(),
        _ => "the server".to_string(),
    }
}

/// Whether the config asks for TLS: `tls:` when set, else the URL's scheme.
pub fn wants_tls(c: &RedisConfig) -> bool {
    match c.tls {
        Some(TlsMode::Disable) => false,
        Some(_) => true,
        None => c.url.starts_with("rediss://"),
    }
}

/// A connection to one server, or to a cluster (routing each command to its key's node).
#[derive(Clone)]
pub enum Conn {
    One(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a redis::Cmd) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Conn::One(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(&'a mut self, p: &'a redis::Pipeline, offset: usize, count: usize) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Conn::One(c) => c.req_packed_commands(p, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(p, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::One(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

impl Conn {
    pub fn is_cluster(&self) -> bool {
        matches!(self, Conn::Cluster(_))
    }
}

/// What opens connections: a client of one server, or of a cluster.
pub enum Clients {
    One(Client),
    /// The cluster's client, its seed node and the CA (PEM) to trust, for per-node connections.
    Cluster(ClusterClient, Box<redis::ConnectionInfo>, Option<Vec<u8>>),
}

/// The client for `c`, and the server's address for messages.
pub fn client(c: &RedisConfig, name: &str) -> Result<(Clients, String), BackendError> {
    // The client's own words would echo the URL; only say what is wrong with it.
    let bad = |e: redis::RedisError| BackendError(format!("{name}: bad Redis URL: {}", crate::secrets::url_passwords(&e.to_string())));
    let mut info = c.url.as_str().into_connection_info().map_err(bad)?;
    if wants_tls(c) {
        if let ConnectionAddr::Tcp(host, port) = info.addr().clone() {
            info = info.set_addr(ConnectionAddr::TcpTls { host, port, insecure: false, tls_params: None });
        }
        // rustls with ring, as the other kinds use it (installed once; a second call is a no-op).
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let addr = address(&info);
    let pem = match &c.ca_file {
        Some(path) if wants_tls(c) => {
            Some(std::fs::read(path).map_err(|e| BackendError(format!("{name}: cannot read ca_file {path}: {e}")))?)
        }
        _ => None,
    };
    if c.cluster {
        let mut b = ClusterClientBuilder::new(vec![info.clone()]).connection_timeout(CONNECT_TIMEOUT).overall_response_timeout(None);
        if wants_tls(c) {
            b = b.tls(redis::TlsMode::Secure);
        }
        if let Some(pem) = &pem {
            b = b.certs(certs(pem));
        }
        return Ok((Clients::Cluster(b.build().map_err(bad)?, Box::new(info), pem), format!("{addr} (cluster)")));
    }
    Ok((Clients::One(node_client(info, pem.as_deref()).map_err(bad)?), addr))
}

fn certs(pem: &[u8]) -> redis::TlsCertificates {
    redis::TlsCertificates { client_tls: None, root_cert: Some(pem.to_vec()) }
}

/// A client of one server, trusting `pem`'s CA when given.
fn node_client(info: redis::ConnectionInfo, pem: Option<&[u8]>) -> Result<Client, redis::RedisError> {
    match pem {
        Some(pem) => Client::build_with_tls(info, certs(pem)),
        None => Client::open(info),
    }
}

/// No response timeout of the client's own: the phase's `timeout` bounds a request.
fn config() -> AsyncConnectionConfig {
    AsyncConnectionConfig::new().set_connection_timeout(Some(CONNECT_TIMEOUT)).set_response_timeout(None)
}

async fn open(clients: &Clients) -> Result<Conn, redis::RedisError> {
    Ok(match clients {
        Clients::One(c) => Conn::One(c.get_multiplexed_async_connection_with_config(&config()).await?),
        Clients::Cluster(c, ..) => Conn::Cluster(c.get_async_connection().await?),
    })
}

/// A new connection (a worker session's).
pub async fn connect(clients: &Clients) -> Result<Conn, OpError> {
    open(clients).await.map_err(op_error)
}

/// The first connection, which says whether the server is there at all
/// (exit 3 within [`CONNECT_TIMEOUT`], with a message naming host and port only).
pub async fn first_connection(clients: &Clients, name: &str, addr: &str) -> Result<Conn, BackendError> {
    let attempt = async {
        let mut conn = open(clients).await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await?;
        Ok::<_, redis::RedisError>(conn)
    };
    match tokio::time::timeout(CONNECT_TIMEOUT + std::time::Duration::from_secs(1), attempt).await {
        Err(_) => Err(BackendError(format!("{name}: Redis at {addr} did not answer within {}s", CONNECT_TIMEOUT.as_secs()))),
        Ok(Err(e)) if e.is_timeout() => {
            Err(BackendError(format!("{name}: Redis at {addr} did not answer within {}s", CONNECT_TIMEOUT.as_secs())))
        }
        Ok(Err(e)) => Err(BackendError(format!("{name}: cannot connect to Redis at {addr}: {}", said(&e)))),
        Ok(Ok(conn)) => Ok(conn),
    }
}

/// A plain connection to each primary of the cluster `conn` reaches (for
/// SCAN and INFO, which are per node); the one connection itself otherwise.
pub async fn per_node(conn: &Conn, clients: &Clients) -> Result<Vec<Conn>, redis::RedisError> {
    let Conn::Cluster(cc) = conn else { return Ok(vec![conn.clone()]) };
    let Clients::Cluster(_, seed, pem) = clients else { return Ok(vec![conn.clone()]) };
    let nodes: String = redis::cmd("CLUSTER").arg("NODES").query_async(&mut cc.clone()).await?;
    let mut out = Vec::new();
    for (host, port) in primaries(&nodes) {
        let seed = (**seed).clone();
        let addr = match seed.addr() {
            ConnectionAddr::TcpTls { insecure, tls_params, .. } => {
                ConnectionAddr::TcpTls { host, port, insecure: *insecure, tls_params: tls_params.clone() }
            }
            _ => ConnectionAddr::Tcp(host, port),
        };
        let node = node_client(seed.set_addr(addr), pem.as_deref())?;
        out.push(Conn::One(node.get_multiplexed_async_connection_with_config(&config()).await?));
    }
    Ok(out)
}

/// (host, port) of every primary in `CLUSTER NODES` output.
pub fn primaries(nodes: &str) -> Vec<(String, u16)> {
    nodes
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let flags = f.get(2)?;
            if !flags.split(',').any(|x| x == "master") || flags.contains("fail") {
                return None;
            }
            let hostport = f.get(1)?.split('@').next()?;
            let (host, port) = hostport.rsplit_once(':')?;
            Some((host.to_string(), port.parse().ok()?))
        })
        .collect()
}

/// The client's words, any URL secret in them masked.
pub fn said(e: &redis::RedisError) -> String {
    crate::secrets::url_passwords(&e.to_string())
}

/// A failed request, classed: connection trouble (the worker reconnects
/// with a new session), timeouts, the server's refusals (`OOM`, `BUSY`,
/// `LOADING`, `MASTERDOWN`, `TRYAGAIN`: throttled) and every other reply
/// error (query).
pub fn op_error(e: redis::RedisError) -> OpError {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_unrecoverable_error() {
        ErrorKind::Connection
    } else if matches!(e.code(), Some("OOM" | "BUSY" | "LOADING" | "MASTERDOWN" | "TRYAGAIN")) {
        ErrorKind::Throttled
    } else {
        ErrorKind::Query
    };
    OpError::new(kind, said(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str, tls: Option<TlsMode>) -> RedisConfig {
        RedisConfig { url: url.into(), tls, ca_file: None, key_prefix: None, layout: None, transaction: false, cluster: false, pricing: None }
    }

    #[test]
    fn tls_follows_the_scheme_unless_tls_says_otherwise_and_messages_carry_no_secret() {
        assert!(!wants_tls(&config("redis://h:6379", None)));
        assert!(wants_tls(&config("rediss://h:6379", None)));
        assert!(wants_tls(&config("redis://h:6379", Some(TlsMode::VerifyFull))));
        let (_, addr) = client(&config("redis://alice:s3cret@db.example.com:6380/2", Some(TlsMode::Require)), "r").unwrap();
        assert_eq!(addr, "db.example.com:6380 (TLS)");
        let (_, addr) = client(&config("redis://:s3cret@127.0.0.1:6379/0", None), "r").unwrap();
        assert_eq!(addr, "127.0.0.1:6379");
        let e = client(&config("redis://alice:s3cret@host:notaport/0", None), "r").err().unwrap();
        assert!(!e.0.contains("s3cret"), "{}", e.0);
    }

    #[test]
    fn cluster_nodes_output_gives_the_live_primaries() {
        let nodes = "a1 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460\n\
                     b2 127.0.0.1:7002@17002 master - 0 0 2 connected 5461-10922\n\
                     c3 127.0.0.1:7003@17003 slave b2 0 0 2 connected\n\
                     d4 127.0.0.1:7004@17004 master,fail - 0 0 3 disconnected\n";
        assert_eq!(primaries(nodes), vec![("127.0.0.1".to_string(), 7001), ("127.0.0.1".to_string(), 7002)]);
    }
}
