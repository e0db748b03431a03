//! The verified-token cache: a token verified once is not verified again until it expires.
//!
//! Security argument:
//! - Entries are keyed by the **whole token string** and found by full string equality, so a
//!   hit means these exact bytes (header, claims and signature) were verified before: no
//!   collision or truncation can let one token ride on another's verification.
//! - Only tokens that passed every check are cached; invalid tokens never enter, so garbage
//!   cannot flood the cache or evict good entries faster than valid tokens can.
//! - An entry lives until the token's `exp` (plus the configured leeway) or the cache TTL,
//!   whichever comes first; an expired token is never answered from the cache.
//! - Revocation is **not** cached: the revocation store is asked on every request, hit or miss.
//! - Memory is bounded: about 1.25 x `capacity` entries at most (up to 16 shards, each with a
//!   quarter of slack so that an even spread of `capacity` tokens fits); when a shard is full its
//!   expired entries are dropped (at most once a second), else an arbitrary one.
//! - Key rotation: removing a key from the configuration means building a new backend, which
//!   starts with an empty cache.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use crate::context::AuthContext;

/// At most this many shards (fewer for small capacities, so that the bound stays close).
const MAX_SHARDS: usize = 16;

struct Entry {
    ctx: AuthContext,
    valid_until: u64,
}

type Shard = RwLock<HashMap<Box<str>, Entry>>;

pub(crate) struct TokenCache {
    shards: Box<[Shard]>,
    per_shard: usize,
    ttl: u64,
    /// Picks the shard; keyed per process, so shard placement cannot be predicted.
    hasher: RandomState,
    last_prune: AtomicU64,
}

impl TokenCache {
    pub(crate) fn new(capacity: usize, ttl: u64) -> Option<TokenCache> {
        if capacity == 0 || ttl == 0 {
            return None;
        }
        let shards = (capacity / 256).clamp(1, MAX_SHARDS);
        let per_shard = (capacity + capacity.div_ceil(4)).div_ceil(shards);
        Some(TokenCache {
            shards: (0..shards).map(|_| RwLock::new(HashMap::new())).collect(),
            per_shard,
            ttl,
            hasher: RandomState::new(),
            last_prune: AtomicU64::new(0),
        })
    }

    /// Picks a shard from a keyed hash of the whole token: an even spread.
    fn shard(&self, token: &str) -> &Shard {
        let h = self.hasher.hash_one(token);
        &self.shards[(h % self.shards.len() as u64) as usize]
    }

    #[inline]
    pub(crate) fn get(&self, token: &str, now: u64) -> Option<AuthContext> {
        let shard = self.shard(token).read().ok()?;
        let e = shard.get(token)?;
        (e.valid_until > now).then(|| e.ctx.clone())
    }

    pub(crate) fn insert(
        &self,
        token: &str,
        ctx: &AuthContext,
        exp_with_leeway: Option<u64>,
        now: u64,
    ) {
        let ttl_end = now.saturating_add(self.ttl);
        let valid_until = exp_with_leeway.map_or(ttl_end, |e| e.min(ttl_end));
        if valid_until <= now {
            return;
        }
        let Ok(mut shard) = self.shard(token).write() else {
            return;
        };
        if shard.len() >= self.per_shard {
            // Scanning for expired entries is O(shard); do it at most once a second.
            if self.last_prune.swap(now, Ordering::Relaxed) != now {
                shard.retain(|_, e| e.valid_until > now);
            }
            if shard.len() >= self.per_shard {
                if let Some(k) = shard.keys().next().cloned() {
                    shard.remove(&k);
                }
            }
        }
        shard.insert(
            token.into(),
            Entry {
                ctx: ctx.clone(),
                valid_until,
            },
        );
    }

    /// Number of entries (for tests and metrics).
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().map_or(0, |m| m.len()))
            .sum()
    }
}
