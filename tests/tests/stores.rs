//! Every revocation store against the real thing: memory, Redis on 127.0.0.1:6379, SQLite (file
//! and memory), PostgreSQL on 127.0.0.1:5432 (database `test`). `REDIS_URL` / `DATABASE_URL`
//! override the defaults; a missing service fails the test with a clear message.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use auth_actix::extend::{Rotate, Rotation, TokenRef};
use auth_actix::{InMemoryRevocation, RedisRevocation, RevocationStore, SqlRevocation};
use tests::{database_url, now, redis_url, require_service, unique, Proxy};

fn t<'a>(
    jti: Option<&'a str>,
    user: &'a str,
    iat: Option<u64>,
    fam: Option<&'a str>,
) -> TokenRef<'a> {
    TokenRef {
        jti,
        user_id: user,
        issued_at_ms: iat,
        family: fam,
    }
}

/// The contract every store keeps.
async fn exercise(store: &dyn RevocationStore) {
    let name = store.name();
    let n = now();
    let (jti, other, fam, user) = (
        unique("jti"),
        unique("other"),
        unique("fam"),
        unique("user"),
    );

    assert!(
        !store
            .is_revoked(t(Some(&jti), &user, Some(n), None))
            .await
            .unwrap(),
        "{name}: fresh token"
    );
    store.revoke_token(&jti, "u", n + 60).await.unwrap();
    assert!(
        store
            .is_revoked(t(Some(&jti), &user, Some(n), None))
            .await
            .unwrap(),
        "{name}: revoked jti"
    );
    assert!(
        !store
            .is_revoked(t(Some(&other), &user, Some(n), None))
            .await
            .unwrap(),
        "{name}: another jti"
    );

    // Rotation: the current token rotates, any other is reuse and revokes the family.
    let (rf, r0, r1, r2) = (unique("rfam"), unique("r0"), unique("r1"), unique("r2"));
    let (r3, r4) = (unique("r3"), unique("r4"));
    let step = |presented, next| Rotate {
        family: &rf,
        user_id: &user,
        presented,
        next,
        now_ms: now() * 1000,
        retry_from_ms: 1_000,
        retry_until_ms: 10_000,
        until: n + 60,
    };
    assert_eq!(
        store.rotate(step(&r0, &r1)).await.unwrap(),
        Rotation::Rotated,
        "{name}: first refresh"
    );
    store.settle(&rf, &r1).await.unwrap();
    assert_eq!(
        store.rotate(step(&r1, &r2)).await.unwrap(),
        Rotation::Rotated,
        "{name}: the current token"
    );
    assert!(
        !store
            .is_revoked(t(Some(&other), &user, Some(n), Some(&rf)))
            .await
            .unwrap(),
        "{name}: rotating revokes nothing"
    );
    assert_eq!(
        store.rotate(step(&r0, &r3)).await.unwrap(),
        Rotation::Reused,
        "{name}: an older token"
    );
    assert!(
        store
            .is_revoked(t(Some(&other), &user, Some(n), Some(&rf)))
            .await
            .unwrap(),
        "{name}: reuse revoked the family"
    );
    assert_eq!(
        store.rotate(step(&r2, &r4)).await.unwrap(),
        Rotation::Reused,
        "{name}: a revoked family's current token"
    );

    store.revoke_family(&fam, "u", n + 60).await.unwrap();
    assert!(
        store
            .is_revoked(t(Some(&other), &user, Some(n), Some(&fam)))
            .await
            .unwrap(),
        "{name}: family"
    );

    let u2 = unique("user2");
    store.revoke_user_before(&u2, n, n + 60).await.unwrap();
    assert!(
        store
            .is_revoked(t(Some(&other), &u2, Some(n - 5), None))
            .await
            .unwrap(),
        "{name}: issued before the stamp"
    );
    assert!(
        !store
            .is_revoked(t(Some(&other), &u2, Some(n), None))
            .await
            .unwrap(),
        "{name}: issued at the stamp"
    );
    store
        .revoke_user_before(&u2, n - 100, n + 60)
        .await
        .unwrap();
    assert!(
        store
            .is_revoked(t(Some(&other), &u2, Some(n - 5), None))
            .await
            .unwrap(),
        "{name}: an older stamp does not lower it"
    );

    // Entries expire with their tokens.
    let short = unique("short");
    store.revoke_token(&short, "u", now() + 1).await.unwrap();
    assert!(
        store
            .is_revoked(t(Some(&short), &user, None, None))
            .await
            .unwrap(),
        "{name}: short-lived revocation"
    );
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert!(
        !store
            .is_revoked(t(Some(&short), &user, None, None))
            .await
            .unwrap(),
        "{name}: expired revocation forgotten"
    );
}

#[actix_rt::test]
async fn memory_store() {
    exercise(&InMemoryRevocation::new()).await;
}

