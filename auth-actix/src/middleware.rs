//! [`RequireAuth`]: applies authentication and a guard to every route under a scope.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::Error;
use auth_core::adapter::Rule;
use auth_core::Policy;

use crate::decide::{self, BackendList};

/// Middleware that authenticates every request under a scope and applies a guard, so that a
/// whole `/api` is protected by default.
///
/// `RequireAuth::defaults()` uses the configuration's default backends and default guard;
/// [`RequireAuth::backends`] and [`RequireAuth::guard`] set them for this scope. Routes inside
/// may narrow further with their own `#[auth]`/`#[guard]` (they reuse the middleware's
/// authentication when they name the same backends).
///
/// Every request is authenticated, CORS preflights (`OPTIONS` with
/// `Access-Control-Request-Method`) included: a handler registered for any method under the
/// scope must never run unauthenticated. Let `actix-cors` answer preflights before they reach
/// this middleware: wrap the scope (or the app) with `Cors` *after* `RequireAuth`, so that it
/// runs first.
///
/// ```
/// use actix_web::{web, App};
/// use auth_actix::{RequireAuth, Policy};
///
/// let app = App::new().service(
///     web::scope("/api")
///         .wrap(RequireAuth::defaults())
///         .service(web::scope("/admin").wrap(RequireAuth::defaults().guard(Policy::is_superuser()))),
/// );
/// ```
#[derive(Clone, Debug, Default)]
pub struct RequireAuth {
    backends: Option<Arc<[Box<str>]>>,
    policy: Option<Arc<Policy>>,
}

impl RequireAuth {
    /// The configuration's default backends and guard.
    pub fn defaults() -> Self {
        Self::default()
    }

    /// Uses these backends, in order.
    pub fn backends<I: IntoIterator<Item = S>, S: Into<Box<str>>>(mut self, names: I) -> Self {
        self.backends = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Uses this guard.
    pub fn guard(mut self, policy: Policy) -> Self {
        self.policy = Some(Arc::new(policy));
        self
    }

    /// The backends it names (`None`: the configuration's defaults), for the OpenAPI document.
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))]
    pub(crate) fn backend_names(&self) -> Option<&[Box<str>]> {
        self.backends.as_deref()
    }

    /// Its guard (`None`: the configuration's default guard), for the OpenAPI document.
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))]
    pub(crate) fn policy(&self) -> Option<&Policy> {
        self.policy.as_deref()
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequireAuth
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequireAuthService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let list = match &self.backends {
            Some(names) => BackendList::Scope(names.clone()),
            None => BackendList::Defaults,
        };
        ready(Ok(RequireAuthService {
            service: Rc::new(service),
            list,
            policy: self.policy.clone(),
        }))
    }
}

/// The service [`RequireAuth`] wraps around a scope.
#[derive(Debug)]
pub struct RequireAuthService<S> {
    service: Rc<S>,
    list: BackendList,
    policy: Option<Arc<Policy>>,
}

impl<S, B> Service<ServiceRequest> for RequireAuthService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let list = self.list.clone();
        let policy = self.policy.clone();
        Box::pin(async move {
            // Borrowed, not cloned: routing inside the scope needs the request to be unique.
            let admitted = decide::admit(
                req.request(),
                "<scope>",
                &list,
                policy.as_deref().map_or(Rule::Default, Rule::Guard),
            )
            .await;
            match admitted {
                Ok(_) => service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_left_body),
                Err(e) => Ok(req.error_response(e).map_into_right_body()),
            }
        })
    }
}
