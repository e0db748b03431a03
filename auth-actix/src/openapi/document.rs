//! [`AuthAddon`]: the `utoipa::Modify` that writes the routes' protection into the document.

use std::collections::HashMap;

use auth_core::{AuthConfig, Policy};
use serde_json::json;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{OpenApi, RefOr, Response, Schema};

use super::{endpoints, from_json, required_permissions, routes, schemes, Protection};
use crate::endpoints::table::{self, Needs};
use crate::middleware::RequireAuth;

/// Documents the authentication and guards of the routes in an OpenAPI document (see the
/// [module](super) documentation).
#[derive(Debug, Clone)]
pub struct AuthAddon {
    cfg: AuthConfig,
    scopes: Vec<(String, RequireAuth)>,
    session_cookie: String,
    endpoints: Option<String>,
}

impl AuthAddon {
    /// Documents the routes of the app configured with `cfg`.
    pub fn new(cfg: &AuthConfig) -> Self {
        AuthAddon {
            cfg: cfg.clone(),
            scopes: Vec::new(),
            session_cookie: "id".into(),
            endpoints: None,
        }
    }

    /// Documents the operations whose path starts with `prefix` as protected by `middleware`
    /// (the [`RequireAuth`] wrapping that scope). A route that has its own `#[auth]`/`#[guard]`
    /// inside is held to both guards, and documented so.
    pub fn scope(mut self, prefix: &str, middleware: &RequireAuth) -> Self {
        self.scopes
            .push((prefix.trim_end_matches('/').to_owned(), middleware.clone()));
        self
    }

    /// The name of the session cookie (actix-session's `cookie_name`; default `id`, its
    /// default).
    pub fn session_cookie(mut self, name: &str) -> Self {
        self.session_cookie = name.to_owned();
        self
    }

    /// Also documents the token and session endpoints of
    /// [`AuthEndpoints`](crate::endpoints::AuthEndpoints) mounted at `prefix` (`"/auth"`).
    pub fn endpoints(mut self, prefix: &str) -> Self {
        self.endpoints = Some(prefix.trim_end_matches('/').to_owned());
        self
    }

    /// What protects the operation `id` at `path`: its scopes', then its own.
    fn protection(
        &self,
        id: Option<&str>,
        path: &str,
        names: &HashMap<&str, Vec<&'static super::Route>>,
    ) -> Option<Protection> {
        let mut layers: Vec<Protection> = self
            .scopes
            .iter()
            .filter(|(prefix, _)| path == prefix || path.starts_with(&format!("{prefix}/")))
            .map(|(_, m)| Protection::of_scope(m, &self.cfg))
            .collect();
        if let Some(own) = id.and_then(|id| self.endpoint(id)) {
            layers.push(own);
        } else if let Some(found) = id.and_then(|id| names.get(id)) {
            match found.as_slice() {
                [route] => layers.push(Protection::of_route(route, &self.cfg)),
                _ => tracing::warn!(
                    operation = id,
                    "several protected handlers are named so; name their operations apart (operation_id) to document them"
                ),
            }
        }
        let inner = layers.pop()?;
        if layers.is_empty() {
            return Some(inner);
        }
        layers.push(inner.clone());
        Some(Protection {
            backends: inner.backends,
            policy: Policy::All(
                layers
                    .into_iter()
                    .map(|l| l.policy)
                    .collect::<Vec<_>>()
                    .into(),
            ),
        })
    }

    /// What protects the endpoint operation `id` (see [`AuthAddon::endpoints`]).
    fn endpoint(&self, id: &str) -> Option<Protection> {
        self.endpoints.as_ref()?;
        let endpoint = table::ALL.into_iter().find(|e| e.id == id)?;
        let backends = match endpoint.needs {
            Needs::Nothing => return None,
            Needs::Defaults => super::defaults(&self.cfg),
            Needs::Session => vec!["session".to_owned()],
        };
        Some(Protection {
            backends,
            policy: Policy::Authenticated,
        })
    }

