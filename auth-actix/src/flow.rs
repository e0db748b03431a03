//! One request's way through authentication and authorization, shared by the route extractor,
//! the scope middleware and the context extractors. The result is computed once per request and
//! kept in the request's extensions.

use std::borrow::Cow;

use actix_web::{HttpMessage, HttpRequest};
use auth_core::{AuthContext as CoreContext, AuthError, Decision, Policy};

use crate::config::AuthConfig;
use crate::parts::ActixRequest;
use crate::response::AuthFailure;

/// Which backends a route uses.
#[derive(Debug, Clone)]
pub(crate) enum BackendList {
    /// Named by the route (`#[auth(jwt, api_key)]`).
    Static(&'static [&'static str]),
    /// The configuration's defaults.
    Defaults,
    /// Named at run time (middleware).
    Owned(std::sync::Arc<[Box<str>]>),
}

impl BackendList {
    pub(crate) fn from_spec(spec: Option<&'static [&'static str]>) -> Self {
        spec.map_or(BackendList::Defaults, BackendList::Static)
    }

    fn same_as(&self, other: &BackendList, cfg: &AuthConfig) -> bool {
        fn eq<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.as_ref() == y.as_ref())
        }
        let defaults = &cfg.inner.default_backends;
        match (self, other) {
            (BackendList::Defaults, BackendList::Defaults) => true,
            (BackendList::Static(a), BackendList::Static(b)) => eq(a, b),
            (BackendList::Static(a), BackendList::Defaults)
            | (BackendList::Defaults, BackendList::Static(a)) => eq(a, defaults),
            (BackendList::Owned(a), BackendList::Owned(b)) => eq(a, b),
            (BackendList::Owned(a), BackendList::Defaults)
            | (BackendList::Defaults, BackendList::Owned(a)) => eq(a, defaults),
            (BackendList::Owned(a), BackendList::Static(b))
            | (BackendList::Static(b), BackendList::Owned(a)) => eq(a, b),
        }
    }
}

/// What authentication found and what the guard decided, kept in the request's extensions
/// (one entry per request: one allocation).
pub(crate) struct AuthState {
    /// The backends that produced `result`.
    list: Option<BackendList>,
    result: Option<Result<CoreContext, AuthError>>,
    /// The identity a guard let through (`Some(None)`: anonymous on an `allow_any` route).
    pub(crate) admitted: Option<Option<CoreContext>>,
}

/// The identity a guard admitted, if a guard ran: `Some(None)` for an anonymous request on an
/// `allow_any` route.
pub(crate) fn admitted(req: &HttpRequest) -> Option<Option<CoreContext>> {
    req.extensions().get::<AuthState>()?.admitted.clone()
}

fn set_admitted(req: &HttpRequest, ctx: Option<CoreContext>) {
    let mut ext = req.extensions_mut();
    match ext.get_mut::<AuthState>() {
        Some(state) => state.admitted = Some(ctx),
        None => {
            ext.insert(AuthState {
                list: None,
                result: None,
                admitted: Some(ctx),
            });
        }
    }
}

pub(crate) fn config(req: &HttpRequest) -> Result<&AuthConfig, AuthFailure> {
    req.app_data::<AuthConfig>().ok_or_else(|| {
        tracing::error!(
            path = req.path(),
            "no auth_actix::AuthConfig is registered: add `.app_data(auth_config.clone())` to the App"
        );
        AuthFailure::bare(AuthError::Misconfigured(Cow::Borrowed("<no AuthConfig in app_data>")))
    })
}

pub(crate) fn cached(
    req: &HttpRequest,
    list: &BackendList,
    cfg: &AuthConfig,
) -> Option<Result<CoreContext, AuthError>> {
    cached_state(req, list, cfg)?
}

/// `None`: the request holds no auth state yet; `Some(None)`: it holds one, but not a result of
/// these backends.
fn cached_state(
    req: &HttpRequest,
    list: &BackendList,
    cfg: &AuthConfig,
) -> Option<Option<Result<CoreContext, AuthError>>> {
    let ext = req.extensions();
    let state = ext.get::<AuthState>()?;
    Some(match &state.list {
        Some(l) if l.same_as(list, cfg) => state.result.clone(),
        _ => None,
    })
}

