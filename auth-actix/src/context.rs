//! [`AuthContext`]: the authenticated identity as a handler receives it.

use std::fmt;
use std::ops::Deref;

/// The authenticated identity of a request: user id, backend, roles, effective permissions,
/// flags, raw claims. No database access; cloning is a reference-count increment.
///
/// It is auth-core's context (every method of it is reached through `Deref`), wrapped so that it
/// can be an actix-web extractor: Rust lets a crate implement a foreign trait (`FromRequest`)
/// only for a type of its own (the orphan rule). Code that is not a handler (a custom backend's
/// [`Outcome`](crate::extend::Outcome), the test helpers) takes the inner context, which
/// [`AuthContext::builder`] builds and [`AuthContext::into_inner`] or `&*ctx` give.
///
/// As an extractor it answers 401 when the request is not authenticated; use
/// `Option<AuthContext>` for optional authentication.
#[derive(Clone)]
pub struct AuthContext(pub(crate) auth_core::AuthContext);

impl AuthContext {
    /// Starts a context for `user_id` (for a custom backend, a test): `.build()` gives the
    /// inner context.
    pub fn builder(user_id: impl Into<Box<str>>) -> auth_core::AuthContextBuilder {
        auth_core::AuthContext::builder(user_id)
    }

    /// The core context.
    pub fn into_inner(self) -> auth_core::AuthContext {
        self.0
    }
}

impl From<auth_core::AuthContext> for AuthContext {
    fn from(ctx: auth_core::AuthContext) -> Self {
        AuthContext(ctx)
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
