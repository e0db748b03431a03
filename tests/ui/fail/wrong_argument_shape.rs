use auth_actix::prelude::*;

#[guard(has_permission(articles.write))]
async fn ident_instead_of_string() {}

#[guard(is_staff("yes"))]
async fn flag_with_arguments() {}

#[guard(has_role("a", "b"))]
async fn two_roles_for_one() {}

#[guard(not(is_staff, is_superuser))]
async fn not_with_two() {}

#[guard(has_permission)]
async fn missing_arguments() {}

#[guard(is_staff == true)]
async fn an_expression() {}

fn main() {}
