use auth_actix::prelude::*;

#[derive(AuthUser)]
struct User {
    #[auth(id)]
    pk: i64,
    #[auth(id)]
    other: i64,
}

fn main() {}
