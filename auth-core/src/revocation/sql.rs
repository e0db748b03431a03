//! [`SqlRevocation`]: revocations in a SQL table through sqlx: SQLite (feature `sqlite`, an
//! embedded file or memory) or PostgreSQL (feature `postgres`).
//!
//! The tables `auth_revocations` (revoked tokens and families, "logged out everywhere" stamps)
//! and `auth_refresh_families` (each refresh family's current refresh token, one row a family,
//! replaced by every refresh) are created if missing. Each row carries the time after which it
//! can be forgotten; expired rows are purged at most once a minute, on writes. A check is one
//! indexed query, bounded by the configured timeout: a database that cannot answer makes the
//! request fail closed (503).

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyQueryResult};
use sqlx::AnyPool;

use super::{
    RevocationStore, Rotate, Rotation, StoreError, StoreFuture, TokenRef, DEFAULT_TIMEOUT,
};

const NAME: &str = "sql";

fn err(e: impl fmt::Display) -> StoreError {
    StoreError::new(NAME, e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Sqlite,
    Postgres,
}

/// The SQL revocation store.
///
/// ```no_run
/// # async fn f() -> Result<(), auth_core::extend::StoreError> {
/// use auth_core::revocation::sql::SqlRevocation;
/// let embedded = SqlRevocation::connect("sqlite://revocations.db?mode=rwc").await?;
/// let in_memory = SqlRevocation::connect("sqlite::memory:").await?;
/// let shared = SqlRevocation::connect("postgres://postgres@127.0.0.1/test").await?;
/// # Ok(()) }
/// ```
pub struct SqlRevocation {
    pool: AnyPool,
    dialect: Dialect,
    timeout: Duration,
    last_purge: AtomicU64,
    fail_open: bool,
    /// Set once the table and index exist; until then each check and write creates them first.
    migrated: AtomicBool,
}

impl fmt::Debug for SqlRevocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlRevocation")
            .field("dialect", &self.dialect)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

const CREATE: &str = "CREATE TABLE IF NOT EXISTS auth_revocations (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
)";
const INDEX: &str =
    "CREATE INDEX IF NOT EXISTS auth_revocations_expires ON auth_revocations (expires_at)";
/// One row a refresh family: its current refresh token (`cur`), the one before (`prev`, empty
/// once the refresh that replaced it was answered) and when it was replaced (ms).
const CREATE_FAMILIES: &str = "CREATE TABLE IF NOT EXISTS auth_refresh_families (
    family TEXT PRIMARY KEY,
    cur TEXT NOT NULL,
    prev TEXT NOT NULL,
    rotated_ms BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
)";
/// The key of the PostgreSQL advisory lock taken while the table is created (any constant
/// unlikely to be used by the application: "authrevo" in ASCII).
const MIGRATION_LOCK: i64 = 0x6175_7468_7265_766f;
const CHECK: &str = "SELECT COUNT(*) FROM auth_revocations WHERE expires_at >= $1 AND (
    (kind = 't' AND id = $2) OR (kind = 'f' AND id = $3) OR (kind = 'u' AND id = $4 AND not_before > $5))";

