//! What the macros' generated code names. Not a public API: it may change in any release.

use std::borrow::Cow;
use std::fmt::Display;
use std::future::Future;

use actix_web::HttpRequest;

pub use crate::protect::{Protect, RouteSpec};
pub use auth_core::policy::LocalBoxFuture;
pub use auth_core::{AuthContext as CoreContext, CustomGuard, Policy, PolicyRef, RequestParts};
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

/// Wraps a field value for [`ViaAsRef`]/[`ViaDisplay`] dispatch in `#[derive(AuthUser)]`.
#[derive(Debug)]
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

/// Borrows string-like values (`String`, `&str`, enums with `AsRef<str>`).
pub trait ViaAsRef<'a> {
    /// The value as a string.
    fn __auth_str(&self) -> Cow<'a, str>;
}

impl<'a, T: AsRef<str> + ?Sized> ViaAsRef<'a> for &&Wrap<'a, T> {
    fn __auth_str(&self) -> Cow<'a, str> {
        Cow::Borrowed(self.0.as_ref())
    }
}

/// Formats other values (`i64`, `Uuid`, enums with `Display`).
pub trait ViaDisplay<'a> {
    /// The value as a string.
    fn __auth_str(&self) -> Cow<'a, str>;
}

impl<'a, T: Display + ?Sized> ViaDisplay<'a> for &Wrap<'a, T> {
    fn __auth_str(&self) -> Cow<'a, str> {
        Cow::Owned(self.0.to_string())
    }
}

/// Display-name fields: `String`, `Option<String>`, `&str`, ...
pub trait AsName {
    /// The name, if any.
    fn __auth_name(&self) -> Option<Cow<'_, str>>;
}

impl AsName for String {
    fn __auth_name(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl AsName for str {
    fn __auth_name(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl AsName for &str {
    fn __auth_name(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl AsName for Box<str> {
    fn __auth_name(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl AsName for Cow<'_, str> {
    fn __auth_name(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl<T: AsName> AsName for Option<T> {
    fn __auth_name(&self) -> Option<Cow<'_, str>> {
        self.as_ref().and_then(AsName::__auth_name)
    }
}

/// Boolean flag fields: `bool` or `Option<bool>` (absent is `false`).
pub trait AsFlag {
    /// The flag.
    fn __auth_flag(&self, default: bool) -> bool;
}

impl AsFlag for bool {
    fn __auth_flag(&self, _: bool) -> bool {
        *self
    }
}

impl AsFlag for Option<bool> {
    fn __auth_flag(&self, default: bool) -> bool {
        self.unwrap_or(default)
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
