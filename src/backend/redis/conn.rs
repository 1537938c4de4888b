//! The client: the URL and TLS settings made into a `redis::Client`, one
//! multiplexed connection per worker session, and the client's errors as
//! the report's error classes.

use crate::backend::{BackendError, CONNECT_TIMEOUT};
use crate::scenario::model::{RedisConfig, TlsMode};
use crate::stats::{ErrorKind, OpError};
use redis::aio::MultiplexedConnection;
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

/// The client for `c`, and the server's address for messages.
pub fn client(c: &RedisConfig, name: &str) -> Result<(Client, String), BackendError> {
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
    let client = match &c.ca_file {
        Some(path) if wants_tls(c) => {
            let pem = std::fs::read(path).map_err(|e| BackendError(format!("{name}: cannot read ca_file {path}: {e}")))?;
            let certs = redis::TlsCertificates { client_tls: None, root_cert: Some(pem) };
            Client::build_with_tls(info, certs).map_err(bad)?
        }
        _ => Client::open(info).map_err(bad)?,
    };
    Ok((client, addr))
}

/// No response timeout of the client's own: the phase's `timeout` bounds a request.
fn config() -> AsyncConnectionConfig {
    AsyncConnectionConfig::new().set_connection_timeout(Some(CONNECT_TIMEOUT)).set_response_timeout(None)
}

/// A new connection (a worker session's).
pub async fn connect(client: &Client) -> Result<MultiplexedConnection, OpError> {
    client.get_multiplexed_async_connection_with_config(&config()).await.map_err(op_error)
}

/// The first connection, which says whether the server is there at all
/// (exit 3 within [`CONNECT_TIMEOUT`], with a message naming host and port only).
pub async fn first_connection(client: &Client, name: &str, addr: &str) -> Result<MultiplexedConnection, BackendError> {
    let attempt = async {
        let mut conn = client.get_multiplexed_async_connection_with_config(&config()).await?;
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
        RedisConfig { url: url.into(), tls, ca_file: None, key_prefix: None, layout: None, transaction: false, pricing: None }
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
}
