//! The application and the browser the session tests share (`sessions.rs`,
//! `session_outage.rs`): two users, a route for each backend, actix-session's middleware over
//! the store a test picks, and a browser that keeps cookies and sends the CSRF header.

// Each test file uses a part of it.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use actix_session::Session;
use actix_web::{get, post, test, HttpResponse};
use auth_actix::endpoints::CredentialsVerifier;
use auth_actix::prelude::*;
use auth_actix::session::{SessionUsers, Sessions};
use auth_actix::Csrf;

pub(crate) const ORIGIN: &str = "http://app.test";
pub(crate) const SECRET: &str = "session-test-secret-that-is-long-enough-01";
pub(crate) const KEY: &str = "sk-session-writer-01";

#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) password_hash: String,
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
pub(crate) struct Users(pub(crate) Arc<Mutex<Vec<User>>>);

impl Users {
    pub(crate) fn new() -> Self {
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

    pub(crate) fn set_password(&self, name: &str, password: &str) {
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
pub(crate) async fn me(ctx: AuthContext) -> String {
    format!("{} via {}", ctx.user_id(), ctx.backend())
}

#[post("/articles")]
#[auth(jwt, api_key, session)]
#[guard(has_permission("articles.write"))]
pub(crate) async fn create(ctx: AuthContext) -> HttpResponse {
    HttpResponse::Created().body(ctx.backend().to_owned())
}

/// A page that puts something in the session before login (so that there is an id to fix).
#[post("/cart")]
pub(crate) async fn cart(session: Session) -> HttpResponse {
    session.insert("cart", 1).unwrap();
    HttpResponse::NoContent().finish()
}

pub(crate) fn config(_users: &Users, sessions: Sessions) -> AuthConfig {
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
        actix_web::test::init_service(
            actix_web::App::new()
                .wrap(
                    actix_session::SessionMiddleware::builder(
                        $store,
                        actix_web::cookie::Key::from(&[7u8; 64]),
                    )
                    .cookie_name("session".into())
                    .build(),
                )
                .wrap(auth_actix::SessionStoreErrors)
                .app_data($cfg.clone())
                .service($crate::session_app::me)
                .service($crate::session_app::create)
                .service($crate::session_app::cart)
                .service(
                    auth_actix::endpoints::AuthEndpoints::new($users.clone())
                        .dangerous_no_throttle()
                        .scope("/auth"),
                ),
        )
        .await
    };
}
pub(crate) use app;

/// A browser: keeps the cookies answers set, sends them back with the page's origin and
/// the double-submit header.
#[derive(Clone, Default)]
pub(crate) struct Browser {
    pub(crate) cookies: BTreeMap<String, String>,
    pub(crate) set_cookie: Vec<String>,
}

impl Browser {
    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn session(&self) -> Option<&str> {
        self.cookies.get("session").map(String::as_str)
    }

    /// Sends `req` as the page at `ORIGIN` would.
    pub(crate) async fn send<S, B>(&mut self, app: &S, req: test::TestRequest) -> (u16, String)
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
    pub(crate) async fn send_raw<S, B>(&mut self, app: &S, req: test::TestRequest) -> (u16, String)
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

pub(crate) fn login(who: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/auth/session")
        .set_json(serde_json::json!({"username": who, "password": format!("{who}-password")}))
}

pub(crate) fn get_me() -> test::TestRequest {
    test::TestRequest::get().uri("/me")
}

pub(crate) fn post_article() -> test::TestRequest {
    test::TestRequest::post().uri("/articles")
}

pub(crate) fn logout() -> test::TestRequest {
    test::TestRequest::delete().uri("/auth/session")
}
