//! Session store outages: [`SessionStoreDeadline`] bounds every operation of an actix-session
//! store, and [`SessionStoreErrors`] answers the store's failures with 503 instead of
//! actix-session's bare 500, so that a session store down fails closed and says so, as a
//! revocation store does.

use std::collections::HashMap;
use std::future::{ready, Future, Ready};
use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::Error;
use auth_core::AuthError;
use futures_util::future::{MapErr, TryFutureExt};

use crate::response::AuthFailure;

/// An actix-session store whose every operation (load, save, update, delete) must answer
/// within a deadline, or fails.
///
/// actix-session's Redis store has no timeout of its own: while Redis is down its client keeps
/// reconnecting, and a request with a session cookie waits (measured: more than a minute).
/// Wrapped, it fails after the deadline, and [`SessionStoreErrors`] answers 503.
///
/// ```no_run
/// use std::time::Duration;
/// use actix_session::{storage::RedisSessionStore, SessionMiddleware};
/// use actix_web::{cookie::Key, App};
/// use auth_actix::{SessionStoreDeadline, SessionStoreErrors};
///
/// # async fn run() -> anyhow::Result<()> {
/// let store = RedisSessionStore::new("redis://127.0.0.1:6379").await?;
/// let store = SessionStoreDeadline::new(store, Duration::from_millis(500));
/// let app = App::new()
///     .wrap(SessionMiddleware::new(store, Key::generate()))
///     .wrap(SessionStoreErrors);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SessionStoreDeadline<S> {
    store: S,
    deadline: Duration,
}

impl<S> SessionStoreDeadline<S> {
    /// `store`, each of whose operations fails when it takes longer than `deadline`.
    pub fn new(store: S, deadline: Duration) -> Self {
        SessionStoreDeadline { store, deadline }
    }

    async fn within<T, E>(
        &self,
        op: impl Future<Output = Result<T, E>>,
        late: impl FnOnce(anyhow::Error) -> E,
    ) -> Result<T, E> {
        match tokio::time::timeout(self.deadline, op).await {
            Ok(answer) => answer,
            Err(_) => Err(late(anyhow::anyhow!(
                "the session store did not answer within {:?}",
                self.deadline
            ))),
        }
    }
}

impl<S: SessionStore> SessionStore for SessionStoreDeadline<S> {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        self.within(self.store.load(session_key), LoadError::Other)
            .await
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        self.within(self.store.save(session_state, ttl), SaveError::Other)
            .await
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let op = self.store.update(session_key, session_state, ttl);
        self.within(op, UpdateError::Other).await
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        self.within(self.store.update_ttl(session_key, ttl), |e| e)
            .await
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        self.within(self.store.delete(session_key), |e| e).await
    }
}

/// Middleware that answers `503 Service Unavailable` (with `Retry-After` and the library's error
/// body) when the session store cannot answer, as the revocation store's outages are answered,
/// instead of actix-session's bare `500`. A Redis session store that is down is then reported
/// as what it is: a passing outage, to retry. Give the store a deadline
/// ([`SessionStoreDeadline`]) so that the outage is answered at once rather than after the
/// store's client gives up.
///
/// Wrap it directly *outside* actix-session's `SessionMiddleware`, that is, register it right
/// after it (actix-web runs the last `.wrap` first). Every error (not a response: handlers'
/// refusals are responses) that comes out of the session middleware with status 500 is taken
/// for a store failure; its text goes to the log, never to the client.
///
/// ```
/// use actix_session::{storage::CookieSessionStore, SessionMiddleware};
/// use actix_web::{cookie::Key, App};
/// use auth_actix::SessionStoreErrors;
///
/// let app = App::new()
///     .wrap(SessionMiddleware::new(CookieSessionStore::default(), Key::generate()))
///     .wrap(SessionStoreErrors);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionStoreErrors;

impl<S, B> Transform<S, ServiceRequest> for SessionStoreErrors
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = SessionStoreErrorsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionStoreErrorsService { service }))
    }
}

/// The service [`SessionStoreErrors`] wraps around the session middleware.
#[derive(Debug)]
pub struct SessionStoreErrorsService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for SessionStoreErrorsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    // A named future: no box and no copy of the request on the way through.
    type Future = MapErr<S::Future, fn(Error) -> Error>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        self.service
            .call(req)
            .map_err(store_unavailable as fn(Error) -> Error)
    }
}

/// A 500 error of the session middleware as a 503; other errors unchanged.
fn store_unavailable(e: Error) -> Error {
    if e.as_response_error().status_code() != StatusCode::INTERNAL_SERVER_ERROR {
        return e;
    }
    tracing::warn!(error = %e, "the session store failed; answering 503");
    AuthFailure::bare(AuthError::Unavailable("the session store failed".into())).into()
}
