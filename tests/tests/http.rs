//! auth-actix through real actix-web services: statuses, headers and bodies a client sees.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{get, post, route, routes, test, web, App, HttpRequest, HttpResponse};
use auth_actix::extend::{Backend, Outcome, StoreError, StoreFuture, TokenRef};
use auth_actix::prelude::*;
use auth_actix::test::{token_for, token_for_context, TestRequestExt};
use auth_actix::{AuthError, RevocationStore, TokenOptions};
use serde_json::Value;

const SECRET: &str = "test-secret-that-is-long-enough-0123456789";

#[derive(AuthUser, Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct User {
    #[serde(rename = "sub", with = "id_as_string")]
    id: i64,
    username: String,
    #[auth(roles)]
    #[serde(rename = "roles")]
    groups: Vec<String>,
    #[serde(default)]
    permissions: Vec<String>,
    is_staff: bool,
    is_superuser: bool,
}

mod id_as_string {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

fn alice() -> User {
    User {
        id: 1,
        username: "alice".into(),
        groups: vec!["editor".into()],
        permissions: vec!["reports.view".into()],
        is_staff: true,
        is_superuser: false,
    }
}

fn bob() -> User {
    User {
        id: 2,
        username: "bob".into(),
        groups: vec!["viewer".into()],
        permissions: vec![],
        is_staff: false,
        is_superuser: false,
    }
}

// ---- handlers: every guard, every attribute order ----

#[get("/profile-claims")]
#[auth(jwt)]
async fn profile_claims(user: auth_actix::Claims<User>) -> web::Json<User> {
    web::Json(user.0)
}

#[get("/profile")]
#[auth(jwt)]
async fn profile(user: Auth<User>) -> web::Json<User> {
    web::Json(user.into_inner())
}

#[post("/articles")]
#[auth(jwt, api_key)]
#[guard(has_permission("articles.write"))]
async fn create_article(ctx: AuthContext, body: web::Json<Value>) -> String {
    format!(
        "by {} via {}: {}",
        ctx.user_id(),
        ctx.backend(),
        body["title"]
    )
}

#[guard(has_permission("articles.write"))]
#[auth(api_key, jwt)]
#[post("/articles-reordered")]
async fn create_reordered(ctx: AuthContext) -> String {
    format!("via {}", ctx.backend())
}

#[auth(jwt)]
#[get("/auth-above-route")]
#[guard(is_staff)]
async fn auth_above_route() -> &'static str {
    "ok"
}

#[get("/reports")]
#[guard(any(
    is_staff,
    has_role("analyst"),
    all(has_permission("reports.view"), not(has_role("suspended")))
))]
async fn reports() -> &'static str {
    "reports"
}

#[get("/public")]
#[guard(allow_any)]
async fn public(ctx: Option<AuthContext>) -> String {
    match ctx {
        Some(c) => format!("hello {}", c.user_id()),
        None => "hello anonymous".into(),
    }
}

#[get("/auth-only")]
#[auth(jwt)]
async fn auth_only(ctx: AuthContext) -> String {
    ctx.user_id().to_owned()
}

#[get("/guard-only")]
#[guard(has_role("editor"))]
async fn guard_only(ctx: AuthContext) -> String {
    ctx.backend().to_owned()
}

#[get("/no-macros")]
async fn no_macros(ctx: AuthContext) -> String {
    format!("{} {}", ctx.user_id(), ctx.backend())
}

#[get("/perms")]
#[guard(has_permissions("articles.read", "articles.write"))]
async fn perms() -> &'static str {
    "ok"
}

#[get("/any-perm")]
#[guard(has_any_permission("billing.view", "articles.read"))]
async fn any_perm() -> &'static str {
    "ok"
}

#[get("/any-role")]
#[guard(has_any_role("admin", "viewer"))]
async fn any_role() -> &'static str {
    "ok"
}

#[get("/superuser")]
#[guard(is_superuser)]
async fn superuser() -> &'static str {
    "ok"
}

#[get("/active")]
#[guard(is_active)]
async fn active() -> &'static str {
    "ok"
}

