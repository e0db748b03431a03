//! Noticing that Redis lost its data, and giving it back what this instance still holds.
//!
//! The store keeps a marker, `{prefix}:epoch` (a random id, no expiry), and each instance
//! remembers the epoch its mirror was synchronised with. A Redis that restarted empty, failed
//! over to an empty replica, was flushed or evicted the marker has no epoch or another one. An
//! empty Redis must not be read as "nothing revoked", so until the instance has written back its
//! mirror (every unexpired revoked token, revoked family, family record and stamp it holds) and
//! adopted the epoch:
//!
//! - direct checks (the mirror is not trusted while the channel is down) read the marker with
//!   the revocation keys and fail with 503 when it is not this instance's epoch;
//! - refresh rotation refuses to run (its script checks the marker): an empty Redis would take
//!   a spent refresh token for a family's first;
//! - the background task checks the marker every second, so a flush that did not break the
//!   connection is noticed too.
//!
//! Several instances each write back what they hold (the writes are idempotent: the larger
//! stamp wins, a family's newer record is kept), then share one new epoch. What no instance
//! holds any more (Redis and every instance restarted together) is lost: tokens revoked before
//! are accepted again until they expire.

use std::sync::{Arc, PoisonError};

use redis::aio::ConnectionManager;
use redis::AsyncCommands;

use super::{err, Shared, MAX_STAMP, NAME};
use crate::revocation::memory::Fact;
use crate::revocation::{ttl, StoreError};

impl Shared {
    pub(super) fn epoch_key(&self) -> String {
        format!("{}:epoch", self.prefix)
    }

    /// The epoch the mirror was synchronised with (`None` before the first synchronisation).
    pub(super) fn epoch(&self) -> Option<Arc<str>> {
        self.epoch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_epoch(&self, epoch: &str) {
        *self.epoch.lock().unwrap_or_else(PoisonError::into_inner) = Some(epoch.into());
    }

    /// The error of an operation that found Redis in another epoch than this instance's.
    pub(super) fn lost_data(&self) -> StoreError {
        StoreError::new(
            NAME,
            "Redis lost its data; the revocations this instance holds are being written back",
        )
    }

    /// Whether Redis, whose marker says `epoch`, can be trusted by this instance: it holds this
    /// instance's epoch, or this instance never synchronised (it knows nothing Redis could have
    /// lost) and Redis has a marker. A Redis without one is not trusted before the background
    /// task has written one (at its first synchronisation, milliseconds after start).
    pub(super) fn same_epoch(&self, epoch: Option<&str>) -> bool {
        match (self.epoch(), epoch) {
            (Some(mine), Some(theirs)) => &*mine == theirs,
            (None, Some(_)) => true,
            (_, None) => false,
        }
    }

    /// Brings Redis and this instance to one epoch before the mirror is re-read: when Redis lost
    /// its data, writes back what the mirror holds first. Returns the epoch to adopt once the
    /// mirror is re-read.
    pub(super) async fn reconcile(&self, c: &mut ConnectionManager) -> Result<String, StoreError> {
        let key = self.epoch_key();
        let theirs: Option<String> = c.get(&key).await.map_err(err)?;
        if let Some(mine) = self.epoch() {
            if theirs.as_deref() != Some(&*mine) {
                let facts = self.mirror.facts();
                tracing::warn!(
                    epoch = %mine,
                    found = theirs.as_deref().unwrap_or("none"),
                    revocations = facts.len(),
                    "Redis lost the revocation data (its epoch marker is gone or changed): \
                     writing back what this instance holds; checks answer 503 until done"
                );
                self.restore(c, &facts).await?;
            }
        }
        let fresh = crate::util::random::random_id().map_err(err)?;
        let _: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(&fresh)
            .arg("NX")
            .query_async(c)
            .await
            .map_err(err)?;
        let epoch: Option<String> = c.get(&key).await.map_err(err)?;
        epoch.ok_or_else(|| err("the epoch marker vanished as it was written"))
    }

    /// Adopts `epoch`: the mirror, just re-read, is Redis's as of it.
    pub(super) fn adopt(&self, epoch: &str) {
        self.set_epoch(epoch);
    }

    /// Writes `facts` back into Redis, in batches.
    async fn restore(&self, c: &mut ConnectionManager, facts: &[Fact]) -> Result<(), StoreError> {
        for chunk in facts.chunks(500) {
            let mut pipe = redis::pipe();
            for fact in chunk {
                match fact {
                    Fact::Token { jti, until } => {
                        pipe.set_ex(self.key('t', jti), 0, ttl(*until)).ignore();
                    }
                    Fact::Family {
                        family,
                        revoked: true,
                        until,
                        ..
                    } => {
                        pipe.set_ex(self.key('f', family), 0, ttl(*until)).ignore();
                    }
                    Fact::Family {
                        family,
                        current,
                        until,
                        ..
                    } => {
                        // Another instance's newer record, written back or rotated since, wins.
                        pipe.cmd("SET")
                            .arg(self.key('g', family))
                            .arg(format!("0  {current}"))
                            .arg("EX")
                            .arg(ttl(*until))
                            .arg("NX")
                            .ignore();
                    }
                    Fact::Stamp {
                        user,
                        before_ms,
                        until,
                    } => {
                        pipe.cmd("EVAL")
                            .arg(MAX_STAMP)
                            .arg(1)
                            .arg(self.key('u', user))
                            .arg(*before_ms)
                            .arg(ttl(*until))
                            .ignore();
                    }
                }
            }
            pipe.query_async::<()>(c).await.map_err(err)?;
        }
        Ok(())
    }
}
