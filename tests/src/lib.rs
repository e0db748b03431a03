//! Helpers shared by the integration tests: service URLs, a TCP proxy that can make a real
//! service unreachable (a "closed port"), or silent (a half-open link), and on again, a minimal
//! HTTP/1.1 client for servers bound on loopback, and the process's memory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
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
    silent: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Starts forwarding `127.0.0.1:<random port>` to `target` (`host:port`).
    pub async fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr").to_string();
        let enabled = Arc::new(AtomicBool::new(true));
        let silent = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let target = target.to_owned();
        let (en, si, cs) = (enabled.clone(), silent.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !en.load(Ordering::SeqCst) {
                    drop(inbound); // refused: the client sees the connection closed at once
                    continue;
                }
                let (target, si) = (target.clone(), si.clone());
                let h = tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (in_r, in_w) = inbound.into_split();
                    let (out_r, out_w) = outbound.into_split();
                    tokio::join!(pump(in_r, out_w, si.clone()), pump(out_r, in_w, si));
                });
                cs.lock().expect("lock").push(h);
            }
        });
        Proxy {
            addr,
            enabled,
            silent,
            conns,
            accept,
        }
    }

    /// Stops forwarding bytes without closing anything, the way a half-open link behaves (a
    /// NAT timeout, a failover): both sides keep their sockets and hear nothing.
    pub fn silence(&self) {
        self.silent.store(true, Ordering::SeqCst);
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
        self.silent.store(false, Ordering::SeqCst);
    }
}

/// Copies `from` to `to`, dropping what it reads while `silent`.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, silent: Arc<AtomicBool>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if silent.load(Ordering::SeqCst) {
            continue;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
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

/// One HTTP/1.1 request to a server on loopback: `(status, body)`. `headers` are sent as
/// given, so that tests can send what a well-behaved client would not (a header twice, say).
pub async fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr)
        .await
        .expect("connect to the server");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(req.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("receive");
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_owned())
}

/// Sends `requests` (whole HTTP/1.1 requests, `Connection: close`) to `addr` at once: every
/// connection is opened first, then every request is written, then the answers are read.
/// Returns each answer's status, in the order of `requests`.
pub async fn burst(addr: &str, requests: Vec<String>) -> Vec<u16> {
    let mut streams = Vec::with_capacity(requests.len());
    for _ in &requests {
        streams.push(
            TcpStream::connect(addr)
                .await
                .expect("connect to the server"),
        );
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = streams
        .into_iter()
        .zip(requests)
        .map(|(mut stream, req)| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                stream.write_all(req.as_bytes()).await.expect("send");
                let mut answer = Vec::new();
                stream.read_to_end(&mut answer).await.expect("receive");
                let answer = String::from_utf8_lossy(&answer);
                answer
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0)
            })
        })
        .collect();
    let mut statuses = Vec::with_capacity(tasks.len());
    for t in tasks {
        statuses.push(t.await.expect("a request task"));
    }
    statuses
}

/// A JSON `POST` as [`burst`] sends it.
pub fn json_post(addr: &str, path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A free TCP port on loopback (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A Redis server of the test's own on `port`, without persistence (the shared one must stay up
/// for the other tests), stopped with the test: stopping and starting it again is a Redis that
/// restarted without its data.
#[derive(Debug)]
pub struct OwnRedis {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    /// Starts `redis-server` (Debian's package) on `port` and waits until it accepts.
    pub async fn start(port: u16) -> OwnRedis {
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (Debian's redis-server package) runs");
        // Owned at once: stopped (and waited for) on every way out, a failed start included.
        let redis = OwnRedis {
            port,
            child: Some(child),
        };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return redis;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start on port {port}");
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops it (its data is gone: it keeps nothing on disk).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The resident memory of this process, in KiB.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// An app as `actix_web::test::init_service` makes it, answering bodies of type `B`: the bound
/// every helper that calls one needs, written once.
pub trait TestApp<B>:
    actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse<B>,
    Error = actix_web::Error,
>
{
}

impl<S, B> TestApp<B> for S where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >
{
}

/// Calls an actix test service: `(status, body)`.
pub async fn status<B: actix_web::body::MessageBody>(
    app: &impl TestApp<B>,
    req: actix_web::test::TestRequest,
) -> (u16, String) {
    let res = actix_web::test::call_service(app, req.to_request()).await;
    let status = res.status().as_u16();
    let body = actix_web::test::read_body(res).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The users of the token-endpoint tests: `alice` (id 1) and `bob` (id 2), role `editor`,
/// password `<name>-password`, checked with Argon2 off the worker threads as an app would.
pub mod fixtures {
    use auth_actix::endpoints::{CredentialsVerifier, TokenResponse};
    use auth_actix::password::{hash_password, verify_user_password_async};
    use auth_actix::{AuthUser, UserLoadError};

    /// A user with a password hash.
    #[derive(AuthUser, Clone, Debug)]
    pub struct User {
        /// The id.
        pub id: String,
        /// The login name.
        pub username: String,
        /// Argon2id PHC string.
        pub password_hash: String,
        /// Roles.
        pub roles: Vec<String>,
    }

    /// The user store behind `POST /auth/token`.
    #[derive(Clone, Debug)]
    pub struct Users(pub std::sync::Arc<Vec<User>>);

    impl CredentialsVerifier for Users {
        type User = User;
        async fn verify(
            &self,
            username: &str,
            password: &str,
        ) -> Result<Option<User>, UserLoadError> {
            let user = self.0.iter().find(|u| u.username == username);
            let hash = user.map(|u| u.password_hash.clone());
            let ok = verify_user_password_async(hash, password.to_owned()).await;
            Ok(user.filter(|_| ok).cloned())
        }
    }

    /// alice and bob.
    pub fn users() -> Users {
        let user = |id: &str, name: &str| User {
            id: id.into(),
            username: name.into(),
            password_hash: hash_password(&format!("{name}-password")).expect("hash"),
            roles: vec!["editor".into()],
        };
        Users(std::sync::Arc::new(vec![
            user("1", "alice"),
            user("2", "bob"),
        ]))
    }

    /// Logs `who` in through `POST /auth/token`; panics unless it answers 200.
    pub async fn login<S, B>(app: &S, who: &str) -> TokenResponse
    where
        S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
        B: actix_web::body::MessageBody,
    {
        let body = serde_json::json!({"username": who, "password": format!("{who}-password")});
        let req = actix_web::test::TestRequest::post()
            .uri("/auth/token")
            .set_json(body);
        let (code, body) = super::status(app, req).await;
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).expect("a token response")
    }
}