#[get("/two-guards")]
#[guard(is_staff)]
#[guard(has_role("editor"))]
async fn two_guards() -> &'static str {
    "ok"
}

#[get("/partner")]
#[auth(partner)]
async fn partner_route(ctx: AuthContext) -> String {
    format!("{} via {}", ctx.user_id(), ctx.backend())
}

#[get("/unregistered")]
#[auth(ldap)]
async fn unregistered() -> &'static str {
    "must never be reached"
}

#[routes]
#[get("/multi-a")]
#[get("/multi-b")]
#[guard(is_staff)]
async fn multi() -> &'static str {
    "ok"
}

#[route("/any-method", method = "GET", method = "PUT")]
#[auth(jwt)]
async fn any_method() -> &'static str {
    "ok"
}

fn owns_article(ctx: &AuthContext, req: &HttpRequest) -> bool {
    req.match_info().get("owner") == Some(ctx.user_id())
}

async fn owns_article_async(ctx: AuthContext, req: HttpRequest) -> bool {
    req.match_info().get("owner") == Some(ctx.user_id())
}

#[get("/owned/{owner}")]
#[guard(custom(owns_article))]
async fn owned() -> &'static str {
    "yours"
}

#[post("/owned-async/{owner}")]
#[guard(all(authenticated, custom_async(owns_article_async)))]
async fn owned_async(_body: web::Json<Value>) -> &'static str {
    "yours"
}

#[get("/claims")]
#[auth(jwt)]
async fn claims(c: auth_actix::Claims<Value>) -> String {
    c["username"].as_str().unwrap_or("-").to_owned()
}

// ---- backends, stores, loaders used by the tests ----

struct PartnerBackend;

impl Backend for PartnerBackend {
    async fn authenticate(&self, req: &(dyn RequestParts + Sync)) -> Outcome {
        match req.header("x-partner") {
            None => Outcome::NoCredentials,
            Some(b"acme") => Outcome::Authenticated(
                AuthContext::builder("partner:acme")
                    .roles(["editor"])
                    .build(),
            ),
            Some(_) => Outcome::Rejected(Reason::Other("unknown partner".into())),
        }
    }
}

/// A backend that has to wait (as a network call would) before answering.
struct SlowBackend;

impl Backend for SlowBackend {
    async fn authenticate(&self, req: &(dyn RequestParts + Sync)) -> Outcome {
        let has = req.header("x-slow").is_some();
        actix_rt::time::sleep(std::time::Duration::from_millis(5)).await;
        if has {
            Outcome::Rejected(Reason::Other("slow says no".into()))
        } else {
            Outcome::NoCredentials
        }
    }
}

struct CountingLoader(Arc<AtomicUsize>);

impl UserLoader<User> for CountingLoader {
    async fn load(&self, ctx: &AuthContext) -> Result<Option<User>, UserLoadError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        match ctx.user_id() {
            "1" => Ok(Some(User {
                username: "alice-from-db".into(),
                ..alice()
            })),
            "2" => Err(UserLoadError::new("database down")),
            _ => Ok(None),
        }
    }
}

struct DownStore;

impl RevocationStore for DownStore {
    fn name(&self) -> &'static str {
        "down"
    }
    fn is_revoked<'a>(&'a self, _: TokenRef<'a>) -> StoreFuture<'a, bool> {
        StoreFuture::boxed(async {
            Err(StoreError::new(
                "down",
                "connection refused to 10.0.0.1:6379",
            ))
        })
    }
    fn revoke_token<'a>(&'a self, _: &'a str, _: &'a str, _: u64) -> StoreFuture<'a, ()> {
        StoreFuture::ready(Err(StoreError::new("down", "connection refused")))
    }
    fn rotate<'a>(
        &'a self,
        _: auth_actix::extend::Rotate<'a>,
    ) -> StoreFuture<'a, auth_actix::extend::Rotation> {
        StoreFuture::ready(Err(StoreError::new("down", "connection refused")))
    }
    fn settle<'a>(&'a self, _: &'a str, _: &'a str) -> StoreFuture<'a, ()> {
        StoreFuture::ready(Err(StoreError::new("down", "connection refused")))
    }
    fn revoke_family<'a>(&'a self, _: &'a str, _: &'a str, _: u64) -> StoreFuture<'a, ()> {
        StoreFuture::ready(Err(StoreError::new("down", "connection refused")))
    }
    fn revoke_user_before<'a>(&'a self, _: &'a str, _: u64, _: u64) -> StoreFuture<'a, ()> {
        StoreFuture::ready(Err(StoreError::new("down", "connection refused")))
    }
}

