//! Shared revocation stores, behind Cargo features: Redis (`redis`) and SQL through sqlx
//! (`sqlite`, `postgres`). The in-memory store is [`crate::InMemoryRevocation`].

#[cfg(feature = "redis")]
pub mod redis;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql;

use std::time::Duration;

/// Default time a store may take to answer before the request fails closed (503).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

/// Runs `f`, failing with a [`StoreError`](crate::StoreError) of `store` when it takes longer
/// than `timeout`: a store never makes a request hang.
#[cfg(any(feature = "redis", feature = "sqlite", feature = "postgres"))]
pub(crate) async fn bounded<T>(
    store: &'static str,
    timeout: Duration,
    f: impl std::future::Future<Output = Result<T, crate::StoreError>>,
) -> Result<T, crate::StoreError> {
    tokio::time::timeout(timeout, f)
        .await
        .map_err(|_| crate::StoreError::new(store, format!("no answer within {timeout:?}")))?
}

/// Seconds from now until `expires_at`, at least 1.
#[allow(dead_code)]
pub(crate) fn ttl(expires_at: u64) -> u64 {
    expires_at.saturating_sub(crate::time::now()).max(1)
}
