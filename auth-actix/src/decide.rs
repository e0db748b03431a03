//! One request's way to auth-core's engine ([`AuthConfig::admit`]), shared by the route
//! extractor ([`crate::Protect`]), the scope middleware and the context extractors. What stays
//! here is actix-web's: the request's extensions (where the decision is kept so that no later
//! extractor computes it again), actix-session (the login record), the CSRF check, and the
//! response a refusal becomes.

use std::borrow::Cow;
use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest};
use auth_core::adapter::{Admitted, Incoming, Route, Rule, SessionView};
use auth_core::extend::RequestParts;
use auth_core::{AuthConfig, AuthContext, AuthError};

use crate::csrf::{self, Csrf};
use crate::request::{ActixHeaders, ActixRequest};
use crate::response::AuthFailure;
use crate::session_io;

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

    /// Whether two lists name the same backends.
    fn same_as(&self, other: &BackendList, cfg: &AuthConfig) -> bool {
        match self {
            BackendList::Route(names) => other.names_equal(names, cfg),
            BackendList::Scope(names) => other.names_equal(names, cfg),
            BackendList::Defaults => other.names_equal(cfg.default_backends(), cfg),
        }
    }

    fn names_equal<S: AsRef<str>>(&self, names: &[S], cfg: &AuthConfig) -> bool {
        fn equal<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.as_ref() == b.as_ref())
        }
        match self {
            BackendList::Route(own) => equal(own, names),
            BackendList::Scope(own) => equal(own, names),
            BackendList::Defaults => equal(cfg.default_backends(), names),
        }
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

/// An actix-web request as the engine sees it.
struct Actix<'a> {
    req: &'a HttpRequest,
    cfg: &'a AuthConfig,
    list: &'a BackendList,
    headers: ActixHeaders<'a>,
    view: ActixRequest<'a>,
}

impl Incoming for Actix<'_> {
    #[inline]
    fn credentials(&self) -> &(dyn RequestParts + Sync) {
        &self.headers
    }

    #[inline]
    fn request(&self) -> &dyn RequestParts {
        &self.view
    }

    fn earlier(&self) -> Option<Result<AuthContext, AuthError>> {
        let extensions = self.req.extensions();
        let (by, result) = extensions.get::<AuthState>()?.authenticated.as_ref()?;
        by.same_as(self.list, self.cfg).then(|| result.clone())
    }

    fn session(&self) -> Option<SessionView> {
        session_io::read(self.req)
    }

    fn settle_session(&self, view: &SessionView, used: bool) {
        session_io::settle(self.req, view, used);
    }

    fn check_cross_site(&self, binding: Option<&str>) -> Result<(), Cow<'static, str>> {
        if !csrf::changes_state(self.req) {
            return Ok(());
        }
        Csrf::of(self.cfg)
            .check(self.req, binding)
            .map_err(Cow::Borrowed)
    }

    fn record(&self, authenticated: Result<AuthContext, AuthError>, admitted: &Admitted) {
        let mut extensions = self.req.extensions_mut();
        let state = extensions.get_or_insert_with(AuthState::default);
        state.authenticated = Some((self.list.clone(), authenticated));
        if let Ok(ctx) = admitted {
            state.admitted = Some(ctx.clone());
        }
    }
}

/// The whole way of a protected request: auth-core decides it (authenticating with `list`
/// unless that was done already, then the route's `rule`),
/// and a refusal becomes its response. `route` names the route in log lines.
pub(crate) async fn admit(
    req: &HttpRequest,
    route: &str,
    list: &BackendList,
    rule: Rule<'_>,
) -> Result<Option<AuthContext>, AuthFailure> {
    let cfg = config(req)?;
    let incoming = Actix {
        req,
        cfg,
        list,
        headers: ActixHeaders::of(req),
        view: ActixRequest(req),
    };
    let admitted = match list {
        BackendList::Route(names) => {
            let route = Route {
                name: route,
                backends: Some(*names),
                rule,
            };
            cfg.admit(&route, &incoming).await
        }
        BackendList::Scope(names) => {
            let route = Route {
                name: route,
                backends: Some(&**names),
                rule,
            };
            cfg.admit(&route, &incoming).await
        }
        BackendList::Defaults => {
            let route: Route<'_> = Route {
                name: route,
                backends: None,
                rule,
            };
            cfg.admit(&route, &incoming).await
        }
    };
    admitted.map_err(|error| failure(cfg, req, error))
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
