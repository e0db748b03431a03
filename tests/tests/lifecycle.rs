//! The whole life of a token over HTTP: login, refresh rotation and reuse detection, logout,
//! logout everywhere, cookies, and several app instances sharing Redis or PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use actix_web::{get, test, App};
use auth_actix::endpoints::{AuthEndpoints, CookieSettings, TokenResponse};
use auth_actix::prelude::*;
use auth_actix::test::TestRequestExt;
use auth_actix::{RedisRevocation, RevocationStore, SqlRevocation};
use serde_json::{json, Value};
use tests::fixtures::{login, users};
use tests::{database_url, redis_url, require_service, status, unique, Proxy};

const SECRET: &str = "lifecycle-secret-that-is-long-enough-0123";

#[get("/articles")]
#[guard(has_permission("articles.read"))]
async fn articles(ctx: AuthContext) -> String {
    ctx.user_id().to_owned()
}

fn config(jwt: JwtConfig, store: Option<std::sync::Arc<dyn RevocationStore>>) -> AuthConfig {
    let mut b = AuthConfig::builder()
        .jwt(jwt)
        .roles(RoleMap::new().grant("editor", ["articles.*"]));
    if let Some(s) = store {
        b = b.revocation_arc(s);
    }
    b.build().unwrap()
}

macro_rules! app {
    ($cfg:expr, $endpoints:expr) => {
        test::init_service(
            App::new()
                .app_data($cfg.clone())
                .service($endpoints.scope("/auth"))
                .service(articles),
        )
        .await
    };
}

fn refresh_req(token: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/auth/refresh")
        .set_json(json!({"refresh_token": token}))
}

#[actix_rt::test]
async fn login_refresh_rotation_and_reuse_detection() {
    let cfg = config(JwtConfig::hs256(SECRET), None);
    let app = app!(cfg, AuthEndpoints::new(users()));

    let (code, body) = status(
        &app,
        test::TestRequest::post()
            .uri("/auth/token")
            .set_json(json!({"username": "alice", "password": "nope"})),
    )
    .await;
    assert_eq!(code, 401);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["detail"],
        "invalid username or password"
    );
    let (code, _) = status(
        &app,
        test::TestRequest::post()
            .uri("/auth/token")
            .set_json(json!({"username": "mallory", "password": "x"})),
    )
    .await;
    assert_eq!(code, 401, "unknown user: same answer");

    let first = login(&app, "alice").await;
    assert_eq!(first.token_type, "bearer");
    assert_eq!(first.expires_in, 900);
    assert_eq!(
        status(
            &app,
            test::TestRequest::get()
                .uri("/articles")
                .bearer(&first.access_token)
        )
        .await,
        (200, "1".into())
    );
    let (code, me) = status(
        &app,
        test::TestRequest::get()
            .uri("/auth/me")
            .bearer(&first.access_token),
    )
    .await;
    assert_eq!(code, 200);
    let me: Value = serde_json::from_str(&me).unwrap();
    assert_eq!(
        (me["user_id"].as_str(), me["name"].as_str()),
        (Some("1"), Some("alice"))
    );

    // A refresh token is not an access token, nor the other way round.
    assert_eq!(
        status(
            &app,
            test::TestRequest::get()
                .uri("/articles")
                .bearer(&first.refresh_token)
        )
        .await
        .0,
        401
    );
    assert_eq!(status(&app, refresh_req(&first.access_token)).await.0, 401);

    // Rotation: a new pair; the old refresh token is consumed.
    let (code, body) = status(&app, refresh_req(&first.refresh_token)).await;
    assert_eq!(code, 200, "{body}");
    let second: TokenResponse = serde_json::from_str(&body).unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        status(
            &app,
            test::TestRequest::get()
                .uri("/articles")
                .bearer(&second.access_token)
        )
        .await
        .0,
        200
    );

    // Reuse of the rotated token: 401, and the whole family dies with it.
    let (code, body) = status(&app, refresh_req(&first.refresh_token)).await;
    assert_eq!(code, 401);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["detail"],
        "token revoked"
    );
    assert_eq!(
        status(&app, refresh_req(&second.refresh_token)).await.0,
        401,
        "descendant refused after reuse"
    );

    // Other ways to present the refresh token: the X-Refresh-Token header.
    let third = login(&app, "alice").await;
    let (code, _) = status(
        &app,
        test::TestRequest::post()
            .uri("/auth/refresh")
            .insert_header(("X-Refresh-Token", third.refresh_token.as_str())),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        status(&app, test::TestRequest::post().uri("/auth/refresh"))
            .await
            .0,
        401,
        "no refresh token at all"
    );
}

