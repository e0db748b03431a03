//! The benchmarked server built with auth-actix: `ours PORT [redis]` (one worker). With
//! `redis`, revocations live in Redis (`REDIS_URL`, default `redis://127.0.0.1:6379`).
//!
//! Routes: `/public`, `/hs256`, `/rs256`, `/es256`, `/eddsa` (`#[auth(jwt_<alg>)]` +
//! `has_permission("articles.read")`), `/apikey` (`#[auth(api_key)]` + the same guard).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::{get, App, HttpServer};
use auth_actix::prelude::*;
use auth_actix::Algorithm;

#[get("/public")]
async fn public() -> &'static str {
    "ok"
}

#[get("/hs256")]
#[auth(jwt_hs256)]
#[guard(has_permission("articles.read"))]
async fn hs256() -> &'static str {
    "ok"
}

#[get("/rs256")]
#[auth(jwt_rs256)]
#[guard(has_permission("articles.read"))]
async fn rs256() -> &'static str {
    "ok"
}

#[get("/es256")]
#[auth(jwt_es256)]
#[guard(has_permission("articles.read"))]
async fn es256() -> &'static str {
    "ok"
}

#[get("/eddsa")]
#[auth(jwt_eddsa)]
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
    let auth = AuthConfig::builder()
        .jwt_named("jwt_hs256", bench::jwt_config(Algorithm::HS256))
        .jwt_named("jwt_rs256", bench::jwt_config(Algorithm::RS256))
        .jwt_named("jwt_es256", bench::jwt_config(Algorithm::ES256))
        .jwt_named("jwt_eddsa", bench::jwt_config(Algorithm::EdDSA))
        .api_keys(ApiKeys::new().key(bench::API_KEY, ["articles.read"]))
        .build()
        .map_err(std::io::Error::other)?;
    HttpServer::new(move || {
        App::new()
            .app_data(auth.clone())
            .service(public)
            .service(hs256)
            .service(rs256)
            .service(es256)
            .service(eddsa)
            .service(apikey)
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
