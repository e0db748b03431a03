//! Extractors: [`AuthContext`], [`Auth<U>`], [`Claims<T>`] (and `Option<_>` of each).
//!
//! On a route protected by `#[auth]`/`#[guard]` (or the scope middleware) they read the result
//! the guard stored in the request's extensions; elsewhere they authenticate with the
//! configuration's default backends (once per request, cached).

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use auth_core::{AuthError, Reason};
use serde::de::DeserializeOwned;

use crate::flow::{self, BackendList};
use crate::response::AuthFailure;

/// The authenticated identity of a request: user id, backend, roles, effective permissions,
/// flags, raw claims. No database access; cloning is a reference-count increment.
///
/// As an extractor it answers 401 when the request is not authenticated; use
/// `Option<AuthContext>` for optional authentication.
#[derive(Clone)]
pub struct AuthContext(pub(crate) auth_core::AuthContext);

impl AuthContext {
    /// Wraps a core context.
    pub fn new(ctx: auth_core::AuthContext) -> Self {
        AuthContext(ctx)
    }

    /// The core context.
    pub fn into_inner(self) -> auth_core::AuthContext {
        self.0
    }
}

impl Deref for AuthContext {
    type Target = auth_core::AuthContext;
    fn deref(&self) -> &auth_core::AuthContext {
        &self.0
    }
}

impl fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

type BoxFut<T> = Pin<Box<dyn Future<Output = Result<T, AuthFailure>>>>;

/// The identity admitted by the route's guard, or computed now with the default backends.
async fn context_of(req: HttpRequest) -> Result<auth_core::AuthContext, AuthFailure> {
    let admitted = flow::admitted(&req);
    let cfg = flow::config(&req)?.clone();
    match admitted {
        Some(Some(ctx)) => Ok(ctx),
        Some(None) => Err(flow::failure(
            &cfg,
            &req,
            AuthError::Unauthenticated(Reason::MissingCredentials),
        )),
        None => flow::result(&cfg, &BackendList::Defaults, &req)
            .await
            .map_err(|e| flow::failure(&cfg, &req, e)),
    }
}

/// The fast path: a guard already admitted someone.
fn admitted_now(req: &HttpRequest) -> Option<auth_core::AuthContext> {
    flow::admitted(req).flatten()
}

/// The future of the [`AuthContext`] extractor.
pub enum ContextFuture {
    #[doc(hidden)]
    Ready(Option<AuthContext>),
    #[doc(hidden)]
    Waiting(BoxFut<AuthContext>),
}

impl fmt::Debug for ContextFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContextFuture")
    }
}

impl Future for ContextFuture {
    type Output = Result<AuthContext, AuthFailure>;
    fn poll(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.get_mut() {
            ContextFuture::Ready(c) => match c.take() {
                Some(c) => std::task::Poll::Ready(Ok(c)),
                None => std::task::Poll::Pending,
            },
            ContextFuture::Waiting(f) => f.as_mut().poll(cx),
        }
    }
}

impl FromRequest for AuthContext {
    type Error = AuthFailure;
    type Future = ContextFuture;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(ctx) = admitted_now(req) {
            return ContextFuture::Ready(Some(AuthContext(ctx)));
        }
        let req = req.clone();
        ContextFuture::Waiting(Box::pin(
            async move { context_of(req).await.map(AuthContext) },
        ))
    }
}

/// The application's user, loaded through the configuration's [`UserLoader<U>`](crate::UserLoader)
/// or, when none is registered for `U`, deserialized from the token's claims.
///
/// The loader is called only by handlers that ask for `Auth<U>`: a handler taking
/// [`AuthContext`] costs no database access.
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

impl<U: DeserializeOwned + 'static> FromRequest for Auth<U> {
    type Error = AuthFailure;
    type Future = BoxFut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let ctx = AuthContext(context_of(req.clone()).await?);
            let cfg = flow::config(&req)?;
            if let Some(loader) = cfg.loader::<U>() {
                return match loader.load_boxed(&ctx).await {
                    Ok(Some(user)) => Ok(Auth(user)),
                    Ok(None) => {
                        tracing::info!(
                            path = req.path(),
                            user = ctx.user_id(),
                            "authenticated user no longer exists"
                        );
                        Err(flow::failure(
                            cfg,
                            &req,
                            AuthError::Unauthenticated(Reason::Other("user not found".into())),
                        ))
                    }
                    Err(e) => {
                        tracing::warn!(path = req.path(), error = %e, "user loader failed");
                        Err(flow::failure(
                            cfg,
                            &req,
                            AuthError::Unavailable(e.to_string().into()),
                        ))
                    }
                };
            }
            match ctx.claims::<U>() {
                Some(Ok(user)) => Ok(Auth(user)),
                Some(Err(e)) => {
                    tracing::info!(path = req.path(), error = %e, "token claims do not fit the user type");
                    Err(flow::failure(
                        cfg,
                        &req,
                        AuthError::Unauthenticated(Reason::Other(
                            "token claims do not describe a user".into(),
                        )),
                    ))
                }
                None => {
                    tracing::error!(
                        path = req.path(),
                        user_type = std::any::type_name::<U>(),
                        "Auth<U> needs token claims or a UserLoader<U>: register one with AuthConfig::builder().user_loader(..)"
                    );
                    Err(flow::failure(
                        cfg,
                        &req,
                        AuthError::Misconfigured("<no UserLoader for this user type>".into()),
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
    type Future = BoxFut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let ctx = context_of(req.clone()).await?;
            let cfg = flow::config(&req)?;
            match ctx.claims::<T>() {
                Some(Ok(c)) => Ok(Claims(c)),
                _ => Err(flow::failure(
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
