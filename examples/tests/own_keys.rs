//! Issuing with the showcase's own rotating keys (issue #33), over real HTTP: the key directory
//! rotated next -> current -> retired -> removed while the server runs, the published JWKS
//! checked field by field, a second showcase that verifies the first's tokens through discovery
//! and follows the rotation, and PyJWT (installed from PyPI) verifying them with the JWKS it
//! fetches itself.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use common::{now, Answer, Showcase};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../auth-core/tests/keys");
const SECRET: &str = "a-production-like-secret-of-40-bytes-0123";

/// A key directory of the test's own, removed with it.
struct KeyDir(PathBuf);

impl KeyDir {
    fn new() -> KeyDir {
        let dir =
            std::env::temp_dir().join(format!("showcase-keys-{}-{}", std::process::id(), now()));
        std::fs::create_dir_all(&dir).unwrap();
        KeyDir(dir)
    }
    fn add(&self, kid: &str, file: &str) {
        std::fs::copy(
            Path::new(KEYS).join(file),
            self.0.join(format!("{kid}.pem")),
        )
        .unwrap();
    }
    fn remove(&self, kid: &str) {
        std::fs::remove_file(self.0.join(format!("{kid}.pem"))).unwrap();
    }
    fn current(&self, kid: &str) {
        std::fs::write(self.0.join("current"), format!("{kid}\n")).unwrap();
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for KeyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Logs alice in: (access token, refresh token).
fn login(s: &Showcase) -> (String, String) {
    let a = s.send(
        "POST",
        "/auth/token",
        &[("Content-Type", "application/json")],
        r#"{"username":"alice","password":"alice-demo-password"}"#,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let j = a.json();
    (
        j["access_token"].as_str().unwrap().to_owned(),
        j["refresh_token"].as_str().unwrap().to_owned(),
    )
}

fn header(token: &str) -> Value {
    let h = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap()
}

fn claims(token: &str) -> Value {
    let c = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(c).unwrap()).unwrap()
}

fn me(s: &Showcase, token: &str) -> Answer {
    s.send(
        "GET",
        "/me",
        &[("Authorization", &format!("Bearer {token}"))],
        "",
    )
}

fn refresh(s: &Showcase, token: &str) -> Answer {
    let body = json!({"refresh_token": token}).to_string();
    s.send(
        "POST",
        "/auth/refresh",
        &[("Content-Type", "application/json")],
        &body,
    )
}

fn jwks(s: &Showcase) -> Value {
    let a = s.send("GET", "/.well-known/jwks.json", &[], "");
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()
}

fn kids(jwks: &Value) -> Vec<String> {
    let mut kids: Vec<String> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    kids.sort();
    kids
}

/// Every member of every published key, by key type: public parts only.
fn assert_public_only(jwks: &Value) {
    for jwk in jwks["keys"].as_array().unwrap() {
        let allowed: &[&str] = match jwk["kty"].as_str().unwrap() {
            "RSA" => &["kty", "n", "e", "kid", "use", "alg"],
            "EC" => &["kty", "crv", "x", "y", "kid", "use", "alg"],
            "OKP" => &["kty", "crv", "x", "kid", "use", "alg"],
            other => panic!("a {other} key is published: {jwk}"),
        };
        for member in jwk.as_object().unwrap().keys() {
            assert!(
                allowed.contains(&member.as_str()),
                "{member} published in {jwk}"
            );
        }
    }
}

/// Waits until `check` holds, for at most 10 s.
fn until(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what} within 10 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// PyJWT (from PyPI) verifies `token` with the key its `PyJWKClient` fetched from `jwks_uri`:
/// the token's `sub`, or the error.
fn pyjwt(jwks_uri: &str, issuer: &str, token: &str) -> String {
    let installed = std::process::Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--root-user-action=ignore", "pyjwt[crypto]==2.15.1"])
        .status()
        .expect("python3 with pip (the machine's CPython)");
    assert!(installed.success(), "pip install pyjwt[crypto]");
    let script = r#"
import sys, jwt
uri, issuer, token = sys.argv[1:4]
key = jwt.PyJWKClient(uri).get_signing_key_from_jwt(token)
claims = jwt.decode(token, key, algorithms=["RS256", "ES256", "EdDSA"], issuer=issuer,
                    options={"verify_aud": False, "require": ["exp", "iss", "sub"]})
print(claims["sub"])
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, jwks_uri, issuer, token])
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    )
}

