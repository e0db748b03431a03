//! One request decided: [`AuthConfig::admit`] takes a route's backends (or the defaults), runs
//! the chain, has the adapter check a credential the browser attached by itself (its CSRF
//! defence), applies the route's guard, and logs the decision. An adapter calls it once per
//! request and keeps only what is its own: its request type, its session middleware, its
//! response.

use std::borrow::Cow;

use crate::backends::Origin;
use crate::engine::config::AuthConfig;
use crate::engine::log;
use crate::error::{AuthError, Reason};
use crate::identity::context::AuthContext;
use crate::policy::{Admitted, Policy};
use crate::request::session::SessionView;
use crate::request::{HeaderOnce, RequestParts};

/// What a route (or a gRPC method) asks of a request.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a, S = &'a str> {
    /// The route's name in log lines (a handler's name, a gRPC method's path).
    pub name: &'a str,
    /// The backends to try, in order (`None`: the configuration's defaults).
    pub backends: Option<&'a [S]>,
    /// What the route's guard is.
    pub rule: Rule<'a>,
}

/// A route's guard.
#[derive(Debug, Clone, Copy)]
pub enum Rule<'a> {
    /// The configuration's default guard.
    Default,
    /// This guard.
    Guard(&'a Policy),
    /// Credentials are optional but checked when present: none is anonymous, bad ones are
    /// refused (401).
    Optional,
}

/// A request as an adapter hands it to [`AuthConfig::admit`]: the views the backends and the
/// guard read, and the adapter's parts of the decision (its session middleware, its CSRF
/// defence, where it keeps the result).
pub trait Incoming {
    /// What backends read: headers, method, path. `Sync`, so that the chain's future is `Send`.
    fn credentials(&self) -> &(dyn RequestParts + Sync);

    /// What guards read; a custom guard may reach the framework's request through
    /// [`RequestParts::as_any`].
    fn request(&self) -> &dyn RequestParts;

    /// The result of an earlier authentication of this request with the same backends (a
    /// scope's middleware before the route's guard), if the adapter kept one.
    fn earlier(&self) -> Option<Result<AuthContext, AuthError>> {
        None
    }

    /// The login session the framework's session middleware holds for this request: asked
    /// only when the route accepts the session backend.
    fn session(&self) -> Option<SessionView> {
        None
    }

    /// After the chain ran with `view`: `used` when the session authenticated the request (and
    /// passed the CSRF check). The adapter records the use (idle timeout) or purges a session the
    /// backend ended.
    fn settle_session(&self, _view: &SessionView, _used: bool) {}

    /// Whether a credential the browser attached by itself (a cookie, the session) may serve
    /// this request: the adapter's CSRF defence, asked only for such credentials. `binding` is
    /// what its double-submit token is bound to (the session's id, the cookie token's `jti`).
    /// `Err` refuses the request (403) with the reason.
    fn check_cross_site(&self, _binding: Option<&str>) -> Result<(), Cow<'static, str>> {
        Ok(())
    }

    /// Keeps the decision (a later extractor reads it instead of deciding again).
    fn record(&self, _authenticated: Result<AuthContext, AuthError>, _admitted: &Admitted) {}
}