fn config() -> AuthConfig {
    AuthConfig::builder()
        .jwt(JwtConfig::hs256(SECRET))
        .api_keys(
            ApiKeys::new()
                .key("sk-writer-0001", ["articles.write"])
                .key("sk-reader-0002", ["articles.read"]),
        )
        .backend("partner", PartnerBackend)
        .backend("slow", SlowBackend)
        .default_backends(["jwt", "api_key"])
        .roles(
            RoleMap::new()
                .grant("editor", ["articles.*"])
                .grant("viewer", ["articles.read"]),
        )
        .build()
        .unwrap()
}

macro_rules! app {
    ($cfg:expr) => {
        test::init_service(
            App::new()
                .app_data($cfg.clone())
                .service(profile)
                .service(profile_claims)
                .service(create_article)
                .service(create_reordered)
                .service(auth_above_route)
                .service(reports)
                .service(public)
                .service(auth_only)
                .service(guard_only)
                .service(no_macros)
                .service(perms)
                .service(any_perm)
                .service(any_role)
                .service(superuser)
                .service(active)
                .service(two_guards)
                .service(partner_route)
                .service(unregistered)
                .service(multi)
                .service(any_method)
                .service(owned)
                .service(owned_async)
                .service(claims),
        )
        .await
    };
}

struct Seen {
    status: StatusCode,
    challenge: Option<String>,
    body: String,
}

