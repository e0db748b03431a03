//! Identity providers (issue #17), against a real identity provider on loopback: an actix-web
//! server that serves OpenID discovery and a JWKS it can rotate, take down, and count fetches of.
//! Requests go through a real actix-web app; the assertions are the statuses and bodies a client
//! sees.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{get, test, web, App, HttpResponse, HttpServer};
use auth_actix::prelude::*;
use auth_actix::test::TestRequestExt;
use auth_actix::{ClaimMapping, IdentityProvider};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tests::{now, status};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../auth-core/tests/keys/");

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(format!("{KEYS}{name}")).unwrap()
}

/// A signing key of the provider: its `kid`, algorithm and private key.
#[derive(Clone)]
struct Key {
    kid: &'static str,
    alg: Algorithm,
    enc: Arc<EncodingKey>,
}

fn key(kid: &'static str, alg: Algorithm) -> Key {
    let enc = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem("rsa_private.pem")),
        Algorithm::PS256 => EncodingKey::from_rsa_pem(&pem("rsa2_private.pem")),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem("ec256_private.pem")),
        Algorithm::ES384 => EncodingKey::from_ec_pem(&pem("ec384_private.pem")),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem("ed_private.pem")),
        other => panic!("no test key for {other:?}"),
    };
    Key {
        kid,
        alg,
        enc: Arc::new(enc.unwrap()),
    }
}

impl Key {
    fn jwk(&self) -> Value {
        let mut v =
            serde_json::to_value(Jwk::from_encoding_key(&self.enc, self.alg).unwrap()).unwrap();
        v["kid"] = json!(self.kid);
        v["use"] = json!("sig");
        v
    }

    fn sign(&self, claims: &Value) -> String {
        let mut h = Header::new(self.alg);
        h.kid = Some(self.kid.into());
        jsonwebtoken::encode(&h, claims, &self.enc).unwrap()
    }
}

/// The loopback identity provider.
#[derive(Default)]
struct State {
    issuer: Mutex<String>,
    /// The issuer the discovery document states (the real one when empty).
    stated_issuer: Mutex<Option<String>>,
    keys: Mutex<Vec<Value>>,
    /// Served instead of the JWKS when set.
    raw_jwks: Mutex<Option<String>>,
    down: AtomicBool,
    jwks_fetches: AtomicUsize,
}

struct Idp {
    state: web::Data<State>,
    issuer: String,
}

impl Idp {
    async fn start(keys: &[Value]) -> Idp {
        let state = web::Data::new(State::default());
        *state.keys.lock().unwrap() = keys.to_vec();
        let data = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/jwks", web::get().to(jwks))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let addr = server.addrs()[0];
        actix_rt::spawn(server.run());
        let issuer = format!("http://{addr}");
        *state.issuer.lock().unwrap() = issuer.clone();
        Idp { state, issuer }
    }

    fn set_keys(&self, keys: &[Value]) {
        *self.state.keys.lock().unwrap() = keys.to_vec();
    }

    fn fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    fn down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    fn claims(&self, sub: &str, extra: Value) -> Value {
        let mut c =
            json!({"iss": self.issuer, "sub": sub, "aud": "api", "exp": now() + 300, "iat": now()});
        if let (Some(c), Value::Object(extra)) = (c.as_object_mut(), extra) {
            c.extend(extra);
        }
        c
    }
}

async fn discovery(s: web::Data<State>) -> HttpResponse {
    if s.down.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().finish();
    }
    let real = s.issuer.lock().unwrap().clone();
    let stated = s
        .stated_issuer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or(real.clone());
    HttpResponse::Ok().json(json!({"issuer": stated, "jwks_uri": format!("{real}/jwks")}))
}

async fn jwks(s: web::Data<State>) -> HttpResponse {
    s.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    if s.down.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().finish();
    }
    if let Some(raw) = s.raw_jwks.lock().unwrap().clone() {
        return HttpResponse::Ok()
            .content_type("application/json")
            .body(raw);
    }
    HttpResponse::Ok().json(json!({"keys": *s.keys.lock().unwrap()}))
}

#[get("/me")]
#[guard(authenticated)]
async fn me(ctx: AuthContext) -> HttpResponse {
    let mut roles: Vec<_> = ctx.roles().map(str::to_owned).collect();
    roles.sort();
    let mut perms: Vec<_> = [
        "articles.read",
        "articles.write",
        "openid",
        "scope.read",
        "reports.view",
    ]
    .into_iter()
    .filter(|p| ctx.has_permission(p))
    .collect();
    perms.sort();
    HttpResponse::Ok().json(json!({"user": ctx.user_id(), "roles": roles, "permissions": perms}))
}

