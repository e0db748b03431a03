//! The protection the macros generate, written by hand: the macros are sugar over a public API.
//!
//! - `Protect<S>` with a `RouteSpec` is exactly what `#[auth(..)]`/`#[guard(..)]` inject.
//! - `RequireAuth` protects whole scopes with a guard chosen at run time.
//!
//! Run: `cargo run -p examples --bin without_macros`, then e.g.
//! `curl -i -X POST localhost:8081/articles -H 'X-API-Key: sk-writer-0001' -d '{}' -H 'Content-Type: application/json'`.

use std::borrow::Cow;

use actix_web::{web, App, HttpServer};
use auth_actix::prelude::*;
use auth_actix::{Protect, RouteSpec};

/// What `#[auth(jwt, api_key)] #[guard(has_permission("articles.write"))]` declares.
struct WriteArticles;

impl RouteSpec for WriteArticles {
    const ROUTE: &'static str = "create_article";
    const BACKENDS: Option<&'static [&'static str]> = Some(&["jwt", "api_key"]);
    const POLICY: Option<&'static Policy> =
        Some(&Policy::HasPermission(Cow::Borrowed("articles.write")));
}

/// The guard comes first, so it runs before the body is read.
async fn create_article(
    _guard: Protect<WriteArticles>,
    ctx: AuthContext,
    body: web::Json<serde_json::Value>,
) -> String {
    format!(
        "created by {} via {}: {}",
        ctx.user_id(),
        ctx.backend(),
        body.0
    )
}

async fn whoami(ctx: AuthContext) -> String {
    format!("{} via {}", ctx.user_id(), ctx.backend())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let auth = AuthConfig::builder()
        .jwt(JwtConfig::hs256(
            std::env::var("AUTH_JWT_SECRET")
                .unwrap_or_else(|_| "a development secret of at least 32 bytes!".into()),
        ))
        .api_keys(
            ApiKeys::new()
                .key("sk-writer-0001", ["articles.write"])
                .key("sk-reader-0002", ["articles.read"]),
        )
        .build()
        .map_err(std::io::Error::other)?;
    println!("without_macros listening on http://127.0.0.1:8081");
    HttpServer::new(move || {
        App::new()
            .app_data(auth.clone())
            .route("/articles", web::post().to(create_article))
            .service(
                web::scope("/api")
                    // Every route below requires an identity with articles.read.
                    .wrap(RequireAuth::defaults().guard(Policy::has_permission("articles.read")))
                    .route("/whoami", web::get().to(whoami)),
            )
    })
    .bind(("127.0.0.1", 8081))?
    .run()
    .await
}
