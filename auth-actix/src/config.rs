//! The configuration: auth-core's [`AuthConfig`], shared with other adapters (tonic), plus what
//! only an actix-web app has, added through [`ActixConfig`]: user loaders for
//! [`Auth<U>`](crate::Auth), an error handler that renders refusals as the app's own responses,
//! and the CSRF rules for cookie credentials.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse};
use auth_core::{AuthConfig, AuthConfigBuilder, AuthError};

use crate::csrf::Csrf;
use crate::loader::{ErasedLoader, UserLoader};
use crate::response::ErrorHandler;

/// The actix-web parts of an [`AuthConfig`], set on its builder.
///
/// ```
/// use auth_actix::prelude::*;
///
/// let auth = AuthConfig::builder()
///     .jwt(JwtConfig::hs256("an example secret that is 32+ bytes long").issuer("my-app"))
///     .api_keys(ApiKeys::new().key("sk-reader-0001", ["articles.read"]))
///     .default_backends(["jwt", "api_key"])
///     .default_guard(Policy::authenticated())
///     .roles(RoleMap::new().grant("editor", ["articles.*"]))
///     .error_handler(|err, _req| actix_web::HttpResponse::Unauthorized().body(err.to_string()))
///     .build()
///     .unwrap();
/// assert!(auth.default_backends().iter().map(|b| &**b).eq(["jwt", "api_key"]));
/// ```
pub trait ActixConfig: Sized {
    /// Loads `U` for [`Auth<U>`](crate::Auth).
    fn user_loader<U: 'static, L: UserLoader<U>>(self, loader: L) -> Self;

    /// Replaces the library's JSON error responses.
    fn error_handler<F>(self, handler: F) -> Self
    where
        F: Fn(&AuthError, &HttpRequest) -> HttpResponse + Send + Sync + 'static;

    /// The CSRF rules for cookie credentials (default: [`Csrf::new`], same-origin by host).
    fn csrf(self, csrf: Csrf) -> Self;
}

/// A user loader, kept as a configuration extension (one per user type).
pub(crate) struct Loader<U>(pub(crate) Arc<dyn ErasedLoader<U>>);

/// The error handler, kept as a configuration extension.
pub(crate) struct Handler(pub(crate) ErrorHandler);

impl ActixConfig for AuthConfigBuilder {
    fn user_loader<U: 'static, L: UserLoader<U>>(self, loader: L) -> Self {
        self.extension(Loader::<U>(Arc::new(loader)))
    }

    fn error_handler<F>(self, handler: F) -> Self
    where
        F: Fn(&AuthError, &HttpRequest) -> HttpResponse + Send + Sync + 'static,
    {
        self.extension(Handler(Arc::new(handler)))
    }

    fn csrf(self, csrf: Csrf) -> Self {
        self.extension(csrf)
    }
}

/// The loader of `U`, if one is registered.
pub(crate) fn loader<U: 'static>(cfg: &AuthConfig) -> Option<&Arc<dyn ErasedLoader<U>>> {
    cfg.extension::<Loader<U>>().map(|l| &l.0)
}

/// The app's error handler, if it set one.
pub(crate) fn error_handler(cfg: &AuthConfig) -> Option<&ErrorHandler> {
    cfg.extension::<Handler>().map(|h| &h.0)
}
