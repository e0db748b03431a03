use super::*;
use crate::revocation::{Rotate, Rotation};

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
    let now = crate::util::time::now();
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
        s.rotate(step("f0", "r1", "r2", now + 60)).await.unwrap(),
        Rotation::Rotated,
        "first refresh"
    );
    assert_eq!(
        s.rotate(step("f0", "r1", "r3", now + 60)).await.unwrap(),
        Rotation::Reused,
        "the same token again at once is reuse"
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
    let now = crate::util::time::now();
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
    let until = crate::util::time::now() + 3600;
    for i in 0..1_000 {
        s.revoke_token(&format!("j{i}"), "greedy", until)
            .await
            .unwrap();
    }
    // Ten entries and one stamp, not a thousand entries.
    assert_eq!(s.len(), 11);
    // Every token of the user issued before the stamp is refused, the folded ones too.
    let before = crate::util::time::now_ms() - 1;
    assert!(s
        .is_revoked(t(Some("j999"), "greedy", Some(before), None))
        .await
        .unwrap());
    assert!(s
        .is_revoked(t(Some("other"), "greedy", Some(before), None))
        .await
        .unwrap());
    // A token issued after it is not, nor anyone else's.
    let later = crate::util::time::now_ms() + 1;
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

/// A refresh of `family` presenting `presented`, issuing `next`, now; retries from 1 s to 10 s.
fn step<'a>(family: &'a str, presented: &'a str, next: &'a str, until: u64) -> Rotate<'a> {
    Rotate {
        family,
        user_id: "u",
        presented,
        next,
        now_ms: crate::util::time::now_ms(),
        retry_from_ms: 1_000,
        retry_until_ms: 10_000,
        until,
    }
}

#[tokio::test]
async fn a_family_keeps_one_record_whatever_the_number_of_refreshes() {
    let s = InMemoryRevocation::new().max_entries_per_user(10);
    let until = crate::util::time::now() + 60;
    let mut current = "r0".to_owned();
    for i in 1..=5_000 {
        let next = format!("r{i}");
        let answer = s.rotate(step("fam", &current, &next, until)).await.unwrap();
        assert_eq!(answer, Rotation::Rotated, "refresh {i}");
        s.settle("fam", &next).await.unwrap();
        current = next;
    }
    assert_eq!(s.len(), 1, "one record, no stamp");
    // Any older token of the family is reuse: the family is revoked, the current token too.
    assert_eq!(
        s.rotate(step("fam", "r17", "x", until)).await.unwrap(),
        Rotation::Reused
    );
    assert!(s
        .is_revoked(t(Some("a"), "u", Some(0), Some("fam")))
        .await
        .unwrap());
    assert_eq!(
        s.rotate(step("fam", &current, "y", until)).await.unwrap(),
        Rotation::Reused,
        "a revoked family rotates no more"
    );
}

#[tokio::test]
async fn the_previous_token_is_a_retry_only_unanswered_and_inside_the_window() {
    let s = InMemoryRevocation::new();
    let until = crate::util::time::now() + 60;
    let at = |ms: u64| Rotate {
        now_ms: 1_000_000 + ms,
        ..step("", "", "", until)
    };
    let first = Rotate {
        family: "f",
        presented: "a",
        next: "b",
        ..at(0)
    };
    assert_eq!(s.rotate(first).await.unwrap(), Rotation::Rotated);
    // 1.5 s later the same token again (its answer was lost): a retry, issuing "c".
    let retry = Rotate {
        family: "f",
        presented: "a",
        next: "c",
        ..at(1_500)
    };
    assert_eq!(s.rotate(retry).await.unwrap(), Rotation::Retried);
    // "b", the token of the lost answer, is no longer current: presenting it is reuse.
    let lost = Rotate {
        family: "f",
        presented: "b",
        next: "d",
        ..at(2_000)
    };
    assert_eq!(s.rotate(lost).await.unwrap(), Rotation::Reused);

    // Within the in-flight second, and once answered (settled), the previous token is reuse.
    for (family, settle, ms) in [("g", false, 500), ("h", true, 2_000), ("i", false, 10_000)] {
        let first = Rotate {
            family,
            presented: "a",
            next: "b",
            ..at(0)
        };
        assert_eq!(s.rotate(first).await.unwrap(), Rotation::Rotated);
        if settle {
            s.settle(family, "b").await.unwrap();
        }
        let again = Rotate {
            family,
            presented: "a",
            next: "c",
            ..at(ms)
        };
        assert_eq!(s.rotate(again).await.unwrap(), Rotation::Reused, "{family}");
    }
}

