//! Shared by the benchmark binaries: keys, claims and token minting.
//!
//! The keys are auth-core's test keys: never use them anywhere else.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_actix::{Algorithm, JwtConfig, JwtKey};
use jsonwebtoken::{DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};

/// The HS256 secret.
pub const SECRET: &[u8] = b"benchmark-secret-that-is-long-enough-012345";
/// RSA private key (PEM).
pub const RSA_PRIVATE: &[u8] = include_bytes!("../../auth-core/tests/keys/rsa_private.pem");
/// RSA public key (PEM).
pub const RSA_PUBLIC: &[u8] = include_bytes!("../../auth-core/tests/keys/rsa_public.pem");
/// P-256 private key (PEM).
pub const EC_PRIVATE: &[u8] = include_bytes!("../../auth-core/tests/keys/ec256_private.pem");
/// P-256 public key (PEM).
pub const EC_PUBLIC: &[u8] = include_bytes!("../../auth-core/tests/keys/ec256_public.pem");
/// Ed25519 private key (PEM).
pub const ED_PRIVATE: &[u8] = include_bytes!("../../auth-core/tests/keys/ed_private.pem");
/// Ed25519 public key (PEM).
pub const ED_PUBLIC: &[u8] = include_bytes!("../../auth-core/tests/keys/ed_public.pem");

/// The algorithms benchmarked.
pub const ALGS: [(&str, Algorithm); 4] = [
    ("hs256", Algorithm::HS256),
    ("rs256", Algorithm::RS256),
    ("es256", Algorithm::ES256),
    ("eddsa", Algorithm::EdDSA),
];

/// The claims both stacks read.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// Subject.
    pub sub: String,
    /// Expiry.
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// Token id.
    pub jti: String,
    /// Permissions.
    pub permissions: Vec<String>,
    /// Always "access".
    pub token_type: String,
}

/// The signing key for `alg`.
pub fn encoding_key(alg: Algorithm) -> EncodingKey {
    match alg {
        Algorithm::HS256 => EncodingKey::from_secret(SECRET),
        Algorithm::RS256 => EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap(),
        Algorithm::ES256 => EncodingKey::from_ec_pem(EC_PRIVATE).unwrap(),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(ED_PRIVATE).unwrap(),
        other => panic!("not benchmarked: {other:?}"),
    }
}

/// The verification key for `alg` (jsonwebtoken's type, for the peer).
pub fn decoding_key(alg: Algorithm) -> DecodingKey {
    match alg {
        Algorithm::HS256 => DecodingKey::from_secret(SECRET),
        Algorithm::RS256 => DecodingKey::from_rsa_pem(RSA_PUBLIC).unwrap(),
        Algorithm::ES256 => DecodingKey::from_ec_pem(EC_PUBLIC).unwrap(),
        Algorithm::EdDSA => DecodingKey::from_ed_pem(ED_PUBLIC).unwrap(),
        other => panic!("not benchmarked: {other:?}"),
    }
}

/// Our JWT configuration for `alg`.
pub fn jwt_config(alg: Algorithm) -> JwtConfig {
    let key = match alg {
        Algorithm::HS256 => JwtKey::hs256(SECRET),
        Algorithm::RS256 => JwtKey::rs256_pem(RSA_PUBLIC),
        Algorithm::ES256 => JwtKey::es256_pem(EC_PUBLIC),
        Algorithm::EdDSA => JwtKey::ed_pem(ED_PUBLIC),
        other => panic!("not benchmarked: {other:?}"),
    };
    JwtConfig::new().key(key.unwrap())
}

/// One JWT backend that verifies all four algorithms (each key bound to its own algorithm), as
/// the load benchmark's server registers it: one `jwt` backend, one verified-token cache.
pub fn jwt_config_all() -> JwtConfig {
    JwtConfig::new()
        .key(JwtKey::hs256(SECRET).unwrap())
        .key(JwtKey::rs256_pem(RSA_PUBLIC).unwrap())
        .key(JwtKey::es256_pem(EC_PUBLIC).unwrap())
        .key(JwtKey::ed_pem(ED_PUBLIC).unwrap())
}

/// Mints the `n`-th token for `alg` (distinct `sub` and `jti` per `n`).
pub fn mint(alg: Algorithm, n: usize) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = Claims {
        sub: format!("user-{n}"),
        exp: now + 3600,
        iat: now,
        jti: format!("jti-{n}"),
        permissions: vec!["articles.read".into(), "reports.view".into()],
        token_type: "access".into(),
    };
    jsonwebtoken::encode(&Header::new(alg), &claims, &encoding_key(alg)).unwrap()
}

/// The issuer of the tokens of the benchmark's identity provider (`ours PORT jwks`).
pub const IDP_ISSUER: &str = "bench-idp";
/// The `kid` of the identity provider's RS256 key.
pub const IDP_KID: &str = "idp-1";

/// Mints an RS256 token as the identity provider would: its `iss`, its `kid`, the same claims.
pub fn mint_idp(n: usize) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "iss": IDP_ISSUER, "sub": format!("user-{n}"), "exp": now + 3600, "iat": now,
        "jti": format!("idp-jti-{n}"), "permissions": ["articles.read", "reports.view"],
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(IDP_KID.into());
    jsonwebtoken::encode(&header, &claims, &encoding_key(Algorithm::RS256)).unwrap()
}

/// The identity provider's JWKS: the RS256 key under [`IDP_KID`].
pub fn idp_jwks() -> String {
    let key = encoding_key(Algorithm::RS256);
    let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
    let mut jwk = serde_json::to_value(jwk).unwrap();
    jwk["kid"] = IDP_KID.into();
    serde_json::json!({ "keys": [jwk] }).to_string()
}

/// The API key of the API-key route.
pub const API_KEY: &str = "sk-bench-reader-0001";
