//! JWT verification, table-driven: every algorithm family round trips, every rejection reason,
//! clock leeway, `exp` and `aud` rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_core::jwt::{Algorithm, JwtConfig, JwtKey, TokenOptions};
use auth_core::{AuthContext, Reason};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::EncodingKey;

mod common;

use common::*;

#[test]
fn every_algorithm_family_round_trips() {
    let rows: Vec<(&str, JwtKey)> = vec![
        ("HS256", JwtKey::hs256(SECRET).unwrap()),
        ("HS384", JwtKey::hs384(SECRET).unwrap()),
        ("HS512", JwtKey::hs512(SECRET).unwrap()),
        (
            "RS256",
            JwtKey::rsa_pem(&key("rsa_public.pem"), &[Algorithm::RS256])
                .unwrap()
                .with_private_pem(&key("rsa_private.pem"))
                .unwrap(),
        ),
        (
            "RS384",
            JwtKey::rsa_pem(&key("rsa_public.pem"), &[Algorithm::RS384])
                .unwrap()
                .with_private_pem(&key("rsa_private.pem"))
                .unwrap(),
        ),
        (
            "RS512",
            JwtKey::rsa_pem(&key("rsa_public.pem"), &[Algorithm::RS512])
                .unwrap()
                .with_private_pem(&key("rsa_private.pem"))
                .unwrap(),
        ),
        (
            "PS256",
            JwtKey::rsa_pem(&key("rsa_public.pem"), &[Algorithm::PS256])
                .unwrap()
                .with_private_pem(&key("rsa_private.pem"))
                .unwrap(),
        ),
        (
            "PS384",
            JwtKey::rsa_pem(&key("rsa_public.pem"), &[Algorithm::PS384])
                .unwrap()
                .with_private_pem(&key("rsa_private.pem"))
                .unwrap(),
        ),
        (
            "PS512",
            JwtKey::rsa_pem(&key("rsa_public.pem"), &[Algorithm::PS512])
                .unwrap()
                .with_private_pem(&key("rsa_private.pem"))
                .unwrap(),
        ),
        (
            "ES256",
            JwtKey::es256_pem(&key("ec256_public.pem"))
                .unwrap()
                .with_private_pem(&key("ec256_private.pem"))
                .unwrap(),
        ),
        (
            "ES384",
            JwtKey::ec_pem(&key("ec384_public.pem"), Algorithm::ES384)
                .unwrap()
                .with_private_pem(&key("ec384_private.pem"))
                .unwrap(),
        ),
        (
            "EdDSA",
            JwtKey::ed_pem(&key("ed_public.pem"))
                .unwrap()
                .with_private_pem(&key("ed_private.pem"))
                .unwrap(),
        ),
    ];
    for (name, k) in rows {
        let jwt = JwtConfig::new()
            .key(k)
            .issuer("iss-1")
            .audience("aud-1")
            .build(None, None)
            .unwrap();
        let who = AuthContext::builder("7")
            .name("alice")
            .roles(["editor"])
            .permissions(["articles.read"])
            .staff(true)
            .build();
        let issued = jwt
            .issue_for_context(
                &who,
                TokenOptions::access()
                    .with_permissions()
                    .claim("tenant", "acme"),
            )
            .unwrap();
        let header: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(issued.token.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], name, "case {name}: header alg");
        let ctx = jwt
            .verify(&issued.token)
            .unwrap_or_else(|r| panic!("case {name}: {r}"));
        assert_eq!(ctx.user_id(), "7", "case {name}");
        assert_eq!(ctx.name(), Some("alice"), "case {name}");
        assert!(ctx.is_staff() && !ctx.is_superuser(), "case {name}");
        assert!(
            ctx.has_role("editor") && ctx.has_permission("articles.read"),
            "case {name}"
        );
        assert_eq!(
            ctx.token().unwrap().jti.as_deref(),
            Some(issued.jti.as_str()),
            "case {name}"
        );
        let raw: serde_json::Value = ctx.claims().unwrap().unwrap();
        assert_eq!(raw["tenant"], "acme", "case {name}: extra claim kept");
        assert_eq!(raw["token_type"], "access", "case {name}");
        assert_eq!(raw["iss"], "iss-1", "case {name}");
        // Tamper with the claims: the signature no longer verifies.
        let mut parts: Vec<String> = issued.token.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(
            r#"{"sub":"1","exp":99999999999,"iss":"iss-1","aud":"aud-1","is_superuser":true}"#,
        );
        assert_eq!(
            jwt.verify(&parts.join(".")).unwrap_err(),
            Reason::InvalidSignature,
            "case {name}: tampered"
        );
    }
}

