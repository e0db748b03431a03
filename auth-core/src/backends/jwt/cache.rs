//! The verified-token cache: a token verified once is not verified again until it expires.
//!
//! One bounded, sharded map ([`quick_cache`]) from the SHA-256 digest of the whole token to its
//! context, and in front of it each thread's last token. Why answering from them is safe:
//!
//! - A hit means these exact bytes (header, claims and signature) were verified before: letting
//!   one token ride on another's verification would take a SHA-256 collision between a token
//!   this server verified and one an attacker wrote; the last token is compared whole, in
//!   constant time.
//! - Only tokens that passed every check enter, so garbage cannot flood the cache or evict
//!   good entries.
//! - An entry is answered until the token's `exp` (plus the leeway) or the cache's TTL,
//!   whichever comes first; an expired entry is never answered, and is dropped when met.
//! - Revocation is **not** cached: the store is asked on every request, hit or miss.
//! - Memory is bounded: at most `capacity` entries and a few percent of slack (see
//!   [`slack_capacity`]), and one token a thread; when full, the oldest entries go first, and a
//!   token evicted while still in use is verified once more and cached again.
//! - Emptying the cache (an identity provider's key set changed) also retires every thread's
//!   last token, and a token verified under the old keys while it happens is not kept; removing
//!   a static key means building a new backend, which starts with a cache of its own.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::{DefaultHashBuilder, OptionsBuilder, UnitWeighter};
use sha2::{Digest, Sha256};

use crate::error::Reason;
use crate::identity::context::AuthContext;

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
    /// Which cache this is and how often it was emptied: a number no other cache, and no
    /// earlier state of this one, has had. A thread's last token is answered only under the
    /// epoch it was kept in.
    epoch: AtomicU64,
}

/// Where epochs come from (0 is never given: an empty last token matches no cache).
static EPOCHS: AtomicU64 = AtomicU64::new(1);

fn new_epoch() -> u64 {
    EPOCHS.fetch_add(1, Ordering::Relaxed)
}

/// The last token a thread found in or put into a cache, with its entry.
///
/// Clients send the same token request after request, and a worker thread serves a connection
/// throughout, so most requests carry the token their thread saw last. Comparing it whole skips
/// the token's SHA-256 digest (about 0.2 us for a 270-byte token with the CPU's SHA
/// instructions) and the map's lookup. Measured in `bench/RESULTS.md` ("The last token of a
/// thread").
struct LastToken {
    epoch: u64,
    /// Reused from token to token: no allocation once it is as long as the tokens in use.
    token: Vec<u8>,
    entry: Option<Entry>,
}

thread_local! {
    static LAST: RefCell<LastToken> = const {
        RefCell::new(LastToken { epoch: 0, token: Vec::new(), entry: None })
    };
}

impl LastToken {
    /// The context of `token` if it is this thread's last token, kept under `epoch`, still valid.
    fn get(&self, epoch: u64, token: &[u8], now: u64) -> Option<AuthContext> {
        let entry = self.entry.as_ref()?;
        let same = self.epoch == epoch && constant_time_eq::constant_time_eq(&self.token, token);
        (same && now < entry.valid_until).then(|| entry.ctx.clone())
    }

