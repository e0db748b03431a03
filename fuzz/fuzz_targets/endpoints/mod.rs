//! The token and session endpoints of auth-actix as one in-process actix app, shared by the
//! `login_body` and `refresh_request` targets: requests go through the real routing, extractors
//! (JSON and form bodies, their error handler), CSRF origin check, endpoint code and error
//! rendering, without a socket.
//!
//! One user, `alice`, whose password is [`PASSWORD`]. Throttling is off, so that every input is
//! judged on its own (the throttle's counters are fuzzed by nothing here).

// Each target uses its part of the harness.
#![allow(dead_code)]

use std::sync::Arc;

use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::cookie::Key;
use actix_web::http::StatusCode;
use actix_web::{test, App};
use auth_actix::endpoints::{AuthEndpoints, CredentialsVerifier};
use auth_actix::jwt::JwtConfig;
use auth_actix::prelude::*;
use auth_actix::session::{SessionUsers, Sessions};
use auth_actix::Csrf;
use serde::{Deserialize, Serialize};

/// The HMAC secret of the app's tokens.
pub const SECRET: &[u8] = b"fuzzing-secret-that-is-long-enough-0123456";
/// alice's password.
pub const PASSWORD: &str = "correct-Horse-battery-7";
/// The origin (and host) of the app, for the session login's same-origin rule.
pub const HOST: &str = "app.example:8443";
/// [`HOST`] as an origin.
pub const ORIGIN: &str = "https://app.example:8443";

/// The one user.
#[derive(AuthUser, Clone, Serialize, Deserialize)]
pub struct User {
    #[serde(rename = "sub")]
    pub id: String,
    pub roles: Vec<String>,
    #[serde(skip)]
    pub password_hash: String,
}

/// alice, as the verifier and the session backend find her.
pub fn alice() -> User {
    User {
        id: "1".into(),
        roles: vec!["editor".into()],
        password_hash: "hash-of-alice".into(),
    }
}

#[derive(Clone)]
struct Users;

impl CredentialsVerifier for Users {
    type User = User;
    async fn verify(&self, username: &str, password: &str) -> Result<Option<User>, UserLoadError> {
        // A plain comparison: this harness fuzzes the endpoints, not Argon2 (own tests).
        Ok((username == "alice" && password == PASSWORD).then(alice))
    }
}

impl SessionUsers for Users {
    type User = User;
    async fn load(&self, user_id: &str) -> Result<Option<User>, UserLoadError> {
        Ok((user_id == "1").then(alice))
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    token_type: String,
}

/// A response as a client sees it.
pub struct Answer {
    pub status: StatusCode,
    pub set_cookies: Vec<String>,
    pub body: Vec<u8>,
}

/// The app and the runtime that serves it, built once per fuzzing thread.
pub struct Harness {
    system: actix_rt::SystemRunner,
    call: Box<dyn Fn(actix_http::Request) -> futures_util::future::LocalBoxFuture<'static, Answer>>,
    /// The app's JWT backend (the refresh target issues tokens with it).
    pub jwt: Arc<auth_actix::jwt::JwtBackend>,
}

impl Harness {
    /// Builds the app: HS256 tokens, the in-memory revocation store, cookie sessions.
    pub fn new() -> Harness {
        let system = actix_rt::System::new();
        let auth = AuthConfig::builder()
            .jwt(JwtConfig::hs256(SECRET))
            .sessions(Sessions::new(Users))
            .csrf(Csrf::new().allowed_origins([ORIGIN]))
            .build()
            .expect("the harness's configuration builds");
        let jwt = auth.jwt().expect("a JWT backend").clone();
        let endpoints = AuthEndpoints::new(Users).dangerous_no_throttle();
        let app = system.block_on(test::init_service(
            App::new()
                .app_data(auth)
                .wrap(SessionMiddleware::new(
                    CookieSessionStore::default(),
                    Key::from(&[7u8; 64]),
                ))
                .service(endpoints.scope("/auth")),
        ));
        let app = std::rc::Rc::new(app);
        let call = Box::new(move |req: actix_http::Request| {
            let app = app.clone();
            let fut: futures_util::future::LocalBoxFuture<'static, Answer> = Box::pin(async move {
                let res = match test::try_call_service(&*app, req).await {
                    Ok(res) => res.into_parts().1.map_into_boxed_body(),
                    Err(e) => e.error_response(),
                };
                answer(res).await
            });
            fut
        });
        Harness { system, call, jwt }
    }

    /// Sends `req` and waits for the whole answer.
    pub fn send(&self, req: test::TestRequest) -> Answer {
        self.system.block_on((self.call)(req.to_request()))
    }
}

