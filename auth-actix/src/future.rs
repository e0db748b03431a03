//! [`ExtractFuture`]: the one future type of this crate's extractors.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use auth_core::adapter::LocalBoxFuture;

use crate::response::AuthFailure;

/// The future of this crate's extractors: an answer they had at once, or one still to come.
///
/// Most requests are decided without waiting (built-in backends, an in-memory store,
/// synchronous guards); their extractor hands actix-web a ready answer.
#[must_use = "futures do nothing unless awaited"]
pub struct ExtractFuture<T>(State<T>);

enum State<T> {
    Ready(Option<Result<T, AuthFailure>>),
    Waiting(LocalBoxFuture<'static, Result<T, AuthFailure>>),
}

impl<T> ExtractFuture<T> {
    pub(crate) fn ready(r: Result<T, AuthFailure>) -> Self {
        ExtractFuture(State::Ready(Some(r)))
    }

    pub(crate) fn waiting(f: impl Future<Output = Result<T, AuthFailure>> + 'static) -> Self {
        ExtractFuture(State::Waiting(Box::pin(f)))
    }
}

/// Polls `f` once: its answer if it has one now, else `f` itself, to be awaited. A future
/// polled here with a waker that does nothing registers the real one when actix-web polls it.
pub(crate) fn now_or_later<T>(
    f: impl Future<Output = T> + 'static,
) -> Result<T, LocalBoxFuture<'static, T>> {
    let mut f: LocalBoxFuture<'static, T> = Box::pin(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(answer) => Ok(answer),
        Poll::Pending => Err(f),
    }
}

// Nothing is pinned in place: a ready answer is moved out, a waiting one is boxed.
impl<T> Unpin for ExtractFuture<T> {}

impl<T> Future for ExtractFuture<T> {
    type Output = Result<T, AuthFailure>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            // Polled again after its answer: actix-web never does; nothing to answer twice.
            State::Ready(r) => r.take().map_or(Poll::Pending, Poll::Ready),
            State::Waiting(f) => f.as_mut().poll(cx),
        }
    }
}

impl<T> fmt::Debug for ExtractFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExtractFuture")
    }
}
