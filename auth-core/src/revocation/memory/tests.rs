use super::*;

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

#[tokio::test]
async fn revoke_and_check() {
    let s = InMemoryRevocation::new();
    let now = crate::time::now();
    assert!(!s
        .is_revoked(t(Some("a"), "u", Some(now), None))
        .await
        .unwrap());
    s.revoke_token("a", "u", now + 60).await.unwrap();
    assert!(s
        .is_revoked(t(Some("a"), "u", Some(now), None))
        .await
        .unwrap());
    assert!(!s
        .is_revoked(t(Some("b"), "u", Some(now), None))
        .await
        .unwrap());
    assert_eq!(
        s.consume("r1", "u", now + 60).await.unwrap(),
        None,
        "first use"
    );
    assert!(
        s.consume("r1", "u", now + 60).await.unwrap().is_some(),
        "second use is reuse"
    );
    s.revoke_family("f1", "u", now + 60).await.unwrap();
    assert!(s
        .is_revoked(t(Some("c"), "u", Some(now), Some("f1")))
        .await
        .unwrap());
    s.revoke_user_before("u2", now, now + 60).await.unwrap();
    assert!(s
        .is_revoked(t(Some("d"), "u2", Some(now - 1), None))
        .await
        .unwrap());
    assert!(
        !s.is_revoked(t(Some("d"), "u2", Some(now), None))
            .await
            .unwrap(),
        "issued at the stamp: still valid"
    );
    assert!(
        s.is_revoked(t(Some("d"), "u2", None, None)).await.unwrap(),
        "no iat: cannot prove it is newer"
    );
}

#[tokio::test]
async fn expired_entries_are_pruned_and_capacity_is_enforced() {
    let s = InMemoryRevocation::with_capacity(2);
    let now = crate::time::now();
    s.revoke_token("old1", "u", now - 10).await.unwrap();
    s.revoke_token("old2", "u", now - 10).await.unwrap();
    assert!(
        !s.is_revoked(t(Some("old1"), "u", None, None))
            .await
            .unwrap(),
        "expired entry no longer counts"
    );
    // Full of expired entries: pruning makes room.
    s.revoke_token("new1", "u", now + 100).await.unwrap();
    s.revoke_token("new2", "u", now + 100).await.unwrap();
    assert_eq!(s.len(), 2);
    let err = s.revoke_token("new3", "u", now + 100).await.unwrap_err();
    assert!(err.to_string().contains("full"), "{err}");
    assert!(
        s.is_revoked(t(Some("new1"), "u", None, None))
            .await
            .unwrap(),
        "no revocation was dropped"
    );
}

#[tokio::test]
async fn one_user_cannot_fill_the_store() {
    let s = InMemoryRevocation::new().max_entries_per_user(10);
    let until = crate::time::now() + 3600;
    for i in 0..1_000 {
        s.revoke_token(&format!("j{i}"), "greedy", until)
            .await
            .unwrap();
    }
    // Ten entries and one stamp, not a thousand entries.
    assert_eq!(s.len(), 11);
    // Every token of the user issued before the stamp is refused, the folded ones too.
    let before = crate::time::now_ms() - 1;
    assert!(s
        .is_revoked(t(Some("j999"), "greedy", Some(before), None))
        .await
        .unwrap());
    assert!(s
        .is_revoked(t(Some("other"), "greedy", Some(before), None))
        .await
        .unwrap());
    // A token issued after it is not, nor anyone else's.
    let later = crate::time::now_ms() + 1;
    assert!(!s
        .is_revoked(t(Some("new"), "greedy", Some(later), None))
        .await
        .unwrap());
    assert!(!s
        .is_revoked(t(Some("x"), "modest", Some(before), None))
        .await
        .unwrap());
    // Another user still gets entries.
    s.revoke_token("m1", "modest", until).await.unwrap();
    assert!(s
        .is_revoked(t(Some("m1"), "modest", Some(later), None))
        .await
        .unwrap());
}

#[tokio::test]
async fn consume_tells_when_a_token_was_used() {
    let s = InMemoryRevocation::new();
    let until = crate::time::now() + 60;
    assert_eq!(s.consume("r", "u", until).await.unwrap(), None);
    let used = s.consume("r", "u", until).await.unwrap().unwrap();
    let now_ms = crate::time::now_ms();
    assert!(used + 2_000 >= now_ms && used <= now_ms, "used now: {used}");
    s.revoke_token("a", "u", until).await.unwrap();
    assert_eq!(
        s.consume("a", "u", until).await.unwrap(),
        Some(0),
        "revoked, not used"
    );
}

/// Fills a store of capacity 5 up to its capacity with expired entries of another user, beside
/// the `from` entries the test put in, so that the next write prunes.
async fn fill_with_expired(s: &InMemoryRevocation, from: usize) {
    let past = crate::time::now() - 10;
    for i in from..5 {
        s.revoke_token(&format!("expired{i}"), "passer-by", past)
            .await
            .unwrap();
    }
    assert_eq!(s.len(), 5);
}

