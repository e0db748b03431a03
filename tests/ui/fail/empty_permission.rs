use auth_actix::prelude::*;

#[guard(has_permission(""))]
async fn handler() {}

fn main() {}
