//! What an authentication backend is: the [`Backend`] trait and the [`Outcome`] it returns.

use std::future::Future;

use crate::context::AuthContext;
use crate::error::Reason;
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

/// A custom authentication backend.
///
/// Register it under a name with `AuthConfig::builder().backend("partner", MyBackend)`; routes
/// name it in `#[auth(partner)]` and `ctx.backend()` reports that name.
///
/// ```
/// use auth_core::{AuthContext, Backend, Outcome, Reason, RequestParts};
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

/// Where a backend reads credentials, for documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialDoc {
    /// `Authorization: Bearer <credential>`, with the credential's format (`JWT`) if known.
    Bearer {
        /// The format (`JWT`).
        format: Option<String>,
    },
    /// A header (lowercase name).
    Header(String),
    /// A cookie.
    Cookie(String),
    /// The login session (its cookie is the session middleware's).
    Session,
    /// Tokens of an OpenID provider, by the URL of its discovery document.
    OpenIdConnect(String),
    /// Something else: documented by the backend's name and description.
    Other,
}

impl CredentialDoc {
    /// A one-word name of the kind (`bearer`, `header`, `cookie`, `session`, `oidc`, `other`).
    pub fn kind(&self) -> &'static str {
        match self {
            CredentialDoc::Bearer { .. } => "bearer",
            CredentialDoc::Header(_) => "header",
            CredentialDoc::Cookie(_) => "cookie",
            CredentialDoc::Session => "session",
            CredentialDoc::OpenIdConnect(_) => "oidc",
            CredentialDoc::Other => "other",
        }
    }
}

/// A backend as documentation describes it: where it reads credentials, in order, and what it
/// is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendDoc {
    /// Where credentials are read, in the order they are tried (empty: [`CredentialDoc::Other`]).
    pub credentials: Vec<CredentialDoc>,
    /// A sentence for readers of the API's documentation.
    pub description: Option<String>,
}

impl BackendDoc {
    /// A backend reading `credential`, described by `description`.
    pub fn new(credential: CredentialDoc, description: impl Into<String>) -> Self {
        BackendDoc {
            credentials: vec![credential],
            description: Some(description.into()),
        }
    }
}