impl SqlRevocation {
    /// Connects (with the default 500 ms timeout) and creates the table if missing.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_timeout(url, DEFAULT_TIMEOUT).await
    }

    /// Connects with a timeout for every operation.
    ///
    /// The pool connects lazily: a database that is down now makes checks fail (503) until it is
    /// back, and the table is created by the first operation that reaches it.
    pub async fn connect_with_timeout(url: &str, timeout: Duration) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            return Err(err("the URL must start with sqlite: or postgres:"));
        };
        let memory = dialect == Dialect::Sqlite && url.contains(":memory:");
        let mut opts = AnyPoolOptions::new().acquire_timeout(timeout);
        if memory {
            // Each SQLite connection to :memory: is its own database: keep exactly one, forever.
            opts = opts
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        } else {
            opts = opts.max_connections(8);
        }
        let pool = opts.connect_lazy(url).map_err(err)?;
        let store = SqlRevocation {
            pool,
            dialect,
            timeout,
            last_purge: AtomicU64::new(0),
            fail_open: false,
            migrated: AtomicBool::new(false),
        };
        // Create the table now when the database is reachable; otherwise on the first check or
        // write that reaches it.
        if let Err(e) = store.migrate().await {
            tracing::warn!(error = %e, "revocation table not created yet; the database is unreachable");
        }
        Ok(store)
    }

    /// When the database cannot answer, let tokens through instead of answering 503. Revoked
    /// tokens are then accepted while it is down: use only where availability beats revocation.
    pub fn dangerous_fail_open(mut self) -> Self {
        tracing::warn!("SqlRevocation is configured to FAIL OPEN: revoked tokens are accepted while the database is unreachable");
        self.fail_open = true;
        self
    }

    /// Creates the table and index if missing.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.bounded(self.create_table()).await
    }

    /// Creates the table and index if missing, once per store.
    ///
    /// On PostgreSQL, when both exist already nothing else is run: `CREATE INDEX IF NOT EXISTS`
    /// locks the table against writes before it finds the index, so any open transaction that
    /// wrote to the table (another instance's) would hold this store's first write past its
    /// timeout (503). When one is missing, the creation runs in a transaction that first takes an
    /// advisory lock: instances starting together against a new database would otherwise race in
    /// the catalog (a concurrent `CREATE ... IF NOT EXISTS` can fail on a unique index of
    /// `pg_type` or `pg_class`).
    async fn create_table(&self) -> Result<(), StoreError> {
        if self.dialect == Dialect::Postgres {
            let exists: bool = sqlx::query_scalar(
                "SELECT to_regclass('auth_revocations') IS NOT NULL
                    AND to_regclass('auth_revocations_expires') IS NOT NULL
                    AND to_regclass('auth_refresh_families') IS NOT NULL",
            )
            .fetch_one(&self.pool)
            .await
            .map_err(err)?;
            if exists {
                self.migrated.store(true, Ordering::Release);
                return Ok(());
            }
        }
        let mut tx = self.pool.begin().await.map_err(err)?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(err)?;
        }
        sqlx::query(CREATE).execute(&mut *tx).await.map_err(err)?;
        sqlx::query(INDEX).execute(&mut *tx).await.map_err(err)?;
        sqlx::query(CREATE_FAMILIES)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)?;
        self.migrated.store(true, Ordering::Release);
        Ok(())
    }

    /// Creates the table if that has not succeeded yet (the database was unreachable when the
    /// store was created): one atomic load once it has.
    async fn ensure_table(&self) -> Result<(), StoreError> {
        if self.migrated.load(Ordering::Acquire) {
            return Ok(());
        }
        self.create_table().await
    }

    async fn bounded<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        super::bounded(NAME, self.timeout, f).await
    }

    fn upsert(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "INSERT INTO auth_revocations (kind, id, not_before, expires_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (kind, id) DO UPDATE SET not_before = CASE WHEN excluded.kind = 'u' THEN MAX(auth_revocations.not_before, excluded.not_before) ELSE excluded.not_before END,
                expires_at = MAX(auth_revocations.expires_at, excluded.expires_at)",
            Dialect::Postgres => "INSERT INTO auth_revocations (kind, id, not_before, expires_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (kind, id) DO UPDATE SET not_before = CASE WHEN excluded.kind = 'u' THEN GREATEST(auth_revocations.not_before, excluded.not_before) ELSE excluded.not_before END,
                expires_at = GREATEST(auth_revocations.expires_at, excluded.expires_at)",
        }
    }

    async fn write(
        &self,
        kind: &str,
        id: &str,
        not_before: u64,
        expires_at: u64,
    ) -> Result<AnyQueryResult, StoreError> {
        self.bounded(async {
            self.purge_if_due().await?;
            self.upsert_row(kind, id, not_before, expires_at).await
        })
        .await
    }

    async fn upsert_row(
        &self,
        kind: &str,
        id: &str,
        not_before: u64,
        expires_at: u64,
    ) -> Result<AnyQueryResult, StoreError> {
        sqlx::query(self.upsert())
            .bind(kind)
            .bind(id)
            .bind(not_before as i64)
            .bind(expires_at as i64)
            .execute(&self.pool)
            .await
            .map_err(err)
    }

    /// Whether `family` is revoked (a logout, or reuse found by another instance).
    async fn family_revoked(&self, family: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM auth_revocations WHERE kind = 'f' AND id = $1 AND expires_at >= $2",
        )
        .bind(family)
        .bind(crate::util::time::now() as i64)
        .fetch_one(&self.pool)
        .await
        .map_err(err)?;
        Ok(n > 0)
    }

    async fn purge_if_due(&self) -> Result<(), StoreError> {
        self.ensure_table().await?;
        let now = crate::util::time::now();
        let last = self.last_purge.load(Ordering::Relaxed);
        if now.saturating_sub(last) < 60 {
            return Ok(());
        }
        self.last_purge.store(now, Ordering::Relaxed);
        self.delete_expired(now).await.map(drop)
    }

    async fn delete_expired(&self, now: u64) -> Result<u64, StoreError> {
        let mut n = 0;
        for table in ["auth_revocations", "auth_refresh_families"] {
            n += sqlx::query(&format!("DELETE FROM {table} WHERE expires_at < $1"))
                .bind(now as i64)
                .execute(&self.pool)
                .await
                .map_err(err)?
                .rows_affected();
        }
        Ok(n)
    }

    /// Deletes expired rows now; returns how many.
    pub async fn purge(&self) -> Result<u64, StoreError> {
        self.bounded(async {
            self.ensure_table().await?;
            self.delete_expired(crate::util::time::now()).await
        })
        .await
    }
}

