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
