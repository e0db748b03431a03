//! # auth-core
//!
//! The framework-neutral engine behind `auth-actix` and `auth-tonic`: the [`AuthUser`]
//! protocol, the [`AuthContext`] a successful authentication yields, guards ([`Policy`]), the
//! JWT, API-key and session backends, token issuing and refresh, revocation stores, login
//! throttling and password hashing. It knows no web framework.
//!
//! Applications depend on an adapter crate, which re-exports this crate's application items
//! (the [`app`] list) at its root; the [guide](https://docs.rs/auth-actix/latest/auth_actix/guide/)
//! lives with `auth-actix`. The public API comes in three tiers:
//!
//! - the crate root and its feature modules ([`jwt`], [`session`], [`revocation`],
//!   [`password`], [`throttle`]): what an application writes;
//! - [`extend`]: what an author of a backend or a store implements;
//! - `adapter` (hidden): the plumbing between this engine and its adapters. An adapter calls
//!   `AuthConfig::admit` once per request.
//!
//! Inside, the modules are layered by responsibility, each using only those below it:
//! `util` < `error` < `identity` < `request` < `policy`, `revocation` < `backends`, `login` <
//! `engine` (see `ARCHITECTURE.md`).
//!
//! ```
//! use auth_core::{AuthConfig, AuthContext, JwtConfig, Policy, TokenOptions};
//! use auth_core::adapter::{Incoming, Route, Rule};
//! use auth_core::extend::{RequestParts, SimpleRequest};
//!
//! struct Plain(SimpleRequest);
//! impl Incoming for Plain {
//!     fn credentials(&self) -> &(dyn RequestParts + Sync) { &self.0 }
//!     fn request(&self) -> &dyn RequestParts { &self.0 }
//! }
//!
//! # tokio_test_block(async {
//! let auth = AuthConfig::builder()
//!     .jwt(JwtConfig::hs256("an example secret that is 32+ bytes long"))
//!     .build()
//!     .unwrap();
//! let who = AuthContext::builder("42").permissions(["articles.write"]).build();
//! let jwt = auth.jwt().unwrap();
//! let token = jwt.issue_for_context(&who, TokenOptions::access().with_permissions()).unwrap();
//!
//! let req = Plain(SimpleRequest::new("POST", "/articles")
//!     .header("Authorization", format!("Bearer {}", token.token)));
//! let guard = Policy::has_permission("articles.write");
//! let route = Route { name: "create_article", backends: Some(&["jwt"]), rule: Rule::Guard(&guard) };
//! let ctx = auth.admit(&route, &req).await.unwrap().unwrap();
//! assert_eq!(ctx.backend(), "jwt");
//! # });
//! # fn tokio_test_block<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backends;
mod engine;
mod error;
mod identity;
mod login;
mod policy;
mod request;
pub mod revocation;
mod util;

/// Internals the fuzz targets call directly (feature `fuzzing`). Not an API: it may change in
/// any release.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz {
    /// The keys of a JWKS document and how many entries were skipped.
    pub use crate::backends::jwt::provider::jwk::parse_jwks;
}

/// What an application writes, the same list in every adapter: `auth_actix` and `auth_tonic`
/// re-export it at their roots (`pub use auth_core::app::*`), and so does this crate.
pub mod app {
    pub use crate::backends::api_key::{ApiKey, ApiKeys};
    pub use crate::backends::jwt::{
        Algorithm, JwtConfig, JwtKey, KeyRing, TokenOptions, TokenPair,
    };
    #[cfg(feature = "oidc")]
    pub use crate::backends::jwt::{ClaimMapping, IdentityProvider};
    pub use crate::backends::session::{SessionUsers, Sessions};
    pub use crate::engine::config::{AuthConfig, AuthConfigBuilder};
    pub use crate::error::{AuthError, ConfigError, IssueError, Reason};
    pub use crate::identity::context::{AuthContext, AuthContextBuilder, TokenInfo, TokenKind};
    pub use crate::identity::permissions::{PermissionSet, RoleMap};
    pub use crate::identity::user::{AuthUser, UserLoadError};
    pub use crate::login::throttle::LoginThrottle;
    pub use crate::policy::{CustomGuard, GuardOutcome, Policy};
    pub use crate::request::RequestParts;
    #[cfg(feature = "redis")]
    pub use crate::revocation::redis::RedisRevocation;
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub use crate::revocation::sql::SqlRevocation;
    pub use crate::revocation::{InMemoryRevocation, RevocationStore};

    pub use crate::backends::{jwt, session};
    pub use crate::login::{password, throttle};
    pub use crate::revocation;
}

pub use app::*;

/// What an author of a backend or a store implements, and the types those traits use.
///
/// A custom backend implements [`Backend`](extend::Backend) and is registered with
/// `AuthConfig::builder().backend(name, it)`; a revocation store implements
/// [`RevocationStore`]; counters shared by several instances for the
/// login throttle implement [`SharedCounters`](extend::SharedCounters).
pub mod extend {
    pub use crate::backends::{Backend, BackendDoc, CredentialDoc, Outcome};
    pub use crate::login::throttle::{CounterKey, SharedCounters};
    pub use crate::request::{CredentialSource, HeaderOnce, RequestParts, SimpleRequest};
    pub use crate::revocation::{
        RevocationStore, Rotate, Rotation, StoreError, StoreFuture, TokenRef,
    };
}

/// The plumbing between the engine and its adapters (auth-actix, auth-tonic) and the code the
/// macros generate. Not for applications; it may change in any release.
#[doc(hidden)]
pub mod adapter {
    pub use crate::backends::session::auth_hash;
    pub use crate::backends::Origin;
    pub use crate::engine::chain::Backends;
    pub use crate::engine::decide::{Incoming, Route, Rule};
    pub use crate::engine::log;
    pub use crate::identity::derive;
    pub use crate::identity::permissions::validate_name;
    pub use crate::policy::{
        Admitted, AsyncGuardFn, Decision, LocalBoxFuture, Names, PolicyRef, SyncGuardFn,
    };
    pub use crate::request::find_cookie;
    pub use crate::request::session::{SessionRecord, SessionView};
    pub use crate::util::random::random_id;
}
