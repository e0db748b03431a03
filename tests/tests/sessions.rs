//! Browser sessions with actix-session's real stores (the cookie store, and Redis on 127.0.0.1):
//! login renews the session id, the cookie authenticates, logout (one or all) makes old copies
//! of the cookie worthless, a password change or a deleted user ends the session, idle and
//! absolute timeouts, the session beside JWT and API keys on one route, and the CSRF rules.
//! Each request carries the cookies the previous answers set, as a browser would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_session::storage::RedisSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::Key;
use actix_web::{get, post, test, App, HttpResponse};
use auth_actix::core::session::{SessionUsers, Sessions};
use auth_actix::endpoints::{AuthEndpoints, CredentialsVerifier};
use auth_actix::prelude::*;
use auth_actix::Csrf;

const ORIGIN: &str = "http://app.test";
const SECRET: &str = "session-test-secret-that-is-long-enough-01";
const KEY: &str = "sk-session-writer-01";

#[derive(Clone, Debug)]
struct User {
    id: &'static str,
    name: &'static str,
    password_hash: String,
}

impl AuthUser for User {
    fn auth_id(&self) -> Cow<'_, str> {
        self.id.into()
    }
    fn auth_name(&self) -> Option<Cow<'_, str>> {
        Some(self.name.into())
    }
    fn auth_roles(&self) -> Vec<Cow<'_, str>> {
        vec!["editor".into()]
    }
    fn auth_password_hash(&self) -> Option<Cow<'_, str>> {
        Some(self.password_hash.as_str().into())
    }
}

/// alice and bob; a password is "hashed" as `plain:<password>` (these tests are about
/// sessions, not Argon2).
#[derive(Clone)]
struct Users(Arc<Mutex<Vec<User>>>);

impl Users {
    fn new() -> Self {
        let user = |id, name: &'static str| User {
            id,
            name,
            password_hash: format!("plain:{name}-password"),
        };
        Users(Arc::new(Mutex::new(vec![
            user("1", "alice"),
            user("2", "bob"),
        ])))
    }

    fn set_password(&self, name: &str, password: &str) {
        let mut users = self.0.lock().unwrap();
        let u = users.iter_mut().find(|u| u.name == name).unwrap();
        u.password_hash = format!("plain:{password}");
    }
}

impl CredentialsVerifier for Users {
    type User = User;
    async fn verify(&self, username: &str, password: &str) -> Result<Option<User>, UserLoadError> {
        let users = self.0.lock().unwrap();
        let want = format!("plain:{password}");
        Ok(users
            .iter()
            .find(|u| u.name == username && u.password_hash == want)
            .cloned())
    }
}

impl SessionUsers for Users {
    type User = User;
    async fn load(&self, user_id: &str) -> Result<Option<User>, UserLoadError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|u| u.id == user_id)
            .cloned())
    }
}

#[get("/me")]
#[auth(jwt, api_key, session)]
async fn me(ctx: AuthContext) -> String {
    format!("{} via {}", ctx.user_id(), ctx.backend())
}

#[post("/articles")]
#[auth(jwt, api_key, session)]
#[guard(has_permission("articles.write"))]
async fn create(ctx: AuthContext) -> HttpResponse {
    HttpResponse::Created().body(ctx.backend().to_owned())
}

/// A page that puts something in the session before login (so that there is an id to fix).
#[post("/cart")]
async fn cart(session: Session) -> HttpResponse {
    session.insert("cart", 1).unwrap();
    HttpResponse::NoContent().finish()
}

fn config(_users: &Users, sessions: Sessions) -> AuthConfig {
    AuthConfig::builder()
        .jwt(JwtConfig::hs256(SECRET))
        .api_keys(ApiKeys::new().key(KEY, ["articles.write"]))
        .sessions(sessions)
        .roles(RoleMap::new().grant("editor", ["articles.*"]))
        .csrf(
            Csrf::new()
                .allowed_origins([ORIGIN])
                .double_submit("csrf_token"),
        )
        .build()
        .unwrap()
}

