//! Login throttling on `POST /auth/token`: 429 with `Retry-After` after repeated failures, per
//! client address and per username, reset on success, one limit for instances sharing Redis,
//! and logins that keep working when Redis is down.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use actix_web::{test, App};
use auth_actix::prelude::*;
use auth_actix::RedisRevocation;
use auth_actix::{endpoints::AuthEndpoints, LoginThrottle};
use serde_json::{json, Value};
use tests::fixtures::users;
use tests::{redis_url, require_service, unique, Proxy};

const SECRET: &str = "throttle-test-secret-that-is-long-enough-0";

fn config() -> AuthConfig {
    AuthConfig::builder()
        .jwt(JwtConfig::hs256(SECRET))
        .build()
        .unwrap()
}

macro_rules! app {
    ($endpoints:expr) => {
        test::init_service(
            App::new()
                .app_data(config())
                .service($endpoints.scope("/auth")),
        )
        .await
    };
}

/// Logs in from `ip`: `(status, Retry-After, body)`.
async fn login<S, B>(app: &S, ip: &str, user: &str, password: &str) -> (u16, Option<u64>, Value)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let req = test::TestRequest::post()
        .uri("/auth/token")
        .peer_addr(format!("{ip}:40000").parse().unwrap())
        .set_json(json!({"username": user, "password": password}))
        .to_request();
    let res = test::call_service(app, req).await;
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let body: Value = serde_json::from_slice(&test::read_body(res).await).unwrap_or(Value::Null);
    (status, retry, body)
}

#[actix_rt::test]
async fn five_failures_block_the_username_from_that_address_even_with_the_right_password() {
    let app = app!(AuthEndpoints::new(users()));
    for _ in 0..5 {
        assert_eq!(login(&app, "10.0.0.1", "alice", "wrong").await.0, 401);
    }
    let (status, retry, body) = login(&app, "10.0.0.1", "alice", "alice-password").await;
    assert_eq!(status, 429, "{body}");
    let retry = retry.expect("a Retry-After header");
    assert!((890..=900).contains(&retry), "Retry-After {retry}");
    assert_eq!(body["error"], "too_many_requests");
    assert!(
        body["detail"].as_str().unwrap().contains("retry in"),
        "{body}"
    );
    // Case and spaces do not make another username.
    assert_eq!(
        login(&app, "10.0.0.1", " Alice", "alice-password").await.0,
        429
    );
    // Another address is not locked out, nor another user from the first.
    assert_eq!(
        login(&app, "10.0.0.2", "alice", "alice-password").await.0,
        200
    );
    assert_eq!(login(&app, "10.0.0.1", "bob", "bob-password").await.0, 200);
}

#[actix_rt::test]
async fn twenty_failures_block_the_address() {
    let app = app!(AuthEndpoints::new(users()));
    for i in 0..20 {
        assert_eq!(
            login(&app, "10.0.1.1", &format!("guess{i}"), "x").await.0,
            401
        );
    }
    let (status, retry, _) = login(&app, "10.0.1.1", "bob", "bob-password").await;
    assert_eq!(status, 429);
    assert!(retry.is_some());
    assert_eq!(login(&app, "10.0.1.2", "bob", "bob-password").await.0, 200);
}

#[actix_rt::test]
async fn a_success_resets_the_username_and_the_limits_are_configurable() {
    let app = app!(AuthEndpoints::new(users()));
    for _ in 0..4 {
        assert_eq!(login(&app, "10.0.2.1", "alice", "wrong").await.0, 401);
    }
    assert_eq!(
        login(&app, "10.0.2.1", "alice", "alice-password").await.0,
        200
    );
    for _ in 0..4 {
        assert_eq!(login(&app, "10.0.2.1", "alice", "wrong").await.0, 401);
    }
    assert_eq!(login(&app, "10.0.2.1", "alice", "wrong").await.0, 401);
    assert_eq!(login(&app, "10.0.2.1", "alice", "wrong").await.0, 429);

    let strict = LoginThrottle::new()
        .per_username(2)
        .window(Duration::from_secs(60));
    let app = app!(AuthEndpoints::new(users()).throttle(strict));
    assert_eq!(login(&app, "10.0.2.2", "bob", "wrong").await.0, 401);
    assert_eq!(login(&app, "10.0.2.2", "bob", "wrong").await.0, 401);
    let (status, retry, _) = login(&app, "10.0.2.2", "bob", "bob-password").await;
    assert_eq!((status, retry.map(|r| r <= 60)), (429, Some(true)));

    let off = app!(AuthEndpoints::new(users()).dangerous_no_throttle());
    for _ in 0..30 {
        assert_eq!(login(&off, "10.0.2.3", "bob", "wrong").await.0, 401);
    }
}

fn shared(store: &RedisRevocation) -> LoginThrottle {
    LoginThrottle::new().shared(store.login_counters())
}