async fn answer(res: actix_web::HttpResponse) -> Answer {
    let status = res.status();
    let set_cookies = res
        .headers()
        .get_all(actix_web::http::header::SET_COOKIE)
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let body = actix_web::body::to_bytes(res.into_body())
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    Answer {
        status,
        set_cookies,
        body,
    }
}

/// Checks that `token` verifies under the reference rules (a plain `jsonwebtoken::decode` with
/// the app's secret) as alice's (`sub` 1) token of `token_type`.
pub fn verifies_as(token: &str, token_type: &str) {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Claims>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(SECRET),
        &validation,
    )
    .expect("an issued token verifies under the reference rules")
    .claims;
    assert_eq!(
        (claims.sub.as_str(), claims.token_type.as_str()),
        ("1", token_type)
    );
}

/// The `detail` texts a refusal may carry: fixed texts, so that nothing a client sent (a
/// password, a token, a body) can come back in an error body.
pub const FIXED_DETAILS: &[&str] = &[
    r#"expected a JSON body like {"username": "...", "password": "..."}"#,
    r#"expected a JSON body like {"refresh_token": "..."}"#,
    r#"send a JSON body like {"username": "...", "password": "..."} with Content-Type: application/json"#,
    r#"send a JSON body like {"refresh_token": "..."} with Content-Type: application/json"#,
    r#"send {"username": "...", "password": "..."} as application/json or application/x-www-form-urlencoded"#,
    r#"expected a JSON body like {"username": "...", "password": "..."}, or the same fields as a form"#,
    "the body is larger than 2097152 bytes",
    "the body is larger than 16384 bytes",
    "the login is too old to be refreshed: log in again",
    "invalid username or password",
    "the account is inactive",
    "no credentials were provided",
    "token expired",
    "token not yet valid",
    "token issued in the future",
    "invalid signature",
    "wrong audience",
    "wrong issuer",
    "unknown signing key",
    "algorithm not allowed",
    "unsupported critical header",
    "token revoked",
    "wrong token type",
    "guard a same-origin request (CSRF check: no Origin or Referer) failed",
    "guard a same-origin request (CSRF check: cross-origin) failed",
];

/// Whether `detail` is one of [`FIXED_DETAILS`] or a fixed "malformed token" or "missing claim"
/// text (those name a part or a claim of the token format, never its content).
pub fn is_fixed(detail: &str) -> bool {
    const MALFORMED: &[&str] = &[
        "expected three dot-separated parts",
        "header too large",
        "header is not base64url",
        "header is not a JSON object with an alg",
        "claims are not base64url",
        "claims are not a valid JSON object",
        "signature is not base64url",
        "empty or non-UTF-8 credential",
        "`iat_ms` does not match `iat`",
    ];
    const CLAIMS: &[&str] = &["sub", "iss", "jti", "fam", "exp", "aud"];
    FIXED_DETAILS.contains(&detail)
        || detail
            .strip_prefix("malformed token: ")
            .is_some_and(|m| MALFORMED.contains(&m))
        || detail
            .strip_prefix("token lacks the required claim `")
            .and_then(|c| c.strip_suffix('`'))
            .is_some_and(|c| CLAIMS.contains(&c))
}

/// Checks a refusal's body: JSON `{"error": .., "detail": ..}` with a fixed detail.
pub fn assert_fixed_refusal(a: &Answer) {
    #[derive(Deserialize)]
    struct Body {
        error: String,
        detail: String,
    }
    if a.status == StatusCode::NOT_FOUND || a.status == StatusCode::METHOD_NOT_ALLOWED {
        return;
    }
    let body: Body = serde_json::from_slice(&a.body).unwrap_or_else(|e| {
        panic!(
            "a {} refusal whose body is not the library's error JSON ({e}): {:?}",
            a.status,
            String::from_utf8_lossy(&a.body)
        )
    });
    assert!(
        [
            "bad_request",
            "unauthorized",
            "forbidden",
            "payload_too_large",
            "unsupported_media_type",
            "too_many_requests"
        ]
        .contains(&body.error.as_str()),
        "unexpected error code {:?} with {}",
        body.error,
        a.status
    );
    assert!(
        is_fixed(&body.detail),
        "a refusal's detail is not a fixed text (could echo the request): {:?}",
        body.detail
    );
}
