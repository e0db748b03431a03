//! Trust boundaries (issue #31), through the showcase binary over real HTTP: an identity
//! provider on loopback signing tokens with its own keys (RS256 and Ed25519), the session and
//! CSRF rules, logout, and the shape of every error answer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use common::{now, provider, Answer, Showcase};

const RSA_PRIVATE: &[u8] = include_bytes!("../../auth-core/tests/keys/rsa_private.pem");
const ED_PRIVATE: &[u8] = include_bytes!("../../auth-core/tests/keys/ed_private.pem");
const SECRET: &str = "a-production-like-secret-of-40-bytes-0123";

/// A provider with an RSA key (`rs-1`, RS256) and an Ed25519 key published without `alg`
/// (`ed-1`), as current providers publish them.
struct Idp {
    rsa: EncodingKey,
    ed: EncodingKey,
    issuer: String,
}

impl Idp {
    /// `stated`: the issuer its discovery document states, when not its own URL.
    fn start(stated: Option<&str>) -> Idp {
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
        let rsa = EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap();
        let ed = EncodingKey::from_ed_pem(ED_PRIVATE).unwrap();
        let mut rs_jwk =
            serde_json::to_value(Jwk::from_encoding_key(&rsa, Algorithm::RS256).unwrap()).unwrap();
        rs_jwk["kid"] = json!("rs-1");
        let mut ed_jwk =
            serde_json::to_value(Jwk::from_encoding_key(&ed, Algorithm::EdDSA).unwrap()).unwrap();
        ed_jwk["kid"] = json!("ed-1");
        ed_jwk.as_object_mut().unwrap().remove("alg");
        let issuer = provider(json!({"keys": [rs_jwk, ed_jwk]}), stated.map(str::to_owned));
        Idp { rsa, ed, issuer }
    }

    /// Claims of a valid access token for the showcase, with `extra` added.
    fn claims(&self, extra: Value) -> Value {
        let mut c = json!({
            "iss": self.issuer, "sub": "idp-user", "aud": "showcase", "exp": now() + 300,
            "iat": now(), "jti": "idp-jti", "realm_access": {"roles": ["viewer"]},
        });
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    }