    fn set(&mut self, epoch: u64, token: &[u8], entry: Entry) {
        self.epoch = epoch;
        self.token.clear();
        self.token.extend_from_slice(token);
        self.entry = Some(entry);
    }
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
        Some(TokenCache {
            map,
            ttl,
            epoch: AtomicU64::new(new_epoch()),
        })
    }

    /// The context of `token`: from the cache if it was verified before and is still valid,
    /// otherwise `verify`'s answer, kept (when it is a success) until the token's `exp` plus
    /// `leeway` or the TTL, whichever is first.
    pub(crate) fn get_or_verify(
        &self,
        token: &[u8],
        now: u64,
        leeway: u64,
        verify: impl FnOnce() -> Result<AuthContext, Reason>,
    ) -> Result<AuthContext, Reason> {
        // Read before verifying: if the cache is emptied meanwhile, what was verified under the
        // old keys is not kept.
        let epoch = self.epoch.load(Ordering::Acquire);
        if let Some(ctx) = LAST.with_borrow(|last| last.get(epoch, token, now)) {
            return Ok(ctx);
        }
        let digest = Self::digest(token);
        let entry = match self.get(&digest, now) {
            Some(entry) => entry,
            None => {
                let ctx = verify()?;
                let exp = ctx.token().and_then(|t| t.exp);
                match self.insert(
                    digest,
                    ctx,
                    exp.map(|e| e.saturating_add(leeway)),
                    now,
                    epoch,
                ) {
                    Ok(entry) => entry,
                    Err(ctx) => return Ok(ctx),
                }
            }
        };
        let ctx = entry.ctx.clone();
        LAST.with_borrow_mut(|last| last.set(epoch, token, entry));
        Ok(ctx)
    }

    pub(crate) fn digest(token: &[u8]) -> TokenDigest {
        Sha256::digest(token).into()
    }

    /// The entry of the token with this digest, if it was verified before and is still valid.
    fn get(&self, digest: &TokenDigest, now: u64) -> Option<Entry> {
        let entry = self.map.get(digest)?;
        if entry.valid_until <= now {
            self.map.remove(digest);
            return None;
        }
        Some(entry)
    }

    /// Keeps the context of a token verified under `epoch` until `exp_with_leeway` or the TTL,
    /// whichever is first. `Err` gives the context back when it is not kept: already expired,
    /// or the cache was emptied since `epoch`.
    fn insert(
        &self,
        digest: TokenDigest,
        ctx: AuthContext,
        exp_with_leeway: Option<u64>,
        now: u64,
        epoch: u64,
    ) -> Result<Entry, AuthContext> {
        let ttl_end = now.saturating_add(self.ttl);
        let valid_until = exp_with_leeway.map_or(ttl_end, |e| e.min(ttl_end));
        if valid_until <= now || self.epoch.load(Ordering::Acquire) != epoch {
            return Err(ctx);
        }
        let entry = Entry { ctx, valid_until };
        self.map.insert(digest, entry.clone());
        // Emptied between the check and the insert: the entry may have come in after.
        if self.epoch.load(Ordering::Acquire) != epoch {
            self.map.remove(&digest);
            return Err(entry.ctx);
        }
        Ok(entry)
    }

    /// Forgets every token (a key set changed: what it verified must be verified again).
    pub(crate) fn clear(&self) {
        // The new epoch first: an insert that starts now sees it, one that ran before is
        // cleared.
        self.epoch.store(new_epoch(), Ordering::Release);
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

    /// The map's answer (the last token of the thread left aside).
    fn get(c: &TokenCache, token: &str, now: u64) -> Option<String> {
        c.get(&TokenCache::digest(token.as_bytes()), now)
            .map(|entry| entry.ctx.user_id().to_owned())
    }

    fn insert(c: &TokenCache, token: &str, id: &str, exp: Option<u64>, now: u64) {
        let epoch = c.epoch.load(Ordering::Acquire);
        let _ = c.insert(
            TokenCache::digest(token.as_bytes()),
            ctx(id),
            exp,
            now,
            epoch,
        );
    }

    /// Asks `c` for `token` as the backend does; the user id answered, and whether the token
    /// was verified for it.
    fn ask(
        c: &TokenCache,
        token: &str,
        now: u64,
        exp: Option<u64>,
    ) -> (Result<String, Reason>, bool) {
        let mut verified = false;
        let r = c.get_or_verify(token.as_bytes(), now, 0, || {
            verified = true;
            Ok(ctx_expiring(token, exp))
        });
        (r.map(|ctx| ctx.user_id().to_owned()), verified)
    }

    fn ctx_expiring(id: &str, exp: Option<u64>) -> AuthContext {
        let info = crate::identity::context::TokenInfo {
            exp,
            ..Default::default()
        };
        AuthContext::builder(id).token(info).build()
    }

    #[test]
    fn a_threads_last_token_is_answered_without_the_map_and_only_while_it_is_valid() {
        let c = TokenCache::new(100, 300).unwrap();
        assert_eq!(
            ask(&c, "t.one", 1_000, Some(1_010)),
            (Ok("t.one".into()), true)
        );
        // The map emptied behind the thread's back: the last token still answers, unverified.
        c.map.clear();
        assert_eq!(
            ask(&c, "t.one", 1_009, Some(1_010)),
            (Ok("t.one".into()), false)
        );
        // At its expiry it is verified again (and refused here, as an expired token would be).
        let expired = c.get_or_verify(b"t.one", 1_010, 0, || Err(Reason::Expired));
        assert!(matches!(expired, Err(Reason::Expired)));
        // One byte more, less or changed is another token.
        for other in ["t.onee", "t.on", "t.onf"] {
            assert_eq!(
                ask(&c, other, 1_000, None),
                (Ok(other.into()), true),
                "{other}"
            );
        }
    }

    #[test]
    fn the_last_token_belongs_to_its_cache_and_its_key_sets() {
        let a = TokenCache::new(100, 300).unwrap();
        let b = TokenCache::new(100, 300).unwrap();
        assert!(ask(&a, "t.shared", 1_000, None).1);
        assert!(!ask(&a, "t.shared", 1_000, None).1);
        assert!(
            ask(&b, "t.shared", 1_000, None).1,
            "another backend verifies it itself"
        );
        assert!(!ask(&b, "t.shared", 1_000, None).1);
        #[cfg(feature = "oidc")]
        {
            b.clear();
            assert!(
                ask(&b, "t.shared", 1_000, None).1,
                "a key set changed: verified again"
            );
            // Emptied while a token was being verified: what the old keys verified is not kept.
            let r = b.get_or_verify(b"t.during", 1_000, 0, || {
                b.clear();
                Ok(ctx("during"))
            });
            assert!(r.is_ok());
            assert!(ask(&b, "t.during", 1_000, None).1, "verified again");
            assert_eq!(get(&b, "t.during", 1_000).as_deref(), Some("t.during"));
        }
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
        assert!(
            c.map.get(&TokenCache::digest(b"t3")).is_none(),
            "not even kept"
        );
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
