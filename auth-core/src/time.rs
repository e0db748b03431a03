//! Wall-clock time in seconds since the Unix epoch.
//!
//! Every request reads the clock once (token expiry, the cache's entries), so the clock is the
//! cheap one: on Linux, `CLOCK_REALTIME_COARSE`, the clock behind libc's `time()`. It is the
//! wall time at the kernel's last tick (1 to 10 ms old), read from memory the kernel shares
//! with the process, without the cycle-counter read and scaling of the precise clock. Expiry
//! is checked in whole seconds, so the coarse clock can accept a token at most one tick after
//! its `exp` second has begun, far below any clock skew between servers. Elsewhere, the
//! standard library's clock.

/// Seconds since the Unix epoch (0 if the clock is before it).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
pub fn now() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
    u64::try_from(t.tv_sec).unwrap_or(0)
}

/// Seconds since the Unix epoch (0 if the clock is before it).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
pub fn now() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::time::{SystemTime, UNIX_EPOCH};

    #[test]
    fn the_coarse_clock_keeps_to_the_precise_one() {
        let precise = || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        };
        let before = precise();
        let now = super::now();
        let after = precise();
        // One tick behind at most: the coarse second may still be the previous one.
        assert!(
            now + 1 >= before && now <= after,
            "{before} <= {now} <= {after}"
        );
    }
}
