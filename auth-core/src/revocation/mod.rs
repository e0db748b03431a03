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

pub use crate::error::StoreError;
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
    expires_at.saturating_sub(crate::util::time::now()).max(1)
}

/// The facts about a token that revocation depends on.
#[derive(Debug, Clone, Copy)]
pub struct TokenRef<'a> {
    /// The token id (`jti`).
    pub jti: Option<&'a str>,
    /// The user (`sub`).
    pub user_id: &'a str,
    /// Issue time in milliseconds since the epoch (see [`crate::identity::context::TokenInfo::issued_at_ms`]).
    pub issued_at_ms: Option<u64>,
    /// The refresh family (`fam`), if the token belongs to one.
    pub family: Option<&'a str>,
}

/// One refresh, as [`RevocationStore::rotate`] records it.
#[derive(Debug, Clone, Copy)]
pub struct Rotate<'a> {
    /// The refresh family (`fam`).
    pub family: &'a str,
    /// The user (`sub`).
    pub user_id: &'a str,
    /// The `jti` of the refresh token presented.
    pub presented: &'a str,
    /// The `jti` of the refresh token this refresh will issue.
    pub next: &'a str,
    /// Now, in milliseconds since the epoch.
    pub now_ms: u64,
    /// The family's previous refresh token presented again at least `retry_from_ms` and less
    /// than `retry_until_ms` after its rotation is a client retrying a refresh whose answer it
    /// never got ([`Rotation::Retried`]); sooner it is a concurrent presentation, later it is
    /// reuse.
    pub retry_from_ms: u64,
    /// See [`Rotate::retry_from_ms`].
    pub retry_until_ms: u64,
    /// Keep the family's record until then (seconds): the expiry of the last token it issues.
    pub until: u64,
}

/// What a presented refresh token was, as [`RevocationStore::rotate`] found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The family's current refresh token (or the family had no record yet: its first
    /// refresh). The new one is current now.
    Rotated,
    /// The refresh token rotated away last, presented again within the retry window. The new
    /// one is current now; the one the lost answer carried is not.
    Retried,
    /// Anything else: an older refresh token of the family, a concurrent presentation, or a
    /// family already revoked. The store has revoked the family.
    Reused,
}

impl Rotation {
    /// What a family's record (`current`, `previous`, rotated at `rotated_ms`) makes of `r`;
    /// the in-memory and SQL stores decide with it, the Redis store's script says the same.
    pub(crate) fn judge(r: &Rotate<'_>, current: &str, previous: &str, rotated_ms: u64) -> Self {
        // An empty id is a record that holds none (revoked before any refresh, or settled).
        if !current.is_empty() && current == r.presented {
            return Rotation::Rotated;
        }
        let since = r.now_ms.saturating_sub(rotated_ms);
        let retry = since >= r.retry_from_ms && since < r.retry_until_ms;
        if !previous.is_empty() && previous == r.presented && retry {
            Rotation::Retried
        } else {
            Rotation::Reused
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

    /// Moves `user_id`'s refresh family `r.family` from the presented refresh token to the one
    /// about to be issued, atomically, and says what the presentation was (see [`Rotation`]).
    ///
    /// A store keeps one record per family (its current refresh token, the one before it and
    /// when it rotated), replaced by every refresh: what it keeps grows with the families a user
    /// has, never with how often they refresh. On [`Rotation::Reused`] the store has revoked the
    /// family itself, in the same step, so reuse is detected even when two refreshes race with
    /// one token.
    fn rotate<'a>(&'a self, r: Rotate<'a>) -> StoreFuture<'a, Rotation>;

    /// The refresh that made `current` the current token of `family` is about to be answered:
    /// the token before it is spent, and presenting it again is reuse, within the retry window
    /// too. (A refresh that fails before this, its client answered 503, leaves that token
    /// retryable.) Does nothing when `current` is no longer current.
    fn settle<'a>(&'a self, family: &'a str, current: &'a str) -> StoreFuture<'a, ()>;

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
