//! Revocation: the [`RevocationStore`] trait the JWT backend consults for every token, and the
//! default [`InMemoryRevocation`].
//!
//! A store answers one question per request, "is this token revoked?", covering three facts at
//! once so that a networked store needs at most one round trip: the token's `jti` was revoked
//! (logout), its refresh family was revoked (refresh-token reuse), or its user logged out
//! everywhere after the token was issued.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;
use std::task::{Context, Poll};

/// The facts about a token that revocation depends on.
#[derive(Debug, Clone, Copy)]
pub struct TokenRef<'a> {
    /// The token id (`jti`).
    pub jti: Option<&'a str>,
    /// The user (`sub`).
    pub user_id: &'a str,
    /// Issue time (`iat`), seconds since the epoch.
    pub issued_at: Option<u64>,
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

impl StoreError {
    /// A new error.
    pub fn new(store: &'static str, message: impl Into<String>) -> Self {
        StoreError {
            store,
            message: message.into(),
        }
    }
}

/// The future a store returns: ready at once (in-memory answers, no allocation) or boxed.
#[must_use = "futures do nothing unless awaited"]
pub enum StoreFuture<'a, T> {
    /// Already answered.
    Ready(Option<Result<T, StoreError>>),
    /// Still working.
    Pending(Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>),
}

impl<'a, T> StoreFuture<'a, T> {
    /// An answer available now.
    pub fn ready(r: Result<T, StoreError>) -> Self {
        StoreFuture::Ready(Some(r))
    }

    /// Wraps a future.
    pub fn boxed(f: impl Future<Output = Result<T, StoreError>> + Send + 'a) -> Self {
        StoreFuture::Pending(Box::pin(f))
    }
}

// The answer is never pinned in place: it is moved out when ready.
impl<T> Unpin for StoreFuture<'_, T> {}

impl<T> Future for StoreFuture<'_, T> {
    type Output = Result<T, StoreError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            StoreFuture::Ready(r) => match r.take() {
                Some(r) => Poll::Ready(r),
                None => Poll::Ready(Err(StoreError::new(
                    "unknown",
                    "future polled after completion",
                ))),
            },
            StoreFuture::Pending(f) => f.as_mut().poll(cx),
        }
    }
}

impl<T> fmt::Debug for StoreFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreFuture::Ready(_) => "StoreFuture::Ready",
            StoreFuture::Pending(_) => "StoreFuture::Pending",
        })
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

    /// `true` when the store knows, without waiting and without looking at any token, that it
    /// holds no revocation at all right now: the caller may then skip [`is_revoked`]
    /// (and building its [`TokenRef`]). `false` means "ask": it is always a correct answer, and
    /// the default.
    ///
    /// [`is_revoked`]: RevocationStore::is_revoked
    fn holds_nothing(&self) -> bool {
        false
    }

    /// Revokes one token by `jti` until `expires_at` (the token's `exp`).
    fn revoke_token<'a>(&'a self, jti: &'a str, expires_at: u64) -> StoreFuture<'a, ()>;

    /// Marks a refresh token's `jti` as used, atomically: `true` the first time, `false` if it was
    /// used (or revoked) before. Refresh rotation relies on this to detect reuse even when two
    /// requests race with the same token.
    fn consume<'a>(&'a self, jti: &'a str, expires_at: u64) -> StoreFuture<'a, bool>;

    /// Revokes every token of a refresh family until `expires_at`.
    fn revoke_family<'a>(&'a self, family: &'a str, expires_at: u64) -> StoreFuture<'a, ()>;

    /// Revokes every token of `user_id` issued before `before` (logout everywhere); the stamp is
    /// kept until `expires_at` (the latest expiry of any token that could have been issued).
    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        before: u64,
        expires_at: u64,
    ) -> StoreFuture<'a, ()>;
}

/// The in-memory store: the default, for one process.
///
/// Expired entries are pruned as new ones arrive; at most `capacity` entries are kept. When the
/// store is full of unexpired entries a new revocation is refused with a [`StoreError`] (the
/// logout fails loudly) rather than dropping an older revocation silently.
///
/// Revocations are not shared between processes: use the Redis or SQL store for several
/// instances.
pub struct InMemoryRevocation {
    state: RwLock<State>,
    /// Number of entries, read without the lock so that an empty store costs nothing.
    len: AtomicUsize,
    capacity: usize,
}

