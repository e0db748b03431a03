//! # auth-actix
//!
//! Declarative authentication and authorization for actix-web.
//!
//! ```no_run
//! use actix_web::{get, post, web, App, HttpServer};
//! use auth_actix::prelude::*;
//!
//! #[get("/profile")]
//! #[auth(jwt)]
//! async fn profile(ctx: AuthContext) -> String {
//!     format!("hello {}", ctx.user_id())
//! }
//!
//! #[post("/articles")]
//! #[auth(jwt, api_key)]
//! #[guard(has_permission("articles.write"))]
//! async fn create(ctx: AuthContext) -> String {
//!     format!("by {} via {}", ctx.user_id(), ctx.backend())
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let auth = AuthConfig::builder()
//!         .jwt(JwtConfig::hs256(std::env::var("JWT_SECRET").unwrap_or_default()))
//!         .api_keys(ApiKeys::new().key("sk-writer-0001", ["articles.write"]))
//!         .build()
//!         .map_err(std::io::Error::other)?;
//!     HttpServer::new(move || App::new().app_data(auth.clone()).service(profile).service(create))
//!         .bind("127.0.0.1:8080")?
//!         .run()
//!         .await
//! }
//! ```
//!
//! - [`macro@auth`] names the backends a route tries, in order; [`macro@guard`] says who may
//!   call it. A handler with one of the two takes the other half from the [`AuthConfig`]
//!   defaults; an `#[auth]` handler without a default guard requires `authenticated`.
//! - Refusals are 401 (with `WWW-Authenticate: Bearer ...`, RFC 6750), 403 (naming the failed
//!   guard) or 503 (a store is unreachable: fail closed), with JSON bodies
//!   `{"error": ..., "detail": ...}`.
//! - Backend names in `#[auth(..)]` are identifiers checked at run time against the
//!   configuration, because the configuration is a value built at start-up (from environment
//!   variables, say) that the compiler cannot see. A name that is not registered answers 500
//!   with a log line naming it; it never lets a request through.

#![deny(missing_docs)]

mod config;
mod context;
mod csrf;
mod decide;
pub mod endpoints;
mod extract;
mod future;
mod gate;
mod loader;
mod middleware;
#[cfg(feature = "openapi")]
pub mod openapi;
mod protect;
mod request;
mod response;
mod session;
mod session_store;

#[doc(hidden)]
pub mod __private;
pub mod test;

pub use auth_core as core;
pub use auth_core::jwt::{Algorithm, JwtConfig, JwtKey, TokenOptions};
#[cfg(feature = "oidc")]
pub use auth_core::jwt::{ClaimMapping, IdentityProvider};
#[cfg(feature = "redis")]
pub use auth_core::revocation::redis::RedisRevocation;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use auth_core::revocation::sql::SqlRevocation;
pub use auth_core::revocation::{Rotate, Rotation, StoreError, StoreFuture, TokenRef};
pub use auth_core::{
    ApiKey, ApiKeys, AuthError, AuthUser, Backend, BackendDoc, ConfigError, CredentialDoc,
    CustomGuard, Guard, InMemoryRevocation, Outcome, Policy, Reason, RequestParts, RevocationStore,
    RoleMap,
};
pub use auth_core::{AuthConfig, AuthConfigBuilder};
pub use config::ActixConfig;
pub use context::AuthContext;
pub use csrf::{Csrf, CSRF_HEADER};
pub use extract::{Auth, Claims};
pub use future::AuthFuture;
pub use loader::{UserLoadError, UserLoader};
pub use middleware::{RequireAuth, RequireAuthService};
pub use protect::{Protect, RouteSpec};
pub use request::ActixRequest;
pub use response::{json_config, AuthFailure, ErrorHandler};
pub use session_store::{SessionStoreDeadline, SessionStoreErrors, SessionStoreErrorsService};

pub use auth_macros::{auth, guard, AuthUser};

/// Everything a handler module needs: `use auth_actix::prelude::*;`.
pub mod prelude {
    pub use crate::{
        auth, guard, ActixConfig, ApiKey, ApiKeys, Auth, AuthConfig, AuthContext, AuthUser,
        Backend, Claims, Guard, InMemoryRevocation, JwtConfig, JwtKey, Outcome, Policy, Reason,
        RequestParts, RequireAuth, RoleMap, UserLoadError, UserLoader,
    };
}
