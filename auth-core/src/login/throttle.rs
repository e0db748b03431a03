//! [`LoginThrottle`]: failed logins counted per client address and per username, so that
//! password guessing is answered `429 Too Many Requests` with `Retry-After` instead of being
//! slowed down (the server never sleeps on a request).
//!
//! Two counters a login attempt: the client address (limits one client trying many usernames)
//! and the username *from that address* (limits guessing one password; counted per address so
//! that one attacker cannot lock a user out everywhere). Each counter opens a window at its first
//! attempt; once it holds the limit, every attempt it covers gets 429, the right password
//! included, until the window closes.
//!
//! **Counted before checked.** An attempt takes its slot in both counters, atomically, before
//! the password is looked at ([`LoginThrottle::begin`]), so attempts still in flight count: a
//! burst of any size sent at once gets at most the limit verified, the rest 429. A failure keeps
//! its slots; a success clears its username counter and gives its address slot back; an
//! attempt the verifier could not decide (the user store was down) gives both back.
//!
//! Counts are kept in memory (bounded), or shared by every instance through Redis
//! ([`LoginThrottle::shared`], feature `redis`). When Redis cannot answer, the throttle counts
//! locally and says so in the log: a login never fails because the counter store is down.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::StoreError;

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

use crate::util::BoxFuture;

/// Where attempt counts are shared between instances (Redis: see
/// `RedisRevocation::login_counters`).
pub trait SharedCounters: Send + Sync + 'static {
    /// Takes one slot of every key at once, or none: `Ok(None)` when every key held less than
    /// its limit (`limits[i]` for `keys[i]`), the slots now taken, a key's first slot opening
    /// a window of `window`; `Ok(Some(wait))` when a key is at its limit, nothing taken, `wait`
    /// the longest time left in a full key's window. Atomic: two attempts at once never both
    /// take a key's last slot.
    fn take<'a>(
        &'a self,
        keys: &'a [CounterKey],
        limits: &'a [u32],
        window: Duration,
    ) -> BoxFuture<'a, Result<Option<Duration>, StoreError>>;
    /// Gives one slot of `key` back.
    fn give_back<'a>(&'a self, key: &'a CounterKey) -> BoxFuture<'a, Result<(), StoreError>>;
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
    /// [`SharedCounters::take`], in this process.
    fn take(
        &self,
        keys: &[CounterKey],
        limits: &[u32],
        window: Duration,
        now: Instant,
    ) -> Option<Duration> {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let wait = keys
            .iter()
            .zip(limits)
            .filter_map(|(k, limit)| match windows.get(k) {
                Some((n, end)) if *end > now && n >= limit => Some(*end - now),
                _ => None,
            })
            .max();
        if wait.is_some() {
            return wait;
        }
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
        None
    }

    fn give_back(&self, key: &CounterKey) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = windows.get_mut(key) {
            entry.0 = entry.0.saturating_sub(1);
            if entry.0 == 0 {
                windows.remove(key);
            }
        }
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

    /// Starts a login attempt: takes its slot in the username's and the address's counters
    /// before the password is checked. `Err(retry_after)` when either is at its limit: answer
    /// 429 without looking at the password. Finish the attempt with what the check said
    /// ([`Attempt::succeeded`], [`Attempt::failed`], [`Attempt::undecided`]); an attempt
    /// dropped unfinished (the client went away) keeps its slots, as a failure does.
    pub async fn begin(&self, username: &str, address: &str) -> Result<Attempt<'_>, Duration> {
        let keys = Self::keys(username, address);
        let limits = [self.limits.per_username, self.limits.per_address];
        let window = self.limits.window;
        let (wait, shared) = match &self.shared {
            Some(shared) => match shared.take(&keys, &limits, window).await {
                Ok(wait) => (wait, true),
                Err(e) => {
                    fallback("count", &e);
                    (
                        self.local.take(&keys, &limits, window, Instant::now()),
                        false,
                    )
                }
            },
            None => (
                self.local.take(&keys, &limits, window, Instant::now()),
                false,
            ),
        };
        match wait {
            Some(wait) => Err(wait.max(Duration::from_secs(1))),
            None => Ok(Attempt {
                throttle: self,
                keys,
                shared,
            }),
        }
    }

    async fn give_back(&self, key: &CounterKey, shared: bool) {
        match &self.shared {
            Some(counters) if shared => {
                if let Err(e) = counters.give_back(key).await {
                    fallback("give a slot back", &e);
                }
            }
            _ => self.local.give_back(key),
        }
    }
}

