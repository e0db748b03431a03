//! [`RedisRevocation`]: revocations shared by every instance through Redis.
//!
//! Every revocation is a Redis key that expires with the token it concerns
//! (`{prefix}:t:{jti}`, `{prefix}:f:{family}`, `{prefix}:u:{user}` holding the "not before"
//! stamp), and so is each refresh family's record (`{prefix}:g:{family}`, its current refresh
//! token, replaced by every refresh: see `rotation.rs`), so nothing grows without bound; each
//! write is announced on the channel `{prefix}:events`.
//!
//! **No round trip per request.** Each instance keeps the small set of revoked, unexpired ids in
//! memory: filled from Redis when it (re)subscribes, then kept current by the channel. A check is
//! a local lookup; a revocation made on one instance is seen by the others as soon as the message
//! arrives (milliseconds on a LAN).
//!
//! **While the connection is down** the local set may miss revocations made elsewhere, so it is
//! not trusted: every check goes to Redis directly, bounded by the configured timeout. A
//! subscription whose link went silent without closing is noticed by a `PING` on it every
//! second: the local set stops being trusted within one second plus the timeout (1.5 s by
//! default). If Redis
//! cannot answer, the check fails and the request is refused with 503 (fail closed), unless the
//! store was built with [`RedisRevocationBuilder::dangerous_fail_open`]. A background task reconnects
//! (backing off up to one second), re-reads the set and trusts it again.
//!
//! **A Redis that lost its data** (restarted empty, failed over to an empty replica, flushed)
//! is noticed by its epoch marker and given back what this instance still holds before it is
//! trusted again; until then checks that must ask Redis answer 503 (see `epoch.rs`).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Client};
use tokio::sync::OnceCell;

use super::{
    ttl, InMemoryRevocation, RevocationStore, Rotate, Rotation, StoreError, StoreFuture, TokenRef,
    DEFAULT_TIMEOUT,
};

mod counters;
mod epoch;
mod follow;
mod rotation;

pub use counters::RedisCounters;

const NAME: &str = "redis";

fn err(e: impl fmt::Display) -> StoreError {
    StoreError::new(NAME, e.to_string())
}

/// Keeps the larger "not before" stamp and the later expiry.
const MAX_STAMP: &str = r"
local v = redis.call('GET', KEYS[1])
if (not v) or tonumber(v) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
  local t = redis.call('TTL', KEYS[1])
  if t < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
end
return 1";

struct Shared {
    client: Client,
    conn: OnceCell<ConnectionManager>,
    prefix: String,
    channel: String,
    timeout: Duration,
    fail_open: bool,
    mirror: InMemoryRevocation,
    /// Whether `mirror` is complete and current (subscribed and resynchronised).
    synced: AtomicBool,
    /// The epoch of Redis's data the mirror was synchronised with (see `epoch.rs`).
    epoch: std::sync::Mutex<Option<Arc<str>>>,
}

/// The Redis revocation store (feature `redis`).
///
/// ```no_run
/// # async fn f() -> Result<(), auth_core::extend::StoreError> {
/// use auth_core::revocation::redis::RedisRevocation;
/// let store = RedisRevocation::new("redis://127.0.0.1:6379")?.prefix("myapp:auth").start();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRevocation {
    shared: Arc<Shared>,
}

impl fmt::Debug for RedisRevocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocation")
            .field("prefix", &self.shared.prefix)
            .field("timeout", &self.shared.timeout)
            .field("fail_open", &self.shared.fail_open)
            .field("synced", &self.shared.synced.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Builds a [`RedisRevocation`].
#[derive(Debug)]
pub struct RedisRevocationBuilder {
    client: Client,
    prefix: String,
    timeout: Duration,
    fail_open: bool,
    mirror_capacity: usize,
}

impl RedisRevocation {
    /// A store for the Redis at `url` (`redis://host:port/db`). Nothing is connected yet: the
    /// connection is made on first use and re-made whenever it is lost.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(url: &str) -> Result<RedisRevocationBuilder, StoreError> {
        Ok(RedisRevocationBuilder {
            client: Client::open(url).map_err(err)?,
            prefix: "auth".into(),
            timeout: DEFAULT_TIMEOUT,
            fail_open: false,
            mirror_capacity: InMemoryRevocation::DEFAULT_CAPACITY,
        })
    }

    /// Whether the local set is trusted now (subscribed and resynchronised).
    pub fn is_synced(&self) -> bool {
        self.shared.synced.load(Ordering::Acquire)
    }

    /// Waits until the local set is trusted, or `limit` passes; returns whether it is.
    pub async fn wait_synced(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.is_synced() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }
}

impl RedisRevocationBuilder {
    /// Key and channel prefix (default `auth`): instances sharing a prefix share revocations.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a direct query may take before the request fails closed (default 500 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Bound on the local set (default 1,000,000 entries): the unexpired revocations and the
    /// record of every live refresh family (what the store writes back into a Redis that lost
    /// its data). Past it, checks go to Redis directly.
    pub fn mirror_capacity(mut self, capacity: usize) -> Self {
        self.mirror_capacity = capacity;
        self
    }

    /// When Redis cannot answer, let tokens through instead of answering 503. Revoked tokens are
    /// then accepted while Redis is down: use only where availability beats revocation.
    pub fn dangerous_fail_open(mut self) -> Self {
        tracing::warn!("RedisRevocation is configured to FAIL OPEN: revoked tokens are accepted while Redis is unreachable");
        self.fail_open = true;
        self
    }