#[tokio::test]
async fn the_length_counts_tokens_families_and_stamps() {
    let s = InMemoryRevocation::new();
    let until = crate::time::now() + 60;
    s.revoke_token("t", "u", until).await.unwrap();
    s.revoke_family("f1", "u", until).await.unwrap();
    s.revoke_family("f2", "u", until).await.unwrap();
    s.revoke_user_before("v", crate::time::now_ms(), until)
        .await
        .unwrap();
    assert_eq!(s.len(), 4);
    assert!(!s.is_empty());
    assert!(InMemoryRevocation::new().is_empty());
}

/// A prune (the store is full) keeps what is still live: a "logged out everywhere" stamp goes
/// on refusing the user's older tokens, and a user at the per-user bound stays at it.
#[tokio::test]
async fn a_prune_keeps_live_stamps_and_per_user_counts() {
    let s = InMemoryRevocation::with_capacity(5).max_entries_per_user(2);
    let until = crate::time::now() + 3600;
    let before = crate::time::now_ms();
    s.revoke_user_before("everywhere", before + 1, until)
        .await
        .unwrap();
    s.revoke_token("g1", "greedy", until).await.unwrap();
    s.revoke_token("g2", "greedy", until).await.unwrap();
    fill_with_expired(&s, 3).await;

    // This write prunes the two expired entries first.
    s.revoke_token("g3", "greedy", until).await.unwrap();
    assert!(
        s.is_revoked(t(Some("any"), "everywhere", Some(before), None))
            .await
            .unwrap(),
        "the stamp survives the prune"
    );
    assert!(
        s.is_revoked(t(Some("older"), "greedy", Some(before - 1), None))
            .await
            .unwrap(),
        "greedy was at its bound: g3 became a stamp"
    );
    let st = s.state.read().unwrap();
    assert_eq!(st.tokens.len(), 2, "g1 and g2, not g3");
    assert!(
        !st.counts.contains_key("passer-by"),
        "a user with nothing live left is forgotten"
    );
}

/// Expired stamps go at a prune like expired entries.
#[tokio::test]
async fn a_prune_drops_expired_stamps() {
    let s = InMemoryRevocation::with_capacity(5);
    let past = crate::time::now() - 10;
    s.revoke_user_before("gone", crate::time::now_ms(), past)
        .await
        .unwrap();
    fill_with_expired(&s, 1).await;
    s.revoke_token("new", "u", past + 100).await.unwrap();
    assert_eq!(s.len(), 1, "only the new entry is left");
}

/// Expired entries go when the store is full, at every fill, and otherwise at most once a minute
/// (a write then prunes first); in between they are only skipped by checks.
#[tokio::test]
async fn prunes_when_full_and_once_a_minute() {
    let s = InMemoryRevocation::with_capacity(5);
    for round in 0..2 {
        // Filled up to the capacity with expired entries beside the live ones kept so far.
        fill_with_expired(&s, round).await;
        s.revoke_token(&format!("live{round}"), "u", crate::time::now() + 60)
            .await
            .unwrap();
        assert_eq!(
            s.len(),
            round + 1,
            "round {round}: the expired entries went"
        );
    }
    // Not full and pruned less than a minute ago: a write keeps the expired entries.
    let past = crate::time::now() - 10;
    s.revoke_token("late", "u", past).await.unwrap();
    s.revoke_token("later", "u", past).await.unwrap();
    assert_eq!(s.len(), 4);
    // A minute after the last prune, the next write prunes.
    s.state.write().unwrap().last_prune -= 61;
    s.revoke_token("now", "u", crate::time::now() + 60)
        .await
        .unwrap();
    assert_eq!(s.len(), 3, "live0, live1 and now");
}

/// What a log line of the configuration shows.
#[test]
fn debug_shows_the_size_and_the_bounds() {
    let s = InMemoryRevocation::with_capacity(7).max_entries_per_user(3);
    assert_eq!(
        format!("{s:?}"),
        "InMemoryRevocation { entries: 0, capacity: 7, per_user: 3 }"
    );
    assert_eq!(RevocationStore::name(&s), "memory");
}

/// The Redis store's mirror forgets everything before it reads Redis again.
#[cfg(feature = "redis")]
#[tokio::test]
async fn clear_forgets_everything() {
    let s = InMemoryRevocation::new();
    let until = crate::time::now() + 60;
    s.revoke_token("t", "u", until).await.unwrap();
    s.revoke_user_before("u", crate::time::now_ms(), until)
        .await
        .unwrap();
    s.clear();
    assert!(s.is_empty());
    assert!(!s
        .is_revoked(t(Some("t"), "u", Some(0), None))
        .await
        .unwrap());
}