/// A login attempt that holds its slots (see [`LoginThrottle::begin`]).
#[derive(Debug)]
#[must_use = "an attempt is finished with what the password check said"]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    /// The username's counter, then the address's.
    keys: [CounterKey; 2],
    /// Whether the slots were taken in the shared counters (else in this process's).
    shared: bool,
}

impl Attempt<'_> {
    /// The password was right: the username's counter (from this address) starts over, and the
    /// address's slot is given back (a login is not an attack on the address).
    pub async fn succeeded(self) {
        let [user, address] = &self.keys;
        self.throttle.local.clear(user);
        if let Some(shared) = &self.throttle.shared {
            if let Err(e) = shared.clear(user).await {
                fallback("clear", &e);
            }
        }
        self.throttle.give_back(address, self.shared).await;
    }

    /// The password was wrong: the attempt keeps its slots.
    pub fn failed(self) {}

    /// The check could not be made (the user store did not answer, 503): the slots are given
    /// back.
    pub async fn undecided(self) {
        for key in &self.keys {
            self.throttle.give_back(key, self.shared).await;
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

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// One failed attempt.
    async fn fail(t: &LoginThrottle, user: &str, ip: &str) {
        t.begin(user, ip).await.unwrap().failed();
    }

    #[test]
    fn local_counts_block_reset_and_stay_bounded() {
        block_on(async {
            let t = LoginThrottle::new().per_username(2).per_address(4);
            fail(&t, "Alice", "10.0.0.1").await;
            // A success clears the username and gives the address slot back.
            t.begin("alice", "10.0.0.1")
                .await
                .unwrap()
                .succeeded()
                .await;
            fail(&t, "alice ", "10.0.0.1").await;
            fail(&t, "ALICE", "10.0.0.1").await;
            let left = t.begin("alice", "10.0.0.1").await.unwrap_err();
            assert!(left > Duration::from_secs(800), "{left:?}");
            t.begin("alice", "10.0.0.2")
                .await
                .expect("counted per address")
                .undecided()
                .await;
            fail(&t, "carol", "10.0.0.1").await;
            assert!(
                t.begin("dave", "10.0.0.1").await.is_err(),
                "4 failures from one address (the success gave its slot back)"
            );

            let small = LoginThrottle {
                local: Arc::new(LocalCounters {
                    windows: Mutex::new(HashMap::new()),
                    capacity: 10,
                }),
                ..LoginThrottle::new()
            };
            for i in 0..100 {
                fail(&small, &format!("user{i}"), &format!("10.1.0.{i}")).await;
            }
            assert!(small.local.windows.lock().unwrap().len() <= 10);
        });
    }

    /// Attempts in flight hold their slots: with a limit of 3, three attempts begun and not
    /// finished leave none for a fourth; one undecided gives its slot back.
    #[test]
    fn attempts_in_flight_count() {
        block_on(async {
            let t = LoginThrottle::new().per_username(3);
            let a = t.begin("bob", "10.0.0.9").await.unwrap();
            let b = t.begin("bob", "10.0.0.9").await.unwrap();
            let c = t.begin("bob", "10.0.0.9").await.unwrap();
            assert!(t.begin("bob", "10.0.0.9").await.is_err());
            c.undecided().await;
            let d = t.begin("bob", "10.0.0.9").await.unwrap();
            a.failed();
            b.failed();
            d.failed();
            assert!(t.begin("bob", "10.0.0.9").await.is_err());
        });
    }
}
