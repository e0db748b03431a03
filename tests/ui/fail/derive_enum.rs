use auth_actix::prelude::*;

#[derive(AuthUser)]
enum User {
    Admin,
}

fn main() {}