#[test]
fn keys_rotate_without_a_restart_and_another_service_follows() {
    // The workspace's tests enable both of jsonwebtoken's crypto backends: pick one.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let dir = KeyDir::new();
    dir.add("k1", "rsa_private.pem");
    dir.add("k2", "ec256_private.pem");
    dir.current("k1");
    let a = Showcase::start(&[
        ("AUTH_JWT_SECRET", SECRET),
        ("AUTH_JWT_SIGNING_KEY_DIR", dir.path()),
        ("AUTH_JWT_KEY_RELOAD_SECS", "1"),
        ("RUST_LOG", "info"),
    ]);
    let issuer = a.origin();

    // The published documents.
    let keys = a.send("GET", "/.well-known/jwks.json", &[], "");
    assert_eq!(keys.header("cache-control"), Some("public, max-age=1"));
    let published = keys.json();
    assert_eq!(kids(&published), ["k1", "k2"], "current and next");
    assert_public_only(&published);
    let discovery = a
        .send("GET", "/.well-known/openid-configuration", &[], "")
        .json();
    assert_eq!(discovery["issuer"], issuer);
    let jwks_uri = format!("{issuer}/.well-known/jwks.json");
    assert_eq!(discovery["jwks_uri"], jwks_uri);
    assert_eq!(discovery["token_endpoint"], format!("{issuer}/auth/token"));

    // Tokens signed by the current key, stating the server's issuer.
    let (t1, r1) = login(&a);
    let (_, r1_unused) = login(&a);
    assert_eq!(
        (header(&t1)["kid"].as_str(), header(&t1)["alg"].as_str()),
        (Some("k1"), Some("RS256"))
    );
    assert_eq!(claims(&t1)["iss"], issuer);
    assert_eq!(me(&a, &t1).status, 200);
    assert_eq!(
        pyjwt(&jwks_uri, &issuer, &t1),
        "1",
        "PyJWT verifies the first key's token"
    );
    // The HS256 secret keeps verifying the tokens it signs.
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": "1", "iss": issuer, "exp": now() + 60}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(me(&a, &hs).status, 200);

    // A second service that takes the first as its identity provider.
    let b = Showcase::start(&[
        (
            "AUTH_JWT_SECRET",
            "the-second-services-own-secret-of-40-bytes",
        ),
        ("AUTH_OIDC_ISSUER", &issuer),
        ("AUTH_JWKS_REFRESH_SECS", "1"),
        ("RUST_LOG", "info"),
    ]);
    until("the second service accepts the first's token", || {
        me(&b, &t1).status == 200
    });
    assert_eq!(me(&b, &t1).json()["user_id"], "1");

    // Rotation: k2 signs (SIGHUP), k1 is retired and keeps verifying its tokens.
    dir.current("k2");
    a.signal("HUP");
    let mut t2 = String::new();
    until("new logins signed by k2", || {
        t2 = login(&a).0;
        header(&t2)["kid"] == "k2"
    });
    assert_eq!(header(&t2)["alg"], "ES256");
    assert_eq!(me(&a, &t1).status, 200, "a retired key's token");
    assert_eq!(me(&a, &t2).status, 200);
    assert_eq!(
        me(&b, &t2).status,
        200,
        "the second service follows the rotation"
    );
    assert_eq!(
        pyjwt(&jwks_uri, &issuer, &t2),
        "1",
        "PyJWT verifies the new key's token"
    );
    let renewed = refresh(&a, &r1);
    assert_eq!(
        renewed.status, 200,
        "a refresh token of the retired key: {}",
        renewed.body
    );
    assert_eq!(
        header(renewed.json()["access_token"].as_str().unwrap())["kid"],
        "k2"
    );

    // A next key is published before it signs; a removed key verifies nothing any more, cached
    // tokens included, here and, after its next refresh, at the second service.
    dir.add("k3", "ed_private.pem");
    until("k3 published", || kids(&jwks(&a)) == ["k1", "k2", "k3"]);
    dir.remove("k1");
    until("k1 no longer published", || kids(&jwks(&a)) == ["k2", "k3"]);
    assert_public_only(&jwks(&a));
    let gone = me(&a, &t1);
    assert_eq!(gone.status, 401, "{}", gone.body);
    assert_eq!(
        refresh(&a, &r1_unused).status,
        401,
        "a refresh token of a removed key"
    );
    assert_eq!(me(&a, &t2).status, 200);
    until("the second service refuses the removed key's token", || {
        me(&b, &t1).status == 401
    });
    assert_eq!(me(&b, &t2).status, 200);

    // A malformed directory keeps the keys in use, and says why.
    dir.current("no-such-key");
    a.signal("HUP");
    until("the error is logged", || {
        a.log_text().contains("could not be read")
    });
    assert_eq!(
        header(&login(&a).0)["kid"],
        "k2",
        "the previous ring still signs"
    );
    assert_eq!(kids(&jwks(&a)), ["k2", "k3"]);
    std::fs::write(dir.0.join("k4.pem"), "not a key").unwrap();
    dir.current("k3");
    a.signal("HUP");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        header(&login(&a).0)["kid"],
        "k2",
        "a malformed key file changes nothing"
    );
    std::fs::remove_file(dir.0.join("k4.pem")).unwrap();
    until("k3 signs once the directory reads", || {
        header(&login(&a).0)["kid"] == "k3"
    });
    assert_eq!(header(&login(&a).0)["alg"], "EdDSA");
}
