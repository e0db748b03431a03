//! [`InMemoryRevocation`]: the default store, for one process.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use super::{RevocationStore, StoreError, StoreFuture, TokenRef};

/// The in-memory store: the default, for one process.
///
/// Expired entries are pruned as new ones arrive; at most `capacity` entries are kept. When the
/// store is full of unexpired entries a new revocation is refused with a [`StoreError`] (the
/// logout fails loudly) rather than dropping an older revocation silently.
///
/// One account cannot fill it: past [`InMemoryRevocation::DEFAULT_PER_USER`] live entries of
/// one user (a script refreshing and logging out in a loop), that user's further revocations
/// become one "logged out everywhere" stamp instead of new entries. The stamp refuses every token
/// of the user issued before it, a superset of what the entries would have refused; tokens
/// issued after it (the refresh that caused it included) stay valid.
///
/// Memory: about 200 bytes an entry (193 measured in `tests/tests/memory.rs`, each entry of
/// another user), so the default capacity of 1,000,000 entries is about 200 MB at most.
///
/// Revocations are not shared between processes: use the Redis or SQL store for several
/// instances.
pub struct InMemoryRevocation {
    state: RwLock<State>,
    /// Number of entries, read without the lock: a check of an empty store takes no lock.
    len: AtomicUsize,
    capacity: usize,
    per_user: usize,
}

/// A revoked token or family.
struct Entry {
    /// Kept until then (seconds).
    until: u64,
    /// When a refresh token was consumed (milliseconds); 0 once spent or revoked.
    used_at: u64,
    /// Whose it is (`None` in the Redis store's mirror, which Redis bounds).
    user: Option<Arc<str>>,
}

#[derive(Default)]
struct State {
    tokens: HashMap<Box<str>, Entry>,
    families: HashMap<Box<str>, Entry>,
    /// user id -> (not before, in milliseconds; keep until, in seconds)
    stamps: HashMap<Box<str>, (u64, u64)>,
    /// user id -> live entries of `tokens` and `families`
    counts: HashMap<Arc<str>, usize>,
    last_prune: u64,
}

/// What happened to a revocation of a user's.
enum Recorded {
    /// Kept as an entry.
    Entry,
    /// The user has too many entries: folded into the user's stamp.
    Stamp,
}

impl State {
    fn len(&self) -> usize {
        self.tokens.len() + self.families.len() + self.stamps.len()
    }

    fn prune(&mut self, now: u64) {
        let counts = &mut self.counts;
        let mut live = |e: &Entry| {
            let live = e.until >= now;
            if let (false, Some(user)) = (live, &e.user) {
                if let Some(n) = counts.get_mut(user) {
                    *n = n.saturating_sub(1);
                }
            }
            live
        };
        self.tokens.retain(|_, e| live(e));
        self.families.retain(|_, e| live(e));
        self.counts.retain(|_, n| *n > 0);
        self.stamps.retain(|_, (_, until)| *until >= now);
        self.last_prune = now;
    }

    /// Stamps `user`: tokens issued before `before_ms` are refused until `until`.
    fn stamp(&mut self, user: &str, before_ms: u64, until: u64) {
        let e = self.stamps.entry(user.into()).or_insert((before_ms, until));
        e.0 = e.0.max(before_ms);
        e.1 = e.1.max(until);
    }

    /// The entry for a revocation of `user`'s, or the user's stamp when the user has `per_user`
    /// entries already.
    fn record(&mut self, user: Option<&str>, until: u64, per_user: usize) -> (Recorded, Entry) {
        let user = user.map(|u| match self.counts.get_key_value(u) {
            Some((shared, _)) => shared.clone(),
            None => Arc::from(u),
        });
        if let Some(u) = &user {
            let n = self.counts.entry(u.clone()).or_insert(0);
            if *n >= per_user {
                let now_ms = crate::time::now_ms();
                self.stamp(u, now_ms, until);
                let e = Entry {
                    until,
                    used_at: 0,
                    user: None,
                };
                return (Recorded::Stamp, e);
            }
            *n += 1;
        }
        (
            Recorded::Entry,
            Entry {
                until,
                used_at: 0,
                user,
            },
        )
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
            .field("per_user", &self.per_user)
            .finish()
    }
}

impl InMemoryRevocation {
    /// Default capacity: 1,000,000 entries (about 200 MB at most).
    pub const DEFAULT_CAPACITY: usize = 1_000_000;

