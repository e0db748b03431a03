use auth_actix::prelude::*;

#[auth(jwt)]
#[auth(api_key)]
async fn handler() {}

fn main() {}
