use auth_actix::prelude::*;

#[guard(has_permision("articles.write"))]
async fn handler() {}

fn main() {}
