//! The OpenAPI document of a small app, operation by operation: the security alternatives, the
//! guard (`x-guard`, `x-required-permissions`, the description) and the 401/403/503 responses,
//! for every guard kind, custom guards, a scope protected by `RequireAuth`, the token and
//! session endpoints, and what stays undocumented (a handler with no protection).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::{delete, get, post, HttpRequest, HttpResponse};
use auth_actix::extend::{Backend, BackendDoc, CredentialDoc, Outcome};
use auth_actix::openapi::AuthAddon;
use auth_actix::prelude::*;
use auth_actix::session::{SessionUsers, Sessions};
use auth_actix::RequireAuth;
use serde_json::{json, Value};
use utoipa::OpenApi;

#[utoipa::path(get, path = "/articles", responses((status = 200, description = "The articles")))]
#[get("/articles")]
#[guard(has_permission("articles.read"))]
async fn list_articles() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Create an article.
#[utoipa::path(post, path = "/articles", responses((status = 201, description = "Created")))]
#[post("/articles")]
#[auth(jwt, api_key)]
#[guard(has_permission("articles.write"))]
async fn create_article() -> HttpResponse {
    HttpResponse::Created().finish()
}

#[utoipa::path(get, path = "/public", responses((status = 200, description = "Anyone")))]
#[get("/public")]
#[guard(allow_any)]
async fn public_page(_ctx: Option<AuthContext>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[utoipa::path(get, path = "/reports", responses((status = 200, description = "Reports")))]
#[get("/reports")]
#[auth(session, jwt)]
#[guard(any(is_staff, has_role("analyst")))]
async fn reports() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[utoipa::path(get, path = "/exports", responses((status = 200, description = "Exports")))]
#[get("/exports")]
#[guard(all(
    has_permission("exports.read"),
    has_permissions("a.read", "b.read"),
    not(has_role("suspended"))
))]
async fn exports() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn owns_article(ctx: &AuthContext, req: &HttpRequest) -> bool {
    req.match_info().get("owner") == Some(ctx.user_id())
}

#[utoipa::path(delete, path = "/articles/{owner}", params(("owner" = String, Path)), responses((status = 204, description = "Deleted")))]
#[delete("/articles/{owner}")]
#[guard(custom(owns_article))]
async fn delete_article() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

#[utoipa::path(get, path = "/me", responses((status = 200, description = "Me"), (status = 401, description = "Our own words for it")))]
#[get("/me")]
#[auth(jwt)]
async fn me() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[utoipa::path(get, path = "/partner", responses((status = 200, description = "Partners")))]
#[get("/partner")]
#[auth(partner)]
#[guard(is_superuser)]
async fn partner() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Under `/admin`, which `RequireAuth` protects: the handler has no annotation of its own.
#[utoipa::path(get, path = "/admin/stats", responses((status = 200, description = "Stats")))]
#[get("/stats")]
async fn admin_stats() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[utoipa::path(get, path = "/health", responses((status = 200, description = "Up")))]
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[derive(OpenApi)]
#[openapi(paths(
    list_articles,
    create_article,
    public_page,
    reports,
    exports,
    delete_article,
    me,
    partner,
    admin_stats,
    health
))]
struct Api;

struct Partner;

impl Backend for Partner {
    async fn authenticate(&self, _: &(dyn RequestParts + Sync)) -> Outcome {
        Outcome::NoCredentials
    }

    fn describe(&self) -> BackendDoc {
        BackendDoc::new(
            CredentialDoc::Header("x-partner-id".into()),
            "Partner systems, by their id.",
        )
    }
}

#[derive(AuthUser)]
struct Nobody {
    id: String,
}

struct NoUsers;

impl SessionUsers for NoUsers {
    type User = Nobody;
    async fn load(&self, _: &str) -> Result<Option<Nobody>, UserLoadError> {
        Ok(None)
    }
}

fn admin_scope() -> RequireAuth {
    RequireAuth::defaults()
        .backends(["jwt"])
        .guard(Policy::is_superuser())
}

fn document() -> Value {
    let auth = AuthConfig::builder()
        .jwt(JwtConfig::hs256("openapi-test-secret-that-is-long-enough").cookie("access_token"))
        .api_keys(ApiKeys::new().key("sk-openapi-test-01", ["articles.read"]))
        .sessions(Sessions::new(NoUsers))
        .backend("partner", Partner)
        .default_backends(["jwt", "api_key"])
        .build()
        .unwrap();
    let mut doc = Api::openapi();
    let addon = AuthAddon::new(&auth)
        .scope("/admin", &admin_scope())
        .session_cookie("session")
        .endpoints("/auth");
    utoipa::Modify::modify(&addon, &mut doc);
    serde_json::to_value(&doc).unwrap()
}

fn op<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "no {method} {path} in {doc:#}");
    op
}

fn security(op: &Value) -> Vec<String> {
    op["security"]
        .as_array()
        .unwrap()
        .iter()
        .map(|alt| match alt.as_object().unwrap().keys().next() {
            Some(name) => name.clone(),
            None => "{}".into(),
        })
        .collect()
}