impl Seen {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

async fn seen<B: MessageBody>(res: ServiceResponse<B>) -> Seen {
    let status = res.status();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = test::read_body(res).await;
    Seen {
        status,
        challenge,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

async fn call<S, B>(app: &S, req: test::TestRequest) -> Seen
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    seen(test::call_service(app, req.to_request()).await).await
}

fn token(cfg: &AuthConfig, user: &User) -> String {
    token_for(cfg, user).unwrap()
}

#[actix_rt::test]
async fn guards_through_http() {
    let cfg = config();
    let app = app!(cfg);
    let a = token(&cfg, &alice());
    let b = token(&cfg, &bob());
    let root = token_for_context(&cfg, &AuthContext::builder("0").superuser(true).build()).unwrap();
    let inactive =
        token_for_context(&cfg, &AuthContext::builder("9").active(false).build()).unwrap();
    // (case, method+uri, token, expected status)
    let rows: Vec<(&str, &str, Option<&str>, u16)> = vec![
        ("reports: staff", "/reports", Some(&a), 200),
        ("reports: viewer denied", "/reports", Some(&b), 403),
        ("reports: anonymous", "/reports", None, 401),
        (
            "has_permissions: editor has articles.*",
            "/perms",
            Some(&a),
            200,
        ),
        (
            "has_permissions: viewer lacks write",
            "/perms",
            Some(&b),
            403,
        ),
        (
            "has_any_permission: viewer reads",
            "/any-perm",
            Some(&b),
            200,
        ),
        ("has_any_role: viewer", "/any-role", Some(&b), 200),
        ("has_any_role: editor denied", "/any-role", Some(&a), 403),
        ("is_superuser: root", "/superuser", Some(&root), 200),
        ("is_superuser: staff denied", "/superuser", Some(&a), 403),
        ("is_active: active", "/active", Some(&b), 200),
        (
            "is_active: inactive denied",
            "/active",
            Some(&inactive),
            403,
        ),
        ("two guards: both pass", "/two-guards", Some(&a), 200),
        ("two guards: one fails", "/two-guards", Some(&b), 403),
        ("guard only: default backends", "/guard-only", Some(&a), 200),
        (
            "auth above route attribute",
            "/auth-above-route",
            Some(&a),
            200,
        ),
        (
            "auth above route attribute: denied",
            "/auth-above-route",
            Some(&b),
            403,
        ),
        ("#[routes] first path", "/multi-a", Some(&a), 200),
        ("#[routes] second path", "/multi-b", Some(&b), 403),
        ("#[route] with methods", "/any-method", Some(&b), 200),
        ("#[route] anonymous", "/any-method", None, 401),
        ("custom guard: owner", "/owned/1", Some(&a), 200),
        ("custom guard: not owner", "/owned/1", Some(&b), 403),
        ("custom guard: anonymous", "/owned/1", None, 401),
        (
            "superuser passes permission checks",
            "/perms",
            Some(&root),
            200,
        ),
    ];
    for (name, uri, tok, status) in rows {
        let mut req = test::TestRequest::get().uri(uri);
        if let Some(t) = tok {
            req = req.bearer(t);
        }
        let got = call(&app, req).await;
        assert_eq!(
            got.status.as_u16(),
            status,
            "case {name}: body {}",
            got.body
        );
    }
}

/// A credential of a kind the route does not try is named in the 401 (it used to read "no
/// credentials were provided").
#[actix_rt::test]
async fn credentials_the_route_does_not_accept_are_named() {
    let cfg = config();
    let app = app!(cfg);
    let key_on_jwt_route = call(
        &app,
        test::TestRequest::get()
            .uri("/auth-only")
            .api_key("sk-reader-0002"),
    )
    .await;
    assert_eq!(key_on_jwt_route.status, 401);
    assert_eq!(
        key_on_jwt_route.json(),
        serde_json::json!({
            "error": "unauthorized",
            "detail": "this route does not accept api_key credentials; it accepts jwt"
        })
    );
    assert_eq!(
        key_on_jwt_route.challenge.as_deref(),
        Some(r#"Bearer realm="api""#),
        "no error attribute: the request had no credentials for this route"
    );
    assert!(!key_on_jwt_route.body.contains("sk-reader"));
}

#[actix_rt::test]
async fn refusals_have_rfc6750_headers_and_json_bodies() {
    let cfg = config();
    let app = app!(cfg);
    let none = call(&app, test::TestRequest::get().uri("/reports")).await;
    assert_eq!(none.status, 401);
    assert_eq!(
        none.challenge.as_deref(),
        Some(r#"Bearer realm="api""#),
        "no error attribute without credentials"
    );
    assert_eq!(
        none.json(),
        serde_json::json!({"error": "unauthorized", "detail": "no credentials were provided"})
    );

    let bad = call(
        &app,
        test::TestRequest::get().uri("/reports").bearer("x.y.z"),
    )
    .await;
    assert_eq!(bad.status, 401);
    assert_eq!(
        bad.challenge.as_deref(),
        Some(
            r#"Bearer realm="api", error="invalid_token", error_description="malformed token: header is not base64url""#
        )
    );
    assert_eq!(bad.json()["error"], "unauthorized");

    let expired = auth_actix::jwt::JwtConfig::hs256(SECRET)
        .build(None, None)
        .unwrap()
        .issue_for_context(
            &AuthContext::builder("1").build(),
            TokenOptions::access().expires_in_secs(0),
        )
        .unwrap();
    let exp = call(
        &app,
        test::TestRequest::get()
            .uri("/reports")
            .bearer(&expired.token),
    )
    .await;
    assert_eq!(exp.json()["detail"], "token expired");
    assert!(exp
        .challenge
        .unwrap()
        .contains(r#"error_description="token expired""#));

    let forbidden = call(
        &app,
        test::TestRequest::get()
            .uri("/reports")
            .bearer(&token(&cfg, &bob())),
    )
    .await;
    assert_eq!(forbidden.status, 403);
    assert_eq!(
        forbidden.json(),
        serde_json::json!({"error": "forbidden", "detail": "guard any(is_staff, has_role(\"analyst\"), all(has_permission(\"reports.view\"), not(has_role(\"suspended\")))) failed"})
    );
    assert!(forbidden
        .challenge
        .unwrap()
        .contains(r#"error="insufficient_scope""#));

    let bad_key = call(
        &app,
        test::TestRequest::post()
            .uri("/articles")
            .api_key("sk-wrong-key-9"),
    )
    .await;
    assert_eq!(bad_key.status, 401);
    assert_eq!(bad_key.json()["detail"], "invalid API key");
    assert!(
        !bad_key.body.contains("sk-wrong-key-9")
            && !bad_key.challenge.unwrap().contains("sk-wrong"),
        "the key never shows"
    );
}

#[actix_rt::test]
async fn jwt_and_api_key_on_one_route() {
    let cfg = config();
    let app = app!(cfg);
    let body = serde_json::json!({"title": "hi"});
    let by_key = call(
        &app,
        test::TestRequest::post()
            .uri("/articles")
            .api_key("sk-writer-0001")
            .set_json(&body),
    )
    .await;
    assert_eq!(
        (by_key.status.as_u16(), by_key.body.as_str()),
        (200, r#"by api_key:1 via api_key: "hi""#)
    );
    let by_jwt = call(
        &app,
        test::TestRequest::post()
            .uri("/articles")
            .bearer(&token(&cfg, &alice()))
            .set_json(&body),
    )
    .await;
    assert_eq!(
        (by_jwt.status.as_u16(), by_jwt.body.as_str()),
        (200, r#"by 1 via jwt: "hi""#)
    );
    let reader = call(
        &app,
        test::TestRequest::post()
            .uri("/articles")
            .api_key("sk-reader-0002")
            .set_json(&body),
    )
    .await;
    assert_eq!(reader.status, 403);
    // Both present: the route's order decides.
    let both = |uri: &str| {
        test::TestRequest::post()
            .uri(uri)
            .api_key("sk-writer-0001")
            .bearer(&token(&cfg, &alice()))
            .set_json(&body)
    };
    assert!(call(&app, both("/articles"))
        .await
        .body
        .ends_with("via jwt: \"hi\""));
    assert_eq!(
        call(&app, both("/articles-reordered")).await.body,
        "via api_key"
    );
}

#[actix_rt::test]
async fn defaults_from_app_data() {
    let cfg = config();
    let app = app!(cfg);
    // #[guard] alone: the default backends (jwt, api_key) authenticate.
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/guard-only")
            .bearer(&token(&cfg, &alice())),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "jwt"));
    // #[auth] alone: the default guard, `authenticated` when none is set.
    assert_eq!(
        call(&app, test::TestRequest::get().uri("/auth-only"))
            .await
            .status,
        401
    );
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/auth-only")
            .bearer(&token(&cfg, &bob())),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "2"));
    // #[auth(jwt)] does not accept an API key.
    assert_eq!(
        call(
            &app,
            test::TestRequest::get()
                .uri("/auth-only")
                .api_key("sk-writer-0001")
        )
        .await
        .status,
        401
    );
    // A configured default guard applies to #[auth]-only routes.
    let strict = AuthConfig::builder()
        .jwt(JwtConfig::hs256(SECRET))
        .default_guard(Policy::is_staff())
        .build()
        .unwrap();
    let app = app!(strict);
    assert_eq!(
        call(
            &app,
            test::TestRequest::get()
                .uri("/auth-only")
                .bearer(&token(&strict, &bob()))
        )
        .await
        .status,
        403
    );
    assert_eq!(
        call(
            &app,
            test::TestRequest::get()
                .uri("/auth-only")
                .bearer(&token(&strict, &alice()))
        )
        .await
        .status,
        200
    );
    // A handler with neither macro authenticates lazily through its extractor.
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/no-macros")
            .bearer(&token(&strict, &bob())),
    )
    .await;
    assert_eq!(r.body, "2 jwt");
}

#[actix_rt::test]
async fn allow_any_sees_credentials_but_never_refuses() {
    let cfg = config();
    let app = app!(cfg);
    assert_eq!(
        call(&app, test::TestRequest::get().uri("/public"))
            .await
            .body,
        "hello anonymous"
    );
    assert_eq!(
        call(
            &app,
            test::TestRequest::get()
                .uri("/public")
                .bearer(&token(&cfg, &bob()))
        )
        .await
        .body,
        "hello 2"
    );
    let bad = call(
        &app,
        test::TestRequest::get().uri("/public").bearer("garbage"),
    )
    .await;
    assert_eq!(
        (bad.status.as_u16(), bad.body.as_str()),
        (200, "hello anonymous")
    );
}

#[actix_rt::test]
async fn custom_backend_and_misconfigured_route() {
    let cfg = config();
    let app = app!(cfg);
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/partner")
            .insert_header(("X-Partner", "acme")),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.body.as_str()),
        (200, "partner:acme via partner")
    );
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/partner")
            .insert_header(("X-Partner", "evil")),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.json()["detail"].as_str()),
        (401, Some("unknown partner"))
    );
    // A backend name the configuration does not have: 500, never an allow.
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/unregistered")
            .bearer(&token(&cfg, &alice())),
    )
    .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"], "internal_error");
    assert!(!r.body.contains("never be reached"));
}