/// The app under test, with actix-session's middleware over `$store`.
macro_rules! app {
    ($cfg:expr, $users:expr, $store:expr) => {
        test::init_service(
            App::new()
                .wrap(
                    SessionMiddleware::builder($store, Key::from(&[7u8; 64]))
                        .cookie_name("session".into())
                        .build(),
                )
                .wrap(auth_actix::SessionStoreErrors)
                .app_data($cfg.clone())
                .service(me)
                .service(create)
                .service(cart)
                .service(
                    AuthEndpoints::new($users.clone())
                        .dangerous_no_throttle()
                        .scope("/auth"),
                ),
        )
        .await
    };
}

/// A browser: keeps the cookies answers set, sends them back with the page's origin and
/// the double-submit header.
#[derive(Clone, Default)]
struct Browser {
    cookies: BTreeMap<String, String>,
    set_cookie: Vec<String>,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn session(&self) -> Option<&str> {
        self.cookies.get("session").map(String::as_str)
    }

    /// Sends `req` as the page at `ORIGIN` would.
    async fn send<S, B>(&mut self, app: &S, req: test::TestRequest) -> (u16, String)
    where
        S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
        B: actix_web::body::MessageBody,
    {
        let csrf = self.cookies.get("csrf_token").cloned().unwrap_or_default();
        self.send_raw(
            app,
            req.insert_header(("origin", ORIGIN))
                .insert_header(("x-csrf-token", csrf)),
        )
        .await
    }

    /// Sends `req` with the cookies only.
    async fn send_raw<S, B>(&mut self, app: &S, req: test::TestRequest) -> (u16, String)
    where
        S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
        B: actix_web::body::MessageBody,
    {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.insert_header(("cookie", self.cookie_header()))
        };
        let res = test::call_service(app, req.to_request()).await;
        self.set_cookie.clear();
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap().to_owned();
            let c = actix_web::cookie::Cookie::parse(v.clone()).unwrap();
            if c.max_age() == Some(actix_web::cookie::time::Duration::ZERO) {
                self.cookies.remove(c.name());
            } else {
                self.cookies.insert(c.name().into(), c.value().into());
            }
            self.set_cookie.push(v);
        }
        let status = res.status().as_u16();
        let body = test::read_body(res).await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

fn login(who: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/auth/session")
        .set_json(serde_json::json!({"username": who, "password": format!("{who}-password")}))
}

fn get_me() -> test::TestRequest {
    test::TestRequest::get().uri("/me")
}

fn post_article() -> test::TestRequest {
    test::TestRequest::post().uri("/articles")
}

fn logout() -> test::TestRequest {
    test::TestRequest::delete().uri("/auth/session")
}

/// The whole life of a session with one store: the id changes at login, the cookie
/// authenticates, logout refuses the old cookie.
macro_rules! life_of_a_session {
    ($store:expr) => {{
        let users = Users::new();
        let cfg = config(&users, Sessions::new(users.clone()));
        let app = app!(cfg, users, $store);
        let mut browser = Browser::default();

        assert_eq!(
            browser
                .send(&app, test::TestRequest::post().uri("/cart"))
                .await
                .0,
            204
        );
        let before = browser
            .session()
            .expect("a session before login")
            .to_owned();
        let (code, body) = browser.send(&app, login("alice")).await;
        assert_eq!(code, 200, "{body}");
        assert!(body.contains(r#""backend":"session""#), "{body}");
        let after = browser.session().expect("a session after login").to_owned();
        assert_ne!(before, after, "the session id is renewed at login");
        let session_cookie = browser
            .set_cookie
            .iter()
            .find(|c| c.starts_with("session="))
            .unwrap();
        assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
        assert!(session_cookie.contains("SameSite=Lax"), "{session_cookie}");
        let csrf_cookie = browser
            .set_cookie
            .iter()
            .find(|c| c.starts_with("csrf_token="))
            .unwrap();
        assert!(!csrf_cookie.contains("HttpOnly"), "{csrf_cookie}");
        assert!(csrf_cookie.contains("Secure"), "{csrf_cookie}");

        // The planted pre-login session is worth nothing: it holds no login.
        let mut planted = Browser::default();
        planted.cookies.insert("session".into(), before);
        assert_eq!(planted.send(&app, get_me()).await.0, 401);

        assert_eq!(
            browser.send(&app, get_me()).await,
            (200, "1 via session".into())
        );
        assert_eq!(
            browser.send(&app, post_article()).await,
            (201, "session".into())
        );

        let kept = browser.clone();
        assert_eq!(browser.send(&app, logout()).await.0, 204);
        assert_eq!(browser.session(), None, "logout clears the cookie");
        let mut replay = kept;
        let (code, body) = replay.send(&app, get_me()).await;
        assert_eq!(code, 401, "the old cookie is refused after logout: {body}");
        assert!(
            body.contains("logged out") || body.contains("no credentials"),
            "{body}"
        );
    }};
}

#[actix_rt::test]
async fn a_session_in_the_cookie_store() {
    life_of_a_session!(actix_session::storage::CookieSessionStore::default());
}

#[actix_rt::test]
async fn a_session_in_redis() {
    let url = tests::redis_url();
    tests::require_service("Redis", &url).await;
    let store = RedisSessionStore::new(url).await.unwrap();
    life_of_a_session!(store);
}

#[actix_rt::test]
async fn the_cookie_store_refuses_a_replayed_cookie_after_logout_by_its_session_id() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );
    let mut browser = Browser::default();
    assert_eq!(browser.send(&app, login("alice")).await.0, 200);
    let kept = browser.clone();
    assert_eq!(browser.send(&app, logout()).await.0, 204);
    // The cookie store keeps the login in the cookie itself: only the revoked id refuses it.
    let (code, body) = kept.clone().send(&app, get_me()).await;
    assert_eq!(
        (code, body.contains("the session was logged out")),
        (401, true),
        "{body}"
    );
}