fn statuses(op: &Value) -> Vec<String> {
    op["responses"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn security_schemes_for_every_backend() {
    let doc = document();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearerAuth"]["type"], "http", "{schemes:#}");
    assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes["bearerAuth"]["bearerFormat"], "JWT");
    assert_eq!(
        schemes["jwt_cookie"],
        json!({"type": "apiKey", "in": "cookie", "name": "access_token",
               "description": schemes["jwt_cookie"]["description"]})
    );
    assert_eq!(schemes["apiKeyAuth"]["in"], "header");
    assert_eq!(schemes["apiKeyAuth"]["name"], "x-api-key");
    assert_eq!(schemes["sessionCookie"]["in"], "cookie");
    assert_eq!(schemes["sessionCookie"]["name"], "session");
    assert_eq!(schemes["partner"]["in"], "header");
    assert_eq!(schemes["partner"]["name"], "x-partner-id");
    assert!(schemes["partner"]["description"]
        .as_str()
        .unwrap()
        .contains("Partner systems, by their id."));
    assert_eq!(
        doc["components"]["schemas"]["AuthError"]["required"],
        json!(["error", "detail"])
    );
}

#[test]
fn each_operation_states_its_backends_and_guard() {
    let doc = document();

    // #[guard] only: the default backends, each with its schemes, in order.
    let list = op(&doc, "/articles", "get");
    assert_eq!(security(list), ["bearerAuth", "jwt_cookie", "apiKeyAuth"]);
    assert_eq!(list["x-guard"], r#"has_permission("articles.read")"#);
    assert_eq!(list["x-required-permissions"], json!(["articles.read"]));

    let create = op(&doc, "/articles", "post");
    assert_eq!(security(create), ["bearerAuth", "jwt_cookie", "apiKeyAuth"]);
    assert_eq!(create["x-required-permissions"], json!(["articles.write"]));
    let description = create["description"].as_str().unwrap();
    assert_eq!(create["summary"], "Create an article.");
    assert!(
        description.contains(r#"Requires authentication (jwt, api_key) and the guard `has_permission("articles.write")`."#),
        "{description}"
    );

    // allow_any: credentials are read when sent, and none is an alternative.
    let public = op(&doc, "/public", "get");
    assert_eq!(
        security(public),
        ["bearerAuth", "jwt_cookie", "apiKeyAuth", "{}"]
    );
    assert_eq!(public["x-guard"], "allow_any");
    assert_eq!(statuses(public), ["200"]);

    // The route's own order of backends.
    let reports_op = op(&doc, "/reports", "get");
    assert_eq!(
        security(reports_op),
        ["sessionCookie", "bearerAuth", "jwt_cookie"]
    );
    assert_eq!(
        reports_op["x-guard"],
        r#"any(is_staff, has_role("analyst"))"#
    );
    assert!(
        reports_op.get("x-required-permissions").is_none(),
        "no permission is required"
    );

    // A conjunction: every permission a caller must hold, whatever else it needs.
    let exports_op = op(&doc, "/exports", "get");
    assert_eq!(
        exports_op["x-required-permissions"],
        json!(["exports.read", "a.read", "b.read"])
    );
    assert_eq!(
        exports_op["x-guard"],
        r#"all(has_permission("exports.read"), has_permissions("a.read", "b.read"), not(has_role("suspended")))"#
    );

    // A custom guard is named.
    let delete = op(&doc, "/articles/{owner}", "delete");
    assert_eq!(delete["x-guard"], "custom(owns_article)");

    // A custom backend, by the name it was registered under.
    let partner_op = op(&doc, "/partner", "get");
    assert_eq!(security(partner_op), ["partner"]);
    assert_eq!(partner_op["x-guard"], "is_superuser");
}

#[test]
fn refusals_are_documented_unless_the_operation_says_otherwise() {
    let doc = document();
    let create = op(&doc, "/articles", "post");
    assert_eq!(statuses(create), ["201", "401", "403", "503"]);
    let unauthorized = &create["responses"]["401"];
    assert!(
        unauthorized["headers"]["WWW-Authenticate"].is_object(),
        "{unauthorized:#}"
    );
    assert_eq!(
        unauthorized["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/AuthError"
    );
    assert_eq!(
        create["responses"]["403"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/AuthError"
    );

    // `authenticated` cannot refuse an authenticated caller: no 403. The operation's own 401 stays.
    let me_op = op(&doc, "/me", "get");
    assert_eq!(statuses(me_op), ["200", "401", "503"]);
    assert_eq!(
        me_op["responses"]["401"]["description"],
        "Our own words for it"
    );
    assert_eq!(security(me_op), ["bearerAuth", "jwt_cookie"]);
    assert_eq!(me_op["x-guard"], "authenticated");
}

#[test]
fn a_scope_protected_by_require_auth_is_documented() {
    let doc = document();
    let stats = op(&doc, "/admin/stats", "get");
    assert_eq!(security(stats), ["bearerAuth", "jwt_cookie"]);
    assert_eq!(stats["x-guard"], "is_superuser");
    assert_eq!(statuses(stats), ["200", "401", "403", "503"]);
}

#[test]
fn a_handler_without_protection_stays_undocumented() {
    let doc = document();
    let health_op = op(&doc, "/health", "get");
    assert!(health_op.get("security").is_none(), "{health_op:#}");
    assert!(health_op.get("x-guard").is_none());
    assert_eq!(statuses(health_op), ["200"]);
}

#[test]
fn the_token_and_session_endpoints_are_documented() {
    let doc = document();
    let token = op(&doc, "/auth/token", "post");
    assert_eq!(
        statuses(token),
        ["200", "400", "401", "413", "415", "429", "503"]
    );
    assert!(token["responses"]["429"]["headers"]["Retry-After"].is_object());
    assert!(
        token.get("security").is_none(),
        "logging in needs no credentials"
    );
    let logout = op(&doc, "/auth/logout", "post");
    assert_eq!(security(logout), ["bearerAuth", "jwt_cookie", "apiKeyAuth"]);
    let login = op(&doc, "/auth/session", "post");
    assert!(login["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    let session_logout = op(&doc, "/auth/session", "delete");
    assert_eq!(security(session_logout), ["sessionCookie"]);
    assert!(op(&doc, "/auth/session/logout-all", "post")["security"].is_array());
    assert!(op(&doc, "/auth/me", "get")["security"].is_array());
}
