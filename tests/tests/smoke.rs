use actix_web::{get, post, test, web, App};
use auth_actix::prelude::*;

#[derive(AuthUser, Clone, serde::Serialize, serde::Deserialize)]
struct User {
    id: i64,
    username: String,
    #[auth(roles)]
    groups: Vec<String>,
    permissions: Vec<String>,
    is_staff: bool,
    is_superuser: bool,
}

#[get("/profile")]
#[auth(jwt)]
async fn profile(user: Auth<User>) -> web::Json<User> {
    web::Json(user.into_inner())
}

#[post("/articles")]
#[auth(jwt, api_key)]
#[guard(has_permission("articles.write"))]
async fn create(ctx: AuthContext) -> String {
    format!("by {} via {}", ctx.user_id(), ctx.backend())
}

#[guard(any(
    is_staff,
    has_role("analyst"),
    all(has_permission("reports.view"), not(has_role("suspended")))
))]
#[get("/reports")]
async fn reports() -> &'static str {
    "ok"
}

#[actix_rt::test]
async fn smoke() {
    let auth = AuthConfig::builder()
        .jwt(JwtConfig::hs256(
            "test-secret-that-is-long-enough-0123456789",
        ))
        .api_keys(ApiKeys::new().key("sk-writer-0001", ["articles.write"]))
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(auth.clone())
            .service(profile)
            .service(create)
            .service(reports),
    )
    .await;
    let res = test::call_service(
        &app,
        test::TestRequest::post().uri("/articles").to_request(),
    )
    .await;
    assert_eq!(res.status(), 401);
    let res = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/articles")
            .insert_header(("X-API-Key", "sk-writer-0001"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body = test::read_body(res).await;
    assert_eq!(body, "by api_key:1 via api_key");
}