fn fast(p: IdentityProvider) -> IdentityProvider {
    p.unknown_kid_cooldown(Duration::from_secs(1))
        .fetch_timeout(Duration::from_secs(2))
}

fn config(jwt: JwtConfig) -> AuthConfig {
    AuthConfig::builder()
        .jwt(jwt.audience("api"))
        .roles(RoleMap::new().grant("editor", ["articles.write"]))
        .build()
        .unwrap()
}

macro_rules! app {
    ($cfg:expr) => {
        test::init_service(App::new().app_data($cfg.clone()).service(me)).await
    };
}

async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

macro_rules! get_me {
    ($app:expr, $token:expr) => {
        status(&$app, test::TestRequest::get().uri("/me").bearer(&$token)).await
    };
}

#[actix_rt::test]
async fn discovery_loads_every_key_type_and_refuses_what_a_remote_set_must_not_give() {
    let cfg_probe = config(JwtConfig::hs256(
        "a-secret-only-to-install-the-crypto-provider!",
    ));
    drop(cfg_probe);
    let keys = [
        key("rsa", Algorithm::RS256),
        key("ec256", Algorithm::ES256),
        key("ec384", Algorithm::ES384),
        key("ed", Algorithm::EdDSA),
    ];
    let mut jwks: Vec<Value> = keys.iter().map(Key::jwk).collect();
    // An `oct` key and an encryption key in the set: ignored, the rest still loads.
    jwks.push(
        json!({"kty": "oct", "kid": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}),
    );
    let mut enc = key("enc", Algorithm::PS256).jwk();
    enc["use"] = json!("enc");
    jwks.push(enc);
    let idp = Idp::start(&jwks).await;
    let cfg = config(JwtConfig::new().identity_provider(fast(IdentityProvider::oidc(&idp.issuer))));
    let app = app!(cfg);
    for k in &keys {
        let (code, body) = get_me!(app, k.sign(&idp.claims("u-1", json!({}))));
        assert_eq!(code, 200, "{:?}: {body}", k.alg);
        assert!(body.contains(r#""user":"u-1""#), "{body}");
    }
    // The `oct` key's bytes as an HMAC secret: refused (never a secret from a remote set).
    let oct = EncodingKey::from_secret(b"secret-secret-secret-secret-secret");
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("oct".into());
    let forged = jsonwebtoken::encode(&h, &idp.claims("admin", json!({})), &oct).unwrap();
    assert_eq!(get_me!(app, forged).0, 401);
    // Algorithm confusion: an HS256 token whose secret is the RSA key's public PEM.
    let public = EncodingKey::from_secret(&pem("rsa_public.pem"));
    h.kid = Some("rsa".into());
    let forged = jsonwebtoken::encode(&h, &idp.claims("admin", json!({})), &public).unwrap();
    let (code, body) = get_me!(app, forged);
    assert_eq!(code, 401, "{body}");
    // The encryption key never verifies.
    let (code, _) = get_me!(
        app,
        key("enc", Algorithm::PS256).sign(&idp.claims("u", json!({})))
    );
    assert_eq!(code, 401);
    // A token of another issuer, signed with this provider's key: refused without a fetch.
    let before = idp.fetches();
    let mut other = idp.claims("u", json!({}));
    other["iss"] = json!("https://someone-else.example");
    let (code, body) = get_me!(app, keys[0].sign(&other));
    assert_eq!((code, idp.fetches()), (401, before), "{body}");
    assert!(body.contains("wrong issuer"), "{body}");
}

#[actix_rt::test]
async fn rotation_is_picked_up_by_an_unknown_kid_and_by_the_interval() {
    drop(config(JwtConfig::hs256(
        "a-secret-only-to-install-the-crypto-provider!",
    )));
    let (r1, r2, e1) = (
        key("r1", Algorithm::RS256),
        key("r2", Algorithm::PS256),
        key("e1", Algorithm::ES256),
    );
    let idp = Idp::start(&[r1.jwk()]).await;
    let provider = IdentityProvider::oidc(&idp.issuer)
        .unknown_kid_cooldown(Duration::from_secs(60))
        .refresh_interval(Duration::from_secs(1));
    let cfg = config(JwtConfig::new().identity_provider(provider));
    let app = app!(cfg);
    let old = r1.sign(&idp.claims("u", json!({})));
    assert_eq!(get_me!(app, old).0, 200);
    // A new key, and a token signed with it at once: the unknown kid fetches, and passes.
    idp.set_keys(&[r1.jwk(), r2.jwk()]);
    let fetches = idp.fetches();
    let (code, body) = get_me!(app, r2.sign(&idp.claims("u", json!({}))));
    assert_eq!(code, 200, "{body}");
    assert!(idp.fetches() > fetches);
    // Within the cooldown, the next new key is found by the interval's refresh instead.
    idp.set_keys(&[r2.jwk(), e1.jwk()]);
    let n = idp.fetches();
    wait_until("the interval's refresh", || idp.fetches() > n).await;
    actix_rt::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(get_me!(app, e1.sign(&idp.claims("u", json!({})))).0, 200);
    // r1 left the set: its token, verified and cached before, is refused now.
    let (code, body) = get_me!(app, old);
    assert_eq!(code, 401, "{body}");
}

#[actix_rt::test]
async fn a_burst_of_unknown_kids_costs_one_fetch_and_a_provider_down_keeps_known_keys() {
    drop(config(JwtConfig::hs256(
        "a-secret-only-to-install-the-crypto-provider!",
    )));
    let r1 = key("r1", Algorithm::RS256);
    let idp = Idp::start(&[r1.jwk()]).await;
    let provider =
        IdentityProvider::oidc(&idp.issuer).unknown_kid_cooldown(Duration::from_secs(30));
    let cfg = config(JwtConfig::new().identity_provider(provider));
    let app = app!(cfg);
    let good = r1.sign(&idp.claims("u", json!({})));
    assert_eq!(get_me!(app, good).0, 200);
    let before = idp.fetches();
    let claims = idp.claims("u", json!({}));
    let tokens: Vec<String> = (0..1000)
        .map(|i| {
            let mut h = Header::new(Algorithm::RS256);
            h.kid = Some(format!("unknown-{i}"));
            jsonwebtoken::encode(&h, &claims, &r1.enc).unwrap()
        })
        .collect();
    let started = Instant::now();
    let answers = futures_util::future::join_all(tokens.iter().map(|t| {
        let app = &app;
        async move { get_me!(app, t).0 }
    }))
    .await;
    assert!(answers.iter().all(|&c| c == 401));
    assert!(
        idp.fetches() - before <= 1,
        "{} fetches for a burst",
        idp.fetches() - before
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // The provider goes down: known keys still verify, unknown kids are refused without a hang.
    idp.down(true);
    assert_eq!(get_me!(app, good).0, 200);
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some("another".into());
    let t = Instant::now();
    let (code, _) = get_me!(app, jsonwebtoken::encode(&h, &claims, &r1.enc).unwrap());
    assert_eq!(code, 401);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[actix_rt::test]
async fn a_provider_down_at_start_answers_503_then_recovers() {
    drop(config(JwtConfig::hs256(
        "a-secret-only-to-install-the-crypto-provider!",
    )));
    let r1 = key("r1", Algorithm::RS256);
    let idp = Idp::start(&[r1.jwk()]).await;
    idp.down(true);
    let cfg = config(JwtConfig::new().identity_provider(fast(IdentityProvider::oidc(&idp.issuer))));
    let app = app!(cfg);
    let token = r1.sign(&idp.claims("u", json!({})));
    let (code, body) = get_me!(app, token);
    assert_eq!(code, 503, "{body}");
    assert!(!body.contains(&token));
    idp.down(false);
    let start = Instant::now();
    loop {
        let (code, _) = get_me!(app, token);
        if code == 200 {
            break;
        }
        assert_eq!(code, 503);
        assert!(start.elapsed() < Duration::from_secs(10), "no recovery");
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_rt::test]
async fn documents_that_cannot_be_trusted_load_no_key() {
    drop(config(JwtConfig::hs256(
        "a-secret-only-to-install-the-crypto-provider!",
    )));
    let r1 = key("r1", Algorithm::RS256);
    // Discovery stating another issuer, an oversized JWKS, a malformed one: no key, 503.
    let lying = Idp::start(&[r1.jwk()]).await;
    *lying.state.stated_issuer.lock().unwrap() = Some("https://evil.example".into());
    let big = Idp::start(&[r1.jwk()]).await;
    *big.state.raw_jwks.lock().unwrap() =
        Some(format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(300_000)));
    let broken = Idp::start(&[r1.jwk()]).await;
    *broken.state.raw_jwks.lock().unwrap() = Some(r#"{"keys": [ {"kty": "RSA""#.into());
    for idp in [&lying, &big, &broken] {
        let cfg =
            config(JwtConfig::new().identity_provider(fast(IdentityProvider::oidc(&idp.issuer))));
        let app = app!(cfg);
        let (code, body) = get_me!(app, r1.sign(&idp.claims("u", json!({}))));
        assert_eq!(code, 503, "{body}");
    }

    // Two issuers on one backend: each verifies only its own tokens.
    let a = Idp::start(&[r1.jwk()]).await;
    let e1 = key("e1", Algorithm::ES256);
    let b = Idp::start(&[e1.jwk()]).await;
    let cfg = config(
        JwtConfig::new()
            .identity_provider(fast(IdentityProvider::oidc(&a.issuer)))
            .identity_provider(fast(IdentityProvider::oidc(&b.issuer))),
    );
    let app = app!(cfg);
    assert_eq!(get_me!(app, r1.sign(&a.claims("u", json!({})))).0, 200);
    assert_eq!(get_me!(app, e1.sign(&b.claims("u", json!({})))).0, 200);
    // A token stating issuer B, signed with A's key (whose kid B does not know).
    let (code, _) = get_me!(app, r1.sign(&b.claims("u", json!({}))));
    assert_eq!(code, 401);
    // Two sources for one issuer: refused when the configuration is built.
    let twice = AuthConfig::builder()
        .jwt(
            JwtConfig::new()
                .oidc(&a.issuer)
                .jwks(&format!("{}/jwks", a.issuer))
                .issuer(&a.issuer),
        )
        .build();
    let Err(err) = twice else {
        panic!("two sources for one issuer were accepted")
    };
    let err = err.to_string();
    assert!(err.contains("two JWT key sources"), "{err}");
}

#[actix_rt::test]
async fn presets_map_scopes_and_roles_and_refuse_malformed_claims() {
    drop(config(JwtConfig::hs256(
        "a-secret-only-to-install-the-crypto-provider!",
    )));
    let r1 = key("r1", Algorithm::RS256);
    let idp = Idp::start(&[r1.jwk()]).await;
    let iss = idp.issuer.clone();
    let cases: Vec<(IdentityProvider, Value, Value)> = vec![
        (
            IdentityProvider::keycloak(&iss, Some("api")),
            json!({"typ": "Bearer", "azp": "web", "aud": ["api", "account"], "scope": "openid articles.read",
                   "realm_access": {"roles": ["editor"]}, "resource_access": {"api": {"roles": ["auditor"]}}}),
            json!({"user": "u", "roles": ["auditor", "editor"], "permissions": ["articles.read", "articles.write", "openid"]}),
        ),
        (
            IdentityProvider::auth0(&iss, "https://api.example/roles"),
            json!({"scope": "openid", "permissions": ["reports.view"], "https://api.example/roles": ["editor"]}),
            json!({"user": "u", "roles": ["editor"], "permissions": ["articles.write", "openid", "reports.view"]}),
        ),
        (
            IdentityProvider::entra(&iss),
            json!({"oid": "object-id", "scp": "articles.read", "roles": ["editor"]}),
            json!({"user": "object-id", "roles": ["editor"], "permissions": ["articles.read", "articles.write"]}),
        ),
        (
            IdentityProvider::okta(&iss).map_claims(|m| m.scope_prefix("scope.")),
            json!({"scp": ["read"], "groups": ["editor"]}),
            json!({"user": "u", "roles": ["editor"], "permissions": ["articles.write", "scope.read"]}),
        ),
    ];
    for (provider, extra, expected) in cases {
        let cfg = config(JwtConfig::new().identity_provider(fast(provider)));
        let app = app!(cfg);
        let (code, body) = get_me!(app, r1.sign(&idp.claims("u", extra)));
        assert_eq!(code, 200, "{body}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), expected);
    }
    // A malformed mapped claim is a 401 invalid_token, never an empty grant.
    let cfg = config(JwtConfig::new().identity_provider(fast(
        IdentityProvider::oidc(&iss).claims(ClaimMapping::default()),
    )));
    let app = app!(cfg);
    let req = test::TestRequest::get()
        .uri("/me")
        .bearer(&r1.sign(&idp.claims("u", json!({"scope": ["articles.read"]}))));
    let resp = test::call_service(&app, req.to_request()).await;
    assert_eq!(resp.status(), 401);
    let www = resp
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(www.contains(r#"error="invalid_token""#), "{www}");
}
