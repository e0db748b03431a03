//! [`InMemoryRevocation`]: the default store, for one process.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;

use super::{RevocationStore, StoreError, StoreFuture, TokenRef};

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
    /// Number of entries, read without the lock: a check of an empty store takes no lock.
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

    /// Forgets everything (the Redis store's mirror, before it re-reads Redis).
    pub(crate) fn clear(&self) {
        if let Ok(mut st) = self.state.write() {
            *st = State::default();
            self.len.store(0, Ordering::Relaxed);
        }
    }

    /// Records a revoked `jti`.
    pub(crate) fn insert_token(&self, jti: &str, expires_at: u64) -> Result<(), StoreError> {
        self.insert(|st, _| {
            let e = st.tokens.entry(jti.into()).or_insert(expires_at);
            *e = (*e).max(expires_at);
        })
    }

    /// Records a revoked family.
    pub(crate) fn insert_family(&self, family: &str, expires_at: u64) -> Result<(), StoreError> {
        self.insert(|st, _| {
            let e = st.families.entry(family.into()).or_insert(expires_at);
            *e = (*e).max(expires_at);
        })
    }

    /// Records a per-user "not before" stamp (the larger stamp wins).
    pub(crate) fn insert_user(
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

    /// The check behind [`RevocationStore::is_revoked`]; nothing to look up in an empty store.
    pub(crate) fn check(&self, t: TokenRef<'_>) -> Result<bool, StoreError> {
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

    fn is_revoked<'a>(&'a self, token: TokenRef<'a>) -> StoreFuture<'a, bool> {
        StoreFuture::ready(self.check(token))
    }

    fn revoke_token<'a>(&'a self, jti: &'a str, expires_at: u64) -> StoreFuture<'a, ()> {
        StoreFuture::ready(self.insert_token(jti, expires_at))
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
        StoreFuture::ready(self.insert_family(family, expires_at))
    }

    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        before: u64,
        expires_at: u64,
    ) -> StoreFuture<'a, ()> {
        StoreFuture::ready(self.insert_user(user_id, before, expires_at))
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
        assert!(!s
            .is_revoked(t(Some("a"), "u", Some(now), None))
            .await
            .unwrap());
        s.revoke_token("a", now + 60).await.unwrap();
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