#[actix_rt::test]
async fn auth_user_from_the_loader_and_claims_from_the_token() {
    let cfg = config();
    let app = app!(cfg);
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/profile-claims")
            .bearer(&token(&cfg, &alice())),
    )
    .await;
    assert_eq!(r.status, 200);
    let user: User = serde_json::from_str(&r.body).unwrap();
    assert_eq!(user.username, "alice", "built from the token's claims");
    assert_eq!(user.groups, ["editor"]);
    // Auth<User> without a UserLoader<User> is a configuration error (500, the log says what
    // to register), not a 401.
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/profile")
            .bearer(&token(&cfg, &alice())),
    )
    .await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert_eq!(r.json()["error"], "internal_error");

    let calls = Arc::new(AtomicUsize::new(0));
    let cfg = AuthConfig::builder()
        .jwt(JwtConfig::hs256(SECRET))
        .user_loader(CountingLoader(calls.clone()))
        .build()
        .unwrap();
    let app = app!(cfg);
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/profile")
            .bearer(&token(&cfg, &alice())),
    )
    .await;
    assert_eq!(
        serde_json::from_str::<User>(&r.body).unwrap().username,
        "alice-from-db"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "loaded once");
    // Handlers that do not ask for the user never call the loader.
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/auth-only")
            .bearer(&token(&cfg, &alice())),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "not called for AuthContext"
    );
    // A loader failure is 503; a vanished user is 401.
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/profile")
            .bearer(&token(&cfg, &bob())),
    )
    .await;
    assert_eq!(r.status, 503);
    assert!(
        !r.body.contains("database down"),
        "internal detail not leaked: {}",
        r.body
    );
    let ghost = token_for_context(&cfg, &AuthContext::builder("77").build()).unwrap();
    assert_eq!(
        call(
            &app,
            test::TestRequest::get().uri("/profile").bearer(&ghost)
        )
        .await
        .status,
        401
    );
}

