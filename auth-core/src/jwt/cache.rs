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
//! - Memory is bounded: at most `capacity` entries and a few percent of slack (see
//!   [`slack_capacity`]); when full, the oldest entries go first, and a token evicted while
//!   still in use is verified once more and cached again.
//! - Removing a key means building a new backend, which starts with an empty cache.

use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::{DefaultHashBuilder, OptionsBuilder, UnitWeighter};
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
    /// A cache of `capacity` tokens, each kept at most `ttl` seconds; `None` when either is 0
    /// (or the options are refused, which they are not for these values).
    pub(crate) fn new(capacity: usize, ttl: u64) -> Option<TokenCache> {
        if capacity == 0 || ttl == 0 {
            return None;
        }
        let (shards, weight) = slack_capacity(capacity);
        let options = OptionsBuilder::new()
            .shards(shards)
            .estimated_items_capacity(capacity)
            .weight_capacity(weight)
            // First in, first out: a new token enters at once and is answered from the second
            // request on. quick_cache's default keeps 97% of the room for entries used again and
            // again, which shuts out a new set of tokens in use for several rounds (measured in
            // the test below: 0 of 10,000 cached after two rounds, 728 after six; 0.5 took
            // three rounds). Tokens in use rotate (access tokens live 15 minutes), and an evicted
            // token costs one verification, after which it is cached again.
            .hot_allocation(0.0)
            .build()
            .ok()?;
        let map = Cache::with_options(
            options,
            UnitWeighter,
            DefaultHashBuilder::default(),
            DefaultLifecycle::default(),
        );
        Some(TokenCache { map, ttl })
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

    /// Forgets every token (a key set changed: what it verified must be verified again).
    #[cfg(feature = "oidc")]
    pub(crate) fn clear(&self) {
        self.map.clear();
    }

    /// Number of entries (expired ones included until they are met or evicted).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// The shards and the room of a cache for `capacity` tokens. Each shard holds its share and four
/// standard deviations of an even random spread more, so that `capacity` tokens in use fit even
/// when the hash spreads them unevenly: a shard only just too small for its tokens would evict
/// the ones about to be presented again, and a pool of `capacity` tokens presented in turn would
/// miss every time (measured: the RS256 10,000-token pool of `bench/load.sh` fell to the peer's
/// throughput without it). 10,000 tokens in 8 shards: room for 11,064.
fn slack_capacity(capacity: usize) -> (usize, u64) {
    let shards = (capacity / 1024).clamp(1, 8).next_power_of_two();
    let share = capacity as f64 / shards as f64;
    let sd = (share * (1.0 - 1.0 / shards as f64)).sqrt();
    let per_shard = (share + 4.0 * sd).ceil() as u64;
    (shards, per_shard * shards as u64)
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

    /// Presents `tokens` in turn `rounds` times, verifying (inserting) each miss; the hits of
    /// the last round.
    fn in_turn(c: &TokenCache, tokens: &[String], rounds: usize) -> usize {
        let mut hits = 0;
        for _ in 0..rounds {
            hits = 0;
            for t in tokens {
                if get(c, t, 1_000).is_some() {
                    hits += 1;
                } else {
                    insert(c, t, "u", None, 1_000);
                }
            }
        }
        hits
    }

    #[test]
    fn a_pool_of_capacity_tokens_in_turn_is_cached_from_its_second_round() {
        assert_eq!(slack_capacity(10_000), (8, 11_064));
        let c = TokenCache::new(10_000, 300).unwrap();
        let pool = |name: &str| -> Vec<String> {
            (0..10_000).map(|i| format!("{name}-token-{i}")).collect()
        };
        let first = pool("first");
        assert_eq!(
            in_turn(&c, &first, 1),
            0,
            "the first round verifies every token"
        );
        assert_eq!(
            in_turn(&c, &first, 1),
            10_000,
            "the second is answered from the cache"
        );
        // Another pool replaces it (the first is no longer presented): it is cached in its
        // turn, not shut out by the first pool's entries.
        let second = pool("second");
        assert_eq!(in_turn(&c, &second, 1), 0);
        assert_eq!(
            in_turn(&c, &second, 1),
            10_000,
            "the new pool is cached at once"
        );
    }

    #[test]
    fn bounded_and_an_evicted_token_is_cached_again() {
        let c = TokenCache::new(256, 300).unwrap();
        let name = |i: usize| format!("token-{i}");
        // Far more tokens than the capacity, each verified once.
        for i in 0..5_000 {
            insert(&c, &name(i), "u", None, 1_000);
        }
        let (_, room) = slack_capacity(256);
        assert!(c.len() as u64 <= room, "the bound holds: {}", c.len());
        // The newest is there; an evicted one, once verified again, is answered from it.
        assert!(get(&c, &name(4_999), 1_000).is_some());
        let evicted = (0..5_000)
            .find(|&i| get(&c, &name(i), 1_000).is_none())
            .unwrap();
        insert(&c, &name(evicted), "u", None, 1_000);
        assert!(get(&c, &name(evicted), 1_000).is_some());
    }
}