pub(crate) fn remember(
    req: &HttpRequest,
    list: BackendList,
    result: &Result<CoreContext, AuthError>,
) {
    let mut ext = req.extensions_mut();
    match ext.get_mut::<AuthState>() {
        Some(state) => {
            state.list = Some(list);
            state.result = Some(result.clone());
        }
        None => {
            ext.insert(AuthState {
                list: Some(list),
                result: Some(result.clone()),
                admitted: None,
            });
        }
    }
}

pub(crate) fn authenticate_now(
    cfg: &AuthConfig,
    list: &BackendList,
    req: &HttpRequest,
) -> Option<Result<CoreContext, AuthError>> {
    let b = &cfg.inner.backends;
    let parts = ActixRequest(req);
    match list {
        BackendList::Static(n) => b.try_authenticate_now(n, &parts),
        BackendList::Defaults => b.try_authenticate_now(&cfg.inner.default_backends, &parts),
        BackendList::Owned(n) => b.try_authenticate_now(n, &parts),
    }
}

pub(crate) async fn authenticate(
    cfg: &AuthConfig,
    list: &BackendList,
    req: &HttpRequest,
) -> Result<CoreContext, AuthError> {
    let b = &cfg.inner.backends;
    let parts = ActixRequest(req);
    match list {
        BackendList::Static(n) => b.authenticate(n, &parts).await,
        BackendList::Defaults => b.authenticate(&cfg.inner.default_backends, &parts).await,
        BackendList::Owned(n) => b.authenticate(n, &parts).await,
    }
}

/// The cached result, or a fresh one. Callers on the slow path have already tried
/// [`settle_now`]; trying it again would verify the token a second time, and the asynchronous
/// chain answers without waiting wherever the synchronous one could.
pub(crate) async fn result(
    cfg: &AuthConfig,
    list: &BackendList,
    req: &HttpRequest,
) -> Result<CoreContext, AuthError> {
    if let Some(r) = cached(req, list, cfg) {
        return r;
    }
    let r = authenticate(cfg, list, req).await;
    remember(req, list.clone(), &r);
    r
}

/// A route's guard: written on the route (in static memory: see
/// [`Policy::try_decide_static`]) or the configuration's default.
#[derive(Clone, Copy)]
pub(crate) enum GuardRef<'a> {
    Static(&'static Policy),
    Config(&'a Policy),
}

impl<'a> GuardRef<'a> {
    pub(crate) fn of(route: Option<&'static Policy>, cfg: &'a AuthConfig) -> Self {
        route.map_or(GuardRef::Config(&cfg.inner.default_guard), GuardRef::Static)
    }

    pub(crate) fn policy(self) -> &'a Policy {
        match self {
            GuardRef::Static(p) => p,
            GuardRef::Config(p) => p,
        }
    }
}

/// Applies a policy to an authentication result. `None`: the policy has an asynchronous custom
/// guard, use [`decide`].
pub(crate) fn decide_now(
    guard: GuardRef<'_>,
    result: Result<CoreContext, AuthError>,
    req: &HttpRequest,
) -> Option<Result<Option<CoreContext>, AuthError>> {
    let ctx = match precheck(guard.policy(), result) {
        Ok(ctx) => ctx,
        Err(done) => return Some(done),
    };
    let (c, r) = (ctx.as_ref().ok(), &ActixRequest(req));
    let decision = match guard {
        GuardRef::Static(p) => p.try_decide_static(c, r)?,
        GuardRef::Config(p) => p.try_decide(c, r)?,
    };
    Some(finish(decision, ctx))
}

/// [`decide_now`], awaiting asynchronous custom guards.
pub(crate) async fn decide(
    policy: &Policy,
    result: Result<CoreContext, AuthError>,
    req: &HttpRequest,
) -> Result<Option<CoreContext>, AuthError> {
    let ctx = match precheck(policy, result) {
        Ok(ctx) => ctx,
        Err(done) => return done,
    };
    let decision = policy
        .decide_async(ctx.as_ref().ok(), &ActixRequest(req))
        .await;
    finish(decision, ctx)
}

/// Settles what the policy need not see: misconfiguration (500 even on `allow_any`: a broken
/// route is never an allow), `allow_any`, and failures of the store (503).
#[allow(clippy::type_complexity)]
fn precheck(
    policy: &Policy,
    result: Result<CoreContext, AuthError>,
) -> Result<Result<CoreContext, AuthError>, Result<Option<CoreContext>, AuthError>> {
    match result {
        Err(e @ AuthError::Misconfigured(_)) => Err(Err(e)),
        r if policy.is_allow_any() => Err(Ok(r.ok())),
        Err(e @ AuthError::Unavailable(_)) => Err(Err(e)),
        r => Ok(r),
    }
}

