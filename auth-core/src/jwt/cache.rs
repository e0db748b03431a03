//! The verified-token cache: a token verified once is not verified again until it expires.
//!
//! Security argument:
//! - Entries are keyed by the **whole token string** and found by full string equality, so a
//!   hit means these exact bytes (header, claims and signature) were verified before: no
//!   collision or truncation can let one token ride on another's verification. The hash only
//!   picks the shard and the bucket (foldhash with a per-process random seed: fast, and
//!   unpredictable to a client); equality of the whole token decides.
//! - Only tokens that passed every check are cached; invalid tokens never enter, so garbage
//!   cannot flood the cache or evict good entries faster than valid tokens can.
//! - An entry lives until the token's `exp` (plus the configured leeway) or the cache TTL,
//!   whichever comes first; an expired token is never answered from the cache.
//! - Revocation is **not** cached: the revocation store is asked on every request, hit or miss.
//! - Memory is bounded: about 1.25 x `capacity` entries at most (up to 16 shards, each with a
//!   quarter of slack so that an even spread of `capacity` tokens fits); when a shard is full its
//!   expired entries are dropped (at most once a second), else one chosen by the CLOCK
//!   algorithm: entries used since the hand last passed get a second chance, so tokens in use
//!   stay and tokens seen once, or no longer presented, go first.
//! - Key rotation: removing a key from the configuration means building a new backend, which
//!   starts with an empty cache.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::RwLock;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

use crate::context::AuthContext;

/// At most this many shards (fewer for small capacities, so that the bound stays close).
const MAX_SHARDS: usize = 16;

struct Entry {
    token: Box<str>,
    ctx: AuthContext,
    valid_until: u64,
    /// Set when the entry answers a request; cleared as the CLOCK hand passes.
    used: AtomicBool,
}

#[derive(Default)]
struct ShardInner {
    table: HashTable<Entry>,
    /// The CLOCK hand: the bucket index where the next eviction scan starts.
    hand: usize,
}

impl ShardInner {
    /// Evicts one entry: the first not used since the hand last passed it.
    fn evict(&mut self) {
        let n = self.table.num_buckets();
        // Two sweeps at most: the first clears every `used` flag it passes.
        for _ in 0..2 * n {
            let i = self.hand % n;
            self.hand = i + 1;
            let Some(e) = self.table.get_bucket_mut(i) else {
                continue;
            };
            if std::mem::replace(e.used.get_mut(), false) {
                continue;
            }
            if let Ok(victim) = self.table.get_bucket_entry(i) {
                victim.remove();
            }
            return;
        }
    }
}

type Shard = RwLock<ShardInner>;

pub(crate) struct TokenCache {
    shards: Box<[Shard]>,
    per_shard: usize,
    ttl: u64,
    /// Keyed per process, so that placement cannot be predicted.
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
            shards: (0..shards).map(|_| RwLock::default()).collect(),
            per_shard,
            ttl,
            hasher: RandomState::default(),
            last_prune: AtomicU64::new(0),
        })
    }

    /// One hash of the whole token picks both the shard (bits 32 and up, which the table
    /// does not use for small tables) and the bucket.
    #[inline]
    fn locate(&self, token: &str) -> (u64, &Shard) {
        let h = self.hasher.hash_one(token);
        let i = ((h >> 32) as usize) % self.shards.len();
        (h, &self.shards[i])
    }

    #[inline]
    pub(crate) fn get(&self, token: &str, now: u64) -> Option<AuthContext> {
        let (h, shard) = self.locate(token);
        let shard = shard.read().ok()?;
        let e = shard.table.find(h, |e| *e.token == *token)?;
        if e.valid_until <= now {
            return None;
        }
        // Written only when it changes: a hot entry's cache line stays shared between cores.
        if !e.used.load(Ordering::Relaxed) {
            e.used.store(true, Ordering::Relaxed);
        }
        Some(e.ctx.clone())
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
        let (h, shard) = self.locate(token);
        let Ok(mut shard) = shard.write() else {
            return;
        };
        let hasher = |e: &Entry| self.hasher.hash_one(&*e.token);
        if let Ok(found) = shard.table.find_entry(h, |e| *e.token == *token) {
            // Verified twice at once (two requests raced): keep one entry.
            let e = found.into_mut();
            e.ctx = ctx.clone();
            e.valid_until = valid_until;
            return;
        }
        if shard.table.len() >= self.per_shard {
            // Scanning for expired entries is O(shard); do it at most once a second.
            if self.last_prune.swap(now, Ordering::Relaxed) != now {
                shard.table.retain(|e| e.valid_until > now);
            }
            if shard.table.len() >= self.per_shard {
                shard.evict();
            }
        }
        shard.table.insert_unique(
            h,
            Entry {
                token: token.into(),
                ctx: ctx.clone(),
                valid_until,
                used: AtomicBool::new(false),
            },
            hasher,
        );
    }

    /// Number of entries (for tests and metrics).
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().map_or(0, |m| m.table.len()))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ctx(id: &str) -> AuthContext {
        AuthContext::builder(id).build()
    }

    #[test]
    fn whole_token_equality_and_expiry() {
        let c = TokenCache::new(100, 300).unwrap();
        c.insert("aaa.bbb.ccc", &ctx("1"), Some(1_010), 1_000);
        assert_eq!(c.get("aaa.bbb.ccc", 1_005).unwrap().user_id(), "1");
        // One byte more, one byte less, one byte changed: not the verified token.
        for other in ["aaa.bbb.cccd", "aaa.bbb.cc", "aaa.bbb.ccd", "aaa.bbc.ccc"] {
            assert!(c.get(other, 1_005).is_none(), "{other}");
        }
        // Expired at exp (plus leeway, as given), and capped by the TTL.
        assert!(c.get("aaa.bbb.ccc", 1_010).is_none());
        c.insert("t2", &ctx("2"), None, 1_000);
        assert!(c.get("t2", 1_299).is_some());
        assert!(c.get("t2", 1_300).is_none());
        // Already expired: never stored.
        c.insert("t3", &ctx("3"), Some(999), 1_000);
        assert!(c.get("t3", 1_000).is_none());
    }

    #[test]
    fn bounded_and_tokens_in_use_survive_eviction() {
        // 256 tokens: one shard of 320 entries.
        let c = TokenCache::new(256, 300).unwrap();
        let now = 1_000;
        let name = |i: usize| format!("token-{i}");
        for i in 0..320 {
            c.insert(&name(i), &ctx("u"), None, now);
        }
        assert_eq!(c.len(), 320);
        // The first 100 are in use.
        for i in 0..100 {
            assert!(c.get(&name(i), now).is_some());
        }
        // 200 new tokens, each used once right after its verification.
        for i in 320..520 {
            c.insert(&name(i), &ctx("u"), None, now);
            assert!(c.get(&name(i), now).is_some());
        }
        assert_eq!(c.len(), 320, "the bound holds");
        let kept = (0..100).filter(|&i| c.get(&name(i), now).is_some()).count();
        let unused_kept = (100..320)
            .filter(|&i| c.get(&name(i), now).is_some())
            .count();
        assert!(kept >= 90, "tokens in use were evicted: {kept} of 100 kept");
        assert!(
            unused_kept <= 40,
            "unused tokens should go first: {unused_kept} of 220 kept"
        );
        // Expired entries are dropped before live ones when the shard is full.
        c.insert("late", &ctx("u"), None, now + 400);
        assert_eq!(c.len(), 1, "every other entry had expired");
    }
}
