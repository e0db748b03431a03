//! JWT verification and issuing, table-driven: every algorithm family, every rejection reason,
//! the key/algorithm binding, and issue-then-verify round trips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use auth_core::jwt::{Algorithm, JwtConfig, JwtKey, TokenKind, TokenOptions};
use auth_core::{
    AuthContext, ConfigError, InMemoryRevocation, Outcome, Reason, RevocationStore, SimpleRequest,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::EncodingKey;

const SECRET: &[u8] = b"test-secret-that-is-long-enough-0123456789";
const OTHER_SECRET: &[u8] = b"another-secret-that-is-long-enough-987654";

fn key(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).expect("test key")
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Signs arbitrary header and claims JSON, so that malformed tokens can be made.
fn sign_raw(header: &str, claims: &str, key: &EncodingKey, alg: Algorithm) -> String {
    let msg = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), key, alg).expect("sign");
    format!("{msg}.{sig}")
}

fn hs(claims: &str) -> String {
    sign_raw(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        claims,
        &EncodingKey::from_secret(SECRET),
        Algorithm::HS256,
    )
}

fn claims(extra: &str) -> String {
    let sep = if extra.is_empty() { "" } else { "," };
    format!(r#"{{"sub":"42","exp":{}{sep}{extra}}}"#, now() + 600)
}

fn hs_backend() -> auth_core::JwtBackend {
    JwtConfig::hs256(SECRET).build(None, None).unwrap()
}

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
    let rows: Vec<(&str, Result<auth_core::JwtBackend, ConfigError>, &str)> = vec![
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

#[tokio::test]
async fn revoked_tokens_are_refused() {
    let store = Arc::new(InMemoryRevocation::new());
    let jwt = JwtConfig::hs256(SECRET)
        .build(None, Some(store.clone() as Arc<dyn RevocationStore>))
        .unwrap();
    let issued = jwt
        .issue_for_context(&AuthContext::builder("1").build(), TokenOptions::access())
        .unwrap();
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
    let store = Arc::new(InMemoryRevocation::new());
    let jwt = JwtConfig::hs256(SECRET)
        .build(None, Some(store.clone() as Arc<dyn RevocationStore>))
        .unwrap();
    let issued = jwt
        .issue_for_context(&AuthContext::builder("1").build(), TokenOptions::access())
        .unwrap();
    let first = jwt.verify(&issued.token).unwrap();
    let second = jwt.verify(&issued.token).unwrap();
    assert_eq!((first.user_id(), second.user_id()), ("1", "1"));
    // A different string is never served from the cache, even one that differs by one byte.
    let mut tampered = issued.token.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    assert!(jwt.verify(std::str::from_utf8(&tampered).unwrap()).is_err());
    // Revocation is checked on every request, cached or not.
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
                t.token_type.as_deref(),
                t.exp,
                t.iat
            ),
            (
                Some("j-1"),
                Some("f\\1"),
                Some("access"),
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
            t.token_type.as_deref(),
            t.exp,
            t.iat
        ),
        (None, None, None, None, None)
    );
    assert_eq!(ctx.name(), None);
}
