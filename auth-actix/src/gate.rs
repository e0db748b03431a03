//! [`Gate`]: while a route's guard waits (on a store, an asynchronous guard), the request's body
//! and its other extractors wait for the decision too.
//!
//! actix-web creates every extractor of a handler at once and polls them together. Without the
//! gate, a `web::Json` argument would read the body of a request the guard is about to refuse,
//! and an `AuthContext` argument would authenticate the request a second time.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest};
use futures_util::Stream;

/// The guard's side: opened with its decision, or refused when dropped undecided.
pub(crate) struct Gate {
    state: Rc<State>,
}

/// What the waiting side sees, kept in the request's extensions.
#[derive(Clone)]
struct Closed(Rc<State>);

#[derive(Default)]
struct State {
    /// `None` while closed; `Some(true)` let through, `Some(false)` refused.
    decision: Cell<Option<bool>>,
    wakers: RefCell<Vec<Waker>>,
}

impl State {
    fn poll_decision(&self, cx: &mut Context<'_>) -> Poll<bool> {
        if let Some(decision) = self.decision.get() {
            return Poll::Ready(decision);
        }
        let mut wakers = self.wakers.borrow_mut();
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }

    fn decide(&self, allowed: bool) {
        self.decision.set(Some(allowed));
        for w in self.wakers.take() {
            w.wake();
        }
    }
}

impl Gate {
    /// Closes the gate on `req`: its body and its other extractors wait until [`Gate::open`].
    pub(crate) fn close(req: &HttpRequest, payload: &mut Payload) -> Gate {
        let state = Rc::new(State::default());
        let inner = payload.take();
        let gated: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
            Box::pin(GatedPayload {
                inner,
                state: state.clone(),
            });
        *payload = Payload::from(gated);
        req.extensions_mut().insert(Closed(state.clone()));
        Gate { state }
    }

    /// Lets the body through (`allowed`) or ends it, and wakes whoever waits.
    pub(crate) fn open(self, allowed: bool) {
        self.state.decide(allowed);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        // A guard future dropped before deciding (client gone) never lets the body through.
        if self.state.decision.get().is_none() {
            self.state.decide(false);
        }
    }
}

/// Waits until the guard of `req` has decided, if a gate is closed on it.
pub(crate) async fn decided(req: &HttpRequest) {
    let closed = req.extensions().get::<Closed>().cloned();
    if let Some(Closed(state)) = closed {
        poll_fn(|cx| state.poll_decision(cx)).await;
    }
}

struct GatedPayload {
    inner: Payload,
    state: Rc<State>,
}

impl Stream for GatedPayload {
    type Item = Result<Bytes, PayloadError>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.state.poll_decision(cx) {
            Poll::Ready(true) => Pin::new(&mut this.inner).poll_next(cx),
            Poll::Ready(false) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
