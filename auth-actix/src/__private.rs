//! What the macros' generated code names. Not a public API: it may change in any release.

use std::future::Future;

use actix_web::HttpRequest;

pub use crate::protect::{Protect, RouteSpec};
pub use auth_core::adapter::derive::{AsFlag, AsName, ViaAsRef, ViaDisplay, Wrap};
pub use auth_core::adapter::{LocalBoxFuture, PolicyRef};
pub use auth_core::{AuthContext as CoreContext, AuthUser, CustomGuard, Policy, RequestParts};
pub use std::borrow::Cow as StdCow;

use crate::context::AuthContext;

fn http(req: &dyn RequestParts) -> Option<&HttpRequest> {
    req.as_any()?.downcast_ref::<HttpRequest>()
}

/// Runs a synchronous custom guard `fn(&AuthContext, &HttpRequest) -> bool`.
pub fn call_custom<F>(ctx: &CoreContext, req: &dyn RequestParts, f: F) -> bool
where
    F: Fn(&AuthContext, &HttpRequest) -> bool,
{
    match http(req) {
        Some(r) => f(&AuthContext(ctx.clone()), r),
        None => false,
    }
}

/// Runs an asynchronous custom guard `async fn(AuthContext, HttpRequest) -> bool`.
pub fn call_custom_async<'a, F, Fut>(
    ctx: &'a CoreContext,
    req: &'a dyn RequestParts,
    f: F,
) -> LocalBoxFuture<'a, bool>
where
    F: Fn(AuthContext, HttpRequest) -> Fut,
    Fut: Future<Output = bool> + 'static,
{
    match http(req) {
        Some(r) => Box::pin(f(AuthContext(ctx.clone()), r.clone())),
        None => Box::pin(std::future::ready(false)),
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
