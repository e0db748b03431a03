//! Extractors: [`AuthContext`], [`Auth<U>`], [`Claims<T>`] (and `Option<_>` of each), and
//! [`AuthSettings`], the configuration itself.
//!
//! On a route protected by `#[auth]`/`#[guard]` (or the scope middleware) they read the result
//! the guard stored in the request's extensions; elsewhere they authenticate with the
//! configuration's default backends (once per request, cached).

use std::fmt;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use auth_core::adapter::Rule;
use auth_core::{AuthConfig, AuthError, Reason};
use serde::de::DeserializeOwned;

use crate::context::AuthContext;
use crate::decide::{self, BackendList};
use crate::future::ExtractFuture;
use crate::gate;
use crate::response::AuthFailure;

/// The identity admitted by the route's guard, or computed now with the default backends.
async fn context_of(req: HttpRequest) -> Result<auth_core::AuthContext, AuthFailure> {
    // A guard still deciding admits (or not) the identity this extractor would compute.
    gate::decided(&req).await;
    let cfg = decide::config(&req)?;
    match decide::admitted(&req) {
        Some(Some(ctx)) => Ok(ctx),
        Some(None) => Err(decide::failure(
            cfg,
            &req,
            AuthError::Unauthenticated(Reason::MissingCredentials),
        )),
        // No guard ran: authenticated with the default backends; no credentials is no
        // refusal here (an `Option<AuthContext>` on a public page), bad ones are.
        None => decide::admit(&req, "<extractor>", &BackendList::Defaults, Rule::Optional)
            .await?
            .ok_or_else(|| {
                decide::failure(
                    cfg,
                    &req,
                    AuthError::Unauthenticated(Reason::MissingCredentials),
                )
            }),
    }
}

impl FromRequest for AuthContext {
    type Error = AuthFailure;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // On a protected route the guard has admitted the identity already.
        if let Some(Some(ctx)) = decide::admitted(req) {
            return ExtractFuture::ready(Ok(AuthContext(ctx)));
        }
        let req = req.clone();
        ExtractFuture::waiting(async move { context_of(req).await.map(AuthContext) })
    }
}

/// The application's user, loaded through the configuration's [`UserLoader<U>`](crate::UserLoader)
/// (register one with `AuthConfig::builder().user_loader(..)`; without one, a handler taking
/// `Auth<U>` answers 500 and the log says what to register). For the token's claims as a type
/// of yours, take [`Claims<T>`] instead.
///
/// The loader is called only by handlers that ask for `Auth<U>`: a handler taking
/// [`AuthContext`] costs no database access. `U` needs no trait of its own: a row type from
/// your database layer will do.
pub struct Auth<U>(pub U);

impl<U> Auth<U> {
    /// The user.
    pub fn into_inner(self) -> U {
        self.0
    }
}

impl<U> Deref for Auth<U> {
    type Target = U;
    fn deref(&self) -> &U {
        &self.0
    }
}

impl<U: fmt::Debug> fmt::Debug for Auth<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Auth").field(&self.0).finish()
    }
}

impl<U: 'static> FromRequest for Auth<U> {
    type Error = AuthFailure;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        ExtractFuture::waiting(async move {
            let cfg = decide::config(&req)?;
            // A missing loader is a mistake in the app, whoever asks: 500 before authenticating.
            let Some(loader) = crate::config::loader::<U>(cfg) else {
                let why = format!(
                    "Auth<{0}> needs a UserLoader<{0}>: register one with \
                     AuthConfig::builder().user_loader(..), or take Claims<{0}> for the token's \
                     claims",
                    std::any::type_name::<U>()
                );
                tracing::error!(path = req.path(), outcome = "misconfigured", "{why}");
                return Err(decide::failure(
                    cfg,
                    &req,
                    AuthError::Misconfigured(why.into()),
                ));
            };
            let ctx = AuthContext(context_of(req.clone()).await?);
            match loader.load_boxed(&ctx).await {
                Ok(Some(user)) => Ok(Auth(user)),
                Ok(None) => {
                    tracing::info!(
                        path = req.path(),
                        user = ctx.user_id(),
                        "authenticated user no longer exists"
                    );
                    Err(decide::failure(
                        cfg,
                        &req,
                        AuthError::Unauthenticated(Reason::Other("user not found".into())),
                    ))
                }
                Err(e) => {
                    tracing::warn!(path = req.path(), error = %e, "user loader failed");
                    Err(decide::failure(
                        cfg,
                        &req,
                        AuthError::Unavailable(e.to_string().into()),
                    ))
                }
            }
        })
    }
}

/// The token's claims, deserialized into `T` (for custom claims).
///
/// Answers 401 when the request was not authenticated by a token or the claims do not fit `T`.
pub struct Claims<T>(pub T);

impl<T> Deref for Claims<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Claims<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Claims").field(&self.0).finish()
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Claims<T> {
    type Error = AuthFailure;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        ExtractFuture::waiting(async move {
            let ctx = context_of(req.clone()).await?;
            let cfg = decide::config(&req)?;
            match ctx.claims::<T>() {
                Some(Ok(c)) => Ok(Claims(c)),
                _ => Err(decide::failure(
                    cfg,
                    &req,
                    AuthError::Unauthenticated(Reason::Other(
                        "token claims do not have the expected shape".into(),
                    )),
                )),
            }
        })
    }
}

/// The application's [`AuthConfig`] as a handler argument: to issue a token, revoke one, or
/// read a setting inside a handler. Refuses with 500 (and a log line naming what to register)
/// when no configuration is registered with `App::app_data`, as the guards do.
///
/// ```
/// use actix_web::{get, test, App};
/// use auth_actix::prelude::*;
/// use auth_actix::AuthSettings;
///
/// #[get("/realm")]
/// async fn realm(auth: AuthSettings) -> String {
///     auth.realm().to_string()
/// }
///
/// # actix_rt::System::new().block_on(async {
/// let auth = AuthConfig::builder()
///     .api_keys(ApiKeys::new().key("sk-reader-0001", ["notes.read"]))
///     .realm("notes")
///     .build()
///     .unwrap();
/// let app = test::init_service(App::new().app_data(auth).service(realm)).await;
/// let body = test::call_and_read_body(&app, test::TestRequest::get().uri("/realm").to_request()).await;
/// assert_eq!(body, "notes");
///
/// let unconfigured = test::init_service(App::new().service(realm)).await;
/// let res = test::call_service(&unconfigured, test::TestRequest::get().uri("/realm").to_request()).await;
/// assert_eq!(res.status(), 500);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct AuthSettings(pub AuthConfig);

impl Deref for AuthSettings {
    type Target = AuthConfig;

    fn deref(&self) -> &AuthConfig {
        &self.0
    }
}

impl FromRequest for AuthSettings {
    type Error = AuthFailure;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(decide::config(req).map(|cfg| AuthSettings(cfg.clone())))
    }
}
