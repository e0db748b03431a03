//! What an authentication backend is: the [`Backend`] trait and the [`Outcome`] it returns.

pub mod api_key;
pub mod doc;
pub mod jwt;
pub mod session;

pub use doc::{BackendDoc, CredentialDoc};

use std::future::Future;

use crate::error::Reason;
use crate::identity::context::AuthContext;
use crate::request::RequestParts;

/// What one backend made of a request.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// No credentials of this backend's kind: the chain tries the next backend.
    NoCredentials,
    /// Authenticated.
    Authenticated(AuthContext),
    /// Credentials of this kind were present but refused.
    Rejected(Reason),
    /// A store the backend depends on could not answer: fail closed (503).
    Unavailable(String),
}

/// Where the credential that authenticated a request came from. A browser attaches cookies
/// (and with them the session) to cross-site requests too, so a request authenticated by a
/// cookie or a session needs the adapter's CSRF check before it may change state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A header the client set itself (`Authorization`, an API-key header), or a custom
    /// backend's credential.
    Header,
    /// A cookie.
    Cookie,
    /// The login session.
    Session,
}

/// A custom authentication backend.
///
/// Register it under a name with `AuthConfig::builder().backend("partner", MyBackend)`; routes
/// name it in `#[auth(partner)]` and `ctx.backend()` reports that name.
///
/// ```
/// use auth_core::extend::{Backend, Outcome, RequestParts};
/// use auth_core::{AuthContext, Reason};
///
/// struct PartnerBackend;
///
/// impl Backend for PartnerBackend {
///     async fn authenticate(&self, req: &(dyn RequestParts + Sync)) -> Outcome {
///         match req.header("x-partner-id") {
///             None => Outcome::NoCredentials,
///             Some(b"acme") => Outcome::Authenticated(AuthContext::builder("partner:acme").build()),
///             Some(_) => Outcome::Rejected(Reason::Other("unknown partner".into())),
///         }
///     }
/// }
/// ```
///
/// The request is seen through a `Sync` view and the future is `Send`, so the same backend
/// serves an actix-web app and a tonic server (whose futures move between threads). The view
/// offers headers (gRPC metadata), cookies, the method and the path.
pub trait Backend: Send + Sync + 'static {
    /// Authenticates `req`.
    fn authenticate<'a>(
        &'a self,
        req: &'a (dyn RequestParts + Sync),
    ) -> impl Future<Output = Outcome> + Send + 'a;

    /// Where the backend reads its credential and a sentence about it, for documentation (the
    /// OpenAPI security scheme auth-actix's `openapi` feature writes). Default: nothing known,
    /// documented by the backend's name alone.
    fn describe(&self) -> BackendDoc {
        BackendDoc::default()
    }
}