#[derive(Default)]
struct State {
    tokens: HashMap<Box<str>, u64>,
    families: HashMap<Box<str>, u64>,
    /// user id -> (not before, keep until)
    users: HashMap<Box<str>, (u64, u64)>,
    last_prune: u64,
}

impl State {
    fn len(&self) -> usize {
        self.tokens.len() + self.families.len() + self.users.len()
    }
    fn prune(&mut self, now: u64) {
        self.tokens.retain(|_, exp| *exp >= now);
        self.families.retain(|_, exp| *exp >= now);
        self.users.retain(|_, (_, exp)| *exp >= now);
        self.last_prune = now;
    }
}

impl Default for InMemoryRevocation {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for InMemoryRevocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryRevocation")
            .field("entries", &self.len.load(Ordering::Relaxed))
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl InMemoryRevocation {
    /// Default capacity: 1,000,000 entries (about 100 MB at most).
    pub const DEFAULT_CAPACITY: usize = 1_000_000;

    /// A store with the default capacity.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// A store that keeps at most `capacity` unexpired entries.
    pub fn with_capacity(capacity: usize) -> Self {
        InMemoryRevocation {
            state: RwLock::new(State::default()),
            len: AtomicUsize::new(0),
            capacity: capacity.max(1),
        }
    }

    /// How many entries are kept now (expired ones included until pruned).
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn insert(&self, f: impl FnOnce(&mut State, u64)) -> Result<(), StoreError> {
        let now = crate::time::now();
        let mut st = self
            .state
            .write()
            .map_err(|_| StoreError::new("memory", "lock poisoned"))?;
        if st.len() >= self.capacity || now.saturating_sub(st.last_prune) >= 60 {
            st.prune(now);
        }
        if st.len() >= self.capacity {
            self.len.store(st.len(), Ordering::Relaxed);
            return Err(StoreError::new(
                "memory",
                format!(
                    "full ({} unexpired entries); raise the capacity or use a shared store",
                    self.capacity
                ),
            ));
        }
        f(&mut st, now);
        self.len.store(st.len(), Ordering::Relaxed);
        Ok(())
    }

    /// Forgets everything (used by stores that mirror a shared store locally).
    pub fn clear(&self) {
        if let Ok(mut st) = self.state.write() {
            *st = State::default();
            self.len.store(0, Ordering::Relaxed);
        }
    }

    /// Records a revoked `jti` synchronously.
    pub fn check_insert_token(&self, jti: &str, expires_at: u64) -> Result<(), StoreError> {
        self.insert(|st, _| {
            let e = st.tokens.entry(jti.into()).or_insert(expires_at);
            *e = (*e).max(expires_at);
        })
    }

    /// Records a revoked family synchronously.
    pub fn check_insert_family(&self, family: &str, expires_at: u64) -> Result<(), StoreError> {
        self.insert(|st, _| {
            let e = st.families.entry(family.into()).or_insert(expires_at);
            *e = (*e).max(expires_at);
        })
    }

    /// Records a per-user "not before" stamp synchronously (the larger stamp wins).
    pub fn check_insert_user(
        &self,
        user_id: &str,
        before: u64,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        self.insert(|st, _| {
            let e = st
                .users
                .entry(user_id.into())
                .or_insert((before, expires_at));
            e.0 = e.0.max(before);
            e.1 = e.1.max(expires_at);
        })
    }

    /// The synchronous check behind [`RevocationStore::is_revoked`].
    pub fn check(&self, t: TokenRef<'_>) -> Result<bool, StoreError> {
        if self.is_empty() {
            return Ok(false);
        }
        let now = crate::time::now();
        let st = self
            .state
            .read()
            .map_err(|_| StoreError::new("memory", "lock poisoned"))?;
        let live = |exp: Option<&u64>| exp.is_some_and(|e| *e >= now);
        if t.jti.is_some_and(|j| live(st.tokens.get(j))) {
            return Ok(true);
        }
        if t.family.is_some_and(|f| live(st.families.get(f))) {
            return Ok(true);
        }
        if let Some((nbf, exp)) = st.users.get(t.user_id) {
            if *exp >= now && t.issued_at.is_none_or(|iat| iat < *nbf) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl RevocationStore for InMemoryRevocation {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn holds_nothing(&self) -> bool {
        self.is_empty()
    }

    fn is_revoked<'a>(&'a self, token: TokenRef<'a>) -> StoreFuture<'a, bool> {
        StoreFuture::ready(self.check(token))
    }

    fn revoke_token<'a>(&'a self, jti: &'a str, expires_at: u64) -> StoreFuture<'a, ()> {
        StoreFuture::ready(self.check_insert_token(jti, expires_at))
    }

    fn consume<'a>(&'a self, jti: &'a str, expires_at: u64) -> StoreFuture<'a, bool> {
        let mut first = false;
        let r = self.insert(|st, now| {
            let live = st.tokens.get(jti).is_some_and(|e| *e >= now);
            if !live {
                st.tokens.insert(jti.into(), expires_at);
                first = true;
            }
        });
        StoreFuture::ready(r.map(|()| first))
    }

    fn revoke_family<'a>(&'a self, family: &'a str, expires_at: u64) -> StoreFuture<'a, ()> {
        StoreFuture::ready(self.check_insert_family(family, expires_at))
    }

    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        before: u64,
        expires_at: u64,
    ) -> StoreFuture<'a, ()> {
        StoreFuture::ready(self.check_insert_user(user_id, before, expires_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t<'a>(
        jti: Option<&'a str>,
        user: &'a str,
        iat: Option<u64>,
        fam: Option<&'a str>,
    ) -> TokenRef<'a> {
        TokenRef {
            jti,
            user_id: user,
            issued_at: iat,
            family: fam,
        }
    }

    #[tokio::test]
    async fn revoke_and_check() {
        let s = InMemoryRevocation::new();
        let now = crate::time::now();
        assert!(s.holds_nothing(), "an empty store vouches for every token");
        assert!(!s
            .is_revoked(t(Some("a"), "u", Some(now), None))
            .await
            .unwrap());
        s.revoke_token("a", now + 60).await.unwrap();
        assert!(
            !s.holds_nothing(),
            "a store holding a revocation must be asked"
        );
        assert!(s
            .is_revoked(t(Some("a"), "u", Some(now), None))
            .await
            .unwrap());
        assert!(!s
            .is_revoked(t(Some("b"), "u", Some(now), None))
            .await
            .unwrap());
        assert!(s.consume("r1", now + 60).await.unwrap(), "first use");
        assert!(
            !s.consume("r1", now + 60).await.unwrap(),
            "second use is reuse"
        );
        s.revoke_family("f1", now + 60).await.unwrap();
        assert!(s
            .is_revoked(t(Some("c"), "u", Some(now), Some("f1")))
            .await
            .unwrap());
        s.revoke_user_before("u2", now, now + 60).await.unwrap();
        assert!(s
            .is_revoked(t(Some("d"), "u2", Some(now - 1), None))
            .await
            .unwrap());
        assert!(
            !s.is_revoked(t(Some("d"), "u2", Some(now), None))
                .await
                .unwrap(),
            "issued at the stamp: still valid"
        );
        assert!(
            s.is_revoked(t(Some("d"), "u2", None, None)).await.unwrap(),
            "no iat: cannot prove it is newer"
        );
    }

    #[tokio::test]
    async fn expired_entries_are_pruned_and_capacity_is_enforced() {
        let s = InMemoryRevocation::with_capacity(2);
        let now = crate::time::now();
        s.revoke_token("old1", now - 10).await.unwrap();
        s.revoke_token("old2", now - 10).await.unwrap();
        assert!(
            !s.is_revoked(t(Some("old1"), "u", None, None))
                .await
                .unwrap(),
            "expired entry no longer counts"
        );
        // Full of expired entries: pruning makes room.
        s.revoke_token("new1", now + 100).await.unwrap();
        s.revoke_token("new2", now + 100).await.unwrap();
        assert_eq!(s.len(), 2);
        let err = s.revoke_token("new3", now + 100).await.unwrap_err();
        assert!(err.to_string().contains("full"), "{err}");
        assert!(
            s.is_revoked(t(Some("new1"), "u", None, None))
                .await
                .unwrap(),
            "no revocation was dropped"
        );
    }
}
