//! The `/metrics` endpoint: [`crate::metrics`] served as Prometheus text
//! when `[settings].metrics_listen` is set.
//!
//! A small hand-written responder on tokio, because one read-only endpoint
//! does not justify a web framework in a daemon that has none.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::DaemonError;
use crate::metrics::METRICS;

/// Scrapes answered at once; more are refused (closed) rather than queued,
/// so a misbehaving scraper cannot pile up tasks.
const MAX_CONNECTIONS: usize = 8;

/// A scrape must send its request and take the answer within this long.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// The request head is a line and a few headers; anything longer is not a
/// scraper.
const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// Binds `addr` and serves `/metrics` until the returned task is aborted.
pub async fn serve(addr: SocketAddr) -> Result<JoinHandle<()>, DaemonError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| DaemonError::Other(format!("metrics_listen {addr}: {e}")))?;
    let bound = listener.local_addr().unwrap_or(addr);
    tracing::info!(addr = %bound, "serving Prometheus metrics at /metrics");
    Ok(tokio::spawn(accept_loop(listener)))
}

async fn accept_loop(listener: TcpListener) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: wait, do not spin.
                tracing::warn!(error = %e, "metrics listener cannot accept");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue;
        };
        tokio::spawn(async move {
            if let Ok(Err(e)) = tokio::time::timeout(CONNECTION_TIMEOUT, answer(stream)).await {
                tracing::debug!(error = %e, "metrics request failed");
            }
            drop(slot);
        });
    }
}

async fn answer(mut stream: TcpStream) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > MAX_REQUEST_HEAD {
            return respond(
                &mut stream,
                "431 Request Header Fields Too Large",
                "",
                false,
            )
            .await;
        }
    }
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET" | "HEAD", "/metrics") => {
            let body = METRICS.render();
            respond(&mut stream, "200 OK", &body, method == "HEAD").await
        }
        ("GET" | "HEAD", _) => {
            respond(
                &mut stream,
                "404 Not Found",
                "not found; try /metrics\n",
                false,
            )
            .await
        }
        _ => respond(&mut stream, "405 Method Not Allowed", "", false).await,
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: &str,
    body: &str,
    head_only: bool,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    if !head_only {
        stream.write_all(body.as_bytes()).await?;
    }
    stream.shutdown().await
}
