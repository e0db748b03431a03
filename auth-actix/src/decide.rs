//! One request's way through authentication and authorization, shared by the route extractor
//! ([`crate::Protect`]), the scope middleware and the context extractors: the credentials go
//! through the backend chain, the result meets the guard, and both are kept in the request's
//! extensions so that no later extractor computes them again.

use std::borrow::Cow;
use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest};
use auth_core::{Admitted, AuthConfig, AuthContext, AuthError, Policy};

use crate::csrf;
use crate::request::{ActixHeaders, ActixRequest};
use crate::response::AuthFailure;
use crate::session;

/// Which backends a request is authenticated with.
#[derive(Debug, Clone)]
pub(crate) enum BackendList {
    /// Named by the route (`#[auth(jwt, api_key)]`).
    Route(&'static [&'static str]),
    /// Named by a scope's middleware.
    Scope(Arc<[Box<str>]>),
    /// The configuration's defaults.
    Defaults,
}

impl BackendList {
    /// A route's backends: its own, or the defaults.
    pub(crate) fn from_route(names: Option<&'static [&'static str]>) -> Self {
        names.map_or(BackendList::Defaults, BackendList::Route)
    }

    fn names<'a>(&'a self, cfg: &'a AuthConfig) -> Vec<&'a str> {
        match self {
            BackendList::Route(names) => names.to_vec(),
            BackendList::Scope(names) => names.iter().map(|n| &**n).collect(),
            BackendList::Defaults => cfg.default_backends().iter().map(|n| &**n).collect(),
        }
    }

    fn contains(&self, cfg: &AuthConfig, name: &str) -> bool {
        match self {
            BackendList::Route(names) => names.contains(&name),
            BackendList::Scope(names) => names.iter().any(|n| **n == *name),
            BackendList::Defaults => cfg.default_backends().iter().any(|n| **n == *name),
        }
    }

    fn same_as(&self, other: &BackendList, cfg: &AuthConfig) -> bool {
        self.names(cfg) == other.names(cfg)
    }
}

/// What authentication found and what a guard admitted, kept in the request's extensions.
#[derive(Default)]
struct AuthState {
    /// The backends tried and what they made of the request.
    authenticated: Option<(BackendList, Result<AuthContext, AuthError>)>,
    /// The identity a guard let through (`Some(None)`: anonymous on an `allow_any` route).
    admitted: Option<Option<AuthContext>>,
}

/// The application's configuration, or a 500 naming what to register.
pub(crate) fn config(req: &HttpRequest) -> Result<&AuthConfig, AuthFailure> {
    req.app_data::<AuthConfig>().ok_or_else(|| {
        let why = if req
            .app_data::<actix_web::web::Data<AuthConfig>>()
            .is_some()
        {
            "the AuthConfig is registered wrapped in web::Data: register it as it is, \
             `.app_data(auth_config.clone())` (it is cheap to clone)"
        } else {
            "no auth_actix::AuthConfig is registered: add `.app_data(auth_config.clone())` to the App"
        };
        tracing::error!(path = req.path(), outcome = "misconfigured", "{why}");
        AuthFailure::bare(AuthError::Misconfigured(Cow::Borrowed(why)))
    })
}

/// The identity a guard admitted, if a guard ran: `Some(None)` for an anonymous request on an
/// `allow_any` route.
pub(crate) fn admitted(req: &HttpRequest) -> Option<Option<AuthContext>> {
    req.extensions().get::<AuthState>()?.admitted.clone()
}

/// Authenticates `req` with `list`, once per request: a second call with the same backends (a
/// route inside a protected scope, an extractor after the guard) gets the first one's result.
pub(crate) async fn authenticate(
    req: &HttpRequest,
    cfg: &AuthConfig,
    list: &BackendList,
) -> Result<AuthContext, AuthError> {
    if let Some(result) = recorded(req, cfg, list) {
        return result;
    }
    let result = run_backends(req, cfg, list).await;
    req.extensions_mut()
        .get_or_insert_with(AuthState::default)
        .authenticated = Some((list.clone(), result.clone()));
    result
}

