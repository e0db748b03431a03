//! [`RemoteKeys`]: a provider's current key set, swapped atomically by a refresher that runs on
//! its own thread, so that the request path only loads a pointer (no lock, no fetch).
//!
//! - The refresher fetches at start, then every refresh interval (or the `max-age` the JWKS was
//!   served with, within bounds); a failed fetch keeps the keys it had (stale keys serve while
//!   the provider is down) and is retried sooner while no key was ever loaded.
//! - A token with an unknown `kid` (or any token while no key is loaded) may ask for one fetch
//!   at once, at most once per cooldown: every request of a burst waits on the same fetch, or is
//!   refused without waiting once the cooldown's fetch is done. A `kid` still unknown after a
//!   fetch is remembered for the cooldown and refused at once.
//! - One deadline covers a whole fetch (discovery and JWKS).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use tokio::sync::{mpsc, watch};

use super::fetch::{fetch, Location};
use super::jwk::parse_jwks;
use crate::backends::jwt::cache::TokenCache;
use crate::backends::jwt::keys::JwtKey;

/// How a key set is kept fresh.
#[derive(Debug, Clone)]
pub(crate) struct Timing {
    pub refresh: Duration,
    pub cooldown: Duration,
    pub deadline: Duration,
    pub max_bytes: usize,
}

/// The bounds within which a JWKS's `max-age` sets the next refresh.
const MIN_MAX_AGE: Duration = Duration::from_secs(60);
const MAX_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// The most unknown `kid`s remembered at once.
const MAX_UNKNOWN_KIDS: usize = 1024;

struct Shared {
    /// The issuer or URL, for log lines.
    label: String,
    keys: ArcSwapOption<Vec<JwtKey>>,
    /// Counts finished fetches (successful or not): waiters wake on a change.
    done: watch::Sender<u64>,
    in_flight: AtomicBool,
    /// When a request last asked for a fetch (ms since the epoch), for the cooldown.
    asked_ms: AtomicU64,
    /// `kid`s a fetch did not find, until when (ms).
    unknown: Mutex<HashMap<Box<str>, u64>>,
    timing: Timing,
}

/// A provider's key set and the handle of its refresher (which stops when this is dropped).
pub(crate) struct RemoteKeys {
    shared: Arc<Shared>,
    wake: mpsc::UnboundedSender<()>,
}

impl std::fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteKeys")
            .field("source", &self.shared.label)
            .field("loaded", &self.shared.keys.load().is_some())
            .finish()
    }
}

/// What waiting for a fetch brought.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refetch {
    /// A fetch finished: look again.
    Done,
    /// No fetch now (cooldown, or this `kid` was not found a moment ago).
    Refused,
}

impl RemoteKeys {
    /// Starts the refresher thread, which fetches at once.
    pub(crate) fn start(
        label: String,
        client: reqwest::Client,
        location: Location,
        timing: Timing,
        cache: Option<Arc<TokenCache>>,
    ) -> std::io::Result<RemoteKeys> {
        let (done, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            label,
            keys: ArcSwapOption::empty(),
            done,
            in_flight: AtomicBool::new(true),
            asked_ms: AtomicU64::new(0),
            unknown: Mutex::new(HashMap::new()),
            timing,
        });
        let (wake, rx) = mpsc::unbounded_channel();
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("auth-jwks".into())
            .spawn(move || refresher(weak, rx, client, location, cache))?;
        Ok(RemoteKeys { shared, wake })
    }

    /// The keys loaded, if any (a pointer load: no lock).
    pub(crate) fn current(&self) -> Option<Arc<Vec<JwtKey>>> {
        self.shared.keys.load_full()
    }

    /// Asks for a fetch because `kid` is unknown (or no key is loaded), and waits for it: at most
    /// one fetch per cooldown, shared by every request that asks meanwhile.
    pub(crate) async fn refetch(&self, kid: Option<&str>) -> Refetch {
        let s = &self.shared;
        let now = crate::util::time::now_ms();
        if let Some(kid) = kid {
            let unknown = s.unknown.lock().map(|m| m.get(kid).copied());
            if unknown.ok().flatten().is_some_and(|until| until > now) {
                return Refetch::Refused;
            }
        }
        // Subscribed before looking at `in_flight`, so that a fetch ending in between is seen.
        let mut rx = s.done.subscribe();
        if !s.in_flight.load(Ordering::Acquire) {
            let asked = s.asked_ms.load(Ordering::Acquire);
            let cooldown = s.timing.cooldown.as_millis() as u64;
            if now.saturating_sub(asked) < cooldown
                || s.asked_ms
                    .compare_exchange(asked, now, Ordering::AcqRel, Ordering::Acquire)
                    .is_err()
            {
                // Within the cooldown, or another request asked just now: its fetch may have
                // started already; wait for it only if it has.
                if !s.in_flight.load(Ordering::Acquire) {
                    return Refetch::Refused;
                }
            } else {
                s.in_flight.store(true, Ordering::Release);
                if self.wake.send(()).is_err() {
                    s.in_flight.store(false, Ordering::Release);
                    return Refetch::Refused;
                }
            }
        }
        let wait = s.timing.deadline + Duration::from_millis(250);
        match tokio::time::timeout(wait, rx.changed()).await {
            Ok(Ok(())) => Refetch::Done,
            _ => Refetch::Refused,
        }
    }

    /// Remembers that a fetch did not find `kid`, for one cooldown.
    pub(crate) fn remember_unknown(&self, kid: &str) {
        let until = crate::util::time::now_ms() + self.shared.timing.cooldown.as_millis() as u64;
        if let Ok(mut m) = self.shared.unknown.lock() {
            if m.len() >= MAX_UNKNOWN_KIDS {
                let now = crate::util::time::now_ms();
                m.retain(|_, u| *u > now);
                if m.len() >= MAX_UNKNOWN_KIDS {
                    m.clear();
                }
            }
            m.insert(kid.into(), until);
        }
    }
}