#[actix_rt::test]
async fn logout_all_ends_every_session_and_token_of_the_user() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );
    let (mut laptop, mut phone, mut other) =
        (Browser::default(), Browser::default(), Browser::default());
    for b in [&mut laptop, &mut phone] {
        assert_eq!(b.send(&app, login("alice")).await.0, 200);
    }
    assert_eq!(other.send(&app, login("bob")).await.0, 200);
    let token = auth_actix::test::token_for_context(
        &cfg,
        &auth_actix::core::AuthContext::builder("1").build(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(2));

    let req = test::TestRequest::post().uri("/auth/session/logout-all");
    assert_eq!(laptop.send(&app, req).await.0, 204);
    assert_eq!(
        phone.send(&app, get_me()).await.0,
        401,
        "the other session ended"
    );
    let bearer = test::TestRequest::get()
        .uri("/me")
        .insert_header(("authorization", format!("Bearer {token}")));
    assert_eq!(
        tests::status(&app, bearer).await.0,
        401,
        "alice's token ended too"
    );
    assert_eq!(
        other.send(&app, get_me()).await,
        (200, "2 via session".into())
    );

    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(phone.send(&app, login("alice")).await.0, 200);
    assert_eq!(phone.send(&app, get_me()).await.0, 200, "a new login works");
}

#[actix_rt::test]
async fn a_new_password_or_a_deleted_user_ends_the_session_and_purges_it() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );
    let mut browser = Browser::default();
    assert_eq!(browser.send(&app, login("alice")).await.0, 200);
    users.set_password("alice", "a-new-password");
    let (code, body) = browser.send(&app, get_me()).await;
    assert_eq!(code, 401);
    assert!(body.contains("the password changed"), "{body}");
    assert_eq!(browser.session(), None, "the ended session is purged");

    let mut bob = Browser::default();
    assert_eq!(bob.send(&app, login("bob")).await.0, 200);
    users.0.lock().unwrap().retain(|u| u.name != "bob");
    let (code, body) = bob.send(&app, get_me()).await;
    assert_eq!(code, 401);
    assert!(body.contains("no longer exists"), "{body}");
    assert_eq!(bob.session(), None);
}

