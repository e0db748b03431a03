//! Keys and algorithms: a key verifies only the algorithms it is bound to (the RSA-key-as-HMAC
//! confusion, HS256 against HS512), selection by `kid`, rotation, and configuration errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_core::jwt::{Algorithm, JwtConfig, JwtKey, TokenOptions};
use auth_core::{AuthContext, ConfigError, Reason};
use jsonwebtoken::EncodingKey;

mod common;

use common::*;

#[test]
fn rsa_public_key_as_hmac_secret_is_rejected() {
    let pem = key("rsa_public.pem");
    // The classic confusion attack: an HS256 token whose HMAC key is the server's RSA public key.
    let forged = sign_raw(
        r#"{"alg":"HS256"}"#,
        &claims(""),
        &EncodingKey::from_secret(&pem),
        Algorithm::HS256,
    );
    let rsa_only = JwtConfig::new()
        .key(JwtKey::rs256_pem(&pem).unwrap())
        .build(None, None)
        .unwrap();
    assert_eq!(
        rsa_only.verify(&forged).unwrap_err(),
        Reason::AlgorithmNotAllowed
    );
    // With an HMAC key configured too, the token is checked against that secret only.
    let both = JwtConfig::hs256(SECRET)
        .key(JwtKey::rs256_pem(&pem).unwrap())
        .build(None, None)
        .unwrap();
    assert_eq!(both.verify(&forged).unwrap_err(), Reason::InvalidSignature);
    // And binding a public key to an HMAC algorithm is refused at build time.
    let err = JwtKey::rsa_pem(&pem, &[Algorithm::HS256]).unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::AlgorithmKeyMismatch {
                alg: Algorithm::HS256,
                ..
            }
        ),
        "{err}"
    );
    let err = JwtKey::hmac(SECRET, &[Algorithm::RS256]).unwrap_err();
    assert!(
        matches!(err, ConfigError::AlgorithmKeyMismatch { .. }),
        "{err}"
    );
}

#[test]
fn hs256_secret_does_not_verify_hs512_unless_configured() {
    let hs512 = sign_raw(
        r#"{"alg":"HS512"}"#,
        &claims(""),
        &EncodingKey::from_secret(SECRET),
        Algorithm::HS512,
    );
    assert_eq!(
        hs_backend().verify(&hs512).unwrap_err(),
        Reason::AlgorithmNotAllowed
    );
    let both = JwtConfig::new()
        .key(JwtKey::hmac(SECRET, &[Algorithm::HS256, Algorithm::HS512]).unwrap())
        .build(None, None)
        .unwrap();
    assert!(both.verify(&hs512).is_ok());
}

