//! Refresh rotation on Redis: one key per family (`{prefix}:g:{family}`, holding
//! `"{rotated_ms} {previous} {current}"`), replaced by every refresh, judged and written by one
//! script so that of two refreshes racing with one token exactly one finds it current. The
//! script refuses to run on a Redis whose epoch is not the one this instance synchronised with
//! (a Redis that lost its data, see `epoch.rs`): an empty Redis would take any old refresh token
//! for a family's first.

use super::{err, RedisRevocation, NAME};
use crate::revocation::{ttl, Rotate, Rotation, StoreError};

/// KEYS: the family's record, its revocation, the epoch. ARGV: the epoch, the presented jti,
/// the next jti, now (ms), the retry window (ms, from and until), the TTL (s), the channel.
/// Returns 0 rotated, 1 retried, 2 reused (the family is revoked), -1 another epoch.
const ROTATE: &str = r"
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return -1 end
local ttl = ARGV[7]
local function keep(at, prev, cur)
  redis.call('SET', KEYS[1], at .. ' ' .. prev .. ' ' .. cur, 'EX', ttl)
  redis.call('PUBLISH', ARGV[8], 'g ' .. ARGV[9] .. ' ' .. ARGV[10] .. ' ' .. cur)
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local v = redis.call('GET', KEYS[1])
  if not v then keep(ARGV[4], ARGV[2], ARGV[3]) return 0 end
  local at, prev, cur = string.match(v, '^(%d+) (%S*) (%S*)$')
  if cur and cur ~= '' and cur == ARGV[2] then keep(ARGV[4], cur, ARGV[3]) return 0 end
  local since = tonumber(ARGV[4]) - tonumber(at or '0')
  if prev and prev ~= '' and prev == ARGV[2]
      and since >= tonumber(ARGV[5]) and since < tonumber(ARGV[6]) then
    keep(at, prev, ARGV[3])
    return 1
  end
end
redis.call('SET', KEYS[2], '0', 'EX', ttl)
redis.call('PUBLISH', ARGV[8], 'f ' .. ARGV[9] .. ' ' .. ARGV[10])
return 2";

/// KEYS: the family's record. ARGV: its current jti. Forgets the previous one, keeping the TTL.
const SETTLE: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local at, prev, cur = string.match(v, '^(%d+) (%S*) (%S*)$')
if cur == ARGV[1] then redis.call('SET', KEYS[1], at .. '  ' .. cur, 'KEEPTTL') end
return 0";

/// The current refresh token of a family record's value.
pub(super) fn current_of(value: &str) -> Option<&str> {
    value.rsplit(' ').next().filter(|c| !c.is_empty())
}

impl RedisRevocation {
    pub(super) async fn rotate_remote(&self, r: Rotate<'_>) -> Result<Rotation, StoreError> {
        let s = &self.shared;
        if s.epoch().is_none() {
            // Just started: the background task synchronises within milliseconds.
            self.wait_synced(s.timeout).await;
        }
        let epoch = s.epoch().ok_or_else(|| {
            StoreError::new(NAME, "not yet synchronised with Redis; try again shortly")
        })?;
        let answer: i64 = s
            .bounded(async {
                let mut c = s.conn().await?;
                redis::Script::new(ROTATE)
                    .key(s.key('g', r.family))
                    .key(s.key('f', r.family))
                    .key(s.epoch_key())
                    .arg(&*epoch)
                    .arg(r.presented)
                    .arg(r.next)
                    .arg(r.now_ms)
                    .arg(r.retry_from_ms)
                    .arg(r.retry_until_ms)
                    .arg(ttl(r.until))
                    .arg(&s.channel)
                    .arg(r.until)
                    .arg(r.family)
                    .invoke_async(&mut c)
                    .await
                    .map_err(err)
            })
            .await?;
        let verdict = match answer {
            0 => Rotation::Rotated,
            1 => Rotation::Retried,
            2 => Rotation::Reused,
            _ => return Err(s.lost_data()),
        };
        match verdict {
            Rotation::Reused => s.mirror.insert_family(r.family, None, r.until)?,
            _ => s.mirror.insert_current(r.family, r.next, r.until)?,
        }
        Ok(verdict)
    }

    pub(super) async fn settle_remote(
        &self,
        family: &str,
        current: &str,
    ) -> Result<(), StoreError> {
        let s = &self.shared;
        s.bounded(async {
            let mut c = s.conn().await?;
            redis::Script::new(SETTLE)
                .key(s.key('g', family))
                .arg(current)
                .invoke_async::<()>(&mut c)
                .await
                .map_err(err)
        })
        .await
    }
}