#[actix_rt::test]
async fn instances_sharing_redis_enforce_one_limit() {
    require_service("Redis", &redis_url()).await;
    let prefix = unique("throttle");
    let store = |p: &str| {
        RedisRevocation::new(&redis_url())
            .unwrap()
            .prefix(p)
            .start()
    };
    let (a, b) = (store(&prefix), store(&prefix));
    let app_a = app!(AuthEndpoints::new(users()).throttle(shared(&a)));
    let app_b = app!(AuthEndpoints::new(users()).throttle(shared(&b)));
    for _ in 0..3 {
        assert_eq!(login(&app_a, "10.0.3.1", "alice", "wrong").await.0, 401);
    }
    for _ in 0..2 {
        assert_eq!(login(&app_b, "10.0.3.1", "alice", "wrong").await.0, 401);
    }
    assert_eq!(
        login(&app_a, "10.0.3.1", "alice", "alice-password").await.0,
        429
    );
    assert_eq!(
        login(&app_b, "10.0.3.1", "alice", "alice-password").await.0,
        429
    );
}

#[actix_rt::test]
async fn redis_down_does_not_break_login() {
    require_service("Redis", &redis_url()).await;
    let proxy = Proxy::start(&tests::host_port(&redis_url())).await;
    let store = RedisRevocation::new(&format!("redis://{}", proxy.addr))
        .unwrap()
        .prefix(unique("throttle-down"))
        .timeout(Duration::from_millis(200))
        .start();
    let app = app!(AuthEndpoints::new(users()).throttle(shared(&store)));
    assert_eq!(login(&app, "10.0.4.1", "bob", "wrong").await.0, 401);
    proxy.disable();
    // Counted locally meanwhile: never a 500, and still a limit.
    assert_eq!(
        login(&app, "10.0.4.1", "alice", "alice-password").await.0,
        200
    );
    for _ in 0..5 {
        assert_eq!(login(&app, "10.0.4.1", "bob", "wrong").await.0, 401);
    }
    assert_eq!(login(&app, "10.0.4.1", "bob", "bob-password").await.0, 429);
    proxy.enable();
}

/// An app that logs in at a path of its own (`token_resource`) or with a handler of its own
/// (`check_credentials`) keeps the throttle (#34 friction item 4).
#[actix_rt::test]
async fn a_login_of_the_apps_own_keeps_the_throttle() {
    use actix_web::{web, HttpRequest, HttpResponse};
    let endpoints = AuthEndpoints::new(users());
    let own = web::Data::new(endpoints.clone());
    async fn form_login(
        req: HttpRequest,
        endpoints: web::Data<AuthEndpoints<tests::fixtures::Users>>,
        form: web::Form<std::collections::HashMap<String, String>>,
    ) -> Result<HttpResponse, auth_actix::dev::AuthFailure> {
        let user = endpoints
            .check_credentials(&req, &form["user"], &form["pass"])
            .await?;
        Ok(HttpResponse::Ok().body(user.username))
    }
    let app = test::init_service(
        App::new()
            .app_data(config())
            .app_data(own)
            .service(endpoints.token_resource("/login"))
            .route("/form-login", web::post().to(form_login)),
    )
    .await;
    let send = |path: &'static str, body: String, json: bool| {
        let req = test::TestRequest::post()
            .uri(path)
            .peer_addr("10.0.9.1:40000".parse().unwrap());
        let req = if json {
            req.insert_header(("content-type", "application/json"))
        } else {
            req.insert_header(("content-type", "application/x-www-form-urlencoded"))
        };
        req.set_payload(body).to_request()
    };
    let ok = send(
        "/login",
        json!({"username": "bob", "password": "bob-password"}).to_string(),
        true,
    );
    let res = test::call_service(&app, ok).await;
    assert_eq!(res.status(), 200);
    let tokens: Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
    assert!(tokens["access_token"].is_string(), "{tokens}");
    let res = test::call_service(&app, send("/login", "{".into(), true)).await;
    assert_eq!(res.status(), 400, "a malformed login body");
    let body: Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("username"),
        "{body}"
    );
    for _ in 0..5 {
        let res = test::call_service(
            &app,
            send("/form-login", "user=alice&pass=guess".into(), false),
        )
        .await;
        assert_eq!(res.status(), 401);
    }
    let res = test::call_service(
        &app,
        send(
            "/form-login",
            "user=alice&pass=alice-password".into(),
            false,
        ),
    )
    .await;
    assert_eq!(
        res.status(),
        429,
        "the sixth attempt, the right password included"
    );
    assert!(res.headers().contains_key("retry-after"));
    // One counter for both ways in: the own path is throttled too.
    let res = test::call_service(
        &app,
        send(
            "/login",
            json!({"username": "alice", "password": "alice-password"}).to_string(),
            true,
        ),
    )
    .await;
    assert_eq!(res.status(), 429);
}