#[actix_rt::test]
async fn logout_and_logout_everywhere() {
    let cfg = config(JwtConfig::hs256(SECRET), None);
    let app = app!(cfg, AuthEndpoints::new(users()));
    let s = login(&app, "alice").await;
    // Twice: the second answer comes from the verified-token cache, with the route's guard
    // remembered by the context. Neither may outlive the logout.
    for _ in 0..2 {
        let get = test::TestRequest::get()
            .uri("/articles")
            .bearer(&s.access_token);
        assert_eq!(status(&app, get).await.0, 200, "before logout");
    }
    let (code, _) = status(
        &app,
        test::TestRequest::post()
            .uri("/auth/logout")
            .bearer(&s.access_token)
            .set_json(json!({"refresh_token": s.refresh_token})),
    )
    .await;
    assert_eq!(code, 204);
    assert_eq!(
        status(
            &app,
            test::TestRequest::get()
                .uri("/articles")
                .bearer(&s.access_token)
        )
        .await
        .0,
        401,
        "access token revoked"
    );
    assert_eq!(
        status(&app, refresh_req(&s.refresh_token)).await.0,
        401,
        "refresh token revoked"
    );
    assert_eq!(
        status(&app, test::TestRequest::post().uri("/auth/logout"))
            .await
            .0,
        401,
        "logout needs a token"
    );

    let a = login(&app, "alice").await;
    let b = login(&app, "alice").await;
    assert_eq!(
        status(
            &app,
            test::TestRequest::post()
                .uri("/auth/logout-all")
                .bearer(&a.access_token)
        )
        .await
        .0,
        204
    );
    for t in [&a.access_token, &b.access_token] {
        assert_eq!(
            status(&app, test::TestRequest::get().uri("/articles").bearer(t))
                .await
                .0,
            401,
            "every device logged out"
        );
    }
    assert_eq!(
        status(&app, refresh_req(&b.refresh_token)).await.0,
        401,
        "refresh tokens too"
    );
    // Tokens issued after the stamp (iat has one-second resolution) work again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let fresh = login(&app, "alice").await;
    assert_eq!(
        status(
            &app,
            test::TestRequest::get()
                .uri("/articles")
                .bearer(&fresh.access_token)
        )
        .await
        .0,
        200
    );
}

