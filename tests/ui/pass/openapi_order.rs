// `#[utoipa::path]` and `#[auth]`/`#[guard]` on one handler, in either order: both compile, and
// the route is recorded for the OpenAPI addon either way. (actix-web's `#[get]` turns the fn
// into a service, so `#[utoipa::path]` goes above it, as utoipa's documentation says.)
use actix_web::{get, HttpResponse};
use auth_actix::prelude::*;

#[utoipa::path(get, path = "/first", responses((status = 200, description = "ok")))]
#[get("/first")]
#[auth(jwt)]
#[guard(has_permission("a.read"))]
async fn utoipa_first(ctx: AuthContext) -> String {
    ctx.user_id().to_owned()
}

#[auth(jwt, api_key)]
#[guard(is_staff)]
#[utoipa::path(post, path = "/second", responses((status = 201, description = "created")))]
async fn auth_first() -> HttpResponse {
    HttpResponse::Created().finish()
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(utoipa_first, auth_first))]
struct Api;

fn main() {
    let _ = <Api as utoipa::OpenApi>::openapi();
    let names: Vec<&str> = auth_actix::openapi::routes().map(|r| r.name).collect();
    assert!(names.contains(&"utoipa_first") && names.contains(&"auth_first"));
    let _ = (utoipa_first, auth_first);
}
