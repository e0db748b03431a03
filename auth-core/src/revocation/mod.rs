//! Revocation: the [`RevocationStore`] trait the JWT backend consults for every token, and the
//! stores behind it, side by side:
//!
//! - [`InMemoryRevocation`] (`memory.rs`): the default, for one process;
//! - [`redis::RedisRevocation`] (`redis.rs`, feature `redis`): shared by every instance, with a
//!   local mirror kept current through a channel;
//! - [`sql::SqlRevocation`] (`sql.rs`, features `sqlite`, `postgres`): a table through sqlx.
//!
//! A store answers one question per request, "is this token revoked?", covering three facts at
//! once so that a networked store needs at most one round trip: the token's `jti` was revoked
//! (logout), its refresh family was revoked (refresh-token reuse), or its user logged out
//! everywhere after the token was issued.

mod memory;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
#[cfg(any(feature = "redis", feature = "sqlite", feature = "postgres"))]
use std::time::Duration;

pub use memory::InMemoryRevocation;

/// Default time a networked store may take to answer before the request fails closed (503).
#[cfg(any(feature = "redis", feature = "sqlite", feature = "postgres"))]
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

/// Runs `f`, failing with a [`StoreError`] of `store` when it takes longer than `timeout`: a
/// store never makes a request hang.
#[cfg(any(feature = "redis", feature = "sqlite", feature = "postgres"))]
async fn bounded<T>(
    store: &'static str,
    timeout: Duration,
    f: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(timeout, f)
        .await
        .map_err(|_| StoreError::new(store, format!("no answer within {timeout:?}")))?
}

/// Seconds from now until `expires_at`, at least 1.
#[cfg(any(feature = "redis", feature = "sqlite", feature = "postgres"))]
fn ttl(expires_at: u64) -> u64 {
    expires_at.saturating_sub(crate::time::now()).max(1)
}

/// The facts about a token that revocation depends on.
#[derive(Debug, Clone, Copy)]
pub struct TokenRef<'a> {
    /// The token id (`jti`).
    pub jti: Option<&'a str>,
    /// The user (`sub`).
    pub user_id: &'a str,
    /// Issue time in milliseconds since the epoch (see [`crate::TokenInfo::issued_at_ms`]).
    pub issued_at_ms: Option<u64>,
    /// The refresh family (`fam`), if the token belongs to one.
    pub family: Option<&'a str>,
}

/// A store could not answer (unreachable, timed out, full). Requests then fail closed with 503.
#[derive(Debug, Clone, thiserror::Error)]
#[error("revocation store {store} unavailable: {message}")]
pub struct StoreError {
    /// Which store.
    pub store: &'static str,
    /// What went wrong (never contains a token).
    pub message: String,
}

/// A store that cannot answer makes the request fail closed: 503.
impl From<StoreError> for crate::AuthError {
    fn from(e: StoreError) -> Self {
        crate::AuthError::Unavailable(e.to_string().into())
    }
}

impl StoreError {
    /// A new error.
    pub fn new(store: &'static str, message: impl Into<String>) -> Self {
        StoreError {
            store,
            message: message.into(),
        }
    }
}

/// The future a store returns: an answer it had at once (an in-memory store: no allocation),
/// or a boxed future for a store that must wait on the network.
#[must_use = "futures do nothing unless awaited"]
pub struct StoreFuture<'a, T>(Answer<'a, T>);

enum Answer<'a, T> {
    Ready(Option<Result<T, StoreError>>),
    Waiting(Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>),
}

impl<'a, T> StoreFuture<'a, T> {
    /// An answer available now.
    pub fn ready(r: Result<T, StoreError>) -> Self {
        StoreFuture(Answer::Ready(Some(r)))
    }

    /// An answer still to come.
    pub fn boxed(f: impl Future<Output = Result<T, StoreError>> + Send + 'a) -> Self {
        StoreFuture(Answer::Waiting(Box::pin(f)))
    }
}

// Nothing is pinned in place: a ready answer is moved out, a waiting one is boxed.
impl<T> Unpin for StoreFuture<'_, T> {}

impl<T> Future for StoreFuture<'_, T> {
    type Output = Result<T, StoreError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            Answer::Ready(r) => Poll::Ready(r.take().unwrap_or_else(|| {
                Err(StoreError::new("unknown", "future polled after completion"))
            })),
            Answer::Waiting(f) => f.as_mut().poll(cx),
        }
    }
}

impl<T> fmt::Debug for StoreFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreFuture")
    }
}

/// Where revoked tokens, families and per-user "not before" stamps are kept.
///
/// Every entry carries the time after which it can be forgotten (the latest expiry of a token it
/// concerns), so stores never grow without bound.
pub trait RevocationStore: Send + Sync + 'static {
    /// A short name for logs (`"memory"`, `"redis"`, `"postgres"`).
    fn name(&self) -> &'static str;

    /// Whether the token is revoked: its `jti`, its family, or its user before its `iat`.
    fn is_revoked<'a>(&'a self, token: TokenRef<'a>) -> StoreFuture<'a, bool>;

    /// Revokes one token of `user_id` by `jti` until `expires_at` (the token's `exp`).
    fn revoke_token<'a>(
        &'a self,
        jti: &'a str,
        user_id: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, ()>;

    /// Marks a refresh token of `user_id` as used now, atomically: `None` the first time;
    /// `Some(t)` when it was used before, at `t` (milliseconds since the epoch) and not yet
    /// spent, or `Some(0)` when it is spent or revoked ([`RevocationStore::revoke_token`]).
    /// Refresh rotation relies on this to detect reuse even when two requests race with the
    /// same token, and to recognise the retry of a refresh that failed before it was answered.
    fn consume<'a>(
        &'a self,
        jti: &'a str,
        user_id: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, Option<u64>>;

    /// Revokes every token of `user_id`'s refresh family `family` until `expires_at`.
    fn revoke_family<'a>(
        &'a self,
        family: &'a str,
        user_id: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, ()>;

    /// Revokes every token of `user_id` issued before `before_ms` (milliseconds since the epoch;
    /// logout everywhere); the stamp is kept until `expires_at` (seconds, the latest expiry of
    /// any token that could have been issued). The larger stamp wins.
    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        before_ms: u64,
        expires_at: u64,
    ) -> StoreFuture<'a, ()>;
}
