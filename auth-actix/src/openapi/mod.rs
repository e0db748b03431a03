//! OpenAPI (feature `openapi`, utoipa): the routes' authentication and guards documented from
//! the same `#[auth]`/`#[guard]` annotations that enforce them.
//!
//! The macros record each protected handler here (its name, backends and guard); the
//! [`AuthAddon`], a `utoipa::Modify`, finds the operations utoipa generated for those handlers
//! (by `operationId`, the handler's name, as utoipa sets it) and adds:
//!
//! - a security scheme per configured backend (`bearerAuth` for the JWT backend, an `apiKey`
//!   scheme in its header for API keys, cookie schemes for the JWT cookie and the session,
//!   `openIdConnect` for an identity provider found by discovery, and custom backends by the
//!   name and description they give, see [`Backend::describe`](crate::extend::Backend::describe));
//! - on each protected operation, one `security` alternative per scheme of each backend it
//!   accepts, in the route's order (and `{}`, "no credentials", on `allow_any` routes);
//! - `x-guard` (the guard in the `#[guard]` grammar), `x-required-permissions` (the permissions
//!   every caller must hold, when there are any) and a sentence in the description;
//! - the 401, 403 and 503 responses with the error body (`AuthError`: `{"error","detail"}`) and,
//!   for 401, the `WWW-Authenticate` header, unless the operation defines them itself.
//!
//! Routes protected by [`RequireAuth`] on a scope are documented with
//! [`AuthAddon::scope`]; the token and session endpoints with [`AuthAddon::endpoints`].
//!
//! ```
//! use actix_web::{post, HttpResponse};
//! use auth_actix::openapi::AuthAddon;
//! use auth_actix::prelude::*;
//! use utoipa::OpenApi;
//!
//! #[utoipa::path(post, path = "/articles", responses((status = 201, description = "created")))]
//! #[post("/articles")]
//! #[auth(jwt, api_key)]
//! #[guard(has_permission("articles.write"))]
//! async fn create_article() -> HttpResponse {
//!     HttpResponse::Created().finish()
//! }
//!
//! #[derive(OpenApi)]
//! #[openapi(paths(create_article))]
//! struct Api;
//!
//! let auth = AuthConfig::builder()
//!     .jwt(JwtConfig::hs256("an example secret that is 32+ bytes long"))
//!     .api_keys(ApiKeys::new().key("sk-writer-0001", ["articles.write"]))
//!     .build()
//!     .unwrap();
//! let mut doc = Api::openapi();
//! utoipa::Modify::modify(&AuthAddon::new(&auth), &mut doc);
//! let json = serde_json::to_value(&doc).unwrap();
//! let op = &json["paths"]["/articles"]["post"];
//! assert_eq!(op["security"], serde_json::json!([{"bearerAuth": []}, {"apiKeyAuth": []}]));
//! assert_eq!(op["x-required-permissions"], serde_json::json!(["articles.write"]));
//! assert_eq!(op["x-guard"], "has_permission(\"articles.write\")");
//! ```

mod document;
mod endpoints;
mod schemes;

use auth_core::{AuthConfig, Policy};

use crate::middleware::RequireAuth;
use crate::protect::RouteSpec;

pub use document::AuthAddon;

/// A protected handler as `#[auth]`/`#[guard]` recorded it.
#[derive(Debug)]
pub struct Route {
    /// The handler's name (utoipa's default `operationId`).
    pub name: &'static str,
    /// The backends it names (`None`: the configuration's defaults).
    pub backends: Option<&'static [&'static str]>,
    /// Its guard (`None`: the configuration's default guard).
    pub policy: Option<&'static Policy>,
}

impl Route {
    /// The record of the route `S`.
    pub const fn of<S: RouteSpec>() -> Route {
        Route {
            name: S::ROUTE,
            backends: S::BACKENDS,
            policy: S::POLICY,
        }
    }
}

inventory::collect!(Route);

/// Every protected handler of the program.
pub fn routes() -> impl Iterator<Item = &'static Route> {
    inventory::iter::<Route>.into_iter()
}

/// What protects one operation: the backends tried and the guard applied.
#[derive(Debug, Clone)]
struct Protection {
    backends: Vec<String>,
    policy: Policy,
}

impl Protection {
    fn of_route(route: &Route, cfg: &AuthConfig) -> Protection {
        Protection {
            backends: match route.backends {
                Some(names) => names.iter().map(|n| (*n).to_owned()).collect(),
                None => defaults(cfg),
            },
            policy: route
                .policy
                .cloned()
                .unwrap_or_else(|| cfg.default_guard().clone()),
        }
    }

    fn of_scope(scope: &RequireAuth, cfg: &AuthConfig) -> Protection {
        Protection {
            backends: match scope.backend_names() {
                Some(names) => names.iter().map(|n| n.to_string()).collect(),
                None => defaults(cfg),
            },
            policy: scope
                .policy()
                .cloned()
                .unwrap_or_else(|| cfg.default_guard().clone()),
        }
    }
}

fn defaults(cfg: &AuthConfig) -> Vec<String> {
    cfg.default_backends()
        .iter()
        .map(|n| n.to_string())
        .collect()
}

/// The permissions every caller that passes `policy` holds: those of `has_permission` and
/// `has_permissions`, through `all(..)`; none for anything else (`any`, `not`, roles...).
fn required_permissions(policy: &Policy, out: &mut Vec<String>) {
    match policy {
        Policy::HasPermission(p) => out.push(p.to_string()),
        Policy::HasPermissions(ps) => out.extend(ps.iter().map(|p| p.to_string())),
        Policy::All(ps) => ps.iter().for_each(|p| required_permissions(p, out)),
        _ => {}
    }
}

/// A utoipa value written as the JSON it serializes to (plainer than its builders). The JSON is
/// this module's own, so it always has the right shape; a mistake would show in the tests as a
/// missing piece, not as a panic.
fn from_json<T: serde::de::DeserializeOwned + Default>(value: serde_json::Value) -> T {
    serde_json::from_value(value).unwrap_or_default()
}
