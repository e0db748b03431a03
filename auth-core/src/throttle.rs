//! [`LoginThrottle`]: failed logins counted per client address and per username, so that
//! password guessing is answered `429 Too Many Requests` with `Retry-After` instead of being
//! slowed down (the server never sleeps on a request).
//!
//! Two counters a login attempt: the client address (limits one client trying many usernames)
//! and the username *from that address* (limits guessing one password; counted per address so
//! that one attacker cannot lock a user out everywhere). Each counter opens a window at its first
//! failure; once it holds the limit, every attempt it covers gets 429, the right password
//! included, until the window closes. A successful login clears its username counter.
//!
//! Counts are kept in memory (bounded), or shared by every instance through Redis
//! ([`LoginThrottle::shared`], feature `redis`). When Redis cannot answer, the throttle counts
//! locally and says so in the log: a login never fails because the counter store is down.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::revocation::StoreError;

/// A counter's key: what it counts failures of.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CounterKey {
    /// A client address.
    Address(String),
    /// A username, as tried from one client address.
    Username {
        /// The username, lowercased and trimmed (so that `Alice ` counts as `alice`).
        username: String,
        /// The client address.
        address: String,
    },
}

impl CounterKey {
    /// A stable text form, for shared stores.
    pub fn as_text(&self) -> String {
        match self {
            CounterKey::Address(a) => format!("a:{a}"),
            CounterKey::Username { username, address } => format!("u:{address}:{username}"),
        }
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where failure counts are shared between instances (Redis: see
/// `RedisRevocation::login_counters`).
pub trait SharedCounters: Send + Sync + 'static {
    /// Adds one failure to each key, opening a window of `window` on a key's first failure.
    fn add_failure<'a>(
        &'a self,
        keys: &'a [CounterKey],
        window: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// The count and the time left in the window of each key (`(0, ZERO)` for no window).
    fn counts<'a>(
        &'a self,
        keys: &'a [CounterKey],
    ) -> BoxFuture<'a, Result<Vec<(u32, Duration)>, StoreError>>;
    /// Clears a key.
    fn clear<'a>(&'a self, key: &'a CounterKey) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// The limits of a [`LoginThrottle`].
#[derive(Debug, Clone, Copy)]
struct Limits {
    per_username: u32,
    per_address: u32,
    window: Duration,
}

/// Counts kept by this process, bounded in size.
#[derive(Debug)]
struct LocalCounters {
    windows: Mutex<HashMap<CounterKey, (u32, Instant)>>,
    capacity: usize,
}

impl LocalCounters {
    fn add_failure(&self, keys: &[CounterKey], window: Duration, now: Instant) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() + keys.len() > self.capacity {
            windows.retain(|_, (_, end)| *end > now);
        }
        for key in keys {
            if windows.len() >= self.capacity && !windows.contains_key(key) {
                // Full of live windows: the oldest goes (bounded memory beats a perfect count).
                if let Some(oldest) = windows
                    .iter()
                    .min_by_key(|(_, (_, end))| *end)
                    .map(|(k, _)| k.clone())
                {
                    windows.remove(&oldest);
                }
            }
            let entry = windows.entry(key.clone()).or_insert((0, now + window));
            if entry.1 <= now {
                *entry = (0, now + window);
            }
            entry.0 = entry.0.saturating_add(1);
        }
    }

    fn counts(&self, keys: &[CounterKey], now: Instant) -> Vec<(u32, Duration)> {
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        keys.iter()
            .map(|k| match windows.get(k) {
                Some((n, end)) if *end > now => (*n, *end - now),
                _ => (0, Duration::ZERO),
            })
            .collect()
    }

    fn clear(&self, key: &CounterKey) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        windows.remove(key);
    }
}

/// Failed logins counted per client address and per username (see the module docs).
///
/// Defaults: 5 failures of one username from one address, 20 failures from one address, in a
/// 15-minute window; counts in memory (at most 100,000 windows).
///
/// ```
/// use auth_core::throttle::LoginThrottle;
/// use std::time::Duration;
///
/// let throttle = LoginThrottle::new()
///     .per_username(5)
///     .per_address(20)
///     .window(Duration::from_secs(15 * 60));
/// # let _ = throttle;
/// ```
#[derive(Clone)]
pub struct LoginThrottle {
    limits: Limits,
    local: Arc<LocalCounters>,
    shared: Option<Arc<dyn SharedCounters>>,
}

impl fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginThrottle")
            .field("limits", &self.limits)
            .field("shared", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new()
    }
}

