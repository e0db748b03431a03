//! The operations of [`AuthEndpoints`](crate::endpoints::AuthEndpoints), added to a document by
//! [`AuthAddon::endpoints`](super::AuthAddon::endpoints).

use serde_json::{json, Value};
use utoipa::openapi::path::PathItem;
use utoipa::openapi::OpenApi;

use super::from_json;
use crate::endpoints::table::{self, Method};

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuthError"}}},
    })
}

fn throttled() -> Value {
    json!({
        "description": "Too many failed logins for this username from this address, or from this address: every attempt is refused until the window closes, the right password included.",
        "headers": {"Retry-After": {"description": "Seconds until a login may be tried again.", "schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuthError"}}},
    })
}

fn login_body(form: bool) -> Value {
    let schema = json!({
        "type": "object",
        "required": ["username", "password"],
        "properties": {"username": {"type": "string"}, "password": {"type": "string", "format": "password"}},
    });
    let mut content = json!({"application/json": {"schema": schema}});
    if form {
        content["application/x-www-form-urlencoded"] = json!({"schema": schema});
    }
    json!({"required": true, "content": content})
}

fn tokens() -> Value {
    json!({
        "description": "A new token pair (also set as cookies when the endpoints deliver cookies).",
        "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["access_token", "refresh_token", "token_type", "expires_in"],
            "properties": {
                "access_token": {"type": "string"},
                "refresh_token": {"type": "string"},
                "token_type": {"type": "string", "enum": ["bearer"]},
                "expires_in": {"type": "integer", "description": "Seconds until the access token expires."},
            },
        }}},
    })
}

fn identity(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["user_id", "backend", "roles", "permissions", "is_staff", "is_superuser"],
            "properties": {
                "user_id": {"type": "string"},
                "name": {"type": ["string", "null"]},
                "backend": {"type": "string"},
                "roles": {"type": "array", "items": {"type": "string"}},
                "permissions": {"type": "array", "items": {"type": "string"}},
                "is_staff": {"type": "boolean"},
                "is_superuser": {"type": "boolean"},
            },
        }}},
    })
}

fn operation(id: &str, summary: &str, body: Option<Value>, responses: Value) -> Value {
    let mut op = json!({
        "tags": ["auth"],
        "operationId": id,
        "summary": summary,
        "responses": responses,
    });
    if let Some(body) = body {
        op["requestBody"] = body;
    }
    op
}

/// What the operation `id` takes and answers (its path, method and summary are the table's).
fn body_and_responses(id: &str) -> (Option<Value>, Value) {
    let refresh_body = || {
        json!({"required": false, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"refresh_token": {"type": "string"}},
        }}}})
    };
    match id {
        "auth_token" => (
            Some(login_body(false)),
            json!({
                "200": tokens(), "400": error("The body is not the expected JSON."), "401": error("Invalid username or password, or an inactive account."), "413": error("The body is too large."), "415": error("The body is not sent as application/json."), "429": throttled(), "503": error("The user store could not answer."),
            }),
        ),
        "auth_refresh" => (
            Some(refresh_body()),
            json!({
                "200": tokens(), "400": error("The body is not the expected JSON."), "401": error("The refresh token is missing, invalid, expired, already used, an identity provider's, or its login is too old or its user gone."), "413": error("The body is too large."), "415": error("The body is not sent as application/json."), "503": error("The revocation or user store could not answer."),
            }),
        ),
        "auth_logout" => (
            Some(refresh_body()),
            json!({
                "204": {"description": "Logged out."}, "400": error("The body is not the expected JSON, or the credential cannot be logged out here (an API key, an identity provider's token)."), "401": error("Not authenticated, or the refresh token is invalid or another user's."), "403": error("A session cookie without the CSRF token (CSRF check)."), "503": error("The revocation store could not answer."),
            }),
        ),
        "auth_logout_all" => (
            None,
            json!({
                "204": {"description": "Logged out everywhere."}, "400": error("The credential names no user of this server (an API key, an identity provider's token)."), "401": error("Not authenticated."), "403": error("A session cookie without the CSRF token (CSRF check)."), "503": error("The revocation store could not answer."),
            }),
        ),
        "auth_me" => (
            None,
            json!({
                "200": identity("Who the request is authenticated as."), "401": error("Not authenticated."), "503": error("A store the decision needs could not answer."),
            }),
        ),
        "auth_session_login" => (
            Some(login_body(true)),
            json!({
                "200": identity("Logged in; the session cookie is set."), "400": error("The body is neither the expected JSON nor the form."), "401": error("Invalid username or password, or an inactive account."), "403": error("A cross-origin login (CSRF check)."), "404": {"description": "The app has no session backend."}, "413": error("The body is too large."), "415": error("The body is neither JSON nor a form."), "429": throttled(), "503": error("The user or session store could not answer."),
            }),
        ),
        "auth_session_logout" => (
            None,
            json!({
                "204": {"description": "Logged out; the session and CSRF cookies are cleared."}, "401": error("No session, or one that ended."), "403": error("Without the CSRF token, or cross-origin (CSRF check)."), "404": {"description": "The app has no session backend."}, "503": error("The revocation or session store could not answer."),
            }),
        ),
        "auth_session_logout_all" => (
            None,
            json!({
                "204": {"description": "Logged out everywhere."}, "401": error("No session, or one that ended."), "403": error("Without the CSRF token, or cross-origin (CSRF check)."), "404": {"description": "The app has no session backend."}, "503": error("The revocation or session store could not answer."),
            }),
        ),
        _ => (None, json!({})),
    }
}

/// Adds the endpoints mounted at `prefix`, from the endpoint table; an operation the document
/// already has is kept.
pub(super) fn add(openapi: &mut OpenApi, prefix: &str) {
    for endpoint in table::ALL {
        let (body, responses) = body_and_responses(endpoint.id);
        let method = match endpoint.method {
            Method::Get => "get",
            Method::Post => "post",
            Method::Delete => "delete",
        };
        let item = json!({ method: operation(endpoint.id, endpoint.summary, body, responses) });
        let item: PathItem = from_json(item);
        openapi
            .paths
            .paths
            .entry(format!("{prefix}{}", endpoint.path))
            .or_default()
            .merge_operations(item);
    }
}
