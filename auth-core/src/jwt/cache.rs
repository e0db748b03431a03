//! The verified-token cache: a token verified once is not verified again until it expires.
//!
//! Two tiers:
//! - the **back table** holds every cached token, keyed by the SHA-256 digest of the whole
//!   token (header, claims and signature); its entries are the contexts themselves, in fixed
//!   slots of one array per shard, so that an entry costs 336 bytes (claims up to 168 bytes
//!   inline), no copy of the token and no allocation of its own. A hit copies the context
//!   into one new allocation;
//! - each thread keeps a small **front table** of the tokens it answers most, keyed by the whole
//!   token itself, so that a token presented again and again costs one fast hash of its last
//!   bytes (a signature's tail tells tokens apart) and one comparison of all its bytes, with no
//!   lock and no digest.
//!
//! Security argument:
//! - A hit means these exact bytes were verified before. In the front table, the whole token
//!   is compared byte for byte. In the back table, its SHA-256 digest is: letting one token ride
//!   on another's verification would take a SHA-256 collision between a token this server
//!   verified and one an attacker wrote. The fast hashes (foldhash, with a per-process random
//!   seed, unpredictable to a client) only pick slots and buckets; equality decides.
//! - Only tokens that passed every check are cached; invalid tokens never enter, so garbage
//!   cannot flood the cache or evict good entries faster than valid tokens can.
//! - An entry lives until the token's `exp` (plus the configured leeway) or the cache TTL,
//!   whichever comes first; an expired token is never answered from either table.
//! - Revocation is **not** cached: the revocation store is asked on every request, hit or miss.
//! - Memory is bounded: the back table holds `capacity` entries and a few percent of slack at
//!   most (up to 8 shards, each with room for four standard deviations more than its share, so
//!   that an even spread of `capacity` tokens fits);
//!   when a shard is full its expired entries are dropped (at most once a second), else one
//!   chosen by the CLOCK algorithm: entries used since the hand last passed get a second
//!   chance, so tokens in use stay and tokens seen once, or no longer presented, go first. A
//!   front table holds at most [`FRONT_SLOTS`] tokens a thread; a token enters it only when the
//!   back table answers it twice in a row for its slot, so that a stream of different tokens
//!   does not copy each one.
//! - Key rotation: removing a key from the configuration means building a new backend, which
//!   starts with an empty cache (front entries name the cache they belong to, and a new cache
//!   never reuses an old one's id).

use std::cell::RefCell;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::RwLock;

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use sha2::{Digest, Sha256};

use crate::context::{AuthContext, CachedContext};

/// At most this many shards (fewer for small capacities, so that the bound stays close).
const MAX_SHARDS: usize = 8;

/// Tokens a thread keeps in its front table.
pub(crate) const FRONT_SLOTS: usize = 256;

/// Ids of caches, never reused, so that a front entry of a dropped cache matches no other.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A cached token in its shard's slot array.
struct Slot {
    digest: [u8; 32],
    /// 0 when the slot is free.
    valid_until: u64,
    /// Set when the entry answers a request; cleared as the CLOCK hand passes.
    used: AtomicBool,
    ctx: CachedContext,
}

/// A shard: its entries in one array allocated once (no allocation per entry, so nothing for
/// the allocator to fragment), and a table of indices into it keyed by digest.
struct ShardInner {
    index: HashTable<u32>,
    slots: Vec<Slot>,
    /// Slots freed by pruning, reused first.
    free: Vec<u32>,
    /// The CLOCK hand: the slot where the next eviction scan starts.
    hand: usize,
}

impl ShardInner {
    fn new(per_shard: usize) -> ShardInner {
        ShardInner {
            index: HashTable::with_capacity(per_shard),
            slots: Vec::with_capacity(per_shard),
            free: Vec::new(),
            hand: 0,
        }
    }

    /// The slot number of `digest`'s entry, if any.
    fn position(&self, h: u64, digest: &[u8; 32]) -> Option<u32> {
        let slots = &self.slots;
        let i = self.index.find(h, |&i| {
            slots.get(i as usize).is_some_and(|s| s.digest == *digest)
        })?;
        Some(*i)
    }

    fn find(&self, h: u64, digest: &[u8; 32]) -> Option<&Slot> {
        self.slots.get(self.position(h, digest)? as usize)
    }

