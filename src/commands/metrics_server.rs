//! `run --metrics-addr`: serves the live metrics over HTTP while the run
//! lasts, `GET /metrics` in the Prometheus text format (anything else: 404).
//! One small response per scrape; the numbers come from [`Exposition`],
//! which the per-second aggregators update.

use crate::error::Error;
use crate::stats::live::Exposition;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Binds `addr` (refused at once when it cannot be: exit 2) and serves
/// until the runtime ends.
pub(super) async fn serve(addr: SocketAddr, metrics: Arc<Exposition>) -> Result<SocketAddr, Error> {
    let listener = TcpListener::bind(addr).await.map_err(|e| Error::Usage(format!("--metrics-addr {addr}: cannot listen there: {e}")))?;
    let bound = listener.local_addr().unwrap_or(addr);
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let metrics = metrics.clone();
            tokio::spawn(async move {
                // A request line and headers; a scrape sends well under 4 KiB.
                let mut buf = [0u8; 4096];
                let n = match tokio::time::timeout(std::time::Duration::from_secs(5), conn.read(&mut buf)).await {
                    Ok(Ok(n)) => n,
                    _ => return,
                };
                let head = String::from_utf8_lossy(&buf[..n]);
                let path = head.split_whitespace().nth(1).unwrap_or("");
                let response = if head.starts_with("GET ") && (path == "/metrics" || path.starts_with("/metrics?")) {
                    let body = metrics.render();
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 26\r\nConnection: close\r\n\r\nonly /metrics is served.\r\n".to_string()
                };
                let _ = conn.write_all(response.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    Ok(bound)
}