/// The refresher's loop, on its own thread and runtime (so that a fetch never runs on, nor
/// depends on, a request's worker).
fn refresher(
    weak: Weak<Shared>,
    mut wake: mpsc::UnboundedReceiver<()>,
    client: reqwest::Client,
    location: Location,
    cache: Option<Arc<TokenCache>>,
) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        tracing::error!("could not start the JWKS refresher's runtime: keys will not load");
        return;
    };
    rt.block_on(async move {
        let mut last_body: Option<Vec<u8>> = None;
        let mut next = Duration::ZERO;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(next) => {}
                asked = wake.recv() => if asked.is_none() { return },
            }
            let Some(s) = weak.upgrade() else { return };
            s.in_flight.store(true, Ordering::Release);
            let t = &s.timing;
            let fetched = tokio::time::timeout(t.deadline, fetch(&client, &location, t.max_bytes))
                .await
                .unwrap_or_else(|_| Err(format!("no answer within {} ms", t.deadline.as_millis())));
            next = match fetched {
                Ok(f) if last_body.as_deref() == Some(&f.body[..]) => refresh_after(t, f.max_age),
                Ok(f) => match parse_jwks(&f.body) {
                    Ok((keys, skipped)) => {
                        tracing::info!(
                            source = %s.label,
                            keys = keys.len(),
                            skipped,
                            "identity provider keys loaded"
                        );
                        let replaced = s.keys.swap(Some(Arc::new(keys))).is_some();
                        // A key that left the set must stop verifying now, cached tokens too.
                        if replaced {
                            if let Some(c) = &cache {
                                c.clear();
                            }
                        }
                        if let Ok(mut m) = s.unknown.lock() {
                            m.clear();
                        }
                        let after = refresh_after(t, f.max_age);
                        last_body = Some(f.body);
                        after
                    }
                    Err(why) => failed(&s, &why),
                },
                Err(why) => failed(&s, &why),
            };
            s.in_flight.store(false, Ordering::Release);
            s.done.send_modify(|n| *n += 1);
        }
    });
}

fn failed(s: &Shared, why: &str) -> Duration {
    let loaded = s.keys.load().is_some();
    tracing::warn!(
        source = %s.label,
        reason = why,
        keeping_old_keys = loaded,
        "identity provider keys could not be fetched"
    );
    // Never loaded: try again after a cooldown, not a whole interval.
    if loaded {
        s.timing.refresh
    } else {
        s.timing.cooldown.min(s.timing.refresh)
    }
}

/// When to fetch again: the JWKS's `max-age` within bounds, but never later than the refresh
/// interval (the interval configured is the longest a removed key may keep verifying).
fn refresh_after(t: &Timing, max_age: Option<Duration>) -> Duration {
    match max_age {
        Some(age) => age.clamp(MIN_MAX_AGE, MAX_MAX_AGE).min(t.refresh),
        None => t.refresh,
    }
}
