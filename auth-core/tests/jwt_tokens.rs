//! Tokens in use: the issuing rules, revoked tokens, where a token is read from (header, cookie),
//! the verified-token cache, and a context's strings read back exactly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use auth_core::extend::{Outcome, SimpleRequest};
use auth_core::jwt::JwtBackend;
use auth_core::jwt::{IssuedToken, JwtConfig, JwtKey, TokenOptions};
use auth_core::TokenKind;
use auth_core::{AuthContext, InMemoryRevocation, Reason, RevocationStore};

mod common;

use common::*;

#[test]
fn issuing_rules() {
    let jwt = hs_backend();
    let who = AuthContext::builder("1").permissions(["a.b"]).build();
    let plain = jwt.issue_for_context(&who, TokenOptions::access()).unwrap();
    let raw: serde_json::Value = jwt.verify(&plain.token).unwrap().claims().unwrap().unwrap();
    assert!(
        raw.get("permissions").is_none(),
        "permissions only when asked for"
    );
    for k in [
        "sub",
        "exp",
        "iat",
        "jti",
        "token_type",
        "roles",
        "is_staff",
        "is_superuser",
    ] {
        assert!(raw.get(k).is_some(), "claim {k} issued");
    }
    let err = jwt
        .issue_for_context(&who, TokenOptions::access().claim("sub", "0"))
        .unwrap_err();
    assert!(err.to_string().contains("\"sub\""), "{err}");
    let short = jwt
        .issue_for_context(&who, TokenOptions::access().expires_in_secs(1))
        .unwrap();
    assert_eq!(short.expires_at - short.issued_at, 1);
    // A refresh token verifies only as a refresh token.
    let refresh = jwt
        .issue_for_context(&who, TokenOptions::refresh())
        .unwrap();
    assert_eq!(
        jwt.verify(&refresh.token).unwrap_err(),
        Reason::WrongTokenType
    );
    let r = jwt.verify_kind(&refresh.token, TokenKind::Refresh).unwrap();
    assert_eq!(
        r.token().unwrap().family.as_deref(),
        refresh.family.as_deref()
    );
    assert_eq!(
        jwt.verify_kind(&plain.token, TokenKind::Refresh)
            .unwrap_err(),
        Reason::WrongTokenType
    );
    // A public-key-only configuration cannot issue.
    let verify_only = JwtConfig::new()
        .key(JwtKey::rs256_pem(&key("rsa_public.pem")).unwrap())
        .build(None, None)
        .unwrap();
    assert!(verify_only
        .issue_for_context(&who, TokenOptions::access())
        .is_err());
    // Roles are mapped to permissions by the role map.
    let roles = auth_core::RoleMap::new().grant("editor", ["articles.*"]);
    let jwt = JwtConfig::hs256(SECRET).build(Some(&roles), None).unwrap();
    let t = jwt
        .issue_for_context(
            &AuthContext::builder("1").roles(["editor"]).build(),
            TokenOptions::access(),
        )
        .unwrap();
    assert!(jwt
        .verify(&t.token)
        .unwrap()
        .has_permission("articles.delete"));
}

/// An HS256 backend with an in-memory revocation store, and an access token of user "1".
fn revocable() -> (Arc<InMemoryRevocation>, JwtBackend, IssuedToken) {
    let store = Arc::new(InMemoryRevocation::new());
    let jwt = JwtConfig::hs256(SECRET)
        .build(None, Some(store.clone() as Arc<dyn RevocationStore>))
        .unwrap();
    let issued = jwt
        .issue_for_context(&AuthContext::builder("1").build(), TokenOptions::access())
        .unwrap();
    (store, jwt, issued)
}

/// Asserts that a request carrying `issued` (a token of user "1") is authenticated, and refused
/// once the token is revoked in `store`.
async fn accepted_until_revoked(
    jwt: &JwtBackend,
    store: &InMemoryRevocation,
    issued: &IssuedToken,
) {
    let req =
        SimpleRequest::new("GET", "/").header("Authorization", format!("Bearer {}", issued.token));
    assert!(matches!(
        jwt.authenticate(&req).await,
        Outcome::Authenticated(_)
    ));
    store
        .revoke_token(&issued.jti, "1", issued.expires_at)
        .await
        .unwrap();
    assert!(matches!(
        jwt.authenticate(&req).await,
        Outcome::Rejected(Reason::Revoked)
    ));
}

#[tokio::test]
async fn revoked_tokens_are_refused() {
    let (store, jwt, issued) = revocable();
    accepted_until_revoked(&jwt, &store, &issued).await;
    // Logout everywhere: a token issued before the stamp is refused.
    let other = jwt
        .issue_for_context(&AuthContext::builder("2").build(), TokenOptions::access())
        .unwrap();
    let req2 =
        SimpleRequest::new("GET", "/").header("Authorization", format!("Bearer {}", other.token));
    store
        .revoke_user_before("2", (other.issued_at + 1) * 1000, other.expires_at)
        .await
        .unwrap();
    assert!(matches!(
        jwt.authenticate(&req2).await,
        Outcome::Rejected(Reason::Revoked)
    ));
}

