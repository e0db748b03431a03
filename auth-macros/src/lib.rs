//! Procedural macros of `auth-actix` and `auth-tonic`. Use them through those crates, which
//! re-export them; generated code names only `::auth_actix` or `::auth_tonic` paths.

#![deny(missing_docs)]

mod ctxt;
mod derive;
mod grpc;
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

/// A gRPC method's guard, in the `#[guard]` grammar: `guard!(has_permission("articles.write"))`.
///
/// Use it through `auth_tonic::guard!`; it evaluates to an `auth_tonic::Policy`.
#[proc_macro]
pub fn grpc_guard(input: TokenStream) -> TokenStream {
    grpc::expand(input.into()).into()
}

/// Implements `AuthUser` for a struct; use it as `auth_actix::AuthUser`.
///
/// Fields are found by name (`id`; `username`, `email` or `name`; `roles`; `permissions`;
/// `is_staff`; `is_superuser`; `is_active`) or marked with `#[auth(id)]`, `#[auth(name)]`,
/// `#[auth(roles)]`, `#[auth(permissions)]`, `#[auth(staff)]`, `#[auth(superuser)]`,
/// `#[auth(active)]`.
#[proc_macro_derive(AuthUser, attributes(auth))]
pub fn derive_auth_user(input: TokenStream) -> TokenStream {
    derive::expand(input.into(), quote::quote!(::auth_actix)).into()
}

/// The same derive for a tonic-only service; use it as `auth_tonic::AuthUser`.
#[proc_macro_derive(GrpcAuthUser, attributes(auth))]
pub fn derive_grpc_auth_user(input: TokenStream) -> TokenStream {
    derive::expand(input.into(), quote::quote!(::auth_tonic)).into()
}