    /// Builds the store and starts the background task that follows the channel. Must be
    /// called inside a Tokio runtime (e.g. in `#[actix_web::main]`).
    pub fn start(self) -> RedisRevocation {
        let channel = format!("{}:events", self.prefix);
        let shared = Arc::new(Shared {
            client: self.client,
            conn: OnceCell::new(),
            prefix: self.prefix,
            channel,
            timeout: self.timeout,
            fail_open: self.fail_open,
            mirror: InMemoryRevocation::with_capacity(self.mirror_capacity),
            synced: AtomicBool::new(false),
            epoch: std::sync::Mutex::new(None),
        });
        tokio::spawn(follow::follow(Arc::downgrade(&shared)));
        RedisRevocation { shared }
    }
}

impl Shared {
    async fn conn(&self) -> Result<ConnectionManager, StoreError> {
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_number_of_retries(1);
        let conn = tokio::time::timeout(
            self.timeout,
            self.conn
                .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), cfg)),
        )
        .await
        .map_err(|_| err("connection timed out"))?
        .map_err(err)?;
        Ok(conn.clone())
    }

    fn key(&self, kind: char, id: &str) -> String {
        format!("{}:{kind}:{id}", self.prefix)
    }

    async fn bounded<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        super::bounded(NAME, self.timeout, f).await
    }

    /// Sets `key` with a TTL and announces `event`, atomically.
    async fn write(&self, key: String, expires_at: u64, event: String) -> Result<(), StoreError> {
        self.bounded(async {
            let mut c = self.conn().await?;
            redis::pipe()
                .atomic()
                .set_ex(&key, 0, ttl(expires_at))
                .ignore()
                .publish(&self.channel, event)
                .ignore()
                .query_async::<()>(&mut c)
                .await
                .map_err(err)
        })
        .await
    }

    async fn check_remote(&self, t: TokenRef<'_>) -> Result<bool, StoreError> {
        self.bounded(async {
            let mut c = self.conn().await?;
            // The epoch marker first: an empty Redis is not "nothing revoked".
            let mut keys = Vec::with_capacity(4);
            keys.push(self.epoch_key());
            if let Some(j) = t.jti {
                keys.push(self.key('t', j));
            }
            if let Some(f) = t.family {
                keys.push(self.key('f', f));
            }
            keys.push(self.key('u', t.user_id));
            let values: Vec<Option<String>> = redis::cmd("MGET")
                .arg(&keys)
                .query_async(&mut c)
                .await
                .map_err(err)?;
            let Some((epoch, values)) = values.split_first() else {
                return Err(err("MGET answered nothing"));
            };
            if !self.same_epoch(epoch.as_deref()) {
                return Err(self.lost_data());
            }
            let (user, rest) = values
                .split_last()
                .map_or((None, &[][..]), |(u, r)| (u.as_deref(), r));
            let user = user.and_then(|v| v.parse::<u64>().ok());
            if rest.iter().any(Option::is_some) {
                return Ok(true);
            }
            Ok(user.is_some_and(|nbf| t.issued_at_ms.is_none_or(|iat| iat < nbf)))
        })
        .await
    }
}

impl RevocationStore for RedisRevocation {
    fn name(&self) -> &'static str {
        NAME
    }

    fn is_revoked<'a>(&'a self, token: TokenRef<'a>) -> StoreFuture<'a, bool> {
        let s = &self.shared;
        if s.synced.load(Ordering::Acquire) {
            return StoreFuture::ready(s.mirror.check(token));
        }
        StoreFuture::boxed(async move {
            match s.check_remote(token).await {
                Err(e) if s.fail_open => {
                    tracing::warn!(error = %e, "redis unreachable: FAILING OPEN as configured");
                    Ok(false)
                }
                r => r,
            }
        })
    }

    fn revoke_token<'a>(
        &'a self,
        jti: &'a str,
        _user_id: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, ()> {
        let s = &self.shared;
        StoreFuture::boxed(async move {
            s.write(s.key('t', jti), expires_at, format!("t {expires_at} {jti}"))
                .await?;
            s.mirror.insert_token(jti, None, expires_at)
        })
    }

    fn rotate<'a>(&'a self, r: Rotate<'a>) -> StoreFuture<'a, Rotation> {
        StoreFuture::boxed(self.rotate_remote(r))
    }

    fn settle<'a>(&'a self, family: &'a str, current: &'a str) -> StoreFuture<'a, ()> {
        StoreFuture::boxed(self.settle_remote(family, current))
    }

    fn revoke_family<'a>(
        &'a self,
        family: &'a str,
        _user_id: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, ()> {
        let s = &self.shared;
        StoreFuture::boxed(async move {
            s.write(
                s.key('f', family),
                expires_at,
                format!("f {expires_at} {family}"),
            )
            .await?;
            s.mirror.insert_family(family, None, expires_at)
        })
    }

    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        before: u64,
        expires_at: u64,
    ) -> StoreFuture<'a, ()> {
        let s = &self.shared;
        StoreFuture::boxed(async move {
            s.bounded(async {
                let mut c = s.conn().await?;
                redis::Script::new(MAX_STAMP)
                    .key(s.key('u', user_id))
                    .arg(before)
                    .arg(ttl(expires_at))
                    .invoke_async::<()>(&mut c)
                    .await
                    .map_err(err)?;
                let _: () = c
                    .publish(&s.channel, format!("u {expires_at} {before} {user_id}"))
                    .await
                    .map_err(err)?;
                Ok(())
            })
            .await?;
            s.mirror.insert_user(user_id, before, expires_at)
        })
    }
}