    /// An RS256 token with `typ` in its header when given.
    fn rs256(&self, claims: &Value, typ: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("rs-1".into());
        header.typ = typ.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.rsa).unwrap()
    }

    /// A token whose header names the algorithm `Ed25519` (RFC 9864), signed with the Ed25519 key.
    fn ed25519(&self, claims: &Value) -> String {
        let header = json!({"alg": "Ed25519", "kid": "ed-1", "typ": "JWT"});
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig =
            jsonwebtoken::crypto::sign(message.as_bytes(), &self.ed, Algorithm::EdDSA).unwrap();
        format!("{message}.{sig}")
    }

    fn showcase(&self, issuer: &str, more: &[(&str, &str)]) -> Showcase {
        let mut vars = vec![
            ("AUTH_JWT_SECRET", SECRET),
            ("AUTH_OIDC_ISSUER", issuer),
            ("AUTH_OIDC_AUDIENCE", "showcase"),
            ("RUST_LOG", "info"),
        ];
        vars.extend_from_slice(more);
        Showcase::start(&vars)
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn get(s: &Showcase, path: &str, token: &str) -> Answer {
    s.send("GET", path, &[("Authorization", &bearer(token))], "")
}

fn detail(a: &Answer) -> String {
    a.json()["detail"].as_str().unwrap_or_default().to_owned()
}

/// Item 1: A provider's token never enters this server's token lifecycle: a token with
/// `token_type: "refresh"` and a `fam` is not exchanged for local tokens, and a provider's access
/// token cannot log out or log out everywhere (its `sub` is not a local user's).
#[test]
fn a_provider_token_never_enters_the_token_lifecycle() {
    let idp = Idp::start(None);
    let s = idp.showcase(&idp.issuer, &[]);
    let refresh = idp.rs256(
        &idp.claims(json!({"token_type": "refresh", "fam": "f-1"})),
        None,
    );
    let body = json!({"refresh_token": refresh}).to_string();
    let a = s.send(
        "POST",
        "/auth/refresh",
        &[("Content-Type", "application/json")],
        &body,
    );
    assert_eq!(a.status, 401, "{}", a.body);
    assert!(detail(&a).contains("identity provider"), "{}", a.body);

    let access = idp.rs256(&idp.claims(json!({})), None);
    assert_eq!(
        get(&s, "/me", &access).status,
        200,
        "the token itself is fine"
    );
    for path in ["/auth/logout", "/auth/logout-all"] {
        let a = s.send("POST", path, &[("Authorization", &bearer(&access))], "");
        assert_eq!(a.status, 400, "{path}: {}", a.body);
        assert_eq!(a.json()["error"], "bad_request");
        assert!(detail(&a).contains("identity provider"), "{}", a.body);
    }
}

/// Item 2: Staff and superuser flags of a provider's token come only from where the mapping reads
/// them (off by default), never from the server's own claim names.
#[test]
fn a_providers_flags_come_only_from_its_mapping() {
    let idp = Idp::start(None);
    let s = idp.showcase(&idp.issuer, &[]);
    let t = idp.rs256(
        &idp.claims(json!({"is_superuser": true, "is_staff": true})),
        None,
    );
    assert_eq!(get(&s, "/admin", &t).status, 403);
    assert_eq!(get(&s, "/staff", &t).status, 403);
    drop(s);
    let s = idp.showcase(&idp.issuer, &[("AUTH_OIDC_STAFF_CLAIM", "app.staff")]);
    let staff = idp.rs256(&idp.claims(json!({"app": {"staff": true}})), None);
    assert_eq!(get(&s, "/staff", &staff).status, 200);
    assert_eq!(get(&s, "/admin", &staff).status, 403);
    let bad = idp.rs256(&idp.claims(json!({"app": {"staff": "yes"}})), None);
    let a = get(&s, "/me", &bad);
    assert_eq!(a.status, 401);
    assert_eq!(detail(&a), "the claim `app.staff` is not a boolean");
}

/// Item 3: Claims the mapping does not read are ignored whatever their shape; one it reads accepts
/// every documented shape and refuses another, naming the claim.
#[test]
fn claims_the_mapping_does_not_read_are_ignored() {
    let idp = Idp::start(None);
    let s = idp.showcase(&idp.issuer, &[]);
    let t = idp.rs256(
        &idp.claims(
            json!({"permissions": "articles.write", "roles": "admin", "token_type": "Bearer"}),
        ),
        None,
    );
    let a = s.send(
        "POST",
        "/articles",
        &[
            ("Authorization", &bearer(&t)),
            ("Content-Type", "application/json"),
        ],
        r#"{"title":"from a provider"}"#,
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let me = get(&s, "/me", &t).json();
    assert_eq!(me["roles"], json!(["viewer"]), "{me}");
    let bad = idp.rs256(
        &idp.claims(json!({"realm_access": {"roles": "editor"}})),
        None,
    );
    let a = get(&s, "/me", &bad);
    assert_eq!(a.status, 401);
    assert_eq!(
        detail(&a),
        "the claim `realm_access.roles` is not an array of strings"
    );
}

/// Item 4: An issuer configured with a trailing slash its discovery document does not state is
/// refused loudly: the log names both values, and tokens are refused as of the wrong issuer,
/// never "algorithm not allowed".
#[test]
fn an_issuer_is_compared_exactly_a_trailing_slash_included() {
    let idp = Idp::start(None);
    let configured = format!("{}/", idp.issuer);
    let s = idp.showcase(&configured, &[]);
    let t = idp.rs256(&idp.claims(json!({})), None);
    let a = get(&s, "/me", &t);
    assert_eq!(a.status, 401, "{}", a.body);
    assert_eq!(detail(&a), "wrong issuer");
    let start = std::time::Instant::now();
    while !s.log_text().contains("must be identical") {
        assert!(start.elapsed().as_secs() < 10, "{}", s.log_text());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Both values, as the log line quotes them inside its `reason`.
    let log = s.log_text();
    let quoted = |v: &str| format!(r#"\"{v}\""#);
    assert!(
        log.contains(&quoted(&idp.issuer)) && log.contains(&quoted(&configured)),
        "{log}"
    );
}

/// Item 5: An OpenID ID token is not an access token: refused by what only ID tokens carry, and,
/// where the provider marks its access tokens (`AUTH_OIDC_REQUIRE_AT_JWT`), by `typ`.
#[test]
fn an_id_token_is_not_an_access_token() {
    let idp = Idp::start(None);
    let s = idp.showcase(&idp.issuer, &[]);
    for marker in [
        json!({"nonce": "n-1"}),
        json!({"at_hash": "abc"}),
        json!({"typ": "ID"}),
    ] {
        let t = idp.rs256(&idp.claims(marker.clone()), None);
        let a = get(&s, "/me", &t);
        assert_eq!(a.status, 401, "{marker}");
        assert_eq!(detail(&a), "an OpenID ID token is not an access token");
    }
    let marked = idp.rs256(&idp.claims(json!({})), Some("at+jwt"));
    assert_eq!(get(&s, "/me", &marked).status, 200);
    drop(s);
    let s = idp.showcase(&idp.issuer, &[("AUTH_OIDC_REQUIRE_AT_JWT", "on")]);
    assert_eq!(get(&s, "/me", &marked).status, 200);
    let unmarked = idp.rs256(&idp.claims(json!({})), Some("JWT"));
    let a = get(&s, "/me", &unmarked);
    assert_eq!(a.status, 401);
    assert!(detail(&a).contains("at+jwt"), "{}", a.body);
}

/// Item 11: `Ed25519`, RFC 9864's name for EdDSA over Ed25519, is accepted where the key is one.
#[test]
fn ed25519_is_accepted_as_the_name_of_eddsa() {
    let idp = Idp::start(None);
    let s = idp.showcase(&idp.issuer, &[]);
    let t = idp.ed25519(&idp.claims(json!({})));
    let a = get(&s, "/me", &t);
    assert_eq!(a.status, 200, "{}", a.body);
}

/// A browser's session: its cookies and CSRF token.
struct Browser {
    cookies: String,
    csrf: String,
}

fn session_login(s: &Showcase, who: &str) -> Browser {
    let body = json!({"username": who, "password": format!("{who}-demo-password")}).to_string();
    let a = s.send(
        "POST",
        "/auth/session",
        &[
            ("Origin", &s.origin()),
            ("Content-Type", "application/json"),
        ],
        &body,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let (session, csrf) = (
        a.cookie("session").unwrap(),
        a.cookie("csrf_token").unwrap(),
    );
    Browser {
        cookies: format!("session={session}; csrf_token={csrf}"),
        csrf,
    }
}

fn post_article(s: &Showcase, cookies: &str, origin: &str, csrf: &str) -> u16 {
    s.send(
        "POST",
        "/articles",
        &[
            ("Cookie", cookies),
            ("Origin", origin),
            ("X-CSRF-Token", csrf),
            ("Content-Type", "application/json"),
        ],
        r#"{"title":"x"}"#,
    )
    .status
}

/// Items 6 and 7: An origin is scheme, host and port; the CSRF token is bound to the session.
#[test]
fn csrf_takes_the_exact_origin_and_the_sessions_own_token() {
    let s = Showcase::start(&[("RUST_LOG", "off")]);
    let alice = session_login(&s, "alice");
    let bob = session_login(&s, "bob");
    let host = format!("127.0.0.1:{}", s.port);
    for origin in [
        format!("https://{host}"),
        format!("foo://{host}"),
        "http://127.0.0.1".into(),
    ] {
        assert_eq!(
            post_article(&s, &alice.cookies, &origin, &alice.csrf),
            403,
            "{origin}"
        );
    }
    assert_eq!(
        post_article(&s, &alice.cookies, &s.origin(), &alice.csrf),
        201
    );
    // Bob's token with alice's session, and a made-up pair of cookie and header.
    assert_eq!(
        post_article(&s, &alice.cookies, &s.origin(), &bob.csrf),
        403
    );
    let session = alice.cookies.split(';').next().unwrap();
    let made_up = format!("{session}; csrf_token=made-up-token");
    assert_eq!(
        post_article(&s, &made_up, &s.origin(), "made-up-token"),
        403
    );
}

/// Item 8: `POST /auth/logout` with only a session cookie ends the session.
#[test]
fn logout_with_a_session_cookie_ends_the_session() {
    let s = Showcase::start(&[("RUST_LOG", "off")]);
    let alice = session_login(&s, "alice");
    let me = |cookies: &str| s.send("GET", "/me", &[("Cookie", cookies)], "").status;
    assert_eq!(me(&alice.cookies), 200);
    let a = s.send(
        "POST",
        "/auth/logout",
        &[
            ("Cookie", &alice.cookies),
            ("Origin", &s.origin()),
            ("X-CSRF-Token", &alice.csrf),
        ],
        "",
    );
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(me(&alice.cookies), 401, "the old cookie after logout");
}

/// Item 9: A request the CSRF check refuses is no session activity: cross-origin posts every
/// half second do not keep an idle session alive.
#[test]
fn a_refused_request_does_not_keep_a_session_alive() {
    let s = Showcase::start(&[("RUST_LOG", "off"), ("AUTH_SESSION_IDLE_SECS", "2")]);
    let alice = session_login(&s, "alice");
    for _ in 0..6 {
        std::thread::sleep(std::time::Duration::from_millis(500));
        // Refused by the CSRF check (403) while the session lives, then as expired (401).
        let status = post_article(&s, &alice.cookies, "http://evil.example", &alice.csrf);
        assert!(matches!(status, 401 | 403), "{status}");
    }
    let a = s.send("GET", "/me", &[("Cookie", &alice.cookies)], "");
    assert_eq!(a.status, 401, "{}", a.body);
    assert!(detail(&a).contains("inactivity"), "{}", a.body);
}

/// Item 10: Every error answer has the one JSON shape and is in the OpenAPI document; logout ends
/// what it says or says why not; refused session cookies are logged at a bounded rate.
#[test]
fn errors_answer_in_one_shape_and_logout_says_what_it_ended() {
    let s = Showcase::start(&[
        ("RUST_LOG", "info"),
        ("AUTH_API_KEYS", "sk-boundaries-test-01=articles.read"),
    ]);
    let login = s.send(
        "POST",
        "/auth/token",
        &[("Content-Type", "application/json")],
        r#"{"username":"alice","password":"alice-demo-password"}"#,
    );
    let pair = login.json();
    let (access, refresh) = (
        pair["access_token"].as_str().unwrap(),
        pair["refresh_token"].as_str().unwrap(),
    );
    let shape = |a: &Answer, status: u16, error: &str| {
        assert_eq!(a.status, status, "{}", a.body);
        assert_eq!(a.header("content-type"), Some("application/json"), "{a:?}");
        assert_eq!(a.json()["error"], error, "{}", a.body);
        assert!(a.json()["detail"].is_string(), "{}", a.body);
    };
    // A body logout cannot read is a 400, and nothing was ended.
    let broken = format!(r#"{{"refresh_token": "{refresh}""#);
    let a = s.send(
        "POST",
        "/auth/logout",
        &[("Authorization", &bearer(access))],
        &broken,
    );
    shape(&a, 400, "bad_request");
    let body = json!({"refresh_token": refresh}).to_string();
    let a = s.send(
        "POST",
        "/auth/refresh",
        &[("Content-Type", "application/json")],
        &body,
    );
    assert_eq!(a.status, 200, "the refresh token still works: {}", a.body);
    // An API key cannot be logged out: 400, saying so.
    let a = s.send(
        "POST",
        "/auth/logout",
        &[("X-API-Key", "sk-boundaries-test-01")],
        "",
    );
    shape(&a, 400, "bad_request");
    assert!(detail(&a).contains("api_key"), "{}", a.body);
    // A session login without a body asks for a username and a password.
    let a = s.send("POST", "/auth/session", &[("Origin", &s.origin())], "");
    assert!(matches!(a.status, 400 | 415), "{}", a.body);
    assert!(detail(&a).contains("username"), "{}", a.body);
    // A guarded route's body: not JSON (415), malformed (400), too large (413).
    let auth = bearer(access);
    let a = s.send(
        "POST",
        "/articles",
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        "x",
    );
    shape(&a, 415, "unsupported_media_type");
    let json_ct = ("Content-Type", "application/json");
    let a = s.send(
        "POST",
        "/articles",
        &[("Authorization", &auth), json_ct],
        "{",
    );
    shape(&a, 400, "bad_request");
    let big = format!(r#"{{"title":"{}"}}"#, "x".repeat(3 << 20));
    let a = s.send(
        "POST",
        "/articles",
        &[("Authorization", &auth), json_ct],
        &big,
    );
    shape(&a, 413, "payload_too_large");
    // The document lists them.
    let doc = s.send("GET", "/openapi.json", &[], "").json();
    let responses = &doc["paths"]["/articles"]["post"]["responses"];
    for status in ["400", "401", "403", "413", "415", "503"] {
        assert!(
            responses.get(status).is_some(),
            "POST /articles lacks {status}: {responses}"
        );
    }
    let logout = &doc["paths"]["/auth/logout"]["post"]["responses"];
    for status in ["204", "400", "401", "503"] {
        assert!(
            logout.get(status).is_some(),
            "POST /auth/logout lacks {status}: {logout}"
        );
    }
    // 300 bogus session cookies: a bounded number of log lines, not 300.
    let before = s.log_text().lines().count();
    for i in 0..300 {
        let cookie = format!("session=bogus-{i}");
        assert_eq!(s.send("GET", "/me", &[("Cookie", &cookie)], "").status, 401);
    }
    let lines = s.log_text().lines().count() - before;
    assert!(
        lines <= 60,
        "{lines} log lines for 300 refused session cookies"
    );
}