#[actix_rt::test]
async fn typed_claims() {
    let cfg = config();
    let app = app!(cfg);
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/claims")
            .bearer(&token(&cfg, &alice())),
    )
    .await;
    assert_eq!(r.body, "alice");
}

#[actix_rt::test]
async fn refused_requests_never_read_their_body() {
    let cfg = config();
    let app = app!(cfg);
    let malformed = || {
        test::TestRequest::post()
            .insert_header(("content-type", "application/json"))
            .set_payload("{not json")
    };
    // Synchronous decision.
    let r = call(&app, malformed().uri("/articles")).await;
    assert_eq!(r.status, 401, "401, not 400: {}", r.body);
    let r = call(&app, malformed().uri("/articles").api_key("sk-reader-0002")).await;
    assert_eq!(r.status, 403);
    // Asynchronous decision (custom async guard): the body is held back until it is made.
    let r = call(
        &app,
        malformed()
            .uri("/owned-async/1")
            .bearer(&token(&cfg, &bob())),
    )
    .await;
    assert_eq!(r.status, 403, "403, not 400: {}", r.body);
    // And when allowed, the body arrives intact.
    let ok = call(
        &app,
        test::TestRequest::post()
            .uri("/owned-async/1")
            .bearer(&token(&cfg, &alice()))
            .set_json(serde_json::json!({"a": 1})),
    )
    .await;
    assert_eq!((ok.status.as_u16(), ok.body.as_str()), (200, "yours"));
}

