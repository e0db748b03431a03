//! The soak test's client (`bench/soak.sh` runs it): mixed traffic against the release showcase
//! for a given time, and a verdict.
//!
//! `soak BASE SECONDS SECRET API_KEY OUTAGE_FROM OUTAGE_TO`: 16 connections send, in proportion,
//! requests with valid tokens from a pool of 10,000, expired and forged tokens, API keys, logins
//! with refresh rotation and reuse, logouts, and replays of every token revoked so far. It prints
//! the counts by status and by kind, p50/p99 latency, and fails (exit 1) when a forged, expired
//! or revoked credential is ever let through, or when a 5xx appears outside the outage window
//! `[OUTAGE_FROM, OUTAGE_TO]` (seconds from the start; a 503 inside it is the store failing
//! closed, as it must).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::{encode, EncodingKey, Header};

const CONNECTIONS: usize = 16;
const POOL: usize = 10_000;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Valid,
    Expired,
    Forged,
    ApiKey,
    Login,
    Refresh,
    ReusedRefresh,
    Logout,
    Revoked,
}

/// What one request must get: `Ok` for these statuses, a violation when let through.
fn expected(kind: Kind, status: u16) -> Result<(), &'static str> {
    let let_through = (200..300).contains(&status);
    match kind {
        Kind::Expired | Kind::Forged | Kind::Revoked | Kind::ReusedRefresh if let_through => {
            Err("a refused credential was let through")
        }
        _ => Ok(()),
    }
}

struct Shared {
    base: String,
    api_key: String,
    valid: Vec<String>,
    expired: Vec<String>,
    forged: Vec<String>,
    revoked: Mutex<Vec<String>>,
    start: Instant,
    outage: (u64, u64),
    by_status: Mutex<BTreeMap<(Kind, u16), u64>>,
    latencies: Mutex<Vec<u32>>,
    violations: Mutex<Vec<String>>,
    seq: AtomicU64,
}

impl Shared {
    fn record(&self, kind: Kind, status: u16, took: Duration) {
        *self
            .by_status
            .lock()
            .unwrap()
            .entry((kind, status))
            .or_default() += 1;
        self.latencies
            .lock()
            .unwrap()
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
        let at = self.start.elapsed().as_secs();
        if let Err(why) = expected(kind, status) {
            self.violations
                .lock()
                .unwrap()
                .push(format!("{at}s {kind:?}: {status}: {why}"));
        }
        let in_outage = at + 1 >= self.outage.0 && at <= self.outage.1;
        if status >= 500 && !(status == 503 && in_outage) {
            self.violations
                .lock()
                .unwrap()
                .push(format!("{at}s {kind:?}: {status} outside the store outage"));
        }
    }
}

fn token(secret: &[u8], sub: usize, exp_from_now: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = serde_json::json!({
        "sub": format!("soak-{sub}"),
        "iat": now - 60,
        "exp": now + exp_from_now,
        "jti": format!("soak-{sub}-{exp_from_now}"),
        "permissions": ["articles.read"],
    });
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

async fn send(s: &Shared, kind: Kind, req: reqwest::RequestBuilder) -> Option<(u16, String)> {
    let started = Instant::now();
    match req.send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let body = res.text().await.unwrap_or_default();
            s.record(kind, status, started.elapsed());
            Some((status, body))
        }
        Err(e) => {
            s.violations
                .lock()
                .unwrap()
                .push(format!("{kind:?}: the request failed: {e}"));
            None
        }
    }
}

fn field(body: &str, name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    Some(v.get(name)?.as_str()?.to_owned())
}

/// Login as alice, refresh, reuse the old refresh token (which revokes the family), log out.
async fn lifecycle(s: &Shared, c: &reqwest::Client, logout_only: bool) {
    let login = c
        .post(format!("{}/auth/token", s.base))
        .json(&serde_json::json!({"username": "alice", "password": "alice-demo-password"}));
    let Some((200, body)) = send(s, Kind::Login, login).await else {
        return;
    };
    let (Some(access), Some(refresh)) =
        (field(&body, "access_token"), field(&body, "refresh_token"))
    else {
        return;
    };
    if logout_only {
        let out = c
            .post(format!("{}/auth/logout", s.base))
            .bearer_auth(&access);
        if let Some((204, _)) = send(s, Kind::Logout, out).await {
            s.revoked.lock().unwrap().push(access);
        }
        return;
    }
    let rotate = |t: &str| {
        c.post(format!("{}/auth/refresh", s.base))
            .json(&serde_json::json!({"refresh_token": t}))
    };
    let Some((200, body)) = send(s, Kind::Refresh, rotate(&refresh)).await else {
        return;
    };
    let Some(new_access) = field(&body, "access_token") else {
        return;
    };
    // Reuse: refused, and the whole family with it.
    if let Some((401, _)) = send(s, Kind::ReusedRefresh, rotate(&refresh)).await {
        let mut revoked = s.revoked.lock().unwrap();
        revoked.push(access);
        revoked.push(new_access);
    }
}

