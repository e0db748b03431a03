use auth_actix::prelude::*;

#[guard(is_staff)]
struct NotAHandler;

fn main() {}
