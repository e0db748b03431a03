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
//!
//! **The [guide]** walks through everything else: getting started, the guard grammar,
//! extractors and user loading, tokens and refresh, revocation stores, browser sessions and
//! CSRF, identity providers, your own signing keys, OpenAPI, testing, configuration, security.
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `aws-lc-rs` | yes | `jsonwebtoken`'s aws-lc-rs crypto backend (fast RSA and EC; needs a C compiler) |
//! | `rust-crypto` | no | `jsonwebtoken`'s pure-Rust backend instead |
//! | `redis` | no | `RedisRevocation` and shared login counters |
//! | `sqlite`, `postgres` | no | `SqlRevocation` through sqlx |
//! | `openapi` | no | `openapi::AuthAddon`, a utoipa `Modify` documenting every route's auth |
//! | `oidc` | no | `IdentityProvider`: OpenID discovery and remote JWKS |

#![deny(missing_docs)]

mod config;
mod context;
mod csrf;
mod decide;
pub mod endpoints;
mod extract;
mod future;
mod gate;
pub mod guide;
mod loader;
mod middleware;
#[cfg(feature = "openapi")]
pub mod openapi;
mod protect;
mod request;
mod response;
mod session_io;
mod session_store;

#[doc(hidden)]
pub mod __private;
pub mod test;

pub use auth_core::app::*;
/// For authors of backends and stores (shared with `auth-tonic`).
pub use auth_core::extend;
pub use config::ActixConfig;
pub use context::AuthContext;
pub use csrf::{Csrf, CSRF_HEADER};
pub use extract::{Auth, AuthSettings, Claims};
pub use loader::UserLoader;
pub use middleware::RequireAuth;
pub use protect::{Protect, RouteSpec};
pub use response::{json_config, ErrorHandler};
pub use session_store::{SessionStoreDeadline, SessionStoreErrors};

pub use auth_macros::{auth, guard, AuthUser};

/// The types actix-web's traits name (extractor futures, middleware services, the error
/// extractors answer with) and the request view custom guards receive: named in types, rarely
/// written, as `actix_web::dev` keeps its own.
pub mod dev {
    pub use crate::future::ExtractFuture;
    pub use crate::middleware::RequireAuthService;
    pub use crate::request::ActixRequest;
    pub use crate::response::AuthFailure;
    pub use crate::session_store::SessionStoreErrorsService;
}

/// Everything a handler module needs: `use auth_actix::prelude::*;`.
pub mod prelude {
    pub use crate::{
        auth, guard, ActixConfig, ApiKey, ApiKeys, Auth, AuthConfig, AuthContext, AuthUser, Claims,
        InMemoryRevocation, JwtConfig, JwtKey, Policy, Reason, RequestParts, RequireAuth, RoleMap,
        UserLoadError, UserLoader,
    };
}
