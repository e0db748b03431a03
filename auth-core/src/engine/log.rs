//! What every adapter logs of a decision: never the credential, and refusals at a bounded rate.

use crate::error::AuthError;
use crate::policy::Admitted;

/// Logs what became of a request on `route` (a handler or gRPC method name) at `path`.
///
/// Allowed requests at DEBUG; refusals (401/403, `UNAUTHENTICATED`/`PERMISSION_DENIED`) at
/// INFO, at most [`refusals::PER_SECOND`] a second; an unreachable store at WARN; a
/// misconfiguration at ERROR, saying what to fix. The credential itself is never logged.
pub fn outcome(route: &str, path: &str, admitted: &Admitted) {
    let error = match admitted {
        Ok(ctx) => {
            tracing::debug!(
                route,
                path,
                backend = ctx.as_ref().map_or("-", |c| c.backend()),
                outcome = "allow",
            );
            return;
        }
        Err(error) => error,
    };
    match error {
        AuthError::Misconfigured(why) => tracing::error!(
            route,
            path,
            outcome = "misconfigured",
            reason = %why,
            "authentication is misconfigured: answered 500; the reason says what to fix"
        ),
        AuthError::Unavailable(why) => {
            tracing::warn!(route, path, outcome = "unavailable", reason = %why)
        }
        AuthError::Unauthenticated(reason) if refusals::admit() => {
            tracing::info!(route, path, outcome = "unauthenticated", reason = %reason)
        }
        AuthError::Forbidden(_) if refusals::admit() => {
            tracing::info!(route, path, outcome = "forbidden", reason = %error)
        }
        AuthError::NotFound(_) if refusals::admit() => {
            tracing::info!(route, path, outcome = "not_found", reason = %error)
        }
        _ => {}
    }
}

/// Refusals are logged at most [`refusals::PER_SECOND`] a second: a flood of garbage credentials
/// must not become a flood of log lines. Those left out are counted, and the count is logged once
/// the next second begins.
pub mod refusals {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};

    /// Refusals logged a second, at most.
    pub const PER_SECOND: u64 = 20;

    static SECOND: AtomicU64 = AtomicU64::new(0);
    static LOGGED: AtomicU64 = AtomicU64::new(0);
    static LEFT_OUT: AtomicU64 = AtomicU64::new(0);

    /// Whether this refusal may be logged.
    pub(crate) fn admit() -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let second = SECOND.load(Ordering::Relaxed);
        if second != now
            && SECOND
                .compare_exchange(second, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            LOGGED.store(0, Ordering::Relaxed);
            let left_out = LEFT_OUT.swap(0, Ordering::Relaxed);
            if left_out > 0 {
                tracing::info!(
                    left_out,
                    "refused requests not logged: more than {PER_SECOND} a second"
                );
            }
        }
        if LOGGED.fetch_add(1, Ordering::Relaxed) < PER_SECOND {
            return true;
        }
        LEFT_OUT.fetch_add(1, Ordering::Relaxed);
        false
    }
}
