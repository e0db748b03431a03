use auth_tonic::{guard, AuthContext, RequestParts};

async fn owns_order(_: AuthContext, _: ()) -> bool {
    true
}

fn wrong_signature(_: &AuthContext) -> bool {
    true
}

fn main() {
    let _ = guard!(any(is_staff, custom_async(owns_order)));
    let _ = guard!(custom(wrong_signature));
    let _ = |_: &dyn RequestParts| ();
}
