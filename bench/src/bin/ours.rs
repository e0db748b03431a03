//! The benchmarked server built with auth-actix: `ours PORT [redis | twins-swapped | jwks]` (one
//! worker). With `redis`, revocations live in Redis (`REDIS_URL`, default
//! `redis://127.0.0.1:6379`). With `jwks`, the `jwt` backend also takes the tokens of an identity
//! provider (issuer `bench-idp`) whose JWKS this process serves on another loopback port: the
//! keys are fetched over HTTP and held in the provider's swapped key set.
//!
//! Routes: `/public`, `/hs256`, `/rs256`, `/es256`, `/eddsa` (`#[auth(jwt)]` +
//! `has_permission("articles.read")`; one `jwt` backend holds the four keys, each bound to its
//! algorithm, so one verified-token cache serves them all, with its default capacity),
//! `/apikey` (`#[auth(api_key)]` + the same guard). Each protected route has a public twin
//! registered just before it (`/public/hs256`, ...): actix-web tries routes in order, so the
//! twin costs what the protected route costs to find, and their difference is authentication
//! alone. With `twins-swapped` each pair is registered the other way round, so that each twin
//! sits exactly where its protected route sits in a default instance: the side-by-side measure
//! compares a protected route with a twin on such an instance, both found after the same number
//! of failed matches.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::{get, App, HttpServer};
use auth_actix::prelude::*;
use auth_actix::{IdentityProvider, RedisRevocation};

#[get("/public")]
async fn public() -> &'static str {
    "ok"
}

/// Public twins: the same handler as `/public`, one per protected route, registered just
/// before it.
macro_rules! twins {
    ($($name:ident $path:literal),*) => {$(
        #[get($path)]
        async fn $name() -> &'static str {
            "ok"
        }
    )*};
}
twins!(
    public_hs256 "/public/hs256",
    public_rs256 "/public/rs256",
    public_es256 "/public/es256",
    public_eddsa "/public/eddsa",
    public_apikey "/public/apikey"
);

#[get("/hs256")]
#[auth(jwt)]
#[guard(has_permission("articles.read"))]
async fn hs256() -> &'static str {
    "ok"
}

#[get("/rs256")]
#[auth(jwt)]
#[guard(has_permission("articles.read"))]
async fn rs256() -> &'static str {
    "ok"
}

#[get("/es256")]
#[auth(jwt)]
#[guard(has_permission("articles.read"))]
async fn es256() -> &'static str {
    "ok"
}

#[get("/eddsa")]
#[auth(jwt)]
#[guard(has_permission("articles.read"))]
async fn eddsa() -> &'static str {
    "ok"
}

#[get("/apikey")]
#[auth(api_key)]
#[guard(has_permission("articles.read"))]
async fn apikey() -> &'static str {
    "ok"
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(18101);
    let mode = std::env::args().nth(2);
    let swapped = mode.as_deref() == Some("twins-swapped");
    let mut jwt = bench::jwt_config_all();
    if mode.as_deref() == Some("jwks") {
        let url = serve_jwks()?;
        jwt = jwt.identity_provider(IdentityProvider::jwks(&url).issuer(bench::IDP_ISSUER));
    }
    let mut builder = AuthConfig::builder()
        .jwt(jwt)
        .api_keys(ApiKeys::new().key(bench::API_KEY, ["articles.read"]));
    if mode.as_deref() == Some("redis") {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let store = RedisRevocation::new(&url)
            .map_err(std::io::Error::other)?
            .prefix(format!("bench{port}"))
            .start();
        // Measure the steady state: the local mirror fed by pub/sub, not the start-up fallback.
        if !store.wait_synced(std::time::Duration::from_secs(10)).await {
            return Err(std::io::Error::other(format!(
                "Redis at {url} did not sync"
            )));
        }
        builder = builder.revocation(store);
    }
    let auth = builder.build().map_err(std::io::Error::other)?;
    HttpServer::new(move || {
        App::new()
            .app_data(auth.clone())
            .service(public)
            .configure(|cfg| {
                // Each public twin and its protected route, in registration order.
                macro_rules! pair {
                    ($twin:ident, $protected:ident) => {
                        if swapped {
                            cfg.service($protected).service($twin);
                        } else {
                            cfg.service($twin).service($protected);
                        }
                    };
                }
                pair!(public_hs256, hs256);
                pair!(public_rs256, rs256);
                pair!(public_es256, es256);
                pair!(public_eddsa, eddsa);
                pair!(public_apikey, apikey);
            })
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}

/// Serves the identity provider's JWKS on a loopback port, one connection at a time; its URL.
fn serve_jwks() -> std::io::Result<String> {
    use std::io::{Read, Write};
    #[cfg(feature = "aws-lc-rs")]
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let body = bench::idp_jwks();
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/jwks", listener.local_addr()?);
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let _ = s.read(&mut [0u8; 2048]);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Ok(url)
}
