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
//! - Memory is bounded: at most `capacity` entries; when a shard is full its expired entries are
//!   dropped, then an arbitrary one.
//! - Key rotation: removing a key from the configuration means building a new backend, which
//!   starts with an empty cache.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::context::AuthContext;

const SHARDS: usize = 16;

struct Entry {
    ctx: AuthContext,
    valid_until: u64,
}

type Shard = RwLock<HashMap<Box<str>, Entry>>;

pub(crate) struct TokenCache {
    shards: Box<[Shard]>,
    per_shard: usize,
    ttl: u64,
}

impl TokenCache {
    pub(crate) fn new(capacity: usize, ttl: u64) -> Option<TokenCache> {
        if capacity == 0 || ttl == 0 {
            return None;
        }
        let per_shard = capacity.div_ceil(SHARDS);
        Some(TokenCache {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            per_shard,
            ttl,
        })
    }

    /// Picks a shard from the token's last bytes (signature bytes: uniformly random for
    /// valid tokens, the only ones ever inserted).
    fn shard(&self, token: &str) -> &Shard {
        let b = token.as_bytes();
        let tail = &b[b.len().saturating_sub(8)..];
        let mix = tail
            .iter()
            .fold(0usize, |h, &x| h.wrapping_mul(31).wrapping_add(x as usize));
        &self.shards[mix % SHARDS]
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
            shard.retain(|_, e| e.valid_until > now);
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
