use super::*;
use crate::SimpleRequest;

fn staff() -> AuthContext {
    AuthContext::builder("1")
        .staff(true)
        .roles(["editor"])
        .permissions(["articles.*"])
        .build()
}
fn plain() -> AuthContext {
    AuthContext::builder("2")
        .roles(["viewer"])
        .permissions(["articles.read"])
        .build()
}
fn root() -> AuthContext {
    AuthContext::builder("0").superuser(true).build()
}
fn inactive() -> AuthContext {
    AuthContext::builder("3").active(false).build()
}
fn owner_is_user_1(ctx: &AuthContext, req: &dyn RequestParts) -> bool {
    req.path() == "/articles/1" && ctx.user_id() == "1"
}

#[derive(Debug, PartialEq)]
enum D {
    Allow,
    E401,
    E403(String),
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn run(p: &Policy, ctx: Option<&AuthContext>) -> D {
    let req = SimpleRequest::new("GET", "/articles/1");
    match block_on(p.decide(ctx, &req)) {
        Decision::Allow => D::Allow,
        Decision::Unauthenticated => D::E401,
        Decision::Forbidden(g) => D::E403(g.to_string()),
    }
}

#[test]
fn guard_table() {
    let s = staff();
    let u = plain();
    let r = root();
    let i = inactive();
    let f403 = |s: &str| D::E403(s.to_owned());
    let rows: Vec<(&str, Policy, Option<&AuthContext>, D)> = vec![
        ("allow_any anonymous", Policy::allow_any(), None, D::Allow),
        ("allow_any user", Policy::allow_any(), Some(&u), D::Allow),
        (
            "authenticated anonymous",
            Policy::authenticated(),
            None,
            D::E401,
        ),
        (
            "authenticated user",
            Policy::authenticated(),
            Some(&u),
            D::Allow,
        ),
        (
            "perm granted",
            Policy::has_permission("articles.read"),
            Some(&u),
            D::Allow,
        ),
        (
            "perm denied",
            Policy::has_permission("articles.write"),
            Some(&u),
            f403("has_permission(\"articles.write\")"),
        ),
        (
            "perm wildcard",
            Policy::has_permission("articles.write"),
            Some(&s),
            D::Allow,
        ),
        (
            "perm superuser",
            Policy::has_permission("anything.x"),
            Some(&r),
            D::Allow,
        ),
        (
            "perm anonymous",
            Policy::has_permission("articles.read"),
            None,
            D::E401,
        ),
        (
            "perms all ok",
            Policy::has_permissions(["articles.read", "articles.write"]),
            Some(&s),
            D::Allow,
        ),
        (
            "perms all one missing",
            Policy::has_permissions(["articles.read", "articles.write"]),
            Some(&u),
            f403("has_permissions(\"articles.read\", \"articles.write\")"),
        ),
        (
            "any perm ok",
            Policy::has_any_permission(["x.y", "articles.read"]),
            Some(&u),
            D::Allow,
        ),
        (
            "any perm none",
            Policy::has_any_permission(["x.y", "z.w"]),
            Some(&u),
            f403("has_any_permission(\"x.y\", \"z.w\")"),
        ),
        ("role ok", Policy::has_role("editor"), Some(&s), D::Allow),
        (
            "role denied",
            Policy::has_role("editor"),
            Some(&u),
            f403("has_role(\"editor\")"),
        ),
        (
            "role superuser is not a role",
            Policy::has_role("editor"),
            Some(&r),
            f403("has_role(\"editor\")"),
        ),
        (
            "any role ok",
            Policy::has_any_role(["x", "viewer"]),
            Some(&u),
            D::Allow,
        ),
        (
            "any role none",
            Policy::has_any_role(["x", "y"]),
            Some(&u),
            f403("has_any_role(\"x\", \"y\")"),
        ),
        ("staff ok", Policy::is_staff(), Some(&s), D::Allow),
        (
            "staff denied",
            Policy::is_staff(),
            Some(&u),
            f403("is_staff"),
        ),
        ("superuser ok", Policy::is_superuser(), Some(&r), D::Allow),
        (
            "superuser denied",
            Policy::is_superuser(),
            Some(&s),
            f403("is_superuser"),
        ),
        ("active ok", Policy::is_active(), Some(&u), D::Allow),
        (
            "active denied",
            Policy::is_active(),
            Some(&i),
            f403("is_active"),
        ),
        (
            "all ok",
            Policy::all([Policy::is_staff(), Policy::has_role("editor")]),
            Some(&s),
            D::Allow,
        ),
        (
            "all names first failure",
            Policy::all([
                Policy::authenticated(),
                Policy::is_staff(),
                Policy::has_role("x"),
            ]),
            Some(&u),
            f403("is_staff"),
        ),
        ("all empty passes", Policy::all([]), Some(&u), D::Allow),
        (
            "any ok",
            Policy::any([Policy::is_staff(), Policy::has_role("viewer")]),
            Some(&u),
            D::Allow,
        ),
        (
            "any fails as a whole",
            Policy::any([Policy::is_staff(), Policy::has_role("x")]),
            Some(&u),
            f403("any(is_staff, has_role(\"x\"))"),
        ),
        ("any empty fails", Policy::any([]), Some(&u), f403("any()")),
        (
            "any with allow_any anonymous",
            Policy::any([Policy::is_staff(), Policy::allow_any()]),
            None,
            D::Allow,
        ),
        (
            "not ok",
            Policy::not(Policy::has_role("suspended")),
            Some(&u),
            D::Allow,
        ),
        (
            "not denied",
            Policy::not(Policy::has_role("viewer")),
            Some(&u),
            f403("not(has_role(\"viewer\"))"),
        ),
        (
            "not anonymous is 401",
            Policy::not(Policy::has_role("suspended")),
            None,
            D::E401,
        ),
        (
            "nested design example",
            Policy::any([
                Policy::is_staff(),
                Policy::has_role("analyst"),
                Policy::all([
                    Policy::has_permission("articles.read"),
                    Policy::not(Policy::has_role("suspended")),
                ]),
            ]),
            Some(&u),
            D::Allow,
        ),
        (
            "custom ok",
            Policy::custom(CustomGuard::new("owner", owner_is_user_1)),
            Some(&s),
            D::Allow,
        ),
        (
            "custom denied",
            Policy::custom(CustomGuard::new("owner", owner_is_user_1)),
            Some(&u),
            f403("custom(owner)"),
        ),
        (
            "custom anonymous",
            Policy::custom(CustomGuard::new("owner", owner_is_user_1)),
            None,
            D::E401,
        ),
    ];
    for (name, policy, ctx, expected) in rows {
        assert_eq!(run(&policy, ctx), expected, "case: {name}");
    }
}

fn slow_owner<'a>(ctx: &'a AuthContext, _req: &'a dyn RequestParts) -> LocalBoxFuture<'a, bool> {
    Box::pin(async move { ctx.user_id() == "1" })
}

#[tokio::test]
async fn async_custom_guard() {
    let p = Policy::all([
        Policy::authenticated(),
        Policy::custom(CustomGuard::new_async("slow_owner", slow_owner)),
    ]);
    let req = SimpleRequest::new("GET", "/");
    assert!(matches!(
        p.decide(Some(&staff()), &req).await,
        Decision::Allow
    ));
    match p.decide(Some(&plain()), &req).await {
        Decision::Forbidden(g) => assert_eq!(g.to_string(), "custom(slow_owner)"),
        other => panic!("expected 403, got {other:?}"),
    }
    assert!(matches!(
        p.decide(None, &req).await,
        Decision::Unauthenticated
    ));
}

static STATIC_POLICY: Policy = Policy::Any(Cow::Borrowed(&[
    Policy::IsStaff,
    Policy::HasPermission(Cow::Borrowed("articles.read")),
    Policy::Not(PolicyRef::Static(&Policy::IsActive)),
]));

#[test]
fn static_policies_are_const_constructible() {
    assert!(matches!(run(&STATIC_POLICY, Some(&plain())), D::Allow));
    assert_eq!(
        STATIC_POLICY.to_string(),
        "any(is_staff, has_permission(\"articles.read\"), not(is_active))"
    );
}
