//! Tokens at their edges, as an issuer or an attacker can write them: the header's size bound,
//! time claims as negative, fractional and out-of-range JSON numbers, and refresh tokens missing
//! one of their claims. Each case names what the verifier must make of it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_core::jwt::{Algorithm, JwtConfig, JwtKey};
use auth_core::Reason;
use auth_core::TokenKind;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::EncodingKey;

mod common;

use common::*;

/// `exp`, `nbf` and `iat` are NumericDates: any JSON number, read to the whole second below it;
/// anything a `u64` of seconds cannot hold is malformed, not "never expires".
#[test]
fn time_claims_at_their_edges() {
    let jwt = hs_backend();
    let t = now();
    let rows: Vec<(&str, String, Result<(), Reason>)> = vec![
        (
            "negative exp has expired",
            r#"{"sub":"1","exp":-1}"#.into(),
            Err(Reason::Expired),
        ),
        (
            "exp of 2^64 is out of range",
            r#"{"sub":"1","exp":18446744073709551616}"#.into(),
            Err(Reason::Malformed("claims are not a valid JSON object")),
        ),
        (
            "exp of 1e300 is out of range",
            r#"{"sub":"1","exp":1e300}"#.into(),
            Err(Reason::Malformed("claims are not a valid JSON object")),
        ),
        (
            "exp just below 2^64 never expires",
            r#"{"sub":"1","exp":18446744073709549568.0}"#.into(),
            Ok(()),
        ),
        (
            "negative fractional exp has expired",
            r#"{"sub":"1","exp":-0.5}"#.into(),
            Err(Reason::Expired),
        ),
        (
            "exp null is malformed",
            r#"{"sub":"1","exp":null}"#.into(),
            Err(Reason::Malformed("claims are not a valid JSON object")),
        ),
        (
            "a fractional exp in the current second has expired",
            format!(r#"{{"sub":"1","exp":{t}.999}}"#),
            Err(Reason::Expired),
        ),
        (
            "nbf of this very second is valid",
            format!(r#"{{"sub":"1","exp":{},"nbf":{t}}}"#, t + 60),
            Ok(()),
        ),
        (
            "iat of this very second is valid",
            format!(r#"{{"sub":"1","exp":{},"iat":{t}}}"#, t + 60),
            Ok(()),
        ),
        (
            "iat_ms in another second than iat",
            format!(
                r#"{{"sub":"1","exp":{},"iat":{t},"iat_ms":{}}}"#,
                t + 60,
                (t - 5) * 1000
            ),
            Err(Reason::Malformed("`iat_ms` does not match `iat`")),
        ),
        (
            "negative nbf is in the past",
            format!(r#"{{"sub":"1","exp":{},"nbf":-5}}"#, t + 60),
            Ok(()),
        ),
    ];
    for (name, claims, expected) in rows {
        assert_eq!(
            jwt.verify(&hs(&claims)).map(|_| ()),
            expected,
            "case: {name}"
        );
    }
}

/// A negative `iat` reads as the epoch: the token's issue time is known (second 0), which a
/// logout-everywhere stamp is compared with; it is not a token without an issue time.
#[test]
fn negative_iat_reads_as_the_epoch() {
    let ctx = hs_backend()
        .verify(&hs(&format!(
            r#"{{"sub":"1","exp":{},"iat":-7}}"#,
            now() + 60
        )))
        .unwrap();
    let info = ctx.token().unwrap();
    assert_eq!(info.iat, Some(0));
    assert_eq!(info.issued_at_ms, Some(999));
}

/// The header is decoded into a fixed buffer of 1,024 bytes: a header of exactly that size is
/// read, one byte more is refused as too large (not as bad base64).
#[test]
fn the_header_size_bound_is_exact() {
    let header = |len: usize| {
        let start = r#"{"alg":"HS256","pad":""#;
        let pad = "a".repeat(len - start.len() - 2);
        format!(r#"{start}{pad}"}}"#)
    };
    let token = |len: usize| {
        let h = header(len);
        assert_eq!(h.len(), len);
        sign_raw(
            &h,
            &claims(""),
            &EncodingKey::from_secret(SECRET),
            Algorithm::HS256,
        )
    };
    let jwt = hs_backend();
    assert!(jwt.verify(&token(1024)).is_ok());
    assert_eq!(
        jwt.verify(&token(1025)).unwrap_err(),
        Reason::Malformed("header too large")
    );
}

/// A refresh token needs both its id (`jti`, spent on use) and its family (`fam`, revoked on
/// reuse): without either it is refused, naming the one missing.
#[test]
fn a_refresh_token_needs_its_id_and_its_family() {
    let jwt = hs_backend();
    let refresh = |extra: &str| hs(&claims(&format!(r#""token_type":"refresh"{extra}"#)));
    let ctx = jwt
        .verify_kind(&refresh(r#","jti":"j","fam":"f""#), TokenKind::Refresh)
        .unwrap();
    let token = ctx.token().unwrap();
    assert_eq!(token.token_type, Some(TokenKind::Refresh));
    assert_eq!(token.family.as_deref(), Some("f"));
    assert_eq!(
        jwt.verify_kind(&refresh(r#","jti":"j""#), TokenKind::Refresh)
            .unwrap_err(),
        Reason::MissingClaim("fam")
    );
    assert_eq!(
        jwt.verify_kind(&refresh(r#","fam":"f""#), TokenKind::Refresh)
            .unwrap_err(),
        Reason::MissingClaim("jti")
    );
    assert_eq!(
        jwt.verify_kind(&refresh(""), TokenKind::Refresh)
            .unwrap_err(),
        Reason::MissingClaim("jti")
    );
}

/// A signature that is valid base64url but not a signature of the key's kind (too short for
/// ECDSA or EdDSA, empty for RSA) is a bad signature, not a malformed token, and never a pass.
#[test]
fn a_signature_of_the_wrong_shape_is_a_bad_signature() {
    let cases = [
        (
            "ES256",
            JwtKey::es256_pem(&key("ec256_public.pem")).unwrap(),
        ),
        ("EdDSA", JwtKey::ed_pem(&key("ed_public.pem")).unwrap()),
        ("RS256", JwtKey::rs256_pem(&key("rsa_public.pem")).unwrap()),
    ];
    for (alg, k) in cases {
        let jwt = JwtConfig::new().key(k).build(None, None).unwrap();
        let head = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}"}}"#)),
            URL_SAFE_NO_PAD.encode(claims(""))
        );
        for sig in ["AAAA", ""] {
            assert_eq!(
                jwt.verify(&format!("{head}.{sig}")).unwrap_err(),
                Reason::InvalidSignature,
                "{alg} with signature {sig:?}"
            );
        }
    }
}
