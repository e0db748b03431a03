use auth_actix::prelude::*;

#[auth(jwt, api_key, jwt)]
async fn handler() {}

fn main() {}
