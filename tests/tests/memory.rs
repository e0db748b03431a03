//! What the in-memory revocation store costs (issue #14, defect 4), measured as the process's
//! resident memory: these tests run one at a time, in a process of their own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use auth_actix::prelude::*;
use auth_actix::RevocationStore;
use tests::rss_kib;

/// Held by each test: the process's memory is measured by one test at a time.
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const SECRET: &str = "memory-test-secret-that-is-long-enough-0123";

#[derive(AuthUser, Clone)]
struct User {
    id: String,
    username: String,
    roles: Vec<String>,
}

fn config(store: Arc<dyn RevocationStore>) -> AuthConfig {
    AuthConfig::builder()
        .jwt(JwtConfig::hs256(SECRET))
        .roles(RoleMap::new().grant("editor", ["articles.*"]))
        .revocation_arc(store)
        .build()
        .unwrap()
}

/// One account cannot fill the in-memory store: 50,000 refresh + logout cycles of one user
/// grow the process's memory by less than 2 MiB.
#[actix_rt::test]
async fn one_account_cannot_fill_the_memory_store() {
    let _alone = ALONE.lock().await;
    let store = Arc::new(InMemoryRevocation::new());
    let cfg = config(store.clone());
    let jwt = cfg.jwt().unwrap().clone();
    let alice = User {
        id: "1".into(),
        username: "alice".into(),
        roles: vec!["editor".into()],
    };
    let cycle = || async {
        let pair = jwt.issue_pair(&alice).unwrap();
        let next = jwt.refresh(&pair.refresh.token).await.unwrap();
        let access = jwt.verify(&next.access.token).unwrap();
        jwt.logout(Some(&access), Some(&next.refresh.token))
            .await
            .unwrap();
    };
    // Past the verified-token cache's 10,000 entries first: it is bounded, and full by then.
    for _ in 0..11_000 {
        cycle().await;
    }
    let before = rss_kib();
    for _ in 0..50_000 {
        cycle().await;
    }
    let grown = rss_kib().saturating_sub(before);
    assert!(store.len() <= 1_001, "{} entries for one user", store.len());
    eprintln!("50,000 refresh + logout cycles of one user: memory grew by {grown} KiB");
    assert!(grown < 2 * 1024, "memory grew by {grown} KiB");
    // And the user's new tokens work, past the bound too: the stamp covers only older tokens.
    for _ in 0..3 {
        let pair = jwt.issue_pair(&alice).unwrap();
        let next = jwt.refresh(&pair.refresh.token).await.unwrap();
        let access = jwt.verify(&next.access.token).unwrap();
        assert!(
            jwt.check_revocation(&access).await.is_ok(),
            "the new pair is revoked"
        );
        let again = jwt.refresh(&next.refresh.token).await;
        assert!(again.is_ok(), "the new refresh token is revoked");
    }
}

/// What one entry of the in-memory store costs, as the docs state it (about 200 bytes).
#[actix_rt::test]
async fn a_memory_store_entry_costs_what_the_docs_say() {
    let _alone = ALONE.lock().await;
    let store = InMemoryRevocation::new();
    let until = tests::now() + 3_600;
    let n = 200_000;
    let ids: Vec<(String, String)> = (0..n)
        .map(|i| (format!("jti-{i:016x}-{:06}", i % 997), format!("user-{i}")))
        .collect();
    let before = rss_kib();
    for (jti, user) in &ids {
        store.revoke_token(jti, user, until).await.unwrap();
    }
    let per_entry = (rss_kib().saturating_sub(before) * 1024) / n as u64;
    eprintln!("in-memory revocation store: {per_entry} bytes an entry");
    assert!(per_entry <= 200, "{per_entry} bytes an entry");
}
