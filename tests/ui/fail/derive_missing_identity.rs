use auth_actix::prelude::*;

#[derive(AuthUser)]
struct User {
    username: String,
}

fn main() {}
