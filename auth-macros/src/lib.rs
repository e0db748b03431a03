//! Procedural macros of `auth-actix`. Use them through `auth_actix` (`use auth_actix::prelude::*`),
//! which re-exports them; generated code names only `::auth_actix` paths.

#![deny(missing_docs)]

mod ctxt;
mod derive;
mod guard;
mod item;
mod names;
mod route;

use proc_macro::TokenStream;

/// Names the backends a handler tries, in order: `#[auth(jwt, api_key)]`.
///
/// See the `auth_actix` crate documentation.
#[proc_macro_attribute]
pub fn auth(args: TokenStream, input: TokenStream) -> TokenStream {
    route::expand(route::Kind::Auth, args.into(), input.into()).into()
}

/// Says who may call a handler: `#[guard(has_permission("articles.write"))]`.
///
/// See the `auth_actix` crate documentation for the grammar.
#[proc_macro_attribute]
pub fn guard(args: TokenStream, input: TokenStream) -> TokenStream {
    route::expand(route::Kind::Guard, args.into(), input.into()).into()
}

/// Implements `auth_actix::AuthUser` for a struct.
///
/// Fields are found by name (`id`; `username`, `email` or `name`; `roles`; `permissions`;
/// `is_staff`; `is_superuser`; `is_active`) or marked with `#[auth(id)]`, `#[auth(name)]`,
/// `#[auth(roles)]`, `#[auth(permissions)]`, `#[auth(staff)]`, `#[auth(superuser)]`,
/// `#[auth(active)]`.
#[proc_macro_derive(AuthUser, attributes(auth))]
pub fn derive_auth_user(input: TokenStream) -> TokenStream {
    derive::expand(input.into()).into()
}
