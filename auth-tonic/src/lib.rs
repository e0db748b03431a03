//! # auth-tonic
//!
//! The `auth-actix` engine for tonic gRPC servers: one [`AuthConfig`] (backends, keys, roles,
//! revocation store) protects an actix-web app and a tonic server alike, so a token logged out
//! over HTTP is refused over gRPC.
//!
//! [`AuthLayer`] is a tower layer: it reads credentials from the call's metadata
//! (`authorization: Bearer ...`, the API-key header, any custom backend), runs the backends and
//! the revocation check, then the method's guard, written in the `#[guard]` grammar with
//! [`guard!`]. Every method requires authentication unless marked public or optional. The
//! method reads the identity with [`RequestAuth::auth`].
//!
//! ```no_run
//! use auth_tonic::{guard, AuthConfig, AuthLayer, JwtConfig, RequestAuth};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = AuthConfig::builder()
//!     .jwt(JwtConfig::hs256(std::env::var("JWT_SECRET")?))
//!     .build()?;
//! let layer = AuthLayer::builder(auth.clone())
//!     .methods(["/shop.v1.Orders/Health", "/shop.v1.Orders/Cancel"])
//!     .public("/shop.v1.Orders/Health")
//!     .method("/shop.v1.Orders/Cancel", guard!(has_permission("orders.cancel")))
//!     .build()?;
//! // tonic::transport::Server::builder().layer(layer).add_service(OrdersServer::new(svc)).serve(addr).await?;
//! # let _ = layer;
//! # Ok(()) }
//!
//! // In a method:
//! fn cancel(request: tonic::Request<()>) -> Result<tonic::Response<()>, tonic::Status> {
//!     let ctx = request.auth()?;
//!     tracing::info!(user = ctx.user_id(), "cancelling");
//!     Ok(tonic::Response::new(()))
//! }
//! ```
//!
//! Refusals become statuses as [`status_of`] says: `UNAUTHENTICATED` with the reason,
//! `PERMISSION_DENIED` naming the failed guard, `UNAVAILABLE` when a store cannot answer (fail
//! closed).

#![deny(missing_docs)]

mod ext;
mod layer;
mod request;
mod rules;
mod status;

#[doc(hidden)]
pub mod __private;

pub use auth_core as core;
pub use auth_core::jwt::{Algorithm, JwtConfig, JwtKey, TokenOptions};
#[cfg(feature = "oidc")]
pub use auth_core::jwt::{ClaimMapping, IdentityProvider};
#[cfg(feature = "redis")]
pub use auth_core::revocation::redis::RedisRevocation;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use auth_core::revocation::sql::SqlRevocation;
pub use auth_core::{
    ApiKeys, AuthConfig, AuthConfigBuilder, AuthContext, AuthError, Backend, ConfigError,
    CustomGuard, Guard, InMemoryRevocation, Outcome, Policy, Reason, RequestParts, RevocationStore,
    RoleMap,
};
pub use ext::RequestAuth;
pub use layer::{AuthFuture, AuthLayer, AuthService};
pub use request::GrpcRequest;
pub use rules::{AuthLayerBuilder, BuildError};
pub use status::status_of;

/// A gRPC method's guard in the `#[guard]` grammar, as a [`Policy`]:
/// `guard!(has_permission("articles.write"))`, `guard!(any(is_staff, has_role("editor")))`.
///
/// A mistyped guard is a compile error. Custom guards are synchronous functions
/// `fn(&AuthContext, &dyn RequestParts) -> bool` (`custom(path::to::fn)`); `custom_async` is
/// refused, since a tonic server's futures move between threads.
pub use auth_macros::grpc_guard as guard;
