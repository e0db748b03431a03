//! Ready-made token endpoints to mount under a path of your choice:
//!
//! | route | does |
//! |---|---|
//! | `POST {path}/token` | `{"username","password"}` checked by your [`CredentialsVerifier`]; answers `{"access_token","refresh_token","token_type":"bearer","expires_in"}` |
//! | `POST {path}/refresh` | refresh token from the JSON body (`{"refresh_token"}`), the `X-Refresh-Token` header or the refresh cookie; rotates it (reuse revokes the family) |
//! | `POST {path}/logout` | revokes the presented access token and, when given, the refresh token and its family; or ends the session it is sent with |
//! | `POST {path}/logout-all` | revokes every token of the user issued until now |
//! | `GET {path}/me` | the identity as JSON |
//! | `POST {path}/session` | browser login (JSON or form `username`, `password`): a new session id holding the user; answers the identity |
//! | `DELETE {path}/session` | logs the session out: purged, and its id refused until its deadline |
//! | `POST {path}/session/logout-all` | ends every session and token of the user |
//!
//! The session routes answer 404 unless the configuration has the session backend
//! (`AuthConfig::builder().sessions(..)`) and the app wraps itself in actix-session's
//! `SessionMiddleware`; see [`crate::session`]. Both logins are throttled
//! ([`AuthEndpoints::throttle`]); the session routes are held to the CSRF rules
//! ([`Csrf`](crate::Csrf)).
//!
//! **Cookies.** With [`AuthEndpoints::cookies`], tokens are also set as `HttpOnly` cookies
//! (`Secure` and `SameSite=Strict` by default); configure the JWT backend to read the access
//! cookie with `JwtConfig::cookie(name)`. A cookie credential is held to the library's CSRF
//! rules ([`Csrf`](crate::Csrf)): same origin, and with `Csrf::double_submit` the token of the
//! access token, which `/token` and `/refresh` set in the double-submit cookie.
//!
//! **Logout ends what it names.** `POST {path}/logout` ends the credential it is sent with (a
//! token of this server's, or a session); a credential it cannot end (an API key, an identity
//! provider's token) or a body it cannot read is a 400 that says so, never a 204 that ended
//! nothing.
//!
//! ```no_run
//! use actix_web::{App, HttpServer};
//! use auth_actix::prelude::*;
//! use auth_actix::endpoints::{AuthEndpoints, CredentialsVerifier};
//! use auth_actix::password::verify_user_password_async;
//!
//! #[derive(AuthUser, Clone)]
//! struct User { id: i64, username: String, password_hash: String }
//!
//! struct Users(Vec<User>);
//!
//! impl CredentialsVerifier for Users {
//!     type User = User;
//!     async fn verify(&self, username: &str, password: &str) -> Result<Option<User>, UserLoadError> {
//!         let user = self.0.iter().find(|u| u.username == username);
//!         // Same Argon2 work whether the user exists or not: names cannot be probed by timing.
//!         // It runs off the worker threads, a few at a time.
//!         let hash = user.map(|u| u.password_hash.clone());
//!         let ok = verify_user_password_async(hash, password.to_owned()).await;
//!         Ok(user.filter(|_| ok).cloned())
//!     }
//! }
//!
//! # async fn run(auth: AuthConfig) -> std::io::Result<()> {
//! let endpoints = AuthEndpoints::new(Users(vec![]));
//! HttpServer::new(move || App::new().app_data(auth.clone()).service(endpoints.scope("/auth")))
//!     .bind("127.0.0.1:8080")?
//!     .run()
//!     .await
//! # }
//! ```

mod body;
mod cookies;
mod session;
pub(crate) mod table;
mod well_known;

use std::future::Future;
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use auth_core::jwt::{JwtBackend, TokenPair};
use auth_core::throttle::LoginThrottle;
use auth_core::{AuthConfig, AuthError, AuthUser, Reason};
use serde::{Deserialize, Serialize};

pub use cookies::CookieSettings;
pub use well_known::{well_known, DEFAULT_MAX_AGE};

use body::{bad_form, login_json, refresh_json, Login, RefreshBody};
use table::{LOGOUT, LOGOUT_ALL, ME, REFRESH, SESSION_LOGOUT_ALL, TOKEN};

use crate::context::AuthContext;
use crate::csrf;
use crate::decide;
use crate::request::ActixRequest;
use crate::response::AuthFailure;
use auth_core::UserLoadError;

/// Checks a user name and password for `POST /token`.
pub trait CredentialsVerifier: Send + Sync + 'static {
    /// The user type tokens are issued for.
    type User: AuthUser;

    /// `Ok(Some(user))` when the credentials are right, `Ok(None)` when not (401), `Err` when
    /// the user store cannot answer (503). Use
    /// [`auth_core::password::verify_user_password_async`]: unknown users cost the same time as
    /// wrong passwords, and the hashing runs off the threads that serve requests.
    fn verify(
        &self,
        username: &str,
        password: &str,
    ) -> impl Future<Output = Result<Option<Self::User>, UserLoadError>>;
}

