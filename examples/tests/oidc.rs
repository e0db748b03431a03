//! The showcase accepts an identity provider's tokens when `AUTH_OIDC_ISSUER` names one: a
//! provider on loopback (discovery and a JWKS over plain HTTP) and the showcase binary itself.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use common::{now, provider, Showcase};

const RSA_PRIVATE: &[u8] = include_bytes!("../../auth-core/tests/keys/rsa_private.pem");

#[test]
fn the_showcase_accepts_a_providers_tokens_with_mapped_roles_and_scopes() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let key = EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap();
    let mut jwk =
        serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap()).unwrap();
    jwk["kid"] = json!("kc-1");
    let issuer = provider(json!({"keys": [jwk]}), None);
    let showcase = Showcase::start(&[
        (
            "AUTH_JWT_SECRET",
            "a-production-like-secret-of-40-bytes-0123",
        ),
        ("AUTH_OIDC_ISSUER", &issuer),
        ("AUTH_OIDC_AUDIENCE", "showcase"),
        ("RUST_LOG", "off"),
    ]);
    let now = now();
    let claims = json!({
        "iss": issuer, "sub": "kc-user", "aud": ["showcase", "account"], "typ": "Bearer",
        "azp": "web", "exp": now + 300, "iat": now, "scope": "openid articles.read",
        "realm_access": {"roles": ["editor"]},
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("kc-1".into());
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();

    let get = |path: &str, token: &str| {
        let a = showcase.send(
            "GET",
            path,
            &[("Authorization", &format!("Bearer {token}"))],
            "",
        );
        (a.status, a.body)
    };
    let (code, body) = get("/me", &token);
    assert_eq!(code, 200, "{body}");
    let me: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(me["user_id"], "kc-user");
    assert_eq!(me["roles"], json!(["editor"]));
    let perms = me["permissions"].as_array().unwrap();
    assert!(perms.contains(&json!("articles.read")), "{me}");
    assert!(perms.contains(&json!("openid")), "{me}");
    assert_eq!(get("/articles", &token).0, 200);
    // Another issuer's token, signed with the same key: refused.
    let mut other = claims.clone();
    other["iss"] = json!("https://elsewhere.example");
    let forged = jsonwebtoken::encode(&header, &other, &key).unwrap();
    assert_eq!(get("/me", &forged).0, 401);
}