#[actix_rt::test]
async fn idle_and_absolute_timeouts() {
    let users = Users::new();
    let sessions = Sessions::new(users.clone())
        .idle_timeout(Duration::from_secs(3))
        .absolute_timeout(Duration::from_secs(6));
    let cfg = config(&users, sessions);
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );

    let mut idle = Browser::default();
    assert_eq!(idle.send(&app, login("alice")).await.0, 200);
    let mut busy = Browser::default();
    assert_eq!(busy.send(&app, login("bob")).await.0, 200);
    // bob uses his session every 1.1 s; alice does not.
    for _ in 0..4 {
        actix_rt::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(
            busy.send(&app, get_me()).await.0,
            200,
            "a session in use stays"
        );
    }
    let (code, body) = idle.send(&app, get_me()).await;
    assert_eq!(code, 401);
    assert!(body.contains("inactivity"), "{body}");
    // Past 6 s after login, however busy.
    actix_rt::time::sleep(Duration::from_millis(2000)).await;
    let (code, body) = busy.send(&app, get_me()).await;
    assert_eq!(code, 401);
    assert!(body.contains("the session expired: log in again"), "{body}");
}

#[actix_rt::test]
async fn the_session_jwt_and_api_keys_share_a_route() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );
    let mut browser = Browser::default();
    assert_eq!(browser.send(&app, login("alice")).await.0, 200);
    assert_eq!(browser.send(&app, get_me()).await.1, "1 via session");

    let token = auth_actix::test::token_for_context(
        &cfg,
        &auth_actix::core::AuthContext::builder("9").build(),
    )
    .unwrap();
    // The route names jwt first: a bearer token in the same request wins.
    let req = get_me().insert_header(("authorization", format!("Bearer {token}")));
    assert_eq!(browser.send(&app, req).await.1, "9 via jwt");
    // Header credentials are not held to the CSRF rules: no Origin, no token.
    let req = post_article().insert_header(("x-api-key", KEY));
    assert_eq!(tests::status(&app, req).await.0, 201);
    let req = test::TestRequest::post()
        .uri("/articles")
        .insert_header(("authorization", format!("Bearer {token}")));
    assert_eq!(
        tests::status(&app, req).await.0,
        403,
        "the token lacks articles.write"
    );
}

#[actix_rt::test]
async fn csrf_rules_for_the_session_cookie() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );
    let mut browser = Browser::default();
    assert_eq!(browser.send(&app, login("alice")).await.0, 200);
    let token = browser.cookies.get("csrf_token").cloned().unwrap();

    let cases = [
        (
            "cross-origin",
            Some("https://evil.example"),
            Some(token.as_str()),
            403,
        ),
        ("no origin", None, Some(token.as_str()), 403),
        ("no token", Some(ORIGIN), None, 403),
        ("wrong token", Some(ORIGIN), Some("not-the-token"), 403),
        (
            "same origin with the token",
            Some(ORIGIN),
            Some(token.as_str()),
            201,
        ),
    ];
    for (what, origin, sent, want) in cases {
        let mut req = post_article();
        if let Some(o) = origin {
            req = req.insert_header(("origin", o));
        }
        if let Some(t) = sent {
            req = req.insert_header(("x-csrf-token", t));
        }
        let (code, body) = browser.send_raw(&app, req).await;
        assert_eq!(code, want, "{what}: {body}");
        if want == 403 {
            assert!(body.contains("CSRF"), "{what}: {body}");
        }
    }
    // A GET is not held to them.
    assert_eq!(browser.send_raw(&app, get_me()).await.0, 200);
    // The session endpoints are: a cross-site page can neither log out nor log in.
    let req = logout().insert_header(("origin", "https://evil.example"));
    assert_eq!(browser.send_raw(&app, req).await.0, 403);
    assert_eq!(browser.send(&app, get_me()).await.0, 200, "still logged in");
    let req = login("bob").insert_header(("origin", "https://evil.example"));
    assert_eq!(Browser::default().send_raw(&app, req).await.0, 403);
}

#[actix_rt::test]
async fn session_login_takes_a_form_and_refuses_bad_passwords() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );
    let mut browser = Browser::default();
    let bad = test::TestRequest::post()
        .uri("/auth/session")
        .set_form([("username", "alice"), ("password", "wrong")]);
    let (code, body) = browser.send(&app, bad).await;
    assert_eq!(code, 401, "{body}");
    assert_eq!(browser.session(), None, "no session for a failed login");
    let good = test::TestRequest::post()
        .uri("/auth/session")
        .set_form([("username", "alice"), ("password", "alice-password")]);
    assert_eq!(browser.send(&app, good).await.0, 200);
    assert_eq!(browser.send(&app, get_me()).await.0, 200);
}