impl AuthConfig {
    /// Decides `req` on `route`: authenticates it with the route's backends (unless the adapter
    /// kept an earlier result), applies the route's guard ([`Policy::admit`]: a misconfiguration
    /// is never an allow, an unreachable store refuses), records and logs the decision.
    pub async fn admit<S, I>(&self, route: &Route<'_, S>, req: &I) -> Admitted
    where
        S: AsRef<str>,
        I: Incoming + ?Sized,
    {
        let authenticated = self.authenticated(route, req).await;
        let admitted = match self.guard(route) {
            // `Policy::admit` split in two here, so that the common request (no custom_async
            // guard) holds no guard future: 75 instructions a request less by
            // bench/instructions.sh (HS256, 22,040 -> 21,965). The result is borrowed: it is
            // kept whole for a later extractor, and only an admitted identity is cloned.
            Some(policy) => match policy.admit_ready(&authenticated, req.request()) {
                Some(done) => done,
                None => policy.admit_pending(&authenticated, req.request()).await,
            },
            None => optional(&authenticated, req),
        };
        self.finish(route, req, authenticated, admitted)
    }

    /// [`AuthConfig::admit`] for adapters whose futures must be `Send` (tonic): guards are not
    /// awaited, and one that reaches an asynchronous custom guard refuses the request as
    /// misconfigured (such adapters refuse those guards when they are built).
    pub async fn admit_send<S, I>(&self, route: &Route<'_, S>, req: &I) -> Admitted
    where
        S: AsRef<str> + Sync,
        I: Incoming + Sync + ?Sized,
    {
        let authenticated = self.authenticated(route, req).await;
        let admitted = match self.guard(route) {
            Some(policy) => policy.admit_now(&authenticated, req.request()),
            None => optional(&authenticated, req),
        };
        self.finish(route, req, authenticated, admitted)
    }

    /// The authentication result of `req` with the route's backends (or the adapter's earlier
    /// one): the chain, with the login session when the route accepts the session backend, and
    /// the adapter's CSRF check for a credential from a cookie or the session.
    ///
    /// One `async fn` from the route to the chain, the steps around the chain synchronous: each
    /// nested `async fn` is a state machine built, polled and dropped on every request.
    async fn authenticated<S, I>(
        &self,
        route: &Route<'_, S>,
        req: &I,
    ) -> Result<AuthContext, AuthError>
    where
        S: AsRef<str>,
        I: Incoming + ?Sized,
    {
        if let Some(earlier) = req.earlier() {
            return earlier;
        }
        let backends = self.backends();
        // The login session is read only for routes that accept it.
        let session = match (backends.sessions(), route.backends) {
            (Some((name, _)), Some(names)) if names.iter().any(|n| n.as_ref() == name) => {
                req.session()
            }
            (Some((name, _)), None) if self.default_backends().iter().any(|n| **n == *name) => {
                req.session()
            }
            _ => None,
        };
        let with_session;
        let parts: &(dyn RequestParts + Sync) = match &session {
            Some(view) => {
                with_session = WithSession {
                    parts: req.credentials(),
                    session: view,
                };
                &with_session
            }
            None => req.credentials(),
        };
        let found = match route.backends {
            Some(names) => backends.authenticate_traced(names, parts).await,
            None => {
                backends
                    .authenticate_traced(self.default_backends(), parts)
                    .await
            }
        };
        settle(req, found, session.as_ref())
    }

    /// The route's guard; `None` for [`Rule::Optional`].
    #[inline]
    fn guard<'a, S>(&'a self, route: &Route<'a, S>) -> Option<&'a Policy> {
        match route.rule {
            Rule::Default => Some(self.default_guard()),
            Rule::Guard(policy) => Some(policy),
            Rule::Optional => None,
        }
    }

    #[inline]
    fn finish<S, I: Incoming + ?Sized>(
        &self,
        route: &Route<'_, S>,
        req: &I,
        authenticated: Result<AuthContext, AuthError>,
        admitted: Admitted,
    ) -> Admitted {
        req.record(authenticated, &admitted);
        log::outcome(route.name, req.request().path(), &admitted);
        admitted
    }
}

/// The chain's result made final: a credential the browser attached by itself (a cookie, the
/// session) passes the adapter's CSRF check, and the session's use is recorded.
#[inline]
fn settle<I: Incoming + ?Sized>(
    req: &I,
    found: Result<(AuthContext, Origin), AuthError>,
    session: Option<&SessionView>,
) -> Result<AuthContext, AuthError> {
    let from_session = matches!(found, Ok((_, Origin::Session)));
    let result = match found {
        Ok((ctx, Origin::Header)) => Ok(ctx),
        // A cookie may have been sent by a cross-site page: the adapter checks it. The
        // double-submit token is bound to the credential: the session's id, or the cookie
        // token's `jti`.
        Ok((ctx, origin)) => {
            let binding = match (origin, session) {
                (Origin::Session, Some(view)) => Some(view.record().sid.as_str()),
                _ => ctx.token().and_then(|t| t.jti.as_deref()),
            };
            match req.check_cross_site(binding) {
                Ok(()) => Ok(ctx),
                Err(why) => Err(AuthError::Forbidden(why)),
            }
        }
        Err(e) => Err(e),
    };
    // A refused request is no session activity: only one the session authenticated, CSRF
    // check passed, counts as a use (idle timeout).
    if let Some(view) = session {
        req.settle_session(view, from_session && result.is_ok());
    }
    result
}

/// The verdict of a [`Rule::Optional`] route: no credentials (none of a kind the route accepts)
/// is anonymous; anything else is judged as `authenticated` judges it.
fn optional<I: Incoming + ?Sized>(result: &Result<AuthContext, AuthError>, req: &I) -> Admitted {
    match result {
        Err(AuthError::Unauthenticated(Reason::MissingCredentials | Reason::NotAccepted(_))) => {
            Ok(None)
        }
        result => Policy::Authenticated.admit_now(result, req.request()),
    }
}

/// The adapter's view of a request with the login session it read.
struct WithSession<'a> {
    parts: &'a (dyn RequestParts + Sync),
    session: &'a SessionView,
}

impl RequestParts for WithSession<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.parts.header(name)
    }

    fn header_once(&self, name: &str) -> HeaderOnce<'_> {
        self.parts.header_once(name)
    }

    fn method(&self) -> &str {
        self.parts.method()
    }

    fn path(&self) -> &str {
        self.parts.path()
    }

    fn session(&self) -> Option<&SessionView> {
        Some(self.session)
    }
}
