//! [`UserLoader`]: how [`Auth<U>`](crate::Auth) finds the application's user.

use std::future::Future;

use auth_core::adapter::LocalBoxFuture;

use crate::context::AuthContext;

/// Loads the application's user for [`Auth<U>`](crate::Auth) from an authenticated context.
///
/// ```
/// use auth_actix::{AuthContext, UserLoader, UserLoadError};
///
/// #[derive(Clone)]
/// struct User { id: i64, name: String }
/// struct Db;
///
/// impl UserLoader<User> for Db {
///     async fn load(&self, ctx: &AuthContext) -> Result<Option<User>, UserLoadError> {
///         let id: i64 = ctx.user_id().parse().map_err(|_| UserLoadError::new("sub is not a number"))?;
///         Ok(Some(User { id, name: "from the database".into() }))
///     }
/// }
/// ```
pub trait UserLoader<U>: Send + Sync + 'static {
    /// Loads the user; `Ok(None)` when it no longer exists (the request is then refused with 401).
    fn load(&self, ctx: &AuthContext) -> impl Future<Output = Result<Option<U>, UserLoadError>>;
}

use auth_core::UserLoadError;

pub(crate) trait ErasedLoader<U>: Send + Sync {
    fn load_boxed<'a>(
        &'a self,
        ctx: &'a AuthContext,
    ) -> LocalBoxFuture<'a, Result<Option<U>, UserLoadError>>;
}

impl<U: 'static, L: UserLoader<U>> ErasedLoader<U> for L {
    fn load_boxed<'a>(
        &'a self,
        ctx: &'a AuthContext,
    ) -> LocalBoxFuture<'a, Result<Option<U>, UserLoadError>> {
        Box::pin(self.load(ctx))
    }
}
