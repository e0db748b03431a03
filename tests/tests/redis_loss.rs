//! A Redis that lost its data (issue #30, item 4): a real `redis-server` of the test's own,
//! stopped and started again without its data, or flushed while connected. A logged-out token
//! and a spent refresh token are never accepted, the instance writes back what it holds (a new
//! instance then sees it in Redis), and a fresh login works again within seconds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::{get, test, App};
use auth_actix::endpoints::{AuthEndpoints, TokenResponse};
use auth_actix::prelude::*;
use auth_actix::test::TestRequestExt;
use auth_actix::RedisRevocation;
use serde_json::json;
use tests::fixtures::{login, users};
use tests::{free_port, status, unique, OwnRedis, TestApp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "redis-loss-test-secret-that-is-long-enough";

#[get("/articles")]
#[guard(has_permission("articles.read"))]
async fn articles(ctx: AuthContext) -> String {
    ctx.user_id().to_owned()
}

fn store(url: &str, prefix: &str) -> RedisRevocation {
    RedisRevocation::new(url)
        .unwrap()
        .prefix(prefix)
        .timeout(Duration::from_millis(300))
        .start()
}

fn config(store: RedisRevocation) -> AuthConfig {
    AuthConfig::builder()
        .jwt(JwtConfig::hs256(SECRET))
        .roles(RoleMap::new().grant("editor", ["articles.*"]))
        .revocation_arc(Arc::new(store))
        .build()
        .unwrap()
}

macro_rules! app {
    ($cfg:expr) => {
        test::init_service(
            App::new()
                .app_data($cfg)
                .service(
                    AuthEndpoints::new(users())
                        .dangerous_no_throttle()
                        .scope("/auth"),
                )
                .service(articles),
        )
        .await
    };
}

fn get(access: &str) -> test::TestRequest {
    test::TestRequest::get().uri("/articles").bearer(access)
}

fn refresh(token: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/auth/refresh")
        .set_json(json!({"refresh_token": token}))
}

/// Sends one command to Redis as a client would (`FLUSHALL`), without a client library.
async fn redis_command(port: u16, command: &str) {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(format!("{command}\r\n").as_bytes())
        .await
        .unwrap();
    let mut answer = [0u8; 64];
    let n = s.read(&mut answer).await.unwrap();
    assert!(
        answer[..n].starts_with(b"+OK"),
        "{command}: {:?}",
        &answer[..n]
    );
}

/// What the test holds before the loss: a logged-out pair, a spent refresh token (rotated
/// once), and the current refresh token of that family.
struct Before {
    logged_out: TokenResponse,
    spent: String,
}

async fn prepare<B: MessageBody>(app: &impl TestApp<B>) -> Before {
    let logged_out = login(app, "alice").await;
    let logout = test::TestRequest::post()
        .uri("/auth/logout")
        .bearer(&logged_out.access_token)
        .set_json(json!({"refresh_token": logged_out.refresh_token}));
    assert_eq!(status(app, logout).await.0, 204);
    assert_eq!(status(app, get(&logged_out.access_token)).await.0, 401);
    let pair = login(app, "bob").await;
    let (code, _) = status(app, refresh(&pair.refresh_token)).await;
    assert_eq!(code, 200, "bob's first refresh");
    Before {
        logged_out,
        spent: pair.refresh_token,
    }
}

/// For up to `limit`: the logged-out token and the spent refresh token are never accepted;
/// returns how long a fresh login took to work again.
async fn survive<B: MessageBody>(
    app: &impl TestApp<B>,
    before: &Before,
    limit: Duration,
) -> Duration {
    let start = Instant::now();
    let fresh = login(app, "alice").await;
    loop {
        let (code, body) = status(app, get(&before.logged_out.access_token)).await;
        assert!(
            matches!(code, 401 | 503),
            "the logged-out token: {code} {body}"
        );
        let (code, body) = status(app, refresh(&before.spent)).await;
        assert!(
            matches!(code, 401 | 503),
            "the spent refresh token: {code} {body}"
        );
        let (code, body) = status(app, get(&fresh.access_token)).await;
        assert!(matches!(code, 200 | 503), "a fresh login: {code} {body}");
        if code == 200 {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "a fresh login still refused after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Once restored, the answers are refusals (401), not outages, and a new instance reading
/// Redis finds the revocations there.
async fn restored<B: MessageBody>(app: &impl TestApp<B>, before: &Before, url: &str, prefix: &str) {
    assert_eq!(
        status(app, get(&before.logged_out.access_token)).await.0,
        401
    );
    let newcomer = store(url, prefix);
    assert!(newcomer.wait_synced(Duration::from_secs(5)).await);
    let other = app!(config(newcomer));
    assert_eq!(
        status(&other, get(&before.logged_out.access_token)).await.0,
        401,
        "written back into Redis"
    );
    let (code, body) = status(&other, refresh(&before.spent)).await;
    assert_eq!(code, 401, "the spent token, written back too: {body}");
}

#[actix_rt::test]
async fn a_redis_restarted_empty_resurrects_no_revocation() {
    let mut redis = OwnRedis::start(free_port()).await;
    let (url, prefix) = (redis.url(), unique("loss"));
    let s = store(&url, &prefix);
    assert!(s.wait_synced(Duration::from_secs(5)).await);
    let app = app!(config(s));
    let before = prepare(&app).await;

    redis.stop();
    let _redis = OwnRedis::start(redis.port).await;
    let took = survive(&app, &before, Duration::from_secs(10)).await;
    eprintln!("Redis restarted empty: a fresh login worked again after {took:?}");
    restored(&app, &before, &url, &prefix).await;
}

#[actix_rt::test]
async fn a_redis_flushed_while_connected_resurrects_no_revocation() {
    let redis = OwnRedis::start(free_port()).await;
    let (url, prefix) = (redis.url(), unique("flush"));
    let s = store(&url, &prefix);
    assert!(s.wait_synced(Duration::from_secs(5)).await);
    let app = app!(config(s));
    let before = prepare(&app).await;

    redis_command(redis.port, "FLUSHALL").await;
    let took = survive(&app, &before, Duration::from_secs(10)).await;
    eprintln!("Redis flushed: a fresh login worked again after {took:?}");
    // The flush is noticed within a second (the epoch check) and the data written back.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    restored(&app, &before, &url, &prefix).await;
}