#[actix_rt::test]
async fn session_logins_are_throttled() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = test::init_service(
        App::new()
            .wrap(
                SessionMiddleware::builder(
                    actix_session::storage::CookieSessionStore::default(),
                    Key::from(&[7u8; 64]),
                )
                .build(),
            )
            .app_data(cfg.clone())
            .service(AuthEndpoints::new(users.clone()).scope("/auth")),
    )
    .await;
    let wrong = || {
        test::TestRequest::post()
            .uri("/auth/session")
            .peer_addr("192.0.2.7:4000".parse().unwrap())
            .insert_header(("origin", ORIGIN))
            .set_json(serde_json::json!({"username": "alice", "password": "wrong"}))
    };
    for _ in 0..5 {
        assert_eq!(tests::status(&app, wrong()).await.0, 401);
    }
    let res = test::call_service(&app, wrong().to_request()).await;
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let right = login("alice")
        .peer_addr("192.0.2.7:4000".parse().unwrap())
        .insert_header(("origin", ORIGIN));
    assert_eq!(
        tests::status(&app, right).await.0,
        429,
        "blocked, right password or not"
    );
}

/// An answer as the server sends it: an error that leaves the middleware is rendered the way
/// actix-web renders it on the wire.
async fn answer<S, B>(
    app: &S,
    req: test::TestRequest,
    cookies: &str,
) -> (u16, Option<String>, String)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody + 'static,
{
    let req = req.insert_header(("cookie", cookies)).to_request();
    let call = test::try_call_service(app, req);
    // The store's deadline is 500 ms: anything much longer is a hang.
    let res = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("an answer within 10 s while the store is down");
    let res = match res {
        Ok(res) => res.map_into_boxed_body().into_parts().1,
        Err(e) => e.error_response(),
    };
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = actix_web::body::to_bytes(res.into_body())
        .await
        .unwrap_or_default();
    (status, retry, String::from_utf8_lossy(&body).into_owned())
}

/// A Redis server of the test's own (the shared one must stay up for the other tests), stopped
/// with the test.
struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    async fn start(port: u16) -> OwnRedis {
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
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return redis;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start on port {port}");
    }

    fn stop(&mut self) {
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

#[actix_rt::test]
async fn a_session_store_outage_answers_503_at_once_then_logins_work_again() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut redis = OwnRedis::start(port).await;
    let store = RedisSessionStore::new(format!("redis://127.0.0.1:{port}"))
        .await
        .unwrap();
    let store = auth_actix::SessionStoreDeadline::new(store, Duration::from_millis(500));
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(cfg, users, store);
    let mut browser = Browser::default();
    assert_eq!(browser.send(&app, login("alice")).await.0, 200);
    let cookies = browser.cookie_header();
    assert_eq!(answer(&app, get_me(), &cookies).await.0, 200);

    redis.stop();
    let started = std::time::Instant::now();
    let (status, retry, body) = answer(&app, get_me(), &cookies).await;
    assert_eq!(status, 503, "the session store is down: {body}");
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(body.contains(r#""error":"service_unavailable""#), "{body}");
    assert!(
        !body.contains("redis") && !body.contains(&port.to_string()),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "503 after {:?}: the deadline bounds the wait",
        started.elapsed()
    );
    // A login cannot be stored either: 503, not a session that silently does not exist.
    let (status, _, body) = answer(&app, login("bob").insert_header(("origin", ORIGIN)), "").await;
    assert_eq!(status, 503, "{body}");

    // Redis back, without the data it held (no persistence): the client reconnects on its own,
    // and a new login works (the old session died with the data).
    let _redis = OwnRedis::start(redis.port).await;
    let mut last = (0, None, String::new());
    for _ in 0..100 {
        last = answer(&app, get_me(), &cookies).await;
        if last.0 != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(last.0, 401, "the lost session after the outage: {}", last.2);
    let mut again = Browser::default();
    assert_eq!(again.send(&app, login("alice")).await.0, 200);
    assert_eq!(
        again.send(&app, get_me()).await,
        (200, "1 via session".into())
    );
}