impl RevocationStore for SqlRevocation {
    fn name(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    fn is_revoked<'a>(&'a self, t: TokenRef<'a>) -> StoreFuture<'a, bool> {
        StoreFuture::boxed(async move {
            let answer = self
                .bounded(async move {
                    self.ensure_table().await?;
                    let n: i64 = sqlx::query_scalar(CHECK)
                        .bind(crate::util::time::now() as i64)
                        .bind(t.jti.unwrap_or(""))
                        .bind(t.family.unwrap_or(""))
                        .bind(t.user_id)
                        .bind(t.issued_at_ms.map_or(-1, |i| i as i64))
                        .fetch_one(&self.pool)
                        .await
                        .map_err(err)?;
                    Ok(n > 0)
                })
                .await;
            match answer {
                Err(e) if self.fail_open => {
                    tracing::warn!(error = %e, "revocation database unreachable: FAILING OPEN as configured");
                    Ok(false)
                }
                r => r,
            }
        })
    }

    fn revoke_token<'a>(
        &'a self,
        jti: &'a str,
        _user_id: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, ()> {
        StoreFuture::boxed(async move { self.write("t", jti, 0, expires_at).await.map(|_| ()) })
    }

    fn rotate<'a>(&'a self, r: Rotate<'a>) -> StoreFuture<'a, Rotation> {
        StoreFuture::boxed(self.bounded(async move {
            self.purge_if_due().await?;
            let until = r.until as i64;
            // Each step is one conditional statement: of two refreshes racing with one token,
            // exactly one finds it current.
            let first = sqlx::query(
                "INSERT INTO auth_refresh_families (family, cur, prev, rotated_ms, expires_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (family) DO NOTHING",
            )
            .bind(r.family)
            .bind(r.next)
            .bind(r.presented)
            .bind(r.now_ms as i64)
            .bind(until)
            .execute(&self.pool)
            .await
            .map_err(err)?;
            if first.rows_affected() == 1 && !self.family_revoked(r.family).await? {
                return Ok(Rotation::Rotated);
            }
            let rotated = sqlx::query(
                "UPDATE auth_refresh_families SET prev = cur, cur = $2, rotated_ms = $3, expires_at = $4
                 WHERE family = $1 AND cur = $5 AND cur <> ''",
            )
            .bind(r.family)
            .bind(r.next)
            .bind(r.now_ms as i64)
            .bind(until)
            .bind(r.presented)
            .execute(&self.pool)
            .await
            .map_err(err)?;
            let mut verdict = Rotation::Reused;
            if rotated.rows_affected() == 1 {
                verdict = Rotation::Rotated;
            } else {
                let retried = sqlx::query(
                    "UPDATE auth_refresh_families SET cur = $2, expires_at = $3
                     WHERE family = $1 AND prev = $4 AND prev <> ''
                       AND $5 - rotated_ms >= $6 AND $5 - rotated_ms < $7",
                )
                .bind(r.family)
                .bind(r.next)
                .bind(until)
                .bind(r.presented)
                .bind(r.now_ms as i64)
                .bind(r.retry_from_ms as i64)
                .bind(r.retry_until_ms as i64)
                .execute(&self.pool)
                .await
                .map_err(err)?;
                if retried.rows_affected() == 1 {
                    verdict = Rotation::Retried;
                }
            }
            if verdict != Rotation::Reused && !self.family_revoked(r.family).await? {
                return Ok(verdict);
            }
            self.upsert_row("f", r.family, 0, r.until).await?;
            Ok(Rotation::Reused)
        }))
    }

    fn settle<'a>(&'a self, family: &'a str, current: &'a str) -> StoreFuture<'a, ()> {
        StoreFuture::boxed(self.bounded(async move {
            sqlx::query("UPDATE auth_refresh_families SET prev = '' WHERE family = $1 AND cur = $2")
                .bind(family)
                .bind(current)
                .execute(&self.pool)
                .await
                .map_err(err)
                .map(drop)
        }))
    }

    fn revoke_family<'a>(
        &'a self,
        family: &'a str,
        _user_id: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, ()> {
        StoreFuture::boxed(async move { self.write("f", family, 0, expires_at).await.map(|_| ()) })
    }

    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        before: u64,
        expires_at: u64,
    ) -> StoreFuture<'a, ()> {
        StoreFuture::boxed(async move {
            self.write("u", user_id, before, expires_at)
                .await
                .map(|_| ())
        })
    }
}
