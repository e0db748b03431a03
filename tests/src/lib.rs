//! Helpers shared by the integration tests: service URLs and a TCP proxy that can be switched
//! off to make a real service unreachable (a "closed port") and on again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// `REDIS_URL`, default `redis://127.0.0.1:6379`.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// `DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The `host:port` of a URL like `redis://127.0.0.1:6379/0` or `postgres://u@h:p/db`.
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// Fails the test with a clear message when a service is not reachable: these tests never
/// skip silently.
pub async fn require_service(name: &str, url: &str) {
    let addr = host_port(url);
    if let Err(e) = TcpStream::connect(&addr).await {
        panic!("{name} is required by this test but {addr} is not reachable ({e}); start it (see .ci/run) or set the URL variable");
    }
}

/// A random suffix so that runs do not see each other's keys and rows.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}-{nanos:x}-{:x}", std::process::id())
}

/// A loopback TCP proxy in front of a real service.
#[derive(Debug)]
pub struct Proxy {
    /// The address clients connect to.
    pub addr: String,
    enabled: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Starts forwarding `127.0.0.1:<random port>` to `target` (`host:port`).
    pub async fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr").to_string();
        let enabled = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let target = target.to_owned();
        let (en, cs) = (enabled.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !en.load(Ordering::SeqCst) {
                    drop(inbound); // refused: the client sees the connection closed at once
                    continue;
                }
                let target = target.clone();
                let h = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                cs.lock().expect("lock").push(h);
            }
        });
        Proxy {
            addr,
            enabled,
            conns,
            accept,
        }
    }

    /// Cuts every connection and refuses new ones.
    pub fn disable(&self) {
        self.enabled.store(false, Ordering::SeqCst);
        for h in self.conns.lock().expect("lock").drain(..) {
            h.abort();
        }
    }

    /// Forwards again.
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.disable();
    }
}

/// Seconds since the Unix epoch, as the library reads the clock.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
