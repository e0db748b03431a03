//! The JWT backend's splitter, header and claims decoding and validation, against the reference
//! rules: a straightforward `jsonwebtoken::decode` with the same key and the same checks.
//!
//! Input: first byte 0 -> the rest is the token itself (any bytes); otherwise the rest is the
//! claims part of a token *signed with the configured key*, so that claims are explored past the
//! signature. Property: a token our backend accepts is accepted by the reference, and the
//! identity is the reference's `sub`. Nothing unsigned by the key is ever accepted. (Found so
//! far: an `exp` beyond the u64 range used to saturate to "never expires"; now malformed.)

#![no_main]

use std::sync::OnceLock;

use auth_core::jwt::{JwtBackend, JwtConfig};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzzing-secret-that-is-long-enough-0123456";

fn backend() -> &'static JwtBackend {
    static B: OnceLock<JwtBackend> = OnceLock::new();
    B.get_or_init(|| {
        JwtConfig::hs256(SECRET)
            .no_cache()
            .build(None, None)
            .expect("the fuzz configuration builds")
    })
}

fn signed(claims: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let message = format!(
        "{}.{}",
        b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64.encode(claims)
    );
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(SECRET),
        Algorithm::HS256,
    )
    .expect("HMAC signs");
    format!("{message}.{signature}")
}

/// What the reference reads of the claims besides its own checks (other claims are skipped, as
/// the backend skips the claims it does not use).
#[derive(serde::Deserialize)]
struct Subject {
    sub: Option<String>,
}

/// Whether the token's claims hold an `exp`, `nbf` or `iat` that is a number but not a `u64`.
fn has_fractional_time(token: &str) -> bool {
    let Some(claims) = token.split('.').nth(1) else {
        return false;
    };
    let Ok(json) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims) else {
        return false;
    };
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(&json) else {
        return false;
    };
    ["exp", "nbf", "iat"]
        .iter()
        .filter_map(|k| map.get(*k))
        .any(|v| v.is_number() && v.as_u64().is_none())
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let token = if mode == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        signed(rest)
    };
    let ours = backend().verify(&token);
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_aud = false;
    let reference =
        jsonwebtoken::decode::<Subject>(&token, &DecodingKey::from_secret(SECRET), &validation);
    if let Ok(ctx) = ours {
        if has_fractional_time(&token) {
            // RFC 7519 allows a non-integer NumericDate and so do we; jsonwebtoken reads
            // time claims as integers only, so its verdict does not apply.
            return;
        }
        let claims = match reference {
            Ok(data) => data.claims,
            Err(e) => panic!("accepted a token the reference refuses ({e}): {token:?}"),
        };
        let sub = claims.sub.as_deref();
        assert_eq!(
            Some(ctx.user_id()),
            sub,
            "identity differs from `sub`: {token:?}"
        );
    }
});