    /// Frees one slot: the first in use (not free) and not used since the hand last passed it.
    fn evict(&mut self, hasher: &RandomState) -> Option<u32> {
        let n = self.slots.len();
        // Two sweeps at most: the first clears every `used` flag it passes.
        for _ in 0..2 * n {
            let i = self.hand % n;
            self.hand = i + 1;
            let slot = &mut self.slots[i];
            if slot.valid_until == 0 || std::mem::replace(slot.used.get_mut(), false) {
                continue;
            }
            slot.valid_until = 0;
            let i = u32::try_from(i).ok()?;
            if let Ok(e) = self
                .index
                .find_entry(hasher.hash_one(slot.digest), |&j| j == i)
            {
                e.remove();
            }
            return Some(i);
        }
        None
    }

    /// Drops expired entries.
    fn prune(&mut self, now: u64) {
        let ShardInner {
            index, slots, free, ..
        } = self;
        index.retain(|i| match slots.get_mut(*i as usize) {
            Some(s) if s.valid_until > now => true,
            Some(s) => {
                s.valid_until = 0;
                free.push(*i);
                false
            }
            None => false,
        });
    }
}

type Shard = RwLock<ShardInner>;

/// A token the cache did not answer: the SHA-256 digest of the whole token.
pub(crate) struct Miss([u8; 32]);

/// Entries a shard may hold: its share of `capacity` plus four standard deviations of an even
/// random spread over `shards`, so that `capacity` tokens fit without evictions in all but
/// rare cases, and the whole holds little more than `capacity` (10,000 in 8 shards: 11,064).
fn per_shard(capacity: usize, shards: usize) -> usize {
    let share = capacity as f64 / shards as f64;
    let sd = (share * (1.0 - 1.0 / shards as f64)).sqrt();
    (share + 4.0 * sd).ceil() as usize
}

/// A token a thread answers from its front table.
struct FrontEntry {
    cache: u64,
    hash: u64,
    valid_until: u64,
    token: Box<[u8]>,
    ctx: AuthContext,
}

/// A thread's front table: direct-mapped by the token's fast hash.
struct Front {
    slots: Vec<Option<FrontEntry>>,
    /// Per slot, the hash of the last token the back table answered there: the next answer for
    /// the same hash promotes the token.
    seen: Vec<u64>,
}

thread_local! {
    static FRONT: RefCell<Front> = const {
        RefCell::new(Front {
            slots: Vec::new(),
            seen: Vec::new(),
        })
    };
}