async fn worker(s: Arc<Shared>, until: Instant) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let articles = format!("{}/articles", s.base);
    while Instant::now() < until {
        let n = s.seq.fetch_add(1, Ordering::Relaxed) as usize;
        // A stride through 0..1000, so that every kind of request is spread over time.
        let pick = n.wrapping_mul(7919) % 1000;
        let get = |kind: Kind, auth: Option<&str>| {
            let req = client.get(&articles);
            let req = match (kind, auth) {
                (Kind::ApiKey, Some(k)) => req.header("x-api-key", k),
                (_, Some(t)) => req.bearer_auth(t),
                _ => req,
            };
            (kind, req)
        };
        let (kind, req) = match pick {
            0..=549 => get(Kind::Valid, Some(&s.valid[n % POOL])),
            550..=629 => get(Kind::Expired, Some(&s.expired[n % s.expired.len()])),
            630..=709 => get(Kind::Forged, Some(&s.forged[n % s.forged.len()])),
            710..=849 => get(Kind::ApiKey, Some(&s.api_key)),
            // Logins cost an Argon2 hash each: a few in a thousand.
            850..=852 => {
                lifecycle(&s, &client, false).await;
                continue;
            }
            853..=855 => {
                lifecycle(&s, &client, true).await;
                continue;
            }
            _ => {
                let revoked = s.revoked.lock().unwrap();
                if revoked.is_empty() {
                    continue;
                }
                let t = revoked[n % revoked.len()].clone();
                drop(revoked);
                get(Kind::Revoked, Some(&t))
            }
        };
        send(&s, kind, req).await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, secs, secret, api_key, from, to] = args.as_slice() else {
        eprintln!("usage: soak BASE SECONDS SECRET API_KEY OUTAGE_FROM OUTAGE_TO");
        std::process::exit(2);
    };
    let secs: u64 = secs.parse().unwrap();
    let secret = secret.as_bytes();
    let forged_with = b"not-the-server-secret-but-as-long-as-it-0123";
    let s = Arc::new(Shared {
        base: base.clone(),
        api_key: api_key.clone(),
        valid: (0..POOL).map(|i| token(secret, i, 7200)).collect(),
        expired: (0..100).map(|i| token(secret, i, -120)).collect(),
        forged: (0..100).map(|i| token(forged_with, i, 7200)).collect(),
        revoked: Mutex::new(Vec::new()),
        start: Instant::now(),
        outage: (from.parse().unwrap(), to.parse().unwrap()),
        by_status: Mutex::new(BTreeMap::new()),
        latencies: Mutex::new(Vec::new()),
        violations: Mutex::new(Vec::new()),
        seq: AtomicU64::new(0),
    });
    let until = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| tokio::spawn(worker(s.clone(), until)))
        .collect();
    for t in tasks {
        t.await.unwrap();
    }

    let mut lat = std::mem::take(&mut *s.latencies.lock().unwrap());
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    println!("requests: {}", lat.len());
    println!(
        "latency: p50 {:.2} ms, p99 {:.2} ms",
        pct(0.50) as f64 / 1000.0,
        pct(0.99) as f64 / 1000.0
    );
    let mut totals: BTreeMap<u16, u64> = BTreeMap::new();
    for ((kind, status), count) in s.by_status.lock().unwrap().iter() {
        println!("  {kind:?} {status}: {count}");
        *totals.entry(*status).or_default() += count;
    }
    println!("by status: {totals:?}");
    println!(
        "revoked tokens replayed from a list of {}",
        s.revoked.lock().unwrap().len()
    );
    let violations = s.violations.lock().unwrap();
    if violations.is_empty() {
        println!("soak: no violation");
    } else {
        for v in violations.iter().take(20) {
            println!("VIOLATION {v}");
        }
        println!("soak: {} violations", violations.len());
        std::process::exit(1);
    }
}