#[actix_rt::test]
async fn redis_store() {
    require_service("Redis", &redis_url()).await;
    let store = RedisRevocation::new(&redis_url())
        .unwrap()
        .prefix(unique("test"))
        .start();
    assert!(
        store.wait_synced(Duration::from_secs(5)).await,
        "subscribed and synced"
    );
    exercise(&store).await;
}

#[actix_rt::test]
async fn redis_store_before_sync_queries_redis_directly() {
    require_service("Redis", &redis_url()).await;
    let prefix = unique("direct");
    let a = RedisRevocation::new(&redis_url())
        .unwrap()
        .prefix(&prefix)
        .start();
    assert!(a.wait_synced(Duration::from_secs(5)).await);
    let jti = unique("j");
    a.revoke_token(&jti, "u", now() + 60).await.unwrap();
    // A new instance answers correctly before and after its resync.
    let b = RedisRevocation::new(&redis_url())
        .unwrap()
        .prefix(&prefix)
        .start();
    assert!(b.is_revoked(t(Some(&jti), "u", None, None)).await.unwrap());
    assert!(b.wait_synced(Duration::from_secs(5)).await);
    assert!(
        b.is_revoked(t(Some(&jti), "u", None, None)).await.unwrap(),
        "resync loaded the existing revocation"
    );
}

#[actix_rt::test]
async fn redis_instances_see_each_others_revocations_within_a_second() {
    require_service("Redis", &redis_url()).await;
    let prefix = unique("shared");
    let a = RedisRevocation::new(&redis_url())
        .unwrap()
        .prefix(&prefix)
        .start();
    let b = RedisRevocation::new(&redis_url())
        .unwrap()
        .prefix(&prefix)
        .start();
    assert!(
        a.wait_synced(Duration::from_secs(5)).await && b.wait_synced(Duration::from_secs(5)).await
    );
    let jti = unique("j");
    assert!(!b.is_revoked(t(Some(&jti), "u", None, None)).await.unwrap());
    a.revoke_token(&jti, "u", now() + 60).await.unwrap();
    let start = Instant::now();
    while !b.is_revoked(t(Some(&jti), "u", None, None)).await.unwrap() {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "not seen by the other instance within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        b.is_synced(),
        "answered from the local set, without a round trip"
    );
}

