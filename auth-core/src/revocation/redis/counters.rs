//! Login-failure counters shared through Redis, on the revocation store's connection: N
//! instances enforce one limit. Keys `{prefix}:throttle:{a|u}:...` expire with their window.

use std::time::Duration;

use crate::throttle::{CounterKey, SharedCounters};

use super::{err, RedisRevocation};
use crate::revocation::StoreError;

/// Adds one failure to KEYS[i]; a key's first failure opens its window of ARGV[1] ms.
const ADD_FAILURE: &str = r"
for _, k in ipairs(KEYS) do
  if redis.call('INCR', k) == 1 then redis.call('PEXPIRE', k, ARGV[1]) end
end
return 1";

/// The login-failure counters of a [`RedisRevocation`] (see [`RedisRevocation::login_counters`]).
#[derive(Debug, Clone)]
pub struct RedisCounters {
    store: RedisRevocation,
}

impl RedisRevocation {
    /// Login-failure counters kept in this store's Redis, for
    /// [`LoginThrottle::shared`](crate::throttle::LoginThrottle::shared).
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

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

impl SharedCounters for RedisCounters {
    fn add_failure<'a>(
        &'a self,
        keys: &'a [CounterKey],
        window: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let s = &self.store.shared;
        Box::pin(s.bounded(async move {
            let mut c = s.conn().await?;
            let add = redis::Script::new(ADD_FAILURE);
            let mut script = add.prepare_invoke();
            for k in keys {
                script.key(self.key(k));
            }
            script
                .arg(window.as_millis().max(1) as u64)
                .invoke_async::<()>(&mut c)
                .await
                .map_err(err)
        }))
    }

    fn counts<'a>(
        &'a self,
        keys: &'a [CounterKey],
    ) -> BoxFuture<'a, Result<Vec<(u32, Duration)>, StoreError>> {
        let s = &self.store.shared;
        Box::pin(s.bounded(async move {
            let mut c = s.conn().await?;
            let mut pipe = redis::pipe();
            for k in keys {
                let key = self.key(k);
                pipe.get(&key).pttl(&key);
            }
            let answers: Vec<(Option<u32>, i64)> = {
                let flat: Vec<redis::Value> = pipe.query_async(&mut c).await.map_err(err)?;
                flat.chunks(2)
                    .map(|pair| {
                        let n = redis::from_redis_value::<Option<u32>>(&pair[0]).unwrap_or(None);
                        let ttl = pair
                            .get(1)
                            .and_then(|v| redis::from_redis_value::<i64>(v).ok())
                            .unwrap_or(-2);
                        (n, ttl)
                    })
                    .collect()
            };
            Ok(answers
                .into_iter()
                .map(|(n, ttl)| match (n, u64::try_from(ttl)) {
                    (Some(n), Ok(ms)) => (n, Duration::from_millis(ms)),
                    _ => (0, Duration::ZERO),
                })
                .collect())
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
