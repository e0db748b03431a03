//! The showcase's routes, each documented in the OpenAPI document (`GET /openapi.json`, from
//! `#[utoipa::path]` and, for their protection, from the same `#[auth]`/`#[guard]` that
//! enforce it), and the pages at `/` and `/docs`.

use actix_web::{get, post, web, HttpResponse};
use auth_actix::openapi::AuthAddon;
use auth_actix::prelude::*;
use serde::Deserialize;
use serde_json::json;
use utoipa::OpenApi;

/// A page to try the session login in a browser.
#[utoipa::path(get, path = "/", tag = "showcase", responses((status = 200, description = "A page to try the session login in a browser", content_type = "text/html")))]
#[get("/")]
async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("X-Frame-Options", "DENY"))
        .body(include_str!("page.html"))
}

#[utoipa::path(get, path = "/public", tag = "showcase", responses((status = 200, description = "Anyone may read this; the user id when credentials are sent")))]
#[get("/public")]
#[guard(allow_any)]
async fn public(ctx: Option<AuthContext>) -> web::Json<serde_json::Value> {
    web::Json(json!({
        "message": "anyone may read this",
        "user_id": ctx.as_ref().map(|c| c.user_id()),
    }))
}

#[utoipa::path(get, path = "/me", tag = "showcase", responses((status = 200, description = "The identity of the request")))]
#[get("/me")]
#[auth(jwt, api_key, session)]
async fn me(ctx: AuthContext) -> web::Json<serde_json::Value> {
    let mut permissions: Vec<String> = ctx.permissions().iter().collect();
    permissions.sort();
    web::Json(json!({
        "user_id": ctx.user_id(),
        "backend": ctx.backend(),
        "roles": ctx.roles().collect::<Vec<_>>(),
        "permissions": permissions,
        "is_staff": ctx.is_staff(),
        "is_superuser": ctx.is_superuser(),
    }))
}

#[utoipa::path(get, path = "/articles", tag = "showcase", responses((status = 200, description = "The articles")))]
#[get("/articles")]
#[guard(has_permission("articles.read"))]
async fn list_articles() -> web::Json<serde_json::Value> {
    web::Json(json!([{"id": 1, "title": "Declarative auth for actix-web"}]))
}

/// A new article.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewArticle {
    /// Its title.
    title: String,
}

#[utoipa::path(post, path = "/articles", tag = "showcase", request_body(content = NewArticle, content_type = "application/json"), responses((status = 201, description = "The article was created")))]
#[post("/articles")]
#[guard(has_permission("articles.write"))]
async fn create_article(ctx: AuthContext, body: web::Json<NewArticle>) -> HttpResponse {
    HttpResponse::Created().json(json!({"id": 2, "title": body.title, "author": ctx.user_id()}))
}

#[utoipa::path(get, path = "/staff", tag = "showcase", responses((status = 200, description = "Staff only")))]
#[get("/staff")]
#[guard(is_staff)]
async fn staff() -> web::Json<serde_json::Value> {
    web::Json(json!({"message": "staff only"}))
}

#[utoipa::path(get, path = "/admin", tag = "showcase", responses((status = 200, description = "Superusers only")))]
#[get("/admin")]
#[guard(is_superuser)]
async fn admin() -> web::Json<serde_json::Value> {
    web::Json(json!({"message": "superusers only"}))
}

#[utoipa::path(get, path = "/reports", tag = "showcase", responses((status = 200, description = "Reports")))]
#[get("/reports")]
#[guard(any(has_role("analyst"), has_permission("reports.view")))]
async fn reports() -> web::Json<serde_json::Value> {
    web::Json(json!({"reports": []}))
}

#[utoipa::path(get, path = "/jwt-only", tag = "showcase", responses((status = 200, description = "Only a JWT is accepted here")))]
#[get("/jwt-only")]
#[auth(jwt)]
async fn jwt_only(ctx: AuthContext) -> web::Json<serde_json::Value> {
    web::Json(json!({"user_id": ctx.user_id(), "backend": ctx.backend()}))
}

#[utoipa::path(get, path = "/key-only", tag = "showcase", responses((status = 200, description = "Only an API key is accepted here")))]
#[get("/key-only")]
#[auth(api_key)]
async fn key_only(ctx: AuthContext) -> web::Json<serde_json::Value> {
    web::Json(json!({"user_id": ctx.user_id(), "backend": ctx.backend()}))
}

/// The document's routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "auth-actix showcase",
        description = "The reference deployment of auth-actix: every route's authentication and guard as the library enforces them."
    ),
    paths(
        page,
        public,
        me,
        list_articles,
        create_article,
        staff,
        admin,
        reports,
        jwt_only,
        key_only,
        openapi_json,
        docs
    ),
    components(schemas(NewArticle))
)]
struct Api;

/// The OpenAPI document of the app configured with `auth`, its sessions' cookie named
/// `session_cookie`.
pub fn openapi(auth: &AuthConfig, session_cookie: &str) -> utoipa::openapi::OpenApi {
    let mut doc = Api::openapi();
    let addon = AuthAddon::new(auth)
        .session_cookie(session_cookie)
        .endpoints("/auth");
    utoipa::Modify::modify(&addon, &mut doc);
    doc
}

/// The document, computed once at start.
#[utoipa::path(get, path = "/openapi.json", tag = "docs", responses((status = 200, description = "This document (OpenAPI 3.1)", content_type = "application/json")))]
#[get("/openapi.json")]
async fn openapi_json(doc: web::Data<String>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.get_ref().clone())
}

/// A page listing the operations of `/openapi.json` with their security and guards; it is
/// part of this binary, nothing is downloaded to build or show it.
#[utoipa::path(get, path = "/docs", tag = "docs", responses((status = 200, description = "A page listing the operations with their security and guards", content_type = "text/html")))]
#[get("/docs")]
async fn docs() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("X-Frame-Options", "DENY"))
        .body(include_str!("docs.html"))
}

/// Every route of the showcase (the token and session endpoints are added by the caller).
pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(page)
        .service(public)
        .service(me)
        .service(list_articles)
        .service(create_article)
        .service(staff)
        .service(admin)
        .service(reports)
        .service(jwt_only)
        .service(key_only)
        .service(openapi_json)
        .service(docs);
}
