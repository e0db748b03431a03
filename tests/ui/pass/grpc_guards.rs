use auth_tonic::{guard, AuthContext, Policy, RequestParts};

fn owns_order(ctx: &AuthContext, req: &dyn RequestParts) -> bool {
    req.header("x-owner") == Some(ctx.user_id().as_bytes())
}

fn main() {
    let policies: Vec<Policy> = vec![
        guard!(allow_any),
        guard!(authenticated),
        guard!(has_permission("orders.cancel")),
        guard!(has_permissions("orders.read", "orders.write")),
        guard!(has_any_permission("orders.read", "orders.write")),
        guard!(has_role("clerk")),
        guard!(has_any_role("clerk", "manager")),
        guard!(is_staff),
        guard!(is_superuser),
        guard!(is_active),
        guard!(all(is_staff, not(has_role("suspended")))),
        guard!(any(is_superuser, custom(owns_order))),
        guard!(is_staff, has_role("clerk")),
    ];
    assert_eq!(policies[11].to_string(), "any(is_superuser, custom(owns_order))");
    assert_eq!(policies[12].to_string(), "all(is_staff, has_role(\"clerk\"))");
}