#[actix_rt::test]
async fn cookie_delivery() {
    let cfg = config(JwtConfig::hs256(SECRET).cookie("access_token"), None);
    let app = app!(
        cfg,
        AuthEndpoints::new(users()).cookies(CookieSettings::new())
    );
    let res = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/auth/token")
            .set_json(json!({"username": "alice", "password": "alice-password"}))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(cookies.len(), 2);
    for c in &cookies {
        assert!(
            c.contains("HttpOnly") && c.contains("Secure") && c.contains("SameSite=Strict"),
            "{c}"
        );
    }
    let value = |name: &str| {
        cookies
            .iter()
            .find_map(|c| {
                c.strip_prefix(&format!("{name}="))
                    .map(|v| v.split(';').next().unwrap().to_owned())
            })
            .unwrap()
    };
    let (access, refresh) = (value("access_token"), value("refresh_token"));
    let with_cookies = |req: test::TestRequest| {
        req.insert_header((
            "Cookie",
            format!("access_token={access}; refresh_token={refresh}"),
        ))
    };
    assert_eq!(
        status(
            &app,
            with_cookies(test::TestRequest::get().uri("/articles"))
        )
        .await
        .0,
        200,
        "the JWT backend reads the cookie"
    );
    assert_eq!(
        status(
            &app,
            with_cookies(test::TestRequest::post().uri("/auth/refresh"))
        )
        .await
        .0,
        200,
        "refresh from the cookie"
    );
    // A cookie logout is a state change: refused without proof of the same origin (CSRF).
    assert_eq!(
        status(
            &app,
            with_cookies(test::TestRequest::post().uri("/auth/logout"))
        )
        .await
        .0,
        403,
        "a cookie logout without Origin"
    );
    let res = test::call_service(
        &app,
        with_cookies(test::TestRequest::post().uri("/auth/logout"))
            .insert_header(("Host", "app.test"))
            // The test server is plain http: its own origin is http://app.test.
            .insert_header(("Origin", "http://app.test"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 204);
    let cleared: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cleared.iter().all(|c| c.contains("Max-Age=0")),
        "{cleared:?}"
    );
}

/// Two app instances sharing one store: a logout on one is refused on the other.
async fn shared_store_instances(
    a: std::sync::Arc<dyn RevocationStore>,
    b: std::sync::Arc<dyn RevocationStore>,
) {
    let cfg_a = config(JwtConfig::hs256(SECRET), Some(a));
    let cfg_b = config(JwtConfig::hs256(SECRET), Some(b));
    let app_a = app!(cfg_a, AuthEndpoints::new(users()));
    let app_b = app!(cfg_b, AuthEndpoints::new(users()));
    let s = login(&app_a, "alice").await;
    assert_eq!(
        status(
            &app_b,
            test::TestRequest::get()
                .uri("/articles")
                .bearer(&s.access_token)
        )
        .await
        .0,
        200
    );
    assert_eq!(
        status(
            &app_a,
            test::TestRequest::post()
                .uri("/auth/logout")
                .bearer(&s.access_token)
        )
        .await
        .0,
        204
    );
    let start = Instant::now();
    loop {
        let code = status(
            &app_b,
            test::TestRequest::get()
                .uri("/articles")
                .bearer(&s.access_token),
        )
        .await
        .0;
        if code == 401 {
            break;
        }
        assert_eq!(code, 200);
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "instance B still accepts the token after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Refresh reuse detected across instances.
    let s = login(&app_a, "alice").await;
    assert_eq!(status(&app_a, refresh_req(&s.refresh_token)).await.0, 200);
    assert_eq!(status(&app_b, refresh_req(&s.refresh_token)).await.0, 401);
}

#[actix_rt::test]
async fn instances_share_redis() {
    require_service("Redis", &redis_url()).await;
    let prefix = unique("http");
    let a = RedisRevocation::new(&redis_url())
        .unwrap()
        .prefix(&prefix)
        .start();
    let b = RedisRevocation::new(&redis_url())
        .unwrap()
        .prefix(&prefix)
        .start();
    assert!(
        a.wait_synced(Duration::from_secs(5)).await && b.wait_synced(Duration::from_secs(5)).await
    );
    shared_store_instances(std::sync::Arc::new(a), std::sync::Arc::new(b)).await;
}

#[actix_rt::test]
async fn instances_share_postgres() {
    require_service("PostgreSQL", &database_url()).await;
    let a = SqlRevocation::connect(&database_url()).await.unwrap();
    let b = SqlRevocation::connect(&database_url()).await.unwrap();
    shared_store_instances(std::sync::Arc::new(a), std::sync::Arc::new(b)).await;
}

#[actix_rt::test]
async fn unreachable_store_is_503_within_the_timeout_then_recovers() {
    require_service("Redis", &redis_url()).await;
    let proxy = Proxy::start(&tests::host_port(&redis_url())).await;
    let timeout = Duration::from_millis(300);
    let store = RedisRevocation::new(&format!("redis://{}", proxy.addr))
        .unwrap()
        .prefix(unique("http-down"))
        .timeout(timeout)
        .start();
    assert!(store.wait_synced(Duration::from_secs(5)).await);
    let cfg = config(JwtConfig::hs256(SECRET), Some(std::sync::Arc::new(store)));
    let app = app!(cfg, AuthEndpoints::new(users()));
    let s = login(&app, "alice").await;
    assert_eq!(
        status(
            &app,
            test::TestRequest::get()
                .uri("/articles")
                .bearer(&s.access_token)
        )
        .await
        .0,
        200
    );
    proxy.disable();
    let start = Instant::now();
    loop {
        let call = Instant::now();
        let (code, body) = status(
            &app,
            test::TestRequest::get()
                .uri("/articles")
                .bearer(&s.access_token),
        )
        .await;
        assert!(
            call.elapsed() < timeout + Duration::from_millis(300),
            "request took {:?}",
            call.elapsed()
        );
        if code == 503 {
            assert!(
                !body.contains(&proxy.addr),
                "store address not leaked: {body}"
            );
            break;
        }
        assert_eq!(code, 200);
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "never failed closed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    proxy.enable();
    let start = Instant::now();
    while status(
        &app,
        test::TestRequest::get()
            .uri("/articles")
            .bearer(&s.access_token),
    )
    .await
    .0 != 200
    {
        assert!(start.elapsed() < Duration::from_secs(5), "did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A store that counts the questions it is asked, and passes them on to a real one.
struct Counting {
    inner: SqlRevocation,
    checks: std::sync::atomic::AtomicUsize,
}

impl RevocationStore for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn is_revoked<'a>(
        &'a self,
        t: auth_actix::extend::TokenRef<'a>,
    ) -> auth_actix::extend::StoreFuture<'a, bool> {
        self.checks
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.is_revoked(t)
    }
    fn revoke_token<'a>(
        &'a self,
        jti: &'a str,
        user: &'a str,
        exp: u64,
    ) -> auth_actix::extend::StoreFuture<'a, ()> {
        self.inner.revoke_token(jti, user, exp)
    }
    fn rotate<'a>(
        &'a self,
        r: auth_actix::extend::Rotate<'a>,
    ) -> auth_actix::extend::StoreFuture<'a, auth_actix::extend::Rotation> {
        self.inner.rotate(r)
    }
    fn settle<'a>(
        &'a self,
        family: &'a str,
        current: &'a str,
    ) -> auth_actix::extend::StoreFuture<'a, ()> {
        self.inner.settle(family, current)
    }
    fn revoke_family<'a>(
        &'a self,
        f: &'a str,
        user: &'a str,
        exp: u64,
    ) -> auth_actix::extend::StoreFuture<'a, ()> {
        self.inner.revoke_family(f, user, exp)
    }
    fn revoke_user_before<'a>(
        &'a self,
        user: &'a str,
        before: u64,
        exp: u64,
    ) -> auth_actix::extend::StoreFuture<'a, ()> {
        self.inner.revoke_user_before(user, before, exp)
    }
}