#[actix_rt::test]
async fn redis_unreachable_fails_closed_within_the_timeout_and_recovers() {
    require_service("Redis", &redis_url()).await;
    let proxy = Proxy::start(&tests::host_port(&redis_url())).await;
    let timeout = Duration::from_millis(300);
    let store = RedisRevocation::new(&format!("redis://{}", proxy.addr))
        .unwrap()
        .prefix(unique("down"))
        .timeout(timeout)
        .start();
    assert!(store.wait_synced(Duration::from_secs(5)).await);
    let jti = unique("j");
    proxy.disable();
    let start = Instant::now();
    loop {
        let call = Instant::now();
        let r = store.is_revoked(t(Some(&jti), "u", None, None)).await;
        assert!(
            call.elapsed() < timeout + Duration::from_millis(200),
            "a check took {:?}",
            call.elapsed()
        );
        if r.is_err() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "never noticed Redis was gone"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        store.revoke_token(&jti, "u", now() + 60).await.is_err(),
        "writes fail too"
    );
    proxy.enable();
    let start = Instant::now();
    while store
        .is_revoked(t(Some(&jti), "u", None, None))
        .await
        .is_err()
    {
        assert!(start.elapsed() < Duration::from_secs(5), "did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        store.wait_synced(Duration::from_secs(5)).await,
        "resubscribed"
    );
}

#[actix_rt::test]
async fn sqlite_file_store() {
    let path = std::env::temp_dir().join(format!("{}.db", unique("revocations")));
    let store = SqlRevocation::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    exercise(&store).await;
    // The file persists: a new store sees what the first wrote.
    let jti = unique("persist");
    store.revoke_token(&jti, "u", now() + 60).await.unwrap();
    drop(store);
    let again = SqlRevocation::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    assert!(again
        .is_revoked(t(Some(&jti), "u", None, None))
        .await
        .unwrap());
    let _ = std::fs::remove_file(path);
}

#[actix_rt::test]
async fn sqlite_memory_store() {
    exercise(&SqlRevocation::connect("sqlite::memory:").await.unwrap()).await;
}

#[actix_rt::test]
async fn postgres_store() {
    require_service("PostgreSQL", &database_url()).await;
    let store = SqlRevocation::connect(&database_url()).await.unwrap();
    exercise(&store).await;
    // Expired rows are purged.
    let old = unique("old");
    store.revoke_token(&old, "u", now() - 10).await.unwrap();
    assert!(store.purge().await.unwrap() >= 1);
}

#[actix_rt::test]
async fn postgres_unreachable_fails_closed_within_the_timeout_and_recovers() {
    require_service("PostgreSQL", &database_url()).await;
    let proxy = Proxy::start(&tests::host_port(&database_url())).await;
    let url = database_url().replacen(&tests::host_port(&database_url()), &proxy.addr, 1);
    let timeout = Duration::from_millis(300);
    let store = SqlRevocation::connect_with_timeout(&url, timeout)
        .await
        .unwrap();
    let jti = unique("j");
    assert!(!store
        .is_revoked(t(Some(&jti), "u", None, None))
        .await
        .unwrap());
    proxy.disable();
    let call = Instant::now();
    assert!(
        store
            .is_revoked(t(Some(&jti), "u", None, None))
            .await
            .is_err(),
        "fails closed"
    );
    assert!(
        call.elapsed() < timeout + Duration::from_millis(200),
        "took {:?}",
        call.elapsed()
    );
    proxy.enable();
    let start = Instant::now();
    while store
        .is_revoked(t(Some(&jti), "u", None, None))
        .await
        .is_err()
    {
        assert!(start.elapsed() < Duration::from_secs(5), "did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Instances started together against a new database (a fresh deployment, or CI's first run)
/// all create the table at once: none of their first checks or writes fails.
#[actix_rt::test]
async fn postgres_instances_starting_together_on_a_new_database_all_work() {
    use sqlx::Connection as _;
    require_service("PostgreSQL", &database_url()).await;
    let name = unique("fresh").replace('-', "_");
    let base = database_url();
    let Some(slash) = base.rfind('/') else {
        panic!("DATABASE_URL has no database name: {base}")
    };
    let admin_url = format!("{}/postgres", &base[..slash]);
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = format!("{}/{name}", &base[..slash]);

    let stores = futures_util::future::join_all(
        (0..6).map(|_| SqlRevocation::connect_with_timeout(&url, Duration::from_secs(5))),
    )
    .await;
    let stores: Vec<SqlRevocation> = stores.into_iter().map(Result::unwrap).collect();
    let jtis: Vec<String> = (0..stores.len())
        .map(|i| unique(&format!("j{i}")))
        .collect();
    let writes = stores
        .iter()
        .zip(&jtis)
        .map(|(s, jti)| s.revoke_token(jti, "u", now() + 60));
    for (i, r) in futures_util::future::join_all(writes)
        .await
        .into_iter()
        .enumerate()
    {
        assert!(r.is_ok(), "instance {i}'s first write failed: {r:?}");
    }
    for s in &stores {
        for jti in &jtis {
            assert!(s.is_revoked(t(Some(jti), "u", None, None)).await.unwrap());
        }
    }
    drop(stores);
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}

/// A store created while its database cannot be opened creates its table once it can: checks
/// fail closed meanwhile, then answer (they do not keep failing on a missing table).
#[actix_rt::test]
async fn sqlite_store_created_while_unreachable_creates_its_table_later() {
    let dir = std::env::temp_dir().join(unique("later"));
    let url = format!("sqlite://{}?mode=rwc", dir.join("r.db").display());
    let store = SqlRevocation::connect_with_timeout(&url, Duration::from_millis(300))
        .await
        .unwrap();
    let jti = unique("j");
    assert!(
        store
            .is_revoked(t(Some(&jti), "u", None, None))
            .await
            .is_err(),
        "fails closed while the file cannot be opened"
    );
    std::fs::create_dir_all(&dir).unwrap();
    assert!(!store
        .is_revoked(t(Some(&jti), "u", None, None))
        .await
        .unwrap());
    store.revoke_token(&jti, "u", now() + 60).await.unwrap();
    assert!(store
        .is_revoked(t(Some(&jti), "u", None, None))
        .await
        .unwrap());
}

/// Another instance's open transaction that wrote to the table (a long request, a stuck
/// connection) does not hold up a new instance's first check or write: the store does not lock
/// the table to find out that it exists.
#[actix_rt::test]
async fn postgres_open_transaction_elsewhere_does_not_block_a_new_instance() {
    use sqlx::Connection as _;
    require_service("PostgreSQL", &database_url()).await;
    SqlRevocation::connect(&database_url())
        .await
        .unwrap()
        .migrate()
        .await
        .unwrap();
    let mut other = sqlx::PgConnection::connect(&database_url()).await.unwrap();
    let mut held = other.begin().await.unwrap();
    sqlx::query("INSERT INTO auth_revocations VALUES ('t', $1, 0, 0)")
        .bind(unique("held"))
        .execute(&mut *held)
        .await
        .unwrap();

    let store = SqlRevocation::connect_with_timeout(&database_url(), Duration::from_millis(500))
        .await
        .unwrap();
    let jti = unique("j");
    store.revoke_token(&jti, "u", now() + 60).await.unwrap();
    assert!(store
        .is_revoked(t(Some(&jti), "u", None, None))
        .await
        .unwrap());
    held.rollback().await.unwrap();
}
