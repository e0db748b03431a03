//! [`Protect<S>`]: the extractor that `#[auth]`/`#[guard]` put first in a handler's arguments.
//! It can be written by hand too (see `examples/without_macros.rs`).

use std::cell::Cell;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use auth_core::policy::LocalBoxFuture;
use auth_core::Policy;
use futures_util::Stream;

use crate::flow::{self, BackendList};
use crate::response::AuthFailure;

/// What a protected route requires: its backends and its guard, as constants.
///
/// `None` takes the configuration's default.
///
/// ```
/// use auth_actix::{Protect, RouteSpec, Policy};
/// use std::borrow::Cow;
///
/// struct WriteArticles;
/// impl RouteSpec for WriteArticles {
///     const ROUTE: &'static str = "create_article";
///     const BACKENDS: Option<&'static [&'static str]> = Some(&["jwt", "api_key"]);
///     const POLICY: Option<&'static Policy> = Some(&Policy::HasPermission(Cow::Borrowed("articles.write")));
/// }
///
/// async fn create_article(_auth: Protect<WriteArticles>) -> &'static str { "created" }
/// ```
pub trait RouteSpec: 'static {
    /// The route's name in logs (the handler's name).
    const ROUTE: &'static str;
    /// The backends to try, in order (`None`: the configuration's defaults).
    const BACKENDS: Option<&'static [&'static str]>;
    /// The guard (`None`: the configuration's default guard).
    const POLICY: Option<&'static Policy>;
}

/// Proof that the route's guard passed. Extracted first, before any other argument (and before
/// any body is read: while the decision waits on a store, the body stays closed).
pub struct Protect<S: RouteSpec> {
    ctx: Option<auth_core::AuthContext>,
    _spec: PhantomData<S>,
}

impl<S: RouteSpec> std::fmt::Debug for Protect<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protect")
            .field("route", &S::ROUTE)
            .field("ctx", &self.ctx)
            .finish()
    }
}

impl<S: RouteSpec> Protect<S> {
    /// The identity that passed (`None` on an `allow_any` route without credentials).
    pub fn context(&self) -> Option<crate::AuthContext> {
        self.ctx.clone().map(crate::AuthContext)
    }
}

/// The extractor's future: ready at once in the common case, boxed only when it must wait.
pub enum ProtectFuture<S: RouteSpec> {
    #[doc(hidden)]
    Ready(Option<Result<Protect<S>, AuthFailure>>),
    #[doc(hidden)]
    Waiting(LocalBoxFuture<'static, Result<Protect<S>, AuthFailure>>),
}

impl<S: RouteSpec> Unpin for ProtectFuture<S> {}

impl<S: RouteSpec> std::fmt::Debug for ProtectFuture<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProtectFuture({})", S::ROUTE)
    }
}

impl<S: RouteSpec> Future for ProtectFuture<S> {
    type Output = Result<Protect<S>, AuthFailure>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            ProtectFuture::Ready(r) => match r.take() {
                Some(r) => Poll::Ready(r),
                None => Poll::Pending,
            },
            ProtectFuture::Waiting(f) => f.as_mut().poll(cx),
        }
    }
}

fn protect<S: RouteSpec>(ctx: Option<auth_core::AuthContext>) -> Protect<S> {
    Protect {
        ctx,
        _spec: PhantomData,
    }
}

impl<S: RouteSpec> FromRequest for Protect<S> {
    type Error = AuthFailure;
    type Future = ProtectFuture<S>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let cfg = match flow::config(req) {
            Ok(cfg) => cfg,
            Err(e) => return ProtectFuture::Ready(Some(Err(e))),
        };
        let list = BackendList::from_spec(S::BACKENDS);
        let guard = flow::GuardRef::of(S::POLICY, cfg);
        // Fast path: everything answers at once (built-in backends, local stores, sync guards).
        if let Some(r) = flow::settle_now(S::ROUTE, cfg, &list, guard, req) {
            return ProtectFuture::Ready(Some(r.map(protect)));
        }
        // Slow path: the body is held back until the decision is made.
        let gate = Gate::close(payload);
        let cfg = cfg.clone();
        let req = req.clone();
        ProtectFuture::Waiting(Box::pin(async move {
            let result = flow::result(&cfg, &list, &req).await;
            let policy = S::POLICY.unwrap_or(&cfg.inner.default_guard);
            let decided = flow::decide(policy, result, &req).await;
            let r = flow::conclude(S::ROUTE, &req, &cfg, decided).map(protect);
            gate.open(r.is_ok());
            r
        }))
    }
}

/// Holds a request body back until the guard has decided.
struct Gate {
    state: Rc<GateState>,
}

#[derive(Default)]
struct GateState {
    /// `None` while closed; `Some(true)` let through, `Some(false)` refused.
    decision: Cell<Option<bool>>,
    waker: Cell<Option<Waker>>,
}

struct GatedPayload {
    inner: Payload,
    state: Rc<GateState>,
}

impl Gate {
    fn close(payload: &mut Payload) -> Gate {
        let state = Rc::new(GateState::default());
        let inner = payload.take();
        let gated: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
            Box::pin(GatedPayload {
                inner,
                state: state.clone(),
            });
        *payload = Payload::from(gated);
        Gate { state }
    }

    fn open(self, allowed: bool) {
        self.state.decision.set(Some(allowed));
        if let Some(w) = self.state.waker.take() {
            w.wake();
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        // A guard future dropped before deciding (client gone) never lets the body through.
        if self.state.decision.get().is_none() {
            self.state.decision.set(Some(false));
            if let Some(w) = self.state.waker.take() {
                w.wake();
            }
        }
    }
}

impl Stream for GatedPayload {
    type Item = Result<Bytes, PayloadError>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.state.decision.get() {
            Some(true) => Pin::new(&mut this.inner).poll_next(cx),
            Some(false) => Poll::Ready(None),
            None => {
                this.state.waker.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}
