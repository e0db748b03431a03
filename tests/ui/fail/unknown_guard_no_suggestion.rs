use auth_actix::prelude::*;

#[guard(is_wizard)]
async fn handler() {}

fn main() {}
