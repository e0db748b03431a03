use auth_actix::prelude::*;

#[derive(AuthUser)]
union User {
    id: u64,
}

fn main() {}
