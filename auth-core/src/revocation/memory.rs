//! [`InMemoryRevocation`]: the default store, for one process.

mod state;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;

use super::{RevocationStore, Rotate, Rotation, StoreError, StoreFuture, TokenRef};
use state::State;

/// The in-memory store: the default, for one process.
///
/// Expired entries are pruned as new ones arrive; at most `capacity` entries are kept. When the
/// store is full of unexpired entries a new revocation is refused with a [`StoreError`] (the
/// logout fails loudly) rather than dropping an older revocation silently.
///
/// What it keeps grows with what users have, not with what they did: a revoked token until it
/// expires, one record per refresh family (its current refresh token, replaced by every
/// refresh), and one "logged out everywhere" stamp per user who used it.
///
/// One account cannot fill it: past [`InMemoryRevocation::DEFAULT_PER_USER`] live entries of
/// one user (a script logging in and out in a loop; refreshing never adds entries), that
/// user's entries are folded into one "logged out everywhere" stamp. The stamp refuses every
/// token of the user issued before it, a superset of what the entries refused; the entries are
/// freed and counting starts again, so there is at most one stamp per bound's worth of
/// revocations. Tokens issued after it stay valid, and a family refreshed at that moment keeps
/// its record, so reuse detection never lapses.
///
/// Memory: about 200 bytes an entry (measured in `tests/tests/memory.rs`), so the default
/// capacity of 1,000,000 entries is about 200 MB at most.
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

    /// Default bound on one user's live entries: 1,000 (revoked tokens and refresh families;
    /// refreshing replaces a family's record and adds nothing).
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

    /// Past `entries` live entries of one user, that user's entries are folded into a "logged
    /// out everywhere" stamp (default [`InMemoryRevocation::DEFAULT_PER_USER`]).
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
        let now = crate::util::time::now();
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
        self.write(|st, _, per_user| st.revoke_token(jti, user, until, per_user))
    }

    /// Records a revoked family (of `user`, when known).
    pub(crate) fn insert_family(
        &self,
        family: &str,
        user: Option<&str>,
        until: u64,
    ) -> Result<(), StoreError> {
        self.write(|st, _, per_user| st.revoke_family(family, user, until, per_user))
    }

    /// Records a family's current refresh token, as the Redis store rotated it.
    #[cfg(feature = "redis")]
    pub(crate) fn insert_current(
        &self,
        family: &str,
        current: &str,
        until: u64,
    ) -> Result<(), StoreError> {
        self.write(|st, _, _| st.set_current(family, current, until))
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

    /// Every unexpired fact the store holds: what the Redis store writes back into a Redis that
    /// lost its data.
    #[cfg(feature = "redis")]
    pub(crate) fn facts(&self) -> Vec<Fact> {
        let now = crate::util::time::now();
        let Ok(st) = self.state.read() else {
            return Vec::new();
        };
        let tokens = st
            .tokens
            .iter()
            .filter(|(_, e)| e.until >= now)
            .map(|(jti, e)| Fact::Token {
                jti: jti.to_string(),
                until: e.until,
            });
        let families = st
            .families
            .iter()
            .filter(|(_, f)| f.until >= now)
            .map(|(family, f)| Fact::Family {
                family: family.to_string(),
                revoked: f.revoked,
                current: f.current.to_string(),
                until: f.until,
            });
        let stamps = st
            .stamps
            .iter()
            .filter(|(_, (_, until))| *until >= now)
            .map(|(user, (before_ms, until))| Fact::Stamp {
                user: user.to_string(),
                before_ms: *before_ms,
                until: *until,
            });
        tokens.chain(families).chain(stamps).collect()
    }

    /// The check behind [`RevocationStore::is_revoked`]; nothing to look up in an empty store.
    pub(crate) fn check(&self, t: TokenRef<'_>) -> Result<bool, StoreError> {
        if self.is_empty() {
            return Ok(false);
        }
        let now = crate::util::time::now();
        let st = self
            .state
            .read()
            .map_err(|_| StoreError::new("memory", "lock poisoned"))?;
        if t.jti
            .and_then(|j| st.tokens.get(j))
            .is_some_and(|e| e.until >= now)
        {
            return Ok(true);
        }
        if t.family
            .and_then(|f| st.families.get(f))
            .is_some_and(|f| f.revoked && f.until >= now)
        {
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

/// One unexpired fact of a store (see `InMemoryRevocation::facts`).
#[cfg(feature = "redis")]
#[derive(Debug)]
pub(crate) enum Fact {
    /// A revoked token.
    Token { jti: String, until: u64 },
    /// A family: revoked, or its current refresh token.
    Family {
        family: String,
        revoked: bool,
        current: String,
        until: u64,
    },
    /// A user's "not before" stamp.
    Stamp {
        user: String,
        before_ms: u64,
        until: u64,
    },
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

    fn rotate<'a>(&'a self, r: Rotate<'a>) -> StoreFuture<'a, Rotation> {
        StoreFuture::ready(self.write(|st, now, per_user| st.rotate(&r, now, per_user)))
    }

    fn settle<'a>(&'a self, family: &'a str, current: &'a str) -> StoreFuture<'a, ()> {
        StoreFuture::ready(self.write(|st, _, _| st.settle(family, current)))
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