/// The token endpoints, generic over your credentials verifier.
pub struct AuthEndpoints<V> {
    verifier: Arc<V>,
    cookies: Option<Arc<CookieSettings>>,
    throttle: Option<LoginThrottle>,
}

impl<V> Clone for AuthEndpoints<V> {
    fn clone(&self) -> Self {
        AuthEndpoints {
            verifier: self.verifier.clone(),
            cookies: self.cookies.clone(),
            throttle: self.throttle.clone(),
        }
    }
}

impl<V> std::fmt::Debug for AuthEndpoints<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthEndpoints")
            .field("cookies", &self.cookies)
            .field("throttle", &self.throttle)
            .finish_non_exhaustive()
    }
}

/// The body of a successful `/token` or `/refresh`.
#[derive(Debug, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
    /// Always `"bearer"`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

fn jwt_of(req: &HttpRequest) -> Result<(AuthConfig, Arc<JwtBackend>), AuthFailure> {
    let cfg = decide::config(req)?.clone();
    let jwt = cfg.jwt().cloned().ok_or_else(|| {
        tracing::error!("the token endpoints need a JWT backend: add .jwt(..) to the AuthConfig");
        decide::failure(
            &cfg,
            req,
            AuthError::Misconfigured(
                "the token endpoints need a JWT backend: add .jwt(..) to the AuthConfig".into(),
            ),
        )
    })?;
    Ok((cfg, jwt))
}

impl<V: CredentialsVerifier> AuthEndpoints<V> {
    /// Endpoints that check passwords with `verifier`.
    pub fn new(verifier: V) -> Self {
        AuthEndpoints {
            verifier: Arc::new(verifier),
            cookies: None,
            throttle: Some(LoginThrottle::new()),
        }
    }

    /// How failed logins are throttled (default: [`LoginThrottle::new`]: 5 failures of a
    /// username from one address, 20 from one address, in 15 minutes, then 429 with
    /// `Retry-After`). Give it shared counters (`.shared(redis_store.login_counters())`) so
    /// that every instance enforces one limit.
    pub fn throttle(mut self, throttle: LoginThrottle) -> Self {
        self.throttle = Some(throttle);
        self
    }

    /// Turns login throttling off (a test, or a proxy in front that throttles already).
    pub fn dangerous_no_throttle(mut self) -> Self {
        self.throttle = None;
        self
    }

    /// Also delivers (and clears) the tokens as cookies.
    pub fn cookies(mut self, settings: CookieSettings) -> Self {
        self.cookies = Some(Arc::new(settings));
        self
    }

    /// The endpoints as an actix scope at `path` (e.g. `"/auth"`).
    pub fn scope(&self, path: &str) -> actix_web::Scope {
        let (refresh, logout) = (self.clone(), self.clone());
        web::scope(path)
            .app_data(refresh_json())
            .app_data(web::FormConfig::default().error_handler(bad_form))
            .service(self.token_resource(TOKEN.path))
            .route(
                REFRESH.path,
                web::post().to(
                    move |req: HttpRequest, body: Option<web::Json<RefreshBody>>| {
                        let this = refresh.clone();
                        async move {
                            this.refresh(req, body.map(|b| b.into_inner()).unwrap_or_default())
                                .await
                        }
                    },
                ),
            )
            .route(
                LOGOUT.path,
                web::post().to(
                    move |req: HttpRequest, ctx: AuthContext, body: web::Bytes| {
                        let this = logout.clone();
                        async move { this.logout(req, ctx, body).await }
                    },
                ),
            )
            .route(LOGOUT_ALL.path, web::post().to(logout_all))
            .route(ME.path, web::get().to(me))
            .service(self.session_login_resource())
            .route(SESSION_LOGOUT_ALL.path, web::post().to(session::logout_all))
    }

    /// `POST {path}` answering as `{scope}/token` does (a login with the built-in throttling
    /// and inactive-account check, a token pair in return), for an app that logs in at a path
    /// of its own: `App::new().service(endpoints.token_resource("/login"))`.
    pub fn token_resource(&self, path: &str) -> actix_web::Resource {
        let this = self.clone();
        web::resource(path)
            .app_data(login_json())
            .route(
                web::post().to(move |req: HttpRequest, body: web::Json<Login>| {
                    let this = this.clone();
                    async move { this.token(req, body.into_inner()).await }
                }),
            )
    }

