//! The tower layer: every call goes through the backends and its method's rule before the
//! service sees it; a refusal is answered with its status without calling the service.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth_core::AuthConfig;
use tower::{Layer, Service};

use crate::ext::Identity;
use crate::request::GrpcRequest;
use crate::rules::{AuthLayerBuilder, Rules};
use crate::status::status_of;

/// Authentication and per-method authorization for a tonic server.
///
/// ```
/// use auth_tonic::{guard, AuthConfig, AuthLayer, JwtConfig};
///
/// let auth = AuthConfig::builder()
///     .jwt(JwtConfig::hs256("an example secret that is 32+ bytes long"))
///     .build()
///     .unwrap();
/// let layer = AuthLayer::builder(auth)
///     .methods(["/shop.v1.Orders/Health", "/shop.v1.Orders/Cancel", "/shop.v1.Orders/List"])
///     .public("/shop.v1.Orders/Health")
///     .method("/shop.v1.Orders/Cancel", guard!(has_permission("orders.cancel")))
///     .build()
///     .unwrap();
/// // Server::builder().layer(layer).add_service(OrdersServer::new(svc))
/// # let _ = layer;
/// ```
#[derive(Clone)]
pub struct AuthLayer {
    rules: Arc<Rules>,
}

impl fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayer")
            .field("rules", &self.rules)
            .finish()
    }
}

impl AuthLayer {
    /// Starts a layer on a configuration (the one the actix-web app registers, to share its
    /// backends, keys and revocation store).
    pub fn builder(config: AuthConfig) -> AuthLayerBuilder {
        AuthLayerBuilder::new(config)
    }

    /// A layer where every method needs what the configuration's default guard asks
    /// (`authenticated` unless set).
    pub fn new(config: AuthConfig) -> Self {
        AuthLayer::from_rules(Rules::defaults(config))
    }

    pub(crate) fn from_rules(rules: Rules) -> Self {
        AuthLayer {
            rules: Arc::new(rules),
        }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService {
            inner,
            rules: self.rules.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps around a tonic server's routes.
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    rules: Arc<Rules>,
}

impl<S> fmt::Debug for AuthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService").finish_non_exhaustive()
    }
}

/// The future of an [`AuthService`] call (tower-http names its own the same).
pub struct ResponseFuture<T>(Pin<Box<dyn Future<Output = T> + Send>>);

impl<T> fmt::Debug for ResponseFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResponseFuture")
    }
}

impl<T> Future for ResponseFuture<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.0.as_mut().poll(cx)
    }
}

impl<S, B, R> Service<http::Request<B>> for AuthService<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = ResponseFuture<Result<http::Response<R>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        // The service that was polled ready takes the call; a clone stays for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let rules = self.rules.clone();
        ResponseFuture(Box::pin(async move {
            let admitted = rules
                .admit(GrpcRequest::new(req.headers(), req.uri().path()))
                .await;
            match admitted {
                Ok(identity) => {
                    req.extensions_mut().insert(Identity(identity));
                    inner.call(req).await
                }
                Err(error) => Ok(status_of(&error).into_http()),
            }
        }))
    }
}