#[test]
fn key_selection_by_kid() {
    let k1 = JwtKey::hs256(SECRET).unwrap().kid("k1");
    let k2 = JwtKey::rs256_pem(&key("rsa_public.pem"))
        .unwrap()
        .with_private_pem(&key("rsa_private.pem"))
        .unwrap()
        .kid("k2");
    let jwt = JwtConfig::new().key(k1).key(k2).build(None, None).unwrap();
    let rsa = EncodingKey::from_rsa_pem(&key("rsa_private.pem")).unwrap();
    let hmac = EncodingKey::from_secret(SECRET);
    let rows: Vec<(&str, String, Result<(), Reason>)> = vec![
        (
            "kid k2 with RS256",
            sign_raw(
                r#"{"alg":"RS256","kid":"k2"}"#,
                &claims(""),
                &rsa,
                Algorithm::RS256,
            ),
            Ok(()),
        ),
        (
            "kid k1 with HS256",
            sign_raw(
                r#"{"alg":"HS256","kid":"k1"}"#,
                &claims(""),
                &hmac,
                Algorithm::HS256,
            ),
            Ok(()),
        ),
        (
            "kid k1 with RS256",
            sign_raw(
                r#"{"alg":"RS256","kid":"k1"}"#,
                &claims(""),
                &rsa,
                Algorithm::RS256,
            ),
            Err(Reason::AlgorithmNotAllowed),
        ),
        (
            "unknown kid",
            sign_raw(
                r#"{"alg":"HS256","kid":"k9"}"#,
                &claims(""),
                &hmac,
                Algorithm::HS256,
            ),
            Err(Reason::UnknownKey),
        ),
        (
            "missing kid",
            sign_raw(r#"{"alg":"HS256"}"#, &claims(""), &hmac, Algorithm::HS256),
            Err(Reason::UnknownKey),
        ),
    ];
    for (name, token, expected) in rows {
        assert_eq!(jwt.verify(&token).map(|_| ()), expected, "case: {name}");
    }
    // Issued tokens carry the signing key's kid.
    let issued = jwt
        .issue_for_context(&AuthContext::builder("1").build(), TokenOptions::access())
        .unwrap();
    assert!(jwt.verify(&issued.token).is_ok());
}

#[test]
fn rotation_without_kid_tries_each_key_of_the_algorithm() {
    let jwt = JwtConfig::hs256(SECRET)
        .try_key(JwtKey::hs256(OTHER_SECRET))
        .build(None, None)
        .unwrap();
    let old = sign_raw(
        r#"{"alg":"HS256"}"#,
        &claims(""),
        &EncodingKey::from_secret(OTHER_SECRET),
        Algorithm::HS256,
    );
    assert!(jwt.verify(&old).is_ok());
    assert!(jwt.verify(&hs(&claims(""))).is_ok());
}

#[test]
fn configuration_errors_table() {
    let pem = key("rsa_public.pem");
    let rows: Vec<(&str, Result<auth_core::jwt::JwtBackend, ConfigError>, &str)> = vec![
        (
            "weak secret",
            JwtConfig::hs256(b"short").build(None, None),
            "at least 32",
        ),
        (
            "31 bytes",
            JwtConfig::hs256([b'a'; 31]).build(None, None),
            "31 bytes",
        ),
        (
            "no key",
            JwtConfig::new().build(None, None),
            "no verification key",
        ),
        (
            "mixed kid",
            JwtConfig::hs256(SECRET)
                .key(JwtKey::rs256_pem(&pem).unwrap().kid("a"))
                .build(None, None),
            "some JWT keys have a kid",
        ),
        (
            "duplicate kid",
            JwtConfig::new()
                .key(JwtKey::hs256(SECRET).unwrap().kid("a"))
                .key(JwtKey::rs256_pem(&pem).unwrap().kid("a"))
                .build(None, None),
            "share the kid",
        ),
        (
            "bad pem",
            JwtConfig::new()
                .try_key(JwtKey::rs256_pem(b"nope"))
                .build(None, None),
            "could not be read",
        ),
        (
            "bad header",
            JwtConfig::hs256(SECRET).header("X Token").build(None, None),
            "not a valid HTTP header name",
        ),
    ];
    for (name, result, needle) in rows {
        let err = result.expect_err(name).to_string();
        assert!(err.contains(needle), "case {name}: {err}");
    }
    assert!(
        JwtConfig::hs256([b'a'; 32]).build(None, None).is_ok(),
        "32 bytes is enough"
    );
}

/// With a key per algorithm and no `kid`, a token is checked only with the keys bound to its
/// `alg`: an HS256 token signed with the HS512 key's secret is refused, although that secret
/// would verify it as HMAC.
#[test]
fn a_token_is_checked_only_with_the_keys_of_its_algorithm() {
    let jwt = JwtConfig::new()
        .key(JwtKey::hs256(SECRET).unwrap())
        .key(JwtKey::hs512(OTHER_SECRET).unwrap())
        .build(None, None)
        .unwrap();
    let sign = |secret: &[u8], alg| {
        sign_raw(
            &format!(r#"{{"alg":"{alg:?}"}}"#),
            &claims(""),
            &EncodingKey::from_secret(secret),
            alg,
        )
    };
    assert!(jwt.verify(&sign(SECRET, Algorithm::HS256)).is_ok());
    assert!(jwt.verify(&sign(OTHER_SECRET, Algorithm::HS512)).is_ok());
    assert_eq!(
        jwt.verify(&sign(OTHER_SECRET, Algorithm::HS256))
            .unwrap_err(),
        Reason::InvalidSignature
    );
    assert_eq!(
        jwt.verify(&sign(SECRET, Algorithm::HS512)).unwrap_err(),
        Reason::InvalidSignature
    );
}
