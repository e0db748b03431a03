use actix_web::{get, post, web};
use auth_actix::prelude::*;

#[get("/a")]
#[auth(jwt)]
#[guard(is_staff)]
async fn route_auth_guard() -> &'static str { "" }

#[get("/b")]
#[guard(is_staff)]
#[auth(jwt)]
async fn route_guard_auth() -> &'static str { "" }

#[auth(jwt)]
#[guard(is_staff)]
#[get("/c")]
async fn auth_guard_route() -> &'static str { "" }

#[guard(is_staff)]
#[auth(jwt)]
#[get("/d")]
async fn guard_auth_route() -> &'static str { "" }

#[auth(jwt)]
#[get("/e")]
#[guard(is_staff)]
async fn auth_route_guard() -> &'static str { "" }

/// Doc comments and other attributes are kept.
#[post("/f")]
#[auth]
#[allow(clippy::unused_async)]
pub async fn pub_handler(body: web::Json<u32>) -> String { body.to_string() }

#[guard(has_permissions("a.b", "a.c"), has_any_role("x", "y"))]
async fn plain_fn(ctx: AuthContext) -> String { ctx.user_id().to_owned() }

fn main() {
    let _ = (route_auth_guard, route_guard_auth, auth_guard_route, guard_auth_route, auth_route_guard, pub_handler);
    let _ = actix_web::web::get().to(plain_fn);
}