/// The result of an earlier authentication of `req` with the same backends, if any.
fn recorded(
    req: &HttpRequest,
    cfg: &AuthConfig,
    list: &BackendList,
) -> Option<Result<AuthContext, AuthError>> {
    let extensions = req.extensions();
    let (by, result) = extensions.get::<AuthState>()?.authenticated.as_ref()?;
    by.same_as(list, cfg).then(|| result.clone())
}

async fn run_backends(
    req: &HttpRequest,
    cfg: &AuthConfig,
    list: &BackendList,
) -> Result<AuthContext, AuthError> {
    let backends = cfg.backends();
    // The login session is read only for routes that accept it.
    let session = backends
        .sessions()
        .filter(|(name, _)| list.contains(cfg, name))
        .and_then(|(name, _)| Some((name, session::read(req)?)));
    let parts = ActixHeaders::of(req, session.as_ref().map(|(_, view)| view));
    let result = match list {
        BackendList::Route(names) => backends.authenticate(names, &parts).await,
        BackendList::Scope(names) => backends.authenticate(names, &parts).await,
        BackendList::Defaults => backends.authenticate(cfg.default_backends(), &parts).await,
    };
    // A cookie credential may have been sent by a cross-site page: a state change needs the
    // CSRF check (an `allow_any` route then serves the request as anonymous).
    let result = match result {
        Ok(ctx)
            if csrf::changes_state(req)
                && backends.credential_from_cookie(ctx.backend(), &parts) =>
        {
            // The double-submit token is bound to the credential: the session's id, or the
            // cookie token's `jti`.
            let from_session = session.as_ref().filter(|(name, _)| ctx.backend() == *name);
            let binding = match from_session {
                Some((_, view)) => Some(view.record().sid.as_str()),
                None => ctx.token().and_then(|t| t.jti.as_deref()),
            };
            match crate::config::csrf(cfg).check(req, binding) {
                Ok(()) => Ok(ctx),
                Err(why) => Err(AuthError::Forbidden(why.into())),
            }
        }
        other => other,
    };
    // A refused request is no session activity: only one the session authenticated, CSRF
    // check passed, is recorded (idle timeout).
    if let Some((name, view)) = &session {
        let used = result.as_ref().is_ok_and(|ctx| ctx.backend() == *name);
        session::settle(req, view, used);
    }
    result
}

/// The whole way of a protected request: authenticate with `list` (unless that was done
/// already), apply `policy` (the configuration's default guard when `None`), record both in the
/// request's extensions at once, and turn a refusal into its response. `route` names the route
/// in log lines.
pub(crate) async fn admit(
    req: &HttpRequest,
    route: &str,
    list: &BackendList,
    policy: Option<&Policy>,
) -> Result<Option<AuthContext>, AuthFailure> {
    let cfg = config(req)?;
    let policy = policy.unwrap_or(cfg.default_guard());
    let result = match recorded(req, cfg, list) {
        Some(result) => result,
        None => run_backends(req, cfg, list).await,
    };
    let decided = policy.admit(result.clone(), &ActixRequest(req)).await;
    {
        let mut extensions = req.extensions_mut();
        let state = extensions.get_or_insert_with(AuthState::default);
        state.authenticated = Some((list.clone(), result));
        if let Ok(ctx) = &decided {
            state.admitted = Some(ctx.clone());
        }
    }
    report(route, req, cfg, decided)
}

/// Logs the decision (never the credential) and turns a refusal into a response error.
fn report(
    route: &str,
    req: &HttpRequest,
    cfg: &AuthConfig,
    decided: Admitted,
) -> Result<Option<AuthContext>, AuthFailure> {
    auth_core::log::outcome(route, req.path(), &decided);
    decided.map_err(|error| failure(cfg, req, error))
}

/// The response error for `error`, rendered by the configuration's handler if it has one.
pub(crate) fn failure(cfg: &AuthConfig, req: &HttpRequest, error: AuthError) -> AuthFailure {
    AuthFailure::new(
        error,
        cfg.realm().clone(),
        crate::config::error_handler(cfg)
            .cloned()
            .map(|h| (h, req.clone())),
    )
}
