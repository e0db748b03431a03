//! The Redis store's local mirror and the background task that keeps it current: subscribe to
//! the channel, re-read every revocation, apply the events, and check that the subscription is
//! alive; on any failure the mirror stops being trusted until it is current again.

use std::sync::atomic::Ordering;
use std::sync::Weak;
use std::time::Duration;

use futures_util::StreamExt as _;
use redis::AsyncCommands;

use super::rotation::current_of;
use super::{err, Shared};
use crate::revocation::StoreError;

impl Shared {
    fn apply(&self, event: &str) {
        let mut parts = event.splitn(3, ' ');
        let (Some(kind), Some(exp), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
            return;
        };
        let Ok(exp) = exp.parse::<u64>() else { return };
        let r = match kind {
            "t" => self.mirror.insert_token(rest, None, exp),
            "f" => self.mirror.insert_family(rest, None, exp),
            "g" => match rest.split_once(' ') {
                Some((family, current)) => self.mirror.insert_current(family, current, exp),
                None => return,
            },
            "u" => match rest.split_once(' ') {
                Some((nbf, user)) => match nbf.parse::<u64>() {
                    Ok(nbf) => self.mirror.insert_user(user, nbf, exp),
                    Err(_) => return,
                },
                None => return,
            },
            _ => return,
        };
        if let Err(e) = r {
            // The local set is full: stop trusting it rather than miss a revocation.
            tracing::error!(error = %e, "redis revocation mirror is full; checks go to Redis directly");
            self.synced.store(false, Ordering::Release);
        }
    }

    /// Re-reads every revocation from Redis into the local set, after giving Redis back what
    /// the set holds if Redis lost its data.
    async fn resync(&self) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        let epoch = self.reconcile(&mut c).await?;
        self.mirror.clear();
        let pattern = format!("{}:*", self.prefix);
        let keys: Vec<String> = {
            let mut iter = c.scan_match::<_, String>(&pattern).await.map_err(err)?;
            let mut keys = Vec::new();
            while let Some(k) = iter.next().await {
                keys.push(k);
            }
            keys
        };
        let now = crate::util::time::now();
        for chunk in keys.chunks(500) {
            let mut pipe = redis::pipe();
            for k in chunk {
                pipe.get(k).ttl(k);
            }
            let answers: Vec<(Option<String>, i64)> =
                pipe.query_async(&mut c).await.map_err(err)?;
            for (k, (value, ttl)) in chunk.iter().zip(answers) {
                let Some(rest) = k
                    .strip_prefix(&self.prefix)
                    .and_then(|r| r.strip_prefix(':'))
                else {
                    continue;
                };
                let exp = now + ttl.max(1) as u64;
                let r = match rest.split_once(':') {
                    Some(("t", id)) => self.mirror.insert_token(id, None, exp),
                    Some(("f", id)) => self.mirror.insert_family(id, None, exp),
                    Some(("g", id)) => match value.as_deref().and_then(current_of) {
                        Some(current) => self.mirror.insert_current(id, current, exp),
                        None => Ok(()),
                    },
                    Some(("u", id)) => match value.and_then(|v| v.parse::<u64>().ok()) {
                        Some(nbf) => self.mirror.insert_user(id, nbf, exp),
                        None => Ok(()),
                    },
                    _ => Ok(()),
                };
                r?;
            }
        }
        self.adopt(&epoch);
        Ok(())
    }

    /// Whether Redis still holds the data of this instance's epoch (a flush or an eviction
    /// that left the connection up is noticed here).
    async fn epoch_holds(&self) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        let epoch: Option<String> = c.get(self.epoch_key()).await.map_err(err)?;
        if self.same_epoch(epoch.as_deref()) {
            Ok(())
        } else {
            Err(self.lost_data())
        }
    }
}

/// How often the background task checks that its subscription is alive (a `PING` on the
/// subscription's own connection, answered within the store's timeout).
const LIVENESS_PERIOD: Duration = Duration::from_secs(1);

/// The longest a resynchronisation (reading every revocation) may take before it is retried.
const RESYNC_LIMIT: Duration = Duration::from_secs(30);

/// The background task: subscribe, resynchronise, follow the channel; on any failure stop
/// trusting the local set, back off and start again. Ends when the store is dropped.
///
/// A subscription can die without its socket closing (a half-open link: a NAT timeout, a
/// failover, a cable): the task then hears nothing, which looks like a quiet channel. So every
/// [`LIVENESS_PERIOD`] it sends `PING` on the subscription's connection; no answer within the
/// store's timeout counts as a lost channel, and the local set stops being trusted at once.
pub(super) async fn follow(weak: Weak<Shared>) {
    let mut backoff = Duration::from_millis(50);
    loop {
        let Some(shared) = weak.upgrade() else { return };
        let client = shared.client.clone();
        let channel = shared.channel.clone();
        let timeout = shared.timeout;
        drop(shared);
        let outcome: Result<(), StoreError> = async {
            let pubsub = tokio::time::timeout(timeout, client.get_async_pubsub())
                .await
                .map_err(|_| err("no connection within the timeout"))?
                .map_err(err)?;
            let (mut sink, mut messages) = pubsub.split();
            tokio::time::timeout(timeout, sink.subscribe(&channel))
                .await
                .map_err(|_| err("no answer to SUBSCRIBE within the timeout"))?
                .map_err(err)?;
            {
                let shared = weak.upgrade().ok_or_else(|| err("dropped"))?;
                // Not trusted until complete; a link that dies meanwhile is retried.
                tokio::time::timeout(RESYNC_LIMIT, shared.resync())
                    .await
                    .map_err(|_| err("resynchronisation took too long"))??;
                shared.synced.store(true, Ordering::Release);
            }
            let mut liveness = tokio::time::interval(LIVENESS_PERIOD);
            liveness.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    msg = messages.next() => {
                        let Some(msg) = msg else {
                            return Err(err("subscription closed"));
                        };
                        let Some(shared) = weak.upgrade() else {
                            return Ok(());
                        };
                        if let Ok(payload) = msg.get_payload::<String>() {
                            shared.apply(&payload);
                        }
                    }
                    _ = liveness.tick() => {
                        if weak.strong_count() == 0 {
                            return Ok(());
                        }
                        let ping = sink.ping::<redis::Value>();
                        match tokio::time::timeout(timeout, ping).await {
                            Ok(Ok(_)) => {}
                            Ok(Err(e)) => return Err(err(e)),
                            Err(_) => {
                                return Err(err(format!(
                                    "the subscription did not answer PING within {timeout:?}"
                                )))
                            }
                        }
                        let shared = weak.upgrade().ok_or_else(|| err("dropped"))?;
                        let holds = tokio::time::timeout(timeout, shared.epoch_holds()).await;
                        drop(shared);
                        match holds {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => return Err(e),
                            Err(_) => return Err(err("no answer to the epoch check within the timeout")),
                        }
                    }
                }
            }
        }
        .await;
        let Some(shared) = weak.upgrade() else { return };
        shared.synced.store(false, Ordering::Release);
        drop(shared);
        match outcome {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, "redis revocation channel lost; checking Redis directly until it is back");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
}
