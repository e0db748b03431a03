//! # auth-tonic
//!
//! The `auth-actix` engine for tonic gRPC servers: one [`AuthConfig`] (backends, keys, roles,
//! revocation store) protects an actix-web app and a tonic server alike, so a token logged out
//! over HTTP is refused over gRPC. The [guide] shows a whole server and its client.
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
/// The guide's gRPC chapter (the rest of the guide is `auth_actix::guide`, on
/// [docs.rs](https://docs.rs/auth-actix/latest/auth_actix/guide/)). Its examples are compiled and
/// run as doc tests by the workspace's `examples` crate, which holds the showcase's service.
#[cfg_attr(not(doctest), doc = include_str!("guide.md"))]
pub mod guide {}
mod layer;
mod request;
mod rules;
mod status;

#[doc(hidden)]
pub mod __private;

pub use auth_core::app::*;
/// For authors of backends and stores (shared with `auth-actix`).
pub use auth_core::extend;
pub use ext::RequestAuth;
pub use layer::AuthLayer;
pub use rules::{AuthLayerBuilder, BuildError};
pub use status::status_of;

/// The service the layer wraps around a server and its future, and the view of a call that
/// backends and guards read: named in types, rarely written.
pub mod dev {
    pub use crate::layer::{AuthService, ResponseFuture};
    pub use crate::request::GrpcRequest;
}

/// Implements [`AuthUser`] for a struct, as `auth_actix::AuthUser` does (the same field names
/// and `#[auth(..)]` markers).
///
/// ```
/// use auth_tonic::AuthUser;
///
/// #[derive(AuthUser)]
/// struct User { id: i64, username: String, permissions: Vec<String> }
///
/// let u = User { id: 7, username: "ada".into(), permissions: vec!["orders.read".into()] };
/// assert_eq!(u.auth_id(), "7");
/// ```
pub use auth_macros::GrpcAuthUser as AuthUser;

/// A gRPC method's guard in the `#[guard]` grammar, as a [`Policy`]:
/// `guard!(has_permission("articles.write"))`, `guard!(any(is_staff, has_role("editor")))`.
///
/// A mistyped guard is a compile error. Custom guards are synchronous functions
/// `fn(&AuthContext, &dyn RequestParts) -> bool` (`custom(path::to::fn)`); `custom_async` is
/// refused, since a tonic server's futures move between threads.
pub use auth_macros::grpc_guard as guard;