/// A fold while a family is refreshed for the first time keeps that family's record: the
/// stamp covers the tokens before it, the record detects their reuse.
#[tokio::test]
async fn a_fold_keeps_the_record_of_the_family_being_refreshed() {
    let s = InMemoryRevocation::new().max_entries_per_user(3);
    let until = crate::util::time::now() + 60;
    for i in 0..3 {
        s.revoke_token(&format!("j{i}"), "u", until).await.unwrap();
    }
    assert_eq!(s.len(), 3);
    assert_eq!(
        s.rotate(step("fam", "r0", "r1", until)).await.unwrap(),
        Rotation::Rotated
    );
    assert_eq!(
        s.len(),
        2,
        "the three entries folded into a stamp, and the record"
    );
    assert_eq!(
        s.rotate(step("fam", "r0", "r2", until)).await.unwrap(),
        Rotation::Reused,
        "the spent token is still known"
    );
}

/// Fills a store of capacity 5 up to its capacity with expired entries of another user, beside
/// the `from` entries the test put in, so that the next write prunes.
async fn fill_with_expired(s: &InMemoryRevocation, from: usize) {
    let past = crate::util::time::now() - 10;
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
    let until = crate::util::time::now() + 60;
    s.revoke_token("t", "u", until).await.unwrap();
    s.revoke_family("f1", "u", until).await.unwrap();
    s.revoke_family("f2", "u", until).await.unwrap();
    s.revoke_user_before("v", crate::util::time::now_ms(), until)
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
    let until = crate::util::time::now() + 3600;
    let before = crate::util::time::now_ms();
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
    assert_eq!(
        st.tokens.len(),
        0,
        "g1 and g2 folded into a stamp that covers g3"
    );
    assert_eq!(st.stamps.len(), 2, "everywhere's stamp, and greedy's");
    assert!(
        !st.counts.contains_key("passer-by"),
        "a user with nothing live left is forgotten"
    );
    assert!(
        !st.counts.contains_key("greedy"),
        "a fold starts the count again"
    );
}

/// Expired stamps go at a prune like expired entries.
#[tokio::test]
async fn a_prune_drops_expired_stamps() {
    let s = InMemoryRevocation::with_capacity(5);
    let past = crate::util::time::now() - 10;
    s.revoke_user_before("gone", crate::util::time::now_ms(), past)
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
        s.revoke_token(&format!("live{round}"), "u", crate::util::time::now() + 60)
            .await
            .unwrap();
        assert_eq!(
            s.len(),
            round + 1,
            "round {round}: the expired entries went"
        );
    }
    // Not full and pruned less than a minute ago: a write keeps the expired entries.
    let past = crate::util::time::now() - 10;
    s.revoke_token("late", "u", past).await.unwrap();
    s.revoke_token("later", "u", past).await.unwrap();
    assert_eq!(s.len(), 4);
    // A minute after the last prune, the next write prunes.
    s.state.write().unwrap().last_prune -= 61;
    s.revoke_token("now", "u", crate::util::time::now() + 60)
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
    let until = crate::util::time::now() + 60;
    s.revoke_token("t", "u", until).await.unwrap();
    s.revoke_user_before("u", crate::util::time::now_ms(), until)
        .await
        .unwrap();
    s.clear();
    assert!(s.is_empty());
    assert!(!s
        .is_revoked(t(Some("t"), "u", Some(0), None))
        .await
        .unwrap());
}
