//! What `guard!`'s generated code names. Not a public API: it may change in any release.

pub use auth_core::policy::PolicyRef;
pub use auth_core::{AuthContext, CustomGuard, Policy, RequestParts};
pub use std::borrow::Cow as StdCow;
