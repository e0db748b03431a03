//! Login-attempt counters shared through Redis, on the revocation store's connection: N
//! instances enforce one limit. Keys `{prefix}:throttle:{a|u}:...` expire with their window.
//! An attempt's slots are checked and taken by one script, so attempts sent at once, to any
//! instance, never get more than the limit between them.

use std::time::Duration;

use crate::login::throttle::{CounterKey, SharedCounters};

use super::{err, RedisRevocation};
use crate::revocation::StoreError;

/// Takes a slot of every KEYS[i] (limit ARGV[i + 1]) or none; a key's first slot opens its
/// window of ARGV[1] ms. Returns 0 when taken, else the longest wait (ms) of a full key.
const TAKE: &str = r"
local wait = 0
for i, k in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', k) or '0')
  if n >= tonumber(ARGV[i + 1]) then
    local t = redis.call('PTTL', k)
    if t < 0 then
      redis.call('PEXPIRE', k, ARGV[1])
      t = tonumber(ARGV[1])
    end
    wait = math.max(wait, t, 1)
  end
end
if wait > 0 then return wait end
for _, k in ipairs(KEYS) do
  if redis.call('INCR', k) == 1 then redis.call('PEXPIRE', k, ARGV[1]) end
end
return 0";

/// Gives one slot of KEYS[1] back.
const GIVE_BACK: &str = r"
if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end
return 0";

/// The login-attempt counters of a [`RedisRevocation`] (see [`RedisRevocation::login_counters`]).
#[derive(Debug, Clone)]
pub struct RedisCounters {
    store: RedisRevocation,
}

impl RedisRevocation {
    /// Login-attempt counters kept in this store's Redis, for
    /// [`LoginThrottle::shared`](crate::login::throttle::LoginThrottle::shared).
    pub fn login_counters(&self) -> RedisCounters {
        RedisCounters {
            store: self.clone(),
        }
    }
}

impl RedisCounters {
    fn key(&self, k: &CounterKey) -> String {
        format!("{}:throttle:{}", self.store.shared.prefix, k.as_text())
    }
}

use crate::util::BoxFuture;

impl SharedCounters for RedisCounters {
    fn take<'a>(
        &'a self,
        keys: &'a [CounterKey],
        limits: &'a [u32],
        window: Duration,
    ) -> BoxFuture<'a, Result<Option<Duration>, StoreError>> {
        let s = &self.store.shared;
        Box::pin(s.bounded(async move {
            let mut c = s.conn().await?;
            let take = redis::Script::new(TAKE);
            let mut script = take.prepare_invoke();
            for k in keys {
                script.key(self.key(k));
            }
            script.arg(window.as_millis().max(1) as u64);
            for limit in limits {
                script.arg(*limit);
            }
            let wait: u64 = script.invoke_async(&mut c).await.map_err(err)?;
            Ok((wait > 0).then(|| Duration::from_millis(wait)))
        }))
    }

    fn give_back<'a>(&'a self, key: &'a CounterKey) -> BoxFuture<'a, Result<(), StoreError>> {
        let s = &self.store.shared;
        Box::pin(s.bounded(async move {
            let mut c = s.conn().await?;
            redis::Script::new(GIVE_BACK)
                .key(self.key(key))
                .invoke_async::<()>(&mut c)
                .await
                .map_err(err)
        }))
    }

    fn clear<'a>(&'a self, key: &'a CounterKey) -> BoxFuture<'a, Result<(), StoreError>> {
        let s = &self.store.shared;
        Box::pin(s.bounded(async move {
            let mut c = s.conn().await?;
            redis::cmd("DEL")
                .arg(self.key(key))
                .query_async::<()>(&mut c)
                .await
                .map_err(err)
        }))
    }
}
