use auth_actix::prelude::*;

#[auth(jwt)]
fn handler() -> &'static str {
    "sync handlers cannot be protected"
}

fn main() {}
