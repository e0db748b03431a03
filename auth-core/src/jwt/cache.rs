//! The verified-token cache: a token verified once is not verified again until it expires.
//!
//! One bounded, sharded map ([`quick_cache`]) from the SHA-256 digest of the whole token to its
//! context. Why answering from it is safe:
//!
//! - A hit means these exact bytes (header, claims and signature) were verified before: letting
//!   one token ride on another's verification would take a SHA-256 collision between a token
//!   this server verified and one an attacker wrote.
//! - Only tokens that passed every check enter, so garbage cannot flood the cache or evict
//!   good entries.
//! - An entry is answered until the token's `exp` (plus the leeway) or the cache's TTL,
//!   whichever comes first; an expired entry is never answered, and is dropped when met.
//! - Revocation is **not** cached: the store is asked on every request, hit or miss.
//! - Memory is bounded: at most `capacity` entries; when full, the map evicts the entries used
//!   least (quick_cache's CLOCK-Pro: tokens seen once go before tokens in use).
//! - Removing a key means building a new backend, which starts with an empty cache.

use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

use crate::context::AuthContext;

/// A token's SHA-256 digest, the cache's key.
pub(crate) type TokenDigest = [u8; 32];

#[derive(Clone)]
struct Entry {
    ctx: AuthContext,
    /// Answered while `now < valid_until`.
    valid_until: u64,
}

pub(crate) struct TokenCache {
    map: Cache<TokenDigest, Entry>,
    ttl: u64,
}

impl TokenCache {
    /// A cache of `capacity` tokens, each kept at most `ttl` seconds; `None` when either is 0.
    pub(crate) fn new(capacity: usize, ttl: u64) -> Option<TokenCache> {
        (capacity > 0 && ttl > 0).then(|| TokenCache {
            map: Cache::new(capacity),
            ttl,
        })
    }

    pub(crate) fn digest(token: &str) -> TokenDigest {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The context of the token with this digest, if it was verified before and is still valid.
    pub(crate) fn get(&self, digest: &TokenDigest, now: u64) -> Option<AuthContext> {
        let entry = self.map.get(digest)?;
        if entry.valid_until <= now {
            self.map.remove(digest);
            return None;
        }
        Some(entry.ctx)
    }

    /// Keeps the context of a verified token until `exp_with_leeway` or the TTL, whichever is
    /// first.
    pub(crate) fn insert(
        &self,
        digest: TokenDigest,
        ctx: &AuthContext,
        exp_with_leeway: Option<u64>,
        now: u64,
    ) {
        let ttl_end = now.saturating_add(self.ttl);
        let valid_until = exp_with_leeway.map_or(ttl_end, |e| e.min(ttl_end));
        if valid_until > now {
            let ctx = ctx.clone();
            self.map.insert(digest, Entry { ctx, valid_until });
        }
    }

    /// Number of entries (expired ones included until they are met or evicted).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(id: &str) -> AuthContext {
        AuthContext::builder(id).build()
    }

    fn get(c: &TokenCache, token: &str, now: u64) -> Option<String> {
        c.get(&TokenCache::digest(token), now)
            .map(|ctx| ctx.user_id().to_owned())
    }

    fn insert(c: &TokenCache, token: &str, id: &str, exp: Option<u64>, now: u64) {
        c.insert(TokenCache::digest(token), &ctx(id), exp, now);
    }

    #[test]
    fn whole_token_equality_and_expiry() {
        let c = TokenCache::new(100, 300).unwrap();
        insert(&c, "aaa.bbb.ccc", "1", Some(1_010), 1_000);
        assert_eq!(get(&c, "aaa.bbb.ccc", 1_005).as_deref(), Some("1"));
        // One byte more, one byte less, one byte changed: not the verified token.
        for other in ["aaa.bbb.cccd", "aaa.bbb.cc", "aaa.bbb.ccd", "aaa.bbc.ccc"] {
            assert!(get(&c, other, 1_005).is_none(), "{other}");
        }
        // Expired at exp (plus leeway, as given), and dropped when met.
        assert!(get(&c, "aaa.bbb.ccc", 1_010).is_none());
        assert_eq!(c.len(), 0);
        // Capped by the TTL.
        insert(&c, "t2", "2", None, 1_000);
        assert!(get(&c, "t2", 1_299).is_some());
        assert!(get(&c, "t2", 1_300).is_none());
        // Already expired: never stored.
        insert(&c, "t3", "3", Some(999), 1_000);
        assert!(get(&c, "t3", 1_000).is_none());
        assert!(TokenCache::new(0, 300).is_none() && TokenCache::new(10, 0).is_none());
    }

    #[test]
    fn bounded_and_tokens_in_use_survive_eviction() {
        let c = TokenCache::new(256, 300).unwrap();
        let now = 1_000;
        let name = |i: usize| format!("token-{i}");
        for i in 0..256 {
            insert(&c, &name(i), "u", None, now);
        }
        // The first 100 are in use.
        for _ in 0..3 {
            for i in 0..100 {
                assert!(get(&c, &name(i), now).is_some());
            }
        }
        // Far more new tokens than the capacity, each seen once.
        for i in 256..5_000 {
            insert(&c, &name(i), "u", None, now);
        }
        assert!(c.len() <= 256, "the bound holds: {}", c.len());
        let kept = (0..100)
            .filter(|&i| get(&c, &name(i), now).is_some())
            .count();
        assert!(kept >= 90, "tokens in use were evicted: {kept} of 100 kept");
    }
}
