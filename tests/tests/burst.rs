//! Login throttling under a burst (issue #30, item 1): 200 logins for one user from one
//! address, every connection opened first and every request sent at once, the last with the
//! right password, get no more than the limit verified (5 per username), the rest 429, with
//! the counters in this process and shared through Redis by two servers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::{App, HttpServer};
use auth_actix::prelude::*;
use auth_actix::RedisRevocation;
use auth_actix::{endpoints::AuthEndpoints, LoginThrottle};
use tests::fixtures::users;
use tests::{burst, json_post, redis_url, require_service, unique};

const SECRET: &str = "burst-test-secret-that-is-long-enough-0123";

/// A real server on loopback with the token endpoints and `throttle`; its address.
fn serve(throttle: LoginThrottle) -> String {
    let cfg = AuthConfig::builder()
        .jwt(JwtConfig::hs256(SECRET))
        .build()
        .unwrap();
    let endpoints = AuthEndpoints::new(users()).throttle(throttle);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(cfg.clone())
            .service(endpoints.scope("/auth"))
    })
    .workers(2)
    .backlog(1024)
    .max_connections(1024)
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0].to_string();
    actix_rt::spawn(server.run());
    addr
}

/// `n` logins of alice, the last with her password, spread over `servers` in turn.
fn logins(servers: &[String], n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let password = if i + 1 == n {
                "alice-password"
            } else {
                "guess"
            };
            let body = format!(r#"{{"username":"alice","password":"{password}"}}"#);
            let addr = &servers[i % servers.len()];
            (addr.clone(), json_post(addr, "/auth/token", &body))
        })
        .collect()
}

/// Statuses by kind: (verified: 200 or 401, throttled: 429, anything else).
fn tally(statuses: &[u16]) -> (usize, usize, Vec<u16>) {
    let verified = statuses.iter().filter(|s| matches!(s, 200 | 401)).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    let other = statuses
        .iter()
        .copied()
        .filter(|s| !matches!(s, 200 | 401 | 429))
        .collect();
    (verified, throttled, other)
}

async fn send(requests: Vec<(String, String)>) -> Vec<u16> {
    // One burst a server, all sent at the same moment.
    let mut by_server: Vec<(String, Vec<String>)> = Vec::new();
    for (addr, req) in requests {
        match by_server.iter_mut().find(|(a, _)| *a == addr) {
            Some((_, reqs)) => reqs.push(req),
            None => by_server.push((addr, vec![req])),
        }
    }
    let bursts = by_server
        .into_iter()
        .map(|(addr, reqs)| actix_rt::spawn(async move { burst(&addr, reqs).await }));
    let mut statuses = Vec::new();
    for b in bursts.collect::<Vec<_>>() {
        statuses.extend(b.await.unwrap());
    }
    statuses
}

#[actix_rt::test]
async fn a_burst_gets_no_more_than_the_limit_verified() {
    let addr = serve(LoginThrottle::new());
    let statuses = send(logins(&[addr], 200)).await;
    let (verified, throttled, other) = tally(&statuses);
    assert_eq!(other, Vec::<u16>::new(), "only 200, 401 and 429");
    assert_eq!(
        verified, 5,
        "5 attempts for one username verified, not {verified}"
    );
    assert_eq!(throttled, 195);
}

#[actix_rt::test]
async fn a_burst_over_two_servers_sharing_redis_gets_no_more_than_the_limit_verified() {
    require_service("Redis", &redis_url()).await;
    let prefix = unique("burst");
    let counters = || {
        let store = RedisRevocation::new(&redis_url())
            .unwrap()
            .prefix(&prefix)
            .start();
        LoginThrottle::new().shared(store.login_counters())
    };
    let servers = [serve(counters()), serve(counters())];
    let statuses = send(logins(&servers, 200)).await;
    let (verified, throttled, other) = tally(&statuses);
    assert_eq!(other, Vec::<u16>::new(), "only 200, 401 and 429");
    assert_eq!(
        verified, 5,
        "5 attempts for one username verified between both servers, not {verified}"
    );
    assert_eq!(throttled, 195);
}
