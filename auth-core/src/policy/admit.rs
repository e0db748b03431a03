//! What a route's or method's guard makes of an authentication result: the one verdict every
//! adapter gives (actix-web answers it as 401/403/503, tonic as `UNAUTHENTICATED`,
//! `PERMISSION_DENIED`, `UNAVAILABLE`).

use crate::error::{AuthError, Reason};
use crate::identity::context::AuthContext;
use crate::policy::{Decision, Policy};
use crate::request::RequestParts;

/// The identity a guard let through: `None` for an anonymous request on an `allow_any` route.
pub type Admitted = Result<Option<AuthContext>, AuthError>;

impl Policy {
    /// Applies the policy to an authentication result.
    ///
    /// - A misconfigured route (a backend name that is not registered) is refused even on
    ///   `allow_any`: a broken route is never an allow.
    /// - `allow_any` admits whoever authenticated, or nobody.
    /// - A store that cannot answer refuses the request (fail closed), whatever the guard.
    /// - Otherwise the guard decides; an anonymous request it refuses keeps the authentication's
    ///   own reason ("token expired" rather than "no credentials").
    pub async fn admit(
        &self,
        result: &Result<AuthContext, AuthError>,
        req: &dyn RequestParts,
    ) -> Admitted {
        match self.admit_ready(result, req) {
            Some(done) => done,
            None => self.admit_pending(result, req).await,
        }
    }

    /// The verdict of a policy whose synchronous evaluation ([`Policy::admit_ready`]) reached a
    /// custom_async guard: the asynchronous evaluation alone, so no guard runs twice.
    pub(crate) async fn admit_pending(
        &self,
        result: &Result<AuthContext, AuthError>,
        req: &dyn RequestParts,
    ) -> Admitted {
        let decision = self.decide_pending(result.as_ref().ok(), req).await;
        verdict(decision, result)
    }

    /// [`Policy::admit`] without awaiting, for adapters whose futures must be `Send`: a policy
    /// that reaches an asynchronous custom guard refuses the request as misconfigured (such
    /// adapters reject those policies when they are built, so this is a last line).
    pub fn admit_now(
        &self,
        result: &Result<AuthContext, AuthError>,
        req: &dyn RequestParts,
    ) -> Admitted {
        self.admit_ready(result, req).unwrap_or_else(|| {
            Err(AuthError::Misconfigured(
                "a custom_async guard where guards cannot be awaited (a gRPC method): use \
                 custom(..)"
                    .into(),
            ))
        })
    }

    /// The verdict when no asynchronous guard is reached; `None` when one is, for
    /// [`Policy::admit`] to await. The result is borrowed: an adapter keeps it (a later
    /// extractor reuses it), and the verdict clones only the identity it admits.
    #[inline]
    pub(crate) fn admit_ready(
        &self,
        result: &Result<AuthContext, AuthError>,
        req: &dyn RequestParts,
    ) -> Option<Admitted> {
        match result {
            Err(e @ AuthError::Misconfigured(_)) => Some(Err(e.clone())),
            r if self.is_allow_any() => Some(Ok(r.as_ref().ok().cloned())),
            Err(e @ AuthError::Unavailable(_)) => Some(Err(e.clone())),
            r => self
                .decide_now(r.as_ref().ok(), req)
                .map(|decision| verdict(decision, r)),
        }
    }
}

fn verdict(decision: Decision<'_>, result: &Result<AuthContext, AuthError>) -> Admitted {
    match (decision, result) {
        (Decision::Allow, r) => Ok(r.as_ref().ok().cloned()),
        (Decision::Forbidden(g), Ok(_)) => Err(AuthError::Forbidden(g.to_string().into())),
        (Decision::Failed(e), _) => Err(e),
        (_, Err(e)) => Err(e.clone()),
        (Decision::Unauthenticated, Ok(_)) => {
            Err(AuthError::Unauthenticated(Reason::MissingCredentials))
        }
    }
}
