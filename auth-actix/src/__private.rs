//! What the macros' generated code names. Not a public API: it may change in any release.

use std::future::Future;

use actix_web::HttpRequest;

pub use crate::protect::{Protect, RouteSpec};
pub use auth_core::adapter::derive::{AsFlag, AsName, ViaAsRef, ViaDisplay, Wrap};
pub use auth_core::adapter::{LocalBoxFuture, PolicyRef};
pub use auth_core::{
    AuthContext as CoreContext, AuthError, AuthUser, CustomGuard, GuardOutcome, Policy,
    RequestParts,
};
pub use std::borrow::Cow as StdCow;

use crate::context::AuthContext;

fn http(req: &dyn RequestParts) -> Option<&HttpRequest> {
    req.as_any()?.downcast_ref::<HttpRequest>()
}

/// Runs a synchronous custom guard `fn(&AuthContext, &HttpRequest) -> bool` (or
/// `-> Result<bool, AuthError>`).
pub fn call_custom<F, R>(ctx: &CoreContext, req: &dyn RequestParts, f: F) -> Result<bool, AuthError>
where
    F: Fn(&AuthContext, &HttpRequest) -> R,
    R: GuardOutcome,
{
    match http(req) {
        Some(r) => f(&AuthContext(ctx.clone()), r).into_outcome(),
        None => Ok(false),
    }
}

/// Runs an asynchronous custom guard `async fn(AuthContext, HttpRequest) -> bool` (or
/// `-> Result<bool, AuthError>`).
pub fn call_custom_async<'a, F, Fut>(
    ctx: &'a CoreContext,
    req: &'a dyn RequestParts,
    f: F,
) -> LocalBoxFuture<'a, Result<bool, AuthError>>
where
    F: Fn(AuthContext, HttpRequest) -> Fut,
    Fut: Future + 'static,
    Fut::Output: GuardOutcome,
{
    match http(req) {
        Some(r) => {
            let answer = f(AuthContext(ctx.clone()), r.clone());
            Box::pin(async move { answer.await.into_outcome() })
        }
        None => Box::pin(std::future::ready(Ok(false))),
    }
}

#[cfg(feature = "openapi")]
pub use inventory;

/// Records a protected route for the OpenAPI addon (feature `openapi`).
#[cfg(feature = "openapi")]
#[doc(hidden)]
#[macro_export]
macro_rules! __openapi_route {
    ($spec:ty) => {
        ::auth_actix::__private::inventory::submit! {
            ::auth_actix::openapi::Route::of::<$spec>()
        }
    };
}

/// Without the `openapi` feature, routes are not recorded.
#[cfg(not(feature = "openapi"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __openapi_route {
    ($spec:ty) => {};
}