    /// Checks a login as the endpoints do, for a login handler of the app's own: throttling
    /// first (the attempt takes its slot before the password is looked at; a blocked username
    /// or address gets 429 whatever the password), then the [`CredentialsVerifier`], then
    /// whether the account is active. The error is the response to give (429, 401, 503).
    ///
    /// ```no_run
    /// # use actix_web::{HttpRequest, HttpResponse, web};
    /// # use auth_actix::endpoints::{AuthEndpoints, CredentialsVerifier};
    /// # async fn login<V: CredentialsVerifier>(req: HttpRequest, endpoints: web::Data<AuthEndpoints<V>>,
    /// #     form: web::Form<std::collections::HashMap<String, String>>) -> Result<HttpResponse, auth_actix::dev::AuthFailure> {
    /// let user = endpoints.check_credentials(&req, &form["user"], &form["pass"]).await?;
    /// # let _ = user; Ok(HttpResponse::Ok().finish()) }
    /// ```
    pub async fn check_credentials(
        &self,
        req: &HttpRequest,
        username: &str,
        password: &str,
    ) -> Result<V::User, AuthFailure> {
        let cfg = decide::config(req)?;
        let login = Login {
            username: username.to_owned(),
            password: password.to_owned(),
        };
        self.log_in(req, cfg, &login).await
    }

    /// A new pair as `/token` and `/refresh` answer it; with cookies, also the cookies and the
    /// double-submit token of the new access token.
    fn tokens_response(&self, cfg: &AuthConfig, pair: TokenPair, jwt: &JwtBackend) -> HttpResponse {
        let mut res = HttpResponse::Ok();
        res.insert_header(("Cache-Control", "no-store"));
        if let Some(c) = &self.cookies {
            res.cookie(c.cookie(&c.access, pair.access.token.clone(), jwt.access_ttl()));
            res.cookie(c.cookie(&c.refresh, pair.refresh.token.clone(), jwt.refresh_ttl()));
        }
        let expires_in = pair.access.expires_at.saturating_sub(pair.access.issued_at);
        let mut res = res.json(TokenResponse {
            access_token: pair.access.token,
            refresh_token: pair.refresh.token,
            token_type: "bearer".into(),
            expires_in,
        });
        if self.cookies.is_some() {
            csrf::issue_cookie(cfg, &mut res, &pair.access.jti);
        }
        res
    }

    async fn token(&self, req: HttpRequest, login: Login) -> Result<HttpResponse, AuthFailure> {
        let (cfg, jwt) = jwt_of(&req)?;
        let user = self.log_in(&req, &cfg, &login).await?;
        let pair = jwt.issue_pair(&user).map_err(|e| {
            decide::failure(&cfg, &req, AuthError::Misconfigured(e.to_string().into()))
        })?;
        Ok(self.tokens_response(&cfg, pair, &jwt))
    }