#[test]
fn rejection_reasons_table() {
    let jwt = JwtConfig::hs256(SECRET)
        .issuer("my-app")
        .audience("my-api")
        .build(None, None)
        .unwrap();
    let t = now();
    let ok = |extra: &str| {
        format!(
            r#"{{"sub":"42","iss":"my-app","aud":"my-api","exp":{}{extra}}}"#,
            t + 600
        )
    };
    let rows: Vec<(&str, String, Result<(), Reason>)> = vec![
        ("valid", hs(&ok("")), Ok(())),
        (
            "aud as array",
            hs(&format!(
                r#"{{"sub":"42","iss":"my-app","aud":["x","my-api"],"exp":{}}}"#,
                t + 600
            )),
            Ok(()),
        ),
        (
            "float exp",
            hs(&format!(
                r#"{{"sub":"42","iss":"my-app","aud":"my-api","exp":{}.5}}"#,
                t + 600
            )),
            Ok(()),
        ),
        (
            "expired",
            hs(&format!(
                r#"{{"sub":"42","iss":"my-app","aud":"my-api","exp":{}}}"#,
                t - 10
            )),
            Err(Reason::Expired),
        ),
        (
            "expires now",
            hs(&format!(
                r#"{{"sub":"42","iss":"my-app","aud":"my-api","exp":{}}}"#,
                t
            )),
            Err(Reason::Expired),
        ),
        (
            "not yet valid",
            hs(&ok(&format!(r#","nbf":{}"#, t + 300))),
            Err(Reason::NotYetValid),
        ),
        (
            "bad signature",
            sign_raw(
                r#"{"alg":"HS256"}"#,
                &ok(""),
                &EncodingKey::from_secret(OTHER_SECRET),
                Algorithm::HS256,
            ),
            Err(Reason::InvalidSignature),
        ),
        (
            "wrong audience",
            hs(&format!(
                r#"{{"sub":"42","iss":"my-app","aud":"other","exp":{}}}"#,
                t + 600
            )),
            Err(Reason::WrongAudience),
        ),
        (
            "wrong audience array",
            hs(&format!(
                r#"{{"sub":"42","iss":"my-app","aud":["a","b"],"exp":{}}}"#,
                t + 600
            )),
            Err(Reason::WrongAudience),
        ),
        (
            "missing audience",
            hs(&format!(
                r#"{{"sub":"42","iss":"my-app","exp":{}}}"#,
                t + 600
            )),
            Err(Reason::MissingClaim("aud")),
        ),
        (
            "wrong issuer",
            hs(&format!(
                r#"{{"sub":"42","iss":"evil","aud":"my-api","exp":{}}}"#,
                t + 600
            )),
            Err(Reason::WrongIssuer),
        ),
        (
            "missing issuer",
            hs(&format!(
                r#"{{"sub":"42","aud":"my-api","exp":{}}}"#,
                t + 600
            )),
            Err(Reason::MissingClaim("iss")),
        ),
        (
            "missing exp",
            hs(r#"{"sub":"42","iss":"my-app","aud":"my-api"}"#),
            Err(Reason::MissingClaim("exp")),
        ),
        (
            "string exp is malformed",
            hs(&format!(
                r#"{{"sub":"42","iss":"my-app","aud":"my-api","exp":"{}"}}"#,
                t + 600
            )),
            Err(Reason::Malformed("claims are not a valid JSON object")),
        ),
        (
            // Found by the jwt_verify fuzz target: it used to saturate to "never expires".
            "exp beyond the u64 range is malformed",
            hs(r#"{"sub":"42","iss":"my-app","aud":"my-api","exp":41222222222202444800}"#),
            Err(Reason::Malformed("claims are not a valid JSON object")),
        ),
        (
            "null exp is malformed",
            hs(r#"{"sub":"42","iss":"my-app","aud":"my-api","exp":null}"#),
            Err(Reason::Malformed("claims are not a valid JSON object")),
        ),
        (
            "string nbf is malformed",
            hs(&ok(r#","nbf":"0""#)),
            Err(Reason::Malformed("claims are not a valid JSON object")),
        ),
        (
            "string iat is malformed",
            hs(&ok(r#","iat":"0""#)),
            Err(Reason::Malformed("claims are not a valid JSON object")),
        ),
        (
            "duplicate claim",
            hs(&ok(r#","sub":"1""#)),
            Err(Reason::Malformed("claims are not a valid JSON object")),
        ),
        (
            "missing sub",
            hs(&format!(
                r#"{{"iss":"my-app","aud":"my-api","exp":{}}}"#,
                t + 600
            )),
            Err(Reason::MissingClaim("sub")),
        ),
        (
            "refresh token as access",
            hs(&ok(r#","token_type":"refresh","jti":"j","fam":"f""#)),
            Err(Reason::WrongTokenType),
        ),
        (
            "unknown token type",
            hs(&ok(r#","token_type":"id""#)),
            Err(Reason::WrongTokenType),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
                URL_SAFE_NO_PAD.encode(ok(""))
            ),
            Err(Reason::AlgorithmNotAllowed),
        ),
        (
            "alg None",
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"None"}"#),
                URL_SAFE_NO_PAD.encode(ok(""))
            ),
            Err(Reason::AlgorithmNotAllowed),
        ),
        (
            "alg not bound to key",
            sign_raw(
                r#"{"alg":"HS512"}"#,
                &ok(""),
                &EncodingKey::from_secret(SECRET),
                Algorithm::HS512,
            ),
            Err(Reason::AlgorithmNotAllowed),
        ),
        (
            "crit header",
            sign_raw(
                r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
                &ok(""),
                &EncodingKey::from_secret(SECRET),
                Algorithm::HS256,
            ),
            Err(Reason::UnsupportedCritical),
        ),
        (
            "jwk header is not trusted",
            sign_raw(
                r#"{"alg":"HS256","jwk":{"kty":"oct","k":"YW5vdGhlci1zZWNyZXQtdGhhdC1pcy1sb25nLWVub3VnaC05ODc2NTQ"}}"#,
                &ok(""),
                &EncodingKey::from_secret(OTHER_SECRET),
                Algorithm::HS256,
            ),
            Err(Reason::InvalidSignature),
        ),
        (
            "jku header is not trusted",
            sign_raw(
                r#"{"alg":"HS256","jku":"http://evil/keys"}"#,
                &ok(""),
                &EncodingKey::from_secret(OTHER_SECRET),
                Algorithm::HS256,
            ),
            Err(Reason::InvalidSignature),
        ),
        (
            "kid ignored without kid keys",
            sign_raw(
                r#"{"alg":"HS256","kid":"whatever"}"#,
                &ok(""),
                &EncodingKey::from_secret(SECRET),
                Algorithm::HS256,
            ),
            Ok(()),
        ),
        (
            "garbage",
            "not-a-token".to_owned(),
            Err(Reason::Malformed("expected three dot-separated parts")),
        ),
        (
            "four parts",
            format!("{}.x", hs(&ok(""))),
            Err(Reason::Malformed("expected three dot-separated parts")),
        ),
        (
            "header not base64",
            format!("!!!.{}.sig", URL_SAFE_NO_PAD.encode(ok(""))),
            Err(Reason::Malformed("header is not base64url")),
        ),
        (
            "header not json",
            format!(
                "{}.{}.sig",
                URL_SAFE_NO_PAD.encode("nope"),
                URL_SAFE_NO_PAD.encode(ok(""))
            ),
            Err(Reason::Malformed("header is not a JSON object with an alg")),
        ),
        (
            "signature not base64",
            format!(
                "{}.{}.!!",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#),
                URL_SAFE_NO_PAD.encode(ok(""))
            ),
            Err(Reason::Malformed("signature is not base64url")),
        ),
        (
            "claims not json",
            hs("not json"),
            Err(Reason::Malformed("claims are not a valid JSON object")),
        ),
        (
            "claims an array",
            hs("[1,2]"),
            Err(Reason::Malformed("claims are not a valid JSON object")),
        ),
        (
            "empty token",
            String::new(),
            Err(Reason::Malformed("expected three dot-separated parts")),
        ),
    ];
    for (name, token, expected) in rows {
        let got = jwt.verify(&token).map(|_| ());
        assert_eq!(got, expected, "case: {name}");
    }
}

#[test]
fn leeway_allows_small_clock_skew() {
    let jwt = JwtConfig::hs256(SECRET)
        .leeway_secs(30)
        .build(None, None)
        .unwrap();
    let t = now();
    assert!(jwt
        .verify(&hs(&format!(r#"{{"sub":"1","exp":{}}}"#, t - 10)))
        .is_ok());
    assert!(jwt
        .verify(&hs(&format!(
            r#"{{"sub":"1","exp":{},"nbf":{}}}"#,
            t + 60,
            t + 20
        )))
        .is_ok());
    assert_eq!(
        jwt.verify(&hs(&format!(r#"{{"sub":"1","exp":{}}}"#, t - 31)))
            .unwrap_err(),
        Reason::Expired
    );
}

#[test]
fn optional_exp_must_be_explicit() {
    let jwt = JwtConfig::hs256(SECRET)
        .dangerous_optional_exp()
        .build(None, None)
        .unwrap();
    assert!(jwt.verify(&hs(r#"{"sub":"1"}"#)).is_ok());
}

#[test]
fn token_with_aud_is_refused_when_no_audience_is_configured() {
    assert_eq!(
        hs_backend()
            .verify(&hs(&claims(r#""aud":"x""#)))
            .unwrap_err(),
        Reason::WrongAudience
    );
}
