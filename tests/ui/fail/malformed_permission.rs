use auth_actix::prelude::*;

#[guard(any(has_permission("articles..write"), has_permission("articles.*.read"), has_role("edi tor")))]
async fn handler() {}

fn main() {}