fn finish(
    decision: Decision<'_>,
    result: Result<CoreContext, AuthError>,
) -> Result<Option<CoreContext>, AuthError> {
    match (decision, result) {
        (Decision::Allow, r) => Ok(r.ok()),
        (Decision::Forbidden(g), Ok(_)) => Err(AuthError::Forbidden(Cow::Owned(g.to_string()))),
        (_, Err(e)) => Err(e),
        (Decision::Unauthenticated, Ok(_)) => Err(AuthError::Unauthenticated(
            auth_core::Reason::MissingCredentials,
        )),
    }
}

/// The whole synchronous path of a protected route: the result (kept from an earlier extractor,
/// or computed now), the decision, and one write of both to the request's extensions.
/// `None`: something must be awaited (a store, an asynchronous guard); use [`result`] and
/// [`decide`].
pub(crate) fn settle_now(
    route: &str,
    cfg: &AuthConfig,
    list: &BackendList,
    guard: GuardRef<'_>,
    req: &HttpRequest,
) -> Option<Result<Option<CoreContext>, AuthFailure>> {
    let state = cached_state(req, list, cfg);
    let has_state = state.is_some();
    let (result, fresh) = match state.flatten() {
        Some(r) => (r, false),
        None => (authenticate_now(cfg, list, req)?, true),
    };
    let Some(decided) = decide_now(guard, result.clone(), req) else {
        if fresh {
            remember(req, list.clone(), &result);
        }
        return None;
    };
    let admitted = decided.as_ref().ok().cloned();
    if !has_state {
        // The common case, in one map operation. Should a synchronous custom guard have run an
        // extractor that stored a state meanwhile, this one, the route's, replaces it.
        req.extensions_mut().insert(AuthState {
            list: Some(list.clone()),
            result: Some(result),
            admitted,
        });
    } else {
        let mut ext = req.extensions_mut();
        match ext.get_mut::<AuthState>() {
            Some(state) => {
                if fresh {
                    state.list = Some(list.clone());
                    state.result = Some(result);
                }
                if admitted.is_some() {
                    state.admitted = admitted;
                }
            }
            None => {
                ext.insert(AuthState {
                    list: fresh.then(|| list.clone()),
                    result: fresh.then_some(result),
                    admitted,
                });
            }
        }
    }
    Some(report(route, req, cfg, decided))
}

/// Records the identity a guard admitted, logs the decision (never the credential) and turns a
/// refusal into a response error.
pub(crate) fn conclude(
    route: &str,
    req: &HttpRequest,
    cfg: &AuthConfig,
    decided: Result<Option<CoreContext>, AuthError>,
) -> Result<Option<CoreContext>, AuthFailure> {
    if let Ok(ctx) = &decided {
        set_admitted(req, ctx.clone());
    }
    report(route, req, cfg, decided)
}

/// Logs the decision (never the credential) and turns a refusal into a response error.
fn report(
    route: &str,
    req: &HttpRequest,
    cfg: &AuthConfig,
    decided: Result<Option<CoreContext>, AuthError>,
) -> Result<Option<CoreContext>, AuthFailure> {
    match decided {
        Ok(ctx) => {
            tracing::debug!(
                route,
                path = req.path(),
                backend = ctx.as_ref().map_or("-", |c| c.backend()),
                outcome = "allow",
            );
            Ok(ctx)
        }
        Err(error) => {
            match &error {
                AuthError::Misconfigured(name) => tracing::error!(
                    route,
                    path = req.path(),
                    backend = %name,
                    outcome = "misconfigured",
                    "route names a backend that is not registered in the AuthConfig; register it or fix the #[auth(..)] list"
                ),
                AuthError::Unavailable(why) => {
                    tracing::warn!(route, path = req.path(), outcome = "unavailable", reason = %why)
                }
                AuthError::Unauthenticated(reason) => {
                    tracing::info!(route, path = req.path(), outcome = "unauthenticated", reason = %reason)
                }
                other => {
                    tracing::info!(route, path = req.path(), outcome = "forbidden", reason = %other)
                }
            }
            Err(failure(cfg, req, error))
        }
    }
}

pub(crate) fn failure(cfg: &AuthConfig, req: &HttpRequest, error: AuthError) -> AuthFailure {
    AuthFailure::new(
        error,
        cfg.inner.realm.clone(),
        cfg.inner.error_handler.clone().map(|h| (h, req.clone())),
    )
}
