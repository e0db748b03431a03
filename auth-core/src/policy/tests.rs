use super::*;
use crate::request::SimpleRequest;

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
fn owner_is_user_1(ctx: &AuthContext, req: &dyn RequestParts) -> Result<bool, AuthError> {
    Ok(req.path() == "/articles/1" && ctx.user_id() == "1")
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
        Decision::Failed(e) => panic!("no guard here fails: {e}"),
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

fn slow_owner<'a>(
    ctx: &'a AuthContext,
    _req: &'a dyn RequestParts,
) -> LocalBoxFuture<'a, Result<bool, AuthError>> {
    Box::pin(async move { Ok(ctx.user_id() == "1") })
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
        Decision::Forbidden(g) => assert_eq!(g.to_string(), "custom_async(slow_owner)"),
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
    // What a log of the configuration (its default guard) shows.
    assert_eq!(
        format!("{STATIC_POLICY:?}"),
        "Policy(any(is_staff, has_permission(\"articles.read\"), not(is_active)))"
    );
}

#[test]
fn a_custom_guard_is_known_by_its_name() {
    let guard = CustomGuard::new("owner", owner_is_user_1);
    assert_eq!(guard.name(), "owner");
    assert_eq!(
        CustomGuard::new_async("slow_owner", slow_owner).name(),
        "slow_owner"
    );
    assert_eq!(format!("{guard:?}"), "custom(owner)");
    // A 403 names the guard as it is written.
    let slow = CustomGuard::new_async("slow_owner", slow_owner);
    assert_eq!(slow.to_string(), "custom_async(slow_owner)");
}

use crate::error::AuthError;

/// What `admit` makes of an authentication result, awaited and not.
fn admitted(p: &Policy, result: Result<AuthContext, AuthError>) -> (String, String) {
    let req = SimpleRequest::new("GET", "/articles/1");
    let show = |a: crate::policy::Admitted| match a {
        Ok(Some(ctx)) => format!("allow {}", ctx.user_id()),
        Ok(None) => "allow anonymous".to_owned(),
        Err(e) => format!("refuse {e}"),
    };
    let awaited = show(block_on(p.admit(&result, &req)));
    (awaited, show(p.admit_now(&result, &req)))
}

#[test]
fn admit_table() {
    use crate::error::Reason;
    let down = || Err(AuthError::Unavailable("store down".into()));
    let expired = || Err(AuthError::Unauthenticated(Reason::Expired));
    let broken = || Err(AuthError::Misconfigured("<no such backend>".into()));
    let rows: Vec<(&str, Policy, Result<AuthContext, AuthError>, &str)> = vec![
        // A public route serves a request whose credentials cannot be checked as anonymous:
        // the identity is not trusted, and the page stays up while the store is down.
        (
            "allow_any, store down",
            Policy::allow_any(),
            down(),
            "allow anonymous",
        ),
        (
            "allow_any, bad token",
            Policy::allow_any(),
            expired(),
            "allow anonymous",
        ),
        (
            "allow_any, identity",
            Policy::allow_any(),
            Ok(plain()),
            "allow 2",
        ),
        // A broken route is never an allow, not even on allow_any.
        (
            "allow_any, misconfigured",
            Policy::allow_any(),
            broken(),
            "refuse authentication is misconfigured: <no such backend>",
        ),
        // Fail closed: the store's failure stands, whatever the guard.
        (
            "authenticated, store down",
            Policy::authenticated(),
            down(),
            "refuse authentication store unavailable: store down",
        ),
        (
            "not(is_staff), store down",
            Policy::not(Policy::is_staff()),
            down(),
            "refuse authentication store unavailable: store down",
        ),
        // An anonymous refusal keeps the authentication's own reason.
        (
            "authenticated, expired",
            Policy::authenticated(),
            expired(),
            "refuse not authenticated: token expired",
        ),
        (
            "has_permission, forbidden",
            Policy::has_permission("articles.write"),
            Ok(plain()),
            "refuse forbidden: has_permission(\"articles.write\") failed",
        ),
        (
            "has_permission, allowed",
            Policy::has_permission("articles.read"),
            Ok(plain()),
            "allow 2",
        ),
    ];
    for (name, policy, result, expected) in rows {
        let (awaited, now) = admitted(&policy, result);
        assert_eq!(awaited, expected, "{name}");
        assert_eq!(now, expected, "{name} (admit_now)");
    }
}

#[test]
fn async_guards_are_found_wherever_they_sit() {
    let slow = || Policy::custom(CustomGuard::new_async("slow_owner", slow_owner));
    let sync = || Policy::custom(CustomGuard::new("owner", owner_is_user_1));
    for (name, policy, expected) in [
        ("custom_async", slow(), true),
        ("in all", Policy::all([Policy::is_staff(), slow()]), true),
        ("in any", Policy::any([sync(), slow()]), true),
        ("under not", Policy::not(slow()), true),
        (
            "nested",
            Policy::all([Policy::any([Policy::not(slow())])]),
            true,
        ),
        ("custom", sync(), false),
        (
            "composites of sync guards",
            Policy::all([Policy::not(sync()), Policy::is_staff()]),
            false,
        ),
        ("is_staff", Policy::is_staff(), false),
    ] {
        assert_eq!(policy.has_async_guard(), expected, "{name}");
    }
}

#[test]
fn async_guards_inside_any_and_not_are_awaited() {
    let slow = || Policy::custom(CustomGuard::new_async("slow_owner", slow_owner));
    let rows = [
        // any: a sync branch that fails does not decide before the async one ran.
        (
            "any passes by its async branch",
            Policy::any([Policy::is_superuser(), slow()]),
            staff(),
            D::Allow,
        ),
        (
            "any fails on both",
            Policy::any([Policy::is_superuser(), slow()]),
            plain(),
            D::E403("any(is_superuser, custom_async(slow_owner))".into()),
        ),
        // not: the async guard's answer is awaited and inverted, never taken for a refusal.
        (
            "not refuses when the guard passes",
            Policy::not(slow()),
            staff(),
            D::E403("not(custom_async(slow_owner))".into()),
        ),
        (
            "not lets through when it fails",
            Policy::not(slow()),
            plain(),
            D::Allow,
        ),
    ];
    for (name, policy, ctx, expected) in rows {
        assert_eq!(run(&policy, Some(&ctx)), expected, "{name}");
    }
}

#[test]
fn anonymous_requests_meet_all_and_any() {
    let rows = [
        (
            "all of allow_any",
            Policy::all([Policy::allow_any(), Policy::allow_any()]),
            D::Allow,
        ),
        (
            "all needing an identity",
            Policy::all([Policy::allow_any(), Policy::authenticated()]),
            D::E401,
        ),
        (
            "any with allow_any",
            Policy::any([Policy::is_staff(), Policy::allow_any()]),
            D::Allow,
        ),
        (
            "any needing an identity",
            Policy::any([Policy::is_staff(), Policy::authenticated()]),
            D::E401,
        ),
    ];
    for (name, policy, expected) in rows {
        assert_eq!(run(&policy, None), expected, "{name}");
    }
}