#[tokio::test]
async fn token_sources() {
    let jwt = JwtConfig::hs256(SECRET)
        .cookie("access_token")
        .build(None, None)
        .unwrap();
    let token = hs(&claims(""));
    let by_cookie = SimpleRequest::new("GET", "/")
        .header("Cookie", format!("theme=dark; access_token={token}"));
    assert!(matches!(
        jwt.authenticate(&by_cookie).await,
        Outcome::Authenticated(_)
    ));
    let lower = SimpleRequest::new("GET", "/").header("Authorization", format!("bearer {token}"));
    assert!(matches!(
        jwt.authenticate(&lower).await,
        Outcome::Authenticated(_)
    ));
    let none = SimpleRequest::new("GET", "/");
    assert!(matches!(
        jwt.authenticate(&none).await,
        Outcome::NoCredentials
    ));
    let custom = JwtConfig::hs256(SECRET)
        .header_with_prefix("X-Token", "Token")
        .build(None, None)
        .unwrap();
    let req = SimpleRequest::new("GET", "/").header("X-Token", format!("Token {token}"));
    assert!(matches!(
        custom.authenticate(&req).await,
        Outcome::Authenticated(_)
    ));
    let bearer_ignored =
        SimpleRequest::new("GET", "/").header("Authorization", format!("Bearer {token}"));
    assert!(matches!(
        custom.authenticate(&bearer_ignored).await,
        Outcome::NoCredentials
    ));
    // A token that is not UTF-8 is rejected before it is parsed, and again once a valid token
    // is cached (the cache reads bytes and must not answer for these).
    let mut bytes = format!("Bearer {token}").into_bytes();
    for round in 0..2 {
        let last = bytes.len() - 1;
        bytes[last] = 0xff;
        let req = SimpleRequest::new("GET", "/").header("Authorization", &bytes);
        assert!(
            matches!(
                jwt.authenticate(&req).await,
                Outcome::Rejected(Reason::Malformed("empty or non-UTF-8 credential"))
            ),
            "round {round}"
        );
        bytes = format!("Bearer {token}").into_bytes();
        let req = SimpleRequest::new("GET", "/").header("Authorization", &bytes);
        assert!(matches!(
            jwt.authenticate(&req).await,
            Outcome::Authenticated(_)
        ));
    }
}

#[tokio::test]
async fn verified_token_cache() {
    let (store, jwt, issued) = revocable();
    let first = jwt.verify(&issued.token).unwrap();
    let second = jwt.verify(&issued.token).unwrap();
    assert_eq!((first.user_id(), second.user_id()), ("1", "1"));
    // A different string is never served from the cache, even one that differs by one byte.
    let mut tampered = issued.token.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    assert!(jwt.verify(std::str::from_utf8(&tampered).unwrap()).is_err());
    // Revocation is checked on every request, cached or not.
    accepted_until_revoked(&jwt, &store, &issued).await;
    // An entry dies with its token.
    let short = jwt
        .issue_for_context(
            &AuthContext::builder("2").build(),
            TokenOptions::access().expires_in_secs(1),
        )
        .unwrap();
    assert!(jwt.verify(&short.token).is_ok());
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(
        jwt.verify(&short.token).unwrap_err(),
        Reason::Expired,
        "an expired token is not answered from the cache"
    );
}

#[test]
fn context_strings_read_back_exactly_escaped_or_not() {
    let jwt = hs_backend();
    // Plain and escaped strings alike.
    let exp = now() + 600;
    let raw = format!(
        r#"{{"sub":"a\"b\u00e9","exp":{exp},"iat":7,"username":"Zo\u00eb","jti":"j-1","fam":"f\\1","token_type":"access","roles":["r"]}}"#
    );
    for _ in 0..4 {
        // Verified, then answered from the cache.
        let ctx = jwt.verify(&hs(&raw)).unwrap();
        assert_eq!(ctx.user_id(), "a\"b\u{e9}");
        assert_eq!(ctx.name(), Some("Zo\u{eb}"));
        assert_eq!(ctx.raw_claims(), Some(raw.as_str()));
        let t = ctx.token().unwrap();
        assert_eq!(
            (
                t.jti.as_deref(),
                t.family.as_deref(),
                t.token_type,
                t.exp,
                t.iat
            ),
            (
                Some("j-1"),
                Some("f\\1"),
                Some(TokenKind::Access),
                Some(exp),
                Some(7)
            )
        );
        assert!(ctx.has_role("r") && !ctx.is_staff() && ctx.is_active());
    }
    // Long claims read back the same.
    let long = "n".repeat(400);
    let raw = format!(r#"{{"sub":"7","exp":{exp},"username":"{long}","jti":"j\u0031"}}"#);
    for _ in 0..4 {
        let ctx = jwt.verify(&hs(&raw)).unwrap();
        assert_eq!(ctx.user_id(), "7");
        assert_eq!(ctx.name(), Some(long.as_str()));
        assert_eq!(ctx.raw_claims(), Some(raw.as_str()));
        assert_eq!(ctx.token().unwrap().jti.as_deref(), Some("j1"));
    }
    // A token without the optional claims has none of them.
    let jwt = JwtConfig::hs256(SECRET)
        .dangerous_optional_exp()
        .build(None, None)
        .unwrap();
    let ctx = jwt.verify(&hs(r#"{"sub":"1"}"#)).unwrap();
    let t = ctx.token().unwrap();
    assert_eq!(
        (
            t.jti.as_deref(),
            t.family.as_deref(),
            t.token_type,
            t.exp,
            t.iat
        ),
        (None, None, None, None, None)
    );
    assert_eq!(ctx.name(), None);
}
