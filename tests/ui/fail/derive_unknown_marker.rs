use auth_actix::prelude::*;

#[derive(AuthUser)]
struct User {
    id: i64,
    #[auth(role)]
    groups: Vec<String>,
}

fn main() {}
