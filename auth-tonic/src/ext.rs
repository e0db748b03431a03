//! Reading the identity in a method: `request.auth()?`.

use auth_core::AuthContext;
use tonic::Status;

/// What [`AuthLayer`](crate::AuthLayer) admitted, kept in the call's extensions: `None` for an
/// anonymous call on a public or optional method.
#[derive(Debug, Clone)]
pub(crate) struct Identity(pub(crate) Option<AuthContext>);

/// The identity of a call, in a method of a service behind [`AuthLayer`](crate::AuthLayer).
///
/// ```
/// use auth_tonic::RequestAuth;
///
/// fn me(request: &tonic::Request<()>) -> Result<String, tonic::Status> {
///     let ctx = request.auth()?;
///     Ok(ctx.user_id().to_owned())
/// }
/// ```
pub trait RequestAuth {
    /// The authenticated identity; `UNAUTHENTICATED` for an anonymous call (on a public or
    /// optional method), `INTERNAL` if no [`AuthLayer`](crate::AuthLayer) is installed.
    fn auth(&self) -> Result<AuthContext, Status>;

    /// The identity, if the call has one (public and optional methods).
    fn auth_optional(&self) -> Option<AuthContext>;
}

impl<T> RequestAuth for tonic::Request<T> {
    fn auth(&self) -> Result<AuthContext, Status> {
        match self.extensions().get::<Identity>() {
            Some(Identity(Some(ctx))) => Ok(ctx.clone()),
            Some(Identity(None)) => Err(Status::unauthenticated(
                auth_core::Reason::MissingCredentials.to_string(),
            )),
            None => {
                tracing::error!(
                    "request.auth() in a service without auth_tonic::AuthLayer: add `.layer(auth_layer)` to the tonic Server"
                );
                Err(Status::internal(
                    "authentication is misconfigured on the server; see its log",
                ))
            }
        }
    }

    fn auth_optional(&self) -> Option<AuthContext> {
        self.extensions().get::<Identity>()?.0.clone()
    }
}
