//! What the JWT test files share: the test secrets and keys, and tokens signed from raw JSON.

// Each test file uses a part of it.
#![allow(dead_code)]

use auth_core::jwt::{Algorithm, JwtConfig};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::EncodingKey;

pub const SECRET: &[u8] = b"test-secret-that-is-long-enough-0123456789";
pub const OTHER_SECRET: &[u8] = b"another-secret-that-is-long-enough-987654";

pub fn key(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).expect("test key")
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Signs arbitrary header and claims JSON, so that malformed tokens can be made.
pub fn sign_raw(header: &str, claims: &str, key: &EncodingKey, alg: Algorithm) -> String {
    let msg = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), key, alg).expect("sign");
    format!("{msg}.{sig}")
}

pub fn hs(claims: &str) -> String {
    sign_raw(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        claims,
        &EncodingKey::from_secret(SECRET),
        Algorithm::HS256,
    )
}

pub fn claims(extra: &str) -> String {
    let sep = if extra.is_empty() { "" } else { "," };
    format!(r#"{{"sub":"42","exp":{}{sep}{extra}}}"#, now() + 600)
}

pub fn hs_backend() -> auth_core::jwt::JwtBackend {
    JwtConfig::hs256(SECRET).build(None, None).unwrap()
}
