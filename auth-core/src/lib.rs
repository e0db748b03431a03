//! # auth-core
//!
//! The framework-agnostic engine behind `auth-actix`: the [`AuthUser`] protocol, the
//! [`AuthContext`] a successful authentication yields, guard expressions ([`Policy`]) and their
//! evaluation, the authentication [`Backends`] (JWT, API key, custom), token issuing, and the
//! [`RevocationStore`] trait with its in-memory store, and browser [sessions](session).
//!
//! It knows nothing of any web framework: a framework crate implements [`RequestParts`] for its
//! request type and maps [`AuthError`] to responses.
//!
//! ```
//! use auth_core::{jwt::JwtConfig, AuthContext, Backends, Policy, Decision, SimpleRequest};
//!
//! # tokio_test_block(async {
//! let jwt = JwtConfig::hs256(b"an example secret that is 32+ bytes long").build(None, None).unwrap();
//! let who = AuthContext::builder("42").permissions(["articles.write"]).build();
//! let token = jwt.issue_for_context(&who, auth_core::jwt::TokenOptions::access().with_permissions()).unwrap();
//!
//! let mut backends = Backends::new();
//! backends.add_jwt("jwt", jwt).unwrap();
//! let req = SimpleRequest::new("POST", "/articles").header("Authorization", format!("Bearer {}", token.token));
//! let ctx = backends.authenticate(&["jwt"], &req).await.unwrap();
//! assert_eq!(ctx.backend(), "jwt");
//! let policy = Policy::has_permission("articles.write");
//! assert!(matches!(policy.decide(Some(&ctx), &req).await, Decision::Allow));
//! # });
//! # fn tokio_test_block<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod admit;
pub mod api_key;
pub mod backend;
pub mod chain;
pub mod config;
pub mod context;
mod crypto;
pub mod error;
pub mod jwt;
pub mod log;
pub mod password;
pub mod permissions;
pub mod policy;
pub mod request;
pub mod revocation;
pub mod session;
pub mod throttle;
mod time;
pub mod user;

/// Internals the fuzz targets call directly (feature `fuzzing`). Not an API: it may change in
/// any release.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz {
    /// The keys of a JWKS document and how many entries were skipped.
    pub use crate::jwt::provider::jwk::parse_jwks;
}

pub use admit::Admitted;
pub use api_key::{ApiKey, ApiKeyBackend, ApiKeys};
pub use backend::{Backend, BackendDoc, CredentialDoc, Outcome};
pub use chain::Backends;
pub use config::{AuthConfig, AuthConfigBuilder};
pub use context::{AuthContext, AuthContextBuilder, TokenInfo, TokenKind};
pub use error::{AuthError, ConfigError, IssueError, Reason};
pub use jwt::{JwtBackend, JwtConfig, JwtKey};
pub use permissions::{PermissionSet, RoleMap};
pub use policy::{CustomGuard, Decision, Guard, Policy, PolicyRef};
pub use request::{CredentialSource, HeaderOnce, RequestParts, SimpleRequest};
pub use revocation::{
    InMemoryRevocation, RevocationStore, Rotate, Rotation, StoreError, StoreFuture, TokenRef,
};
pub use user::{AuthUser, UserLoadError};