impl LoginThrottle {
    /// The defaults: 5 per username (from one address), 20 per address, 15 minutes.
    pub fn new() -> Self {
        LoginThrottle {
            limits: Limits {
                per_username: 5,
                per_address: 20,
                window: Duration::from_secs(15 * 60),
            },
            local: Arc::new(LocalCounters {
                windows: Mutex::new(HashMap::new()),
                capacity: 100_000,
            }),
            shared: None,
        }
    }

    /// Failures of one username (from one address) before it is blocked (at least 1).
    pub fn per_username(mut self, n: u32) -> Self {
        self.limits.per_username = n.max(1);
        self
    }

    /// Failures from one address before it is blocked (at least 1).
    pub fn per_address(mut self, n: u32) -> Self {
        self.limits.per_address = n.max(1);
        self
    }

    /// How long a counter's window lasts, from its first failure (at least one second).
    pub fn window(mut self, window: Duration) -> Self {
        self.limits.window = window.max(Duration::from_secs(1));
        self
    }

    /// Shares the counts with every instance using the same counters (Redis); local counting
    /// stays as the fallback while they cannot answer.
    pub fn shared<C: SharedCounters>(mut self, counters: C) -> Self {
        self.shared = Some(Arc::new(counters));
        self
    }

    fn keys(username: &str, address: &str) -> [CounterKey; 2] {
        [
            CounterKey::Username {
                username: username.trim().to_lowercase(),
                address: address.to_owned(),
            },
            CounterKey::Address(address.to_owned()),
        ]
    }

    /// `Err(retry_after)` when `username` or `address` is blocked: answer 429 without looking
    /// at the password.
    pub async fn check(&self, username: &str, address: &str) -> Result<(), Duration> {
        let keys = Self::keys(username, address);
        let counts = match &self.shared {
            Some(shared) => match shared.counts(&keys).await {
                Ok(c) => c,
                Err(e) => {
                    fallback("read", &e);
                    self.local.counts(&keys, Instant::now())
                }
            },
            None => self.local.counts(&keys, Instant::now()),
        };
        let limits = [self.limits.per_username, self.limits.per_address];
        let blocked = counts
            .iter()
            .zip(limits)
            .filter(|((n, _), limit)| n >= limit)
            .map(|((_, left), _)| *left)
            .max();
        match blocked {
            Some(left) => Err(left.max(Duration::from_secs(1))),
            None => Ok(()),
        }
    }

    /// Records a failed login.
    pub async fn failed(&self, username: &str, address: &str) {
        let keys = Self::keys(username, address);
        if let Some(shared) = &self.shared {
            match shared.add_failure(&keys, self.limits.window).await {
                Ok(()) => return,
                Err(e) => fallback("count", &e),
            }
        }
        self.local
            .add_failure(&keys, self.limits.window, Instant::now());
    }

    /// Records a successful login: the username's counter (from this address) starts over.
    pub async fn succeeded(&self, username: &str, address: &str) {
        let [user, _] = Self::keys(username, address);
        self.local.clear(&user);
        if let Some(shared) = &self.shared {
            if let Err(e) = shared.clear(&user).await {
                fallback("clear", &e);
            }
        }
    }
}

fn fallback(what: &str, e: &StoreError) {
    tracing::warn!(
        error = %e,
        "the shared login-failure counters could not {what}; counting in this process until they answer"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn local_counts_block_reset_and_stay_bounded() {
        block_on(async {
            let t = LoginThrottle::new().per_username(2).per_address(3);
            t.failed("Alice", "10.0.0.1").await;
            assert!(t.check("alice", "10.0.0.1").await.is_ok());
            t.failed("alice ", "10.0.0.1").await;
            let left = t.check("alice", "10.0.0.1").await.unwrap_err();
            assert!(left > Duration::from_secs(800), "{left:?}");
            assert!(t.check("alice", "10.0.0.2").await.is_ok(), "per address");
            t.succeeded("alice", "10.0.0.1").await;
            assert!(
                t.check("alice", "10.0.0.1").await.is_ok(),
                "reset on success"
            );
            t.failed("bob", "10.0.0.1").await;
            assert!(
                t.check("carol", "10.0.0.1").await.is_err(),
                "3 from one address"
            );

            let small = LoginThrottle {
                local: Arc::new(LocalCounters {
                    windows: Mutex::new(HashMap::new()),
                    capacity: 10,
                }),
                ..LoginThrottle::new()
            };
            for i in 0..100 {
                small
                    .failed(&format!("user{i}"), &format!("10.1.0.{i}"))
                    .await;
            }
            assert!(small.local.windows.lock().unwrap().len() <= 10);
        });
    }
}
