//! What `guard!`'s and `#[derive(AuthUser)]`'s generated code names. Not a public API: it may
//! change in any release.

pub use auth_core::adapter::derive::{AsFlag, AsName, ViaAsRef, ViaDisplay, Wrap};
pub use auth_core::adapter::PolicyRef;
pub use auth_core::{
    AuthContext, AuthError, AuthUser, CustomGuard, GuardOutcome, Policy, RequestParts,
};
pub use std::borrow::Cow as StdCow;