#[post("/slow")]
#[auth(slow, jwt)]
async fn slow_route(body: web::Json<Value>) -> String {
    body["x"].to_string()
}

#[actix_rt::test]
async fn async_backends_hold_the_body_until_decided() {
    let cfg = config();
    let app = test::init_service(App::new().app_data(cfg.clone()).service(slow_route)).await;
    let r = call(
        &app,
        test::TestRequest::post()
            .uri("/slow")
            .insert_header(("X-Slow", "1"))
            .insert_header(("content-type", "application/json"))
            .set_payload("{bad"),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.json()["detail"].as_str()),
        (401, Some("slow says no"))
    );
    let r = call(
        &app,
        test::TestRequest::post()
            .uri("/slow")
            .bearer(&token(&cfg, &alice()))
            .set_json(serde_json::json!({"x": 5})),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "5"));
}

#[actix_rt::test]
async fn store_down_is_503() {
    let cfg = AuthConfig::builder()
        .jwt(JwtConfig::hs256(SECRET))
        .revocation(DownStore)
        .build()
        .unwrap();
    let app = app!(cfg);
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/auth-only")
            .bearer(&token(&cfg, &alice())),
    )
    .await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["error"], "service_unavailable");
    assert!(!r.body.contains("10.0.0.1"), "store address not leaked");
}

async fn hello(ctx: Option<AuthContext>) -> String {
    ctx.map_or("anonymous".into(), |c| c.user_id().to_owned())
}

#[actix_rt::test]
async fn scope_middleware() {
    let cfg = config();
    let app = test::init_service(
        App::new()
            .app_data(cfg.clone())
            .service(
                web::scope("/api")
                    .wrap(RequireAuth::defaults())
                    .route("/hello", web::get().to(hello))
                    .service(reports)
                    .service(
                        web::scope("/admin")
                            .wrap(RequireAuth::defaults().guard(Policy::is_superuser()))
                            .route("/x", web::get().to(hello)),
                    ),
            )
            .route("/open", web::get().to(hello)),
    )
    .await;
    let a = token(&cfg, &alice());
    let b = token(&cfg, &bob());
    assert_eq!(
        call(&app, test::TestRequest::get().uri("/api/hello"))
            .await
            .status,
        401
    );
    assert_eq!(
        call(&app, test::TestRequest::get().uri("/api/hello").bearer(&b))
            .await
            .body,
        "2"
    );
    assert_eq!(
        call(
            &app,
            test::TestRequest::get()
                .uri("/api/hello")
                .api_key("sk-reader-0002")
        )
        .await
        .body,
        "api_key:2"
    );
    // Routes inside narrow further with their own guard.
    assert_eq!(
        call(
            &app,
            test::TestRequest::get().uri("/api/reports").bearer(&b)
        )
        .await
        .status,
        403
    );
    assert_eq!(
        call(
            &app,
            test::TestRequest::get().uri("/api/reports").bearer(&a)
        )
        .await
        .status,
        200
    );
    assert_eq!(
        call(
            &app,
            test::TestRequest::get().uri("/api/admin/x").bearer(&a)
        )
        .await
        .status,
        403
    );
    // Outside the scope nothing is required.
    assert_eq!(
        call(&app, test::TestRequest::get().uri("/open")).await.body,
        "anonymous"
    );
    // A CORS preflight is challenged like any request (actix-cors, wrapped outside, answers
    // preflights before they reach the scope).
    let pre = call(
        &app,
        test::TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/api/hello")
            .insert_header(("Access-Control-Request-Method", "GET")),
    )
    .await;
    assert_eq!(pre.status, 401);
    // A plain OPTIONS too.
    let opt = call(
        &app,
        test::TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/api/hello"),
    )
    .await;
    assert_eq!(opt.status, 401);
}

