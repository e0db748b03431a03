//! The showcase accepts an identity provider's tokens when `AUTH_OIDC_ISSUER` names one: a
//! provider on loopback (discovery and a JWKS over plain HTTP) and the showcase binary itself.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const RSA_PRIVATE: &[u8] = include_bytes!("../../auth-core/tests/keys/rsa_private.pem");

/// A provider on loopback: answers discovery and the JWKS, one connection at a time.
fn provider(jwks: Value) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let iss = issuer.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]);
            let body = if req.starts_with("GET /.well-known/openid-configuration") {
                json!({"issuer": iss, "jwks_uri": format!("{iss}/jwks")})
            } else {
                jwks.clone()
            }
            .to_string();
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    issuer
}

fn get(port: u16, path: &str, token: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let code = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (code, body)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_showcase_accepts_a_providers_tokens_with_mapped_roles_and_scopes() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let key = EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap();
    let mut jwk =
        serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap()).unwrap();
    jwk["kid"] = json!("kc-1");
    let issuer = provider(json!({"keys": [jwk]}));
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_showcase"))
            .env_clear()
            .env("AUTH_BIND", format!("127.0.0.1:{port}"))
            .env(
                "AUTH_JWT_SECRET",
                "a-production-like-secret-of-40-bytes-0123",
            )
            .env("AUTH_OIDC_ISSUER", &issuer)
            .env("AUTH_OIDC_AUDIENCE", "showcase")
            .env("RUST_LOG", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": issuer, "sub": "kc-user", "aud": ["showcase", "account"], "typ": "Bearer",
        "azp": "web", "exp": now + 300, "iat": now, "scope": "openid articles.read",
        "realm_access": {"roles": ["editor"]},
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("kc-1".into());
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();

    let start = Instant::now();
    let (code, body) = loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"");
            break get(port, "/me", &token);
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the showcase did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(code, 200, "{body}");
    let me: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(me["user_id"], "kc-user");
    assert_eq!(me["roles"], json!(["editor"]));
    let perms = me["permissions"].as_array().unwrap();
    assert!(perms.contains(&json!("articles.read")), "{me}");
    assert!(perms.contains(&json!("openid")), "{me}");
    assert_eq!(get(port, "/articles", &token).0, 200);
    // Another issuer's token, signed with the same key: refused.
    let mut other = claims.clone();
    other["iss"] = json!("https://elsewhere.example");
    let forged = jsonwebtoken::encode(&header, &other, &key).unwrap();
    assert_eq!(get(port, "/me", &forged).0, 401);
}
