use auth_actix::prelude::*;

#[auth("jwt")]
async fn handler() {}

fn main() {}