    /// Default bound on one user's live entries: 1,000 (a week of refreshes every 15 minutes on
    /// one device is 672).
    pub const DEFAULT_PER_USER: usize = 1_000;

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
            per_user: Self::DEFAULT_PER_USER,
        }
    }

    /// Past `entries` live entries of one user, that user's revocations become a "logged out
    /// everywhere" stamp (default [`InMemoryRevocation::DEFAULT_PER_USER`]).
    pub fn max_entries_per_user(mut self, entries: usize) -> Self {
        self.per_user = entries.max(1);
        self
    }

    /// How many entries are kept now (expired ones included until pruned).
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn write<T>(&self, f: impl FnOnce(&mut State, u64, usize) -> T) -> Result<T, StoreError> {
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
        let out = f(&mut st, now, self.per_user);
        self.len.store(st.len(), Ordering::Relaxed);
        Ok(out)
    }

    /// Forgets everything (the Redis store's mirror, before it re-reads Redis).
    #[cfg(feature = "redis")]
    pub(crate) fn clear(&self) {
        if let Ok(mut st) = self.state.write() {
            *st = State::default();
            self.len.store(0, Ordering::Relaxed);
        }
    }

    /// Records a revoked `jti` (of `user`, when known).
    pub(crate) fn insert_token(
        &self,
        jti: &str,
        user: Option<&str>,
        until: u64,
    ) -> Result<(), StoreError> {
        self.write(|st, _, per_user| {
            if let Some(e) = st.tokens.get_mut(jti) {
                // A consumed refresh token that is revoked is no longer "recently used".
                e.until = e.until.max(until);
                e.used_at = 0;
                return;
            }
            if let (Recorded::Entry, e) = st.record(user, until, per_user) {
                st.tokens.insert(jti.into(), e);
            }
        })
    }

    /// Records a revoked family (of `user`, when known).
    pub(crate) fn insert_family(
        &self,
        family: &str,
        user: Option<&str>,
        until: u64,
    ) -> Result<(), StoreError> {
        self.write(|st, _, per_user| {
            if let Some(e) = st.families.get_mut(family) {
                e.until = e.until.max(until);
                return;
            }
            if let (Recorded::Entry, e) = st.record(user, until, per_user) {
                st.families.insert(family.into(), e);
            }
        })
    }

    /// Records a per-user "not before" stamp (the larger stamp wins).
    pub(crate) fn insert_user(
        &self,
        user_id: &str,
        before_ms: u64,
        until: u64,
    ) -> Result<(), StoreError> {
        self.write(|st, _, _| st.stamp(user_id, before_ms, until))
    }

    /// Marks a refresh token used: `None` the first time, else when it was (0: revoked).
    fn consume_now(&self, jti: &str, user: &str, until: u64) -> Result<Option<u64>, StoreError> {
        self.write(|st, now, per_user| {
            if let Some(e) = st.tokens.get(jti).filter(|e| e.until >= now) {
                return Some(e.used_at);
            }
            if let (Recorded::Entry, mut e) = st.record(Some(user), until, per_user) {
                e.used_at = crate::time::now_ms();
                st.tokens.insert(jti.into(), e);
            }
            None
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
        let live = |e: Option<&Entry>| e.is_some_and(|e| e.until >= now);
        if t.jti.is_some_and(|j| live(st.tokens.get(j))) {
            return Ok(true);
        }
        if t.family.is_some_and(|f| live(st.families.get(f))) {
            return Ok(true);
        }
        if let Some((before_ms, until)) = st.stamps.get(t.user_id) {
            if *until >= now && t.issued_at_ms.is_none_or(|iat| iat < *before_ms) {
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

    fn revoke_token<'a>(
        &'a self,
        jti: &'a str,
        user_id: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, ()> {
        StoreFuture::ready(self.insert_token(jti, Some(user_id), expires_at))
    }

    fn consume<'a>(
        &'a self,
        jti: &'a str,
        user_id: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, Option<u64>> {
        StoreFuture::ready(self.consume_now(jti, user_id, expires_at))
    }

    fn revoke_family<'a>(
        &'a self,
        family: &'a str,
        user_id: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, ()> {
        StoreFuture::ready(self.insert_family(family, Some(user_id), expires_at))
    }

    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        before_ms: u64,
        expires_at: u64,
    ) -> StoreFuture<'a, ()> {
        StoreFuture::ready(self.insert_user(user_id, before_ms, expires_at))
    }
}

#[cfg(test)]
mod tests;
