//! CSRF defence for the JWT cookie: a state-changing request authenticated from a cookie must be
//! same-origin (and carry the double-submit token when configured); header credentials are not
//! affected. Statuses as a browser's page would see them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::{get, post, test, App, HttpResponse};
use auth_actix::prelude::*;
use auth_actix::Csrf;

const SECRET: &str = "csrf-test-secret-that-is-long-enough-0123";
const KEY: &str = "sk-csrf-writer-001";

#[post("/articles")]
#[auth(jwt, api_key)]
async fn create(ctx: AuthContext) -> HttpResponse {
    HttpResponse::Created().body(ctx.backend().to_owned())
}

#[get("/articles")]
#[auth(jwt, api_key)]
async fn list() -> &'static str {
    "[]"
}

#[post("/public")]
#[guard(allow_any)]
async fn public(ctx: Option<AuthContext>) -> String {
    ctx.map_or("anonymous".into(), |c| c.user_id().to_owned())
}

fn config(csrf: Option<Csrf>) -> AuthConfig {
    let b = AuthConfig::builder()
        .jwt(JwtConfig::hs256(SECRET).cookie("access_token"))
        .api_keys(ApiKeys::new().key(KEY, ["articles.write"]));
    match csrf {
        Some(c) => b.csrf(c),
        None => b,
    }
    .build()
    .unwrap()
}

fn token(cfg: &AuthConfig) -> String {
    auth_actix::test::token_for_context(cfg, &auth_actix::AuthContext::builder("7").build())
        .unwrap()
}

/// `(status, body)` of a request to `path` with `headers` (the Host is `app.test`).
async fn send(
    cfg: &AuthConfig,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
) -> (u16, String) {
    let app = test::init_service(
        App::new()
            .app_data(cfg.clone())
            .service(create)
            .service(list)
            .service(public),
    )
    .await;
    let mut req = match method {
        "GET" => test::TestRequest::get(),
        _ => test::TestRequest::post(),
    }
    .uri(path)
    .insert_header(("host", "app.test"));
    for (k, v) in headers {
        req = req.insert_header((*k, v.as_str()));
    }
    tests::status(&app, req).await
}

#[actix_rt::test]
async fn a_cookie_credential_changes_state_only_from_the_same_origin() {
    let cfg = config(None);
    let cookie = ("cookie", format!("access_token={}", token(&cfg)));
    let same = ("origin", "http://app.test".to_owned());
    let other = ("origin", "https://evil.example".to_owned());

    assert_eq!(
        send(&cfg, "POST", "/articles", &[cookie.clone(), same.clone()])
            .await
            .0,
        201
    );
    let (code, body) = send(&cfg, "POST", "/articles", &[cookie.clone(), other.clone()]).await;
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("cross-origin"), "{body}");
    let (code, body) = send(&cfg, "POST", "/articles", std::slice::from_ref(&cookie)).await;
    assert_eq!(code, 403, "no Origin, no Referer: {body}");
    let referer = ("referer", "http://app.test/editor?x=1".to_owned());
    assert_eq!(
        send(&cfg, "POST", "/articles", &[cookie.clone(), referer])
            .await
            .0,
        201
    );
    let null = ("origin", "null".to_owned());
    assert_eq!(
        send(&cfg, "POST", "/articles", &[cookie.clone(), null])
            .await
            .0,
        403
    );
    // Safe methods are not checked.
    assert_eq!(
        send(&cfg, "GET", "/articles", &[cookie.clone(), other.clone()])
            .await
            .0,
        200
    );
    // On an allow_any route the cross-site request is served, as anonymous.
    let (code, body) = send(&cfg, "POST", "/public", &[cookie.clone(), other.clone()]).await;
    assert_eq!((code, body.as_str()), (200, "anonymous"));
    assert_eq!(send(&cfg, "POST", "/public", &[cookie, same]).await.1, "7");
}

#[actix_rt::test]
async fn header_credentials_are_not_affected() {
    let cfg = config(None);
    let other = ("origin", "https://evil.example".to_owned());
    let bearer = ("authorization", format!("Bearer {}", token(&cfg)));
    let (code, body) = send(&cfg, "POST", "/articles", &[bearer, other.clone()]).await;
    assert_eq!((code, body.as_str()), (201, "jwt"));
    let key = ("x-api-key", KEY.to_owned());
    let (code, body) = send(&cfg, "POST", "/articles", &[key, other]).await;
    assert_eq!((code, body.as_str()), (201, "api_key"));
}

#[actix_rt::test]
async fn allowed_origins_and_the_double_submit_token() {
    let cfg = config(Some(
        Csrf::new()
            .allowed_origins(["https://app.example.com"])
            .double_submit("csrf_token"),
    ));
    let t = token(&cfg);
    let cookies = |csrf: &str| ("cookie", format!("access_token={t}; csrf_token={csrf}"));
    let allowed = ("origin", "https://app.example.com".to_owned());
    let header = |v: &str| ("x-csrf-token", v.to_owned());
    // The token of this access token (a digest of its jti), as the cookie login sets it.
    let verified = cfg.jwt().unwrap().verify(&t).unwrap();
    let bound = auth_actix::test::csrf_token(verified.token().unwrap().jti.as_deref().unwrap());

    let ok = [cookies(&bound), allowed.clone(), header(&bound)];
    assert_eq!(send(&cfg, "POST", "/articles", &ok).await.0, 201);
    // A made-up pair of cookie and header is not the credential's token.
    let made_up = [
        cookies("c5rf-value-1"),
        allowed.clone(),
        header("c5rf-value-1"),
    ];
    assert_eq!(send(&cfg, "POST", "/articles", &made_up).await.0, 403);
    // Nor is another token's.
    let other = auth_actix::test::csrf_token("another-jti");
    assert_eq!(
        send(
            &cfg,
            "POST",
            "/articles",
            &[cookies(&other), allowed.clone(), header(&other)]
        )
        .await
        .0,
        403
    );
    let wrong = [
        cookies("c5rf-value-1"),
        allowed.clone(),
        header("c5rf-value-2"),
    ];
    let (code, body) = send(&cfg, "POST", "/articles", &wrong).await;
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("X-CSRF-Token"), "{body}");
    let missing = [cookies("c5rf-value-1"), allowed.clone()];
    assert_eq!(send(&cfg, "POST", "/articles", &missing).await.0, 403);
    let empty = [cookies(""), allowed, header("")];
    assert_eq!(send(&cfg, "POST", "/articles", &empty).await.0, 403);
    // The request's own host is not an allowed origin once a list is given.
    let own = [
        cookies(&bound),
        ("origin", "http://app.test".to_owned()),
        header(&bound),
    ];
    assert_eq!(send(&cfg, "POST", "/articles", &own).await.0, 403);

    let off = config(Some(Csrf::new().dangerous_off()));
    let cross = [
        ("cookie", format!("access_token={}", token(&off))),
        ("origin", "https://evil.example".to_owned()),
    ];
    assert_eq!(send(&off, "POST", "/articles", &cross).await.0, 201);
}
