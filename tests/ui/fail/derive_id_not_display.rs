use auth_actix::prelude::*;

struct Opaque;

#[derive(AuthUser)]
struct User {
    id: Opaque,
}

fn main() {}
