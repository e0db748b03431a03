//! Browser sessions in the showcase: actix-session's middleware (cookie or Redis store), the
//! session backend's timeouts and the CSRF rules, read from `AUTH_SESSIONS`,
//! `AUTH_SESSION_KEY`, `AUTH_SESSION_IDLE_SECS`, `AUTH_SESSION_ABSOLUTE_SECS` and
//! `AUTH_ALLOWED_ORIGINS`.

use std::net::SocketAddr;

use actix_session::config::CookieContentSecurity;
use actix_session::storage::{CookieSessionStore, RedisSessionStore, SessionStore};
use actix_session::SessionMiddleware;
use actix_web::cookie::Key;
use auth_actix::session::Sessions;
use auth_actix::{Csrf, SessionStoreDeadline};

use crate::config::{err, secs, var, EnvError};
use crate::users::DemoUsers;

/// The session cookie's name.
pub const COOKIE: &str = "session";
/// The double-submit cookie's name (readable by the page's scripts).
pub const CSRF_COOKIE: &str = "csrf_token";

/// Where session state is kept.
pub enum Store {
    /// In the cookie itself, encrypted and signed (actix-session's `CookieSessionStore`).
    Cookie,
    /// In Redis, the cookie holding only the session key.
    Redis(String),
}

/// The session settings.
pub struct Settings {
    pub store: Store,
    key: Key,
    /// Whether the key was generated here (sessions then end with the process).
    pub random_key: bool,
    /// Plain HTTP on a loopback address: the cookies are sent without `Secure`, explicitly.
    plain_loopback: bool,
    allowed_origins: Vec<String>,
    idle: Option<std::time::Duration>,
    absolute: Option<std::time::Duration>,
}

pub fn from_env(bind: SocketAddr) -> Result<Settings, EnvError> {
    let store = match var("AUTH_SESSIONS")?.as_deref() {
        None | Some("cookie") => Store::Cookie,
        Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
            Store::Redis(url.to_owned())
        }
        Some(other) => {
            return Err(err(
                "AUTH_SESSIONS",
                format!("{other:?}: use `cookie` or redis://host:port"),
            ))
        }
    };
    let (key, random_key) = match var("AUTH_SESSION_KEY")? {
        Some(k) => (
            Key::try_from(k.as_bytes()).map_err(|_| {
                err(
                    "AUTH_SESSION_KEY",
                    "must be at least 64 bytes (it signs and encrypts the session cookie)",
                )
            })?,
            false,
        ),
        None => (Key::generate(), true),
    };
    let allowed_origins = var("AUTH_ALLOWED_ORIGINS")?
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|o| {
                    if o.starts_with("http://") || o.starts_with("https://") {
                        Ok(o.to_owned())
                    } else {
                        Err(err(
                            "AUTH_ALLOWED_ORIGINS",
                            format!("{o:?} is not an origin like https://app.example.com"),
                        ))
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(Settings {
        store,
        key,
        random_key,
        plain_loopback: bind.ip().is_loopback(),
        allowed_origins,
        idle: secs("AUTH_SESSION_IDLE_SECS")?,
        absolute: secs("AUTH_SESSION_ABSOLUTE_SECS")?,
    })
}

impl Settings {
    /// The session backend for `users`, with the configured timeouts.
    pub fn backend(&self, users: DemoUsers) -> Sessions {
        let mut sessions = Sessions::new(users);
        if let Some(idle) = self.idle {
            sessions = sessions.idle_timeout(idle);
        }
        if let Some(absolute) = self.absolute {
            sessions = sessions.absolute_timeout(absolute);
        }
        sessions
    }

    /// The CSRF rules: same origin (the server's own unless `AUTH_ALLOWED_ORIGINS` lists
    /// others) and a double-submit token.
    pub fn csrf(&self) -> Csrf {
        let mut csrf = Csrf::new().double_submit(CSRF_COOKIE);
        if !self.allowed_origins.is_empty() {
            csrf = csrf.allowed_origins(&self.allowed_origins);
        }
        if self.plain_loopback {
            csrf = csrf.dangerous_insecure_cookie();
        }
        csrf
    }

    /// actix-session's middleware over `store`: `HttpOnly`, `SameSite=Lax`, `Path=/` (its
    /// defaults), encrypted, and `Secure` unless the showcase serves plain HTTP on loopback.
    pub fn middleware<S: SessionStore>(&self, store: S) -> SessionMiddleware<S> {
        SessionMiddleware::builder(store, self.key.clone())
            .cookie_name(COOKIE.to_owned())
            .cookie_content_security(CookieContentSecurity::Private)
            .cookie_secure(!self.plain_loopback)
            .build()
    }
}

/// The Redis session store of `url`, each operation bounded by 500 ms: while Redis is down,
/// requests with a session cookie answer 503 at once (with `SessionStoreErrors`). actix-session
/// connects when the store is made, retrying without end: a Redis that does not answer within
/// 5 seconds at start-up is a configuration error.
pub async fn redis_store(url: &str) -> Result<SessionStoreDeadline<RedisSessionStore>, EnvError> {
    let connect = RedisSessionStore::new(url);
    let store = tokio::time::timeout(std::time::Duration::from_secs(5), connect)
        .await
        .map_err(|_| {
            err(
                "AUTH_SESSIONS",
                format!("Redis at {url} did not answer within 5 s"),
            )
        })?
        .map_err(|e| err("AUTH_SESSIONS", format!("cannot use Redis at {url}: {e}")))?;
    Ok(SessionStoreDeadline::new(
        store,
        std::time::Duration::from_millis(500),
    ))
}

/// The cookie store.
pub fn cookie_store() -> CookieSessionStore {
    CookieSessionStore::default()
}