    fn document(&self, op: &mut Operation, protection: &Protection) {
        let open = matches!(protection.policy, Policy::AllowAny);
        let mut alternatives: Vec<SecurityRequirement> = protection
            .backends
            .iter()
            .flat_map(|b| schemes::of_backend(&self.cfg, b, &self.session_cookie))
            .map(|s| SecurityRequirement::new::<_, [&str; 0], &str>(s.name, []))
            .collect();
        if open {
            alternatives.push(SecurityRequirement::default());
        }
        op.security = Some(alternatives);

        let guard = protection.policy.to_string();
        let mut permissions = Vec::new();
        required_permissions(&protection.policy, &mut permissions);
        let mut ext = Extensions::default();
        ext.insert("x-guard".into(), json!(guard));
        if !permissions.is_empty() {
            ext.insert("x-required-permissions".into(), json!(permissions));
        }
        op.extensions
            .get_or_insert_with(Extensions::default)
            .merge(ext);

        let sentence = if open {
            format!(
                "Open to anyone; credentials are read when sent ({}).",
                protection.backends.join(", ")
            )
        } else {
            format!(
                "Requires authentication ({}) and the guard `{guard}`.",
                protection.backends.join(", ")
            )
        };
        op.description = Some(match op.description.take() {
            Some(d) if !d.is_empty() => format!("{d}\n\n{sentence}"),
            _ => sentence,
        });

        // A JSON body can be refused before the handler runs (`auth_actix::json_config`).
        let json_body = match &op.request_body {
            Some(RefOr::T(b)) => b.content.contains_key("application/json"),
            _ => false,
        };
        if json_body {
            let responses = &mut op.responses.responses;
            for (status, why) in [
                ("400", "The body is not the JSON this route takes."),
                ("413", "The body is too large."),
                ("415", "The body is not sent as application/json."),
            ] {
                responses
                    .entry(status.into())
                    .or_insert_with(|| RefOr::T(error_response(why)));
            }
        }
        if !open {
            let responses = &mut op.responses.responses;
            for (status, response) in [("401", unauthorized()), ("403", error_response("Authenticated, but the guard refused the request (the detail names the failed guard).")), ("503", error_response("A store the decision needs (revocation, users, keys) could not answer: refused, not let through."))] {
                if status == "403" && matches!(protection.policy, Policy::Authenticated) {
                    continue;
                }
                responses.entry(status.into()).or_insert_with(|| RefOr::T(response));
            }
        }
    }
}

impl utoipa::Modify for AuthAddon {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for backend in self.cfg.backends().names() {
            for s in schemes::of_backend(&self.cfg, backend, &self.session_cookie) {
                components.add_security_scheme(s.name, s.scheme);
            }
        }
        components
            .schemas
            .entry("AuthError".into())
            .or_insert_with(error_schema);
        if let Some(prefix) = &self.endpoints {
            endpoints::add(openapi, prefix);
        }
        let mut names: HashMap<&str, Vec<&'static super::Route>> = HashMap::new();
        for route in routes() {
            names.entry(route.name).or_default().push(route);
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
            {
                if let Some(p) = self.protection(op.operation_id.as_deref(), path, &names) {
                    self.document(op, &p);
                }
            }
        }
    }
}

/// `AuthError`: the body of every refusal.
fn error_schema() -> RefOr<Schema> {
    from_json(json!({
        "type": "object",
        "description": "Why the request was refused.",
        "required": ["error", "detail"],
        "properties": {
            "error": {"type": "string", "description": "`unauthorized`, `forbidden`, `service_unavailable`, `too_many_requests`, ...", "examples": ["unauthorized"]},
            "detail": {"type": "string", "description": "What was wrong (`token expired`, the failed guard, ...); never a credential.", "examples": ["token expired"]},
        },
    }))
}

fn error_response(description: &str) -> Response {
    from_json(json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuthError"}}},
    }))
}

fn unauthorized() -> Response {
    from_json(json!({
        "description": "No credentials, or credentials refused (the detail says why: expired, invalid signature, revoked, ...).",
        "headers": {"WWW-Authenticate": {"description": "The challenge (RFC 6750): `Bearer realm=\"...\", error=\"invalid_token\", error_description=\"...\"`.", "schema": {"type": "string"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuthError"}}},
    }))
}