pub(crate) struct TokenCache {
    id: u64,
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
        let shards = (capacity / 1024).clamp(1, MAX_SHARDS);
        let per_shard = per_shard(capacity, shards);
        Some(TokenCache {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            // Sized once: growing by doubling would leave the smaller arrays to the allocator.
            shards: (0..shards)
                .map(|_| RwLock::new(ShardInner::new(per_shard)))
                .collect(),
            per_shard,
            ttl,
            hasher: RandomState::default(),
            last_prune: AtomicU64::new(0),
        })
    }

    /// The digest's bucket hash (seeded, so that a client cannot aim tokens at one bucket)
    /// and its shard (bits 32 and up, which the table does not use for small tables).
    #[inline]
    fn locate(&self, digest: &[u8; 32]) -> (u64, &Shard) {
        let h = self.hasher.hash_one(digest);
        let i = ((h >> 32) as usize) % self.shards.len();
        (h, &self.shards[i])
    }

    /// The context of `token` if it was verified before and has not expired; else its digest,
    /// for [`TokenCache::store`] once the token is verified (so that a miss digests it once).
    #[inline]
    pub(crate) fn lookup(&self, token: &[u8], now: u64) -> Result<AuthContext, Miss> {
        // The slot comes from the length and the last 16 bytes (of the signature, for a JWT):
        // they tell tokens apart as well as the whole would, at a tenth of the cost. Equality of
        // every byte still decides a hit.
        let tail = &token[token.len().saturating_sub(16)..];
        let h = self.hasher.hash_one((token.len(), tail));
        let slot = (h as usize) % FRONT_SLOTS;
        // `try_with`: a thread being torn down has no front table, and must not panic.
        let front = FRONT.try_with(|f| {
            let f = f.try_borrow().ok()?;
            let e = f.slots.get(slot)?.as_ref()?;
            (e.hash == h && e.cache == self.id && e.valid_until > now && *e.token == *token)
                .then(|| e.ctx.clone())
        });
        if let Ok(Some(ctx)) = front {
            return Ok(ctx);
        }
        let digest: [u8; 32] = Sha256::digest(token).into();
        let Some((ctx, valid_until)) = self.back(&digest, now) else {
            return Err(Miss(digest));
        };
        let _ = FRONT.try_with(|f| {
            let Ok(mut f) = f.try_borrow_mut() else {
                return;
            };
            if f.seen.is_empty() {
                f.slots.resize_with(FRONT_SLOTS, || None);
                f.seen.resize(FRONT_SLOTS, 0);
            }
            if f.seen[slot] != h {
                f.seen[slot] = h;
                return;
            }
            f.slots[slot] = Some(FrontEntry {
                cache: self.id,
                hash: h,
                valid_until,
                token: token.into(),
                ctx: ctx.clone(),
            });
        });
        Ok(ctx)
    }

    /// The back table's answer for `digest`: a context and when its entry expires.
    fn back(&self, digest: &[u8; 32], now: u64) -> Option<(AuthContext, u64)> {
        let (bh, shard) = self.locate(digest);
        let shard = shard.read().ok()?;
        let e = shard.find(bh, digest)?;
        if e.valid_until <= now {
            return None;
        }
        // Written only when it changes: a hot entry's cache line stays shared between cores.
        if !e.used.load(Ordering::Relaxed) {
            e.used.store(true, Ordering::Relaxed);
        }
        Some((e.ctx.to_context(), e.valid_until))
    }

    #[cfg(test)]
    fn get(&self, token: &str, now: u64) -> Option<AuthContext> {
        self.lookup(token.as_bytes(), now).ok()
    }

    #[cfg(test)]
    fn insert(&self, token: &str, ctx: &AuthContext, exp_with_leeway: Option<u64>, now: u64) {
        let digest = Sha256::digest(token.as_bytes()).into();
        self.store(Miss(digest), ctx, exp_with_leeway, now);
    }

    /// Keeps the context of a token [`TokenCache::lookup`] missed, now verified.
    pub(crate) fn store(
        &self,
        Miss(digest): Miss,
        ctx: &AuthContext,
        exp_with_leeway: Option<u64>,
        now: u64,
    ) {
        let ttl_end = now.saturating_add(self.ttl);
        let valid_until = exp_with_leeway.map_or(ttl_end, |e| e.min(ttl_end));
        if valid_until <= now {
            return;
        }
        let (h, shard) = self.locate(&digest);
        let Ok(mut shard) = shard.write() else {
            return;
        };
        let shard = &mut *shard;
        let found = shard.position(h, &digest);
        if let Some(slot) = found.and_then(|i| shard.slots.get_mut(i as usize)) {
            // Verified twice at once (two requests raced): keep one entry.
            slot.ctx = CachedContext::new(ctx);
            slot.valid_until = valid_until;
            return;
        }
        if shard.index.len() >= self.per_shard {
            // Scanning for expired entries is O(shard); do it at most once a second.
            if self.last_prune.swap(now, Ordering::Relaxed) != now {
                shard.prune(now);
            }
        }
        let slot = Slot {
            digest,
            valid_until,
            used: AtomicBool::new(false),
            ctx: CachedContext::new(ctx),
        };
        let i = if let Some(i) = shard.free.pop() {
            i
        } else if shard.index.len() >= self.per_shard {
            match shard.evict(&self.hasher) {
                Some(i) => i,
                None => return,
            }
        } else {
            match u32::try_from(shard.slots.len()) {
                Ok(i) => {
                    shard.slots.push(slot);
                    self.index_insert(shard, h, i);
                    return;
                }
                Err(_) => return,
            }
        };
        if let Some(s) = shard.slots.get_mut(i as usize) {
            *s = slot;
            self.index_insert(shard, h, i);
        }
    }

    fn index_insert(&self, shard: &mut ShardInner, h: u64, i: u32) {
        let ShardInner { index, slots, .. } = shard;
        let rehash = |i: &u32| {
            slots
                .get(*i as usize)
                .map_or(0, |s| self.hasher.hash_one(s.digest))
        };
        if index.capacity() <= index.len() {
            // Removals leave tombstones, which hashbrown clears only by growing the table, and
            // growing would double it: rebuild it at its size instead (the memory stays bounded).
            let old = std::mem::replace(index, HashTable::with_capacity(self.per_shard));
            for j in old {
                index.insert_unique(rehash(&j), j, rehash);
            }
        }
        index.insert_unique(h, i, rehash);
    }

    /// Number of entries in the back table (for tests and metrics).
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().map_or(0, |m| m.index.len()))
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
    #[cfg(target_pointer_width = "64")]
    fn an_entry_is_one_fixed_size_slot() {
        // The digest, the expiry, the CLOCK bit and the context with its claims inline (up to
        // 168 bytes): what 10,000 cached tokens cost, with no allocation of their own.
        assert_eq!(std::mem::size_of::<Slot>(), 336);
    }

    #[test]
    fn shards_hold_their_share_and_four_standard_deviations() {
        assert_eq!(per_shard(256, 1), 256);
        assert_eq!(per_shard(10_000, 8), 1383);
        let c = TokenCache::new(10_000, 300).unwrap();
        assert_eq!(c.shards.len() * c.per_shard, 11_064);
    }

    #[test]
    fn front_table_compares_whole_tokens_and_expires() {
        let c = TokenCache::new(100, 300).unwrap();
        c.insert("hot.token.sig", &ctx("1"), Some(1_010), 1_000);
        // The back table answers twice, then the front table holds the token.
        for _ in 0..5 {
            assert_eq!(c.get("hot.token.sig", 1_005).unwrap().user_id(), "1");
        }
        for other in [
            "hot.token.si",
            "hot.token.sig.",
            "hot.token.sih",
            "hot.tokem.sig",
        ] {
            assert!(c.get(other, 1_005).is_none(), "{other}");
        }
        // Expiry holds in the front table too.
        assert!(c.get("hot.token.sig", 1_010).is_none());
        // Another cache (another backend) never answers from this one's front entries.
        let other = TokenCache::new(100, 300).unwrap();
        assert!(other.get("hot.token.sig", 1_005).is_none());
        // Not even when the fast hashes happen to pick the same slot: the cache id decides.
        let fresh = TokenCache::new(100, 300).unwrap();
        fresh.insert("hot.token.sig", &ctx("2"), Some(1_010), 1_000);
        for _ in 0..3 {
            assert_eq!(fresh.get("hot.token.sig", 1_005).unwrap().user_id(), "2");
        }
        assert_eq!(c.get("hot.token.sig", 1_005).unwrap().user_id(), "1");
    }

    #[test]
    fn bounded_and_tokens_in_use_survive_eviction() {
        // 256 tokens: one shard of 256 entries.
        let c = TokenCache::new(256, 300).unwrap();
        let now = 1_000;
        let name = |i: usize| format!("token-{i}");
        for i in 0..256 {
            c.insert(&name(i), &ctx("u"), None, now);
        }
        assert_eq!(c.len(), 256);
        // The first 100 are in use.
        for i in 0..100 {
            assert!(c.get(&name(i), now).is_some());
        }
        // 100 new tokens, each used once right after its verification.
        for i in 256..356 {
            c.insert(&name(i), &ctx("u"), None, now);
            assert!(c.get(&name(i), now).is_some());
        }
        assert_eq!(c.len(), 256, "the bound holds");
        let kept = (0..100).filter(|&i| c.get(&name(i), now).is_some()).count();
        let unused_kept = (100..256)
            .filter(|&i| c.get(&name(i), now).is_some())
            .count();
        assert!(kept >= 90, "tokens in use were evicted: {kept} of 100 kept");
        assert!(
            unused_kept <= 60,
            "unused tokens should go first: {unused_kept} of 156 kept"
        );
        // Churn far past the capacity never grows the table (removals leave tombstones that
        // would otherwise make hashbrown double it).
        let buckets = c.shards[0].read().unwrap().index.num_buckets();
        for i in 1_000..5_000 {
            c.insert(&name(i), &ctx("u"), None, now);
        }
        assert_eq!(c.shards[0].read().unwrap().index.num_buckets(), buckets);
        assert_eq!(c.len(), 256);
        // Expired entries are dropped before live ones when the shard is full.
        c.insert("late", &ctx("u"), None, now + 400);
        assert_eq!(c.len(), 1, "every other entry had expired");
    }
}