#[actix_rt::test]
async fn app_error_handler_replaces_bodies() {
    let cfg = AuthConfig::builder()
        .jwt(JwtConfig::hs256(SECRET))
        .error_handler(|err, req| {
            HttpResponse::build(match err {
                AuthError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            })
            .content_type("text/plain")
            .body(format!("nope: {} on {}", err, req.path()))
        })
        .build()
        .unwrap();
    let app = app!(cfg);
    let r = call(&app, test::TestRequest::get().uri("/reports")).await;
    assert_eq!(
        (r.status.as_u16(), r.body.as_str()),
        (
            401,
            "nope: not authenticated: no credentials were provided on /reports"
        )
    );
    let r = call(
        &app,
        test::TestRequest::get()
            .uri("/superuser")
            .bearer(&token(&cfg, &bob())),
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.body.starts_with("nope: forbidden"), "{}", r.body);
}

#[actix_rt::test]
async fn missing_config_is_a_500_not_a_401() {
    let app = test::init_service(App::new().service(reports)).await;
    let r = call(&app, test::TestRequest::get().uri("/reports")).await;
    assert_eq!(r.status, 500);
    // The body says where the explanation is (the log), never the configuration itself.
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("its log says what to fix"),
        "{}",
        r.body
    );
    // The configuration wrapped in web::Data is not the configuration: the same 500.
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(config()))
            .service(reports),
    )
    .await;
    let r = call(&app, test::TestRequest::get().uri("/reports")).await;
    assert_eq!(r.status, 500);
}

#[actix_rt::test]
async fn config_errors() {
    let rows: Vec<(&str, Result<AuthConfig, auth_actix::ConfigError>, &str)> = vec![
        (
            "no backends",
            AuthConfig::builder().build(),
            "no authentication backend",
        ),
        (
            "weak secret",
            AuthConfig::builder().jwt(JwtConfig::hs256("short")).build(),
            "at least 32",
        ),
        (
            "unknown default",
            AuthConfig::builder()
                .jwt(JwtConfig::hs256(SECRET))
                .default_backends(["jwt", "ldap"])
                .build(),
            "\"ldap\" is not registered",
        ),
        (
            "duplicate name",
            AuthConfig::builder()
                .jwt(JwtConfig::hs256(SECRET))
                .backend("jwt", PartnerBackend)
                .build(),
            "registered twice",
        ),
        (
            "bad role map",
            AuthConfig::builder()
                .jwt(JwtConfig::hs256(SECRET))
                .roles(RoleMap::new().grant("x", ["a..b"]))
                .build(),
            "a..b",
        ),
        (
            "weak api key",
            AuthConfig::builder()
                .api_keys(ApiKeys::new().key("k", ["a"]))
                .build(),
            "at least 8",
        ),
    ];
    for (name, r, needle) in rows {
        let e = r.expect_err(name).to_string();
        assert!(e.contains(needle), "case {name}: {e}");
    }
}

/// The test helper sends an API key where the configuration reads it (#34 friction item 9).
#[actix_rt::test]
async fn the_api_key_helper_uses_the_configured_header() {
    let cfg = AuthConfig::builder()
        .api_keys(
            ApiKeys::new()
                .key("sk-service-key-01", ["articles.read"])
                .header_with_prefix("Authorization", "ApiKey"),
        )
        .build()
        .unwrap();
    let app = app!(cfg);
    let req = test::TestRequest::get()
        .uri("/any-perm")
        .api_key_for(&cfg, "sk-service-key-01");
    assert_eq!(call(&app, req).await.status, 200);
    // The default header is not the one this configuration reads.
    let req = test::TestRequest::get()
        .uri("/any-perm")
        .api_key("sk-service-key-01");
    assert_eq!(call(&app, req).await.status, 401);
}
