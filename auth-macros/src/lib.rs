//! Procedural macros of `auth-actix` and `auth-tonic`. Use them through those crates, which
//! re-export them; generated code names only `::auth_actix` or `::auth_tonic` paths. The
//! [guide](https://docs.rs/auth-actix/latest/auth_actix/guide/) lives with `auth-actix`.

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
/// Each name is one registered in the `AuthConfig` (`jwt`, `api_key` and `session` for the
/// built-in backends, or the name given to a custom one). The first backend that authenticates
/// the request wins; with no `#[auth]` the configuration's default backends are tried. A name
/// that is not registered is refused when the request arrives (500, and an error log line that
/// names the registered ones), never let through.
///
/// Without `#[guard]`, a route with `#[auth]` requires an authenticated request (the
/// configuration's default guard, `authenticated` unless changed).
///
/// ```
/// use actix_web::{post, HttpResponse};
/// use auth_actix::prelude::*;
///
/// #[post("/articles")]
/// #[auth(jwt, api_key)]
/// #[guard(has_permission("articles.write"))]
/// async fn create_article(user: AuthContext) -> HttpResponse {
///     HttpResponse::Created().body(format!("created by {}", user.user_id()))
/// }
/// ```
#[proc_macro_attribute]
pub fn auth(args: TokenStream, input: TokenStream) -> TokenStream {
    route::expand(route::Kind::Auth, args.into(), input.into()).into()
}

/// Says who may call a handler: `#[guard(has_permission("articles.write"))]`.
///
/// The guard runs before any other extractor of the handler (no body is read for a request it
/// refuses). An anonymous request it refuses gets 401 with the authentication's reason, an
/// authenticated one 403 naming the guard that failed; a store that cannot answer gives 503.
/// Several guards in one `#[guard(a, b)]` must all hold.
///
/// | guard | holds when |
/// |---|---|
/// | `allow_any` | always (the request may be anonymous; credentials that are present are still checked) |
/// | `authenticated` | a backend authenticated the request |
/// | `is_staff`, `is_superuser`, `is_active` | the identity has the flag |
/// | `has_permission("a.b")` | the identity holds the permission (directly, through a role, or a wildcard `a.*`) |
/// | `has_permissions("a", "b", ..)` | it holds every one |
/// | `has_any_permission("a", "b", ..)` | it holds at least one |
/// | `has_role("r")`, `has_any_role("r", ..)` | it has the role, or one of them |
/// | `all(g, ..)`, `any(g, ..)`, `not(g)` | combinations |
/// | `custom(path)` | `fn(&AuthContext, &HttpRequest) -> bool` returns `true` |
/// | `custom_async(path)` | `async fn(AuthContext, HttpRequest) -> bool` returns `true` |
///
/// A custom guard may return `Result<bool, AuthError>` instead of `bool`: `Err(AuthError::NotFound(..))`
/// answers 404 (the object the route acts on is not there), `Err(AuthError::Unavailable(..))` 503.
///
/// Names are checked when the handler compiles: a misspelt guard gets a compile error with a
/// suggestion, a malformed permission or role a compile error on its string. A superuser holds
/// every permission; `not(..)` never lets an anonymous request through.
///
/// ```
/// use actix_web::{delete, get, HttpRequest};
/// use auth_actix::prelude::*;
///
/// /// An object-level check: the path's `{owner}` is the caller.
/// fn owns(user: &AuthContext, req: &HttpRequest) -> bool {
///     req.match_info().get("owner") == Some(user.user_id())
/// }
///
/// /// The same check reading a database would be asynchronous.
/// async fn owns_async(user: AuthContext, req: HttpRequest) -> bool {
///     req.match_info().get("owner") == Some(user.user_id())
/// }
///
/// #[get("/notes/{owner}")]
/// #[guard(any(is_staff, custom(owns)))]
/// async fn read_notes() -> &'static str { "notes" }
///
/// #[delete("/notes/{owner}")]
/// #[guard(all(has_permission("notes.delete"), not(has_role("suspended")), custom_async(owns_async)))]
/// async fn delete_notes() -> &'static str { "deleted" }
///
/// #[get("/")]
/// #[guard(allow_any)]
/// async fn home(user: Option<AuthContext>) -> String {
///     user.map_or("hello".into(), |u| format!("hello {}", u.user_id()))
/// }
/// ```
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
/// `#[auth(active)]`, `#[auth(password_hash)]`.
///
/// ```
/// use auth_actix::AuthUser;
///
/// #[derive(AuthUser)]
/// struct User {
///     id: i64,
///     email: String,
///     roles: Vec<String>,
///     is_active: bool,
/// }
/// ```
#[proc_macro_derive(AuthUser, attributes(auth))]
pub fn derive_auth_user(input: TokenStream) -> TokenStream {
    derive::expand(input.into(), quote::quote!(::auth_actix)).into()
}

/// The same derive for a tonic-only service; use it as `auth_tonic::AuthUser`.
#[proc_macro_derive(GrpcAuthUser, attributes(auth))]
pub fn derive_grpc_auth_user(input: TokenStream) -> TokenStream {
    derive::expand(input.into(), quote::quote!(::auth_tonic)).into()
}