    /// Checks a login (token and session alike): throttling first (a blocked username or
    /// address gets 429 whatever the password), then the verifier, then whether the account
    /// is active.
    async fn log_in(
        &self,
        req: &HttpRequest,
        cfg: &AuthConfig,
        login: &Login,
    ) -> Result<V::User, AuthFailure> {
        let fail = |e| decide::failure(cfg, req, e);
        // The peer's address, not a forwarding header a client could write.
        let address = req
            .peer_addr()
            .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string());
        // The attempt takes its slot before the password is looked at: attempts in flight
        // count, so a burst gets no more than the limit verified.
        let attempt = match &self.throttle {
            Some(throttle) => match throttle.begin(&login.username, &address).await {
                Ok(attempt) => Some(attempt),
                Err(left) => {
                    tracing::info!(
                        path = req.path(),
                        outcome = "login_throttled",
                        retry_after = left.as_secs()
                    );
                    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                    return Err(fail(AuthError::TooManyAttempts(secs)));
                }
            },
            None => None,
        };
        let verified = self.verifier.verify(&login.username, &login.password).await;
        if let Some(attempt) = attempt {
            match &verified {
                Ok(Some(_)) => attempt.succeeded().await,
                Ok(None) => attempt.failed(),
                Err(_) => attempt.undecided().await,
            }
        }
        let user = match verified {
            Ok(Some(u)) => u,
            Ok(None) => {
                tracing::info!(
                    path = req.path(),
                    outcome = "login_refused",
                    "invalid username or password"
                );
                return Err(fail(AuthError::Unauthenticated(Reason::Other(
                    "invalid username or password".into(),
                ))));
            }
            Err(e) => {
                tracing::warn!(error = %e, "credentials verifier failed");
                return Err(fail(AuthError::Unavailable(e.to_string().into())));
            }
        };
        if !user.is_active() {
            return Err(fail(AuthError::Unauthenticated(Reason::Other(
                "the account is inactive".into(),
            ))));
        }
        Ok(user)
    }

    fn refresh_token_of(&self, req: &HttpRequest, body: RefreshBody) -> Option<String> {
        body.refresh_token
            .filter(|t| !t.is_empty())
            .or_else(|| {
                req.headers()
                    .get("x-refresh-token")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            })
            .or_else(|| {
                let c = self.cookies.as_ref()?;
                auth_core::RequestParts::cookie(&ActixRequest(req), &c.refresh).map(str::to_owned)
            })
    }

    async fn refresh(
        &self,
        req: HttpRequest,
        body: RefreshBody,
    ) -> Result<HttpResponse, AuthFailure> {
        let (cfg, jwt) = jwt_of(&req)?;
        let Some(token) = self.refresh_token_of(&req, body) else {
            return Err(decide::failure(
                &cfg,
                &req,
                AuthError::Unauthenticated(Reason::MissingCredentials),
            ));
        };
        match jwt.refresh(&token).await {
            Ok(pair) => Ok(self.tokens_response(&cfg, pair, &jwt)),
            Err(e) => {
                tracing::info!(path = req.path(), outcome = "refresh_refused", reason = %e);
                Err(decide::failure(&cfg, &req, e))
            }
        }
    }

    /// `POST {path}/logout`: ends what the request is authenticated with. A token of this
    /// server's: its `jti`, and the family of the refresh token in the body (or the refresh
    /// header or cookie). A session: the session, as `DELETE {path}/session` does. Anything else
    /// (an API key, an identity provider's token) cannot be logged out here: 400 saying so,
    /// never a 204 that ends nothing. So is a body that is not `{"refresh_token": "..."}`.
    async fn logout(
        &self,
        req: HttpRequest,
        ctx: AuthContext,
        body: web::Bytes,
    ) -> Result<HttpResponse, AuthFailure> {
        let (cfg, jwt) = jwt_of(&req)?;
        let fail = |e| decide::failure(&cfg, &req, e);
        let body = RefreshBody::optional(&body).map_err(fail)?;
        if is_session(&cfg, &ctx) {
            return session::end(req, false).await;
        }
        lifecycle_credential(&ctx).map_err(fail)?;
        let refresh = self.refresh_token_of(&req, body);
        jwt.logout(Some(&ctx), refresh.as_deref())
            .await
            .map_err(fail)?;
        let mut res = HttpResponse::NoContent();
        if let Some(c) = &self.cookies {
            res.cookie(c.removal(&c.access));
            res.cookie(c.removal(&c.refresh));
        }
        let mut res = res.finish();
        if self.cookies.is_some() {
            csrf::clear_cookie(&cfg, &mut res);
        }
        Ok(res)
    }
}

/// Whether `ctx` was authenticated by the configuration's session backend.
fn is_session(cfg: &AuthConfig, ctx: &auth_core::AuthContext) -> bool {
    cfg.backends()
        .sessions()
        .is_some_and(|(name, _)| ctx.backend() == name)
}

/// Whether `ctx`'s credential is one the token lifecycle can end: a token this server verified
/// with its own keys. `Err` (400) names what it is instead.
fn lifecycle_credential(ctx: &auth_core::AuthContext) -> Result<(), AuthError> {
    match ctx.token() {
        Some(t) if t.from_provider => Err(AuthError::BadRequest(
            "a token of an identity provider cannot be logged out here: log out at the provider"
                .into(),
        )),
        Some(_) => Ok(()),
        None => Err(AuthError::BadRequest(
            format!(
                "a credential of the `{}` backend cannot be logged out: only this server's tokens \
                 and sessions can (an API key stays valid until it is removed)",
                ctx.backend()
            )
            .into(),
        )),
    }
}

/// `POST {path}/logout-all`: every token (and session) of the user ends. Refused with 400 for a
/// credential whose user is not this server's (an identity provider's token: its `sub` is the
/// provider's, not a local user's) or that names no user (an API key).
async fn logout_all(req: HttpRequest, ctx: AuthContext) -> Result<HttpResponse, AuthFailure> {
    let (cfg, jwt) = jwt_of(&req)?;
    if is_session(&cfg, &ctx) {
        return session::end(req, true).await;
    }
    let fail = |e| decide::failure(&cfg, &req, e);
    lifecycle_credential(&ctx).map_err(fail)?;
    jwt.logout_all(ctx.user_id()).await.map_err(fail)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn me(ctx: AuthContext) -> HttpResponse {
    HttpResponse::Ok().json(identity(&ctx, ctx.backend()))
}

/// The identity as `GET /me` and the session login show it.
fn identity(ctx: &auth_core::AuthContext, backend: &str) -> serde_json::Value {
    let mut permissions: Vec<String> = ctx.permissions().iter().collect();
    permissions.sort();
    serde_json::json!({
        "user_id": ctx.user_id(),
        "name": ctx.name(),
        "backend": backend,
        "roles": ctx.roles().collect::<Vec<_>>(),
        "permissions": permissions,
        "is_staff": ctx.is_staff(),
        "is_superuser": ctx.is_superuser(),
    })
}