/// A store that must be awaited (PostgreSQL) is asked once per request, so the token, checked
/// just before, is verified once: the request does not try a synchronous path first and verify
/// again on the asynchronous one.
#[actix_rt::test]
async fn an_awaited_store_is_asked_once_per_request() {
    require_service("PostgreSQL", &database_url()).await;
    let store = std::sync::Arc::new(Counting {
        inner: SqlRevocation::connect(&database_url()).await.unwrap(),
        checks: Default::default(),
    });
    let cfg = config(JwtConfig::hs256(SECRET), Some(store.clone()));
    let app = app!(cfg, AuthEndpoints::new(users()));
    let s = login(&app, "alice").await;
    let checks = || store.checks.load(std::sync::atomic::Ordering::SeqCst);
    let before = checks();
    for _ in 0..5 {
        let req = test::TestRequest::get()
            .uri("/articles")
            .bearer(&s.access_token);
        assert_eq!(status(&app, req).await.0, 200);
    }
    assert_eq!(checks() - before, 5, "one store check per request");
    // And the answer is the store's: a logged-out token is refused, still with one check.
    let logout = test::TestRequest::post()
        .uri("/auth/logout")
        .bearer(&s.access_token);
    assert_eq!(status(&app, logout).await.0, 204);
    let before = checks();
    let req = test::TestRequest::get()
        .uri("/articles")
        .bearer(&s.access_token);
    assert_eq!(status(&app, req).await.0, 401);
    assert_eq!(checks() - before, 1);
}

/// The test helper mints what `POST /auth/token` mints: the same claims (a test passes only
/// where production does), permissions included only when the configuration puts them in.
#[actix_rt::test]
async fn the_test_helper_mints_what_the_login_mints() {
    let names = |token: &str| -> Vec<String> {
        let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(token).unwrap();
        let mut names: Vec<String> = claims.as_object().unwrap().keys().cloned().collect();
        // A pair's access token also names its refresh family.
        names.retain(|n| n != "fam");
        names.sort();
        names
    };
    for with_permissions in [false, true] {
        let jwt = JwtConfig::hs256(SECRET).permissions_in_tokens(with_permissions);
        let cfg = config(jwt, None);
        let app = app!(cfg, AuthEndpoints::new(users()));
        let login = login(&app, "alice").await;
        let alice = users()
            .0
            .iter()
            .find(|u| u.username == "alice")
            .unwrap()
            .clone();
        let minted = auth_actix::test::token_for(&cfg, &alice).unwrap();
        assert_eq!(
            names(&minted),
            names(&login.access_token),
            "permissions_in_tokens({with_permissions})"
        );
        assert_eq!(
            names(&minted).contains(&"permissions".to_owned()),
            with_permissions
        );
    }
}
