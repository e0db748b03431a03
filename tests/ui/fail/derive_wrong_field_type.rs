use auth_actix::prelude::*;

#[derive(AuthUser)]
struct User {
    id: i64,
    roles: String,
    is_staff: u8,
}

fn main() {}
